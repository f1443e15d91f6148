//! Storage: one SQLite file in WAL mode. Reads run on a pool of read-only connections; every
//! write goes through the single [`writer::Writer`]. Only this module builds SQL and names
//! rusqlite: handlers talk to it through typed methods on [`Store`], one file per aggregate
//! (contacts, users, projects, …); its submodules are private.
//!
//! # The store's surface
//!
//! These public methods of `Store` are all the rest of the program asks of storage. A second
//! backend (PostgreSQL, say) would implement exactly this surface; everything else here (the
//! caches, the planner, the writer, the read model) is this backend's way of answering it.
//!
//! - opening (`open.rs`): `open`, `open_tuned` (with a [`Tuning`]), `open_with` (and a
//!   [`Locking`], `locking.rs`); `config_version` (this file)
//! - contacts (`contacts/`): `contact`, `contacts`, `contact_page`, `contact_page_versions`,
//!   `has_no_contacts`, `contact_names` and `company_people` (`names.rs`), `create_contact`, `update_contact`,
//!   `add_contact_project`, `remove_contact_project`; `delete_contact` (`cascade.rs`)
//! - tags (`tags.rs`): `contact_tags`, `rename_tag`, `merge_tags`, `delete_tag`
//! - notes (`notes.rs`): `note`, `notes_of`, `create_note`, `update_note`; `delete_note` (`cascade.rs`)
//! - deals (`deals/`): `deal`, `deal_page`, `deal_totals`, `deals_of_contact`, `unknown_contacts`,
//!   `create_deal`, `update_deal`; `delete_deal` (`cascade.rs`); categories
//!   (`deals/categories.rs`): `deal_categories`, `deal_category_in_project`, `deal_category`,
//!   `create_deal_category`, `rename_deal_category`, `delete_deal_category`; statuses
//!   (`deals/statuses.rs`): `deal_statuses`, `deal_status`, `default_deal_status`,
//!   `create_deal_status`, `update_deal_status`, `delete_deal_status`
//! - projects, memberships, roles (`projects.rs`): `project`, `project_subtree`, `projects_page`,
//!   `projects_exist`, `create_project`, `update_project`, `memberships`, `membership`,
//!   `add_membership`, `delete_membership`, `roles`, `role`, `create_role`; `delete_project`
//!   (`cascade.rs`)
//! - users (`users.rs`): `users_page`, `user`, `user_by_login`, `has_users`, `create_user`,
//!   `update_user`, `delete_user`
//! - access (`access.rs`): `principal`, `user_principal`, `user_by_password`
//! - web sessions and own account (`sessions.rs`): `create_session`, `session`,
//!   `refresh_session`, `end_session`, `set_password`, `reset_api_key`
//! - custom fields (`custom_fields.rs`): `custom_fields`, `all_custom_fields`, `create_custom_field`
//! - saved queries (`queries.rs`): `saved_queries`, `saved_query`, `create_saved_query`,
//!   `delete_saved_query`, `member_roles`
//! - backups (`backup.rs`): `backup_to`, `backup_temp`; and, for files no server runs on, the
//!   free functions [`check_file`] and [`restore`] (`restore.rs`)
//! - exchange (`exchange.rs`, issue 15): `contact_list_ids`, `user_logins`, `user_ids_by_login`,
//!   `import_contacts` (with [`ImportItem`], [`ImportCounts`]), `duplicate_candidates`,
//!   `duplicate_groups`, `merge_contacts`; and for an empty file, `bulk::import_contacts`
//!
//! # Inside
//!
//! - this file: the [`Store`] itself, its read and write plumbing, the error mapping from
//!   rusqlite and r2d2, and helpers the aggregates share;
//! - `schema.rs`: schema.sql and the migrations; `open.rs`: opening a file; `writer.rs`: the
//!   single writer and its group commit; `cascade.rs`: deletes that reach across aggregates;
//! - `cards.rs`: the contacts' read model; `search.rs`, `search_index.rs`, `census.rs`: the
//!   search; `listing/`: the list index (counts and pages from bitmaps and bucketed orders in
//!   memory, kept by the writer); `cache.rs`: what is remembered per data or configuration
//!   version; `tuning.rs`: the list planner's thresholds; `locking.rs`: how the file is shared
//!   with other processes (Litestream).

mod access;
mod backup;
pub mod bulk;
mod cache;
pub(crate) mod cards;
mod cascade;
mod census;
mod contacts;
mod custom_fields;
mod deals;
mod exchange;
mod listing;
mod locking;
mod notes;
mod open;
mod projects;
mod queries;
mod restore;
mod schema;
pub(crate) mod search;
mod search_doclists;
mod search_index;
mod search_levels;
mod sessions;
mod tags;
mod tuning;
mod users;
mod writer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::error::{Error, Result};

pub use backup::{check_file, BackupReport, FileCheck};
pub use exchange::{ImportCounts, ImportItem};
pub use listing::release_freed_memory;
use locking::{DbFile, ServerLock};
pub use locking::{Locking, SHARED_AUTOCHECKPOINT_PAGES};
pub(crate) use open::init_sqlite;
pub use restore::{restore, Restored};
pub(crate) use schema::migrate;
pub use sessions::Session;
pub use tuning::Tuning;
use writer::Writer;

#[derive(Clone)]
pub struct Store {
    /// The database file, as this store's connections open it.
    file: DbFile,
    /// Held while a store opened with `Locking::Shared` lives: no second server on the file.
    _server_lock: Option<Arc<ServerLock>>,
    readers: Pool<SqliteConnectionManager>,
    writer: Writer,
    /// Bumped after each committed write batch; caches compare it to know they are stale.
    data_version: Arc<AtomicU64>,
    /// Bumped after each committed change of users, projects, roles, memberships or custom
    /// field definitions (see `write_config`).
    config_version: Arc<AtomicU64>,
    config_cache: Arc<cache::ConfigCache>,
    counts: Arc<cache::CountCache>,
    trigrams: Arc<cache::TrigramCache>,
    /// The list index (`listing/`): counts and pages of most lists, kept by the writer.
    listing: Arc<listing::Listing>,
    tuning: Tuning,
}

impl Store {
    /// Runs a read on a pooled read-only connection. Reads are short (indexed lookups and one
    /// page of rows), so they run on the calling thread rather than a blocking pool.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.get()?;
        f(&conn)
    }

    /// Runs a write in the next group-commit transaction; answers after it is durable.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.writer.run(f).await
    }

    /// A write in a transaction of its own (see `Writer::run_alone`): an import.
    async fn write_alone<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.writer.run_alone(f).await
    }

    /// A write that changes configuration (users, projects, roles, memberships, custom field
    /// definitions, deal statuses and categories) or what rendered contacts show without their
    /// `updated_on` moving (tag names): cached principals, field lists and rendered contacts
    /// are dropped after it.
    async fn write_config<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let outcome = self.writer.run(f).await;
        self.config_version.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    /// Moves with every write: what is derived from the data (the tags in use, say) is stale
    /// once it moves.
    pub fn data_version(&self) -> u64 {
        self.data_version.load(Ordering::Acquire)
    }

    /// Moves with every change of users, projects, roles, memberships, custom field definitions,
    /// deal statuses and categories, or tags: what is derived from them (rendered contacts, say)
    /// is stale once it moves.
    pub fn config_version(&self) -> u64 {
        self.config_version.load(Ordering::Acquire)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::NotFound,
            other => Error::Internal(format!("sqlite: {other}")),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Error {
        Error::Internal(format!("connection pool: {e}"))
    }
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

/// The id the next row of `table` (contacts, deals or notes) gets: after the highest there is
/// and the highest ever deleted (schema.sql, `id_high_water`), so that no id is given twice.
/// Runs in the writer's transaction, the only one that inserts.
fn next_id(conn: &Connection, table: &'static str) -> Result<i64> {
    let sql = format!(
        "SELECT max(coalesce((SELECT max(id) FROM {table}), 0),
                    coalesce((SELECT last FROM id_high_water WHERE name = '{table}'), 0)) + 1"
    );
    Ok(conn.prepare_cached(&sql)?.query_row([], |r| r.get(0))?)
}

/// Binds a list of ids as one parameter: `… IN (SELECT value FROM json_each(?))`, so that
/// statements with id lists stay cacheable.
fn id_list(ids: &[i64]) -> String {
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
    use super::{Result, Store, Tuning};
    use rusqlite::Connection;

    /// Thresholds small enough that a test's few hundred contacts take the ways a large file
    /// takes: searches matched by more than 100 are not remembered, a walk gives way to the
    /// index after 500 steps, and the list index's orders have buckets of 4 contacts.
    pub(crate) const SMALL: Tuning =
        Tuning { max_remembered_matches: 100, scan_budget_ops: 500, list_bucket: 4, background_indexes: true };

    /// Opens the store at `path` (two readers) with the `SMALL` thresholds.
    pub(crate) fn open_small(path: &std::path::Path) -> Store {
        Store::open_tuned(path, 2, SMALL).unwrap()
    }

    /// A database in memory with the whole schema, foreign keys on, and the rows `sql` inserts.
    pub(crate) fn memory(sql: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(super::schema::SCHEMA).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        conn.execute_batch(sql).unwrap();
        conn
    }

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
