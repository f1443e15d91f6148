//! Deal categories: per project, named uniquely within it.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;
use crate::store::Store;

/// A project's deal categories, by name: (id, name).
pub fn categories(conn: &Connection, project: i64) -> Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached("SELECT id, name FROM deal_categories WHERE project_id = ? ORDER BY name")?;
    let rows = stmt.query_map([project], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn category_in_project(conn: &Connection, category: i64, project: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM deal_categories WHERE id = ? AND project_id = ?")?
        .query_row(params![category, project], |_| Ok(()))
        .optional()?
        .is_some())
}

// ---------------------------------------------------------------------------------------------
// The store's surface for deal categories

impl Store {
    pub fn deal_categories(&self, project_id: i64) -> Result<Vec<(i64, String)>> {
        self.read(|c| categories(c, project_id))
    }

    pub fn deal_category_in_project(&self, category_id: i64, project_id: i64) -> Result<bool> {
        self.read(|c| category_in_project(c, category_id, project_id))
    }
}
