//! Writes are durable once answered and concurrent requests lose nothing.

use std::sync::Arc;

use serde_json::json;

use super::common::Server;

#[test]
fn concurrent_creates_all_land_with_distinct_ids() {
    let s = Arc::new(Server::seeded());
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                (0..10)
                    .map(|i| s.create_contact(json!({"project_id": 1, "first_name": format!("T{t}-{i}")})))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<i64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 160);
    assert_eq!(s.get("/contacts.json?limit=1").json()["total_count"], 160);
}

#[test]
fn acknowledged_writes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keep.db");
    let mut first = Server::start_on(db.clone(), 1 << 20);
    assert_eq!(first.post_json("/projects.json", json!({"project": {"name": "P", "identifier": "p"}})).status, 201);
    let id = first.create_contact(json!({"project_id": "p", "first_name": "Durable", "tag_list": "kept"}));
    first.stop();
    let second = Server::start_on(db, 1 << 20);
    let c = second.get(&format!("/contacts/{id}.json")).json();
    assert_eq!(c["contact"]["first_name"], "Durable");
    assert_eq!(second.get("/contacts.json?search=durable").json()["total_count"], 1);
}

#[test]
fn a_second_process_cannot_serve_a_database_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("busy.db");
    let first = Server::start_on(db.clone(), 1 << 20);
    assert_eq!(first.post_json("/projects.json", json!({"project": {"name": "P", "identifier": "p"}})).status, 201);
    let id = first.create_contact(json!({"project_id": "p", "first_name": "Owned"}));
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_contacts"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run a second server");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "a second server started on a file in use: {stderr}");
    assert!(stderr.contains("in use by another process"), "unclear refusal: {stderr}");
    // The first one is untouched and still answers.
    assert_eq!(first.get(&format!("/contacts/{id}.json")).json()["contact"]["first_name"], "Owned");
}

/// The system's `sqlite3` (Debian 12 ships 3.40, which misread the first taggings layout) finds
/// nothing wrong with a file the server wrote; skipped where no `sqlite3` is installed.
#[test]
fn the_system_sqlite3_finds_a_file_the_server_wrote_sound() {
    let Ok(version) = std::process::Command::new("sqlite3").arg("--version").output() else {
        println!("skipped: no sqlite3 on this machine");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("checked.db");
    let mut server = Server::start_on(db.clone(), 1 << 20);
    assert_eq!(server.post_json("/projects.json", json!({"project": {"name": "P", "identifier": "p"}})).status, 201);
    for i in 0..5 {
        server.create_contact(
            json!({"project_id": "p", "first_name": format!("Tagged{i}"), "tag_list": "vip,lead,cold"}),
        );
    }
    server.stop();
    // This process may still hold the file's lock (the store's background readers end on
    // their own time): check a copy of the file and its log, which hold every committed write.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    std::fs::copy(dir.path().join("checked.db-wal"), dir.path().join("copy.db-wal")).unwrap();
    let out = std::process::Command::new("sqlite3").arg(&copy).arg("PRAGMA integrity_check;").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "sqlite3 {} says: {}",
        String::from_utf8_lossy(&version.stdout).trim(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Redmine never gives an id twice: a client holding a deleted contact's id must get 404, not
/// another contact (SQLite alone would give the deleted highest id to the next row).
#[test]
fn a_deleted_contacts_id_is_never_given_again() {
    let s = Server::seeded();
    let first = s.create_contact(json!({"project_id": 1, "first_name": "Kept"}));
    let last = s.create_contact(json!({"project_id": 1, "first_name": "Gone"}));
    assert_eq!(s.admin("DELETE", &format!("/contacts/{last}.json"), None, "").status, 204);
    let next = s.create_contact(json!({"project_id": 1, "first_name": "New"}));
    assert!(next > last && last > first, "ids {first}, {last} (deleted), then {next}");
    assert_eq!(s.get(&format!("/contacts/{last}.json")).status, 404);
}

#[test]
fn deleted_deals_and_notes_keep_their_ids() {
    let s = Server::seeded();
    let status = json!({"deal_status": {"name": "Open", "status_type": 0, "is_default": true}});
    assert_eq!(s.post_json("/deal_statuses.json", status).status, 201);
    let contact = s.create_contact(json!({"project_id": 1, "first_name": "Noted"}));
    let deal = |name: &str| {
        let r = s.post_json("/deals.json", json!({"deal": {"name": name, "project_id": 1}}));
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["deal"]["id"].as_i64().unwrap()
    };
    let note = || {
        let r = s.post_json(
            "/notes.json",
            json!({"source_type": "Contact", "source_id": contact, "note": {"content": "x"}}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["note"]["id"].as_i64().unwrap()
    };
    let (gone_deal, gone_note) = (deal("Gone"), note());
    assert_eq!(s.admin("DELETE", &format!("/deals/{gone_deal}.json"), None, "").status, 204);
    assert_eq!(s.admin("DELETE", &format!("/notes/{gone_note}.json"), None, "").status, 204);
    assert!(deal("Next") > gone_deal);
    assert!(note() > gone_note);
}
