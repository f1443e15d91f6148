//! Opening a store: the SQLite file and its settings, the schema brought up to date, the writer
//! with its hooks, the reader pool, the background work that fills the caches, and the
//! process-wide SQLite set-up. How the file is shared with other processes is `locking.rs`.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use r2d2::Pool;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::{Error, Result};

use super::locking::{DbFile, Locking, ServerLock, SHARED_AUTOCHECKPOINT_PAGES};
use super::{cache, cards, census, listing, migrate, search, search_index, search_levels, Store, Tuning, Writer};

/// Prepared statements kept per connection (list queries vary by filter shape).
const STATEMENT_CACHE: usize = 256;

impl Store {
    /// Opens (creating if needed) the database file, brings its schema up to date, starts the
    /// writer and the reader pool; the list planner uses the shipped thresholds.
    pub fn open(path: &Path, readers: u32) -> Result<Store> {
        Store::open_tuned(path, readers, Tuning::default())
    }

    /// `open`, with the list planner's thresholds given.
    pub fn open_tuned(path: &Path, readers: u32, tuning: Tuning) -> Result<Store> {
        Store::open_with(path, readers, tuning, Locking::Exclusive)
    }

    /// `open_tuned`, sharing the file with other processes as `locking` says (see
    /// `locking.rs`).
    pub fn open_with(path: &Path, readers: u32, tuning: Tuning, locking: Locking) -> Result<Store> {
        init_sqlite();
        let file = DbFile { path: path.to_path_buf(), locking };
        let server_lock = match locking {
            Locking::Exclusive => None,
            Locking::Shared => Some(Arc::new(ServerLock::take(path)?)),
        };
        let conn = file
            .open(OpenFlags::default())
            .map_err(|e| Error::Internal(format!("cannot open {}: {e}", path.display())))?;
        if locking == Locking::Shared {
            // Litestream may hold a write lock for a moment (a checkpoint) even now. (In the
            // exclusive mode a busy file is another server's: that fails at once.)
            conn.busy_timeout(Duration::from_secs(5))?;
        }
        // The writer's page cache: 2 MB (4 MB gave no more creates or updates a second in the
        // 1M load benchmark; a write's random pages come from the OS page cache either way).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA cache_size = -2000;
             PRAGMA temp_store = MEMORY;",
        )
        .map_err(|e| match e.sqlite_error_code() {
            // The first read takes the process's exclusive lock (see `init_sqlite`).
            Some(rusqlite::ErrorCode::DatabaseBusy) => Error::Internal(format!(
                "{} is in use by another process (is another contacts server running on it?)",
                path.display()
            )),
            _ => e.into(),
        })?;
        if locking == Locking::Shared {
            conn.execute_batch(&format!("PRAGMA wal_autocheckpoint = {SHARED_AUTOCHECKPOINT_PAGES}"))?;
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let data_version = Arc::new(AtomicU64::new(1));
        let trigrams: Arc<cache::TrigramCache> = Arc::default();
        // Without a census, the trigrams written are of no use to anyone (see `census.rs`).
        let noted = if tuning.background_indexes { Arc::downgrade(&trigrams) } else { Weak::new() };
        register_search_fold(&conn, noted, Arc::downgrade(&data_version))?;
        migrate(&conn)?;
        // FTS5 would merge index segments inside whichever write happens to tip a level over,
        // and at a million contacts that merge rewrites the big segment for seconds. Turn it
        // off; the writer merges in bounded steps between batches instead (see `writer.rs`).
        // Written only when not yet so: each is a durable write, and an fsync on the start-up
        // path (right after the file was copied, say) cost up to 130 ms.
        for (option, value) in [("automerge", 0), ("crisismerge", 2000)] {
            let current: Option<i64> = conn
                .prepare("SELECT v FROM contacts_search_config WHERE k = ?")?
                .query_row([option], |r| r.get(0))
                .optional()?;
            if current != Some(value) {
                conn.execute("INSERT INTO contacts_search (contacts_search, rank) VALUES (?, ?)", (option, value))?;
            }
        }
        // A file an earlier version built in bulk has its search index on the level where
        // the writer's first merges would rewrite it whole (see `search_levels`). Only an
        // optimization: a store that cannot do it now serves all the same.
        if let Err(e) = search_levels::lift_in_file(&file) {
            tracing::warn!("search index segment not lifted: {e}");
        }

        let manager =
            file.pool_manager(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).with_init(|c| {
                // Small page caches (1 MB each: four readers' caches are a tenth of the 96 MB
                // the server may take at a million contacts) and no mmap: the OS page cache
                // holds the hot file pages without counting against the process's memory.
                c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                register_fold_case(c)?;
                c.execute_batch(
                    "PRAGMA busy_timeout = 5000;
                     PRAGMA cache_size = -1000;",
                )
            });
        let pool = Pool::builder()
            .max_size(readers.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        if tuning.background_indexes {
            census::spawn(file.clone(), Arc::downgrade(&trigrams), Arc::downgrade(&data_version));
        }
        let config_version = Arc::new(AtomicU64::new(1));
        let listing =
            listing::Listing::new(file.clone(), config_version.clone(), tuning.list_bucket, tuning.background_indexes);
        if tuning.background_indexes {
            listing::prepare_writer(&conn)?;
            listing.build_all();
        }
        Ok(Store {
            file,
            _server_lock: server_lock,
            readers: pool,
            writer: Writer::start(
                conn,
                data_version.clone(),
                (cards::refresh_stale, Box::new((search_index::IndexFeed, listing::ListingFeed(listing.clone())))),
                Box::new(merge_search_index),
            ),
            data_version,
            config_version,
            config_cache: Arc::default(),
            counts: Arc::default(),
            trigrams,
            listing,
            tuning,
        })
    }
}

/// Search index pages merged at most in one upkeep step between write batches: small steps that
/// keep the number of segments (and so the cost of a lookup) low without a long pause.
const MERGE_PAGES_PER_BATCH: i64 = 64;

/// One merge step of the search index; whether it found segments to merge (FTS5 documents
/// that a step with work to do changes at least two rows).
fn merge_search_index(conn: &Connection) -> bool {
    let before = conn.total_changes();
    match conn
        .execute("INSERT INTO contacts_search (contacts_search, rank) VALUES ('merge', ?)", [MERGE_PAGES_PER_BATCH])
    {
        Ok(_) => conn.total_changes() - before >= 2,
        Err(e) => {
            tracing::warn!("search index merge step failed: {e}");
            false
        }
    }
}

/// `search_fold(field, …)`: the search text of a contact's fields (see `search::index_text`),
/// for the writer's SQL; SQLite's own `lower()` folds ASCII only. Its trigrams are noted in
/// `trigrams` (see `TrigramCache::record_written`): the index terms are exactly those.
fn register_search_fold(
    conn: &Connection,
    trigrams: Weak<cache::TrigramCache>,
    version: Weak<AtomicU64>,
) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "search_fold",
        -1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            let fields: Vec<Option<String>> = (0..ctx.len()).map(|i| ctx.get(i)).collect::<rusqlite::Result<_>>()?;
            let text = search::index_text(&fields.iter().map(|f| f.as_deref()).collect::<Vec<_>>());
            if let (Some(cache), Some(version)) = (trigrams.upgrade(), version.upgrade()) {
                cache.record_written(version.load(Ordering::Acquire), search::trigrams_of(&text));
            }
            Ok(text)
        },
    )?;
    Ok(())
}

/// `fold_case(text)`: the text lower-cased beyond ASCII (SQLite's `lower()` folds ASCII only),
/// for reads that match words case-insensitively (the deal list's search).
fn register_fold_case(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "fold_case",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| s.to_lowercase())),
    )
}

/// Process-wide SQLite set-up, before the first connection of the process opens:
/// - SQLite keeps global memory statistics behind a mutex taken on every allocation; nothing
///   here reads them.
/// - Every connection uses the `unix-excl` VFS unless it names another (a store opened with
///   `Locking::Shared` names `unix`): the first one takes an exclusive lock on the file for the
///   whole process, and the WAL index lives in this process's heap. Other connections of this
///   process work as usual; other processes cannot open the file while it is in use. The
///   caches here assume this process is the file's only writer (they follow an in-process
///   data version), so the lock enforces what they need — and it spares each read transaction
///   the `fcntl` calls on the shared-memory file (about one per request). See `locking.rs`.
pub(crate) fn init_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called once, before any connection exists in this process
        // (this is the first SQLite use), with the documented argument type (int). The VFS
        // name is a NUL-terminated literal; a VFS found by name lives as long as the process.
        unsafe {
            rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::os::raw::c_int);
            let exclusive = rusqlite::ffi::sqlite3_vfs_find(c"unix-excl".as_ptr());
            if exclusive.is_null() || rusqlite::ffi::sqlite3_vfs_register(exclusive, 1) != rusqlite::ffi::SQLITE_OK {
                tracing::warn!("SQLite VFS unix-excl unavailable; using the default one");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support;

    #[test]
    fn opening_an_up_to_date_file_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(Store::open(&path, 1).unwrap());
        // Fold the log into the file (once the first store's background readers are gone);
        // a write on opening (a durable one: an fsync on the start-up path) would start a new one.
        test_support::wait_for("checkpoint of the log", || {
            let conn = Connection::open(&path).unwrap();
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0)).unwrap();
            busy == 0
        });
        let store = Store::open(&path, 1).unwrap();
        let wal = std::fs::metadata(dir.path().join("t.db-wal")).map(|m| m.len()).unwrap_or(0);
        assert_eq!(wal, 0, "the second opening wrote to the log");
        let automerge: i64 = store
            .read(|c| Ok(c.query_row("SELECT v FROM contacts_search_config WHERE k = 'automerge'", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(automerge, 0, "the search index still merges only when the writer says");
    }
}
