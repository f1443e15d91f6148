//! Contacts: the filtered, sorted, paged list with its count, loading records with their
//! address, tags, custom values and projects, and the writes (which keep the search index in
//! step in the same transaction).
//!
//! - `filter`: a list's query turned into SQL, its WHERE and FROM clauses;
//! - `plan`: the search planner, which contacts hold every word (from the trigram index);
//! - `list`: the count and the pages of a list, with the remembered walks and their budget;
//! - `load`: contacts read from their cards;
//! - `write`: creating and changing contacts, inside the writer's transaction.

mod filter;
mod list;
mod load;
mod plan;
mod write;

use super::cache::{CountCache, TrigramCache};
use super::name_order::NameOrder;
use super::{Store, Tuning};
use crate::domain::changes::ContactChanges;
use crate::error::Result;

pub(in crate::store) use list::list_ids;
pub(in crate::store) use load::{load, versions};
use write::{add_project, remove_project};
pub(in crate::store) use write::{create, delete, touch, update};

/// The caches a list query consults, and the data version its results are remembered under.
pub struct ListCaches<'a> {
    pub counts: &'a CountCache,
    pub trigrams: &'a TrigramCache,
    pub names: &'a NameOrder,
    /// `names.sequence()` read before the read transaction began.
    pub names_sequence: u64,
    pub data_version: u64,
    /// The thresholds the store was opened with.
    pub tuning: Tuning,
}

// ---------------------------------------------------------------------------------------------
// The store's surface for contact writes and tags

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

    /// Every tag in use: (id, name).
    pub fn contact_tags(&self) -> Result<Vec<(i64, String)>> {
        self.read(load::all_tags)
    }

    /// Whether the database holds no contact (a new file, for `serve --demo`).
    pub fn has_no_contacts(&self) -> Result<bool> {
        self.read(|c| Ok(c.query_row("SELECT count(*) = 0 FROM contacts", [], |r| r.get::<_, bool>(0))?))
    }
}
