//! Contacts: the filtered, sorted, paged list with its count, loading records with their
//! address, tags, custom values and projects, and the writes (which keep the search index in
//! step in the same transaction).
//!
//! - `filter`: a list's query turned into SQL, its WHERE and FROM clauses;
//! - `plan`: the search planner, which contacts hold every word (from the trigram index);
//! - `list`: the count and the pages of a list, with the remembered walks and their budget;
//! - `load`: contacts read from their cards;
//! - `write`: creating and changing contacts, inside the writer's transaction;
//! - `names`: the names of contacts by id (lighter than loading them);
//! - this file: the caches a list reads with, and the store's surface for contacts (deleting
//!   one, with what goes with it: `store::cascade`).

mod filter;
mod list;
mod load;
mod names;
mod plan;
mod write;

use std::sync::Arc;

use rusqlite::Connection;

use super::cache::{CountCache, ReferenceNames, TrigramCache};
use super::{Store, Tuning};
use crate::domain::changes::ContactChanges;
use crate::domain::query::ContactQuery;
use crate::domain::{Contact, UserRef};
use crate::error::{Error, Result};

pub(in crate::store) use filter::sort_sql;
pub(in crate::store) use list::all_ids;
use list::list_ids;
#[cfg(test)]
pub(in crate::store) use list::sql_list_ids;
use load::{load, versions};
pub(in crate::store) use plan::words_matches;
use write::{add_project, remove_project};
pub(in crate::store) use write::{create, delete, touch, update};

/// The caches a list query consults, and the data version its results are remembered under.
pub struct ListCaches<'a> {
    /// The list index, asked first (`store::listing`).
    pub listing: &'a super::listing::Listing,
    pub counts: &'a CountCache,
    pub trigrams: &'a TrigramCache,
    pub data_version: u64,
    /// The thresholds the store was opened with.
    pub tuning: Tuning,
}

// ---------------------------------------------------------------------------------------------
// The store's surface for reading contacts

impl Store {
    /// One contact with its author, assignee and projects named, or NotFound.
    pub fn contact(&self, id: i64) -> Result<Contact> {
        self.contacts(&[id])?.pop().ok_or(Error::NotFound)
    }

    /// Contacts named as `contact` names one, in the order of `ids`; unknown ids are skipped.
    pub fn contacts(&self, ids: &[i64]) -> Result<Vec<Contact>> {
        let mut loaded = self.read(|c| load(c, ids))?;
        self.name_references(&mut loaded)?;
        Ok(loaded)
    }

    /// One page of a contact list (named as `contact` names one) and its total count (counted
    /// once per data version).
    pub fn contact_page(&self, q: &ContactQuery, offset: i64, limit: i64) -> Result<(Vec<Contact>, i64)> {
        let (mut page, total) = self.in_read_transaction(|c, caches| {
            let (ids, total) = list_ids(c, caches, q, offset, limit)?;
            Ok((load(c, &ids)?, total))
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
        let read_names = || -> Result<Arc<ReferenceNames>> {
            self.read(|c| {
                Ok(Arc::new(ReferenceNames {
                    projects: super::projects::names(c)?,
                    users: super::users::display_names(c)?,
                }))
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
        let user = |id: i64| names.users.get(&id).map(|name| UserRef { id, name: name.clone() });
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
    pub fn contact_page_versions(&self, q: &ContactQuery, offset: i64, limit: i64) -> Result<(Arc<[(i64, i64)]>, i64)> {
        self.in_read_transaction(|c, caches| {
            let (ids, total) = list_ids(c, caches, q, offset, limit)?;
            Ok((versions(c, caches, &ids)?, total))
        })
    }

    /// The caches a list reads with, as of now (before its read transaction begins).
    pub(super) fn list_caches(&self) -> ListCaches<'_> {
        ListCaches {
            listing: &self.listing,
            counts: &self.counts,
            trigrams: &self.trigrams,
            data_version: self.data_version(),
            tuning: self.tuning,
        }
    }

    /// Runs several reads in one read transaction, so that they agree, with the caches as of
    /// the data version read before it began.
    fn in_read_transaction<T>(&self, f: impl FnOnce(&Connection, &ListCaches) -> Result<T>) -> Result<T> {
        let caches = self.list_caches();
        self.read(|c| {
            c.execute_batch("BEGIN")?;
            let outcome = f(c, &caches);
            c.execute_batch("COMMIT")?;
            outcome
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The store's surface for contact writes

impl Store {
    pub async fn create_contact(&self, changes: ContactChanges) -> Result<i64> {
        self.write(move |c| create(c, &changes)).await
    }

    pub async fn update_contact(&self, id: i64, changes: ContactChanges) -> Result<()> {
        self.write(move |c| update(c, id, &changes)).await
    }

    pub async fn add_contact_project(&self, contact_id: i64, project_id: i64) -> Result<()> {
        self.write(move |c| add_project(c, contact_id, project_id)).await
    }

    pub async fn remove_contact_project(&self, contact_id: i64, project_id: i64) -> Result<()> {
        self.write(move |c| remove_project(c, contact_id, project_id)).await
    }

    /// Whether the database holds no contact (a new file, for `serve --demo`).
    pub fn has_no_contacts(&self) -> Result<bool> {
        self.read(|c| Ok(c.query_row("SELECT count(*) = 0 FROM contacts", [], |r| r.get::<_, bool>(0))?))
    }
}
