//! Writes of deals (run inside the writer's transaction): creating, changing (with the status
//! history of `deal_processes`), touching, and deleting a deal's own row.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use crate::domain::changes::DealChanges;
use crate::domain::time::now_ms;
use crate::error::{Error, Result};
use crate::store::{custom_fields, next_id};

pub fn create(conn: &Connection, c: &DealChanges) -> Result<i64> {
    let now = now_ms();
    let id = next_id(conn, "deals")?;
    conn.prepare_cached(
        "INSERT INTO deals (id, name, background, currency, duration, price, price_type, project_id, author_id,
                assigned_to_id, status_id, contact_id, category_id, due_date, probability, created_on, updated_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        id,
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
    if let Some(related) = &c.related_contact_ids {
        link_contacts(conn, id, related)?;
    }
    custom_fields::set_values(conn, "deal", id, &c.custom_values)?;
    Ok(id)
}

fn link_contacts(conn: &Connection, id: i64, contacts: &[i64]) -> Result<()> {
    let mut link = conn.prepare_cached("INSERT OR IGNORE INTO contacts_deals (deal_id, contact_id) VALUES (?, ?)")?;
    for contact in contacts {
        link.execute(params![id, contact])?;
    }
    Ok(())
}

/// The columns an update sets: those the changes name.
fn assignments(c: &DealChanges) -> Vec<(&'static str, Value)> {
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
    let mut set: Vec<(&'static str, Value)> = Vec::new();
    if let Some(name) = &c.name {
        set.push(("name", Value::Text(name.clone())));
    }
    for (column, value) in [("background", &c.background), ("currency", &c.currency), ("price", &c.price)] {
        if let Some(v) = value {
            set.push((column, text(v)));
        }
    }
    for (column, value) in [
        ("duration", c.duration),
        ("price_type", c.price_type),
        ("assigned_to_id", c.assigned_to_id),
        ("contact_id", c.contact_id),
        ("category_id", c.category_id),
        ("due_date", c.due_date),
        ("probability", c.probability),
    ] {
        if let Some(v) = value {
            set.push((column, int(v)));
        }
    }
    for (column, value) in [("project_id", c.project_id), ("author_id", c.author_id), ("status_id", c.status_id)] {
        if let Some(v) = value {
            set.push((column, Value::Integer(v)));
        }
    }
    set
}

/// Applies `c` to deal `id`; a change of status is recorded in `deal_processes` as by
/// `author_id`. NotFound when there is no such deal.
pub fn update(conn: &Connection, id: i64, c: &DealChanges, author_id: i64) -> Result<()> {
    let old_status: Option<i64> = conn
        .prepare_cached("SELECT status_id FROM deals WHERE id = ?")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or(Error::NotFound)?;
    let now = now_ms();
    let mut set = assignments(c);
    set.push(("updated_on", Value::Integer(now)));
    let sql = format!(
        "UPDATE deals SET {} WHERE id = ?",
        set.iter().map(|(column, _)| format!("{column} = ?")).collect::<Vec<_>>().join(", ")
    );
    let mut values: Vec<Value> = set.into_iter().map(|(_, v)| v).collect();
    values.push(Value::Integer(id));
    conn.prepare_cached(&sql)?.execute(params_from_iter(values))?;
    if let Some(related) = &c.related_contact_ids {
        conn.prepare_cached("DELETE FROM contacts_deals WHERE deal_id = ?")?.execute([id])?;
        link_contacts(conn, id, related)?;
    }
    custom_fields::set_values(conn, "deal", id, &c.custom_values)?;
    if let Some(status) = c.status_id.filter(|s| Some(*s) != old_status) {
        conn.prepare_cached(
            "INSERT INTO deal_processes (deal_id, author_id, old_value, value, created_at) VALUES (?, ?, ?, ?, ?)",
        )?
        .execute(params![id, author_id, old_status, status, now])?;
    }
    Ok(())
}

pub fn touch(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE deals SET updated_on = ? WHERE id = ?")?.execute(params![now_ms(), id])?;
    Ok(())
}

/// Deletes a deal's row; its related contacts and status history go by foreign key, its notes
/// and custom values in `store::cascade`. NotFound when there is none.
pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    if conn.prepare_cached("DELETE FROM deals WHERE id = ?")?.execute([id])? == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The deals of some projects (by JSON id list), for a project's delete.
pub fn of_projects(conn: &Connection, projects_json: &str) -> Result<Vec<i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM deals WHERE project_id IN (SELECT value FROM json_each(?)) ORDER BY id")?;
    let rows = stmt.query_map([projects_json], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
