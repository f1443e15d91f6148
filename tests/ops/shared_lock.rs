//! `serve --shared-lock`: another process can open the file while the server runs (and sees
//! its commits), but a second server — in either mode — and a restore are refused.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::Served;
use crate::{contacts, create, names_in, outcome, setup};

/// Starts `contacts serve` on `db`, which must refuse to run; its log.
#[track_caller]
fn refused_serve(db: &Path, args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_contacts"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start contacts serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("poll").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("a second server ran on {}", db.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("the refused server's output");
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn other_processes_open_a_shared_file_but_no_second_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let mut served = Served::start_with(&db, &["--shared-lock"]);
    setup(served.addr);
    create(served.addr, "alpha");
    // This process reads the file while the server writes to it.
    let conn = rusqlite::Connection::open(&db).expect("open the file beside the server");
    let count = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(count(&conn), 1);
    create(served.addr, "bravo");
    assert_eq!(count(&conn), 2, "a commit of the server is seen at once");

    for args in [&["--shared-lock"][..], &[]] {
        let log = refused_serve(&db, args);
        assert!(log.contains("in use by another process"), "serve {args:?}: {log}");
    }
    let backup = dir.path().join("b.sqlite3");
    let url = format!("http://{}", served.addr);
    let run = contacts(&["backup", backup.to_str().unwrap(), "--url", &url, "--key", crate::common::ADMIN_KEY], &[]);
    assert_eq!(run.status.code(), Some(0), "{}", outcome(&run).2);
    let (code, _, stderr) =
        outcome(&contacts(&["restore", backup.to_str().unwrap(), "--db", db.to_str().unwrap()], &[]));
    assert_eq!(code, Some(4), "restore while a shared-lock server runs: {stderr}");
    drop(conn);

    assert!(served.stop(Duration::from_secs(10)).success());
    assert_eq!(names_in(&db), ["alpha", "bravo"]);
    // Stopped, the file takes an exclusive server again.
    let served = Served::start(&db);
    create(served.addr, "charlie");
}
