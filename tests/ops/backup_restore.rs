//! `contacts backup` from a running server and `contacts restore` into its place once stopped:
//! the restored server answers what the backup held, not what came after; a restore is refused
//! while the server runs, and for files that are not sound backups (the database untouched).

use std::time::Duration;

use crate::common::ADMIN_KEY;
use crate::process::Served;
use crate::{contacts, create, found, names_in, outcome, setup};

#[test]
fn a_backup_restored_into_a_stopped_servers_place_is_what_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let mut served = Served::start(&db);
    setup(served.addr);
    for name in ["alpha", "bravo", "charlie"] {
        create(served.addr, name);
    }
    let url = format!("http://{}", served.addr);
    let out = dir.path().join("saved.sqlite3");
    let out_arg = out.to_str().unwrap();
    let run = contacts(&["backup", out_arg, "--url", &url], &[("CONTACTS_API_KEY", ADMIN_KEY)]);
    let (code, stdout, stderr) = outcome(&run);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Saved a backup of 3 contacts"), "{stdout}");
    assert!(!dir.path().join("saved.sqlite3.tmp").exists());
    assert_eq!(names_in(&out), ["alpha", "bravo", "charlie"]);

    let (code, _, stderr) = outcome(&contacts(&["backup", out_arg, "--url", &url, "--key", ADMIN_KEY], &[]));
    assert_eq!(code, Some(1), "an existing file is not replaced: {stderr}");
    let other = dir.path().join("other.sqlite3");
    let other_arg = other.to_str().unwrap();
    let (code, _, stderr) = outcome(&contacts(&["backup", other_arg, "--url", &url, "--key", "wrong"], &[]));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!other.exists() && !dir.path().join("other.sqlite3.tmp").exists());

    // Written after the backup: gone once it is restored.
    create(served.addr, "delta");
    let db_arg = db.to_str().unwrap();
    let (code, _, stderr) = outcome(&contacts(&["restore", out_arg, "--db", db_arg], &[]));
    assert_eq!(code, Some(4), "refused while the server runs: {stderr}");
    assert!(stderr.contains("in use"), "{stderr}");
    assert_eq!(found(served.addr, "delta"), 1, "the running server lost nothing");

    assert!(served.stop(Duration::from_secs(10)).success());
    let (code, stdout, stderr) = outcome(&contacts(&["restore", out_arg, "--db", db_arg], &[]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Restored") && stdout.contains("3 contacts"), "{stdout}");
    let served = Served::start(&db);
    assert_eq!(found(served.addr, "charlie"), 1);
    assert_eq!(found(served.addr, "delta"), 0, "the restored server serves the backup");
    create(served.addr, "echo");
    assert_eq!(found(served.addr, "echo"), 1, "and takes writes");
}

#[test]
fn restore_refuses_what_is_not_a_sound_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let mut served = Served::start(&db);
    setup(served.addr);
    create(served.addr, "kept");
    let saved = dir.path().join("saved.sqlite3");
    let url = format!("http://{}", served.addr);
    let run = contacts(&["backup", saved.to_str().unwrap(), "--url", &url, "--key", ADMIN_KEY], &[]);
    assert_eq!(run.status.code(), Some(0), "{}", outcome(&run).2);
    assert!(served.stop(Duration::from_secs(10)).success());

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are not the droids").unwrap();
    let torn = dir.path().join("torn.sqlite3");
    let bytes = std::fs::read(&saved).unwrap();
    let mut torn_bytes = bytes.clone();
    let half = bytes.len() / 2;
    torn_bytes[half..].iter_mut().for_each(|b| *b = 0);
    std::fs::write(&torn, &torn_bytes).unwrap();
    let before = names_in(&db);
    for (bad, expected) in [(&text, "not a SQLite database"), (&torn, "not a sound backup")] {
        let (code, _, stderr) =
            outcome(&contacts(&["restore", bad.to_str().unwrap(), "--db", db.to_str().unwrap()], &[]));
        assert_eq!(code, Some(3), "{}: {stderr}", bad.display());
        assert!(stderr.contains(expected), "{stderr}");
    }
    let (code, _, _) = outcome(&contacts(
        &["restore", dir.path().join("missing").to_str().unwrap(), "--db", db.to_str().unwrap()],
        &[],
    ));
    assert_eq!(code, Some(1));
    assert_eq!(names_in(&db), before, "the database was left as it was");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
