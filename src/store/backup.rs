//! Backups of the live file and checks of a copy.
//!
//! A backup is taken with SQLite's online backup API from one of the pooled read-only
//! connections, in a single step: the whole copy is made inside one read transaction, so it
//! is the database exactly as of one commit, while the writer goes on committing to the WAL
//! (the reader only keeps the WAL from being checkpointed past its snapshot meanwhile). The
//! copy is then switched to the rollback journal (a single self-contained file, readable by
//! any `sqlite3`, no `-wal` or `-shm` beside it), checked ([`check_file`]: `PRAGMA
//! integrity_check`, FTS5's own integrity check of the search index, the schema version), and
//! only then handed out: fsynced with its directory at a path the caller chose
//! ([`Store::backup_to`]), or as an open temporary file that no longer has a name
//! ([`Store::backup_temp`], streamed by the admin endpoint).
//!
//! Copy and check read the whole file: seconds for a large one. They run through
//! [`long_read`], so that the requests queued behind them on a runtime thread move on.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{long_read, schema, Store};
use crate::error::{Error, Result};

/// What a backup made.
#[derive(Clone, Debug)]
pub struct BackupReport {
    /// The copy's size.
    pub bytes: u64,
    pub pages: u64,
    /// Taking the snapshot (the backup step).
    pub copy: Duration,
    /// Checking the copy ([`check_file`]) and, for `backup_to`, syncing it.
    pub check: Duration,
}

/// What [`check_file`] found in a file.
#[derive(Clone, Debug, Default)]
pub struct FileCheck {
    pub bytes: u64,
    pub pages: u64,
    /// `PRAGMA user_version`: the schema version the file is at (0 when unknown).
    pub schema_version: i64,
    /// Contacts in the file (when it could be read).
    pub contacts: i64,
    /// Why the file is not a sound contacts database; empty when it is.
    pub problems: Vec<String>,
}

impl FileCheck {
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Problems of `integrity_check` reported at most.
const MAX_PROBLEMS: usize = 10;

impl Store {
    /// Writes a checked copy of the database to `path`, which must not exist yet, and fsyncs
    /// it and its directory. A copy that fails its check is removed and reported as an error.
    pub fn backup_to(&self, path: &Path) -> Result<BackupReport> {
        if path.exists() {
            return Err(Error::Internal(format!("{} already exists", path.display())));
        }
        long_read(|| {
            let mut report = self.checked_copy(path)?;
            let started = Instant::now();
            sync_file_and_dir(path)?;
            report.check += started.elapsed();
            Ok(report)
        })
    }

    /// A checked copy in a temporary file beside the database, opened for reading and already
    /// removed from the directory (the data goes when the returned file is closed).
    pub fn backup_temp(&self) -> Result<(File, BackupReport)> {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let mut name = self.file.path.as_os_str().to_owned();
        name.push(format!(".backup-{}-{}.tmp", std::process::id(), SERIAL.fetch_add(1, Ordering::Relaxed)));
        let temp = PathBuf::from(name);
        long_read(|| {
            let report = self.checked_copy(&temp)?;
            let opened = File::open(&temp);
            let removed = std::fs::remove_file(&temp);
            let file = opened.map_err(|e| io_error("open the backup copy", &temp, e))?;
            removed.map_err(|e| io_error("remove the backup copy", &temp, e))?;
            Ok((file, report))
        })
    }

    /// Copies the database into the new file `dest` and checks the copy; removes it when
    /// either fails.
    fn checked_copy(&self, dest: &Path) -> Result<BackupReport> {
        let started = Instant::now();
        let copied = self.copy_into(dest).and_then(|()| {
            let copy = started.elapsed();
            let check = check_file(dest)?;
            if !check.is_sound() {
                return Err(Error::Internal(format!("the copy failed its check: {}", check.problems.join("; "))));
            }
            Ok(BackupReport { bytes: check.bytes, pages: check.pages, copy, check: started.elapsed() - copy })
        });
        if copied.is_err() {
            let _ = std::fs::remove_file(dest);
            let _ = std::fs::remove_file(sidecar(dest, "-journal"));
        }
        copied
    }

    fn copy_into(&self, dest: &Path) -> Result<()> {
        let mut target = Connection::open(dest)?;
        {
            let source = self.readers.get()?;
            let backup = Backup::new(&source, &mut target)?;
            // All pages in one step: one read transaction, one consistent snapshot.
            match backup.step(-1)? {
                StepResult::Done => {}
                other => return Err(Error::Internal(format!("the backup step ended with {other:?}"))),
            }
        }
        // The copy carries the live file's WAL mark; a backup is one self-contained file.
        let mode: String = target.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(Error::Internal(format!("the copy stayed in journal mode {mode}")));
        }
        Ok(())
    }
}

/// Checks the database file at `path`: a SQLite file whose `PRAGMA integrity_check` and FTS5
/// integrity check of the search index pass, at a schema version this binary can open (not
/// newer than its own). What is wrong is listed in [`FileCheck::problems`]; an error means the
/// file could not be checked at all (it cannot be read, say).
///
/// The file is opened read-write (FTS5's check is an `INSERT` command, though it changes
/// nothing); check a copy, never a file a server is running on.
pub fn check_file(path: &Path) -> Result<FileCheck> {
    let bytes = std::fs::metadata(path).map_err(|e| io_error("read", path, e))?.len();
    let mut check = FileCheck { bytes, ..FileCheck::default() };
    if !has_sqlite_header(path)? {
        check.problems.push(format!("{} is not a SQLite database", path.display()));
        return Ok(check);
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let integrity: Vec<String> = match conn.prepare("PRAGMA integrity_check").and_then(|mut s| {
        s.query_map([], |r| r.get::<_, String>(0))?.take(MAX_PROBLEMS).collect::<rusqlite::Result<_>>()
    }) {
        Ok(rows) => rows,
        Err(e) => vec![e.to_string()],
    };
    if integrity != ["ok"] {
        check.problems.extend(integrity.into_iter().map(|p| format!("integrity_check: {p}")));
        return Ok(check);
    }
    check.pages = conn.query_row("PRAGMA page_count", [], |r| r.get::<_, i64>(0))?.try_into().unwrap_or(0);
    check.schema_version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if check.schema_version > schema::SCHEMA_VERSION {
        check.problems.push(format!(
            "the file is at schema version {}, newer than this binary ({})",
            check.schema_version,
            schema::SCHEMA_VERSION
        ));
        return Ok(check);
    }
    let has_contacts: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'contacts_search')", [], |r| r.get(0))?;
    if check.schema_version < 1 || !has_contacts {
        check.problems.push("the file is a SQLite database, but not a contacts database".into());
        return Ok(check);
    }
    if let Err(e) = conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", []) {
        check.problems.push(format!("FTS5 integrity-check of the search index: {e}"));
    }
    check.contacts = conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))?;
    Ok(check)
}

pub(super) fn has_sqlite_header(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut file = File::open(path).map_err(|e| io_error("open", path, e))?;
    match file.read_exact(&mut head) {
        Ok(()) => Ok(&head == SQLITE_MAGIC),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(io_error("read", path, e)),
    }
}

/// `path` with `suffix` appended (`-wal`, `-shm`, `-journal`: SQLite's files beside a database).
pub(super) fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// fsyncs the file at `path`, then its directory (so that its name is durable too).
pub(super) fn sync_file_and_dir(path: &Path) -> Result<()> {
    File::open(path).and_then(|f| f.sync_all()).map_err(|e| io_error("fsync", path, e))?;
    sync_dir(path)
}

/// fsyncs the directory that holds `path` (a rename or a new name in it becomes durable).
pub(super) fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error("fsync the directory", dir, e))?;
    Ok(())
}

pub(super) fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Internal(format!("cannot {what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support;

    fn contact_names(path: &Path) -> Vec<String> {
        let conn = Connection::open(path).unwrap();
        let mut s = conn.prepare("SELECT first_name FROM contacts ORDER BY id").unwrap();
        let names = s.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap();
        names
    }

    fn add_contacts(store: &Store, names: &[&str]) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        test_support::written(store, move |c| {
            for (i, name) in names.iter().enumerate() {
                c.execute(
                    "INSERT INTO contacts (id, first_name, author_id, visibility, created_on, updated_on)
                     VALUES ((SELECT coalesce(max(id), 0) + 1 FROM contacts), ?, 1, 0, ?, ?)",
                    (name, i as i64, i as i64),
                )?;
            }
            Ok(())
        });
    }

    #[test]
    fn a_backup_is_a_checked_self_contained_copy() {
        let dir = tempfile::tempdir().unwrap();
        let store = test_support::open_small(&dir.path().join("live.db"));
        add_contacts(&store, &["Ann", "Bob"]);
        let copy = dir.path().join("copy.sqlite3");
        let report = store.backup_to(&copy).unwrap();
        assert_eq!(report.bytes, std::fs::metadata(&copy).unwrap().len());
        assert!(report.pages > 0 && report.bytes.is_multiple_of(report.pages), "{report:?}");
        // No WAL mark and nothing beside it: a single file.
        let header = std::fs::read(&copy).unwrap();
        assert_eq!((header[18], header[19]), (1, 1), "the copy is in rollback-journal mode");
        assert!(!sidecar(&copy, "-wal").exists() && !sidecar(&copy, "-journal").exists());
        assert_eq!(contact_names(&copy), ["Ann", "Bob"]);
        let check = check_file(&copy).unwrap();
        assert!(check.is_sound(), "{:?}", check.problems);
        assert_eq!((check.contacts, check.schema_version), (2, schema::SCHEMA_VERSION));
        assert!(store.backup_to(&copy).is_err(), "an existing file is never overwritten");
    }

    #[test]
    fn a_temporary_backup_has_no_name_left() {
        let dir = tempfile::tempdir().unwrap();
        let store = test_support::open_small(&dir.path().join("live.db"));
        add_contacts(&store, &["Ann"]);
        let (mut file, report) = store.backup_temp().unwrap();
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("backup"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
        assert_eq!(bytes.len() as u64, report.bytes);
        let copy = dir.path().join("streamed.sqlite3");
        std::fs::write(&copy, &bytes).unwrap();
        assert_eq!(contact_names(&copy), ["Ann"]);
    }

    #[test]
    fn the_backup_is_one_snapshot_while_the_writer_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = test_support::open_small(&dir.path().join("live.db"));
        add_contacts(&store, &["First"]);
        // A reader holds the pooled connection's snapshot while a write commits: a copy taken
        // as one step sees all of one commit or none of it.
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    add_contacts(&store, &["x", "y", "z"]);
                }
            })
        };
        let mut seen = Vec::new();
        for i in 0..5 {
            let copy = dir.path().join(format!("copy{i}.sqlite3"));
            store.backup_to(&copy).unwrap();
            let n = contact_names(&copy).len();
            assert_eq!((n - 1) % 3, 0, "copy {i} holds part of a commit: {n} contacts");
            seen.push(n);
        }
        writer.join().unwrap();
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    }

    #[test]
    fn the_check_names_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a database at all").unwrap();
        let check = check_file(&text).unwrap();
        assert!(check.problems[0].contains("not a SQLite database"), "{:?}", check.problems);
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, "").unwrap();
        assert!(!check_file(&empty).unwrap().is_sound());

        let other = dir.path().join("other.db");
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
        let check = check_file(&other).unwrap();
        assert!(check.problems[0].contains("not a contacts database"), "{:?}", check.problems);

        let newer = dir.path().join("newer.db");
        drop(test_support::open_small(&newer));
        Connection::open(&newer).unwrap().execute_batch("PRAGMA user_version = 999").unwrap();
        let check = check_file(&newer).unwrap();
        assert!(check.problems[0].contains("newer than this binary"), "{:?}", check.problems);

        // A torn copy: the second half of the pages overwritten.
        let torn = dir.path().join("torn.db");
        let store = test_support::open_small(&dir.path().join("live.db"));
        add_contacts(&store, &["Ann"; 200]);
        store.backup_to(&torn).unwrap();
        let mut bytes = std::fs::read(&torn).unwrap();
        let half = bytes.len() / 2;
        bytes[half..].iter_mut().for_each(|b| *b = 0x5a);
        std::fs::write(&torn, &bytes).unwrap();
        let check = check_file(&torn).unwrap();
        assert!(!check.is_sound(), "a torn file passed the check");
        assert!(check_file(&dir.path().join("missing.db")).is_err());
    }
}
