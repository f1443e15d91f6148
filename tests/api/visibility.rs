//! Who may read and change which contact (API.md §5.3): project, public and private contacts,
//! per-project permissions, 404 before 403.

use serde_json::json;

use super::common::{Server, JSMITH_KEY};

/// jsmith views contacts in beta only (the seeded Viewer role).
fn world() -> (Server, [i64; 5]) {
    let s = Server::seeded();
    let alpha_project = s.create_contact(json!({"project_id": 1, "first_name": "AlphaProject", "visibility": 0}));
    let alpha_public = s.create_contact(json!({"project_id": 1, "first_name": "AlphaPublic", "visibility": 1}));
    let beta_project = s.create_contact(json!({"project_id": 2, "first_name": "BetaProject", "visibility": 0}));
    let beta_private = s.create_contact(json!({"project_id": 2, "first_name": "BetaPrivate", "visibility": 2}));
    let beta_private_own = s
        .create_contact(json!({"project_id": 2, "first_name": "BetaPrivateOwn", "visibility": 2, "assigned_to_id": 2}));
    (s, [alpha_project, alpha_public, beta_project, beta_private, beta_private_own])
}

fn ids(list: &serde_json::Value) -> Vec<i64> {
    let mut v: Vec<i64> = list["contacts"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    v.sort();
    v
}

#[test]
fn a_user_lists_only_what_they_may_see() {
    let (s, [_, alpha_public, beta_project, _, beta_private_own]) = world();
    let list = s.as_key(JSMITH_KEY, "GET", "/contacts.json", None, "").json();
    assert_eq!(ids(&list), vec![alpha_public, beta_project, beta_private_own]);
    assert_eq!(list["total_count"], 3);
}

#[test]
fn admins_see_everything() {
    let (s, all) = world();
    assert_eq!(ids(&s.get("/contacts.json").json()), all.to_vec());
}

#[test]
fn show_answers_404_for_unknown_then_403_for_invisible() {
    let (s, [alpha_project, alpha_public, _, beta_private, beta_private_own]) = world();
    let get = |id: i64| s.as_key(JSMITH_KEY, "GET", &format!("/contacts/{id}.json"), None, "").status;
    assert_eq!(get(alpha_project), 403);
    assert_eq!(get(beta_private), 403);
    assert_eq!(get(alpha_public), 200);
    assert_eq!(get(beta_private_own), 200);
    assert_eq!(get(999), 404);
}

#[test]
fn a_viewer_cannot_create_update_or_delete() {
    let (s, [_, _, beta_project, _, _]) = world();
    let create = s.as_key(
        JSMITH_KEY,
        "POST",
        "/contacts.json",
        Some("application/json"),
        r#"{"contact":{"project_id":2,"first_name":"X"}}"#,
    );
    assert_eq!(create.status, 403);
    let update = s.as_key(
        JSMITH_KEY,
        "PUT",
        &format!("/contacts/{beta_project}.json"),
        Some("application/json"),
        r#"{"contact":{"first_name":"X"}}"#,
    );
    assert_eq!(update.status, 403);
    assert_eq!(s.as_key(JSMITH_KEY, "DELETE", &format!("/contacts/{beta_project}.json"), None, "").status, 403);
    let note = s.as_key(
        JSMITH_KEY,
        "POST",
        "/notes.json",
        Some("application/json"),
        &json!({"source_type": "Contact", "source_id": beta_project, "note": {"content": "x"}}).to_string(),
    );
    assert_eq!(note.status, 403, "notes need add_notes or edit_contacts");
    assert_eq!(s.get(&format!("/contacts/{beta_project}.json")).json()["contact"]["first_name"], "BetaProject");
}

#[test]
fn a_project_list_needs_view_contacts_in_that_project() {
    let (s, _) = world();
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/contacts.json?project_id=alpha", None, "").status, 403);
    let beta = s.as_key(JSMITH_KEY, "GET", "/contacts.json?project_id=beta", None, "").json();
    assert_eq!(beta["total_count"], 2);
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/contacts.json?project_id=nope", None, "").status, 404);
    assert_eq!(s.raw("GET", "/contacts.json?project_id=nope", &[], b"").status, 401);
}

#[test]
fn a_role_with_edit_rights_may_edit_in_its_project_only() {
    let (s, [alpha_project, _, beta_project, _, _]) = world();
    let role = s.post_json(
        "/roles.json",
        json!({"role": {"name": "Editor", "permissions": ["view_contacts", "edit_contacts", "add_notes"]}}),
    );
    let role_id = role.json()["role"]["id"].as_i64().unwrap();
    s.post_json("/projects/1/memberships.json", json!({"membership": {"user_id": 2, "role_ids": [role_id]}}));
    let put = |id: i64| {
        s.as_key(
            JSMITH_KEY,
            "PUT",
            &format!("/contacts/{id}.json"),
            Some("application/json"),
            r#"{"contact":{"job_title":"Edited"}}"#,
        )
        .status
    };
    assert_eq!(put(alpha_project), 204);
    assert_eq!(put(beta_project), 403);
}
