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
