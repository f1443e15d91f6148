//! Seeding and replaying a golden folder against a running server, as `replay.py` does (the
//! golden README's "Data and order" and "Running"): with `seed`, the fixture's calls are made
//! first with the admin key (JSON bodies, `${name}` ids saved by `save_id`, every answer 2xx,
//! `expect_id` checked); a cases folder whose `_suite.json` says `"starts_after": "shared"`
//! then has the shared cases replayed first, uncounted. Then every `NN-name.json` case, in
//! file-name order, is sent on a fresh connection with the headers its `auth` asks for (an API
//! key header, basic auth with the fixture's admin password, or none) and compared with its
//! `expect` (see `compare`). Where the admin key in use is not the fixture's, the fixture's key
//! is replaced in every path, header value and body.
//!
//! The report reads as replay.py's output: `PASS NN-name` or `FAIL NN-name` with its
//! differences, then `N passed, M failed`. Not done here: `--only`, `--pause`, `--captured`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine;

use super::compare::{Expect, Rules};
use super::json::{short, Json};
use crate::common::{send, Resp};

/// What to replay and how (replay.py's options).
#[derive(Clone, Debug)]
pub struct Options {
    pub fixture: PathBuf,
    pub cases: PathBuf,
    /// The cases that a folder with `"starts_after": "shared"` continues from.
    pub shared_cases: PathBuf,
    /// The server's admin key, when it is not the fixture's (`--admin-key`).
    pub admin_key: Option<String>,
    pub seed: bool,
    pub strict_timestamps: bool,
}

impl Options {
    /// A golden folder (`fixture.json` and `cases/`), seeded, with strict timestamps: what the
    /// project's test asks of a fresh server.
    pub fn folder(dir: &Path) -> Options {
        Options {
            fixture: dir.join("fixture.json"),
            cases: dir.join("cases"),
            shared_cases: dir.join("cases"),
            admin_key: None,
            seed: true,
            strict_timestamps: true,
        }
    }
}

/// The outcome of a replay: replay.py's lines, and the counts.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub passed: usize,
    pub failed: usize,
    pub seed_failed: bool,
}

impl Report {
    pub fn ok(&self) -> bool {
        !self.seed_failed && self.failed == 0
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Only the failing cases, each with its differences.
    pub fn failures(&self) -> String {
        let mut out = Vec::new();
        let mut in_failure = false;
        for line in &self.lines {
            if line.starts_with("FAIL") {
                in_failure = true;
            } else if !line.starts_with("    ") {
                in_failure = false;
            }
            if in_failure {
                out.push(line.as_str());
            }
        }
        out.join("\n")
    }
}

/// Maps a case's `auth` to request headers; replaces the fixture's admin key by the one in use.
pub struct Credentials {
    default_admin_key: String,
    pub admin_key: String,
    keys: Vec<(String, String)>,
    basic: String,
}

impl Credentials {
    pub fn new(fixture: &Json, admin_key: Option<&str>) -> Result<Credentials, String> {
        let auth = fixture.get("auth").cloned().unwrap_or(Json::Object(Vec::new()));
        let key_of = |entry: &Json| entry.get("key").and_then(Json::as_str).map(str::to_string);
        let default_admin_key = auth.get("admin").and_then(key_of).ok_or("the fixture names no auth.admin.key")?;
        let admin_key = admin_key.map_or(default_admin_key.clone(), str::to_string);
        let mut keys: Vec<(String, String)> = match &auth {
            Json::Object(pairs) => pairs.iter().filter_map(|(name, a)| Some((name.clone(), key_of(a)?))).collect(),
            _ => Vec::new(),
        };
        keys.retain(|(name, _)| name != "admin");
        keys.push(("admin".to_string(), admin_key.clone()));
        let (login, password) = match auth.get("basic") {
            None => ("admin".to_string(), "admin".to_string()),
            Some(b) => {
                let field = |k: &str| b.get(k).and_then(Json::py_str).ok_or(format!("auth.basic has no {k}"));
                (field("login")?, field("password")?)
            }
        };
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
        Ok(Credentials { default_admin_key, admin_key, keys, basic: format!("Basic {basic}") })
    }

    /// The headers for a case's `auth` (none for absent, empty or `"none"`).
    pub fn headers(&self, auth: Option<&str>) -> Result<Vec<(String, String)>, String> {
        match auth {
            None | Some("") | Some("none") => Ok(Vec::new()),
            Some("basic") => Ok(vec![("Authorization".to_string(), self.basic.clone())]),
            Some(name) => match self.keys.iter().rev().find(|(n, _)| n == name) {
                Some((_, key)) => Ok(vec![("X-Redmine-API-Key".to_string(), key.clone())]),
                None => Err(format!("unknown auth {name:?}")),
            },
        }
    }

    /// The fixture's literal admin key replaced by the one in use.
    pub fn subst(&self, text: &str) -> String {
        if self.admin_key == self.default_admin_key {
            text.to_string()
        } else {
            text.replace(&self.default_admin_key, &self.admin_key)
        }
    }
}

/// Replays a golden folder against the server at `addr`. An error is a folder that cannot be
/// read or a case that cannot be sent as written; a server that answers otherwise is a FAIL.
pub fn run(addr: SocketAddr, opts: &Options) -> Result<Report, String> {
    let fixture = read_json(&opts.fixture)?;
    let creds = Credentials::new(&fixture, opts.admin_key.as_deref())?;
    let user_map = match fixture.get("id_map").and_then(|m| m.get("users")) {
        Some(Json::Object(pairs)) => pairs.clone(),
        _ => Vec::new(),
    };
    let rules = Rules { strict_timestamps: opts.strict_timestamps, user_map };
    let cases = load_cases(&opts.cases)?;
    let mut report = Report::default();
    if opts.seed {
        if let Err(e) = apply_fixture(addr, &fixture, &creds) {
            report.lines.push(format!("FAIL seed: {e}"));
            report.lines.push(format!("0 passed, {} failed", cases.len()));
            report.failed = cases.len();
            report.seed_failed = true;
            return Ok(report);
        }
        let suite_file = opts.cases.join("_suite.json");
        let suite = if suite_file.exists() { read_json(&suite_file)? } else { Json::Null };
        if suite.get("starts_after").and_then(Json::as_str) == Some("shared") {
            let before = load_cases(&opts.shared_cases)?;
            let mut differ = 0;
            for (_, case) in &before {
                differ += usize::from(!check_case(addr, &creds, &rules, case)?.is_empty());
            }
            report
                .lines
                .push(format!("# replayed the {} shared cases first ({differ} of them differed)", before.len()));
        }
    }
    for (name, case) in &cases {
        let diffs = check_case(addr, &creds, &rules, case).map_err(|e| format!("{name}: {e}"))?;
        let label = match case.get("deviation") {
            Some(d) if d.truthy() => format!("{name}  [deviation: {}]", d.py_str().unwrap_or_else(|| d.dumps(false))),
            _ => name.clone(),
        };
        if diffs.is_empty() {
            report.passed += 1;
            report.lines.push(format!("PASS {label}"));
        } else {
            report.failed += 1;
            report.lines.push(format!("FAIL {label}"));
            report.lines.extend(diffs.iter().map(|d| format!("    {d}")));
        }
    }
    report.lines.push(format!("{} passed, {} failed", report.passed, report.failed));
    Ok(report)
}

/// Sends one case and compares the answer: its differences, `request failed` when the server
/// could not be asked or did not answer HTTP.
fn check_case(addr: SocketAddr, creds: &Credentials, rules: &Rules, case: &Json) -> Result<Vec<String>, String> {
    let expect = Expect::from_json(case.get("expect").ok_or("no \"expect\"")?)?;
    Ok(match send_case(addr, creds, case.get("request").ok_or("no \"request\"")?)? {
        Ok(resp) => rules.compare(&expect, &resp),
        Err(e) => vec![format!("request failed: {e}")],
    })
}

/// The outer error: the case's request is malformed; the inner one: the exchange failed.
fn send_case(addr: SocketAddr, creds: &Credentials, request: &Json) -> Result<Result<Resp, String>, String> {
    let text = |key: &str| request.get(key).and_then(Json::as_str).ok_or(format!("request has no {key}"));
    let (method, path) = (text("method")?, creds.subst(text("path")?));
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(Json::Object(pairs)) = request.get("headers") {
        for (k, v) in pairs {
            let v = v.py_str().ok_or(format!("header {k} is not text"))?;
            headers.retain(|(name, _)| name != k);
            headers.push((k.clone(), creds.subst(&v)));
        }
    }
    for (k, v) in creds.headers(request.get_some("auth").and_then(Json::as_str))? {
        headers.retain(|(name, _)| *name != k);
        headers.push((k, v));
    }
    let body = match request.get_some("body") {
        None => None,
        Some(Json::Str(b)) => Some(creds.subst(b)),
        Some(other) => return Err(format!("request body is not text: {}", other.dumps(false))),
    };
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(send(addr, method, &path, &headers, body.as_deref().map(str::as_bytes)))
}

/// Makes the fixture's calls in order; the error reads as replay.py's `FAIL seed:` line.
fn apply_fixture(addr: SocketAddr, fixture: &Json, creds: &Credentials) -> Result<(), String> {
    let calls = match fixture.get("calls") {
        Some(c) if c.truthy() => c,
        _ => fixture.get("steps").unwrap_or(&Json::Null),
    };
    let calls: &[Json] = if let Json::Array(items) = calls { items } else { &[] };
    let mut saved: Vec<(String, Json)> = Vec::new();
    for (n, step) in calls.iter().enumerate() {
        let method = step.get("method").and_then(Json::as_str).ok_or(format!("fixture step {}: no method", n + 1))?;
        let path = bind(step.get("path").unwrap_or(&Json::Null), &saved)?.py_str().unwrap_or_default();
        let body = step.get_some("body").map(|b| bind(b, &saved)).transpose()?;
        let mut headers = vec![("X-Redmine-API-Key", creds.admin_key.as_str())];
        let data = body.map(|b| b.dumps(true));
        if data.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let place = format!("fixture step {} ({method} {path})", n + 1);
        let resp = send(addr, method, &path, &headers, data.as_deref().map(str::as_bytes))
            .map_err(|e| format!("{place}: request failed: {e}"))?;
        if !(200..300).contains(&resp.status) {
            return Err(format!("{place}: status {}, body {}", resp.status, short(&resp.text(), 160)));
        }
        let expect_id = step.get("expect_id");
        let save_id = step.get("save_id");
        if expect_id.is_none() && save_id.is_none() {
            continue;
        }
        let id = created_id(&resp.text()).map_err(|e| format!("{place}: {e}: {}", short(&resp.text(), 160)))?;
        if let Some(want) = expect_id {
            if !same_id(&id, want) {
                return Err(format!("{place}: created id {}, the cases need id {}", id.py_repr(), want.py_repr()));
            }
        }
        if let Some(name) = save_id {
            saved.push((name.py_str().unwrap_or_default(), id));
        }
    }
    Ok(())
}

/// The id of the record in a create answer such as `{"contact": {"id": 3, ...}}`.
fn created_id(body: &str) -> Result<Json, String> {
    let doc = Json::parse(body)?;
    match &doc {
        Json::Object(pairs) if pairs.len() == 1 => pairs[0].1.get("id").cloned(),
        _ => None,
    }
    .ok_or_else(|| "no {\"<record>\": {\"id\": ...}} in the answer".to_string())
}

/// Python's `==` on ids: numbers (and booleans) by value, the rest as they are.
fn same_id(a: &Json, b: &Json) -> bool {
    let num = |v: &Json| match v {
        Json::Int(i) => Some(*i as f64),
        Json::Float(f) => Some(*f),
        Json::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    };
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Replaces `"${name}"` (the whole string: the saved value itself) and `${name}` inside a
/// string (its text) by the ids saved by earlier fixture steps.
fn bind(value: &Json, saved: &[(String, Json)]) -> Result<Json, String> {
    let lookup = |name: &str| {
        saved.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone()).ok_or(format!("no saved id {name:?}"))
    };
    Ok(match value {
        Json::Object(pairs) => {
            Json::Object(pairs.iter().map(|(k, v)| Ok((k.clone(), bind(v, saved)?))).collect::<Result<_, String>>()?)
        }
        Json::Array(items) => Json::Array(items.iter().map(|v| bind(v, saved)).collect::<Result<_, _>>()?),
        Json::Str(s) => {
            if let Some(name) = var_name(s) {
                if name.len() + 3 == s.len() {
                    return lookup(name);
                }
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(at) = rest.find("${") {
                out.push_str(&rest[..at]);
                match var_name(&rest[at..]) {
                    Some(name) => {
                        out.push_str(&lookup(name)?.py_str().unwrap_or_default());
                        rest = &rest[at + name.len() + 3..];
                    }
                    None => {
                        out.push_str("${");
                        rest = &rest[at + 2..];
                    }
                }
            }
            out.push_str(rest);
            Json::Str(out)
        }
        other => other.clone(),
    })
}

/// The name in a `${name}` that starts `s` (letters, digits and `_`).
fn var_name(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("${")?;
    let end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    (end > 0 && inner[end..].starts_with('}')).then(|| &inner[..end])
}

/// The `NN-name.json` cases of a folder in file-name order, with their names (no `.json`).
pub fn load_cases(dir: &Path) -> Result<Vec<(String, Json)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            let digits = n.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && n[digits..].starts_with('-') && n.ends_with(".json")
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| Ok((n.strip_suffix(".json").unwrap_or(&n).to_string(), read_json(&dir.join(&n))?)))
        .collect()
}

pub fn read_json(path: &Path) -> Result<Json, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}
