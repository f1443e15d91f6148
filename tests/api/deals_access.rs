//! Who may do what with deals (API.md §5.4): view_deals, add_deals, edit_deals and
//! delete_deals per project, the deals module, anonymous requests; refusals write nothing.

use serde_json::{json, Value};

use super::common::{Resp, Server, JSMITH_KEY};
use super::deals::{ids, ok, world};

const VIEWER: &str = "1111111111111111111111111111111111111111";
const EDITOR: &str = "2222222222222222222222222222222222222222";
const ADDER: &str = "3333333333333333333333333333333333333333";
const DELETER: &str = "4444444444444444444444444444444444444444";
/// view_contacts in alpha; edit_deals and delete_deals without view_deals in beta.
const BLIND: &str = "5555555555555555555555555555555555555555";
/// Every deal permission in gamma, whose deals module is off.
const GAMMA: &str = "6666666666666666666666666666666666666666";
const NOBODY: &str = "7777777777777777777777777777777777777777";

/// The deals world (see `deals::world`) with a user per kind of access.
fn people() -> Server {
    let s = world().s;
    let role = |name: &str, permissions: Value| {
        ok(&s.post_json("/roles.json", json!({"role": {"name": name, "permissions": permissions}})))["role"]["id"]
            .as_i64()
            .unwrap()
    };
    let viewer = role("Deal viewer", json!(["view_deals"]));
    let editor = role("Deal editor", json!(["view_deals", "edit_deals"]));
    let adder = role("Deal adder", json!(["view_deals", "add_deals"]));
    let deleter = role("Deal deleter", json!(["view_deals", "delete_deals"]));
    let contacts = role("Contacts only", json!(["view_contacts"]));
    let blind = role("Blind hands", json!(["edit_deals", "delete_deals"]));
    let all = role("Deal master", json!(["view_deals", "add_deals", "edit_deals", "delete_deals", "manage_deals"]));
    let memberships: [(&str, &[(&str, i64)]); 7] = [
        (VIEWER, &[("alpha", viewer)]),
        (EDITOR, &[("alpha", editor), ("beta", viewer)]),
        (ADDER, &[("alpha", adder)]),
        (DELETER, &[("alpha", deleter)]),
        (BLIND, &[("alpha", contacts), ("beta", blind)]),
        (GAMMA, &[("gamma", all)]),
        (NOBODY, &[]),
    ];
    for (i, (key, roles)) in memberships.iter().enumerate() {
        let login = format!("user{i}");
        let user = ok(&s.post_json(
            "/users.json",
            json!({"user": {"login": login, "firstname": "User", "lastname": format!("{i}"),
                            "mail": format!("{login}@example.net"), "api_key": key}}),
        ))["user"]["id"]
            .as_i64()
            .unwrap();
        for (project, role) in roles.iter() {
            ok(&s.post_json(
                &format!("/projects/{project}/memberships.json"),
                json!({"membership": {"user_id": user, "role_ids": [role]}}),
            ));
        }
    }
    s
}

fn send(s: &Server, key: &str, method: &str, path: &str, body: Option<Value>) -> Resp {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    if key.is_empty() {
        let headers: &[(&str, &str)] = if body.is_empty() { &[] } else { &[("Content-Type", "application/json")] };
        return s.raw(method, path, headers, body.as_bytes());
    }
    s.as_key(key, method, path, (!body.is_empty()).then_some("application/json"), &body)
}

/// The status of a refused request, whose body must be empty (Redmine's 401/403/404).
#[track_caller]
fn refused(s: &Server, key: &str, method: &str, path: &str, body: Option<Value>) -> u16 {
    let r = send(s, key, method, path, body);
    assert!(r.status >= 400 && r.body.is_empty(), "{method} {path}: {} {}", r.status, r.text());
    r.status
}

fn all_deals(s: &Server) -> Value {
    ok(&s.get("/deals.json?status_id=*&sort=id"))
}

#[test]
fn anonymous_requests_are_asked_to_log_in() {
    let s = people();
    let before = all_deals(&s);
    let rename = Some(json!({"deal": {"name": "x"}}));
    for (method, path, body) in [
        ("GET", "/deals.json", None),
        ("GET", "/deals.xml?status_id=*", None),
        ("GET", "/projects/alpha/deals.json", None),
        ("GET", "/projects/nope/deals.json", None),
        ("GET", "/deals/1.json", None),
        ("POST", "/deals.json", Some(json!({"deal": {"name": "x", "project_id": 1}}))),
        ("POST", "/projects/alpha/deals.json", Some(json!({"deal": {"name": "x"}}))),
        ("PUT", "/deals/1.json", rename.clone()),
        ("DELETE", "/deals/1.json", None),
    ] {
        assert_eq!(refused(&s, "", method, path, body), 401, "{method} {path}");
    }
    let challenge = s.raw("GET", "/deals.json", &[], b"");
    assert_eq!(challenge.header("WWW-Authenticate"), Some(r#"Basic realm="Redmine API""#));
    assert_eq!(refused(&s, "", "GET", "/deals/99.json", None), 404, "an unknown deal is 404 first");
    assert_eq!(refused(&s, "", "PUT", "/deals/99.json", rename), 404);
    assert_eq!(all_deals(&s), before, "nothing written");
}

#[test]
fn a_viewer_sees_the_deals_of_its_projects_and_changes_nothing() {
    let s = people();
    let before = all_deals(&s);
    let get = |path: &str| ok(&s.as_key(VIEWER, "GET", path, None, ""));
    let all = get("/deals.json?status_id=*");
    assert_eq!((ids(&all), all["total_count"].clone()), (vec![2, 1], json!(2)), "not the subproject's nor beta's");
    assert_eq!(ids(&get("/projects/alpha/deals.json?status_id=*")), [2, 1]);
    assert_eq!(ids(&get("/deals.json?f[]=project_id&op[project_id]=%3D&v[project_id][]=2")), Vec::<i64>::new());
    assert_eq!(get("/deals/1.json?include=notes")["deal"]["name"], "Website redesign");
    assert_eq!(refused(&s, VIEWER, "GET", "/projects/beta/deals.json", None), 403);
    assert_eq!(refused(&s, VIEWER, "GET", "/projects/alpha-sub/deals.json", None), 403);
    assert_eq!(refused(&s, VIEWER, "GET", "/deals/4.json", None), 403);
    assert_eq!(refused(&s, VIEWER, "GET", "/deals/3.json", None), 403);
    assert_eq!(refused(&s, VIEWER, "GET", "/deals/99.json", None), 404);
    assert_eq!(refused(&s, VIEWER, "POST", "/deals.json", Some(json!({"deal": {"name": "x", "project_id": 1}}))), 403);
    assert_eq!(refused(&s, VIEWER, "PUT", "/deals/1.json", Some(json!({"deal": {"name": "x"}}))), 403);
    assert_eq!(refused(&s, VIEWER, "DELETE", "/deals/1.json", None), 403);
    let note = json!({"source_type": "Deal", "source_id": 1, "note": {"content": "x"}});
    assert_eq!(refused(&s, VIEWER, "POST", "/notes.json", Some(note)), 403, "deal notes need edit_deals");
    // The seeded jsmith views deals in beta only.
    assert_eq!(ids(&ok(&s.as_key(JSMITH_KEY, "GET", "/deals.json?status_id=*", None, ""))), [5, 4]);
    assert_eq!(all_deals(&s), before, "nothing written");
}

#[test]
fn an_editor_edits_where_it_has_edit_deals_in_both_projects() {
    let s = people();
    let put =
        |id: i64, deal: Value| send(&s, EDITOR, "PUT", &format!("/deals/{id}.json"), Some(json!({ "deal": deal })));
    assert_eq!(put(1, json!({"name": "Edited", "status_id": 2})).status, 204);
    assert_eq!(ok(&s.get("/deals/1.json"))["deal"]["name"], "Edited");
    assert_eq!(
        refused(&s, EDITOR, "PUT", "/deals/4.json", Some(json!({"deal": {"name": "x"}}))),
        403,
        "view only in beta"
    );
    assert_eq!(
        refused(&s, EDITOR, "PUT", "/deals/1.json", Some(json!({"deal": {"project_id": "beta", "name": "Moved"}}))),
        403,
        "moving needs edit_deals in the target too"
    );
    let shown = ok(&s.get("/deals/1.json"))["deal"].clone();
    assert_eq!((shown["name"].clone(), shown["project"]["id"].clone()), (json!("Edited"), json!(1)));
    let note = json!({"source_type": "Deal", "source_id": 1, "note": {"content": "by the editor"}});
    assert_eq!(send(&s, EDITOR, "POST", "/notes.json", Some(note)).status, 201);
    assert_eq!(refused(&s, EDITOR, "POST", "/deals.json", Some(json!({"deal": {"name": "x", "project_id": 1}}))), 403);
    assert_eq!(refused(&s, EDITOR, "DELETE", "/deals/1.json", None), 403);
    // Admins move deals freely; the status change is theirs in the history.
    assert_eq!(s.put_json("/deals/1.json", json!({"deal": {"project_id": "beta"}})).status, 204);
    assert_eq!(put(1, json!({"name": "x"})).status, 403, "now in beta, where the editor only views");
    assert_eq!(super::deals::db_column(&s, "SELECT author_id FROM deal_processes"), ["4"], "the editor's change");
}

#[test]
fn an_adder_creates_in_its_project_only() {
    let s = people();
    let create = |project: &str| {
        send(&s, ADDER, "POST", &format!("/projects/{project}/deals.json"), Some(json!({"deal": {"name": "New"}})))
    };
    let r = create("alpha");
    assert_eq!(r.status, 201, "{}", r.text());
    let author = r.json()["deal"]["author"].clone();
    assert_eq!(author, json!({"id": 5, "name": "User 2"}));
    assert_eq!(refused(&s, ADDER, "POST", "/projects/beta/deals.json", Some(json!({"deal": {"name": "New"}}))), 403);
    assert_eq!(refused(&s, ADDER, "POST", "/projects/nope/deals.json", Some(json!({"deal": {"name": "New"}}))), 404);
    assert_eq!(refused(&s, ADDER, "PUT", "/deals/6.json", Some(json!({"deal": {"name": "x"}}))), 403);
    assert_eq!(ids(&all_deals(&s)), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_deleter_deletes_in_its_project_only() {
    let s = people();
    assert_eq!(refused(&s, DELETER, "DELETE", "/deals/4.json", None), 403);
    assert_eq!(refused(&s, DELETER, "PUT", "/deals/1.json", Some(json!({"deal": {"name": "x"}}))), 403);
    let r = send(&s, DELETER, "DELETE", "/deals/1.json", None);
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(refused(&s, DELETER, "DELETE", "/deals/1.json", None), 404);
    assert_eq!(ids(&all_deals(&s)), [2, 3, 4, 5]);
}

#[test]
fn without_view_deals_or_the_module_nothing_is_allowed() {
    let s = people();
    let before = all_deals(&s);
    for key in [BLIND, GAMMA, NOBODY] {
        assert_eq!(refused(&s, key, "GET", "/deals.json", None), 403, "{key}");
        assert_eq!(refused(&s, key, "GET", "/deals/4.json", None), 403, "{key}");
        assert_eq!(refused(&s, key, "PUT", "/deals/4.json", Some(json!({"deal": {"name": "x"}}))), 403, "{key}");
        assert_eq!(refused(&s, key, "DELETE", "/deals/4.json", None), 403, "{key}");
    }
    assert_eq!(refused(&s, BLIND, "GET", "/projects/beta/deals.json", None), 403);
    assert_eq!(refused(&s, GAMMA, "GET", "/projects/gamma/deals.json", None), 403);
    assert_eq!(refused(&s, GAMMA, "POST", "/projects/gamma/deals.json", Some(json!({"deal": {"name": "x"}}))), 403);
    // Not even an administrator reaches deals of a project without the module.
    assert_eq!(refused(&s, "", "GET", "/projects/gamma/deals.json", None), 401);
    assert_eq!(s.get("/projects/gamma/deals.json").status, 403);
    assert_eq!(s.post_json("/projects/gamma/deals.json", json!({"deal": {"name": "x"}})).status, 403);
    assert_eq!(all_deals(&s), before, "nothing written");
}
