//! Projects (with their enabled modules), memberships and roles.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::permission::PermSet;
use crate::domain::time::now_ms;
use crate::domain::{Project, Role};
use crate::error::{Error, Result};

use super::Store;
use crate::domain::changes::ProjectChanges;
use crate::domain::Membership;

const PROJECT_SELECT: &str = "SELECT p.id, p.name, p.identifier, p.description, p.homepage, p.is_public,
        p.parent_id, parent.name, p.status, p.created_on, p.updated_on,
        (SELECT group_concat(name, ' ') FROM enabled_modules m WHERE m.project_id = p.id)
   FROM projects p LEFT JOIN projects parent ON parent.id = p.parent_id";

fn project_from_row(r: &Row) -> rusqlite::Result<Project> {
    let parent_id: Option<i64> = r.get(6)?;
    let parent_name: Option<String> = r.get(7)?;
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        identifier: r.get(2)?,
        description: r.get(3)?,
        homepage: r.get(4)?,
        is_public: r.get(5)?,
        parent: parent_id.zip(parent_name),
        status: r.get(8)?,
        created_on: r.get(9)?,
        updated_on: r.get(10)?,
        modules: r.get::<_, Option<String>>(11)?.unwrap_or_default().split_whitespace().map(String::from).collect(),
    })
}

/// A project by numeric id or by identifier, as every `project_id` parameter allows.
pub fn find(conn: &Connection, id_or_identifier: &str) -> Result<Project> {
    let by_id = id_or_identifier.trim().parse::<i64>().ok();
    let sql = format!("{PROJECT_SELECT} WHERE p.id = ? OR p.identifier = ?");
    conn.prepare_cached(&sql)?
        .query_row(params![by_id, id_or_identifier], project_from_row)
        .optional()?
        .ok_or(Error::NotFound)
}

/// Every project's name, by id.
/// Project id → name, of every project.
pub fn names(conn: &Connection) -> Result<std::collections::HashMap<i64, String>> {
    let mut stmt = conn.prepare_cached("SELECT id, name FROM projects")?;
    let names = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(names)
}

pub fn get(conn: &Connection, id: i64) -> Result<Project> {
    find(conn, &id.to_string())
}

pub fn list(conn: &Connection, ids: Option<&[i64]>, offset: i64, limit: i64) -> Result<(Vec<Project>, i64)> {
    let filter = ids.map(super::id_list);
    let condition = "(?1 IS NULL OR p.id IN (SELECT value FROM json_each(?1)))";
    let total = conn
        .prepare_cached(&format!("SELECT count(*) FROM projects p WHERE {condition}"))?
        .query_row([&filter], |r| r.get(0))?;
    let sql = format!("{PROJECT_SELECT} WHERE {condition} ORDER BY p.id LIMIT ?2 OFFSET ?3");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![filter, limit, offset], project_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// The project and its descendants (contacts of subprojects show on the parent's list).
pub fn with_descendants(conn: &Connection, id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT p.id FROM projects p JOIN tree ON p.parent_id = tree.id)
         SELECT id FROM tree ORDER BY id",
    )?;
    let ids = stmt.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

fn check(conn: &Connection, id: i64, c: &ProjectChanges) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(identifier) = &c.identifier {
        let taken: Option<i64> = conn
            .query_row("SELECT id FROM projects WHERE identifier = ? AND id <> ?", params![identifier, id], |r| {
                r.get(0)
            })
            .optional()?;
        if taken.is_some() {
            errors.push("Identifier has already been taken".to_string());
        }
    }
    if let Some(Some(parent)) = c.parent_id {
        let exists: Option<i64> =
            conn.query_row("SELECT id FROM projects WHERE id = ?", [parent], |r| r.get(0)).optional()?;
        if exists.is_none() || (id != 0 && with_descendants(conn, id)?.contains(&parent)) {
            errors.push("Subproject of is invalid".to_string());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

fn set_modules(conn: &Connection, id: i64, modules: &[String]) -> Result<()> {
    conn.execute("DELETE FROM enabled_modules WHERE project_id = ?", [id])?;
    let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO enabled_modules (project_id, name) VALUES (?, ?)")?;
    for m in modules {
        insert.execute(params![id, m])?;
    }
    Ok(())
}

pub fn create(conn: &Connection, c: ProjectChanges) -> Result<Project> {
    check(conn, 0, &c)?;
    let now = now_ms();
    conn.execute(
        "INSERT INTO projects (name, identifier, description, homepage, is_public, parent_id, status, created_on, updated_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            c.name.unwrap_or_default(),
            c.identifier.unwrap_or_default(),
            c.description.unwrap_or_default(),
            c.homepage.unwrap_or_default(),
            c.is_public.unwrap_or(true),
            c.parent_id.flatten(),
            c.status.unwrap_or(1),
            now,
            now
        ],
    )?;
    let id = conn.last_insert_rowid();
    let modules = c.modules.unwrap_or_else(|| crate::domain::PROJECT_MODULES.iter().map(|m| m.to_string()).collect());
    set_modules(conn, id, &modules)?;
    get(conn, id)
}

pub fn update(conn: &Connection, id: i64, c: ProjectChanges) -> Result<()> {
    get(conn, id)?;
    check(conn, id, &c)?;
    conn.execute(
        "UPDATE projects SET name = COALESCE(?, name), identifier = COALESCE(?, identifier),
                description = COALESCE(?, description), homepage = COALESCE(?, homepage),
                is_public = COALESCE(?, is_public), status = COALESCE(?, status), updated_on = ?
          WHERE id = ?",
        params![c.name, c.identifier, c.description, c.homepage, c.is_public, c.status, now_ms(), id],
    )?;
    if let Some(parent) = c.parent_id {
        conn.execute("UPDATE projects SET parent_id = ? WHERE id = ?", params![parent, id])?;
    }
    if let Some(modules) = c.modules {
        set_modules(conn, id, &modules)?;
    }
    Ok(())
}

/// Deletes the rows of a project and its subprojects (`tree`, from `with_descendants`); their
/// modules, memberships, deals and deal categories go by foreign key. What goes with them from
/// contacts: `store::cascade`.
pub fn delete_tree(conn: &Connection, tree: &[i64]) -> Result<()> {
    let ids = super::id_list(tree);
    conn.execute("UPDATE projects SET parent_id = NULL WHERE parent_id IN (SELECT value FROM json_each(?1))", [&ids])?;
    conn.execute("DELETE FROM projects WHERE id IN (SELECT value FROM json_each(?))", [&ids])?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Roles

fn role_from_row(r: &Row) -> rusqlite::Result<Role> {
    Ok(Role {
        id: r.get(0)?,
        name: r.get(1)?,
        position: r.get(2)?,
        assignable: r.get(3)?,
        builtin: r.get(4)?,
        permissions: PermSet::parse(&r.get::<_, String>(5)?),
    })
}

const ROLE_SELECT: &str = "SELECT id, name, position, assignable, builtin, permissions FROM roles";

/// The roles that can be given to members (built-in roles are not listed, as in Redmine).
pub fn roles(conn: &Connection) -> Result<Vec<Role>> {
    let sql = format!("{ROLE_SELECT} WHERE builtin = 0 ORDER BY position, id");
    Ok(conn.prepare_cached(&sql)?.query_map([], role_from_row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn role(conn: &Connection, id: i64) -> Result<Role> {
    let sql = format!("{ROLE_SELECT} WHERE id = ?");
    conn.prepare_cached(&sql)?.query_row([id], role_from_row).optional()?.ok_or(Error::NotFound)
}

pub fn create_role(conn: &Connection, name: &str, permissions: PermSet, assignable: bool) -> Result<Role> {
    let taken: Option<i64> = conn.query_row("SELECT id FROM roles WHERE name = ?", [name], |r| r.get(0)).optional()?;
    if taken.is_some() {
        return Err(Error::invalid("Name has already been taken"));
    }
    conn.execute(
        "INSERT INTO roles (name, position, assignable, permissions)
         VALUES (?, (SELECT COALESCE(max(position), 0) + 1 FROM roles), ?, ?)",
        params![name, assignable, permissions.names().join(" ")],
    )?;
    role(conn, conn.last_insert_rowid())
}

// ---------------------------------------------------------------------------------------------
// Memberships

fn membership_rows(conn: &Connection, condition: &str, param: i64) -> Result<Vec<Membership>> {
    let sql = format!(
        "SELECT m.id, p.id, p.name, u.id, u.firstname, u.lastname,
                (SELECT json_group_array(json_array(r.id, r.name)) FROM member_roles mr JOIN roles r ON r.id = mr.role_id
                  WHERE mr.member_id = m.id)
           FROM members m JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id
          WHERE {condition} ORDER BY m.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([param], |r| {
        let roles_json: String = r.get(6)?;
        let roles: Vec<(i64, String)> = serde_json::from_str(&roles_json).unwrap_or_default();
        Ok(Membership {
            id: r.get(0)?,
            project: (r.get(1)?, r.get(2)?),
            user: (r.get(3)?, crate::domain::display_name(&r.get::<_, String>(4)?, &r.get::<_, String>(5)?)),
            roles,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn memberships(conn: &Connection, project_id: i64) -> Result<Vec<Membership>> {
    membership_rows(conn, "m.project_id = ?", project_id)
}

pub fn membership(conn: &Connection, id: i64) -> Result<Membership> {
    membership_rows(conn, "m.id = ?", id)?.pop().ok_or(Error::NotFound)
}

/// Adds (or extends) the membership of `user_id` in `project_id` with `role_ids`.
pub fn add_membership(conn: &Connection, project_id: i64, user_id: i64, role_ids: &[i64]) -> Result<Membership> {
    let mut errors = Vec::new();
    let user: Option<i64> = conn.query_row("SELECT id FROM users WHERE id = ?", [user_id], |r| r.get(0)).optional()?;
    if user.is_none() {
        errors.push("Principal cannot be blank".to_string());
    }
    if role_ids.is_empty() {
        errors.push("Role cannot be empty".to_string());
    }
    for rid in role_ids {
        if role(conn, *rid).is_err() {
            errors.push("Role is invalid".to_string());
        }
    }
    if !errors.is_empty() {
        errors.dedup();
        return Err(Error::Validation(errors));
    }
    conn.execute(
        "INSERT INTO members (user_id, project_id, created_on) VALUES (?, ?, ?)
         ON CONFLICT (user_id, project_id) DO NOTHING",
        params![user_id, project_id, now_ms()],
    )?;
    let member_id: i64 = conn.query_row(
        "SELECT id FROM members WHERE user_id = ? AND project_id = ?",
        params![user_id, project_id],
        |r| r.get(0),
    )?;
    for rid in role_ids {
        conn.execute("INSERT OR IGNORE INTO member_roles (member_id, role_id) VALUES (?, ?)", params![member_id, rid])?;
    }
    membership(conn, member_id)
}

pub fn delete_membership(conn: &Connection, id: i64) -> Result<()> {
    if conn.execute("DELETE FROM members WHERE id = ?", [id])? == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The store's surface for projects, roles and memberships

impl Store {
    /// The project an id or identifier names (NotFound when none), cached per configuration
    /// version like the other configuration reads.
    pub fn project(&self, reference: &str) -> Result<Arc<Project>> {
        let version = self.config_version();
        if let Some(project) = self.config_cache.project(version, reference) {
            return Ok(project);
        }
        let project = Arc::new(self.read(|c| find(c, reference))?);
        self.config_cache.put_project(version, reference, project.clone());
        Ok(project)
    }

    /// The ids of a project and of its descendants, in id order.
    pub fn project_subtree(&self, project_id: i64) -> Result<Arc<[i64]>> {
        let version = self.config_version();
        if let Some(ids) = self.config_cache.subtree(version, project_id) {
            return Ok(ids);
        }
        let ids: Arc<[i64]> = self.read(|c| with_descendants(c, project_id))?.into();
        self.config_cache.put_subtree(version, project_id, ids.clone());
        Ok(ids)
    }

    /// Projects by id, one page, limited to `ids` when given, and their total.
    pub fn projects_page(&self, ids: Option<&[i64]>, offset: i64, limit: i64) -> Result<(Vec<Project>, i64)> {
        self.read(|c| list(c, ids, offset, limit))
    }

    /// Whether every one of `ids` names a project.
    pub fn projects_exist(&self, ids: &[i64]) -> Result<bool> {
        self.read(|c| {
            for id in ids {
                match get(c, *id) {
                    Ok(_) => {}
                    Err(Error::NotFound) => return Ok(false),
                    Err(e) => return Err(e),
                }
            }
            Ok(true)
        })
    }

    pub async fn create_project(&self, changes: ProjectChanges) -> Result<Project> {
        self.write_config(move |c| create(c, changes)).await
    }

    pub async fn update_project(&self, id: i64, changes: ProjectChanges) -> Result<()> {
        self.write_config(move |c| update(c, id, changes)).await
    }

    pub fn memberships(&self, project_id: i64) -> Result<Vec<Membership>> {
        self.read(|c| memberships(c, project_id))
    }

    pub fn membership(&self, id: i64) -> Result<Membership> {
        self.read(|c| membership(c, id))
    }

    pub async fn add_membership(&self, project_id: i64, user_id: i64, role_ids: Vec<i64>) -> Result<Membership> {
        self.write_config(move |c| add_membership(c, project_id, user_id, &role_ids)).await
    }

    pub async fn delete_membership(&self, id: i64) -> Result<()> {
        self.write_config(move |c| delete_membership(c, id)).await
    }

    pub fn roles(&self) -> Result<Vec<Role>> {
        self.read(roles)
    }

    pub fn role(&self, id: i64) -> Result<Role> {
        self.read(|c| role(c, id))
    }

    pub async fn create_role(&self, name: String, permissions: PermSet, assignable: bool) -> Result<Role> {
        self.write_config(move |c| create_role(c, &name, permissions, assignable)).await
    }
}
