//! How the writer tells the list index what changed: temporary triggers on the writer's own
//! connection note every contact whose card a transaction wrote (a card is rewritten on any
//! change of a contact's rows, cascades included: `cards.rs`), and after the COMMIT the index
//! re-reads those contacts. A transaction that rolls back takes its notes with it.

use std::sync::Arc;

use rusqlite::Connection;

use super::Listing;
use crate::error::Result;
use crate::store::writer::BatchHooks;

/// Creates the notes table and its triggers on the writer's connection (TEMP: they exist on
/// this connection only and never in the file). The inserts test NOT EXISTS rather than use OR
/// IGNORE, which an outer statement's conflict clause would override; a trigger names its
/// table unqualified, and a TEMP one finds `temp.list_changes` first.
pub fn prepare(conn: &Connection) -> Result<()> {
    let note = |row: &str| {
        format!(
            "INSERT INTO list_changes SELECT {row}.contact_id
              WHERE NOT EXISTS (SELECT 1 FROM list_changes WHERE contact_id = {row}.contact_id);"
        )
    };
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS list_changes (contact_id INTEGER PRIMARY KEY);
         CREATE TEMP TRIGGER IF NOT EXISTS list_card_insert AFTER INSERT ON main.contact_cards BEGIN {new} END;
         CREATE TEMP TRIGGER IF NOT EXISTS list_card_update AFTER UPDATE ON main.contact_cards BEGIN {old} {new} END;
         CREATE TEMP TRIGGER IF NOT EXISTS list_card_delete AFTER DELETE ON main.contact_cards BEGIN {old} END;",
        new = note("new"),
        old = note("old"),
    ))?;
    Ok(())
}

/// The writer's hooks for the index.
pub struct ListingFeed(pub Arc<Listing>);

impl BatchHooks for ListingFeed {
    fn before_commit(&mut self, _conn: &Connection) -> Result<()> {
        Ok(())
    }

    fn after_commit(&mut self, conn: &Connection, committed: bool) {
        if !committed || !self.0.enabled {
            return;
        }
        let taken = (|| -> Result<Vec<i64>> {
            let ids = conn
                .prepare_cached("SELECT contact_id FROM temp.list_changes")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            if !ids.is_empty() {
                conn.prepare_cached("DELETE FROM temp.list_changes")?.execute([])?;
            }
            Ok(ids)
        })();
        match taken {
            Ok(ids) if ids.is_empty() => {}
            Ok(ids) => self.0.changed(conn, &ids),
            Err(e) => {
                tracing::warn!("reading the changed contacts failed ({e}); the list index is built anew");
                self.0.drop_and_rebuild();
            }
        }
    }
}
