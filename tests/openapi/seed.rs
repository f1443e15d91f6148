//! The data the schemathesis run works on: a little of everything, so that every answer shape
//! (a contact with its address, phones, e-mails, tags, custom fields, notes, deals, employees;
//! a deal with its references; notes of both kinds; saved queries…) is there to be checked.
//! The ids are the ones `openapi.json`'s examples name (scripts/openapi/paths.py): rich records
//! for reads and updates, spare ones for deletes.

use std::net::SocketAddr;

use serde_json::{json, Value};

use crate::common::{send, ADMIN_KEY, JSMITH_KEY};

/// One request as the administrator; panics unless it succeeds. Returns the answer's JSON
/// (null for 204).
#[track_caller]
fn call(addr: SocketAddr, method: &str, path: &str, body: Value) -> Value {
    let text = body.to_string();
    let headers = [("X-Redmine-API-Key", ADMIN_KEY), ("Content-Type", "application/json")];
    let r = send(addr, method, path, &headers, (!body.is_null()).then_some(text.as_bytes()))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    assert!((200..300).contains(&r.status), "seed: {method} {path}: {} {}", r.status, r.text());
    if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

/// Creates a record and checks that it got the id the document's examples name.
#[track_caller]
fn create(addr: SocketAddr, path: &str, key: &str, expected_id: i64, body: Value) {
    let answer = call(addr, "POST", path, body);
    assert_eq!(answer[key]["id"], expected_id, "seed: POST {path}: {answer}");
}

pub fn seed(addr: SocketAddr) {
    let post = |path: &str, body: Value| call(addr, "POST", path, body);
    let user = |login: &str, key: Option<&str>| {
        json!({"user": {"login": login, "firstname": login, "lastname": "Tester", "mail": format!("{login}@example.net"),
               "password": "secret-123", "api_key": key}})
    };
    create(addr, "/users.json", "user", 2, user("jsmith", Some(JSMITH_KEY)));
    create(addr, "/users.json", "user", 3, user("victim", None));

    let modules = json!(["contacts", "deals"]);
    let project = |name: &str, parent: Option<i64>| {
        json!({"project": {"name": name, "identifier": name.to_lowercase(), "parent_id": parent,
               "description": format!("{name} project"), "enabled_module_names": modules}})
    };
    create(addr, "/projects.json", "project", 1, project("Alpha", None));
    create(addr, "/projects.json", "project", 2, project("Beta", Some(1)));
    create(addr, "/projects.json", "project", 3, project("Doomed", None));

    let everything: Vec<&str> = vec![
        "view_contacts",
        "add_contacts",
        "edit_contacts",
        "delete_contacts",
        "add_notes",
        "delete_notes",
        "view_deals",
        "add_deals",
        "edit_deals",
        "delete_deals",
        "manage_deals",
        "save_contacts_queries",
    ];
    create(addr, "/roles.json", "role", 3, json!({"role": {"name": "Sales", "permissions": everything}}));
    let member = |user: i64| json!({"membership": {"user_id": user, "role_ids": [3]}});
    create(addr, "/projects/alpha/memberships.json", "membership", 1, member(2));
    create(addr, "/projects/beta/memberships.json", "membership", 2, member(3));

    let field = |name: &str, format: &str, kind: &str, extra: Value| {
        let mut f = json!({"name": name, "field_format": format, "customized_type": kind, "is_filter": true});
        f.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({ "custom_field": f })
    };
    create(addr, "/custom_fields.json", "custom_field", 1, field("License", "string", "contact", json!({})));
    let languages = json!({"multiple": true, "possible_values": ["en", "ru"]});
    create(addr, "/custom_fields.json", "custom_field", 2, field("Languages", "list", "contact", languages));
    create(addr, "/custom_fields.json", "custom_field", 3, field("Source", "string", "deal", json!({})));
    let mood = json!({"possible_values": ["good", "bad"], "default_value": "good"});
    create(addr, "/custom_fields.json", "custom_field", 4, field("Mood", "list", "note", mood));

    let status = |name: &str, status_type: i64, default: bool| json!({"deal_status": {"name": name, "status_type": status_type, "is_default": default}});
    create(addr, "/deal_statuses.json", "deal_status", 1, status("Pending", 0, true));
    create(addr, "/deal_statuses.json", "deal_status", 2, status("Won", 1, false));
    create(addr, "/deal_statuses.json", "deal_status", 3, status("Lost", 2, false));
    for name in ["Web", "Support", "Spare"] {
        post("/projects/alpha/deal_categories.json", json!({"category": {"name": name}}));
    }

    let ivan = json!({"contact": {
        "project_id": "alpha", "project_ids": [1, 2], "first_name": "Ivan", "last_name": "Ivanov",
        "middle_name": "Petrovich", "company": "ACME Corp", "website": "https://acme.example",
        "skype_name": "ivan.ivanov", "birthday": "1980-10-21", "job_title": "CEO", "background": "Met at the expo.",
        "phone": "+1 555 0100, +1 555 0101", "email": "ivan@acme.example, ivan@mail.example",
        "tag_list": "vip, customer", "assigned_to_id": 2,
        "address_attributes": {"street1": "12 Main St", "street2": "Suite 4", "city": "Springfield",
                               "region": "IL", "postcode": "62701", "country_code": "US"},
        "custom_fields": [{"id": 1, "value": "Gold"}, {"id": 2, "value": ["en", "ru"]}]}});
    create(addr, "/contacts.json", "contact", 1, ivan);
    let acme = json!({"contact": {"project_id": "alpha", "first_name": "ACME Corp", "is_company": true,
                                  "tag_list": "customer", "email": "info@acme.example"}});
    create(addr, "/contacts.json", "contact", 2, acme);
    let tom = json!({"contact": {"project_id": "alpha", "first_name": "Tom", "last_name": "Smith",
                                 "company": "ACME Corp", "tag_list": "cold", "visibility": 1}});
    create(addr, "/contacts.json", "contact", 3, tom);
    let spare = json!({"contact": {"project_id": "alpha", "first_name": "Spare", "tag_list": "spare, old"}});
    create(addr, "/contacts.json", "contact", 4, spare);

    let deal = json!({"deal": {"project_id": "alpha", "name": "Website redesign", "price": "12000", "currency": "USD",
                               "probability": 60, "due_date": "2024-06-30", "contact_id": 1, "category_id": 1,
                               "related_contact_ids": [2], "assigned_to_id": 2, "background": "Phase 1",
                               "custom_fields": [{"id": 3, "value": "Expo"}]}});
    create(addr, "/deals.json", "deal", 1, deal);
    create(addr, "/deals.json", "deal", 2, json!({"deal": {"project_id": "alpha", "name": "Spare deal", "price": 10}}));

    let note = |source_type: &str, source_id: i64, content: &str| {
        json!({"source_type": source_type, "source_id": source_id,
               "note": {"content": content, "subject": "Call", "type_id": 1, "created_on": "2024-03-02 12:00",
                        "custom_fields": [{"id": 4, "value": "bad"}]}})
    };
    create(addr, "/notes.json", "note", 1, note("Contact", 1, "Called, wants a quote."));
    create(addr, "/notes.json", "note", 2, note("Deal", 1, "Sent the proposal."));
    create(addr, "/notes.json", "note", 3, note("Contact", 4, "Spare note."));

    let saved = |name: &str, kind: &str, project: Option<&str>, visibility: i64, filters: Value| {
        json!({"query": {"name": name, "object_type": kind, "project_id": project, "visibility": visibility,
                         "filters": filters, "sort_criteria": [["created_on", "desc"]]}})
    };
    let vip = json!({"tags": {"operator": "=", "values": ["vip"]}});
    create(addr, "/crm_queries.json", "query", 1, saved("VIP", "contact", Some("alpha"), 2, vip));
    let open = json!({"status_id": {"operator": "o"}});
    create(addr, "/crm_queries.json", "query", 2, saved("Open deals", "deal", None, 2, open));
    create(addr, "/crm_queries.json", "query", 3, saved("Spare", "contact", None, 0, json!({})));

    // The tags by id, as the examples expect them (merge 4, delete 5).
    let tags = call(addr, "GET", "/contacts_tags.json", Value::Null);
    let named =
        |name: &str| tags["tags"].as_array().unwrap().iter().find(|t| t["name"] == name).map(|t| t["id"].clone());
    assert_eq!((named("spare"), named("old")), (Some(json!(4)), Some(json!(5))), "seed: tags {tags}");
}
