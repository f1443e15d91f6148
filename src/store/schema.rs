//! The schema: `schema.sql`, embedded in the binary, the version it creates, and the migrations
//! that bring an older file up to it.

use rusqlite::Connection;

use crate::error::{Error, Result};

use super::{cards, search_index};

pub(super) const SCHEMA: &str = include_str!("../../schema.sql");
/// The schema version `schema.sql` creates; `migrate` brings older files up to it.
/// 2: every field of a search text ends with a newline (version 1 had none after the last);
///    the custom values index covers a record's load.
/// 3: contact cards, the read model of contacts (`store/cards.rs`).
/// 4: the search index fed from a queue once per write transaction (`store/search_index.rs`).
/// 5: deal status history (`deal_processes`), saved queries (`crm_queries`), deal list indexes;
///    `taggings` with its key columns first (see `key_columns_first`).
/// 6: web interface sessions (`sessions`, `store/sessions.rs`).
pub(super) const SCHEMA_VERSION: i64 = 6;

/// The part of `schema` between `-- BEGIN {name}` and `-- END {name}`: a section an older
/// file gains in a migration (its statements are written to run on any older file).
pub(super) fn schema_section<'s>(schema: &'s str, name: &str) -> &'s str {
    let (begin, end) = (format!("-- BEGIN {name}"), format!("-- END {name}"));
    let start = schema.find(&begin).unwrap_or_else(|| panic!("schema.sql has the {name} section"));
    let length = schema[start..].find(&end).unwrap_or_else(|| panic!("the {name} section ends"));
    &schema[start..start + length]
}

/// A schema object's name quoted for SQL (`"…"`, inner quotes doubled).
pub(super) fn quote_name(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Drops every schema object `query` names (its rows: name, sql) and answers them, for
/// [`restore_objects`] to create again before the transaction ends.
pub(super) fn drop_objects(conn: &Connection, query: &str, kind: &str) -> Result<Vec<(String, String)>> {
    let objects: Vec<(String, String)> =
        conn.prepare(query)?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    for (name, _) in &objects {
        conn.execute_batch(&format!("DROP {kind} {}", quote_name(name)))?;
    }
    Ok(objects)
}

/// Creates again what [`drop_objects`] dropped.
pub(super) fn restore_objects(conn: &Connection, objects: &[(String, String)]) -> Result<()> {
    for (_, sql) in objects {
        conn.execute_batch(sql)?;
    }
    Ok(())
}

/// Brings the file's schema up to `SCHEMA_VERSION` (a new file gets the whole of `schema.sql`)
/// in one transaction; refuses a file newer than this binary.
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::Internal(format!(
            "the database is at schema version {version}, newer than this binary ({SCHEMA_VERSION})"
        )));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    if version == 0 {
        tx.execute_batch(SCHEMA)?;
    }
    if (1..2).contains(&version) {
        terminate_search_texts(&tx)?;
        tx.execute_batch(
            "DROP INDEX custom_values_customized;
             CREATE INDEX custom_values_customized
                 ON custom_values(customized_type, customized_id, id, custom_field_id, value);",
        )?;
    }
    if (1..3).contains(&version) {
        tx.execute_batch(cards::schema_section(SCHEMA))?;
        cards::rebuild_all(&tx)?;
    }
    if (1..4).contains(&version) {
        // The index is up to date here; from now on the writer feeds it from the queue.
        tx.execute_batch(
            "DROP TRIGGER search_texts_insert;
             DROP TRIGGER search_texts_update;
             DROP TRIGGER search_texts_delete;",
        )?;
        tx.execute_batch(search_index::schema_section(SCHEMA))?;
    }
    if (1..5).contains(&version) {
        tx.execute_batch(schema_section(SCHEMA, "crm v5"))?;
        key_columns_first(&tx, "taggings", "contact_id, position, tag_id")?;
    }
    if (1..6).contains(&version) {
        tx.execute_batch(schema_section(SCHEMA, "web sessions"))?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    tx.commit()?;
    if version > 0 {
        // A migration rewrites much of the file: move it out of the WAL now rather than have
        // every read look its pages up there until the next checkpoint.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(())
}

/// Version 4 → 5: rebuilds a WITHOUT ROWID table with its columns in `columns` order (the key
/// first), keeping its rows, indexes and triggers. SQLite before 3.42 misreads a NOT NULL
/// column declared between the key columns and reports every row in `integrity_check`; the
/// file is sound, but that is what a user checking it with an older `sqlite3` would see.
fn key_columns_first(conn: &Connection, table: &str, columns: &str) -> Result<()> {
    let dependents: Vec<(String, String, String)> = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL")?
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // Triggers go first, so that moving the rows fires none of them (the card triggers would
    // mark every tagged contact's card stale).
    for (kind, name, _) in &dependents {
        conn.execute_batch(&format!("DROP {kind} \"{name}\""))?;
    }
    // The rename runs in legacy mode: views that name the table (the card source) name it
    // again once it is back, and the current mode would refuse them while it is gone.
    let create =
        schema_table(SCHEMA, table).replacen(&format!("CREATE TABLE {table} "), "CREATE TABLE moved_table ", 1);
    conn.execute_batch(&format!(
        "{create};
         INSERT INTO moved_table ({columns}) SELECT {columns} FROM {table};
         DROP TABLE {table};
         PRAGMA legacy_alter_table = ON;
         ALTER TABLE moved_table RENAME TO {table};
         PRAGMA legacy_alter_table = OFF;"
    ))?;
    for (_, _, sql) in &dependents {
        conn.execute_batch(sql)?;
    }
    Ok(())
}

/// The `CREATE TABLE {table} (…) …;` statement of `schema`, without its semicolon.
fn schema_table<'s>(schema: &'s str, table: &str) -> &'s str {
    let start = schema.find(&format!("CREATE TABLE {table} (")).unwrap_or_else(|| panic!("schema.sql creates {table}"));
    let length = schema[start..].find(';').unwrap_or_else(|| panic!("the {table} statement ends"));
    &schema[start..start + length]
}

/// Version 1 → 2: a newline after the last field of every search text, and the trigram index
/// rebuilt from them in one pass (the update trigger would index each text twice over), then
/// merged into one segment: with automatic merging off (see `Store::open`) a rebuild leaves
/// hundreds of segments, and every lookup would read each of them.
fn terminate_search_texts(conn: &Connection) -> Result<()> {
    let trigger: String = conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'search_texts_update'",
        [],
        |r| r.get(0),
    )?;
    conn.execute_batch(
        "DROP TRIGGER search_texts_update;
         UPDATE search_texts SET body = body || char(10);
         INSERT INTO contacts_search (contacts_search) VALUES ('rebuild');
         INSERT INTO contacts_search (contacts_search) VALUES ('optimize');",
    )?;
    conn.execute_batch(&trigger)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_1_search_texts_gain_their_terminator_and_are_indexed_again() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(
            "INSERT INTO contacts (id, first_name, created_on, updated_on) VALUES (7, 'Kim', 0, 0);
             INSERT INTO search_texts (contact_id, body) VALUES (7, 'kim\npark\nhead of hr');
             PRAGMA user_version = 1;",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        let body: String = conn.query_row("SELECT body FROM search_texts", [], |r| r.get(0)).unwrap();
        assert_eq!((version, body.as_str()), (SCHEMA_VERSION, "kim\npark\nhead of hr\n"));
        let found: i64 = conn
            .query_row("SELECT rowid FROM contacts_search WHERE contacts_search MATCH '\"hr\n\"'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(found, 7);
        let triggers: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'search_texts'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(triggers, 3, "the update trigger is back");
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT custom_field_id, value FROM custom_values
                  WHERE customized_type = 'contact' AND customized_id = 7 ORDER BY id",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("COVERING INDEX custom_values_customized"), "{plan}");
    }

    #[test]
    fn version_2_contacts_get_their_cards() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        // A version 2 file: no card objects, contacts with their rows.
        let card_objects: Vec<(String, String)> = conn
            .prepare("SELECT type, name FROM sqlite_master WHERE name LIKE 'card_%' OR name LIKE 'contact_card%'")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for (kind, name) in &card_objects {
            conn.execute_batch(&format!("DROP {kind} {name}")).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO contacts (id, first_name, created_on, updated_on) VALUES (7, 'Kim', 0, 0), (8, 'Bo', 0, 0);
             INSERT INTO tags (id, name) VALUES (1, 'vip');
             INSERT INTO taggings (contact_id, tag_id, position) VALUES (8, 1, 0);
             PRAGMA user_version = 2;",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let tags: Vec<String> = conn
            .prepare("SELECT tags FROM contact_cards ORDER BY contact_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(tags, ["[]", r#"["vip"]"#]);
        let triggers: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'card_%'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!((card_objects.len(), triggers), (18, 15));
    }

    #[test]
    fn version_3_search_texts_move_to_the_index_queue() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        // A version 3 file: the index fed by the search texts' own triggers, no queue.
        conn.execute_batch(
            "DROP TRIGGER search_texts_insert; DROP TRIGGER search_texts_update; DROP TRIGGER search_texts_delete;
             DROP TABLE search_index_queue;
             CREATE TRIGGER search_texts_insert AFTER INSERT ON search_texts BEGIN
               INSERT INTO contacts_search (rowid, body) VALUES (new.contact_id, new.body);
             END;
             CREATE TRIGGER search_texts_update AFTER UPDATE ON search_texts BEGIN
               INSERT INTO contacts_search (contacts_search, rowid, body) VALUES ('delete', old.contact_id, old.body);
               INSERT INTO contacts_search (rowid, body) VALUES (new.contact_id, new.body);
             END;
             CREATE TRIGGER search_texts_delete AFTER DELETE ON search_texts BEGIN
               INSERT INTO contacts_search (contacts_search, rowid, body) VALUES ('delete', old.contact_id, old.body);
             END;
             INSERT INTO contacts (id, first_name, created_on, updated_on) VALUES (7, 'Kim', 0, 0);
             INSERT INTO search_texts VALUES (7, 'kim\n');
             PRAGMA user_version = 3;",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let matching = |word: &str| -> i64 {
            conn.query_row("SELECT count(*) FROM contacts_search WHERE contacts_search MATCH ?", [word], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(matching("\"kim\""), 1, "the index the old triggers built stays");
        conn.execute_batch("UPDATE search_texts SET body = 'kimberly\n' WHERE contact_id = 7").unwrap();
        let queued: Option<String> =
            conn.query_row("SELECT indexed FROM search_index_queue WHERE contact_id = 7", [], |r| r.get(0)).unwrap();
        assert_eq!(queued.as_deref(), Some("kim\n"), "queued with the text the index holds");
        search_index::flush(&conn).unwrap();
        assert_eq!((matching("\"kimberly\""), matching("\"kim\n\"")), (1, 0));
        conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", []).unwrap();
    }

    #[test]
    fn version_4_files_gain_deal_history_and_saved_queries() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(
            "DROP TABLE crm_queries_roles; DROP TABLE crm_queries; DROP TABLE deal_processes;
             DROP INDEX deals_status; DROP INDEX deals_created; DROP TABLE id_high_water;
             DROP TRIGGER contacts_high_water; DROP TRIGGER deals_high_water; DROP TRIGGER notes_high_water;
             PRAGMA user_version = 4;",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let objects: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN
                   ('crm_queries', 'crm_queries_roles', 'deal_processes', 'deals_status', 'deals_created',
                    'id_high_water', 'contacts_high_water', 'deals_high_water', 'notes_high_water')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!((objects, version), (9, SCHEMA_VERSION));
    }

    #[test]
    fn version_4_taggings_get_their_key_columns_first_and_keep_rows_indexes_and_triggers() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let objects = |conn: &Connection| -> Vec<String> {
            conn.prepare("SELECT type || ' ' || name FROM sqlite_master WHERE tbl_name = 'taggings' ORDER BY 1")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let before = objects(&conn);
        // A version 4 file: tag_id declared between the key's columns.
        conn.execute_batch(
            "DROP TABLE taggings;
             CREATE TABLE taggings (
               contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
               tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
               position   INTEGER NOT NULL,
               PRIMARY KEY (contact_id, position)
             ) WITHOUT ROWID;
             CREATE INDEX taggings_tag ON taggings(tag_id, contact_id);",
        )
        .unwrap();
        conn.execute_batch(schema_section(SCHEMA, "contact cards")).unwrap();
        conn.execute_batch(
            "INSERT INTO contacts (id, first_name, created_on, updated_on) VALUES (8, 'Bo', 0, 0);
             INSERT INTO tags (id, name) VALUES (1, 'vip'), (2, 'lead');
             INSERT INTO taggings (contact_id, tag_id, position) VALUES (8, 2, 0), (8, 1, 1);
             DELETE FROM contact_cards_stale;
             PRAGMA user_version = 4;",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('taggings') ORDER BY cid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(columns, ["contact_id", "position", "tag_id"]);
        assert_eq!(objects(&conn), before, "indexes and triggers are back");
        let stale: i64 = conn.query_row("SELECT count(*) FROM contact_cards_stale", [], |r| r.get(0)).unwrap();
        assert_eq!(stale, 0, "moving the rows fired no trigger");
        let tags: String = conn
            .query_row(
                "SELECT group_concat(tag_id) FROM (SELECT tag_id FROM taggings WHERE contact_id = 8 ORDER BY position)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tags, "2,1");
        conn.execute_batch("INSERT INTO taggings (contact_id, tag_id, position) VALUES (8, 1, 1)").unwrap_err();
    }

    #[test]
    fn version_5_files_gain_the_sessions_table() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(
            "DROP TABLE sessions;
             INSERT INTO users (id, login, firstname, lastname, created_on, updated_on) VALUES (3, 'kim', 'Kim', 'Park', 0, 0);
             PRAGMA user_version = 5;",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        conn.execute_batch(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_on, seen_on, expires_on)
             VALUES (x'01', 3, 'c', 0, 0, 1);",
        )
        .unwrap();
        let indexes: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(indexes, 2);
    }
}
