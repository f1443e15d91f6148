//! The bulk load as the demo uses it, checked in the file: every row, its search text and card,
//! the full-text index, the indexes and triggers put back, determinism per seed, refusal of a
//! database with contacts, and a load into a file the service has open.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rusqlite::{params, Connection};

use crate::demo::generate;
use crate::domain::normalize_decimal;
use crate::error::Error;
use crate::store::search::index_text;

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A checksum of every row a query returns (all columns, in order).
fn checksum(conn: &Connection, sql: &str) -> u64 {
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let mut hasher = DefaultHasher::new();
    while let Some(row) = rows.next().unwrap() {
        for i in 0..columns {
            format!("{:?}", row.get_ref(i).unwrap()).hash(&mut hasher);
        }
    }
    hasher.finish()
}

const CONTACT_ROWS: &str = "SELECT * FROM contacts ORDER BY id";
const RELATED_ROWS: &str = "SELECT a.*, (SELECT group_concat(tag_id || ':' || position) FROM taggings t
                                WHERE t.contact_id = a.contact_id) FROM addresses a ORDER BY contact_id";

#[test]
fn five_hundred_contacts_with_projects_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let summary = generate(&path, 500, 7).unwrap();
    assert_eq!(summary.contacts, 500);
    assert!(summary.projects >= 3 && summary.users >= 3);
    let conn = Connection::open(&path).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM contacts"), 500);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM contacts c
              WHERE NOT EXISTS (SELECT 1 FROM contacts_projects p WHERE p.contact_id = c.id)"
        ),
        0
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM contacts_search"), 500);
    // Every contact has its card, as its rows make it, and the card triggers are back.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM (SELECT * FROM contact_card_source EXCEPT SELECT * FROM contact_cards)"),
        0
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM contact_cards"), 500);
    // The planner's statistics, the cards' row count among them (written, not counted).
    assert_eq!(count(&conn, "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = 'contact_cards'"), 500);
    assert_eq!(count(&conn, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'contacts'"), 4);
    assert_eq!(only_the_database_in(dir.path()), vec!["demo.db"]);
    // Loaded with a rollback journal, then back in the service's WAL mode.
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(count(&conn, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'card_%'"), 15);
    // The index built on the side is a sound FTS5 index, over the text `reindex` writes.
    conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", []).unwrap();
    let texts = if count(&conn, "SELECT count(*) FROM sqlite_master WHERE name = 'search_texts'") == 1 {
        assert_eq!(count(&conn, "SELECT count(*) FROM search_texts"), 500);
        "SELECT contact_id, body FROM search_texts"
    } else {
        "SELECT rowid, body FROM contacts_search"
    };
    let bodies: HashMap<i64, String> = conn
        .prepare(texts)
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT id, first_name, last_name, middle_name, company, email, phone, job_title FROM contacts")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut search =
        conn.prepare("SELECT rowid FROM contacts_search WHERE contacts_search MATCH ? AND rowid = ?").unwrap();
    let mut checked = 0;
    while let Some(r) = rows.next().unwrap() {
        let id: i64 = r.get(0).unwrap();
        let fields: Vec<Option<String>> = (1..8).map(|i| r.get(i).unwrap()).collect();
        let expected = index_text(&fields.iter().map(|f| f.as_deref()).collect::<Vec<_>>());
        assert_eq!(bodies.get(&id), Some(&expected));
        // Every contact is found by (a piece of) each of its e-mail addresses and its name.
        let email = fields[4].clone().unwrap().to_lowercase();
        let name = fields[0].clone().unwrap().to_lowercase();
        let name_piece: String = name.chars().take(4).collect();
        for word in email.split([',', '@']).chain([name_piece.as_str()]).filter(|w| w.chars().count() >= 3) {
            let phrase = format!("\"{}\"", word.replace('"', "\"\""));
            assert!(search.exists(params![phrase, id]).unwrap(), "contact {id}: {word} not found");
        }
        checked += 1;
    }
    assert_eq!(checked, 500);
    // The load-time settings did not leak into the index's config.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM contacts_search_config WHERE k IN ('hashsize', 'automerge', 'crisismerge')"),
        0
    );
    // The indexes and triggers set aside during the load are back: the schema is as new.
    let fresh = Connection::open_in_memory().unwrap();
    crate::store::migrate(&fresh).unwrap();
    let schema = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name";
    assert_eq!(checksum(&conn, schema), checksum(&fresh, schema));
    // The shape of the data.
    let companies = count(&conn, "SELECT count(*) FROM contacts WHERE is_company = 1");
    assert_eq!(companies, 75);
    assert!(
        count(
            &conn,
            "SELECT count(*) FROM contacts p WHERE is_company = 0
               AND company IN (SELECT first_name FROM contacts WHERE is_company = 1)"
        ) > 200
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM contacts WHERE email IS NULL OR email LIKE '% %'"), 0);
    assert_eq!(count(&conn, "SELECT count(*) FROM contacts WHERE phone IS NULL"), 0);
    let addresses = count(&conn, "SELECT count(*) FROM addresses WHERE full_address <> ''");
    assert!((340..=460).contains(&addresses), "{addresses} addresses");
    assert!(count(&conn, "SELECT count(*) FROM contacts WHERE first_name GLOB '*[А-я]*'") > 0);
    assert!(count(&conn, "SELECT count(DISTINCT tag_id) FROM taggings") >= 10);
    assert!(count(&conn, "SELECT max(n) FROM (SELECT count(*) n FROM taggings GROUP BY contact_id)") <= 3);
    assert!(count(&conn, "SELECT count(*) FROM custom_values WHERE customized_type = 'contact'") > 0);
    assert_eq!(summary.notes as i64, count(&conn, "SELECT count(*) FROM notes WHERE source_type = 'Contact'"));
    assert_eq!(summary.deals as i64, count(&conn, "SELECT count(*) FROM deals"));
    let prices: Vec<String> = conn
        .prepare("SELECT price FROM deals")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(!prices.is_empty());
    for p in prices {
        assert_eq!(normalize_decimal(&p).as_deref(), Some(p.as_str()));
    }
    assert_eq!(count(&conn, "SELECT count(*) FROM roles WHERE name = 'CRM manager'"), 1);
    assert!(count(&conn, "SELECT count(*) FROM member_roles") >= 3);
    assert_eq!(count(&conn, "SELECT count(*) FROM deal_statuses"), 3);
}

#[test]
fn the_same_seed_gives_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let sums = |name: &str, seed: u64| {
        let path = dir.path().join(name);
        generate(&path, 500, seed).unwrap();
        let conn = Connection::open(&path).unwrap();
        (checksum(&conn, CONTACT_ROWS), checksum(&conn, RELATED_ROWS))
    };
    let first = sums("a.db", 42);
    assert_eq!(first, sums("b.db", 42));
    let other = sums("c.db", 43);
    assert_ne!(first.0, other.0);
    assert_ne!(first.1, other.1);
}

#[test]
fn a_failed_load_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    generate(&path, 0, 1).unwrap();
    // What a killed load of this file left behind goes; another file's scratch file stays.
    std::fs::write(dir.path().join(".demo.db.search-build-left"), b"").unwrap();
    std::fs::write(dir.path().join(".other.db.search-build-x"), b"").unwrap();
    let outcome = super::changes::import_contacts(&path, {
        let (send, receive) = std::sync::mpsc::channel();
        let contacts = (0..5000)
            .map(|i| crate::domain::changes::ContactChanges {
                first_name: Some(format!("Ada{i}")),
                ..Default::default()
            })
            .collect();
        send.send(crate::store::ImportItem::Contacts(contacts)).unwrap_or_default();
        send.send(crate::store::ImportItem::Abort("refused".into())).unwrap_or_default();
        receive
    });
    assert!(matches!(outcome, Err(Error::Validation(_))), "{:?}", outcome.map(|c| c.created));
    let conn = Connection::open(&path).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM contacts"), 0);
    assert_eq!(count(&conn, "SELECT count(*) FROM contacts_search"), 0);
    // The empty load's statistics hold no row count for the empty cards, as ANALYZE's would not.
    assert_eq!(count(&conn, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'contact_cards'"), 0);
    assert_eq!(count(&conn, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'card_%'"), 15);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    assert_eq!(only_the_database_in(dir.path()), vec![".other.db.search-build-x", "demo.db"]);
}

/// The names of the files in `dir` other than the database's WAL and shared-memory files: the
/// search index's scratch file must be gone.
fn only_the_database_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
        .collect();
    names.sort();
    names
}

#[test]
fn refuses_a_database_with_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    generate(&path, 20, 1).unwrap();
    match generate(&path, 20, 1) {
        Err(Error::Validation(messages)) => {
            assert_eq!(messages, vec!["the database already holds contacts"])
        }
        other => panic!("expected a refusal, got {:?}", other.map(|s| s.contacts)),
    }
    let conn = Connection::open(&path).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM contacts"), 20);
}

#[test]
fn fills_a_database_the_service_has_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let store = crate::store::Store::open(&path, 2).unwrap();
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO users (login, firstname, lastname, admin, created_on, updated_on)
             VALUES ('admin', 'Redmine', 'Admin', 1, 0, 0)",
            [],
        )
        .unwrap();
    }
    // A search before the load, so that the reader has the (empty) index cached.
    let gmail = "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH '\"gmail.com\"'";
    assert_eq!(store.read(|c| Ok(count(c, gmail))).unwrap(), 0);

    let summary = generate(&path, 200, 42).unwrap();
    assert_eq!(summary.contacts, 200);
    store
        .read(|c| {
            assert_eq!(count(c, "SELECT count(*) FROM contacts"), 200);
            let by_admin = count(c, "SELECT count(*) FROM contacts WHERE author_id = 1");
            assert!(by_admin > 50, "{by_admin} contacts by the admin");
            assert_eq!(count(c, "SELECT count(*) FROM contacts_search"), 200);
            assert!(count(c, gmail) > 0);
            let email: String = c.query_row("SELECT email FROM contacts WHERE id = 50", [], |r| r.get(0))?;
            let word = email.split(['@', ',']).next().unwrap_or_default().to_lowercase();
            let found: i64 = c.query_row(
                "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH ? AND rowid = 50",
                [format!("\"{word}\"")],
                |r| r.get(0),
            )?;
            assert_eq!(found, 1, "{word}");
            Ok(())
        })
        .unwrap();

    // The service's own writes keep the loaded index in step.
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let rename = crate::domain::changes::ContactChanges { first_name: Some("Qwertyuiop".into()), ..Default::default() };
    runtime.block_on(store.update_contact(7, rename)).unwrap();
    runtime.block_on(store.delete_contact(8)).unwrap();
    store
        .read(|c| {
            let find = |word: &str| -> Vec<i64> {
                c.prepare("SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?")
                    .unwrap()
                    .query_map([format!("\"{word}\"")], |r| r.get(0))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap()
            };
            assert_eq!(find("qwertyuiop"), vec![7]);
            assert_eq!(count(c, "SELECT count(*) FROM contacts_search"), 199);
            Ok(())
        })
        .unwrap();
    Connection::open(&path)
        .unwrap()
        .execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", [])
        .unwrap();
}
