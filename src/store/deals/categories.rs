//! Deal categories: per project, named uniquely within it. They are configuration (a rename
//! shows in every deal of the category without changing it), so their writes go through
//! `write_config`.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::store::Store;

/// A deal category: (id, name, project id).
pub type Category = (i64, String, i64);

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

fn category(conn: &Connection, id: i64) -> Result<Category> {
    conn.prepare_cached("SELECT id, name, project_id FROM deal_categories WHERE id = ?")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(Error::NotFound)
}

/// 422 when another category of `project` has `name` (`except` is the category renamed).
fn check_name_free(conn: &Connection, project: i64, name: &str, except: i64) -> Result<()> {
    let taken = conn
        .prepare_cached("SELECT 1 FROM deal_categories WHERE project_id = ? AND name = ? AND id <> ?")?
        .query_row(params![project, name, except], |_| Ok(()))
        .optional()?;
    match taken {
        Some(()) => Err(Error::invalid("Name has already been taken")),
        None => Ok(()),
    }
}

fn create(conn: &Connection, project: i64, name: &str) -> Result<i64> {
    check_name_free(conn, project, name, 0)?;
    conn.prepare_cached("INSERT INTO deal_categories (name, project_id) VALUES (?, ?)")?
        .execute(params![name, project])?;
    Ok(conn.last_insert_rowid())
}

fn rename(conn: &Connection, id: i64, name: &str) -> Result<()> {
    let (_, _, project) = category(conn, id)?;
    check_name_free(conn, project, name, id)?;
    conn.prepare_cached("UPDATE deal_categories SET name = ? WHERE id = ?")?.execute(params![name, id])?;
    Ok(())
}

/// Deletes a category; its deals move to `reassign_to` (a category of the same project, else
/// 422) or lose their category. As in the plugin, the deals' `updated_on` stays.
fn delete(conn: &Connection, id: i64, reassign_to: Option<i64>) -> Result<()> {
    let (_, _, project) = category(conn, id)?;
    if let Some(target) = reassign_to {
        if target == id || !category_in_project(conn, target, project)? {
            return Err(Error::invalid("Reassign to is invalid"));
        }
    }
    conn.prepare_cached("UPDATE deals SET category_id = ? WHERE category_id = ?")?.execute(params![reassign_to, id])?;
    conn.prepare_cached("DELETE FROM deal_categories WHERE id = ?")?.execute([id])?;
    Ok(())
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

    /// One category: (id, name, project id), or NotFound.
    pub fn deal_category(&self, id: i64) -> Result<Category> {
        self.read(|c| category(c, id))
    }

    /// Creates a category (`name` already validated); 422 when the project has the name.
    pub async fn create_deal_category(&self, project_id: i64, name: String) -> Result<i64> {
        self.write_config(move |c| create(c, project_id, &name)).await
    }

    pub async fn rename_deal_category(&self, id: i64, name: String) -> Result<()> {
        self.write_config(move |c| rename(c, id, &name)).await
    }

    /// Deletes a category, its deals moved to `reassign_to` or left without one.
    pub async fn delete_deal_category(&self, id: i64, reassign_to: Option<i64>) -> Result<()> {
        self.write_config(move |c| delete(c, id, reassign_to)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_category_hands_its_deals_on_within_its_project_only() {
        let conn = crate::store::test_support::memory(
            "INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (1, 'A', 'a', 0, 0), (2, 'B', 'b', 0, 0);
             INSERT INTO deal_categories (id, name, project_id) VALUES (1, 'Web', 1), (2, 'Mobile', 1), (3, 'Web', 2);
             INSERT INTO deals (id, name, project_id, category_id, created_on, updated_on)
                  VALUES (1, 'x', 1, 1, 0, 0), (2, 'y', 1, 2, 0, 0);",
        );
        let category_of = |deal: i64| -> Option<i64> {
            conn.query_row("SELECT category_id FROM deals WHERE id = ?", [deal], |r| r.get(0)).unwrap()
        };
        assert!(matches!(create(&conn, 1, "Mobile"), Err(Error::Validation(_))));
        assert!(matches!(rename(&conn, 2, "Web"), Err(Error::Validation(_))));
        rename(&conn, 2, "Apps").unwrap();
        assert!(matches!(delete(&conn, 1, Some(3)), Err(Error::Validation(_))), "another project's category");
        assert!(matches!(delete(&conn, 1, Some(1)), Err(Error::Validation(_))), "itself");
        assert_eq!(category_of(1), Some(1), "nothing changed");
        delete(&conn, 1, Some(2)).unwrap();
        assert_eq!((category_of(1), category_of(2)), (Some(2), Some(2)));
        delete(&conn, 2, None).unwrap();
        assert_eq!((category_of(1), category_of(2)), (None, None));
        assert!(matches!(delete(&conn, 2, None), Err(Error::NotFound)));
        assert_eq!(categories(&conn, 1).unwrap(), []);
    }
}
