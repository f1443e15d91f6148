//! Discovery: what the scenarios ask for (ids, a busy project, a tag, an assignee, search
//! words, e-mails, names), read from the running server through a one-connection [`Probe`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::HeaderValue;
use serde_json::Value;

use super::driver::{build_request, connect, exchange, exchange_with_headers, show_answer, Sender};
use super::scenarios::{enc, Facts, Ids, RequestSpec};
use super::BENCH_ADMIN_KEY;

/// A small client for set-up requests (one connection, admin key).
pub(crate) struct Probe {
    addr: SocketAddr,
    host: HeaderValue,
    key: HeaderValue,
    sender: Option<Sender>,
}

impl Probe {
    pub(crate) fn new(addr: SocketAddr) -> Probe {
        Probe {
            addr,
            host: HeaderValue::from_str(&addr.to_string()).expect("valid host"),
            key: HeaderValue::from_static(BENCH_ADMIN_KEY),
            sender: None,
        }
    }

    pub(crate) async fn send(&mut self, spec: RequestSpec) -> Result<(u16, Bytes), String> {
        let what = spec.describe();
        if self.sender.is_none() {
            self.sender = Some(connect(self.addr).await?);
        }
        let req = build_request(spec, &self.host, Some(&self.key))?;
        let sender = self.sender.as_mut().expect("connected above");
        match tokio::time::timeout(Duration::from_secs(30), exchange(sender, req)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.sender = None;
                Err(format!("{what}: {e}"))
            }
            Err(_) => {
                self.sender = None;
                Err(format!("{what}: no answer within 30 s"))
            }
        }
    }

    /// Sends a request on a connection of its own and answers its headers too.
    async fn send_with_headers(&mut self, spec: RequestSpec) -> Result<(u16, hyper::HeaderMap, Bytes), String> {
        let what = spec.describe();
        let mut sender = connect(self.addr).await?;
        let req = build_request(spec, &self.host, Some(&self.key))?;
        match tokio::time::timeout(Duration::from_secs(30), exchange_with_headers(&mut sender, req)).await {
            Ok(answer) => answer.map_err(|e| format!("{what}: {e}")),
            Err(_) => Err(format!("{what}: no answer within 30 s")),
        }
    }

    /// GETs a JSON document, insisting on 200.
    async fn json(&mut self, path: &str) -> Result<Value, String> {
        let (status, body) = self.send(RequestSpec::get(path)).await?;
        if status != 200 {
            return Err(format!("GET {path} → {}", show_answer(status, &body)));
        }
        serde_json::from_slice(&body).map_err(|e| format!("GET {path}: not JSON: {e}"))
    }

    async fn total(&mut self, path_with_query: &str) -> Result<u64, String> {
        let sep = if path_with_query.contains('?') { '&' } else { '?' };
        let doc = self.json(&format!("{path_with_query}{sep}limit=1")).await?;
        doc["total_count"].as_u64().ok_or_else(|| format!("GET {path_with_query}: no total_count"))
    }
}

/// The administrator's password the benchmark sets, to sign in to the web interface.
const BENCH_ADMIN_PASSWORD: &str = "bench-admin-password";

/// The value of cookie `name` among an answer's `Set-Cookie` headers.
fn set_cookie(headers: &hyper::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(hyper::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Signs the administrator (`admin_id`) in to the web interface through its login form (after
/// giving it a known password); answers the session's `Cookie` header value.
async fn web_session(probe: &mut Probe, admin_id: i64, login: &str) -> Result<String, String> {
    let body = serde_json::json!({"user": {"password": BENCH_ADMIN_PASSWORD}});
    let (status, body) =
        probe.send(RequestSpec::json(hyper::Method::PUT, format!("/users/{admin_id}.json"), &body)).await?;
    if status != 204 {
        return Err(format!("cannot set the administrator's password: {}", show_answer(status, &body)));
    }
    let (status, headers, page) = probe.send_with_headers(RequestSpec::page("/login", "", None)).await?;
    let login_cookie = set_cookie(&headers, "contacts_login").ok_or("GET /login set no login cookie")?;
    let html = String::from_utf8_lossy(&page);
    let marker = "name=\"authenticity_token\" value=\"";
    let token = html.split(marker).nth(1).and_then(|rest| rest.split('"').next()).ok_or("no form token on /login")?;
    if status != 200 {
        return Err(format!("GET /login → {}", show_answer(status, &page)));
    }
    let form =
        format!("authenticity_token={}&username={}&password={}", enc(token), enc(login), enc(BENCH_ADMIN_PASSWORD));
    let cookie = format!("contacts_login={login_cookie}");
    let (status, headers, body) = probe.send_with_headers(RequestSpec::form("/login", &cookie, form)).await?;
    let session = set_cookie(&headers, "contacts_session")
        .ok_or_else(|| format!("POST /login started no session: {}", show_answer(status, &body)))?;
    Ok(format!("contacts_session={session}"))
}

pub(crate) async fn discover(probe: &mut Probe) -> Result<Facts, String> {
    let (status, body) = probe.send(RequestSpec::get("/users/current.json")).await?;
    if status != 200 {
        return Err(format!(
            "the benchmark's admin key is not accepted (GET /users/current.json → {}); \
             does the demo database have a user with login `admin`?",
            show_answer(status, &body)
        ));
    }
    let me: Value = serde_json::from_slice(&body).map_err(|e| format!("/users/current.json: {e}"))?;
    let admin_id = me["user"]["id"].as_i64().ok_or("/users/current.json: no id")?;
    let login = me["user"]["login"].as_str().unwrap_or("admin").to_string();
    let session = web_session(probe, admin_id, &login).await?;
    let first = probe.json("/contacts.json?sort=id&limit=1").await?;
    let total = first["total_count"].as_u64().unwrap_or(0);
    if total == 0 {
        return Err("the database has no contacts the administrator can see".into());
    }
    let min_id = first["contacts"][0]["id"].as_i64().ok_or("no contact id")?;
    let last = probe.json("/contacts.json?sort=id:desc&limit=1").await?;
    let max_id = last["contacts"][0]["id"].as_i64().ok_or("no contact id")?;
    let ids = if (max_id - min_id + 1) as u64 == total {
        Ids::Range(min_id, max_id)
    } else {
        let mut list = Vec::with_capacity(total as usize);
        let mut offset = 0;
        while offset < total {
            let page = probe.json(&format!("/contacts.json?sort=id&limit=100&offset={offset}")).await?;
            let items = page["contacts"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                break;
            }
            list.extend(items.iter().filter_map(|c| c["id"].as_i64()));
            offset += items.len() as u64;
        }
        Ids::List(Arc::new(list))
    };

    // A sample of contacts spread over the id range: e-mails, names and assignees come from it.
    let mut sample = Vec::new();
    for offset in [0, total / 3, 2 * total / 3] {
        let page = probe.json(&format!("/contacts.json?sort=id&limit=100&offset={offset}")).await?;
        sample.extend(page["contacts"].as_array().cloned().unwrap_or_default());
    }
    let emails: Vec<String> = sample
        .iter()
        .filter_map(|c| c["emails"][0]["address"].as_str().map(str::to_string))
        .filter(|e| !e.trim().is_empty())
        .collect();
    let names: Vec<String> = sample
        .iter()
        .filter(|c| c["is_company"] != Value::Bool(true))
        .filter_map(|c| match (c["first_name"].as_str(), c["last_name"].as_str()) {
            (Some(f), Some(l)) if !f.trim().is_empty() && !l.trim().is_empty() => Some(format!("{f} {l}")),
            _ => None,
        })
        .collect();
    let mut assignees: HashMap<i64, usize> = HashMap::new();
    for c in &sample {
        if let Some(id) = c["assigned_to"]["id"].as_i64() {
            *assignees.entry(id).or_default() += 1;
        }
    }
    let mut assignees: Vec<(i64, usize)> = assignees.into_iter().collect();
    assignees.sort_by_key(|&(id, n)| (std::cmp::Reverse(n), id));
    let assignee = assignees.first().map(|a| a.0).ok_or("no contact in the sample has an assignee")?;
    let assignee_matches = probe.total(&format!("/contacts.json?assigned_to_id={assignee}")).await?;

    let projects = probe.json("/projects.json?limit=100").await?;
    let projects = projects["projects"].as_array().cloned().unwrap_or_default();
    let mut best: Option<(String, u64)> = None;
    for p in projects.iter().take(10) {
        let Some(ident) = p["identifier"].as_str() else { continue };
        let n = probe.total(&format!("/contacts.json?project_id={}", enc(ident))).await?;
        if best.as_ref().is_none_or(|b| n > b.1) {
            best = Some((ident.to_string(), n));
        }
    }
    let (project_ident, project_matches) = best.ok_or("GET /projects.json lists no project")?;
    let create_project = if projects.iter().any(|p| p["id"].as_i64() == Some(1)) {
        1
    } else {
        projects.first().and_then(|p| p["id"].as_i64()).ok_or("no project id")?
    };

    let mut tag = "vip".to_string();
    let mut tag_matches = probe.total("/contacts.json?tags=vip").await?;
    if tag_matches == 0 {
        let tags = probe.json("/contacts_tags.json").await?;
        if let Some(name) = tags["tags"][0]["name"].as_str() {
            tag = name.to_string();
            tag_matches = probe.total(&format!("/contacts.json?tags={}", enc(&tag))).await?;
        }
    }

    let mut common_word = "mar".to_string();
    let mut common_matches = probe.total("/contacts.json?search=mar").await?;
    if common_matches == 0 {
        // The most frequent 3-letter start of a first name in the sample.
        let mut prefixes: HashMap<String, usize> = HashMap::new();
        for n in &names {
            let p: String = n.to_lowercase().chars().take(3).collect();
            if p.chars().count() == 3 && p.chars().all(char::is_alphabetic) {
                *prefixes.entry(p).or_default() += 1;
            }
        }
        let mut prefixes: Vec<(String, usize)> = prefixes.into_iter().collect();
        prefixes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some((p, _)) = prefixes.into_iter().next() {
            common_matches = probe.total(&format!("/contacts.json?search={}", enc(&p))).await?;
            common_word = p;
        }
    }
    let short_word = "an".to_string();
    let short_matches = probe.total("/contacts.json?search=an").await?;
    if emails.is_empty() {
        return Err("no contact in the sample has an e-mail".into());
    }
    if names.is_empty() {
        return Err("no person in the sample has both a first and a last name".into());
    }
    let rare_matches = probe.total(&format!("/contacts.json?search={}", enc(&emails[0]))).await?;
    let two_word_matches = probe.total(&format!("/contacts.json?search={}", enc(&names[0]))).await?;
    Ok(Facts {
        total,
        ids,
        project_ident,
        project_matches,
        create_project,
        tag,
        tag_matches,
        assignee,
        assignee_matches,
        common_word,
        common_matches,
        emails: Arc::new(emails),
        rare_matches,
        names: Arc::new(names),
        two_word_matches,
        short_word,
        short_matches,
        session,
    })
}
