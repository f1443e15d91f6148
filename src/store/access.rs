//! Loading a [`Principal`]: the user's memberships and roles, the built-in roles for public
//! projects, and admins' implicit permissions, each limited to the project's modules.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::permission::PermSet;
use crate::domain::principal::{Credentials, Principal};
use crate::domain::{User, PROJECT_ACTIVE};
use crate::error::{Error, Result};

use super::{users, Store};

const BUILTIN_NON_MEMBER: i64 = 1;
const BUILTIN_ANONYMOUS: i64 = 2;

struct ProjectAccess {
    id: i64,
    active: bool,
    is_public: bool,
    modules: Vec<String>,
}

fn projects(conn: &Connection) -> Result<Vec<ProjectAccess>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.status, p.is_public, COALESCE(group_concat(m.name, ' '), '')
           FROM projects p LEFT JOIN enabled_modules m ON m.project_id = p.id
          GROUP BY p.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ProjectAccess {
            id: r.get(0)?,
            active: r.get::<_, i64>(1)? == PROJECT_ACTIVE,
            is_public: r.get(2)?,
            modules: r.get::<_, String>(3)?.split_whitespace().map(String::from).collect(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn builtin_permissions(conn: &Connection, builtin: i64) -> Result<PermSet> {
    let names: Option<String> = conn
        .prepare_cached("SELECT permissions FROM roles WHERE builtin = ?")?
        .query_row([builtin], |r| r.get(0))
        .optional()?;
    Ok(PermSet::parse(&names.unwrap_or_default()))
}

/// Everything `user` (None: anonymous) may do, per active project.
fn load_principal(conn: &Connection, user: Option<User>) -> Result<Principal> {
    let all = projects(conn)?;
    let mut member_perms: HashMap<i64, PermSet> = HashMap::new();
    if let Some(u) = user.as_ref().filter(|u| !u.admin) {
        let mut stmt = conn.prepare_cached(
            "SELECT m.project_id, r.permissions FROM members m
               JOIN member_roles mr ON mr.member_id = m.id
               JOIN roles r ON r.id = mr.role_id
              WHERE m.user_id = ?",
        )?;
        let rows = stmt.query_map([u.id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (project, names) = row?;
            let set = member_perms.entry(project).or_default();
            *set = set.union(PermSet::parse(&names));
        }
    }
    let outsider = match &user {
        None => builtin_permissions(conn, BUILTIN_ANONYMOUS)?,
        Some(_) => builtin_permissions(conn, BUILTIN_NON_MEMBER)?,
    };
    let admin = user.as_ref().is_some_and(|u| u.admin);
    let mut permissions = HashMap::new();
    for p in all.iter().filter(|p| p.active) {
        let granted = if admin {
            PermSet::all()
        } else if let Some(set) = member_perms.get(&p.id) {
            *set
        } else if p.is_public {
            outsider
        } else {
            PermSet::EMPTY
        };
        let granted = granted.for_modules(&p.modules);
        if granted != PermSet::EMPTY {
            permissions.insert(p.id, granted);
        }
    }
    Ok(Principal { user, permissions, project_count: all.len() })
}

/// The active user owning `key`, compared in constant time against the stored key.
fn user_by_api_key(conn: &Connection, key: &str) -> Result<Option<User>> {
    use subtle::ConstantTimeEq;
    // The index finds the candidate; the constant-time comparison guards against a lookup
    // that matched for another reason (collation) and keeps the final check timing-safe.
    let Some(user) = users::find_by(conn, "api_key = ?", params![key])? else {
        return Ok(None);
    };
    let stored = user.api_key.clone().unwrap_or_default();
    let same: bool = stored.as_bytes().ct_eq(key.as_bytes()).into();
    Ok((same && user.status == crate::domain::USER_ACTIVE).then_some(user))
}

/// The active user with this login whose password matches.
fn user_by_password(conn: &Connection, login: &str, password: &str) -> Result<Option<User>> {
    let hash: Option<(i64, Option<String>)> = conn
        .prepare_cached("SELECT id, password_hash FROM users WHERE login = ? AND status = 1")?
        .query_row([login], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((id, Some(hash))) = hash else {
        return Ok(None);
    };
    if !crate::secrets::verify_password(password, &hash) {
        return Ok(None);
    }
    users::get(conn, id).map(Some)
}

/// The active user with this login (for `X-Redmine-Switch-User`).
fn active_user_by_login(conn: &Connection, login: &str) -> Result<Option<User>> {
    users::find_by(conn, "login = ? AND status = 1", params![login])
}

// ---------------------------------------------------------------------------------------------
// The store's surface for authentication

impl Store {
    /// The principal that `credentials` name, from the cache while the configuration (users,
    /// roles, memberships, projects) is unchanged. Unknown credentials act as anonymous; a
    /// switch-user naming no active user is refused (412).
    pub fn principal(&self, credentials: &Credentials) -> Result<Arc<Principal>> {
        let version = self.config_version();
        if let Some(principal) = self.config_cache.principal(version, credentials.fingerprint) {
            return Ok(principal);
        }
        let principal = Arc::new(self.read(|c| resolve(c, credentials))?);
        self.config_cache.put_principal(version, credentials.fingerprint, principal.clone());
        Ok(principal)
    }

    /// The principal of a user signed in to the web interface (cached as `principal` is):
    /// anonymous when the user is gone or no longer active.
    pub fn user_principal(&self, user_id: i64) -> Result<Arc<Principal>> {
        use std::hash::{BuildHasher, Hash, Hasher};
        static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> = std::sync::OnceLock::new();
        let mut h = KEYS.get_or_init(Default::default).build_hasher();
        ("web session", user_id).hash(&mut h);
        let fingerprint = h.finish();
        let version = self.config_version();
        if let Some(principal) = self.config_cache.principal(version, fingerprint) {
            return Ok(principal);
        }
        let principal = Arc::new(self.read(|c| {
            let user = users::find_by(c, "id = ? AND status = 1", [user_id])?;
            load_principal(c, user)
        })?);
        self.config_cache.put_principal(version, fingerprint, principal.clone());
        Ok(principal)
    }

    /// The active user with this login whose password matches (argon2, as HTTP Basic checks
    /// it); None for an unknown login, a wrong password or a locked user.
    pub fn user_by_password(&self, login: &str, password: &str) -> Result<Option<User>> {
        super::long_read(|| self.read(|c| user_by_password(c, login, password)))
    }
}

/// An API key first; else Basic with login and password, or with a key as the user name; then
/// an administrator's switch to another active user.
fn resolve(conn: &Connection, credentials: &Credentials) -> Result<Principal> {
    let mut user = match (&credentials.api_key, &credentials.basic) {
        (Some(key), _) => user_by_api_key(conn, key)?,
        (None, Some((login, password))) => match user_by_password(conn, login, password)? {
            Some(user) => Some(user),
            None => user_by_api_key(conn, login)?,
        },
        (None, None) => None,
    };
    if let (Some(u), Some(login)) = (&user, &credentials.switch_user) {
        if u.admin {
            user = Some(active_user_by_login(conn, login)?.ok_or(Error::PreconditionFailed)?);
        }
    }
    load_principal(conn, user)
}
