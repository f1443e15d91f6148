//! The access matrix (issue 18 item 5): users with different roles in different projects ×
//! contacts of visibility 0/1/2 × authored by, assigned to or unrelated to the user × every
//! endpoint that shows or changes a contact, its notes or a deal — each answer checked against
//! an oracle written from API.md §5.3–5.4 alone (not from the product's code), in JSON and XML.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value};

use super::common::{send, Server, ADMIN_KEY};

const PROJECTS: [i64; 2] = [1, 2];

/// One acting user: API key (None: anonymous), id, and the permissions per project.
struct Actor {
    name: &'static str,
    key: Option<&'static str>,
    id: i64,
    admin: bool,
    grants: HashMap<i64, Vec<&'static str>>,
}

impl Actor {
    fn has(&self, perm: &str, project: i64) -> bool {
        self.admin || self.grants.get(&project).is_some_and(|p| p.contains(&perm))
    }

    fn anywhere(&self, perm: &str) -> bool {
        PROJECTS.iter().any(|p| self.has(perm, *p))
    }
}

/// One contact of the matrix and who it belongs to.
#[derive(Clone, Debug)]
struct Case {
    id: i64,
    note: i64,
    projects: Vec<i64>,
    visibility: i64,
    author: i64,
    assignee: Option<i64>,
}

/// API.md §5.3's single-record rule with `base` (view/edit/delete_contacts) for `actor`.
fn may(actor: &Actor, base: &str, c: &Case) -> bool {
    let in_own = c.projects.iter().any(|p| actor.has(base, *p));
    let logged_in = actor.key.is_some();
    let own = logged_in && (c.author == actor.id || c.assignee == Some(actor.id));
    let private_ok =
        logged_in && c.projects.iter().any(|p| actor.has("view_private_contacts", *p) && actor.has(base, *p));
    match c.visibility {
        1 if base == "view_contacts" => actor.anywhere("view_contacts"),
        2 => (in_own && own) || private_ok || (actor.admin && in_own),
        _ => in_own,
    }
}

fn may_view(actor: &Actor, c: &Case) -> bool {
    may(actor, "view_contacts", c)
}

/// The refusal a user gets: 401 anonymous, 403 logged in.
fn refusal(actor: &Actor) -> u16 {
    if actor.key.is_some() {
        403
    } else {
        401
    }
}

fn request(s: &Server, actor: &Actor, method: &str, path: &str, body: Option<Value>) -> (u16, String) {
    let mut headers = vec![];
    if let Some(key) = actor.key {
        headers.push(("X-Redmine-API-Key", key));
    }
    let body = body.map(|b| b.to_string());
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let r = send(s.addr, method, path, &headers, body.as_deref().map(str::as_bytes)).expect("an answer");
    (r.status, r.text())
}

/// The ids of a JSON list answer whose array is `root`.
fn ids_in(body: &str, root: &str) -> BTreeSet<i64> {
    let list: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    list[root].as_array().unwrap().iter().map(|item| item["id"].as_i64().unwrap()).collect()
}

/// The matrix: two projects; users with view, view+private, edit+delete, notes rights, a user
/// of the other project, one without contact rights, the admin and anonymous; for each project
/// and visibility three contacts (authored by `viewer`, assigned to `viewer`, neither), and
/// one private contact in both projects. Each contact has a note.
fn world() -> (Server, Vec<Actor>, Vec<Case>) {
    let s = Server::start();
    for (name, identifier) in [("Alpha", "alpha"), ("Beta", "beta")] {
        let r = s.post_json("/projects.json", json!({"project": {"name": name, "identifier": identifier}}));
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let grants: [(&str, &str, &[(i64, &[&str])]); 6] = [
        ("viewer", "1000000000000000000000000000000000000001", &[(1, &["view_contacts", "add_notes"])]),
        ("private", "1000000000000000000000000000000000000002", &[(1, &["view_contacts", "view_private_contacts"])]),
        (
            "editor",
            "1000000000000000000000000000000000000003",
            &[(1, &["view_contacts", "edit_contacts", "delete_contacts", "delete_notes"])],
        ),
        ("other", "1000000000000000000000000000000000000004", &[(2, &["view_contacts", "edit_contacts"])]),
        ("dealer", "1000000000000000000000000000000000000005", &[(1, &["view_deals"])]),
        ("nobody", "1000000000000000000000000000000000000006", &[]),
    ];
    let mut actors = vec![
        Actor { name: "admin", key: Some(ADMIN_KEY), id: 1, admin: true, grants: HashMap::new() },
        Actor { name: "anonymous", key: None, id: 0, admin: false, grants: HashMap::new() },
    ];
    for (name, key, given) in grants {
        let id = s.user_with(name, key, given);
        let grants = given.iter().map(|(p, perms)| (*p, perms.to_vec())).collect();
        actors.push(Actor { name, key: Some(key), id, admin: false, grants });
    }
    let viewer = actors.iter().find(|a| a.name == "viewer").unwrap().id;
    let mut cases = Vec::new();
    let mut add = |projects: Vec<i64>, visibility: i64, author: i64, assignee: Option<i64>| {
        let contact = json!({"project_id": projects[0], "project_ids": projects, "first_name": format!("C{}", cases.len()),
                             "visibility": visibility, "author_id": author, "assigned_to_id": assignee});
        let id = s.create_contact(contact);
        let r =
            s.post_json("/notes.json", json!({"source_type": "Contact", "source_id": id, "note": {"content": "n"}}));
        assert_eq!(r.status, 201, "{}", r.text());
        let note = r.json()["note"]["id"].as_i64().unwrap();
        cases.push(Case { id, note, projects, visibility, author, assignee });
    };
    for project in PROJECTS {
        for visibility in 0..=2 {
            add(vec![project], visibility, viewer, None);
            add(vec![project], visibility, 1, Some(viewer));
            add(vec![project], visibility, 1, None);
        }
    }
    add(vec![1, 2], 2, 1, None);
    (s, actors, cases)
}

#[test]
fn every_contact_and_note_endpoint_follows_the_visibility_rules() {
    let (s, actors, cases) = world();
    let failures = std::cell::RefCell::new(Vec::new());
    let check = |what: String, got: u16, want: u16, body: &str| {
        if got != want {
            failures.borrow_mut().push(format!("{what}: {got}, expected {want} ({body})"));
        }
    };
    for actor in &actors {
        // The list shows exactly the visible contacts (without a view right anywhere: refused).
        let (status, body) = request(&s, actor, "GET", "/contacts.json?limit=100", None);
        if actor.anywhere("view_contacts") {
            let listed = ids_in(&body, "contacts");
            let expected: BTreeSet<i64> = cases.iter().filter(|c| may_view(actor, c)).map(|c| c.id).collect();
            if listed != expected {
                failures.borrow_mut().push(format!("{}: list {listed:?}, expected {expected:?}", actor.name));
            }
        } else {
            check(format!("{} list", actor.name), status, refusal(actor), &body);
        }
        for c in &cases {
            let visible = may_view(actor, c);
            let seen = if visible { 200 } else { refusal(actor) };
            for format in ["json", "xml"] {
                let (status, body) = request(&s, actor, "GET", &format!("/contacts/{}.{format}", c.id), None);
                check(format!("{} GET contact {c:?} .{format}", actor.name), status, seen, &body);
                if status == 200 && format == "xml" && !body.contains(&format!("<id>{}</id>", c.id)) {
                    failures.borrow_mut().push(format!("{}: XML of {} lacks its id", actor.name, c.id));
                }
                let (status, body) = request(&s, actor, "GET", &format!("/notes/{}.{format}", c.note), None);
                check(format!("{} GET note of {c:?} .{format}", actor.name), status, seen, &body);
            }
            // Changes: the private-contact rule with edit_contacts, after the view check.
            let editable = visible && may(actor, "edit_contacts", c);
            let (status, body) = request(
                &s,
                actor,
                "PUT",
                &format!("/contacts/{}.json", c.id),
                Some(json!({"contact": {"job_title": format!("by {}", actor.name)}})),
            );
            check(
                format!("{} PUT contact {c:?}", actor.name),
                status,
                if editable { 204 } else { refusal(actor) },
                &body,
            );
            // A note may be written with add_notes or edit_contacts on a visible contact.
            let writes_notes = visible && (may(actor, "add_notes", c) || editable);
            let (status, body) = request(
                &s,
                actor,
                "POST",
                "/notes.json",
                Some(json!({"source_type": "Contact", "source_id": c.id, "note": {"content": "x"}})),
            );
            check(
                format!("{} POST note on {c:?}", actor.name),
                status,
                if writes_notes { 201 } else { refusal(actor) },
                &body,
            );
            if !visible || !may(actor, "delete_contacts", c) {
                let (status, body) = request(&s, actor, "DELETE", &format!("/contacts/{}.json", c.id), None);
                check(format!("{} DELETE contact {c:?}", actor.name), status, refusal(actor), &body);
            }
        }
    }
    // Whoever may delete does so last, once per contact; the contact and its notes are gone.
    for c in &cases {
        if let Some(actor) = actors.iter().find(|a| a.name != "admin" && may_view(a, c) && may(a, "delete_contacts", c))
        {
            let (status, body) = request(&s, actor, "DELETE", &format!("/contacts/{}.json", c.id), None);
            check(format!("{} DELETE contact {c:?}", actor.name), status, 204, &body);
            check(format!("note of deleted {}", c.id), s.get(&format!("/notes/{}.json", c.note)).status, 404, "");
        }
    }
    let failures = failures.into_inner();
    assert!(failures.is_empty(), "{} answers broke the rules:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn deals_show_only_to_view_deals_in_their_project() {
    let (s, actors, _) = world();
    let status = json!({"deal_status": {"name": "Open", "status_type": 0, "is_default": true}});
    assert_eq!(s.post_json("/deal_statuses.json", status).status, 201);
    let deals: Vec<(i64, i64)> = PROJECTS
        .iter()
        .map(|p| {
            let r = s.post_json("/deals.json", json!({"deal": {"name": format!("D{p}"), "project_id": p}}));
            assert_eq!(r.status, 201, "{}", r.text());
            (r.json()["deal"]["id"].as_i64().unwrap(), *p)
        })
        .collect();
    let mut failures = Vec::new();
    for actor in &actors {
        for (deal, project) in &deals {
            let want = if actor.has("view_deals", *project) { 200 } else { refusal(actor) };
            for format in ["json", "xml"] {
                let (got, body) = request(&s, actor, "GET", &format!("/deals/{deal}.{format}"), None);
                if got != want {
                    failures.push(format!("{} GET deal {deal} .{format}: {got}, expected {want} ({body})", actor.name));
                }
            }
        }
        let (got, body) = request(&s, actor, "GET", "/deals.json", None);
        if actor.anywhere("view_deals") {
            let listed = ids_in(&body, "deals");
            let expected: BTreeSet<i64> =
                deals.iter().filter(|(_, p)| actor.has("view_deals", *p)).map(|(d, _)| *d).collect();
            if listed != expected {
                failures.push(format!("{}: deal list {listed:?}, expected {expected:?}", actor.name));
            }
        } else if got != refusal(actor) {
            failures.push(format!("{} deal list: {got}, expected {}", actor.name, refusal(actor)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
