//! The Redmine core endpoints the CRM API leans on.

use serde_json::json;

use super::common::{Server, JSMITH_KEY};

#[test]
fn projects_by_id_or_identifier() {
    let s = Server::seeded();
    let by_id = s.get("/projects/1.json").json();
    let by_identifier = s.get("/projects/alpha.json").json();
    assert_eq!(by_id, by_identifier);
    assert_eq!(by_id["project"]["identifier"], "alpha");
    let list = s.get("/projects.json").json();
    assert_eq!(list["total_count"], 2);
    let xml = s.get("/projects/beta.xml?include=enabled_modules").text();
    assert!(xml.contains(r#"<enabled_modules type="array"><enabled_module id="1" name="contacts"/>"#), "{xml}");
    let taken = s.post_json("/projects.json", json!({"project": {"name": "Again", "identifier": "alpha"}}));
    assert_eq!(taken.json()["errors"], json!(["Identifier has already been taken"]));
}

#[test]
fn memberships_roles_and_users() {
    let s = Server::seeded();
    let members = s.get("/projects/beta/memberships.json").json();
    assert_eq!(members["memberships"][0]["user"], json!({"id": 2, "name": "John Smith"}));
    assert_eq!(members["memberships"][0]["roles"], json!([{"id": 3, "name": "Viewer"}]));
    assert_eq!(s.get("/roles.json").json(), json!({"roles": [{"id": 3, "name": "Viewer"}]}));
    assert_eq!(s.get("/roles/3.json").json()["role"]["permissions"], json!(["view_contacts", "view_deals"]));
    let users = s.get("/users.json").json();
    assert_eq!(users["total_count"], 2);
    let current = s.as_key(JSMITH_KEY, "GET", "/users/current.xml", None, "").text();
    assert!(current.contains("<login>jsmith</login>"), "{current}");
    let dup = s.post_json(
        "/users.json",
        json!({"user": {"login": "jsmith", "firstname": "J", "lastname": "S", "mail": "x@y.z"}}),
    );
    assert_eq!(dup.json()["errors"], json!(["Login has already been taken"]));
}

#[test]
fn custom_fields_validate_their_values() {
    let s = Server::seeded();
    let f = s.post_json("/custom_fields.json", json!({"custom_field": {"name": "Seats", "field_format": "int", "customized_type": "contact", "is_required": true}}));
    assert_eq!(f.status, 201, "{}", f.text());
    let missing = s.post_json("/contacts.json", json!({"contact": {"project_id": 1, "first_name": "X"}}));
    assert_eq!(missing.json()["errors"], json!(["Seats cannot be blank"]));
    let wrong = s.post_json(
        "/contacts.json",
        json!({"contact": {"project_id": 1, "first_name": "X", "custom_field_values": {"2": "many"}}}),
    );
    assert_eq!(wrong.json()["errors"], json!(["Seats is not a number"]));
    let ok = s.post_json(
        "/contacts.json",
        json!({"contact": {"project_id": 1, "first_name": "X", "custom_fields": [{"id": 2, "value": "12"}]}}),
    );
    assert_eq!(
        ok.json()["contact"]["custom_fields"],
        json!([{"id": 1, "name": "License", "value": null}, {"id": 2, "name": "Seats", "value": "12"}])
    );
}

#[test]
fn deal_statuses_are_listed_for_admins() {
    let s = Server::seeded();
    s.post_json("/deal_statuses.json", json!({"deal_status": {"name": "Pending", "is_default": true}}));
    let list = s.get("/deal_statuses.json").json();
    assert_eq!(
        list,
        json!({"deal_statuses": [{"id": 1, "name": "Pending", "position": 1, "is_default": true, "status_type": 0, "color": 11184810}], "total_count": 1})
    );
}

#[test]
fn saved_queries_and_deal_categories_answer_in_redmine_shapes() {
    let s = Server::seeded();
    assert_eq!(
        s.get("/crm_queries.json?object_type=contact").json(),
        json!({"queries": [], "total_count": 0, "offset": 0, "limit": 25})
    );
    assert_eq!(s.get("/crm_queries.json").status, 404);
    assert_eq!(s.get("/projects/alpha/deal_categories.json").json(), json!({"deal_categories": [], "total_count": 0}));
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/projects/alpha/deal_categories.json", None, "").status, 403);
}
