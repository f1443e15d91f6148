//! Storage: one SQLite file in WAL mode. Reads run on a pool of read-only connections; every
//! write goes through the single [`writer::Writer`]. Only this module builds SQL: handlers talk
//! to it through typed functions per aggregate (contacts, users, projects, …).

mod access;
mod cache;
pub(crate) mod cards;
mod cascade;
mod census;
mod contacts;
mod custom_fields;
mod deals;
mod name_order;
mod notes;
mod open;
mod projects;
mod schema;
pub(crate) mod search;
mod search_index;
mod tuning;
mod users;
mod writer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::domain::Contact;
use crate::error::{Error, Result};
use name_order::NameOrder;

pub(crate) use open::init_sqlite;
pub(crate) use schema::migrate;
pub use tuning::Tuning;
pub use writer::Writer;

#[derive(Clone)]
pub struct Store {
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
    name_order: Arc<NameOrder>,
    tuning: Tuning,
}

impl Store {
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
    pub fn contact_page(
        &self,
        q: &crate::domain::query::ContactQuery,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Contact>, i64)> {
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
        q: &crate::domain::query::ContactQuery,
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
            tuning: self.tuning,
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

    /// A write that changes configuration (users, projects, roles, memberships, custom field
    /// definitions, deal statuses): cached principals and field lists are dropped after it.
    async fn write_config<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let outcome = self.writer.run(f).await;
        self.config_version.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    fn data_version(&self) -> u64 {
        self.data_version.load(Ordering::Acquire)
    }

    /// Moves with every change of users, projects, roles, memberships, custom field definitions
    /// or deal statuses: what is derived from them (rendered contacts, say) is stale once it moves.
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
    /// takes: searches matched by more than 100 are not remembered, the name keys sort 10
    /// matches or more, and a walk gives way to the index after 500 steps.
    pub(crate) const SMALL: Tuning =
        Tuning { max_remembered_matches: 100, name_keys_from_matches: 10, scan_budget_ops: 500 };

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
