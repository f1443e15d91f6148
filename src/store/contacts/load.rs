//! Loading records: a contact from its card, with its address, tags, custom values and the ids
//! of its author, assignee and projects.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row};

use crate::domain::{Address, Contact};
use crate::error::{Error, Result};
use crate::store::cache::Listed;
use crate::store::id_list;

use super::ListCaches;

/// A contact's card (see `store/cards.rs`): one row read, every column in the table's order
/// (`contact_from_row` reads them by position). The card refers to its author, assignee and
/// projects by id: `Store` names them from its cache of names (see `Store::name_references`).
/// A short statement, since the statement cache hashes its text on every use. A macro, so
/// that the statements built from it are literals.
macro_rules! load_select {
    () => {
        "SELECT * FROM contact_cards"
    };
}

/// A JSON array column built by SQLite (`json_group_array`), decoded.
fn json_column<T: serde::de::DeserializeOwned + Default>(r: &Row, index: usize) -> rusqlite::Result<T> {
    let text: Option<String> = r.get(index)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
}

/// An address from ten columns starting at `first`: id, the six parts, full text, timestamps.
pub(super) fn address_from(r: &Row, first: usize, contact_id: i64) -> rusqlite::Result<Address> {
    Ok(Address {
        id: r.get(first)?,
        contact_id,
        street1: r.get(first + 1)?,
        street2: r.get(first + 2)?,
        city: r.get(first + 3)?,
        region: r.get(first + 4)?,
        postcode: r.get(first + 5)?,
        country_code: r.get(first + 6)?,
        full_address: r.get(first + 7)?,
        created_at: r.get(first + 8)?,
        updated_at: r.get(first + 9)?,
    })
}

fn contact_from_row(r: &Row) -> rusqlite::Result<Contact> {
    let id: i64 = r.get(0)?;
    let address_id: Option<i64> = r.get(18)?;
    let address = address_id.map(|_| address_from(r, 18, id)).transpose()?;
    let custom_values: Vec<(i64, Option<String>)> = json_column(r, 29)?;
    Ok(Contact {
        id,
        is_company: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        middle_name: r.get(4)?,
        company: r.get(5)?,
        website: r.get(6)?,
        skype_name: r.get(7)?,
        birthday: r.get(8)?,
        job_title: r.get(9)?,
        background: r.get(10)?,
        phone: r.get(11)?,
        email: r.get(12)?,
        author: None,
        assigned_to: None,
        author_id: r.get(13)?,
        assigned_to_id: r.get(14)?,
        visibility: r.get(15)?,
        created_on: r.get(16)?,
        updated_on: r.get(17)?,
        address,
        tags: json_column(r, 28)?,
        custom_values: custom_values.into_iter().map(|(f, v)| (f, v.unwrap_or_default())).collect(),
        projects: json_column::<Vec<i64>>(r, 30)?.into_iter().map(|id| (id, String::new())).collect(),
    })
}

/// Loads contacts with their address, tags, custom values and the ids of their author,
/// assignee and projects (unnamed: see `Store::contact`), in the order of `ids`; unknown ids
/// are skipped.
pub(in crate::store) fn load(conn: &Connection, ids: &[i64]) -> Result<Vec<Contact>> {
    match ids {
        [] => Ok(Vec::new()),
        [one] => {
            let sql = concat!(load_select!(), " WHERE contact_id = ?1");
            let contact = conn.prepare_cached(sql)?.query_row([one], contact_from_row).optional()?;
            Ok(contact.into_iter().collect())
        }
        _ => {
            let sql = concat!(load_select!(), " WHERE contact_id IN (SELECT value FROM json_each(?1))");
            let mut by_id: HashMap<i64, Contact> = conn
                .prepare_cached(sql)?
                .query_map([id_list(ids)], contact_from_row)?
                .map(|c| c.map(|c| (c.id, c)))
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
        }
    }
}

/// `(id, updated_on)` of the given contacts, in the order of `ids` (unknown ids skipped);
/// remembered per data version, since a page of a large list costs a row read per contact.
pub(in crate::store) fn versions(conn: &Connection, caches: &ListCaches, ids: &[i64]) -> Result<Arc<[(i64, i64)]>> {
    let key = format!("versions\u{1}{ids:?}");
    if let Some(Listed::Versions(versions)) = caches.counts.get(caches.data_version, &key) {
        return Ok(versions);
    }
    let found: HashMap<i64, i64> = conn
        .prepare_cached("SELECT id, updated_on FROM contacts WHERE id IN (SELECT value FROM json_each(?))")?
        .query_map([id_list(ids)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let versions: Arc<[(i64, i64)]> = ids.iter().filter_map(|id| found.get(id).map(|u| (*id, *u))).collect();
    caches.counts.put(caches.data_version, key, Listed::Versions(versions.clone()));
    Ok(versions)
}

/// One contact, its author, assignee and projects by id only (see `load`), or NotFound.
pub(super) fn get(conn: &Connection, id: i64) -> Result<Contact> {
    load(conn, &[id])?.pop().ok_or(Error::NotFound)
}
