use std::collections::BTreeSet;

use rusqlite::{params, Connection};

use super::holders_of_prefix;

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    /// A text of up to `max` characters from a small alphabet (one of them two bytes long, one
    /// a space), so that two-letter prefixes have many holders and long position lists.
    fn text(&mut self, max: u64) -> String {
        let alphabet = ['a', 'b', 'c', 'é', ' '];
        (0..self.below(max + 1)).map(|_| alphabet[self.below(alphabet.len() as u64) as usize]).collect()
    }
}

/// The search index as the schema makes it, its pages `page_size` bytes, merged only when
/// asked to (as the writer does).
fn index(page_size: i64) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE search_texts (contact_id INTEGER PRIMARY KEY, body TEXT NOT NULL);
         CREATE VIRTUAL TABLE contacts_search USING fts5(body, content = 'search_texts',
             content_rowid = 'contact_id', tokenize = 'trigram case_sensitive 1');
         INSERT INTO contacts_search (contacts_search, rank) VALUES ('automerge', 0);
         INSERT INTO contacts_search (contacts_search, rank) VALUES ('crisismerge', 64);",
    )
    .unwrap();
    conn.execute("INSERT INTO contacts_search (contacts_search, rank) VALUES ('pgsz', ?)", [page_size]).unwrap();
    conn
}

fn put(conn: &Connection, id: i64, text: &str) {
    remove(conn, id);
    conn.execute("INSERT INTO search_texts VALUES (?, ?)", params![id, text]).unwrap();
    conn.execute("INSERT INTO contacts_search (rowid, body) VALUES (?, ?)", params![id, text]).unwrap();
}

fn remove(conn: &Connection, id: i64) {
    let old: Option<String> =
        conn.query_row("SELECT body FROM search_texts WHERE contact_id = ?", [id], |r| r.get(0)).ok();
    if let Some(old) = old {
        conn.execute(
            "INSERT INTO contacts_search (contacts_search, rowid, body) VALUES ('delete', ?, ?)",
            params![id, old],
        )
        .unwrap();
        conn.execute("DELETE FROM search_texts WHERE contact_id = ?", [id]).unwrap();
    }
}

/// What the reader answers for `prefix`.
fn read(conn: &Connection, prefix: &str) -> BTreeSet<i64> {
    let mut found = BTreeSet::new();
    assert!(holders_of_prefix(conn, prefix, &mut |id| {
        found.insert(id);
    })
    .unwrap());
    found
}

/// The texts holding `prefix` followed by at least one more character (a trigram it begins).
fn expected(conn: &Connection, prefix: &str) -> BTreeSet<i64> {
    let mut stmt = conn.prepare("SELECT contact_id, body FROM search_texts").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).unwrap();
    let prefix: Vec<char> = prefix.chars().collect();
    rows.map(Result::unwrap)
        .filter(|(_, body)| {
            let chars: Vec<char> = body.chars().collect();
            chars.windows(prefix.len() + 1).any(|w| w[..prefix.len()] == prefix[..])
        })
        .map(|(id, _)| id)
        .collect()
}

/// What FTS5 itself answers: the union of `MATCH` over the trigrams beginning with `prefix`.
fn asked_of_fts5(conn: &Connection, prefix: &str) -> BTreeSet<i64> {
    let mut found = BTreeSet::new();
    for c in ['a', 'b', 'c', 'é', ' '] {
        let trigram = format!("\"{prefix}{c}\"");
        let mut stmt = conn.prepare("SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?").unwrap();
        found.extend(stmt.query_map([trigram], |r| r.get::<_, i64>(0)).unwrap().map(Result::unwrap));
    }
    found
}

fn prefixes() -> Vec<String> {
    let alphabet = ['a', 'b', 'c', 'é', ' '];
    alphabet.iter().flat_map(|a| alphabet.iter().map(move |b| format!("{a}{b}"))).collect()
}

fn check_every_prefix(conn: &Connection, round: usize) {
    for prefix in prefixes() {
        let wanted = expected(conn, &prefix);
        assert_eq!(read(conn, &prefix), wanted, "prefix {prefix:?}, round {round}");
        assert_eq!(asked_of_fts5(conn, &prefix), wanted, "FTS5 itself, prefix {prefix:?}, round {round}");
    }
}

#[test]
fn the_pages_answer_what_the_texts_hold_through_random_writes_and_merges() {
    for page_size in [64, 4050] {
        let conn = index(page_size);
        let mut dice = Dice(0x9e37_79b9_7f4a_7c15 ^ page_size as u64);
        for round in 0..40 {
            // A transaction of creates, changes and deletes: one new segment.
            conn.execute_batch("BEGIN").unwrap();
            for _ in 0..dice.below(60) + 1 {
                let id = dice.below(400) as i64 + 1;
                match dice.below(4) {
                    0 => remove(&conn, id),
                    _ => put(&conn, id, &dice.text(if page_size == 64 { 80 } else { 30 })),
                }
            }
            conn.execute_batch("COMMIT").unwrap();
            // Now and then the writer's upkeep: small merge steps (which leave segments
            // trimmed part-way) or, rarely, everything into one segment.
            match dice.below(8) {
                0..=2 => {
                    let pages = dice.below(16) as i64 + 1;
                    conn.execute("INSERT INTO contacts_search (contacts_search, rank) VALUES ('merge', ?)", [pages])
                        .unwrap();
                }
                3 if round % 10 == 9 => {
                    conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('optimize')", []).unwrap();
                }
                _ => {}
            }
            check_every_prefix(&conn, round);
        }
        conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", []).unwrap();
    }
}

#[test]
fn a_long_doclist_goes_on_over_many_pages() {
    let conn = index(64);
    conn.execute_batch("BEGIN").unwrap();
    for id in 1..=3000 {
        put(&conn, id * 3, if id % 7 == 0 { "ca bab" } else { "ab" });
    }
    conn.execute_batch("COMMIT").unwrap();
    let holding = read(&conn, "ba");
    assert_eq!(holding.len(), 428);
    assert_eq!(holding, expected(&conn, "ba"));
    assert_eq!(read(&conn, "ab"), BTreeSet::new(), "no text has a character after `ab`");
    assert_eq!(read(&conn, "zz"), BTreeSet::new());
}

#[test]
fn an_empty_index_has_no_holders_and_a_missing_page_is_refused() {
    let conn = index(64);
    assert_eq!(read(&conn, "ab"), BTreeSet::new());
    conn.execute_batch("BEGIN").unwrap();
    for id in 1..=500 {
        put(&conn, id, "abc abc abc");
    }
    conn.execute_batch("COMMIT").unwrap();
    assert_eq!(read(&conn, "ab").len(), 500);
    // A page of the one segment gone: the reader says it cannot answer rather than guess.
    let gone = conn.execute("DELETE FROM contacts_search_data WHERE id > 10 AND id & ((1 << 37) - 1) = 2", []).unwrap();
    assert_eq!(gone, 1);
    let mut calls = 0;
    // (` ab`, the first term, has its doclist on the first pages.)
    assert!(!holders_of_prefix(&conn, " a", &mut |_| calls += 1).unwrap());
}
