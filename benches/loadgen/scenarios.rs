//! The scenarios: what each sends ([`RequestSpec`] from a factory), the per-connection
//! deterministic state ([`ConnState`]) the factories draw ids and words from, and the list of
//! scenarios built from what [`discover`](super::discover::discover) learnt about the data.

use std::sync::Arc;

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, COOKIE};
use hyper::Method;
use serde_json::{json, Value};

/// One request a scenario sends.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// Sent with the benchmark's API key (API requests); page requests go without one.
    pub with_key: bool,
}

impl RequestSpec {
    pub fn get(path: impl Into<String>) -> RequestSpec {
        RequestSpec { method: Method::GET, path: path.into(), headers: Vec::new(), body: Bytes::new(), with_key: true }
    }

    /// A browser's page request: `Accept: text/html`, the session cookie (`cookie`, may be
    /// empty), no API key; `htmx_target` makes it htmx's request for that element.
    pub fn page(path: impl Into<String>, cookie: &str, htmx_target: Option<&'static str>) -> RequestSpec {
        let mut headers = vec![(ACCEPT, HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"))];
        if let Ok(v) = HeaderValue::from_str(cookie) {
            if !cookie.is_empty() {
                headers.push((COOKIE, v));
            }
        }
        if let Some(target) = htmx_target {
            headers.push((HeaderName::from_static("hx-request"), HeaderValue::from_static("true")));
            headers.push((HeaderName::from_static("hx-target"), HeaderValue::from_static(target)));
        }
        RequestSpec { method: Method::GET, path: path.into(), headers, body: Bytes::new(), with_key: false }
    }

    /// A browser's form post (url-encoded `body`) with `cookie`.
    pub fn form(path: impl Into<String>, cookie: &str, body: String) -> RequestSpec {
        let mut spec = RequestSpec::page(path, cookie, None);
        spec.method = Method::POST;
        spec.headers.push((CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded")));
        spec.body = Bytes::from(body);
        spec
    }

    /// A request with a JSON body.
    pub fn json(method: Method, path: impl Into<String>, body: &Value) -> RequestSpec {
        RequestSpec {
            method,
            path: path.into(),
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: Bytes::from(body.to_string()),
            with_key: true,
        }
    }

    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What a request factory gets for each request: which connection it runs on, how many
/// requests that connection has sent, and a deterministic PRNG (splitmix64) seeded from the
/// scenario and the connection.
#[derive(Clone, Debug)]
pub struct ConnState {
    pub conn: usize,
    pub seq: u64,
    rng: u64,
}

impl ConnState {
    pub fn new(seed: u64, conn: usize) -> ConnState {
        let mut s = ConnState { conn, seq: 0, rng: seed ^ (conn as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) };
        s.next_u64();
        s
    }

    pub fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub type Factory = Arc<dyn Fn(&mut ConnState) -> RequestSpec + Send + Sync>;

/// A named request factory.
#[derive(Clone)]
pub struct Scenario {
    pub name: String,
    /// What it sends, for the report (e.g. one example request and how many contacts match).
    pub description: String,
    pub factory: Factory,
    /// A second client writing this many requests a second from this factory meanwhile (its
    /// answers are not measured; its failures count as errors).
    pub writes: Option<(u32, Factory)>,
}

impl Scenario {
    pub fn new(
        name: &str,
        description: impl Into<String>,
        factory: impl Fn(&mut ConnState) -> RequestSpec + Send + Sync + 'static,
    ) -> Scenario {
        Scenario { name: name.to_string(), description: description.into(), factory: Arc::new(factory), writes: None }
    }
}

pub(crate) fn seed_of(name: &str) -> u64 {
    // FNV-1a: stable across runs and Rust versions (unlike `DefaultHasher`).
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

pub(crate) fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Contact ids to pick from: a dense range, or the list when ids have gaps.
#[derive(Clone, Debug)]
pub(crate) enum Ids {
    Range(i64, i64),
    List(Arc<Vec<i64>>),
}

impl Ids {
    pub(crate) fn pick(&self, s: &mut ConnState) -> i64 {
        match self {
            Ids::Range(lo, hi) => lo + s.below((hi - lo + 1) as u64) as i64,
            Ids::List(ids) => *s.pick(ids),
        }
    }
}

/// What the scenarios need to know about the data.
#[derive(Clone, Debug)]
pub(crate) struct Facts {
    pub(crate) total: u64,
    pub(crate) ids: Ids,
    pub(crate) project_ident: String,
    pub(crate) project_matches: u64,
    pub(crate) create_project: i64,
    pub(crate) tag: String,
    pub(crate) tag_matches: u64,
    pub(crate) assignee: i64,
    pub(crate) assignee_matches: u64,
    pub(crate) common_word: String,
    pub(crate) common_matches: u64,
    pub(crate) emails: Arc<Vec<String>>,
    pub(crate) rare_matches: u64,
    pub(crate) names: Arc<Vec<String>>,
    pub(crate) two_word_matches: u64,
    pub(crate) short_word: String,
    pub(crate) short_matches: u64,
    /// `contacts_session=…`: the administrator signed in to the web interface.
    pub(crate) session: String,
}

pub(crate) fn create_spec(project: i64, s: &mut ConnState) -> RequestSpec {
    let tag = s.next_u64() % 1_000_000;
    let (conn, seq) = (s.conn, s.seq);
    RequestSpec::json(
        Method::POST,
        "/contacts.json",
        &json!({"contact": {
            "project_id": project,
            "first_name": format!("Load{conn}"),
            "last_name": format!("Bench{seq}x{tag}"),
            "job_title": "Load tester",
            "email": format!("load.c{conn}.n{seq}@bench.example"),
        }}),
    )
}

/// A scenario that GETs one path, described with how many contacts that matches.
fn fixed_get(name: &str, path: String, matches: u64) -> Scenario {
    Scenario::new(name, format!("GET {path} ({matches} match)"), move |_| RequestSpec::get(path.clone()))
}

/// A scenario that searches for one of `words` at random, described by `what` they are and the
/// first one's matches (`example` is how the description shows it).
fn search_one_of(name: &str, what: &str, example: String, matches: u64, words: &Arc<Vec<String>>) -> Scenario {
    let words = words.clone();
    Scenario::new(name, format!("GET /contacts.json?search={{{what}}} (e.g. {example}: {matches} match)"), move |s| {
        RequestSpec::get(format!("/contacts.json?search={}", enc(s.pick(&words[..]).as_str())))
    })
}

/// The scenarios, in the order they run (reads first, then the first-time and under-writes
/// ones of `hard`, then writes).
pub(crate) fn scenarios(f: &Facts, drawn: &super::hard::Drawn) -> Vec<Scenario> {
    let mut list = Vec::new();
    let ids = f.ids.clone();
    list.push(Scenario::new("get_json", format!("GET /contacts/{{random id}}.json ({} ids)", f.total), move |s| {
        RequestSpec::get(format!("/contacts/{}.json", ids.pick(s)))
    }));
    let ids = f.ids.clone();
    list.push(Scenario::new("get_xml", "GET /contacts/{random id}.xml", move |s| {
        RequestSpec::get(format!("/contacts/{}.xml", ids.pick(s)))
    }));
    list.push(Scenario::new("list", format!("GET /contacts.json ({} in total_count)", f.total), |_| {
        RequestSpec::get("/contacts.json")
    }));
    list.push(fixed_get(
        "list_project",
        format!("/contacts.json?project_id={}", enc(&f.project_ident)),
        f.project_matches,
    ));
    list.push(fixed_get("list_tag", format!("/contacts.json?tags={}", enc(&f.tag)), f.tag_matches));
    list.push(fixed_get("list_assignee", format!("/contacts.json?assigned_to_id={}", f.assignee), f.assignee_matches));
    list.push(fixed_get("search_common", format!("/contacts.json?search={}", enc(&f.common_word)), f.common_matches));
    let what = format!("one of {} e-mails", f.emails.len());
    list.push(search_one_of("search_rare", &what, f.emails[0].clone(), f.rare_matches, &f.emails));
    list.push(fixed_get("search_2letter", format!("/contacts.json?search={}", enc(&f.short_word)), f.short_matches));
    let what = format!("first last of one of {} people", f.names.len());
    list.push(search_one_of("search_2words", &what, format!("`{}`", f.names[0]), f.two_word_matches, &f.names));
    let offset = f.total.saturating_sub(25);
    list.push(Scenario::new("deep_page", format!("GET /contacts.json?offset={offset}"), move |_| {
        RequestSpec::get(format!("/contacts.json?offset={offset}"))
    }));
    // The web interface: the contact list page, a contact's page, and the search as you type
    // (htmx asks for the results alone), as the signed-in administrator.
    let cookie = f.session.clone();
    list.push(Scenario::new("ui_list", format!("GET /contacts page ({} in the count)", f.total), move |_| {
        RequestSpec::page("/contacts", &cookie, None)
    }));
    let (cookie, ids) = (f.session.clone(), f.ids.clone());
    list.push(Scenario::new("ui_contact", "GET /contacts/{random id} page (details, notes, deals)", move |s| {
        RequestSpec::page(format!("/contacts/{}", ids.pick(s)), &cookie, None)
    }));
    // What the contact page loads after itself (htmx): its possible duplicates.
    let (cookie, ids) = (f.session.clone(), f.ids.clone());
    let what = "GET /contacts/{random id}/duplicates list (htmx, after the contact page)";
    list.push(Scenario::new("ui_duplicates", what, move |s| {
        RequestSpec::page(format!("/contacts/{}/duplicates", ids.pick(s)), &cookie, Some("duplicates-list"))
    }));
    let (cookie, names) = (f.session.clone(), f.names.clone());
    let what = format!("GET /contacts?search={{first last of one of {} people}} results (htmx)", f.names.len());
    list.push(Scenario::new("ui_search", what, move |s| {
        let path = format!("/contacts?search={}", enc(s.pick(&names[..]).as_str()));
        RequestSpec::page(path, &cookie, Some("results"))
    }));
    let under_writes = ["get_json", "list", "list_tag", "list_assignee", "search_2words"];
    let reads: Vec<Scenario> = list.iter().filter(|s| under_writes.contains(&s.name.as_str())).cloned().collect();
    list.extend(super::hard::scenarios(f, drawn, &reads));
    let project = f.create_project;
    list.push(Scenario::new(
        "create",
        format!("POST /contacts.json (project {project}, unique names and e-mail)"),
        move |s| create_spec(project, s),
    ));
    let ids = f.ids.clone();
    list.push(Scenario::new("update", "PUT /contacts/{random id}.json (job_title)", move |s| {
        let id = ids.pick(s);
        let title = format!("Load tester {}-{}", s.conn, s.seq);
        RequestSpec::json(Method::PUT, format!("/contacts/{id}.json"), &json!({"contact": {"job_title": title}}))
    }));
    let ids = f.ids.clone();
    list.push(Scenario::new("mix_90_10", "90% GET /contacts/{random id}.json, 10% POST /contacts.json", move |s| {
        if s.below(10) == 0 {
            create_spec(project, s)
        } else {
            RequestSpec::get(format!("/contacts/{}.json", ids.pick(s)))
        }
    }));
    list
}
