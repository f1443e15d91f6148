//! Bad input of every kind gets a clear error in the API's format with the right status, and
//! never a 500 or a half-written record.

use serde_json::json;

use super::common::{Server, ADMIN_KEY};

fn contact_count(s: &Server) -> i64 {
    s.get("/contacts.json?limit=1").json()["total_count"].as_i64().unwrap()
}

#[test]
fn malformed_json_is_400_with_an_errors_document() {
    let s = Server::seeded();
    let r = s.admin("POST", "/contacts.json", Some("application/json"), r#"{"contact": {"first_name": "#);
    assert_eq!(r.status, 400);
    assert!(r.json()["errors"][0].as_str().unwrap().starts_with("malformed JSON"));
    let r = s.admin("POST", "/contacts.json", Some("application/json"), "[1,2]");
    assert_eq!(r.status, 400);
}

#[test]
fn malformed_xml_is_400_in_xml() {
    let s = Server::seeded();
    for body in [
        "<contact><first_name>x</contact>",
        "<contact>",
        "not xml at all <",
        "<!DOCTYPE c [<!ENTITY e \"x\">]><contact/>",
    ] {
        let r = s.admin("POST", "/contacts.xml", Some("application/xml"), body);
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(r.text().contains("<errors type=\"array\"><error>"), "{}", r.text());
    }
}

#[test]
fn invalid_utf8_is_400() {
    let s = Server::seeded();
    let r = s.raw(
        "POST",
        "/contacts.xml",
        &[("X-Redmine-API-Key", ADMIN_KEY), ("Content-Type", "application/xml")],
        b"<contact><first_name>\xff\xfe</first_name></contact>",
    );
    assert_eq!(r.status, 400);
    let r = s.raw(
        "POST",
        "/contacts.json",
        &[("X-Redmine-API-Key", ADMIN_KEY), ("Content-Type", "application/json")],
        b"{\"contact\":{\"first_name\":\"\xff\"}}",
    );
    assert_eq!(r.status, 400);
}

#[test]
fn wrong_types_and_invalid_values_are_422_with_redmine_messages() {
    let s = Server::seeded();
    let cases = [
        (json!({"project_id": 1, "first_name": {"a": 1}}), "First Name is invalid"),
        (json!({"project_id": 1, "first_name": "X", "visibility": 5}), "Visibility is not included in the list"),
        (json!({"project_id": 1, "first_name": "X", "visibility": ""}), "Visibility is not included in the list"),
        (json!({"project_id": 1, "first_name": "X", "email": "nobody"}), "Email have incorrect format"),
        (json!({"project_id": 1, "first_name": "X", "assigned_to_id": "abc"}), "Assignee is invalid"),
        (json!({"project_id": 1, "first_name": "X".repeat(256)}), "First Name is too long (maximum is 255 characters)"),
        (
            json!({"project_id": 1, "first_name": "X", "background": "b".repeat(70_000)}),
            "Background is too long (maximum is 65535 characters)",
        ),
        (json!({"project_id": 1, "first_name": "X", "project_ids": []}), "Project cannot be blank"),
        (json!({"project_id": 1, "first_name": "X", "project_ids": [1, 99]}), "Project is invalid"),
        (json!({"project_id": 1, "first_name": "nul\u{0}inside"}), "First Name is invalid"),
    ];
    for (contact, message) in cases {
        let r = s.post_json("/contacts.json", json!({ "contact": contact }));
        assert_eq!(r.status, 422, "{message}: {}", r.text());
        assert_eq!(r.json()["errors"], json!([message]));
    }
    let r = s.post_json("/contacts.json", json!({"contact": "not a hash"}));
    assert_eq!(r.status, 422);
    assert_eq!(contact_count(&s), 0, "nothing was written");
}

#[test]
fn all_problems_are_reported_together() {
    let s = Server::seeded();
    let r = s.post_json("/contacts.json", json!({"contact": {"project_id": 1, "email": "bad", "visibility": 9}}));
    assert_eq!(
        r.json()["errors"],
        json!(["First Name cannot be blank", "Email have incorrect format", "Visibility is not included in the list"])
    );
}

#[test]
fn a_failed_update_changes_nothing() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Keep", "tag_list": "a"}));
    let r = s.put_json(
        &format!("/contacts/{id}.json"),
        json!({"contact": {"first_name": "Changed", "tag_list": "b", "email": ",x"}}),
    );
    assert_eq!(r.status, 422);
    let c = s.get(&format!("/contacts/{id}.json")).json()["contact"].clone();
    assert_eq!((c["first_name"].as_str(), c["tag_list"].clone()), (Some("Keep"), json!(["a"])));
}

#[test]
fn unknown_ids_routes_and_formats_are_404() {
    let s = Server::seeded();
    for path in [
        "/contacts/999.json",
        "/contacts/abc.json",
        "/nothing.json",
        "/contacts.pdf",
        "/deals.csv",
        "/notes.json",
        "/deals/5.json",
        "/users/77.json",
    ] {
        assert_eq!(s.get(path).status, 404, "{path}");
    }
    assert_eq!(s.admin("PATCH", "/contacts.json", Some("application/json"), "{}").status, 404);
    assert_eq!(s.put_json("/contacts/999.json", json!({"contact": {"first_name": "x"}})).status, 404);
    assert_eq!(s.admin("DELETE", "/contacts/999.json", None, "").status, 404);
}

#[test]
fn oversized_bodies_are_413() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(dir.path().join("small.db"), 4096);
    let big = json!({"contact": {"project_id": 1, "first_name": "x".repeat(5000)}}).to_string();
    let r = s.admin("POST", "/contacts.json", Some("application/json"), &big);
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["errors"][0], "Request body is too large");
}

#[test]
fn notes_and_deals_refuse_bad_input_cleanly() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "N"}));
    let no_source = s.post_json("/notes.json", json!({"note": {"content": "x"}}));
    assert_eq!((no_source.status, no_source.json()["errors"].clone()), (422, json!(["Source cannot be blank"])));
    let bad_type =
        s.post_json("/notes.json", json!({"source_type": "Issue", "source_id": id, "note": {"content": "x"}}));
    assert_eq!(bad_type.status, 422);
    let unknown =
        s.post_json("/notes.json", json!({"source_type": "Contact", "source_id": 999, "note": {"content": "x"}}));
    assert_eq!(unknown.status, 404);
    let empty = s.post_json("/notes.json", json!({"source_type": "Contact", "source_id": id, "note": {"content": ""}}));
    assert_eq!(empty.json()["errors"], json!(["Content cannot be blank"]));
    let no_status = s.post_json("/deals.json", json!({"deal": {"name": "D", "project_id": 1, "price": "12x"}}));
    assert_eq!(no_status.json()["errors"], json!(["Sum is not a number", "Status cannot be blank"]));
}
