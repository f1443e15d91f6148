//! The checks are no formality: each kind of damage a crash could leave, made by hand in a
//! copy of a clean file, is reported by `check_file`, and a restarted server's answers that
//! disagree with the file are reported by `check_api`.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use serde_json::json;

use crate::checks::{check_api, check_file};
use crate::client::expect;
use crate::process::Served;

/// SQL that damages a clean file (contacts 1 and 2, a note on 1), and a problem it must cause.
const DAMAGE: [(&str, &str); 8] = [
    ("UPDATE contacts SET job_title = 'changed' WHERE id = 1", "cards that disagree"),
    ("DELETE FROM contact_cards WHERE contact_id = 2", "contacts without their card"),
    ("INSERT INTO contact_cards_stale VALUES (2)", "stale card marks"),
    ("DELETE FROM search_texts WHERE contact_id = 2; DELETE FROM search_index_queue", "contacts without a search text"),
    (
        "INSERT INTO contacts_search (contacts_search, rowid, body)
             SELECT 'delete', contact_id, body FROM search_texts WHERE contact_id = 2",
        "FTS5 integrity-check",
    ),
    (
        "UPDATE search_texts SET body = 'x' WHERE contact_id = 1; DELETE FROM search_index_queue",
        "miss their contact's names",
    ),
    ("PRAGMA foreign_keys = OFF; DELETE FROM contacts WHERE id = 1", "notes of deleted contacts"),
    ("DELETE FROM contacts_projects WHERE contact_id = 2", "contacts without a project"),
];

fn create(served: &Served, first_name: &str, last_name: &str, tags: &str) -> i64 {
    let contact = json!({"contact": {"project_id": "crash", "project_ids": [1, 2], "first_name": first_name,
                                     "last_name": last_name, "job_title": "clerk", "tag_list": tags,
                                     "address_attributes": {"city": "Oslo"}}});
    expect(served.addr, "POST", "/contacts.json", Some(&contact), 201)["contact"]["id"].as_i64().unwrap()
}

#[test]
fn the_checks_report_the_damage_they_look_for() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clean.db");
    let mut served = Served::start(&db);
    crate::setup(&served);
    let first = create(&served, "Anna", "qz9c0001g000", "red, vip");
    create(&served, "Boris", "qz9c0002g000", "green");
    let note = json!({"source_type": "Contact", "source_id": first, "project_id": "crash", "note": {"content": "hi"}});
    expect(served.addr, "POST", "/notes.json", Some(&note), 201);
    assert!(served.stop(Duration::from_secs(10)).success());

    let (snapshot, problems) = check_file(&db);
    assert_eq!((snapshot.contacts.len(), problems), (2, Vec::<String>::new()), "the clean file");
    let served = Served::start(&db);
    assert_eq!(check_api(served.addr, &snapshot), Vec::<String>::new(), "the clean file's server");
    let mut wrong = snapshot;
    wrong.contacts.get_mut(&first).unwrap().tags.reverse();
    wrong.counts[1].1 += 1;
    wrong.used_tags.push("ghost".into());
    let reported = check_api(served.addr, &wrong);
    for expected in ["is shown as", "project_id=crash&limit=1: total_count 2, SQL counts 3", "tags in use"] {
        assert!(reported.iter().any(|p| p.contains(expected)), "{expected:?} not in {reported:#?}");
    }
    drop(served);

    let conn = Connection::open(&db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    drop(conn);
    for (i, (sql, expected)) in DAMAGE.iter().enumerate() {
        let copy = dir.path().join(format!("damaged-{i}.db"));
        std::fs::copy(&db, &copy).unwrap();
        damage(&copy, sql);
        let (_, problems) = check_file(&copy);
        assert!(problems.iter().any(|p| p.contains(expected)), "{sql}: {expected:?} not in {problems:#?}");
    }
}

fn damage(db: &Path, sql: &str) {
    Connection::open(db).unwrap().execute_batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}
