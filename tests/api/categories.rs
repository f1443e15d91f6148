//! Deal categories (API.md §2.5, §3.7): the list, create (204 with no body, as the plugin),
//! rename and delete with `reassign_to_id`, their validation, and manage_deals.

use serde_json::{json, Value};

use super::common::{Server, ADMIN_KEY, JSMITH_KEY};

const MANAGER: &str = "2000000000000000000000000000000000000001";
const VIEWER: &str = "2000000000000000000000000000000000000002";

/// Alpha has a default deal status; MANAGER has manage_deals in alpha, VIEWER view_deals there.
fn world() -> Server {
    let s = Server::seeded();
    let r = s.post_json("/deal_statuses.json", json!({"deal_status": {"name": "Open", "is_default": true}}));
    assert_eq!(r.status, 201);
    s.user_with("manager", MANAGER, &[(1, &["view_deals", "manage_deals"]), (2, &["view_deals"])]);
    s.user_with("viewer", VIEWER, &[(1, &["view_deals"])]);
    s
}

fn create_as(s: &Server, key: &str, project: &str, name: &str) -> super::common::Resp {
    let body = json!({"category": {"name": name}}).to_string();
    s.as_key(key, "POST", &format!("/projects/{project}/deal_categories.json"), Some("application/json"), &body)
}

fn names(s: &Server, project: &str) -> Vec<(i64, String)> {
    let list = s.get(&format!("/projects/{project}/deal_categories.json")).json();
    assert_eq!(list["total_count"].as_u64(), list["deal_categories"].as_array().map(|a| a.len() as u64));
    list["deal_categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_i64().unwrap(), c["name"].as_str().unwrap().to_string()))
        .collect()
}

fn id_of(s: &Server, project: &str, name: &str) -> i64 {
    names(s, project).into_iter().find(|(_, n)| n == name).unwrap().0
}

fn deal_in(s: &Server, project: i64, category: i64) -> i64 {
    let r = s.post_json("/deals.json", json!({"deal": {"name": "D", "project_id": project, "category_id": category}}));
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["deal"]["id"].as_i64().unwrap()
}

fn category_of_deal(s: &Server, deal: i64) -> Value {
    s.get(&format!("/deals/{deal}.json")).json()["deal"]["category"].clone()
}

#[test]
fn categories_are_created_with_204_and_listed_by_name_in_both_formats() {
    let s = world();
    for name in ["Web", "Integration"] {
        let r = create_as(&s, ADMIN_KEY, "alpha", name);
        assert_eq!((r.status, r.body.len(), r.header("Location")), (204, 0, None));
    }
    let xml = s.admin_xml("POST", "/projects/1/deal_categories.xml", "<category><name>Mobile</name></category>");
    assert_eq!(xml.status, 204);
    let list = s.get("/projects/alpha/deal_categories.json").json();
    let (web, integration, mobile) =
        (id_of(&s, "alpha", "Web"), id_of(&s, "alpha", "Integration"), id_of(&s, "alpha", "Mobile"));
    assert_eq!(
        list,
        json!({"deal_categories": [{"id": integration, "name": "Integration"}, {"id": mobile, "name": "Mobile"},
                                   {"id": web, "name": "Web"}], "total_count": 3})
    );
    assert_eq!(
        s.get("/projects/alpha/deal_categories.xml").text(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><deal_categories total_count=\"3\" type=\"array\">\
             <category><id>{integration}</id><name>Integration</name></category>\
             <category><id>{mobile}</id><name>Mobile</name></category>\
             <category><id>{web}</id><name>Web</name></category></deal_categories>"
        )
    );
    assert_eq!(s.get("/projects/alpha/deal_categories.json?nometa=1").json().as_object().unwrap().len(), 1);
    assert!(names(&s, "beta").is_empty(), "categories belong to their project");
}

#[test]
fn names_are_required_short_and_unique_per_project() {
    let s = world();
    assert_eq!(create_as(&s, ADMIN_KEY, "alpha", "Web").status, 204);
    let errors = |r: super::common::Resp| (r.status, r.json()["errors"].clone());
    assert_eq!(errors(create_as(&s, ADMIN_KEY, "alpha", " ")), (422, json!(["Name cannot be blank"])));
    let missing = s.post_json("/projects/alpha/deal_categories.json", json!({}));
    assert_eq!(errors(missing), (422, json!(["Name cannot be blank"])));
    assert_eq!(
        errors(create_as(&s, ADMIN_KEY, "alpha", &"x".repeat(31))),
        (422, json!(["Name is too long (maximum is 30 characters)"]))
    );
    assert_eq!(create_as(&s, ADMIN_KEY, "alpha", &"x".repeat(30)).status, 204);
    assert_eq!(errors(create_as(&s, ADMIN_KEY, "alpha", "Web")), (422, json!(["Name has already been taken"])));
    let xml = s.admin_xml("POST", "/projects/alpha/deal_categories.xml", "<category><name>Web</name></category>");
    assert_eq!(
        xml.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><errors type=\"array\"><error>Name has already been taken</error></errors>"
    );
    assert_eq!(create_as(&s, ADMIN_KEY, "beta", "Web").status, 204, "another project may have the name");
    assert_eq!(names(&s, "alpha").len(), 2, "nothing else was written");
    assert_eq!(create_as(&s, ADMIN_KEY, "nope", "Web").status, 404);
    assert_eq!(s.get("/projects/nope/deal_categories.json").status, 404);
}

#[test]
fn categories_are_renamed_by_either_path_and_deals_show_the_new_name() {
    let s = world();
    create_as(&s, ADMIN_KEY, "alpha", "Web");
    create_as(&s, ADMIN_KEY, "alpha", "Mobile");
    let web = id_of(&s, "alpha", "Web");
    let deal = deal_in(&s, 1, web);
    assert_eq!(category_of_deal(&s, deal), json!({"id": web, "name": "Web"}));
    let put = |path: &str, name: &str| s.put_json(path, json!({"category": {"name": name}}));
    let r = put(&format!("/deal_categories/{web}.json"), "Websites");
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(category_of_deal(&s, deal), json!({"id": web, "name": "Websites"}));
    assert_eq!(put(&format!("/projects/alpha/deal_categories/{web}.json"), "Sites").status, 204);
    assert_eq!(put(&format!("/projects/beta/deal_categories/{web}.json"), "Nope").status, 404, "not beta's");
    assert_eq!(put(&format!("/projects/nope/deal_categories/{web}.json"), "Nope").status, 404);
    assert_eq!(put("/deal_categories/999.json", "Nope").status, 404);
    let taken = put(&format!("/deal_categories/{web}.json"), "Mobile");
    assert_eq!((taken.status, taken.json()["errors"].clone()), (422, json!(["Name has already been taken"])));
    let long = put(&format!("/deal_categories/{web}.json"), &"y".repeat(31));
    assert_eq!(long.json()["errors"], json!(["Name is too long (maximum is 30 characters)"]));
    assert_eq!(put(&format!("/deal_categories/{web}.json"), "Sites").status, 204, "its own name is free");
    let xml = s.admin_xml("PUT", &format!("/deal_categories/{web}.xml"), "<category><name>Online</name></category>");
    assert_eq!(xml.status, 204);
    assert_eq!(category_of_deal(&s, deal), json!({"id": web, "name": "Online"}));
}

#[test]
fn deleting_a_category_reassigns_or_clears_its_deals() {
    let s = world();
    for name in ["Web", "Mobile", "Other"] {
        create_as(&s, ADMIN_KEY, "alpha", name);
    }
    create_as(&s, ADMIN_KEY, "beta", "Web");
    let (web, mobile, other) = (id_of(&s, "alpha", "Web"), id_of(&s, "alpha", "Mobile"), id_of(&s, "alpha", "Other"));
    let beta_web = id_of(&s, "beta", "Web");
    let (d1, d2) = (deal_in(&s, 1, web), deal_in(&s, 1, web));
    let d3 = deal_in(&s, 1, other);

    let r = s.admin("DELETE", &format!("/deal_categories/{web}.json?reassign_to_id={beta_web}"), None, "");
    assert_eq!((r.status, r.json()["errors"].clone()), (422, json!(["Reassign to is invalid"])));
    let r = s.admin("DELETE", &format!("/deal_categories/{web}.json?reassign_to_id={web}"), None, "");
    assert_eq!(r.status, 422, "not to itself");
    let r = s.admin("DELETE", &format!("/deal_categories/{web}.json?reassign_to_id=abc"), None, "");
    assert_eq!(r.status, 422);
    assert_eq!(category_of_deal(&s, d1), json!({"id": web, "name": "Web"}), "nothing changed");

    let r = s.admin("DELETE", &format!("/deal_categories/{web}.json?reassign_to_id={mobile}"), None, "");
    assert_eq!((r.status, r.body.len()), (204, 0));
    for deal in [d1, d2] {
        assert_eq!(category_of_deal(&s, deal), json!({"id": mobile, "name": "Mobile"}));
    }
    let body = json!({"reassign_to_id": ""}).to_string();
    let r =
        s.admin("DELETE", &format!("/projects/alpha/deal_categories/{other}.json"), Some("application/json"), &body);
    assert_eq!(r.status, 204);
    assert_eq!(category_of_deal(&s, d3), Value::Null, "the category is gone from the deal");
    assert!(!s.get(&format!("/deals/{d3}.xml")).text().contains("<category"));
    assert_eq!(names(&s, "alpha"), [(mobile, "Mobile".to_string())]);
    assert_eq!(s.admin("DELETE", &format!("/deal_categories/{web}.json"), None, "").status, 404);
}

#[test]
fn manage_deals_in_the_category_project_is_needed_to_change_categories() {
    let s = world();
    create_as(&s, ADMIN_KEY, "beta", "Beta web");
    let beta_web = id_of(&s, "beta", "Beta web");
    // A viewer lists but changes nothing.
    let list = s.as_key(VIEWER, "GET", "/projects/alpha/deal_categories.json", None, "");
    assert_eq!(list.status, 200);
    assert_eq!(create_as(&s, VIEWER, "alpha", "X").status, 403);
    assert_eq!(s.as_key(VIEWER, "GET", "/projects/beta/deal_categories.json", None, "").status, 403);
    assert_eq!(s.raw("GET", "/projects/alpha/deal_categories.json", &[], b"").status, 401);
    assert_eq!(
        s.raw(
            "POST",
            "/projects/alpha/deal_categories.json",
            &[("Content-Type", "application/json")],
            br#"{"category":{"name":"A"}}"#
        )
        .status,
        401
    );
    // The manager manages alpha's categories only.
    assert_eq!(create_as(&s, MANAGER, "alpha", "Managed").status, 204);
    let managed = id_of(&s, "alpha", "Managed");
    let put = |key: &str, id: i64| {
        s.as_key(
            key,
            "PUT",
            &format!("/deal_categories/{id}.json"),
            Some("application/json"),
            r#"{"category":{"name":"Renamed"}}"#,
        )
        .status
    };
    assert_eq!(put(VIEWER, managed), 403);
    assert_eq!(put(JSMITH_KEY, managed), 403);
    assert_eq!(put(MANAGER, beta_web), 403, "view_deals in beta is not manage_deals");
    assert_eq!(create_as(&s, MANAGER, "beta", "Nope").status, 403);
    assert_eq!(put(MANAGER, managed), 204);
    assert_eq!(s.as_key(VIEWER, "DELETE", &format!("/deal_categories/{managed}.json"), None, "").status, 403);
    assert_eq!(s.as_key(MANAGER, "DELETE", &format!("/deal_categories/{beta_web}.json"), None, "").status, 403);
    assert_eq!(names(&s, "alpha"), [(managed, "Renamed".to_string())]);
    assert_eq!(s.as_key(MANAGER, "DELETE", &format!("/deal_categories/{managed}.json"), None, "").status, 204);
    assert!(names(&s, "alpha").is_empty());
    assert_eq!(names(&s, "beta").len(), 1);
}
