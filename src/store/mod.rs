//! Storage: one SQLite file in WAL mode. Reads run on a pool of read-only connections; every
//! write goes through the single [`writer::Writer`]. Only this module builds SQL: handlers talk
//! to it through typed functions per aggregate (contacts, users, projects, …).

pub mod access;
pub mod bulk;
pub mod cache;
pub(crate) mod cards;
mod census;
pub mod contacts;
pub mod custom_fields;
pub mod deals;
pub(crate) mod name_order;
pub mod notes;
pub mod projects;
pub mod search;
pub(crate) mod search_index;
pub mod users;
pub mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::domain::Contact;
use crate::error::{Error, Result};
use name_order::NameOrder;

pub use writer::Writer;

const SCHEMA: &str = include_str!("../../schema.sql");
/// The schema version `schema.sql` creates; `migrate` brings older files up to it.
/// 2: every field of a search text ends with a newline (version 1 had none after the last);
///    the custom values index covers a record's load.
/// 3: contact cards, the read model of contacts (`store/cards.rs`).
/// 4: the search index fed from a queue once per write transaction (`store/search_index.rs`).
const SCHEMA_VERSION: i64 = 4;

/// Prepared statements kept per connection (list queries vary by filter shape).
const STATEMENT_CACHE: usize = 256;

#[derive(Clone)]
pub struct Store {
    readers: Pool<SqliteConnectionManager>,
    writer: Writer,
    /// Bumped after each committed write batch; caches compare it to know they are stale.
    data_version: Arc<AtomicU64>,
    /// Bumped after each committed change of users, projects, roles, memberships or custom
    /// field definitions (see `write_config`).
    config_version: Arc<AtomicU64>,
    pub config_cache: Arc<cache::ConfigCache>,
    pub counts: Arc<cache::CountCache>,
    pub fragments: Arc<cache::FragmentCache>,
    pub trigrams: Arc<cache::TrigramCache>,
    pub name_order: Arc<NameOrder>,
}

impl Store {
    /// Opens (creating if needed) the database file, brings its schema up to date, starts the
    /// writer and the reader pool.
    pub fn open(path: &Path, readers: u32) -> Result<Store> {
        init_sqlite();
        let conn =
            Connection::open(path).map_err(|e| Error::Internal(format!("cannot open {}: {e}", path.display())))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA cache_size = -4000;",
        )
        .map_err(|e| match e.sqlite_error_code() {
            // The first read takes the process's exclusive lock (see `init_sqlite`).
            Some(rusqlite::ErrorCode::DatabaseBusy) => Error::Internal(format!(
                "{} is in use by another process (is another contacts server running on it?)",
                path.display()
            )),
            _ => e.into(),
        })?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let data_version = Arc::new(AtomicU64::new(1));
        let trigrams: Arc<cache::TrigramCache> = Arc::default();
        register_search_fold(&conn, Arc::downgrade(&trigrams), Arc::downgrade(&data_version))?;
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

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                // Small page caches and no mmap: the OS page cache holds the hot file pages
                // without counting against the process's resident memory.
                c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                c.execute_batch(
                    "PRAGMA busy_timeout = 5000;
                     PRAGMA cache_size = -4000;",
                )
            });
        let pool = Pool::builder()
            .max_size(readers.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        census::spawn(path.to_path_buf(), Arc::downgrade(&trigrams), Arc::downgrade(&data_version));
        let name_order: Arc<NameOrder> = Arc::default();
        name_order::spawn_build(path.to_path_buf(), Arc::downgrade(&name_order));
        Ok(Store {
            readers: pool,
            writer: Writer::start(
                conn,
                data_version.clone(),
                (cards::refresh_stale, Box::new(search_index::IndexFeed::new(name_order.clone()))),
                Box::new(merge_search_index),
            ),
            data_version,
            config_version: Arc::new(AtomicU64::new(1)),
            config_cache: Arc::default(),
            counts: Arc::default(),
            fragments: Arc::default(),
            trigrams,
            name_order,
        })
    }

    /// One contact with its author, assignee and projects named, or NotFound.
    pub fn contact(&self, id: i64) -> Result<Contact> {
        self.contacts(&[id])?.pop().ok_or(Error::NotFound)
    }

    /// Contacts named as `contact` names one, in the order of `ids`; unknown ids are skipped.
    pub fn contacts(&self, ids: &[i64]) -> Result<Vec<Contact>> {
        let mut loaded = self.read(|c| contacts::load(c, ids))?;
        self.name_references(&mut loaded)?;
        Ok(loaded)
    }

    /// One page of a contact list (named as `contact` names one) and its total count (counted
    /// once per data version).
    pub fn contact_page(&self, q: &contacts::ContactQuery, offset: i64, limit: i64) -> Result<(Vec<Contact>, i64)> {
        let (mut page, total) = self.in_read_transaction(|c, caches| {
            let (ids, total) = contacts::list_ids(c, caches, q, offset, limit)?;
            Ok((contacts::load(c, &ids)?, total))
        })?;
        self.name_references(&mut page)?;
        Ok((page, total))
    }

    /// Names the authors, assignees and projects of loaded contacts (cards hold ids only: names
    /// change without the contact changing, and the small users and projects tables read per
    /// request would cost more than the card itself). An author or assignee id that names no
    /// user (one deleted since) stays unnamed (`None`), as it did when the card was joined
    /// with the users table.
    fn name_references(&self, contacts: &mut [Contact]) -> Result<()> {
        let version = self.config_version();
        let read_names = || -> Result<Arc<cache::ReferenceNames>> {
            self.read(|c| {
                Ok(Arc::new(cache::ReferenceNames { projects: projects::names(c)?, users: users::display_names(c)? }))
            })
        };
        let mut names = match self.config_cache.reference_names(version) {
            Some(names) => names,
            None => {
                let names = read_names()?;
                self.config_cache.put_reference_names(version, names.clone());
                names
            }
        };
        if !contacts.iter().flat_map(|c| &c.projects).all(|(id, _)| names.projects.contains_key(id)) {
            // A project newer than the cached map (created while it was read): read them again.
            names = read_names()?;
        }
        let user = |id: i64| names.users.get(&id).map(|name| crate::domain::UserRef { id, name: name.clone() });
        for contact in contacts.iter_mut() {
            contact.author = user(contact.author_id);
            contact.assigned_to = contact.assigned_to_id.and_then(user);
            for (id, name) in contact.projects.iter_mut() {
                if let Some(known) = names.projects.get(id) {
                    name.clone_from(known);
                }
            }
        }
        Ok(())
    }

    /// One page of a contact list as (id, updated_on) pairs, and its total count: enough to
    /// find already rendered contacts in the fragment cache.
    pub fn contact_page_versions(
        &self,
        q: &contacts::ContactQuery,
        offset: i64,
        limit: i64,
    ) -> Result<(Arc<[(i64, i64)]>, i64)> {
        self.in_read_transaction(|c, caches| {
            let (ids, total) = contacts::list_ids(c, caches, q, offset, limit)?;
            Ok((contacts::versions(c, caches, &ids)?, total))
        })
    }

    /// The caches a list reads with, as of now (before its read transaction begins).
    pub(crate) fn list_caches(&self) -> contacts::ListCaches<'_> {
        contacts::ListCaches {
            counts: &self.counts,
            trigrams: &self.trigrams,
            names: &self.name_order,
            names_sequence: self.name_order.sequence(),
            data_version: self.data_version(),
        }
    }

    /// Runs several reads in one read transaction, so that they agree, with the caches as of
    /// the data version (and name-order sequence) read before it began.
    fn in_read_transaction<T>(&self, f: impl FnOnce(&Connection, &contacts::ListCaches) -> Result<T>) -> Result<T> {
        let caches = self.list_caches();
        self.read(|c| {
            c.execute_batch("BEGIN")?;
            let outcome = f(c, &caches);
            c.execute_batch("COMMIT")?;
            outcome
        })
    }

    /// Runs a read on a pooled read-only connection. Reads are short (indexed lookups and one
    /// page of rows), so they run on the calling thread rather than a blocking pool.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.get()?;
        f(&conn)
    }

    /// Runs a write in the next group-commit transaction; answers after it is durable.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.writer.run(f).await
    }

    /// A write that changes configuration (users, projects, roles, memberships, custom field
    /// definitions, deal statuses): cached principals and field lists are dropped after it.
    pub async fn write_config<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let outcome = self.writer.run(f).await;
        self.config_version.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    pub fn data_version(&self) -> u64 {
        self.data_version.load(Ordering::Acquire)
    }

    pub fn config_version(&self) -> u64 {
        self.config_version.load(Ordering::Acquire)
    }

    /// The project an id or identifier names (NotFound when none), cached per configuration
    /// version like the other configuration reads.
    pub fn project(&self, reference: &str) -> Result<Arc<crate::domain::Project>> {
        let version = self.config_version();
        if let Some(project) = self.config_cache.project(version, reference) {
            return Ok(project);
        }
        let project = Arc::new(self.read(|c| projects::find(c, reference))?);
        self.config_cache.put_project(version, reference, project.clone());
        Ok(project)
    }

    /// The ids of a project and of its descendants, in id order.
    pub fn project_subtree(&self, project_id: i64) -> Result<Arc<[i64]>> {
        let version = self.config_version();
        if let Some(ids) = self.config_cache.subtree(version, project_id) {
            return Ok(ids);
        }
        let ids: Arc<[i64]> = self.read(|c| projects::with_descendants(c, project_id))?.into();
        self.config_cache.put_subtree(version, project_id, ids.clone());
        Ok(ids)
    }

    /// Custom field definitions of one type, from the cache when the configuration is unchanged.
    pub fn custom_fields(&self, customized_type: &'static str) -> Result<Arc<Vec<crate::domain::CustomField>>> {
        let version = self.config_version();
        if let Some(fields) = self.config_cache.fields(version, customized_type) {
            return Ok(fields);
        }
        let fields = Arc::new(self.read(|c| custom_fields::list(c, Some(customized_type)))?);
        self.config_cache.put_fields(version, customized_type, fields.clone());
        Ok(fields)
    }
}

/// The part of `schema` between `-- BEGIN {name}` and `-- END {name}`: a section an older
/// file gains in a migration (its statements are written to run on any older file).
pub(crate) fn schema_section<'s>(schema: &'s str, name: &str) -> &'s str {
    let (begin, end) = (format!("-- BEGIN {name}"), format!("-- END {name}"));
    let start = schema.find(&begin).unwrap_or_else(|| panic!("schema.sql has the {name} section"));
    let length = schema[start..].find(&end).unwrap_or_else(|| panic!("the {name} section ends"));
    &schema[start..start + length]
}

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
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    tx.commit()?;
    if version > 0 {
        // A migration rewrites much of the file: move it out of the WAL now rather than have
        // every read look its pages up there until the next checkpoint.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(())
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

/// Process-wide SQLite set-up, before the first connection of the process opens:
/// - SQLite keeps global memory statistics behind a mutex taken on every allocation; nothing
///   here reads them.
/// - Every connection uses the `unix-excl` VFS: the first one takes an exclusive lock on the
///   file for the whole process, and the WAL index lives in this process's heap. Other
///   connections of this process work as usual; other processes cannot open the file while it
///   is in use. The caches here assume this process is the file's only writer (they follow an
///   in-process data version), so the lock enforces what they need — and it spares each read
///   transaction the `fcntl` calls on the shared-memory file (about one per request).
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

/// Runs a read that can take long (a count, search or page not answered from the caches, up
/// to hundreds of milliseconds at a million contacts) so that the requests queued behind it on
/// this runtime thread move to another one meanwhile. Reads run on the runtime's threads
/// because nearly all take microseconds; only these pay for the hand-over.
pub(crate) fn long_read<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Binds a list of ids as one parameter: `… IN (SELECT value FROM json_each(?))`, so that
/// statements with id lists stay cacheable.
pub fn id_list(ids: &[i64]) -> String {
    let mut s = String::with_capacity(ids.len() * 8 + 2);
    s.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push(']');
    s
}

/// What the store's tests share: writing through the real writer, waiting for background work.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{Result, Store};
    use rusqlite::Connection;

    /// Runs a write on the store's writer and waits for it to commit.
    pub(crate) fn written<T: Send + 'static>(
        store: &Store,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> T {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(store.write(f)).unwrap()
    }

    /// Waits (at most 10 s) until `done`; `what` names what the test waited for.
    pub(crate) fn wait_for(what: &str, done: impl Fn() -> bool) {
        let started = std::time::Instant::now();
        while !done() {
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "no {what}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
             INSERT INTO taggings VALUES (8, 1, 0);
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
}
