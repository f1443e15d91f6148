//! The reference data of a bulk load: projects and their deal categories, a role, users and
//! their memberships, custom fields, tags and deal statuses. Each is created unless a row of
//! that name is already there, and answered by id either way, so that loading into a file the
//! service created (with its administrator, say) reuses what it holds.

use rusqlite::{params, OptionalExtension};

use super::BulkLoad;
use crate::error::Result;

/// A public project with the given modules enabled.
pub struct NewProject<'a> {
    pub identifier: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub parent_id: Option<i64>,
    pub modules: &'a [&'a str],
    pub created_on: i64,
}

/// An active user who is no administrator (and has no password).
pub struct NewUser<'a> {
    pub login: &'a str,
    pub firstname: &'a str,
    pub lastname: &'a str,
    pub mail: &'a str,
    pub api_key: &'a str,
    pub created_on: i64,
}

/// A custom field of contacts, not searchable.
pub struct NewCustomField<'a> {
    pub name: &'a str,
    /// `string`, `list`, …
    pub format: &'a str,
    pub possible_values: &'a [&'a str],
    pub is_filter: bool,
}

impl BulkLoad<'_> {
    /// The administrator who authors contacts: user 1, or else the first admin named `admin`.
    pub fn admin_id(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM users WHERE id = 1 OR (admin = 1 AND login = 'admin') ORDER BY id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The project with `p.identifier`, created as `p` says when missing.
    pub fn project(&mut self, p: &NewProject<'_>) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO projects (name, identifier, description, homepage, is_public, parent_id, status, created_on, updated_on)
             VALUES (?, ?, ?, '', 1, ?, 1, ?, ?) ON CONFLICT (identifier) DO NOTHING",
            params![p.name, p.identifier, p.description, p.parent_id, p.created_on, p.created_on],
        )?;
        let id: i64 =
            self.conn.query_row("SELECT id FROM projects WHERE identifier = ?", [p.identifier], |r| r.get(0))?;
        for module in p.modules {
            self.conn.execute(
                "INSERT OR IGNORE INTO enabled_modules (project_id, name) VALUES (?, ?)",
                params![id, module],
            )?;
        }
        Ok(id)
    }

    /// The deal category `name` of a project, created when missing.
    pub fn deal_category(&mut self, project_id: i64, name: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT OR IGNORE INTO deal_categories (name, project_id) VALUES (?, ?)",
            params![name, project_id],
        )?;
        Ok(self.conn.query_row(
            "SELECT id FROM deal_categories WHERE project_id = ? AND name = ?",
            params![project_id, name],
            |r| r.get(0),
        )?)
    }

    /// The assignable role `name`, created last in order with `permissions` (space separated)
    /// when missing.
    pub fn role(&mut self, name: &str, permissions: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO roles (name, position, assignable, builtin, permissions)
             VALUES (?, (SELECT COALESCE(max(position), 0) + 1 FROM roles), 1, 0, ?)
             ON CONFLICT (name) DO NOTHING",
            params![name, permissions],
        )?;
        Ok(self.conn.query_row("SELECT id FROM roles WHERE name = ?", [name], |r| r.get(0))?)
    }

    /// A new user; `None` when the login (or another unique field) is taken.
    pub fn user(&mut self, u: &NewUser<'_>) -> Result<Option<i64>> {
        let inserted = self.conn.execute(
            "INSERT INTO users (login, firstname, lastname, mail, admin, status, api_key, created_on, updated_on)
             VALUES (?, ?, ?, ?, 0, 1, ?, ?, ?) ON CONFLICT DO NOTHING",
            params![u.login, u.firstname, u.lastname, u.mail, u.api_key, u.created_on, u.created_on],
        )?;
        Ok((inserted == 1).then(|| self.conn.last_insert_rowid()))
    }

    /// Makes a user a member of a project with `role_id` (kept when already a member).
    pub fn membership(&mut self, user_id: i64, project_id: i64, role_id: i64, created_on: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO members (user_id, project_id, created_on) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            params![user_id, project_id, created_on],
        )?;
        self.conn.execute(
            "INSERT OR IGNORE INTO member_roles (member_id, role_id)
             SELECT id, ? FROM members WHERE user_id = ? AND project_id = ?",
            params![role_id, user_id, project_id],
        )?;
        Ok(())
    }

    /// The contacts' custom field `f.name`, created last in order when missing.
    pub fn contact_custom_field(&mut self, f: &NewCustomField<'_>) -> Result<i64> {
        let values = serde_json::to_string(f.possible_values).unwrap_or_else(|_| "[]".into());
        self.conn.execute(
            "INSERT INTO custom_fields (name, customized_type, field_format, possible_values, is_filter, searchable, position)
             VALUES (?, 'contact', ?, ?, ?, 0, (SELECT COALESCE(max(position), 0) + 1 FROM custom_fields))
             ON CONFLICT (customized_type, name) DO NOTHING",
            params![f.name, f.format, values, f.is_filter],
        )?;
        Ok(self.conn.query_row(
            "SELECT id FROM custom_fields WHERE customized_type = 'contact' AND name = ?",
            [f.name],
            |r| r.get(0),
        )?)
    }

    /// The tag `name`, created when missing.
    pub fn tag(&mut self, name: &str) -> Result<i64> {
        self.conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", [name])?;
        Ok(self.conn.query_row("SELECT id FROM tags WHERE name = ?", [name], |r| r.get(0))?)
    }

    /// A pending, a won and a lost deal status (the default one first where there is a
    /// choice); Redmine CRM's three are created when there are no statuses at all.
    pub fn deal_statuses(&mut self) -> Result<[i64; 3]> {
        let have: i64 = self.conn.query_row("SELECT count(*) FROM deal_statuses", [], |r| r.get(0))?;
        if have == 0 {
            self.conn.execute_batch(
                "INSERT INTO deal_statuses (name, position, is_default, status_type, color) VALUES
                   ('Pending', 1, 1, 0, 11184810), ('Won', 2, 0, 1, 32768), ('Lost', 3, 0, 2, 16711680);",
            )?;
        }
        let status = |kind: i64| -> Result<i64> {
            Ok(self.conn.query_row(
                "SELECT id FROM deal_statuses ORDER BY status_type <> ?, is_default DESC, position, id LIMIT 1",
                [kind],
                |r| r.get(0),
            )?)
        };
        Ok([status(0)?, status(1)?, status(2)?])
    }
}
