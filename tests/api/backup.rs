//! `GET /admin/backup`: who may take one, what the answer looks like, and what the copy holds
//! when writers keep writing while it is taken (every write acknowledged before the request
//! is in it, nothing that was never sent is) — and that a server started on the copy answers
//! the list as the original did.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::common::{send, Server, ADMIN_KEY, JSMITH_KEY};

/// Downloads a backup as the admin and writes it to `path`; the answer's head is checked.
#[track_caller]
fn download(s: &Server, path: &Path) {
    let r = s.get("/admin/backup");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/vnd.sqlite3"));
    let disposition = r.header("content-disposition").unwrap_or_default();
    let name = disposition.strip_prefix("attachment; filename=\"contacts-").and_then(|n| n.strip_suffix(".sqlite3\""));
    let stamp = name.unwrap_or_else(|| panic!("Content-Disposition: {disposition}"));
    assert!(stamp.len() == 16 && stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T', "{disposition}");
    assert_eq!(r.header("content-length").and_then(|n| n.parse().ok()), Some(r.body.len()), "the whole file came");
    assert!(r.body.starts_with(b"SQLite format 3\0"));
    std::fs::write(path, &r.body).unwrap();
}

fn names_in(path: &Path) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut s = conn.prepare("SELECT last_name FROM contacts").unwrap();
    let names = s.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap();
    names
}

#[test]
fn only_administrators_take_backups() {
    let s = Server::seeded();
    assert_eq!(s.raw("GET", "/admin/backup", &[], b"").status, 401);
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/admin/backup", None, "").status, 403);
    assert_eq!(s.admin("POST", "/admin/backup", None, "").status, 404, "a backup is a GET");
    let dir = tempfile::tempdir().unwrap();
    download(&s, &dir.path().join("b.sqlite3"));
    let leftovers: Vec<_> = std::fs::read_dir(s.db_path().unwrap().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("backup"))
        .collect();
    assert!(leftovers.is_empty(), "the temporary copy is gone: {leftovers:?}");
}

#[test]
fn a_backup_taken_under_writes_holds_every_acknowledged_write() {
    let s = Server::seeded();
    let dir = tempfile::tempdir().unwrap();
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let sent: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (acked, sent, stop, addr) = (acked.clone(), sent.clone(), stop.clone(), s.addr);
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let name = format!("w{w}n{i:05}");
                    sent.lock().unwrap().insert(name.clone());
                    let body = json!({"contact": {"project_id": "alpha", "first_name": "Backup", "last_name": name}});
                    let headers = [("X-Redmine-API-Key", ADMIN_KEY), ("Content-Type", "application/json")];
                    let r = send(addr, "POST", "/contacts.json", &headers, Some(body.to_string().as_bytes())).unwrap();
                    assert_eq!(r.status, 201, "{}", r.text());
                    acked.lock().unwrap().insert(name);
                }
            })
        })
        .collect();
    let mut copies = 0;
    while copies < 3 {
        std::thread::sleep(Duration::from_millis(150));
        let before: BTreeSet<String> = acked.lock().unwrap().clone();
        let copy = dir.path().join(format!("under-writes-{copies}.sqlite3"));
        download(&s, &copy);
        let held = names_in(&copy);
        let attempted = sent.lock().unwrap().clone();
        let missing: Vec<_> = before.difference(&held).collect();
        assert!(missing.is_empty(), "acknowledged before the backup, missing from it: {missing:?}");
        let unknown: Vec<_> = held.difference(&attempted).collect();
        assert!(unknown.is_empty(), "in the copy, never sent: {unknown:?}");
        let check = contacts::store::check_file(&copy).unwrap();
        assert!(check.is_sound(), "{:?}", check.problems);
        println!("copy {copies}: {} acknowledged before it, {} in it", before.len(), held.len());
        copies += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    // Writes stopped: a server on the copy answers the list exactly as this one does.
    let copy = dir.path().join("quiet.sqlite3");
    download(&s, &copy);
    let list = "/contacts.json?limit=100&offset=3&search=w1n";
    let original = s.get(list);
    let restored = Server::start_on(copy, 1024 * 1024);
    let answered = restored.get(list);
    assert_eq!(answered.status, 200);
    assert_eq!(answered.json(), original.json());
    assert_eq!(restored.get("/contacts.json?limit=1").json()["total_count"], acked.lock().unwrap().len());
}
