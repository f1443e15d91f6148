//! Deal statuses (API.md §3.6 and the admin extensions): update with the create's validation,
//! one default, positions; delete unless a deal has the status; administrators only.

use serde_json::{json, Value};

use super::common::{Server, JSMITH_KEY};

/// Pending (default), Won, Lost at positions 1–3; returns their ids.
fn world() -> (Server, [i64; 3]) {
    let s = Server::seeded();
    let mut ids = [0; 3];
    for (i, status) in [
        json!({"name": "Pending", "is_default": true}),
        json!({"name": "Won", "status_type": 1, "color": 65280}),
        json!({"name": "Lost", "status_type": 2}),
    ]
    .into_iter()
    .enumerate()
    {
        let r = s.post_json("/deal_statuses.json", json!({ "deal_status": status }));
        assert_eq!(r.status, 201, "{}", r.text());
        ids[i] = r.json()["deal_status"]["id"].as_i64().unwrap();
    }
    (s, ids)
}

fn statuses(s: &Server) -> Vec<Value> {
    s.get("/deal_statuses.json").json()["deal_statuses"].as_array().unwrap().clone()
}

/// (name, position, is_default) of every status, in list order.
fn summary(s: &Server) -> Vec<(String, i64, bool)> {
    statuses(s)
        .iter()
        .map(|x| {
            (x["name"].as_str().unwrap().into(), x["position"].as_i64().unwrap(), x["is_default"].as_bool().unwrap())
        })
        .collect()
}

fn put(s: &Server, id: i64, status: Value) -> super::common::Resp {
    s.put_json(&format!("/deal_statuses/{id}.json"), json!({ "deal_status": status }))
}

#[test]
fn an_update_changes_the_given_attributes_and_keeps_one_default() {
    let (s, [pending, won, lost]) = world();
    let r = put(&s, won, json!({"name": "Closed won", "color": 255, "is_default": true}));
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(
        statuses(&s),
        [
            json!({"id": pending, "name": "Pending", "position": 1, "is_default": false, "status_type": 0, "color": 11184810}),
            json!({"id": won, "name": "Closed won", "position": 2, "is_default": true, "status_type": 1, "color": 255}),
            json!({"id": lost, "name": "Lost", "position": 3, "is_default": false, "status_type": 2, "color": 11184810}),
        ]
    );
    let xml = s.admin_xml(
        "PUT",
        &format!("/deal_statuses/{lost}.xml"),
        "<deal_status><status_type>0</status_type><position>1</position></deal_status>",
    );
    assert_eq!(xml.status, 204);
    assert_eq!(
        summary(&s),
        [("Lost".into(), 1, false), ("Pending".into(), 2, false), ("Closed won".into(), 3, true)],
        "a status moved up pushes the ones in between down"
    );
    assert_eq!(put(&s, lost, json!({"position": 3})).status, 204);
    assert_eq!(summary(&s), [("Pending".into(), 1, false), ("Closed won".into(), 2, true), ("Lost".into(), 3, false)]);
    let listed = s.get("/deal_statuses.xml").text();
    assert!(
        listed.contains(&format!(
            "<deal_status><id>{lost}</id><name>Lost</name><position>3</position><is_default>false</is_default>\
             <status_type>0</status_type><color>11184810</color></deal_status>"
        )),
        "{listed}"
    );
    // A new deal takes the new default.
    let deal = s.post_json("/deals.json", json!({"deal": {"name": "D", "project_id": 1}}));
    assert_eq!(deal.json()["deal"]["status"], json!({"id": won, "name": "Closed won"}));
}

#[test]
fn updates_are_validated_as_creates_are() {
    let (s, [pending, won, _]) = world();
    let errors = |r: super::common::Resp| (r.status, r.json()["errors"].clone());
    assert_eq!(errors(put(&s, won, json!({"name": "Pending"}))), (422, json!(["Name has already been taken"])));
    assert_eq!(errors(put(&s, won, json!({"name": ""}))), (422, json!(["Name cannot be blank"])));
    assert_eq!(
        errors(put(&s, won, json!({"name": "x".repeat(31)}))),
        (422, json!(["Name is too long (maximum is 30 characters)"]))
    );
    assert_eq!(
        errors(put(&s, won, json!({"status_type": 5}))),
        (422, json!(["Status type is not included in the list"]))
    );
    assert_eq!(errors(put(&s, won, json!({"color": "red"}))), (422, json!(["Color is invalid"])));
    assert_eq!(errors(put(&s, won, json!({"position": 0}))), (422, json!(["Position must be greater than 0"])));
    assert_eq!(put(&s, won, json!({"name": "Won"})).status, 204, "its own name");
    assert_eq!(put(&s, 999, json!({"name": "Ghost"})).status, 404);
    assert_eq!(
        summary(&s),
        [("Pending".into(), 1, true), ("Won".into(), 2, false), ("Lost".into(), 3, false)],
        "nothing was written"
    );
    assert_eq!(statuses(&s)[1]["color"], 65280);
    let _ = pending;
}

#[test]
fn a_status_in_use_cannot_be_deleted() {
    let (s, [pending, won, lost]) = world();
    let deal = s.post_json("/deals.json", json!({"deal": {"name": "D", "project_id": 1, "status_id": won}}));
    assert_eq!(deal.status, 201);
    let r = s.admin("DELETE", &format!("/deal_statuses/{won}.json"), None, "");
    assert_eq!(
        (r.status, r.json()["errors"].clone()),
        (422, json!(["Status is in use by deals and cannot be deleted"]))
    );
    let r = s.admin("DELETE", &format!("/deal_statuses/{won}.xml"), None, "");
    assert_eq!(
        r.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><errors type=\"array\"><error>Status is in use by deals and cannot be deleted</error></errors>"
    );
    let r = s.admin("DELETE", &format!("/deal_statuses/{pending}.json"), None, "");
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(summary(&s), [("Won".into(), 1, false), ("Lost".into(), 2, false)], "the positions close up");
    assert_eq!(s.get("/deal_statuses.json").json()["total_count"], 2);
    assert_eq!(s.admin("DELETE", &format!("/deal_statuses/{pending}.json"), None, "").status, 404);
    let _ = lost;
}

#[test]
fn only_administrators_change_statuses() {
    let (s, [pending, _, _]) = world();
    let body = r#"{"deal_status":{"name":"Mine"}}"#;
    let path = format!("/deal_statuses/{pending}.json");
    assert_eq!(s.as_key(JSMITH_KEY, "PUT", &path, Some("application/json"), body).status, 403);
    assert_eq!(s.as_key(JSMITH_KEY, "DELETE", &path, None, "").status, 403);
    assert_eq!(s.raw("PUT", &path, &[("Content-Type", "application/json")], body.as_bytes()).status, 401);
    assert_eq!(s.raw("DELETE", &path, &[], b"").status, 401);
    assert_eq!(summary(&s)[0], ("Pending".into(), 1, true));
}
