//! Users: lookup, listing and the admin's writes.

use rusqlite::{params, Connection, OptionalExtension, Params, Row};

use crate::domain::time::now_ms;
use crate::domain::User;
use crate::error::{Error, Result};

use super::Store;
use crate::domain::changes::UserChanges;

const COLUMNS: &str = "id, login, firstname, lastname, mail, admin, status, api_key, created_on, \
                       updated_on, last_login_on";

fn from_row(r: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        login: r.get(1)?,
        firstname: r.get(2)?,
        lastname: r.get(3)?,
        mail: r.get(4)?,
        admin: r.get(5)?,
        status: r.get(6)?,
        api_key: r.get(7)?,
        created_on: r.get(8)?,
        updated_on: r.get(9)?,
        last_login_on: r.get(10)?,
    })
}

pub fn find_by(conn: &Connection, condition: &str, params: impl Params) -> Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE {condition}");
    Ok(conn.prepare_cached(&sql)?.query_row(params, from_row).optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<User> {
    find_by(conn, "id = ?", [id])?.ok_or(Error::NotFound)
}

/// User id → display name ("First Last", as references to users show it), of every user.
pub fn display_names(conn: &Connection) -> Result<std::collections::HashMap<i64, String>> {
    let mut stmt = conn.prepare_cached("SELECT id, firstname, lastname FROM users")?;
    let names = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, crate::domain::display_name(&r.get::<_, String>(1)?, &r.get::<_, String>(2)?)))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(names)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

/// Users with `status` (None: active), by id, one page.
pub fn list(conn: &Connection, status: Option<i64>, offset: i64, limit: i64) -> Result<(Vec<User>, i64)> {
    let status = status.unwrap_or(crate::domain::USER_ACTIVE);
    let total =
        conn.prepare_cached("SELECT count(*) FROM users WHERE status = ?")?.query_row([status], |r| r.get(0))?;
    let sql = format!("SELECT {COLUMNS} FROM users WHERE status = ? ORDER BY id LIMIT ? OFFSET ?");
    let users = conn
        .prepare_cached(&sql)?
        .query_map(params![status, limit, offset], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((users, total))
}

fn check_unique(conn: &Connection, id: i64, changes: &UserChanges) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(login) = &changes.login {
        if find_by(conn, "login = ? AND id <> ?", params![login, id])?.is_some() {
            errors.push("Login has already been taken".to_string());
        }
    }
    if let Some(mail) = &changes.mail {
        if find_by(conn, "lower(mail) = lower(?) AND id <> ?", params![mail, id])?.is_some() {
            errors.push("Email has already been taken".to_string());
        }
    }
    if let Some(key) = &changes.api_key {
        if find_by(conn, "api_key = ? AND id <> ?", params![key, id])?.is_some() {
            errors.push("API key has already been taken".to_string());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

pub fn create(conn: &Connection, c: UserChanges) -> Result<User> {
    check_unique(conn, 0, &c)?;
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO users (login, firstname, lastname, mail, admin, status, password_hash, api_key,
                            created_on, updated_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        c.login.unwrap_or_default(),
        c.firstname.unwrap_or_default(),
        c.lastname.unwrap_or_default(),
        c.mail,
        c.admin.unwrap_or(false),
        c.status.unwrap_or(crate::domain::USER_ACTIVE),
        c.password_hash,
        c.api_key.unwrap_or_else(crate::secrets::generate_api_key),
        now,
        now
    ])?;
    get(conn, conn.last_insert_rowid())
}

pub fn update(conn: &Connection, id: i64, c: UserChanges) -> Result<()> {
    get(conn, id)?;
    check_unique(conn, id, &c)?;
    conn.prepare_cached(
        "UPDATE users SET login = COALESCE(?, login), firstname = COALESCE(?, firstname),
                lastname = COALESCE(?, lastname), mail = COALESCE(?, mail),
                admin = COALESCE(?, admin), status = COALESCE(?, status),
                password_hash = COALESCE(?, password_hash), api_key = COALESCE(?, api_key),
                updated_on = ?
          WHERE id = ?",
    )?
    .execute(params![
        c.login,
        c.firstname,
        c.lastname,
        c.mail,
        c.admin,
        c.status,
        c.password_hash,
        c.api_key,
        now_ms(),
        id
    ])?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    if conn.execute("DELETE FROM users WHERE id = ?", [id])? == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The store's surface for users

impl Store {
    /// Users with `status` (None: active), by id, one page, and their total.
    pub fn users_page(&self, status: Option<i64>, offset: i64, limit: i64) -> Result<(Vec<User>, i64)> {
        self.read(|c| list(c, status, offset, limit))
    }

    pub fn user(&self, id: i64) -> Result<User> {
        self.read(|c| get(c, id))
    }

    /// The user with this login, active or not.
    pub fn user_by_login(&self, login: &str) -> Result<Option<User>> {
        self.read(|c| find_by(c, "login = ?", [login]))
    }

    pub fn has_users(&self) -> Result<bool> {
        Ok(self.read(count)? > 0)
    }

    pub async fn create_user(&self, changes: UserChanges) -> Result<User> {
        self.write_config(move |c| create(c, changes)).await
    }

    pub async fn update_user(&self, id: i64, changes: UserChanges) -> Result<()> {
        self.write_config(move |c| update(c, id, changes)).await
    }

    pub async fn delete_user(&self, id: i64) -> Result<()> {
        self.write_config(move |c| delete(c, id)).await
    }
}
