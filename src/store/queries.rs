//! Saved queries (the plugin's `crm_queries`, with the roles a query is shared with in
//! `crm_queries_roles`), and the (project, role) pairs of a user's memberships their
//! visibility is decided by. Filters and sort criteria are kept as the JSON Redmine stores.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::attributes::Problems;
use crate::domain::saved_query::{
    filters_from_json, filters_to_json, sort_from_json, sort_to_json, QueryKind, SavedQuery,
};
use crate::error::{Error, Result};

use super::Store;

const SELECT: &str = "SELECT q.id, q.type, q.name, q.project_id, q.user_id, q.visibility, q.filters, q.column_names,
        q.sort_criteria, q.created_on,
        (SELECT json_group_array(role_id) FROM crm_queries_roles r WHERE r.query_id = q.id)
   FROM crm_queries q";

/// The `type` column: Redmine's query class names.
fn type_name(kind: QueryKind) -> &'static str {
    match kind {
        QueryKind::Contact => "ContactQuery",
        QueryKind::Deal => "DealQuery",
    }
}

fn from_row(r: &Row) -> rusqlite::Result<SavedQuery> {
    let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
        Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
    };
    // Stored by this module from checked input: nothing to report.
    let mut ignored = Problems::default();
    Ok(SavedQuery {
        id: r.get(0)?,
        kind: if r.get::<_, String>(1)? == type_name(QueryKind::Deal) { QueryKind::Deal } else { QueryKind::Contact },
        name: r.get(2)?,
        project_id: r.get(3)?,
        user_id: r.get(4)?,
        visibility: r.get(5)?,
        filters: filters_from_json(&json(6)?, &mut ignored),
        column_names: serde_json::from_value(json(7)?).unwrap_or_default(),
        sort: sort_from_json(&json(8)?, &mut ignored),
        created_on: r.get(9)?,
        role_ids: serde_json::from_value(json(10)?).unwrap_or_default(),
    })
}

/// The queries of one list, by name.
fn list(conn: &Connection, kind: QueryKind) -> Result<Vec<SavedQuery>> {
    let sql = format!("{SELECT} WHERE q.type = ? ORDER BY q.name, q.id");
    Ok(conn.prepare_cached(&sql)?.query_map([type_name(kind)], from_row)?.collect::<rusqlite::Result<_>>()?)
}

fn get(conn: &Connection, id: i64) -> Result<SavedQuery> {
    conn.prepare_cached(&format!("{SELECT} WHERE q.id = ?"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(Error::NotFound)
}

fn create(conn: &Connection, q: &SavedQuery) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO crm_queries (type, name, project_id, user_id, visibility, filters, column_names, sort_criteria,
                                  created_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        type_name(q.kind),
        q.name,
        q.project_id,
        q.user_id,
        q.visibility,
        filters_to_json(&q.filters).to_string(),
        serde_json::Value::from(q.column_names.clone()).to_string(),
        sort_to_json(&q.sort).to_string(),
        q.created_on,
    ])?;
    let id = conn.last_insert_rowid();
    let mut role = conn.prepare_cached("INSERT OR IGNORE INTO crm_queries_roles (query_id, role_id) VALUES (?, ?)")?;
    for role_id in &q.role_ids {
        role.execute([id, *role_id])?;
    }
    Ok(id)
}

/// (project, role) of each membership role of a user, in projects not archived.
fn member_roles(conn: &Connection, user_id: i64) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.project_id, mr.role_id FROM members m
           JOIN member_roles mr ON mr.member_id = m.id
           JOIN projects p ON p.id = m.project_id AND p.status <> 9
          WHERE m.user_id = ?",
    )?;
    let pairs = stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(pairs.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------------------------------------
// The store's surface for saved queries

impl Store {
    /// Every saved query of one list, ordered by name (who may see which is the caller's).
    pub fn saved_queries(&self, kind: QueryKind) -> Result<Vec<SavedQuery>> {
        self.read(|c| list(c, kind))
    }

    /// One saved query, or NotFound.
    pub fn saved_query(&self, id: i64) -> Result<SavedQuery> {
        self.read(|c| get(c, id))
    }

    /// Saves a query (its id is ignored) and returns it as stored.
    pub async fn create_saved_query(&self, query: SavedQuery) -> Result<SavedQuery> {
        self.write(move |c| create(c, &query).and_then(|id| get(c, id))).await
    }

    pub async fn delete_saved_query(&self, id: i64) -> Result<()> {
        self.write(move |c| match c.prepare_cached("DELETE FROM crm_queries WHERE id = ?")?.execute([id])? {
            0 => Err(Error::NotFound),
            _ => Ok(()),
        })
        .await
    }

    /// The (project, role) pairs of a user's memberships in projects not archived.
    pub fn member_roles(&self, user_id: i64) -> Result<Vec<(i64, i64)>> {
        self.read(|c| member_roles(c, user_id))
    }
}
