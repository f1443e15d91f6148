//! Saved queries (API.md §3.9, §2.5): who sees which in `GET /crm_queries`, the create, show
//! and delete extensions with their permissions (§5.4) and validation, and `query_id=` on the
//! contact list (§1.7).

use serde_json::{json, Value};

use super::common::{Server, ADMIN_KEY, JSMITH_KEY};

const MARY_KEY: &str = "3333333333333333333333333333333333333333";
const BOSS_KEY: &str = "4444444444444444444444444444444444444444";

fn created_id(r: &super::common::Resp) -> i64 {
    assert_eq!(r.status, 201, "{}", r.text());
    r.json().as_object().unwrap().values().next().unwrap()["id"].as_i64().unwrap()
}

/// The seeded world (jsmith, user 2, views contacts and deals in beta with role 3), plus mary
/// (3), who may save private contact queries in alpha (role 4), and boss (4), who may also
/// share contact and deal queries, in alpha and beta (role 5). Contacts: Tom (vip, lead) and
/// Tomas (vip) in alpha, Jane (lead) in beta and assigned to jsmith.
fn world() -> Server {
    let s = Server::seeded();
    let user = |login: &str, key: &str| {
        created_id(&s.post_json(
            "/users.json",
            json!({"user": {"login": login, "firstname": login, "lastname": "X", "mail": format!("{login}@example.net"), "api_key": key}}),
        ))
    };
    assert_eq!(user("mary", MARY_KEY), 3);
    assert_eq!(user("boss", BOSS_KEY), 4);
    let role = |name: &str, permissions: Value| {
        created_id(&s.post_json("/roles.json", json!({"role": {"name": name, "permissions": permissions}})))
    };
    assert_eq!(role("Saver", json!(["view_contacts", "save_contacts_queries"])), 4);
    let boss = json!([
        "view_contacts",
        "save_contacts_queries",
        "manage_public_contacts_queries",
        "view_deals",
        "save_deals_queries",
        "manage_public_deals_queries"
    ]);
    assert_eq!(role("Boss", boss), 5);
    for (project, user, role) in [(1, 3, 4), (1, 4, 5), (2, 4, 5)] {
        let r = s.post_json(
            &format!("/projects/{project}/memberships.json"),
            json!({"membership": {"user_id": user, "role_ids": [role]}}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    s.create_contact(json!({"project_id": 1, "first_name": "Tom", "last_name": "Smith", "tag_list": "vip, lead"}));
    s.create_contact(json!({"project_id": 1, "first_name": "Tomas", "last_name": "Anderson", "tag_list": "vip"}));
    s.create_contact(
        json!({"project_id": 2, "first_name": "Jane", "last_name": "Doe", "tag_list": "lead", "assigned_to_id": 2}),
    );
    s
}

fn post_query(s: &Server, key: &str, query: Value) -> super::common::Resp {
    s.as_key(key, "POST", "/crm_queries.json", Some("application/json"), &json!({ "query": query }).to_string())
}

fn save(s: &Server, key: &str, query: Value) -> i64 {
    created_id(&post_query(s, key, query))
}

#[track_caller]
fn refused(s: &Server, key: &str, query: Value) -> Vec<String> {
    let r = post_query(s, key, query);
    assert_eq!(r.status, 422, "{}", r.text());
    r.json()["errors"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect()
}

fn listed(s: &Server, key: Option<&str>, object_type: &str) -> Vec<String> {
    let path = format!("/crm_queries.json?object_type={object_type}");
    let r = match key {
        Some(key) => s.as_key(key, "GET", &path, None, ""),
        None => s.raw("GET", &path, &[], b""),
    };
    assert_eq!(r.status, 200, "{}", r.text());
    let list = r.json();
    let names: Vec<String> =
        list["queries"].as_array().unwrap().iter().map(|q| q["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(list["total_count"].as_u64(), Some(names.len() as u64));
    names
}

fn names(list: &Value) -> Vec<String> {
    list["contacts"].as_array().unwrap().iter().map(|c| c["first_name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn each_user_lists_the_queries_they_may_see_by_name() {
    let s = world();
    save(&s, ADMIN_KEY, json!({"name": "Zeta everyone", "object_type": "contact", "visibility": 2}));
    save(
        &s,
        ADMIN_KEY,
        json!({"name": "Alpha public", "object_type": "contact", "project_id": "alpha", "visibility": 2}),
    );
    save(
        &s,
        ADMIN_KEY,
        json!({"name": "Beta viewers", "object_type": "contact", "project_id": 2, "visibility": 1, "role_ids": [3]}),
    );
    save(&s, ADMIN_KEY, json!({"name": "Admin's own", "object_type": "contact"}));
    save(&s, ADMIN_KEY, json!({"name": "Bosses anywhere", "object_type": "contact", "visibility": 1, "role_ids": [5]}));
    save(&s, MARY_KEY, json!({"name": "Mary's own", "object_type": "contact", "project_id": 1}));
    save(&s, BOSS_KEY, json!({"name": "Open deals", "object_type": "deal", "visibility": 2}));

    assert_eq!(
        listed(&s, Some(ADMIN_KEY), "contact"),
        ["Admin's own", "Alpha public", "Beta viewers", "Bosses anywhere", "Mary's own", "Zeta everyone"]
    );
    assert_eq!(listed(&s, Some(JSMITH_KEY), "contact"), ["Beta viewers", "Zeta everyone"]);
    assert_eq!(listed(&s, Some(MARY_KEY), "contact"), ["Alpha public", "Mary's own", "Zeta everyone"]);
    assert_eq!(listed(&s, Some(BOSS_KEY), "contact"), ["Alpha public", "Bosses anywhere", "Zeta everyone"]);
    assert_eq!(listed(&s, None, "contact"), ["Zeta everyone"]);
    assert_eq!(listed(&s, Some(JSMITH_KEY), "deal"), ["Open deals"]);

    let page = s.get("/crm_queries.json?object_type=contact&limit=2&offset=1").json();
    assert_eq!(page["queries"][0], json!({"id": 2, "name": "Alpha public", "is_public": true, "project_id": 1}));
    assert_eq!(page["queries"][1], json!({"id": 3, "name": "Beta viewers", "is_public": true, "project_id": 2}));
    assert_eq!(
        (page["total_count"].as_i64(), page["offset"].as_i64(), page["limit"].as_i64()),
        (Some(6), Some(1), Some(2))
    );
    let xml = s.as_key(JSMITH_KEY, "GET", "/crm_queries.xml?object_type=contact", None, "").text();
    assert!(
        xml.ends_with(concat!(
            r#"<queries total_count="2" offset="0" limit="25" type="array">"#,
            "<query><id>3</id><name>Beta viewers</name><is_public>true</is_public><project_id>2</project_id></query>",
            "<query><id>1</id><name>Zeta everyone</name><is_public>true</is_public><project_id/></query></queries>"
        )),
        "{xml}"
    );
    let own = s.as_key(MARY_KEY, "GET", "/crm_queries.json?object_type=contact", None, "").json();
    assert_eq!(own["queries"][1], json!({"id": 6, "name": "Mary's own", "is_public": false, "project_id": 1}));
    for bad in ["", "?object_type=issue"] {
        assert_eq!(s.get(&format!("/crm_queries.json{bad}")).status, 404, "{bad}");
    }
}

#[test]
fn saving_needs_the_query_permissions() {
    let s = world();
    let private = json!({"name": "Mine", "object_type": "contact", "project_id": 1});
    let r = s.raw(
        "POST",
        "/crm_queries.json",
        &[("Content-Type", "application/json")],
        json!({"query": private}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 401);
    assert_eq!(post_query(&s, JSMITH_KEY, private.clone()).status, 403, "viewers may not save");
    assert_eq!(
        post_query(&s, MARY_KEY, json!({"name": "Beta", "object_type": "contact", "project_id": 2})).status,
        403
    );
    assert_eq!(post_query(&s, MARY_KEY, json!({"name": "Deals", "object_type": "deal"})).status, 403);
    let r = post_query(&s, MARY_KEY, private.clone());
    assert_eq!(r.header("Location").map(|l| l.ends_with(&format!("/crm_queries/{}", created_id(&r)))), Some(true));
    save(&s, MARY_KEY, json!({"name": "Global mine", "object_type": "contact"}));
    let public = json!({"name": "Shared", "object_type": "contact", "project_id": 1, "visibility": 2});
    assert_eq!(refused(&s, MARY_KEY, public.clone()), ["Visibility is invalid"]);
    assert_eq!(
        refused(&s, MARY_KEY, json!({"name": "R", "object_type": "contact", "visibility": 1, "role_ids": [4]})),
        ["Visibility is invalid"]
    );
    save(&s, BOSS_KEY, public);
    save(
        &s,
        BOSS_KEY,
        json!({"name": "Deals", "object_type": "deal", "project_id": 2, "visibility": 1, "role_ids": [3, 5]}),
    );
    assert_eq!(
        post_query(&s, ADMIN_KEY, json!({"name": "Q", "object_type": "contact", "project_id": "nowhere"})).status,
        404
    );
}

#[test]
fn queries_are_validated_with_the_lists_messages() {
    let s = world();
    let contact = |extra: Value| {
        let mut q = json!({"name": "Q", "object_type": "contact"});
        q.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        q
    };
    for (query, expected) in [
        (json!({"object_type": "contact"}), vec!["Name cannot be blank"]),
        (contact(json!({"name": "x".repeat(256)})), vec!["Name is too long (maximum is 255 characters)"]),
        (json!({"name": "Q"}), vec!["Object type is not included in the list"]),
        (contact(json!({"visibility": 7})), vec!["Visibility is not included in the list"]),
        (contact(json!({"visibility": 1})), vec!["Roles cannot be blank"]),
        (contact(json!({"visibility": 1, "role_ids": [99]})), vec!["Roles is invalid"]),
        (contact(json!({"filters": {"nope": {"operator": "=", "values": ["1"]}}})), vec!["Filter name is invalid"]),
        (contact(json!({"filters": {"first_name": {"operator": ">=", "values": ["a"]}}})), vec!["Operator is invalid"]),
        (
            contact(json!({"filters": {"created_on": {"operator": ">=", "values": ["someday"]}}})),
            vec!["Created is invalid"],
        ),
        (contact(json!({"filters": {"tags": {"operator": "="}}})), vec!["Tags cannot be blank"]),
        (contact(json!({"filters": ["tags"]})), vec!["Filters is invalid"]),
        (contact(json!({"f": ["tags", "bogus"], "op": {"tags": "*"}})), vec!["Filter name is invalid"]),
        (contact(json!({"sort_criteria": [["last_name", "sideways"]]})), vec!["Sort criteria is invalid"]),
    ] {
        assert_eq!(refused(&s, ADMIN_KEY, query.clone()), expected, "{query}");
    }
    let body = concat!(
        "<query><name>X</name><object_type>contact</object_type><filters><updated_on><operator>t+</operator>",
        r#"<values type="array"><value>1</value></values></updated_on></filters></query>"#
    );
    let xml = s.admin("POST", "/crm_queries.xml", Some("application/xml"), body);
    assert_eq!(xml.status, 422);
    assert!(
        xml.text().ends_with(r#"<errors type="array"><error>Operator is invalid</error></errors>"#),
        "{}",
        xml.text()
    );
}

#[test]
fn a_query_is_shown_whole_and_deleted_by_its_owner_or_an_admin() {
    let s = world();
    let body = json!({"name": "VIP leads", "object_type": "contact", "project_id": "alpha", "visibility": 1, "role_ids": [4, 5],
                      "filters": {"tags": {"operator": "=", "values": ["vip", "lead"]}, "created_on": {"operator": "t"}},
                      "column_names": ["first_name", "tags"], "sort_criteria": [["last_name", "desc"], ["first_name", "asc"]]});
    let r = post_query(&s, BOSS_KEY, body);
    let id = created_id(&r);
    let expected = json!({"query": {"id": id, "name": "VIP leads", "is_public": true, "project_id": 1, "object_type": "contact",
        "visibility": 1, "user_id": 4, "role_ids": [4, 5],
        "filters": [{"field": "created_on", "operator": "t", "values": []}, {"field": "tags", "operator": "=", "values": ["vip", "lead"]}],
        "column_names": ["first_name", "tags"], "sort": "last_name:desc,first_name"}});
    assert_eq!(r.json(), expected);
    assert_eq!(s.as_key(MARY_KEY, "GET", &format!("/crm_queries/{id}.json"), None, "").json(), expected);
    let xml = s.get(&format!("/crm_queries/{id}.xml")).text();
    assert!(xml.ends_with(&format!(concat!(
        "<query><id>{}</id><name>VIP leads</name><is_public>true</is_public><project_id>1</project_id>",
        "<object_type>contact</object_type><visibility>1</visibility><user_id>4</user_id>",
        r#"<role_ids type="array"><role_id>4</role_id><role_id>5</role_id></role_ids><filters type="array">"#,
        r#"<filter><field>created_on</field><operator>t</operator><values type="array"></values></filter>"#,
        r#"<filter><field>tags</field><operator>=</operator><values type="array"><value>vip</value><value>lead</value></values></filter>"#,
        r#"</filters><column_names type="array"><column_name>first_name</column_name><column_name>tags</column_name></column_names>"#,
        "<sort>last_name:desc,first_name</sort></query>"), id)), "{xml}");
    assert_eq!(s.as_key(JSMITH_KEY, "GET", &format!("/crm_queries/{id}.json"), None, "").status, 403);
    assert_eq!(s.raw("GET", &format!("/crm_queries/{id}.json"), &[], b"").status, 401);

    let delete = |key: &str, id: i64| s.as_key(key, "DELETE", &format!("/crm_queries/{id}.json"), None, "").status;
    assert_eq!(delete(MARY_KEY, id), 403, "seeing it is not owning it");
    assert_eq!(s.raw("DELETE", &format!("/crm_queries/{id}.json"), &[], b"").status, 401);
    assert_eq!(delete(BOSS_KEY, id), 204);
    assert_eq!(s.get(&format!("/crm_queries/{id}.json")).status, 404);
    assert_eq!(delete(BOSS_KEY, id), 404);
    let marys = save(&s, MARY_KEY, json!({"name": "Mine", "object_type": "contact"}));
    assert_eq!(delete(ADMIN_KEY, marys), 204);
    assert_eq!(listed(&s, Some(ADMIN_KEY), "contact"), Vec::<String>::new());
}

#[test]
fn query_id_applies_a_saved_query_to_the_contact_list() {
    let s = world();
    let vip = save(
        &s,
        ADMIN_KEY,
        json!({"name": "VIP", "object_type": "contact", "visibility": 2,
        "filters": {"tags": {"operator": "=", "values": ["vip"]}}, "sort_criteria": [["first_name", "desc"]]}),
    );
    let list = |query: &str| {
        let r = s.get(&format!("/contacts.json?{query}"));
        assert_eq!(r.status, 200, "{query}: {}", r.text());
        names(&r.json())
    };
    assert_eq!(list(&format!("query_id={vip}")), ["Tomas", "Tom"]);
    assert_eq!(list(&format!("query_id={vip}&sort=last_name")), ["Tomas", "Tom"], "the request's sort wins");
    assert_eq!(list(&format!("query_id={vip}&sort=first_name")), ["Tom", "Tomas"]);
    assert_eq!(list(&format!("query_id={vip}&tags=lead")), ["Tom", "Jane"], "a short-form filter overrides its field");
    assert_eq!(list(&format!("query_id={vip}&first_name=Tom")), ["Tom"], "other short-form filters apply too");
    assert_eq!(
        list(&format!("query_id={vip}&f[]=tags&op[tags]==&v[tags][]=lead")),
        ["Tom", "Jane"],
        "the long form replaces them"
    );
    assert_eq!(list(&format!("query_id={vip}&search=anderson")), ["Tomas"]);
    let xml = s.get(&format!("/contacts.xml?query_id={vip}&limit=1")).text();
    assert!(
        xml.contains(r#"<contacts total_count="2" offset="0" limit="1" type="array"><contact><id>2</id>"#),
        "{xml}"
    );
    assert_eq!(s.get(&format!("/contacts.json?query_id={vip}&created_on=soon")).status, 422);

    // `me` in a saved filter is whoever uses it.
    let mine = save(
        &s,
        ADMIN_KEY,
        json!({"name": "Mine", "object_type": "contact", "visibility": 2,
        "filters": {"assigned_to_id": {"operator": "=", "values": ["me"]}}}),
    );
    let jsmiths = s.as_key(JSMITH_KEY, "GET", &format!("/contacts.json?query_id={mine}"), None, "").json();
    assert_eq!(names(&jsmiths), ["Jane"]);
    assert_eq!(list(&format!("query_id={mine}")), Vec::<String>::new());

    // A project query applies in its project only.
    let alpha =
        save(&s, ADMIN_KEY, json!({"name": "Alpha", "object_type": "contact", "project_id": 1, "visibility": 2}));
    assert_eq!(list(&format!("project_id=alpha&query_id={alpha}&sort=id")), ["Tom", "Tomas"]);
    assert_eq!(s.get(&format!("/projects/alpha/contacts.json?query_id={alpha}")).status, 200);
    assert_eq!(s.get(&format!("/contacts.json?query_id={alpha}")).status, 404);
    assert_eq!(s.get(&format!("/contacts.json?project_id=beta&query_id={alpha}")).status, 404);

    // Unknown, malformed, of the other list, or not visible.
    let private = save(&s, ADMIN_KEY, json!({"name": "Private", "object_type": "contact"}));
    let deals = save(&s, ADMIN_KEY, json!({"name": "Deals", "object_type": "deal", "visibility": 2}));
    for (query, status) in [("query_id=999", 404), ("query_id=abc", 404), (&*format!("query_id={deals}"), 404)] {
        assert_eq!(s.get(&format!("/contacts.json?{query}")).status, status, "{query}");
    }
    assert_eq!(s.as_key(JSMITH_KEY, "GET", &format!("/contacts.json?query_id={private}"), None, "").status, 403);
    assert_eq!(s.as_key(JSMITH_KEY, "GET", &format!("/contacts.xml?query_id={private}"), None, "").status, 403);
    assert_eq!(list(&format!("query_id={private}&sort=id")), ["Tom", "Tomas", "Jane"]);
    assert_eq!(s.get(&format!("/contacts.json?query_id={vip}")).status, 200);
}
