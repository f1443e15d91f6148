//! The full-text index of a bulk load, built on a second thread.
//!
//! Indexing (trigram tokenizing) costs more than all the other inserts together, and one SQLite
//! file has one writer at a time. So a second thread runs the very same
//! `INSERT INTO contacts_search (rowid, body)` statements into an identical FTS5 table in a
//! scratch database file beside the target (attached to the load's connection before its
//! transaction, as ATTACH cannot happen inside one) while the main thread writes everything
//! else; at the end the main transaction replaces the (empty) index's shadow tables with the
//! built ones by `INSERT … SELECT *`, which SQLite performs as a transfer of whole records
//! when the two tables are alike. FTS5 keeps all of an index's state in those shadow tables,
//! so the copy is exactly the index the inserts would have built in place.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rusqlite::{params, Connection};

use crate::error::{Error, Result};

/// Rows handed to the search index builder at a time, and how many such batches may wait
/// (up to about a million rows, ~170 MB: the main thread must rarely wait for the builder;
/// an import, whose memory is bounded, lets fewer wait).
const FTS_BATCH: usize = 2048;
pub(super) const FTS_QUEUE: usize = 512;

type Batch = Vec<(i64, String)>;

/// The schema name the scratch file is attached under.
const SCRATCH: &str = "search_build";

/// The scratch database file the index is built in, attached to the load's connection; the
/// file is deleted when this is dropped. It is named after the database (`.NAME.search-build-…`
/// beside it) so that a load can remove what a crashed load of the same file left behind.
pub(super) struct Scratch {
    file: tempfile::TempPath,
    dir: PathBuf,
    prefix: String,
}

impl Scratch {
    /// Creates an empty scratch file beside the database `conn` has open (or in the temporary
    /// directory for an in-memory one) and attaches it. Call outside a transaction.
    pub(super) fn attach(conn: &Connection) -> Result<Scratch> {
        let (dir, name) = match conn.path().filter(|p| !p.is_empty()).map(Path::new) {
            Some(db) => (
                db.parent().filter(|d| !d.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                db.file_name().map_or_else(|| "contacts".into(), |n| n.to_string_lossy().into_owned()),
            ),
            None => (std::env::temp_dir(), "contacts".into()),
        };
        let prefix = format!(".{name}.search-build-");
        let file = tempfile::Builder::new()
            .prefix(&prefix)
            .tempfile_in(&dir)
            .map_err(|e| Error::Internal(format!("cannot create a scratch file in {}: {e}", dir.display())))?
            .into_temp_path();
        conn.execute(&format!("ATTACH DATABASE ? AS {SCRATCH}"), [file.to_string_lossy()])?;
        Ok(Scratch { file, dir, prefix })
    }

    /// Removes the scratch files of earlier loads of the same database that ended without
    /// removing theirs (killed). Call holding the database's write lock: no other load of it
    /// is then running.
    pub(super) fn remove_stale(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let stale = entry.file_name().to_string_lossy().starts_with(&self.prefix) && path != *self.file;
            if stale {
                match std::fs::remove_file(&path) {
                    Ok(()) => tracing::info!("removed {}, left by an earlier load", path.display()),
                    Err(e) => tracing::warn!("cannot remove {}, left by an earlier load: {e}", path.display()),
                }
            }
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.file
    }

    /// Detaches the file (after the load's transaction ended); dropping deletes it.
    pub(super) fn detach(self, conn: &Connection) {
        if let Err(e) = conn.execute_batch(&format!("DETACH DATABASE {SCRATCH}")) {
            tracing::warn!("after the load, detaching its scratch file failed: {e}");
        }
    }
}

pub(super) struct FtsBuilder {
    batch: Batch,
    sender: Option<std::sync::mpsc::SyncSender<Batch>>,
    worker: Option<std::thread::JoinHandle<Result<Connection>>>,
    /// Set when the load fails: the worker drops what is queued instead of indexing it.
    cancelled: Arc<AtomicBool>,
}

impl FtsBuilder {
    pub(super) fn start(scratch: &Scratch, create_sql: String, cache_kib: i64, queue: usize) -> Result<FtsBuilder> {
        let path = scratch.path().to_path_buf();
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Batch>(queue);
        let cancelled = Arc::new(AtomicBool::new(false));
        let stop = cancelled.clone();
        let worker = std::thread::Builder::new()
            .name("bulk-search-index".into())
            .spawn(move || -> Result<Connection> {
                let scratch = Connection::open(&path)?;
                scratch.execute_batch(&format!(
                    "PRAGMA journal_mode = OFF;
                     PRAGMA synchronous = OFF;
                     PRAGMA cache_size = -{cache_kib};
                     BEGIN;"
                ))?;
                scratch.execute_batch(&create_sql)?;
                // Bulk-build settings (they stay in the scratch table's own config, which is
                // not copied): flush pending terms every 4 MiB, never merge while loading, and
                // merge everything into one segment once at the end. That writes each term
                // twice instead of once per merge level, and leaves the fastest index to query.
                for (key, value) in [("hashsize", 4 * 1024 * 1024), ("automerge", 0), ("crisismerge", 1999)] {
                    scratch.execute(
                        "INSERT INTO contacts_search (contacts_search, rank) VALUES (?, ?)",
                        params![key, value],
                    )?;
                }
                {
                    let mut insert = scratch.prepare("INSERT INTO contacts_search (rowid, body) VALUES (?, ?)")?;
                    for batch in receiver {
                        if stop.load(Ordering::Relaxed) {
                            return Err(Error::Internal("cancelled".into()));
                        }
                        for (id, body) in batch {
                            insert.execute(params![id, body])?;
                        }
                    }
                }
                tracing::debug!("bulk load: search texts indexed");
                scratch.execute_batch("INSERT INTO contacts_search (contacts_search) VALUES ('optimize')")?;
                crate::store::search_levels::lift_the_segment(&scratch)?;
                scratch.execute_batch("COMMIT")?;
                tracing::debug!("bulk load: search index merged");
                Ok(scratch)
            })
            .map_err(|e| Error::Internal(format!("cannot start the search index thread: {e}")))?;
        Ok(FtsBuilder { batch: Vec::with_capacity(FTS_BATCH), sender: Some(sender), worker: Some(worker), cancelled })
    }

    pub(super) fn add(&mut self, id: i64, body: String) -> Result<()> {
        self.batch.push((id, body));
        if self.batch.len() >= FTS_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(FTS_BATCH));
        let sent = self.sender.as_ref().map(|s| s.send(batch).is_ok()).unwrap_or(false);
        if !sent {
            // The worker stopped early: its error says why.
            return Err(self.join().err().unwrap_or_else(|| Error::Internal("the search index thread stopped".into())));
        }
        Ok(())
    }

    fn join(&mut self) -> Result<Connection> {
        self.sender = None;
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::Internal("the search index thread panicked".into())),
            None => Err(Error::Internal("the search index thread is gone".into())),
        }
    }

    /// Hands over the last texts and lets the worker merge the index on its own.
    pub(super) fn input_done(mut self) -> Result<FtsBuilder> {
        if !self.batch.is_empty() {
            self.flush()?;
        }
        self.sender = None;
        Ok(self)
    }

    /// Waits for the index and copies its shadow tables into `conn`'s, replacing their rows.
    /// The config table stays as it is: it holds settings (and the format version, the same
    /// on both sides), not index data.
    pub(super) fn finish_into(mut self, conn: &Connection) -> Result<()> {
        if !self.batch.is_empty() {
            self.flush()?;
        }
        // The worker's connection closes with it: its file is complete and unlocked.
        drop(self.join()?);
        let tables: Vec<String> = conn
            .prepare(&format!(
                "SELECT name FROM {SCRATCH}.sqlite_master WHERE type = 'table'
                   AND name LIKE 'contacts\\_search\\_%' ESCAPE '\\' AND name <> 'contacts_search_config'"
            ))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for table in tables {
            let quoted = crate::store::schema::quote_name(&table);
            conn.execute_batch(&format!(
                "DELETE FROM main.{quoted}; INSERT INTO main.{quoted} SELECT * FROM {SCRATCH}.{quoted};"
            ))?;
        }
        Ok(())
    }
}

impl Drop for FtsBuilder {
    fn drop(&mut self) {
        // Still running when dropped means the load failed: let the worker stop early (it
        // ends by itself, and its temporary database goes with its connection).
        if self.worker.is_some() {
            self.cancelled.store(true, Ordering::Relaxed);
        }
    }
}
