//! What must hold of a database file after a crash, read with SQLite directly while no server
//! runs (the server keeps the file locked), and what the restarted server must answer about it.
//!
//! In the file: `PRAGMA integrity_check` and `foreign_key_check`, FTS5's own integrity check
//! of the search index against `search_texts`, one search text and one card per contact (each
//! card equal to what `contact_card_source` makes of the contact's rows), no stale marks and
//! no queued index changes left over, no note of a missing contact, no contact without a
//! project, and every contact found by its word in the index. Through the API: each contact
//! shows its stored state and a search for its word finds it alone; list counts (all, by
//! project, by tag, by a searched name) and the used tags equal plain SQL over the file.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;

use crate::client::{expect, total_count};
use crate::writers::{State, FIRST_NAMES, PROJECTS, TAGS};

/// A database file as SQL sees it.
pub struct Snapshot {
    pub contacts: BTreeMap<i64, State>,
    /// API list paths and the `total_count` each must answer.
    pub counts: Vec<(String, i64)>,
    /// Names of the tags some contact carries, sorted.
    pub used_tags: Vec<String>,
}

impl Snapshot {
    /// The contacts whose word starts with `prefix`.
    pub fn find(&self, prefix: &str) -> Vec<(i64, State)> {
        self.contacts.iter().filter(|(_, s)| s.last_name.starts_with(prefix)).map(|(id, s)| (*id, s.clone())).collect()
    }
}

/// Sums of rows that must be zero, each with what it means when it is not.
const MUST_BE_ZERO: [(&str, &str); 9] = [
    (
        "SELECT count(*) FROM (SELECT * FROM contact_cards EXCEPT SELECT * FROM contact_card_source)",
        "cards that disagree with their contact's rows",
    ),
    (
        "SELECT count(*) FROM (SELECT * FROM contact_card_source EXCEPT SELECT * FROM contact_cards)",
        "contacts without their card",
    ),
    ("SELECT count(*) FROM contact_cards_stale", "stale card marks left over"),
    ("SELECT count(*) FROM search_index_queue", "search index changes left in the queue"),
    (
        "SELECT count(*) FROM contacts WHERE id NOT IN (SELECT contact_id FROM search_texts)",
        "contacts without a search text",
    ),
    (
        "SELECT count(*) FROM search_texts WHERE contact_id NOT IN (SELECT id FROM contacts)",
        "search texts without a contact",
    ),
    (
        "SELECT count(*) FROM contacts c JOIN search_texts s ON s.contact_id = c.id
          WHERE instr(s.body, lower(c.first_name)) = 0 OR instr(s.body, lower(c.last_name)) = 0
             OR instr(s.body, lower(coalesce(c.job_title, ''))) = 0",
        "search texts that miss their contact's names or job title",
    ),
    (
        "SELECT count(*) FROM notes WHERE source_type = 'Contact' AND source_id NOT IN (SELECT id FROM contacts)",
        "notes of deleted contacts",
    ),
    (
        "SELECT count(*) FROM contacts WHERE id NOT IN (SELECT contact_id FROM contacts_projects)",
        "contacts without a project",
    ),
];

/// Opens `db` (no server may run on it), checks it and reads it; the WAL is left for the
/// next server to recover, as after a crash.
pub fn check_file(db: &Path) -> (Snapshot, Vec<String>) {
    let conn = Connection::open(db).expect("open the database file");
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true).expect("keep the WAL on close");
    let mut problems = Vec::new();
    let integrity: Vec<String> = rows(&conn, "PRAGMA integrity_check", |r| r.get(0));
    if integrity != ["ok"] {
        problems.push(format!("integrity_check: {integrity:?}"));
    }
    let dangling: Vec<String> = rows(&conn, "PRAGMA foreign_key_check", |r| {
        Ok(format!("{} row {:?} -> {}", r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, String>(2)?))
    });
    if !dangling.is_empty() {
        problems.push(format!("foreign_key_check: {dangling:?}"));
    }
    // rank 1: also against the external content (search_texts); without it only the index's
    // own structure is checked.
    if let Err(e) =
        conn.execute("INSERT INTO contacts_search (contacts_search, rank) VALUES ('integrity-check', 1)", [])
    {
        problems.push(format!("FTS5 integrity-check of contacts_search: {e}"));
    }
    for (sql, meaning) in MUST_BE_ZERO {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"));
        if n != 0 {
            problems.push(format!("{n} {meaning}"));
        }
    }
    let contacts = read_contacts(&conn);
    for (id, state) in &contacts {
        let phrase = format!("\"{}\"", state.last_name.to_lowercase());
        let hits: Vec<i64> =
            rows(&conn, &format!("SELECT rowid FROM contacts_search WHERE contacts_search MATCH '{phrase}'"), |r| {
                r.get(0)
            });
        if hits != [*id] {
            problems.push(format!("the search index finds {hits:?} for contact {id}'s word {phrase}"));
        }
    }
    let count = |sql: &str, arg: &str| -> i64 { conn.query_row(sql, [arg], |r| r.get(0)).unwrap() };
    let mut counts = vec![("/contacts.json?limit=1".to_string(), contacts.len() as i64)];
    for (id, identifier) in PROJECTS {
        let n = count("SELECT count(*) FROM contacts_projects WHERE project_id = ?", &id.to_string());
        counts.push((format!("/contacts.json?project_id={identifier}&limit=1"), n));
    }
    let tagged = "SELECT count(*) FROM taggings t JOIN tags g ON g.id = t.tag_id WHERE g.name = ?";
    let tagged_in_other = "SELECT count(*) FROM taggings t JOIN tags g ON g.id = t.tag_id
         WHERE g.name = ? AND t.contact_id IN (SELECT contact_id FROM contacts_projects WHERE project_id = 2)";
    for tag in TAGS {
        counts.push((format!("/contacts.json?tags={tag}&limit=1"), count(tagged, tag)));
        counts.push((
            format!("/contacts.json?project_id={}&tags={tag}&limit=1", PROJECTS[1].1),
            count(tagged_in_other, tag),
        ));
    }
    for name in FIRST_NAMES {
        let n = count("SELECT count(*) FROM contacts WHERE first_name = ?", name);
        counts.push((format!("/contacts.json?search={}&limit=1", name.to_lowercase()), n));
    }
    let used_tags =
        rows(&conn, "SELECT name FROM tags WHERE id IN (SELECT tag_id FROM taggings) ORDER BY name", |r| r.get(0));
    (Snapshot { contacts, counts, used_tags }, problems)
}

fn rows<T>(conn: &Connection, sql: &str, f: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>) -> Vec<T> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let found = stmt.query_map([], f).and_then(Iterator::collect);
    found.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn read_contacts(conn: &Connection) -> BTreeMap<i64, State> {
    let ids: Vec<i64> = rows(conn, "SELECT id FROM contacts ORDER BY id", |r| r.get(0));
    let mut contacts = BTreeMap::new();
    for id in ids {
        fn list<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str, id: i64) -> Vec<T> {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            stmt.query_map([id], |r| r.get(0)).and_then(Iterator::collect).unwrap()
        }
        let (first_name, last_name, job_title) = conn
            .query_row("SELECT first_name, last_name, coalesce(job_title, '') FROM contacts WHERE id = ?", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        let city: Option<Option<String>> =
            conn.query_row("SELECT city FROM addresses WHERE contact_id = ?", [id], |r| r.get(0)).optional().unwrap();
        let state = State {
            first_name,
            last_name,
            job_title,
            city: city.flatten(),
            tags: list(
                conn,
                "SELECT g.name FROM taggings t JOIN tags g ON g.id = t.tag_id WHERE t.contact_id = ? ORDER BY t.position",
                id,
            ),
            projects: list(conn, "SELECT project_id FROM contacts_projects WHERE contact_id = ? ORDER BY project_id", id),
            notes: list(conn, "SELECT content FROM notes WHERE source_type = 'Contact' AND source_id = ? ORDER BY id", id),
        };
        contacts.insert(id, state);
    }
    contacts
}

/// What a restarted server answers about the contacts and counts of `snapshot`.
pub fn check_api(addr: SocketAddr, snapshot: &Snapshot) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, state) in &snapshot.contacts {
        let shown =
            shown_state(&expect(addr, "GET", &format!("/contacts/{id}.json?include=notes"), None, 200)["contact"]);
        if shown != *state {
            problems.push(format!("contact {id} is shown as {shown:?}; the file holds {state:?}"));
        }
        let found = expect(addr, "GET", &format!("/contacts.json?search={}", state.last_name), None, 200);
        let ids: Vec<i64> =
            found["contacts"].as_array().into_iter().flatten().filter_map(|c| c["id"].as_i64()).collect();
        if ids != [*id] || found["total_count"] != 1 {
            problems.push(format!(
                "search={} finds {ids:?} (total_count {}), not contact {id}",
                state.last_name, found["total_count"]
            ));
        }
    }
    for (path, n) in &snapshot.counts {
        let answered = total_count(addr, path);
        if answered != *n {
            problems.push(format!("{path}: total_count {answered}, SQL counts {n}"));
        }
    }
    let tags = expect(addr, "GET", "/contacts_tags.json", None, 200);
    let mut names: Vec<String> =
        tags["tags"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).map(String::from).collect();
    names.sort();
    if names != snapshot.used_tags || tags["total_count"] != names.len() {
        problems.push(format!("contacts_tags: {tags}; tags in use: {:?}", snapshot.used_tags));
    }
    problems
}

/// The state a contact's JSON (with its notes) shows.
fn shown_state(c: &Value) -> State {
    let mut notes: Vec<(i64, String)> = c["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| (n["id"].as_i64().unwrap_or(0), n["content"].as_str().unwrap_or("").to_string()))
        .collect();
    notes.sort();
    State {
        first_name: c["first_name"].as_str().unwrap_or("").into(),
        last_name: c["last_name"].as_str().unwrap_or("").into(),
        job_title: c["job_title"].as_str().unwrap_or("").into(),
        city: c["address"]["full_address"]["city"].as_str().map(String::from),
        tags: c["tag_list"].as_array().into_iter().flatten().filter_map(Value::as_str).map(String::from).collect(),
        projects: c["projects"].as_array().into_iter().flatten().filter_map(|p| p["id"].as_i64()).collect(),
        notes: notes.into_iter().map(|(_, content)| content).collect(),
    }
}
