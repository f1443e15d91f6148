//! The benchmark database: generated once per size (the administrator, then the demo data)
//! and reused while it holds the asked contacts; each run writes to a scratch copy of it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use contacts::Config;

use super::BENCH_ADMIN_KEY;

/// How the benchmark database came to be.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub path: PathBuf,
    pub contacts: usize,
    pub reused: bool,
    pub took: Duration,
}

/// The number of contacts in the database at `path`, if it is one.
pub fn count_contacts(path: &Path) -> Option<usize> {
    if !path.is_file() {
        return None;
    }
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get::<_, i64>(0)).ok().map(|n| n as usize)
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

pub(crate) fn remove_database(path: &Path) -> Result<(), String> {
    for p in [path.to_path_buf(), sidecar(path, "-wal"), sidecar(path, "-shm"), sidecar(path, "-journal")] {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", p.display())),
        }
    }
    Ok(())
}

/// Whether the database at `path` has a user with login `admin` (whose key the benchmark sets).
fn has_admin(path: &Path) -> bool {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("SELECT count(*) FROM users WHERE login = 'admin'", [], |r| r.get::<_, i64>(0)))
        .is_ok_and(|n| n > 0)
}

/// Creates the database with only its administrator (what the service's first start does).
fn create_admin(path: &Path) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    rt.block_on(async {
        let mut config = Config::new(path);
        config.admin_key = Some(BENCH_ADMIN_KEY.to_string());
        config.readers = 1;
        contacts::open(&config).await.map(drop).map_err(|e| format!("create {}: {e}", path.display()))
    })
}

/// Makes sure `path` holds a demo database of exactly `contacts` contacts and an `admin` user:
/// reused when it already does (brought to the current schema first, so that no run measures
/// a migration), otherwise (re)created: the administrator, then `demo::generate`.
pub fn prepare_database(path: &Path, contacts: usize, seed: u64) -> Result<Prepared, String> {
    let started = Instant::now();
    if count_contacts(path) == Some(contacts) && has_admin(path) {
        contacts::store::bulk::upgrade(path).map_err(|e| format!("migrate {}: {e}", path.display()))?;
        return Ok(Prepared { path: path.to_path_buf(), contacts, reused: true, took: started.elapsed() });
    }
    remove_database(path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // The administrator first, as the service's first start creates it: the demo names it as
    // an author, and `contacts::open` only (re)sets the key of a user with login `admin`.
    create_admin(path)?;
    contacts::demo::generate(path, contacts, seed).map_err(|e| format!("demo::generate({}): {e}", path.display()))?;
    match count_contacts(path) {
        Some(n) if n == contacts => {
            Ok(Prepared { path: path.to_path_buf(), contacts, reused: false, took: started.elapsed() })
        }
        other => Err(format!("demo::generate made {other:?} contacts in {}, not {contacts}", path.display())),
    }
}

/// Copies the prepared database to a scratch file the run may write to, so that the prepared
/// one keeps exactly its contacts (and can be reused by the next run).
pub(crate) fn scratch_copy(path: &Path) -> Result<PathBuf, String> {
    {
        let conn = rusqlite::Connection::open(path).map_err(|e| format!("open {}: {e}", path.display()))?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
    }
    let copy = path.with_extension("run.db");
    remove_database(&copy)?;
    std::fs::copy(path, &copy).map_err(|e| format!("copy {} to {}: {e}", path.display(), copy.display()))?;
    // Flush the copy now: otherwise the first commit's fsync writes the whole fresh copy (about
    // 900 MB at a million contacts) and the write scenarios measure the disk, not the server.
    std::fs::File::open(&copy).and_then(|f| f.sync_all()).map_err(|e| format!("sync {}: {e}", copy.display()))?;
    Ok(copy)
}
