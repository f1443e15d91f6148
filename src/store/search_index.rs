//! The trigram index (`contacts_search`) fed once per write transaction from the queue of
//! changed search texts (schema.sql section "search index queue"): FTS5 writes its pending
//! terms out at every savepoint, and every request's job runs in one (see `writer`), so
//! indexing inside the jobs made one index segment per job.

use rusqlite::Connection;

use super::writer::BatchHooks;
use crate::error::Result;

/// The schema section of the queue and the triggers that fill it.
pub(crate) fn schema_section(schema: &str) -> &str {
    super::schema::schema_section(schema, "search index queue")
}

/// The writer's hooks for the queue: the index is flushed before COMMIT.
pub(crate) struct IndexFeed;

impl BatchHooks for IndexFeed {
    fn before_commit(&mut self, conn: &Connection) -> Result<()> {
        flush(conn)
    }

    fn after_commit(&mut self, _conn: &Connection, _committed: bool) {}
}

/// Brings the index in step with the queued texts and empties the queue: the indexed text of
/// each queued contact is withdrawn, its current one (if it still has one) added. Runs in the
/// writer's transaction after the batch's jobs, before the commit. Costs one statement on an
/// empty queue.
pub(crate) fn flush(conn: &Connection) -> Result<()> {
    let queued: bool =
        conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM search_index_queue)")?.query_row([], |r| r.get(0))?;
    if !queued {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO contacts_search (contacts_search, rowid, body)
         SELECT 'delete', contact_id, indexed FROM search_index_queue WHERE indexed IS NOT NULL",
    )?
    .execute([])?;
    // CROSS JOIN keeps the queue the outer loop: the planner has no statistics for it and
    // would otherwise walk all search texts (5 ms a transaction at a million contacts).
    conn.prepare_cached(
        "INSERT INTO contacts_search (rowid, body)
         SELECT st.contact_id, st.body
           FROM search_index_queue q CROSS JOIN search_texts st ON st.contact_id = q.contact_id",
    )?
    .execute([])?;
    conn.prepare_cached("DELETE FROM search_index_queue")?.execute([])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::domain::changes::ContactChanges;
    use crate::error::Error;
    use crate::store::contacts::{create, delete, update};
    use crate::store::test_support::{wait_for, written};
    use crate::store::Store;

    fn name(first: &str) -> ContactChanges {
        ContactChanges { first_name: Some(first.into()), project_ids: Some(vec![1]), ..Default::default() }
    }

    #[test]
    fn the_index_follows_each_committed_transaction_and_nothing_of_a_failed_job() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 1).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        // Created, renamed twice and another created and deleted, all in one transaction.
        let kept = runtime
            .block_on(store.write(|c| {
                c.execute(
                    "INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (1, 'P', 'p', 0, 0)",
                    [],
                )?;
                let kept = create(c, &name("Alphonse"))?;
                // (What each job's end does: `update` reads the contact's card.)
                crate::store::cards::refresh_stale(c)?;
                update(c, kept, &name("Bertrand"))?;
                update(c, kept, &name("Cyprien"))?;
                let gone = create(c, &name("Dorothea"))?;
                delete(c, gone)?;
                Ok(kept)
            }))
            .unwrap();
        // A job that renames and then fails leaves neither the name nor a queued text.
        let failed = runtime.block_on(store.write(move |c| {
            update(c, kept, &name("Evariste"))?;
            Err::<(), _>(Error::BadRequest("no".into()))
        }));
        assert!(failed.is_err());
        store
            .read(|c| {
                let matching = |word: &str| -> i64 {
                    c.query_row(
                        "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH ?",
                        [format!("\"{word}\"")],
                        |r| r.get(0),
                    )
                    .unwrap()
                };
                let counts: Vec<i64> =
                    ["alphonse", "bertrand", "cyprien", "dorothea", "evariste"].iter().map(|w| matching(w)).collect();
                assert_eq!(counts, [0, 0, 1, 0, 0]);
                let queued: i64 = c.query_row("SELECT count(*) FROM search_index_queue", [], |r| r.get(0))?;
                assert_eq!(queued, 0);
                Ok(())
            })
            .unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", []).unwrap();
    }

    #[test]
    fn merges_put_off_under_a_burst_of_writes_are_caught_up_once_the_writer_is_idle() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 1).unwrap();
        written(&store, |c| {
            c.execute(
                "INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (1, 'P', 'p', 0, 0)",
                [],
            )?;
            Ok(())
        });
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        // 16 clients creating 25 contacts each, one after another: many small batches, each
        // leaving a new index segment, and while jobs wait the writer merges after every few
        // batches only.
        let clients: Vec<_> = (0..16)
            .map(|client| {
                let store = store.clone();
                runtime.spawn(async move {
                    for i in 0..25 {
                        let first = format!("Burst{client:02}x{i:02}");
                        store.write(move |c| create(c, &name(&first))).await?;
                    }
                    Ok::<_, Error>(())
                })
            })
            .collect();
        for client in clients {
            runtime.block_on(client).unwrap().unwrap();
        }
        let segments = || -> i64 {
            store
                .read(|c| Ok(c.query_row("SELECT count(DISTINCT segid) FROM contacts_search_idx", [], |r| r.get(0))?))
                .unwrap()
        };
        wait_for("merge down to 8 index segments", || segments() <= 8);
        let found: i64 = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH '\"burst\"'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(found, 400);
    }
}
