//! Deals: loading one and the store's surface for them. The list is in `list.rs`, the writes
//! in `write.rs` (a deal's delete with what goes with it: `store/cascade.rs`), statuses and
//! categories in `statuses.rs` and `categories.rs`.

mod categories;
mod list;
mod statuses;
pub(super) mod write;

pub use write::touch;

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::deal_query::DealQuery;
use crate::domain::{display_name, Deal, UserRef};
use crate::error::{Error, Result};

use super::{custom_fields, id_list};

use super::Store;
use crate::domain::changes::DealChanges;

const SELECT: &str = "SELECT d.id, d.name, d.background, d.currency, d.duration, d.price, d.price_type,
        d.project_id, p.name, d.author_id, au.firstname, au.lastname, d.assigned_to_id, asg.firstname,
        asg.lastname, d.status_id, s.name, d.contact_id, c.first_name, c.last_name, c.is_company,
        d.category_id, cat.name, d.due_date, d.probability, d.created_on, d.updated_on
   FROM deals d
   JOIN projects p ON p.id = d.project_id
   LEFT JOIN users au ON au.id = d.author_id
   LEFT JOIN users asg ON asg.id = d.assigned_to_id
   LEFT JOIN deal_statuses s ON s.id = d.status_id
   LEFT JOIN contacts c ON c.id = d.contact_id
   LEFT JOIN deal_categories cat ON cat.id = d.category_id";

fn user(id: Option<i64>, first: Option<String>, last: Option<String>) -> Option<UserRef> {
    Some(UserRef { id: id?, name: display_name(&first?, &last.unwrap_or_default()) })
}

fn from_row(r: &Row) -> rusqlite::Result<Deal> {
    let contact = match (r.get::<_, Option<i64>>(17)?, r.get::<_, Option<String>>(18)?) {
        (Some(id), Some(first)) => Some((
            id,
            crate::domain::contact_name(
                r.get::<_, Option<bool>>(20)?.unwrap_or(false),
                &first,
                r.get::<_, Option<String>>(19)?.as_deref(),
            ),
        )),
        _ => None,
    };
    Ok(Deal {
        id: r.get(0)?,
        name: r.get(1)?,
        background: r.get(2)?,
        currency: r.get(3)?,
        duration: r.get(4)?,
        price: r.get(5)?,
        price_type: r.get(6)?,
        project: (r.get(7)?, r.get(8)?),
        author: user(r.get(9)?, r.get(10)?, r.get(11)?),
        assigned_to: user(r.get(12)?, r.get(13)?, r.get(14)?),
        status: r.get::<_, Option<i64>>(15)?.zip(r.get::<_, Option<String>>(16)?),
        contact,
        category: r.get::<_, Option<i64>>(21)?.zip(r.get::<_, Option<String>>(22)?),
        due_date: r.get(23)?,
        probability: r.get(24)?,
        created_on: r.get(25)?,
        updated_on: r.get(26)?,
        related_contacts: Vec::new(),
        custom_values: Vec::new(),
    })
}

/// The related contacts of deals (`ids_json` a JSON id list), by deal, each by contact id.
fn related_contacts_of(conn: &Connection, ids_json: &str) -> Result<HashMap<i64, Vec<(i64, String)>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT cd.deal_id, c.id, c.is_company, c.first_name, c.last_name
           FROM contacts_deals cd JOIN contacts c ON c.id = cd.contact_id
          WHERE cd.deal_id IN (SELECT value FROM json_each(?)) ORDER BY cd.deal_id, c.id",
    )?;
    let rows = stmt.query_map([ids_json], |r| {
        let name =
            crate::domain::contact_name(r.get(2)?, &r.get::<_, String>(3)?, r.get::<_, Option<String>>(4)?.as_deref());
        Ok((r.get::<_, i64>(0)?, (r.get::<_, i64>(1)?, name)))
    })?;
    let mut by_deal: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for row in rows {
        let (deal, contact) = row?;
        by_deal.entry(deal).or_default().push(contact);
    }
    Ok(by_deal)
}

pub fn get(conn: &Connection, id: i64) -> Result<Deal> {
    let mut deal = conn
        .prepare_cached(&format!("{SELECT} WHERE d.id = ?"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(Error::NotFound)?;
    let ids = id_list(&[id]);
    deal.related_contacts = related_contacts_of(conn, &ids)?.remove(&id).unwrap_or_default();
    deal.custom_values = custom_fields::values_for(conn, "deal", &ids)?.remove(&id).unwrap_or_default();
    Ok(deal)
}

/// The deals of a contact for `include=deals`: deals it is related to, then deals whose primary
/// contact it is, each by status (a deal can appear in both), limited to `projects`.
pub fn for_contact(conn: &Connection, contact_id: i64, projects: &[i64]) -> Result<Vec<Deal>> {
    let scope = id_list(projects);
    let related = format!(
        "{SELECT} WHERE d.id IN (SELECT deal_id FROM contacts_deals WHERE contact_id = ?1)
           AND d.project_id IN (SELECT value FROM json_each(?2)) ORDER BY d.status_id, d.id"
    );
    let primary = format!(
        "{SELECT} WHERE d.contact_id = ?1 AND d.project_id IN (SELECT value FROM json_each(?2))
          ORDER BY d.status_id, d.id"
    );
    let mut deals = Vec::new();
    for sql in [related, primary] {
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![contact_id, scope], from_row)?;
        deals.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
    }
    Ok(deals)
}

fn unknown_contacts(conn: &Connection, ids: &[i64]) -> Result<Vec<i64>> {
    let mut stmt = conn
        .prepare_cached("SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM contacts) ORDER BY value")?;
    let rows = stmt.query_map([id_list(ids)], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------------------------------------
// The store's surface for deals

impl Store {
    pub fn deal(&self, id: i64) -> Result<Deal> {
        self.read(|c| get(c, id))
    }

    /// The deals of a contact for `include=deals`, limited to deals of `projects`.
    pub fn deals_of_contact(&self, contact_id: i64, projects: &[i64]) -> Result<Vec<Deal>> {
        self.read(|c| for_contact(c, contact_id, projects))
    }

    /// One page of a deal list and the number of deals in the whole list.
    pub fn deal_page(&self, query: &DealQuery, offset: i64, limit: i64) -> Result<(Vec<Deal>, i64)> {
        self.read(|c| list::page(c, query, offset, limit))
    }

    /// A deal list summed per status and currency: (status id, currency, sum, count).
    pub fn deal_totals(&self, query: &DealQuery) -> Result<Vec<(i64, String, f64, i64)>> {
        self.read(|c| list::totals(c, query))
    }

    /// The ids among `ids` that name no contact.
    pub fn unknown_contacts(&self, ids: &[i64]) -> Result<Vec<i64>> {
        self.read(|c| unknown_contacts(c, ids))
    }

    pub async fn create_deal(&self, changes: DealChanges) -> Result<i64> {
        self.write(move |c| write::create(c, &changes)).await
    }

    /// Applies changes to a deal; a change of status is recorded as by `author_id`.
    pub async fn update_deal(&self, id: i64, changes: DealChanges, author_id: i64) -> Result<()> {
        self.write(move |c| write::update(c, id, &changes, author_id)).await
    }
}
