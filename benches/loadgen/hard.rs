//! Scenarios that measure what people and scripts meet rather than a warm cache (issue 17):
//! `*_first_time` never send the same request twice (search terms drawn from the data, filter
//! combinations, sort columns and offsets drawn at random), and `*_under_writes` run a read
//! scenario while a second client creates and updates contacts at a steady rate.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};

use super::scenarios::{create_spec, enc, ConnState, Facts, RequestSpec, Scenario};

/// Creates and updates per second of the `*_under_writes` scenarios' writing client.
pub const WRITES_PER_SECOND: u32 = 20;

/// What the first-time scenarios draw from, read from the database before the server starts
/// (it takes the file for itself).
#[derive(Clone, Debug, Default)]
pub(crate) struct Drawn {
    /// Distinct search terms in a fixed random order: first names, last names, "first last",
    /// e-mail local parts and domains, company words, two-letter name starts.
    pub(crate) terms: Arc<Vec<String>>,
    pub(crate) tags: Arc<Vec<String>>,
    pub(crate) users: Arc<Vec<i64>>,
    pub(crate) projects: Arc<Vec<String>>,
}

/// Every `sort` a list takes alone (and the default, "").
const SORTS: [&str; 21] = [
    "",
    "name",
    "first_name",
    "last_name",
    "middle_name",
    "job_title",
    "company",
    "phones",
    "emails",
    "website",
    "street1",
    "street2",
    "city",
    "region",
    "postcode",
    "country",
    "address",
    "created_on",
    "updated_on",
    "assigned_to",
    "author",
];

fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut s = ConnState::new(seed, 0);
    for i in (1..items.len()).rev() {
        items.swap(i, s.below(i as u64 + 1) as usize);
    }
}

/// Reads the terms and filter values from the database at `db` (about 3,000 contacts spread
/// over the whole file).
pub(crate) fn draw(db: &Path) -> Result<Drawn, String> {
    let err = |e: rusqlite::Error| format!("drawing terms from {}: {e}", db.display());
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(err)?;
    let max: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM contacts", [], |r| r.get(0)).map_err(err)?;
    let step = (max / 3000).max(1);
    let mut stmt = conn
        .prepare(
            "SELECT lower(first_name), lower(coalesce(last_name, '')), lower(coalesce(email, '')),
                    lower(coalesce(company, '')) FROM contacts WHERE id % ?1 = 0",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map([step], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })
        .map_err(err)?;
    let mut terms = Vec::new();
    for row in rows {
        let (first, last, email, company) = row.map_err(err)?;
        let email = email.split(',').next().unwrap_or("").to_string();
        let (local, domain) = email.split_once('@').unwrap_or((&email, ""));
        let candidates = [
            first.clone(),
            last.clone(),
            format!("{first} {last}"),
            local.split('.').next().unwrap_or("").to_string(),
            domain.to_string(),
            company.split_whitespace().next().unwrap_or("").to_string(),
            first.chars().take(2).collect(),
        ];
        terms.extend(candidates.into_iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()));
    }
    terms.sort();
    terms.dedup();
    shuffle(&mut terms, 17);
    let strings = |sql: &str| -> Result<Vec<String>, String> {
        let mut stmt = conn.prepare(sql).map_err(err)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(err)
    };
    let tags = strings("SELECT name FROM tags")?;
    let projects = strings("SELECT identifier FROM projects")?;
    let mut stmt = conn.prepare("SELECT id FROM users").map_err(err)?;
    let users = stmt.query_map([], |r| r.get(0)).map_err(err)?.collect::<rusqlite::Result<_>>().map_err(err)?;
    Ok(Drawn { terms: Arc::new(terms), tags: Arc::new(tags), users: Arc::new(users), projects: Arc::new(projects) })
}

/// An offset drawn log-uniformly below `total` (most pages are near the start, some anywhere).
fn offset_below(s: &mut ConnState, total: u64) -> u64 {
    let bits = 64 - total.max(1).leading_zeros() as u64;
    let bound = 1u64 << s.below(bits + 1);
    s.below(bound.min(total.max(1)))
}

/// A list no request asked before: filters of each kind with a chance each, a search term
/// now and then, any sort column either way, an offset anywhere.
fn random_list(s: &mut ConnState, d: &Drawn, total: u64, next_term: &AtomicUsize) -> String {
    let mut query: Vec<String> = Vec::new();
    if !d.tags.is_empty() && s.below(10) < 3 {
        query.push(format!("tags={}", enc(s.pick(&d.tags[..]).as_str())));
    }
    if !d.users.is_empty() && s.below(10) < 3 {
        query.push(format!("assigned_to_id={}", s.pick(&d.users[..])));
    }
    if !d.users.is_empty() && s.below(10) < 2 {
        query.push(format!("author_id={}", s.pick(&d.users[..])));
    }
    if !d.projects.is_empty() && s.below(10) < 3 {
        query.push(format!("project_id={}", enc(s.pick(&d.projects[..]).as_str())));
    }
    if s.below(10) < 2 {
        query.push(format!("is_company={}", s.below(2)));
    }
    if !d.terms.is_empty() && s.below(10) < 3 {
        let term = &d.terms[next_term.fetch_add(1, Ordering::Relaxed) % d.terms.len()];
        query.push(format!("search={}", enc(term)));
    }
    let sort = *s.pick(&SORTS);
    if !sort.is_empty() {
        query.push(format!("sort={sort}{}", if s.below(2) == 0 { ":desc" } else { "" }));
    }
    let narrowed = query.len() as u32;
    query.push(format!("offset={}", offset_below(s, total >> (2 * narrowed).min(20))));
    format!("/contacts.json?{}", query.join("&"))
}

/// Where in the term list each first-time scenario starts, as a share of it: every scenario
/// walks a stretch of its own, so that no term is asked twice in one bench (a one-client run
/// of six seconds takes about a third of the list for the searches, a twentieth for the
/// lists), and the under-writes variants meet terms the server has not seen either. Each
/// counter is the scenario's own: its baseline run (against the bare server, after it) takes
/// terms from its stretch only.
const TERMS_FROM: [(f64, f64); 2] = [(0.0, 0.4), (0.5, 0.9)];

/// The first-time scenarios, and the under-writes variants of the read scenarios named.
pub(crate) fn scenarios(f: &Facts, d: &Drawn, reads: &[Scenario]) -> Vec<Scenario> {
    let [(search_from, list_from), (search_writes_from, list_writes_from)] = TERMS_FROM;
    let mut list = first_time(f.total, d, search_from, list_from);
    let again = first_time(f.total, d, search_writes_from, list_writes_from);
    for read in reads.iter().chain(again.iter()) {
        list.push(under_writes(read, f));
    }
    list
}

/// `search_first_time`, `list_first_time` and `page_first_time`, their terms taken from the
/// shares `search_from` and `list_from` of the term list on.
fn first_time(total: u64, d: &Drawn, search_from: f64, list_from: f64) -> Vec<Scenario> {
    let terms = d.terms.clone();
    let counter_at = |share: f64| Arc::new(AtomicUsize::new((terms.len() as f64 * share) as usize));
    let (taken, list_taken) = (counter_at(search_from), counter_at(list_from));
    let mut list = Vec::new();
    list.push(Scenario::new(
        "search_first_time",
        format!("GET /contacts.json?search={{one of {} terms from the data, each once}}", terms.len()),
        move |_| {
            let term = &terms[taken.fetch_add(1, Ordering::Relaxed) % terms.len().max(1)];
            RequestSpec::get(format!("/contacts.json?search={}", enc(term)))
        },
    ));
    let drawn = d.clone();
    list.push(Scenario::new(
        "list_first_time",
        "GET /contacts.json?{random tags/assigned_to_id/author_id/project_id/is_company/search, any sort, any offset}",
        move |s| RequestSpec::get(random_list(s, &drawn, total, &list_taken)),
    ));
    list.push(Scenario::new(
        "page_first_time",
        format!("GET /contacts.json?limit=100&offset={{random below {total}}}"),
        move |s| RequestSpec::get(format!("/contacts.json?limit=100&offset={}", s.below(total.max(1)))),
    ));
    list
}

/// `read` while a second client writes (`WRITES_PER_SECOND`, creates and updates in turn).
fn under_writes(read: &Scenario, f: &Facts) -> Scenario {
    let (project, ids) = (f.create_project, f.ids.clone());
    let writes: super::scenarios::Factory = Arc::new(move |s: &mut ConnState| {
        if s.seq % 2 == 0 {
            create_spec(project, s)
        } else {
            let id = ids.pick(s);
            let title = format!("Writer {}", s.seq);
            RequestSpec::json(
                hyper::Method::PUT,
                format!("/contacts/{id}.json"),
                &serde_json::json!({"contact": {"job_title": title}}),
            )
        }
    });
    let mut sc = read.clone();
    sc.name = format!("{}_under_writes", read.name);
    sc.description = format!("{} while {WRITES_PER_SECOND} creates/updates a second", read.description);
    sc.writes = Some((WRITES_PER_SECOND, writes));
    sc
}
