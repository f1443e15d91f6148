//! Installing a backup in place of a database no server is running on (`contacts restore`).
//!
//! In this order, so that a refusal or a failure leaves the database as it was:
//! 1. the backup must start like an SQLite file;
//! 2. the database must be unused: it is opened with an exclusive lock on the file (SQLite's
//!    `EXCLUSIVE` locking mode), which fails while any process has it open — a server in
//!    either locking mode (its own exclusive lock, or the shared lock every connection holds
//!    in WAL mode), Litestream, an `sqlite3` shell — and the lock of a server in shared mode
//!    (`DB-server.lock`) is taken too when that file is there. The locks are held to the end,
//!    so no server can start on the old file meanwhile; the connection is closed without
//!    checkpointing, so it never writes to or deletes anything by name after the swap;
//! 3. the backup is copied with SQLite's backup API (a file with a `-wal` of its own comes
//!    out whole) into a temporary file beside the database, switched to the rollback journal,
//!    checked ([`check_file`]: integrity, search index, a schema version not newer than this
//!    binary's) and fsynced;
//! 4. the old database's `-wal`, `-shm` and `-journal` are removed (left there, SQLite would
//!    apply an old log to the new file), the copy is renamed over the database and the
//!    directory is fsynced.
//!
//! A backup at an older schema version is installed as it is; the server brings it up to date
//! when it opens it.

use std::path::{Path, PathBuf};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::backup::{has_sqlite_header, io_error, sidecar, sync_dir, sync_file_and_dir};
use super::locking::ServerLock;
use super::{check_file, FileCheck};
use crate::error::{Error, Result};

/// How a restore ended (an `Err` is a failure to carry it out: I/O, say).
#[derive(Debug)]
pub enum Restored {
    /// The backup is now the database; what its check found.
    Installed(FileCheck),
    /// Refused: the backup is not a sound contacts database (see its problems). The database
    /// was not touched.
    Unsound(FileCheck),
    /// Refused: some process has the database open (a server is running on it). Nothing was
    /// touched.
    InUse,
}

/// Installs the backup at `backup` as the database at `db` (which need not exist).
pub fn restore(backup: &Path, db: &Path) -> Result<Restored> {
    let bytes = std::fs::metadata(backup).map_err(|e| io_error("read", backup, e))?.len();
    if !has_sqlite_header(backup)? {
        let problems = vec![format!("{} is not a SQLite database", backup.display())];
        return Ok(Restored::Unsound(FileCheck { bytes, problems, ..FileCheck::default() }));
    }
    let _server_lock = match ServerLock::ever_taken(db).then(|| ServerLock::try_take(db)).transpose()? {
        Some(None) => return Ok(Restored::InUse),
        taken => taken.flatten(),
    };
    let Some(_lock) = lock_unused(db)? else { return Ok(Restored::InUse) };
    let temp = {
        let mut name = db.as_os_str().to_owned();
        name.push(format!(".restore-{}.tmp", std::process::id()));
        PathBuf::from(name)
    };
    let installed = install(backup, &temp, db);
    if !matches!(installed, Ok(Restored::Installed(_))) {
        let _ = std::fs::remove_file(&temp);
        let _ = std::fs::remove_file(sidecar(&temp, "-journal"));
    }
    installed
}

fn install(backup: &Path, temp: &Path, db: &Path) -> Result<Restored> {
    let _ = std::fs::remove_file(temp);
    if let Err(e) = copy(backup, temp) {
        let unreadable = matches!(
            e.sqlite_error_code(),
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt | ErrorCode::CannotOpen)
        );
        if unreadable {
            let problems = vec![format!("{} cannot be read as a database: {e}", backup.display())];
            return Ok(Restored::Unsound(FileCheck { problems, ..FileCheck::default() }));
        }
        return Err(e.into());
    }
    let check = check_file(temp)?;
    if !check.is_sound() {
        return Ok(Restored::Unsound(check));
    }
    sync_file_and_dir(temp)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let stale = sidecar(db, suffix);
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("remove", &stale, e)),
        }
    }
    std::fs::rename(temp, db).map_err(|e| io_error("rename the restored copy to", db, e))?;
    sync_dir(db)?;
    Ok(Restored::Installed(check))
}

/// The backup copied page by page into the new file `temp`, as one self-contained file.
fn copy(backup: &Path, temp: &Path) -> rusqlite::Result<()> {
    let source =
        Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    let mut target = Connection::open(temp)?;
    match Backup::new(&source, &mut target)?.step(-1)? {
        StepResult::Done => {}
        // The source is a file nobody else writes: a busy one is a file in use.
        _ => return Err(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None)),
    }
    target.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
}

/// An exclusive lock on the database file, held while the returned connection is open; None
/// when another process has the file open. A missing or empty file needs no lock (an empty
/// file is what a server that never wrote leaves; the rename replaces it).
fn lock_unused(db: &Path) -> Result<Option<Connection>> {
    match std::fs::metadata(db) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Some(Connection::open_in_memory()?)),
        Err(e) => return Err(io_error("read", db, e)),
        Ok(_) => {}
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    // The ordinary VFS, whatever this process's default is (see `init_sqlite`): its locks are
    // the ones every other process's SQLite sees.
    #[cfg(unix)]
    let conn = Connection::open_with_flags_and_vfs(db, flags, "unix")?;
    #[cfg(not(unix))]
    let conn = Connection::open_with_flags(db, flags)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE")?;
    // The first read takes the lock (in WAL mode too: with the exclusive locking mode set
    // first, the WAL index lives in this connection's memory and the lock is on the file).
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(Some(conn)),
        Err(e) if matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)) => {
            Ok(None)
        }
        // Not a database at all (a torn file, say): nothing can be serving it.
        Err(e) if matches!(e.sqlite_error_code(), Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)) => {
            tracing::warn!("{} is not a readable database ({e}); replacing it", db.display());
            Ok(Some(conn))
        }
        Err(e) => Err(Error::Internal(format!("cannot open {}: {e}", db.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support;

    #[test]
    fn a_backup_replaces_the_database_and_its_stale_log() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.db");
        let store = test_support::open_small(&live);
        let backup = dir.path().join("b.sqlite3");
        store.backup_to(&backup).unwrap();
        drop(store);
        let db = dir.path().join("target.db");
        Connection::open(&db).unwrap().execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE old (x);").unwrap();
        std::fs::write(sidecar(&db, "-wal"), b"stale log").unwrap();
        match restore(&backup, &db).unwrap() {
            Restored::Installed(check) => assert!(check.is_sound()),
            other => panic!("{other:?}"),
        }
        assert!(!sidecar(&db, "-wal").exists(), "the old log is gone");
        assert!(check_file(&db).unwrap().is_sound());
        let names: Vec<String> = dir
            .path()
            .read_dir()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
        // And into a place where no database was.
        let fresh = dir.path().join("fresh.db");
        assert!(matches!(restore(&backup, &fresh).unwrap(), Restored::Installed(_)));
    }

    #[test]
    fn what_is_not_a_sound_backup_is_refused_and_the_database_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("target.db");
        // A database written and closed here (a store's background readers could still
        // checkpoint its log into the file while the test compares its bytes).
        crate::store::schema::migrate(&Connection::open(&db).unwrap()).unwrap();
        let before = std::fs::read(&db).unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello").unwrap();
        let other = dir.path().join("other.db");
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
        for bad in [&text, &other] {
            match restore(bad, &db).unwrap() {
                Restored::Unsound(check) => assert!(!check.problems.is_empty()),
                other => panic!("{}: {other:?}", bad.display()),
            }
        }
        assert_eq!(std::fs::read(&db).unwrap(), before);
        assert!(restore(&dir.path().join("missing"), &db).is_err());
    }
}
