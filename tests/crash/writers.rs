//! The crash test's writers and what they were told. Each writer is a thread that owns its
//! contacts (no other writer touches them), so the writes on one contact form a sequence: each
//! contact keeps the state its last acknowledged write left and, when the server died during
//! a write, the state that write would have left (it may or may not have happened). After a
//! crash the database must hold one of the two for every contact, and nothing else.
//!
//! Writes: creates (names, job title, city, tags, one or two projects), updates (new first and
//! last name, job title, sometimes the city), tag changes (`tag_list`, possibly empty), notes
//! and deletes. Every last name is a word no other contact holds, so that a contact whose
//! create was lost (no id came back) can still be found, and a search finds it alone.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Instant;

use serde_json::{json, Value};

use crate::client::{call, Outcome, Rng};

pub const TAGS: [&str; 5] = ["red", "green", "blue", "vip", "lead"];
/// No name holds another (each one's search counts exactly its contacts).
pub const FIRST_NAMES: [&str; 4] = ["Anna", "Boris", "Clara", "Dmitri"];
const CITIES: [&str; 3] = ["Lisbon", "Oslo", "Quito"];
/// The projects `setup` creates, by id and identifier.
pub const PROJECTS: [(i64, &str); 2] = [(1, "crash"), (2, "other")];
/// A writer creates no more contacts while it holds this many.
const MAX_LIVE: usize = 25;

/// What the tests look at of a contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub first_name: String,
    /// The contact's own word (see the module comment).
    pub last_name: String,
    pub job_title: String,
    pub city: Option<String>,
    /// In the order given.
    pub tags: Vec<String>,
    /// Ascending.
    pub projects: Vec<i64>,
    /// Note contents, oldest first.
    pub notes: Vec<String>,
}

/// One contact of a writer.
pub struct Tracked {
    /// None while the create's answer was lost.
    pub id: Option<i64>,
    /// After the last acknowledged write; None: deleted (or not created).
    pub acked: Option<State>,
    /// The outcome of a write whose answer was lost, when there is one.
    pub lost: Option<Option<State>>,
    /// What every word of this contact starts with (ids can be reused after a delete; this
    /// cannot).
    pub prefix: String,
    serial: u32,
    generation: u32,
}

/// A contact's word: fixed width, so that no word holds another.
fn word(writer: usize, serial: u32, generation: u32) -> String {
    assert!(generation < 1000, "the word's width is fixed");
    format!("{}{generation:03}", prefix(writer, serial))
}

fn prefix(writer: usize, serial: u32) -> String {
    assert!(writer < 10 && serial < 10_000, "the word's width is fixed");
    format!("qz{writer}c{serial:04}g")
}

pub struct Writer {
    index: usize,
    rng: Rng,
    pub contacts: Vec<Tracked>,
    created: u32,
    notes: u32,
    /// Writes acknowledged in the current round, and in all rounds.
    pub acked_round: u64,
    pub acked_total: u64,
    /// Whether the round ended with a write in flight.
    pub lost_round: bool,
    pub problems: Vec<String>,
}

impl Writer {
    pub fn new(index: usize, seed: u64) -> Writer {
        let rng = Rng::new(seed ^ (index as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
        Writer {
            index,
            rng,
            contacts: Vec::new(),
            created: 0,
            notes: 0,
            acked_round: 0,
            acked_total: 0,
            lost_round: false,
            problems: Vec::new(),
        }
    }

    /// Writes until a request fails (the server is gone) or `until`.
    pub fn run(&mut self, addr: SocketAddr, until: Instant) {
        self.acked_round = 0;
        self.lost_round = false;
        while Instant::now() < until && self.step(addr) {}
    }

    fn random_tags(&mut self) -> Vec<String> {
        let mut tags = Vec::new();
        for _ in 0..self.rng.below(4) {
            let tag = self.rng.pick(&TAGS).to_string();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        tags
    }

    /// One write; false once the server no longer answers.
    fn step(&mut self, addr: SocketAddr) -> bool {
        let live: Vec<usize> = (0..self.contacts.len()).filter(|&i| self.contacts[i].acked.is_some()).collect();
        let roll = self.rng.below(100);
        if live.is_empty() || (roll < 30 && live.len() < MAX_LIVE) {
            return self.create(addr);
        }
        let i = *self.rng.pick(&live);
        let id = self.contacts[i].id.expect("an acknowledged contact has its id");
        let mut next = self.contacts[i].acked.clone();
        let state = next.as_mut().expect("live");
        let path = format!("/contacts/{id}.json");
        match roll {
            0..=54 => {
                let c = &mut self.contacts[i];
                c.generation += 1;
                state.last_name = word(self.index, c.serial, c.generation);
                state.first_name = self.rng.pick(&FIRST_NAMES).to_string();
                state.job_title = format!("job {}", self.rng.below(1000));
                let mut contact = json!({"first_name": state.first_name, "last_name": state.last_name,
                                         "job_title": state.job_title});
                if self.rng.below(2) == 0 {
                    state.city = Some(self.rng.pick(&CITIES).to_string());
                    contact["address_attributes"] = json!({"city": state.city});
                }
                self.write(addr, i, "PUT", &path, json!({ "contact": contact }), 204, next)
            }
            55..=69 => {
                state.tags = self.random_tags();
                let body = json!({"contact": {"tag_list": state.tags.join(", ")}});
                self.write(addr, i, "PUT", &path, body, 204, next)
            }
            70..=89 => {
                self.notes += 1;
                let content = format!("note {} of writer {}", self.notes, self.index);
                state.notes.push(content.clone());
                let body = json!({"source_type": "Contact", "source_id": id, "project_id": PROJECTS[0].1,
                                  "note": {"content": content}});
                self.write(addr, i, "POST", "/notes.json", body, 201, next)
            }
            _ => self.write(addr, i, "DELETE", &path, Value::Null, 204, None),
        }
    }

    fn create(&mut self, addr: SocketAddr) -> bool {
        self.created += 1;
        let projects = if self.rng.below(3) == 0 { vec![1, 2] } else { vec![1] };
        let state = State {
            first_name: self.rng.pick(&FIRST_NAMES).to_string(),
            last_name: word(self.index, self.created, 0),
            job_title: format!("job {}", self.rng.below(1000)),
            city: (self.rng.below(2) == 0).then(|| self.rng.pick(&CITIES).to_string()),
            tags: self.random_tags(),
            projects,
            notes: Vec::new(),
        };
        let mut contact = json!({"project_id": PROJECTS[0].1, "project_ids": state.projects,
            "first_name": state.first_name, "last_name": state.last_name, "job_title": state.job_title,
            "tag_list": state.tags.join(", ")});
        if let Some(city) = &state.city {
            contact["address_attributes"] = json!({ "city": city });
        }
        let mut tracked = Tracked {
            id: None,
            acked: None,
            lost: None,
            prefix: prefix(self.index, self.created),
            serial: self.created,
            generation: 0,
        };
        let outcome = call(addr, "POST", "/contacts.json", Some(&json!({ "contact": contact })));
        let go_on = match &outcome {
            Outcome::Answer(r) if r.status == 201 => {
                tracked.id = r.json()["contact"]["id"].as_i64();
                tracked.acked = Some(state);
                self.acknowledged();
                true
            }
            _ => {
                tracked.lost = Some(Some(state));
                self.failed("POST /contacts.json", &outcome)
            }
        };
        // A create that was never sent is no contact at all.
        if !matches!(outcome, Outcome::NotSent) {
            self.contacts.push(tracked);
        }
        go_on
    }

    /// Sends a write on contact `i` that leaves it in `next` when it succeeds.
    fn write(
        &mut self,
        addr: SocketAddr,
        i: usize,
        method: &str,
        path: &str,
        body: Value,
        status: u16,
        next: Option<State>,
    ) -> bool {
        let body = (!body.is_null()).then_some(body);
        let outcome = call(addr, method, path, body.as_ref());
        match &outcome {
            Outcome::Answer(r) if r.status == status => {
                self.contacts[i].acked = next;
                self.acknowledged();
                true
            }
            Outcome::Lost { .. } => {
                self.contacts[i].lost = Some(next);
                self.failed(&format!("{method} {path}"), &outcome)
            }
            _ => self.failed(&format!("{method} {path}"), &outcome),
        }
    }

    fn acknowledged(&mut self) {
        self.acked_round += 1;
        self.acked_total += 1;
    }

    /// Notes a failed write (an answer other than the expected one is a problem; a lost or
    /// refused one is the crash); always false: the writer stops for this round.
    fn failed(&mut self, what: &str, outcome: &Outcome) -> bool {
        match outcome {
            Outcome::Answer(_) => self.problems.push(format!("writer {}: {what}: {}", self.index, outcome.describe())),
            Outcome::Lost { .. } => self.lost_round = true,
            Outcome::NotSent => {}
        }
        false
    }
}

/// Checks every writer's contacts against what the database holds (`found` answers the
/// stored contacts whose word starts with a prefix) and adopts what it holds as acknowledged;
/// returns the problems, and the ids claimed by some writer.
pub fn resolve(writers: &mut [Writer], found: impl Fn(&str) -> Vec<(i64, State)>) -> (Vec<String>, BTreeSet<i64>) {
    let mut problems = Vec::new();
    let mut claimed = BTreeSet::new();
    for w in writers.iter_mut() {
        for c in &mut w.contacts {
            let mut observed = found(&c.prefix);
            if observed.len() > 1 {
                problems.push(format!("{} is stored {} times: {observed:?}", c.prefix, observed.len()));
            }
            let observed = observed.pop();
            let state = observed.as_ref().map(|(_, s)| s.clone());
            let allowed = state == c.acked || c.lost.as_ref().is_some_and(|lost| *lost == state);
            if !allowed {
                problems.push(format!(
                    "contact {:?} ({}…) of writer {}: the database holds {state:?}; acknowledged: {:?}; lost write: {:?}",
                    c.id, c.prefix, w.index, c.acked, c.lost
                ));
            }
            if let Some((id, _)) = observed {
                if c.id.is_some_and(|known| known != id) {
                    problems.push(format!("{}… is stored as contact {id}, acknowledged as {:?}", c.prefix, c.id));
                }
                claimed.insert(id);
                c.id = Some(id);
            }
            c.acked = state;
            c.lost = None;
        }
        w.contacts.retain(|c| c.acked.is_some());
    }
    (problems, claimed)
}

#[test]
fn resolve_accepts_the_acknowledged_or_the_lost_state_only() {
    let state = |job: &str| State {
        first_name: "Anna".into(),
        last_name: word(0, 1, 0),
        job_title: job.into(),
        city: None,
        tags: vec![],
        projects: vec![1],
        notes: vec![],
    };
    let tracked = |acked: Option<State>, lost: Option<Option<State>>| Tracked {
        id: Some(7),
        acked,
        lost,
        prefix: prefix(0, 1),
        serial: 1,
        generation: 0,
    };
    let cases = [
        (tracked(Some(state("a")), None), Some(state("a")), true),
        (tracked(Some(state("a")), None), Some(state("b")), false),
        (tracked(Some(state("a")), Some(Some(state("b")))), Some(state("b")), true),
        (tracked(Some(state("a")), Some(Some(state("b")))), Some(state("c")), false),
        (tracked(Some(state("a")), None), None, false),
        (tracked(None, None), Some(state("a")), false),
        (tracked(Some(state("a")), Some(None)), None, true),
    ];
    for (i, (c, stored, ok)) in cases.into_iter().enumerate() {
        let mut writers = [Writer::new(0, 1)];
        writers[0].contacts.push(c);
        let (problems, claimed) = resolve(&mut writers, |_| stored.iter().map(|s| (7, s.clone())).collect());
        assert_eq!(problems.is_empty(), ok, "case {i}: {problems:?}");
        assert_eq!(claimed.contains(&7), stored.is_some(), "case {i}");
        assert_eq!(writers[0].contacts.first().and_then(|c| c.acked.clone()), stored, "case {i}: adopted");
    }
}
