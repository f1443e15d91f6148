//! Contact tags (API.md §3.8) and the administrator's rename, merge and delete: every change
//! shows at once wherever contacts show their tags (show, list in JSON and XML, the `tags=`
//! filter), even in list items rendered and cached before it.

use serde_json::{json, Value};

use super::common::{Server, JSMITH_KEY};

/// Ann (vip, lead), Bob (lead, cold), Cid (vip), all in beta; returns their ids.
fn world() -> (Server, [i64; 3]) {
    let s = Server::seeded();
    let ann = s.create_contact(json!({"project_id": 2, "first_name": "Ann", "tag_list": "vip, lead"}));
    let bob = s.create_contact(json!({"project_id": 2, "first_name": "Bob", "tag_list": "lead, cold"}));
    let cid = s.create_contact(json!({"project_id": 2, "first_name": "Cid", "tag_list": "vip"}));
    (s, [ann, bob, cid])
}

/// name → id of every tag in use, checking the list's shape on the way.
fn tag_ids(s: &Server) -> Vec<(String, i64)> {
    let list = s.get("/contacts_tags.json").json();
    let tags = list["tags"].as_array().unwrap();
    assert_eq!(list["total_count"].as_u64(), Some(tags.len() as u64));
    tags.iter().map(|t| (t["name"].as_str().unwrap().to_string(), t["id"].as_i64().unwrap())).collect()
}

fn tag_id(s: &Server, name: &str) -> i64 {
    tag_ids(s).into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no tag {name}")).1
}

/// first name → tag list of the contacts a list shows (JSON).
fn listed(s: &Server, query: &str) -> Vec<(String, Value)> {
    let list = s.get(&format!("/contacts.json?sort=first_name{query}")).json();
    let items = list["contacts"].as_array().unwrap();
    assert_eq!(list["total_count"].as_u64(), Some(items.len() as u64), "{query}");
    items.iter().map(|c| (c["first_name"].as_str().unwrap().to_string(), c["tag_list"].clone())).collect()
}

fn shown(s: &Server, id: i64) -> Value {
    s.get(&format!("/contacts/{id}.json")).json()["contact"]["tag_list"].clone()
}

fn shown_xml(s: &Server, id: i64) -> String {
    let xml = s.get(&format!("/contacts/{id}.xml")).text();
    let start = xml.find("<tag_list>").unwrap();
    let end = xml.find("</tag_list>").unwrap();
    xml[start + "<tag_list>".len()..end].to_string()
}

fn names(list: &[(String, Value)]) -> Vec<&str> {
    list.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn the_tag_list_counts_the_tags_in_use_with_their_colours() {
    let (s, _) = world();
    let list = s.get("/contacts_tags.json").json();
    let ids: Vec<i64> = ["cold", "lead", "vip"].iter().map(|n| tag_id(&s, n)).collect();
    assert_eq!(
        list,
        json!({"tags": [{"id": ids[0], "name": "cold", "color": "#6f6cc7"},
                        {"id": ids[1], "name": "lead", "color": "#6561d0"},
                        {"id": ids[2], "name": "vip", "color": "#766970"}], "total_count": 3})
    );
    let xml = s.get("/contacts_tags.xml").text();
    assert!(
        xml.starts_with(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><tags total_count=\"3\" type=\"array\"><tag><id>{}</id>\
             <name>cold</name><color>#6f6cc7</color></tag>",
            ids[0]
        )),
        "{xml}"
    );
    assert_eq!(s.get("/contacts_tags.json?nometa=1").json().as_object().unwrap().len(), 1);
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/contacts_tags.json", None, "").json()["total_count"], 3);
    assert_eq!(s.raw("GET", "/contacts_tags.json", &[], b"").status, 401);
}

#[test]
fn a_rename_shows_at_once_in_show_list_filter_and_both_formats() {
    let (s, [ann, bob, _]) = world();
    // Render and cache everything first.
    let before = listed(&s, "");
    assert_eq!(before[0], ("Ann".into(), json!(["vip", "lead"])));
    assert_eq!(names(&listed(&s, "&tags=lead")), ["Ann", "Bob"]);
    assert!(s.get("/contacts.xml").text().contains("<tag_list>vip, lead</tag_list>"));
    assert_eq!(shown(&s, ann), json!(["vip", "lead"]));

    let lead = tag_id(&s, "lead");
    let r = s.put_json(&format!("/contacts_tags/{lead}.json"), json!({"tag": {"name": "hot lead"}}));
    assert_eq!((r.status, r.body.len()), (204, 0));

    assert_eq!(shown(&s, ann), json!(["vip", "hot lead"]));
    assert_eq!(shown_xml(&s, bob), "hot lead, cold");
    assert_eq!(
        listed(&s, "")[..2],
        [("Ann".into(), json!(["vip", "hot lead"])), ("Bob".into(), json!(["hot lead", "cold"]))]
    );
    let xml = s.get("/contacts.xml").text();
    assert!(
        xml.contains("<tag_list>vip, hot lead</tag_list>") && !xml.contains("<tag_list>vip, lead</tag_list>"),
        "{xml}"
    );
    assert_eq!(names(&listed(&s, "&tags=hot%20lead")), ["Ann", "Bob"]);
    assert!(listed(&s, "&tags=lead").is_empty());
    assert_eq!(tag_id(&s, "hot lead"), lead);
    let tags = s.get("/contacts_tags.json").json();
    assert!(tags["tags"].as_array().unwrap().contains(&json!({"id": lead, "name": "hot lead", "color": "#d9ea3f"})));

    // The same tag may change the case of its name; XML bodies work too.
    let xml = s.admin_xml("PUT", &format!("/contacts_tags/{lead}.xml"), "<tag><name>Hot Lead</name></tag>");
    assert_eq!(xml.status, 204);
    assert_eq!(shown(&s, ann), json!(["vip", "Hot Lead"]));
}

#[test]
fn a_rename_to_a_taken_or_blank_name_is_refused() {
    let (s, [ann, _, _]) = world();
    let lead = tag_id(&s, "lead");
    let put = |name: Value| s.put_json(&format!("/contacts_tags/{lead}.json"), json!({"tag": {"name": name}}));
    let errors = |r: super::common::Resp| (r.status, r.json()["errors"].clone());
    assert_eq!(errors(put(json!("vip"))), (422, json!(["Name has already been taken"])));
    assert_eq!(errors(put(json!("VIP"))), (422, json!(["Name has already been taken"])), "names ignore case");
    assert_eq!(errors(put(json!("  "))), (422, json!(["Name cannot be blank"])));
    assert_eq!(errors(put(Value::Null)), (422, json!(["Name cannot be blank"])));
    assert_eq!(errors(put(json!("x".repeat(256)))), (422, json!(["Name is too long (maximum is 255 characters)"])));
    let xml = s.admin_xml("PUT", &format!("/contacts_tags/{lead}.xml"), "<tag><name>vip</name></tag>");
    assert_eq!(
        xml.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><errors type=\"array\"><error>Name has already been taken</error></errors>"
    );
    assert_eq!(s.put_json("/contacts_tags/999.json", json!({"tag": {"name": "new"}})).status, 404);
    assert_eq!(shown(&s, ann), json!(["vip", "lead"]), "nothing changed");
}

#[test]
fn a_merge_moves_the_contacts_to_the_other_tag_once() {
    let (s, [ann, bob, cid]) = world();
    assert_eq!(names(&listed(&s, "&tags=vip")), ["Ann", "Cid"]);
    let (lead, vip) = (tag_id(&s, "lead"), tag_id(&s, "vip"));
    let r = s.post_json(&format!("/contacts_tags/{lead}/merge.json"), json!({"into_id": vip}));
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(shown(&s, ann), json!(["vip"]), "no contact is tagged twice");
    assert_eq!(shown(&s, bob), json!(["vip", "cold"]), "in the place of the merged tag");
    assert_eq!(shown_xml(&s, cid), "vip");
    assert_eq!(names(&listed(&s, "&tags=vip")), ["Ann", "Bob", "Cid"]);
    assert!(listed(&s, "&tags=lead").is_empty());
    assert!(s.get("/contacts.xml?tags=vip").text().contains("<tag_list>vip, cold</tag_list>"));
    assert_eq!(tag_ids(&s), [("cold".into(), tag_id(&s, "cold")), ("vip".into(), vip)]);
    let form = format!("into_id={vip}");
    let again =
        s.admin("POST", &format!("/contacts_tags/{lead}/merge.json"), Some("application/x-www-form-urlencoded"), &form);
    assert_eq!(again.status, 404, "the merged tag is gone");
}

#[test]
fn a_merge_needs_another_existing_tag() {
    let (s, [ann, _, _]) = world();
    let (lead, vip) = (tag_id(&s, "lead"), tag_id(&s, "vip"));
    let merge = |body: Value| s.post_json(&format!("/contacts_tags/{lead}/merge.json"), body);
    let errors = |r: super::common::Resp| (r.status, r.json()["errors"].clone());
    assert_eq!(errors(merge(json!({"into_id": 999}))), (422, json!(["Merge into is invalid"])));
    assert_eq!(errors(merge(json!({"into_id": lead}))), (422, json!(["Merge into is invalid"])));
    assert_eq!(errors(merge(json!({"into_id": "many"}))), (422, json!(["Merge into is invalid"])));
    assert_eq!(errors(merge(json!({}))), (422, json!(["Merge into cannot be blank"])));
    assert_eq!(s.post_json("/contacts_tags/999/merge.json", json!({"into_id": vip})).status, 404);
    assert_eq!(shown(&s, ann), json!(["vip", "lead"]), "nothing changed");
}

#[test]
fn a_delete_untags_every_contact() {
    let (s, [ann, bob, cid]) = world();
    assert_eq!(listed(&s, "").len(), 3);
    let vip = tag_id(&s, "vip");
    let r = s.admin("DELETE", &format!("/contacts_tags/{vip}.json"), None, "");
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(shown(&s, ann), json!(["lead"]));
    assert_eq!(shown(&s, cid), json!([]));
    assert_eq!(shown_xml(&s, cid), "");
    assert_eq!(shown(&s, bob), json!(["lead", "cold"]));
    assert_eq!(listed(&s, "")[2], ("Cid".into(), json!([])));
    assert!(s.get("/contacts.xml").text().contains("<tag_list></tag_list>"));
    assert!(listed(&s, "&tags=vip").is_empty());
    assert!(tag_ids(&s).iter().all(|(n, _)| n != "vip"));
    assert_eq!(s.admin("DELETE", &format!("/contacts_tags/{vip}.json"), None, "").status, 404);
    // A contact may take the name again: it is a new tag.
    s.put_json(&format!("/contacts/{cid}.json"), json!({"contact": {"tag_list": "vip"}}));
    assert_ne!(tag_id(&s, "vip"), vip);
}

#[test]
fn only_administrators_rename_merge_and_delete_tags() {
    let (s, [ann, _, _]) = world();
    let (lead, vip) = (tag_id(&s, "lead"), tag_id(&s, "vip"));
    let calls = [
        ("PUT", format!("/contacts_tags/{lead}.json"), r#"{"tag":{"name":"x"}}"#.to_string()),
        ("POST", format!("/contacts_tags/{lead}/merge.json"), format!(r#"{{"into_id":{vip}}}"#)),
        ("DELETE", format!("/contacts_tags/{lead}.json"), String::new()),
    ];
    for (method, path, body) in &calls {
        assert_eq!(s.as_key(JSMITH_KEY, method, path, Some("application/json"), body).status, 403, "{method} {path}");
        assert_eq!(s.raw(method, path, &[("Content-Type", "application/json")], body.as_bytes()).status, 401);
    }
    assert_eq!(shown(&s, ann), json!(["vip", "lead"]));
}
