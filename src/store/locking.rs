//! How a store shares its file with other processes: [`Locking`], and [`DbFile`], through which
//! every connection of a store opens the file the same way.
//!
//! **Exclusive** (the default): SQLite's `unix-excl` VFS (made the process default by
//! `init_sqlite`). The first connection takes an exclusive lock on the file for the whole
//! process and the WAL index lives in this process's memory; no other process can open the
//! file while the server runs. The caches follow an in-process data version and so assume that
//! this process is the file's only writer: the lock enforces it, and spares every read
//! transaction the `fcntl` calls on the `-shm` file.
//!
//! **Shared** (`serve --shared-lock`): SQLite's ordinary `unix` VFS, the WAL index in the
//! `-shm` file, so that other processes can open the file meanwhile — Litestream, which
//! follows the WAL to replicate it, or an `sqlite3` shell for a look. What it costs and why it
//! is safe:
//! - every read transaction takes and drops a lock on the `-shm` file (a few `fcntl` calls:
//!   microseconds per request);
//! - the caches still assume no other process changes the application's rows. Litestream does
//!   not: it reads, writes only tables of its own (`_litestream_seq`, `_litestream_lock`) and
//!   checkpoints, and a checkpoint copies committed pages from the WAL into the file without
//!   changing what any query answers. Rows changed by another program (an `sqlite3` shell)
//!   would not be seen by the caches until a restart: don't;
//! - a second contacts server on the same file is refused: the first holds an advisory lock
//!   (`flock`) on `DB-server.lock` beside the database (separate from SQLite's `fcntl` locks,
//!   which it never disturbs);
//! - checkpoints are left to Litestream, as its documentation recommends for write-heavy
//!   servers (an application checkpoint racing Litestream's own makes it lose its place in
//!   the WAL and start a new snapshot): SQLite's automatic checkpoint is raised from 1,000 WAL
//!   pages to [`SHARED_AUTOCHECKPOINT_PAGES`], above Litestream's own emergency threshold
//!   (121,359 pages), so the server checkpoints only when Litestream is not running, and the
//!   WAL then stays bounded (about 800 MB at 4 KiB pages). The busy timeout (5 s, which
//!   Litestream asks for) lets writes wait out Litestream's short write locks.

use std::path::{Path, PathBuf};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// How the server shares its database file with other processes (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locking {
    /// No other process can open the file while the store has it open.
    #[default]
    Exclusive,
    /// Other processes (Litestream) can open the file; another contacts server cannot.
    Shared,
}

/// WAL pages after which a commit checkpoints in [`Locking::Shared`] (SQLite's default is
/// 1,000; Litestream checkpoints at 1,000 and forces one at 121,359).
pub const SHARED_AUTOCHECKPOINT_PAGES: u32 = 200_000;

/// The database file of a store, as its connections open it.
#[derive(Clone, Debug)]
pub(super) struct DbFile {
    pub(super) path: PathBuf,
    pub(super) locking: Locking,
}

impl DbFile {
    /// A connection with `flags`, on the VFS of the store's locking.
    pub(super) fn open(&self, flags: OpenFlags) -> rusqlite::Result<Connection> {
        match self.locking {
            Locking::Exclusive => Connection::open_with_flags(&self.path, flags),
            Locking::Shared => Connection::open_with_flags_and_vfs(&self.path, flags, "unix"),
        }
    }

    /// The reader pool's connections, opened as `open` would (the pool takes a path or a URI
    /// only: the VFS is named in the URI).
    pub(super) fn pool_manager(&self, flags: OpenFlags) -> SqliteConnectionManager {
        match self.locking {
            Locking::Exclusive => SqliteConnectionManager::file(&self.path).with_flags(flags),
            Locking::Shared => {
                SqliteConnectionManager::file(uri(&self.path, "unix")).with_flags(flags | OpenFlags::SQLITE_OPEN_URI)
            }
        }
    }
}

/// `file:PATH?vfs=VFS`, the path percent-encoded where a URI needs it.
fn uri(path: &Path, vfs: &str) -> String {
    let mut uri = String::from("file:");
    let bytes = path.as_os_str().as_encoded_bytes();
    if bytes.starts_with(b"/") {
        // An empty authority: `file:///abs/path` (a path starting `//` would read as a host).
        uri.push_str("//");
    }
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?vfs=");
    uri.push_str(vfs);
    uri
}

/// The advisory lock that keeps a second contacts server off a file opened in shared mode;
/// released when dropped (with the store).
#[derive(Debug)]
pub(super) struct ServerLock {
    _file: std::fs::File,
}

impl ServerLock {
    /// Takes the lock on `DB-server.lock`; an error names the file in use.
    pub(super) fn take(db: &Path) -> Result<ServerLock> {
        ServerLock::try_take(db)?.ok_or_else(|| {
            Error::Internal(format!(
                "{} is in use by another process (another contacts server runs on it: {} is locked)",
                db.display(),
                lock_path(db).display()
            ))
        })
    }

    /// The lock, or None when another process holds it.
    pub(super) fn try_take(db: &Path) -> Result<Option<ServerLock>> {
        let path = lock_path(db);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::Internal(format!("cannot open {}: {e}", path.display())))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock on a descriptor this function owns; LOCK_NB never blocks.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                return Ok(None);
            }
        }
        Ok(Some(ServerLock { _file: file }))
    }

    /// Whether a store in shared mode ever ran on `db` (its lock file is there).
    pub(super) fn ever_taken(db: &Path) -> bool {
        lock_path(db).exists()
    }
}

fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-server.lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_what_a_uri_reads_otherwise() {
        assert_eq!(uri(Path::new("/var/lib/c.db"), "unix"), "file:///var/lib/c.db?vfs=unix");
        assert_eq!(uri(Path::new("data/a b?#%.db"), "unix"), "file:data/a%20b%3F%23%25.db?vfs=unix");
    }

    #[test]
    fn one_server_lock_per_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.db");
        let first = ServerLock::take(&db).unwrap();
        let second = ServerLock::take(&db).unwrap_err().to_string();
        assert!(second.contains("in use by another process"), "{second}");
        drop(first);
        ServerLock::take(&db).unwrap();
    }
}
