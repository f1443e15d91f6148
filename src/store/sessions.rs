//! Web interface sessions (`sessions`, schema 6) and the account changes a signed-in user
//! makes for themselves: a new password, a new API key.
//!
//! The cookie carries a random token; the table keeps only its BLAKE2s hash, so that a copy of
//! the file opens no session. A session is found only while it is unexpired and its user is
//! active: locking a user ends their sessions at once, deleting one removes them (cascade).

use blake2::{Blake2s256, Digest};
use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::time::now_ms;
use crate::error::Result;
use crate::secrets;

use super::Store;

/// A signed-in browser, as the web interface sees it.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: i64,
    /// The token every form of this session carries (checked on every state-changing page
    /// request).
    pub csrf_token: String,
    /// When the session was last moved forward (milliseconds since the epoch).
    pub seen_on: i64,
    pub expires_on: i64,
}

fn token_hash(token: &str) -> Vec<u8> {
    Blake2s256::digest(token.as_bytes()).to_vec()
}

fn find(conn: &Connection, token: &str, now: i64) -> Result<Option<Session>> {
    Ok(conn
        .prepare_cached(
            "SELECT s.user_id, s.csrf_token, s.seen_on, s.expires_on
               FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_hash = ? AND s.expires_on > ? AND u.status = 1",
        )?
        .query_row(params![token_hash(token), now], |r| {
            Ok(Session { user_id: r.get(0)?, csrf_token: r.get(1)?, seen_on: r.get(2)?, expires_on: r.get(3)? })
        })
        .optional()?)
}

fn create(conn: &Connection, user_id: i64, token: &str, csrf: &str, lifetime_ms: i64) -> Result<Session> {
    let now = now_ms();
    // Expired sessions go whenever someone signs in: the table holds the live ones and a few.
    conn.prepare_cached("DELETE FROM sessions WHERE expires_on <= ?")?.execute([now])?;
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_on, seen_on, expires_on)
         VALUES (?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![token_hash(token), user_id, csrf, now, now, now + lifetime_ms])?;
    conn.prepare_cached("UPDATE users SET last_login_on = ? WHERE id = ?")?.execute(params![now, user_id])?;
    Ok(Session { user_id, csrf_token: csrf.to_string(), seen_on: now, expires_on: now + lifetime_ms })
}

// ---------------------------------------------------------------------------------------------
// The store's surface for sessions

impl Store {
    /// Starts a session for `user_id` that lasts `lifetime_ms` past its last use; answers the
    /// token for the cookie and the session.
    pub async fn create_session(&self, user_id: i64, lifetime_ms: i64) -> Result<(String, Session)> {
        let token = secrets::generate_token();
        let csrf = secrets::generate_token();
        let kept = token.clone();
        let session = self.write(move |c| create(c, user_id, &kept, &csrf, lifetime_ms)).await?;
        Ok((token, session))
    }

    /// The live session a cookie's token names: unexpired, its user active.
    pub fn session(&self, token: &str) -> Result<Option<Session>> {
        self.read(|c| find(c, token, now_ms()))
    }

    /// Moves a session's expiry to `lifetime_ms` from now.
    pub async fn refresh_session(&self, token: &str, lifetime_ms: i64) -> Result<()> {
        let hash = token_hash(token);
        self.write(move |c| {
            let now = now_ms();
            c.prepare_cached("UPDATE sessions SET seen_on = ?, expires_on = ? WHERE token_hash = ?")?
                .execute(params![now, now + lifetime_ms, hash])?;
            Ok(())
        })
        .await
    }

    /// Ends one session (logout).
    pub async fn end_session(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        self.write(move |c| {
            c.prepare_cached("DELETE FROM sessions WHERE token_hash = ?")?.execute([hash])?;
            Ok(())
        })
        .await
    }

    /// Sets a user's password (an argon2 PHC string, already hashed) and ends their other
    /// sessions: whoever signed in with the old password is signed out.
    pub async fn set_password(&self, user_id: i64, password_hash: String, keep_token: &str) -> Result<()> {
        let keep = token_hash(keep_token);
        self.write_config(move |c| {
            c.prepare_cached("UPDATE users SET password_hash = ?, updated_on = ? WHERE id = ?")?.execute(params![
                password_hash,
                now_ms(),
                user_id
            ])?;
            c.prepare_cached("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?")?
                .execute(params![user_id, keep])?;
            Ok(())
        })
        .await
    }

    /// Gives a user a new random API key (the old one stops working at once); answers it.
    pub async fn reset_api_key(&self, user_id: i64) -> Result<String> {
        let key = secrets::generate_api_key();
        let kept = key.clone();
        self.write_config(move |c| {
            c.prepare_cached("UPDATE users SET api_key = ?, updated_on = ? WHERE id = ?")?.execute(params![
                kept,
                now_ms(),
                user_id
            ])?;
            Ok(())
        })
        .await?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::changes::UserChanges;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn sessions_are_found_by_their_token_until_they_end_expire_or_their_user_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::test_support::open_small(&dir.path().join("s.db"));
        let rt = runtime();
        let user =
            rt.block_on(store.create_user(UserChanges { login: Some("kim".into()), ..Default::default() })).unwrap();
        let (token, session) = rt.block_on(store.create_session(user.id, 60_000)).unwrap();
        assert_eq!(token.len(), 64);
        let found = store.session(&token).unwrap().expect("a live session");
        assert_eq!((found.user_id, found.csrf_token.as_str()), (user.id, session.csrf_token.as_str()));
        assert!(store.session(&format!("{token}0")).unwrap().is_none());
        assert!(store.user(user.id).unwrap().last_login_on.is_some());

        let (short, _) = rt.block_on(store.create_session(user.id, -1)).unwrap();
        assert!(store.session(&short).unwrap().is_none(), "expired");

        rt.block_on(store.update_user(user.id, UserChanges { status: Some(3), ..Default::default() })).unwrap();
        assert!(store.session(&token).unwrap().is_none(), "locked");
        assert!(store.user_principal(user.id).unwrap().is_anonymous());
        rt.block_on(store.update_user(user.id, UserChanges { status: Some(1), ..Default::default() })).unwrap();
        assert!(store.session(&token).unwrap().is_some());
        assert_eq!(store.user_principal(user.id).unwrap().user_id(), user.id);

        rt.block_on(store.end_session(&token)).unwrap();
        assert!(store.session(&token).unwrap().is_none(), "ended");
    }

    #[test]
    fn a_new_password_ends_the_other_sessions_and_a_new_key_replaces_the_old() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::test_support::open_small(&dir.path().join("s.db"));
        let rt = runtime();
        let hash = secrets::hash_password("old password").unwrap();
        let user = rt
            .block_on(store.create_user(UserChanges {
                login: Some("kim".into()),
                password_hash: Some(hash),
                ..Default::default()
            }))
            .unwrap();
        assert!(store.user_by_password("kim", "old password").unwrap().is_some());
        let (mine, _) = rt.block_on(store.create_session(user.id, 60_000)).unwrap();
        let (other, _) = rt.block_on(store.create_session(user.id, 60_000)).unwrap();
        let new_hash = secrets::hash_password("new password").unwrap();
        rt.block_on(store.set_password(user.id, new_hash, &mine)).unwrap();
        assert!(store.user_by_password("kim", "old password").unwrap().is_none());
        assert!(store.user_by_password("kim", "new password").unwrap().is_some());
        assert!(store.session(&mine).unwrap().is_some());
        assert!(store.session(&other).unwrap().is_none());

        let old_key = user.api_key.clone().unwrap();
        let key = rt.block_on(store.reset_api_key(user.id)).unwrap();
        assert_ne!(key, old_key);
        assert_eq!(store.user(user.id).unwrap().api_key.as_deref(), Some(key.as_str()));
    }
}
