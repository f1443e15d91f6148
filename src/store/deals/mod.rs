//! Deals: loading, creating and the store's surface for them; their statuses and categories
//! are in `statuses.rs` and `categories.rs`.

mod categories;
mod statuses;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::time::now_ms;
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

fn related_contacts(conn: &Connection, deal_id: i64) -> Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.is_company, c.first_name, c.last_name FROM contacts_deals cd JOIN contacts c ON c.id = cd.contact_id
          WHERE cd.deal_id = ? ORDER BY c.id",
    )?;
    let rows = stmt.query_map([deal_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            crate::domain::contact_name(r.get(1)?, &r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?.as_deref()),
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Deal> {
    let mut deal = conn
        .prepare_cached(&format!("{SELECT} WHERE d.id = ?"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(Error::NotFound)?;
    deal.related_contacts = related_contacts(conn, id)?;
    deal.custom_values = custom_fields::values_for(conn, "deal", &id_list(&[id]))?.remove(&id).unwrap_or_default();
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

pub fn create(conn: &Connection, c: &DealChanges) -> Result<i64> {
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO deals (name, background, currency, duration, price, price_type, project_id, author_id,
                assigned_to_id, status_id, contact_id, category_id, due_date, probability, created_on, updated_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        c.name.as_deref().unwrap_or(""),
        c.background.clone().flatten(),
        c.currency.clone().flatten(),
        c.duration.flatten().or(Some(1)),
        c.price.clone().flatten(),
        c.price_type.flatten(),
        c.project_id,
        c.author_id.unwrap_or(0),
        c.assigned_to_id.flatten(),
        c.status_id,
        c.contact_id.flatten(),
        c.category_id.flatten(),
        c.due_date.flatten(),
        c.probability.flatten(),
        now,
        now
    ])?;
    let id = conn.last_insert_rowid();
    if let Some(related) = &c.related_contact_ids {
        let mut link =
            conn.prepare_cached("INSERT OR IGNORE INTO contacts_deals (deal_id, contact_id) VALUES (?, ?)")?;
        for contact in related {
            link.execute(params![id, contact])?;
        }
    }
    custom_fields::set_values(conn, "deal", id, &c.custom_values)?;
    Ok(id)
}

pub fn touch(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE deals SET updated_on = ? WHERE id = ?")?.execute(params![now_ms(), id])?;
    Ok(())
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

    pub async fn create_deal(&self, changes: DealChanges) -> Result<i64> {
        self.write(move |c| create(c, &changes)).await
    }
}
