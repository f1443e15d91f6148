//! Deal statuses (open, won, lost), ordered by position; one may be the default of new deals.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::DealStatus;
use crate::error::{Error, Result};
use crate::store::Store;

fn status_from_row(r: &Row) -> rusqlite::Result<DealStatus> {
    Ok(DealStatus {
        id: r.get(0)?,
        name: r.get(1)?,
        position: r.get(2)?,
        is_default: r.get(3)?,
        status_type: r.get(4)?,
        color: r.get(5)?,
    })
}

pub fn statuses(conn: &Connection) -> Result<Vec<DealStatus>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, position, is_default, status_type, color FROM deal_statuses ORDER BY position, id",
        )?
        .query_map([], status_from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

pub fn status(conn: &Connection, id: i64) -> Result<Option<DealStatus>> {
    Ok(conn
        .prepare_cached("SELECT id, name, position, is_default, status_type, color FROM deal_statuses WHERE id = ?")?
        .query_row([id], status_from_row)
        .optional()?)
}

pub fn default_status(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT id FROM deal_statuses WHERE is_default = 1 ORDER BY position LIMIT 1", [], |r| r.get(0))
        .optional()?)
}

/// 422 when another status than `except` has `name`; clears the other defaults when `s` is one.
fn check_name_and_default(conn: &Connection, s: &DealStatus, except: i64) -> Result<()> {
    let taken: Option<i64> = conn
        .query_row("SELECT id FROM deal_statuses WHERE name = ? AND id <> ?", params![s.name, except], |r| r.get(0))
        .optional()?;
    if taken.is_some() {
        return Err(Error::invalid("Name has already been taken"));
    }
    if s.is_default {
        conn.execute("UPDATE deal_statuses SET is_default = 0 WHERE id <> ?", [except])?;
    }
    Ok(())
}

pub fn create_status(conn: &Connection, s: &DealStatus) -> Result<DealStatus> {
    check_name_and_default(conn, s, 0)?;
    let position = if s.position > 0 {
        s.position
    } else {
        conn.query_row("SELECT COALESCE(max(position), 0) + 1 FROM deal_statuses", [], |r| r.get(0))?
    };
    conn.execute(
        "INSERT INTO deal_statuses (name, position, is_default, status_type, color) VALUES (?, ?, ?, ?, ?)",
        params![s.name, position, s.is_default, s.status_type, s.color],
    )?;
    status(conn, conn.last_insert_rowid())?.ok_or(Error::NotFound)
}

/// Replaces every attribute of status `s.id` (merged and validated by the caller). A new
/// position moves the statuses in between by one, as the plugin's `acts_as_list` does.
fn update_status(conn: &Connection, s: &DealStatus) -> Result<()> {
    let before = status(conn, s.id)?.ok_or(Error::NotFound)?;
    check_name_and_default(conn, s, s.id)?;
    if s.position < before.position {
        conn.execute(
            "UPDATE deal_statuses SET position = position + 1 WHERE position >= ? AND position < ? AND id <> ?",
            params![s.position, before.position, s.id],
        )?;
    } else if s.position > before.position {
        conn.execute(
            "UPDATE deal_statuses SET position = position - 1 WHERE position > ? AND position <= ? AND id <> ?",
            params![before.position, s.position, s.id],
        )?;
    }
    conn.execute(
        "UPDATE deal_statuses SET name = ?, position = ?, is_default = ?, status_type = ?, color = ? WHERE id = ?",
        params![s.name, s.position, s.is_default, s.status_type, s.color, s.id],
    )?;
    Ok(())
}

/// Deletes a status no deal has (422 otherwise); the statuses after it move up by one.
fn delete_status(conn: &Connection, id: i64) -> Result<()> {
    let before = status(conn, id)?.ok_or(Error::NotFound)?;
    let used: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM deals WHERE status_id = ?)", [id], |r| r.get(0))?;
    if used {
        return Err(Error::invalid("Status is in use by deals and cannot be deleted"));
    }
    conn.execute("DELETE FROM deal_statuses WHERE id = ?", [id])?;
    conn.execute("UPDATE deal_statuses SET position = position - 1 WHERE position > ?", [before.position])?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The store's surface for deal statuses

impl Store {
    pub fn deal_statuses(&self) -> Result<Vec<DealStatus>> {
        self.read(statuses)
    }

    pub fn deal_status(&self, id: i64) -> Result<Option<DealStatus>> {
        self.read(|c| status(c, id))
    }

    /// The status new deals get when none is named.
    pub fn default_deal_status(&self) -> Result<Option<i64>> {
        self.read(default_status)
    }

    pub async fn create_deal_status(&self, new: DealStatus) -> Result<DealStatus> {
        self.write_config(move |c| create_status(c, &new)).await
    }

    /// Writes every attribute of `status` to the status of its id (NotFound when there is
    /// none); 422 when another status has its name.
    pub async fn update_deal_status(&self, status: DealStatus) -> Result<()> {
        self.write_config(move |c| update_status(c, &status)).await
    }

    /// Deletes a status; 422 while a deal has it.
    pub async fn delete_deal_status(&self, id: i64) -> Result<()> {
        self.write_config(move |c| delete_status(c, id)).await
    }
}
