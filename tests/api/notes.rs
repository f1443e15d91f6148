//! Notes of contacts and deals (API.md §2.3, §3.4, §6.4, product decision 3): shapes in JSON
//! and XML, types, back-dating, custom fields, bad input, and who may read, write and delete.

use serde_json::{json, Value};

use super::common::{Server, ADMIN_KEY};

const VIEWER: &str = "1000000000000000000000000000000000000001";
const WRITER: &str = "1000000000000000000000000000000000000002";
const OWN_DELETER: &str = "1000000000000000000000000000000000000003";
const DELETER: &str = "1000000000000000000000000000000000000004";
const DEALER: &str = "1000000000000000000000000000000000000005";
const DEAL_DELETER: &str = "1000000000000000000000000000000000000006";

/// Alpha holds contact "Ann Lee" and deal "Pro plan"; returns (server, contact, deal).
fn world() -> (Server, i64, i64) {
    let s = Server::seeded();
    let r = s.post_json("/deal_statuses.json", json!({"deal_status": {"name": "Open", "is_default": true}}));
    assert_eq!(r.status, 201);
    let contact = s.create_contact(json!({"project_id": 1, "first_name": "Ann", "last_name": "Lee"}));
    let r = s.post_json("/deals.json", json!({"deal": {"name": "Pro plan", "project_id": 1}}));
    assert_eq!(r.status, 201, "{}", r.text());
    (s, contact, r.json()["deal"]["id"].as_i64().unwrap())
}

fn post_as(s: &Server, key: &str, body: Value) -> super::common::Resp {
    s.as_key(key, "POST", "/notes.json", Some("application/json"), &body.to_string())
}

fn put_as(s: &Server, key: &str, id: i64, body: Value) -> super::common::Resp {
    s.as_key(key, "PUT", &format!("/notes/{id}.json"), Some("application/json"), &body.to_string())
}

fn note_of(s: &Server, id: i64) -> Value {
    let r = s.get(&format!("/notes/{id}.json"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["note"].clone()
}

/// The notes a contact shows with `include=notes` (none: an empty list).
fn contact_notes(s: &Server, contact: i64) -> Vec<Value> {
    let c = s.get(&format!("/contacts/{contact}.json?include=notes")).json();
    c["contact"]["notes"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_contact_note_is_created_back_dated_and_shown_in_both_formats() {
    let (s, contact, _) = world();
    let r = s.post_json(
        "/notes.json",
        json!({"source_type": "Contact", "source_id": contact, "project_id": "alpha",
               "note": {"subject": "Call", "content": "Called, wants a quote.", "type_id": 1,
                        "created_on": "2024-03-02 15:00:00 +0300"}}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    let id = body["note"]["id"].as_i64().unwrap();
    assert_eq!(r.header("Location").map(|l| l.ends_with(&format!("/notes/{id}"))), Some(true));
    let updated_on = body["note"]["updated_on"].as_str().unwrap().to_string();
    assert!(updated_on.ends_with('Z'), "{updated_on}");
    assert_eq!(
        body,
        json!({"note": {"id": id, "source": {"id": contact, "name": "Ann Lee", "type": "Contact"}, "subject": "Call",
                        "content": "Called, wants a quote.", "type_id": 1, "author": {"id": 1, "name": "Redmine Admin"},
                        "created_on": "2024-03-02T12:00:00+00:00", "updated_on": updated_on}})
    );
    assert_eq!(note_of(&s, id), body["note"]);
    let xml = s.get(&format!("/notes/{id}.xml")).text();
    assert_eq!(
        xml,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><note><id>{id}</id><source id=\"{contact}\" name=\"Ann Lee\" \
             type=\"Contact\"/><subject>Call</subject><content>Called, wants a quote.</content><type_id>1</type_id>\
             <author id=\"1\" name=\"Redmine Admin\"/><created_on>2024-03-02T12:00:00+00:00</created_on>\
             <updated_on>{updated_on}</updated_on></note>"
        )
    );
    let embedded = contact_notes(&s, contact);
    assert_eq!((embedded.len(), embedded[0]["content"].as_str()), (1, Some("Called, wants a quote.")));
}

#[test]
fn notes_are_created_from_xml_and_forms_with_the_source_inside_the_note() {
    let (s, contact, _) = world();
    let xml = format!(
        "<note><source_type>Contact</source_type><source_id>{contact}</source_id><content>From XML</content>\
         <type_id>2</type_id></note>"
    );
    let r = s.admin_xml("POST", "/notes.xml", &xml);
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(r.text().contains("<content>From XML</content><type_id>2</type_id>"), "{}", r.text());
    let form = format!(
        "note%5Bsource_type%5D=Contact&note%5Bsource_id%5D={contact}&note%5Bcontent%5D=From+a+form&note%5Btype_id%5D="
    );
    let r = s.admin("POST", "/notes.json", Some("application/x-www-form-urlencoded"), &form);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        (r.json()["note"]["content"].clone(), r.json()["note"]["type_id"].clone()),
        (json!("From a form"), Value::Null)
    );
    assert_eq!(contact_notes(&s, contact).len(), 2);
}

#[test]
fn note_time_sets_the_hour_and_minute_of_created_on() {
    let (s, contact, _) = world();
    let create = |note: Value| {
        let r = s.post_json("/notes.json", json!({"source_type": "Contact", "source_id": contact, "note": note}));
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["note"].clone()
    };
    let dated = create(json!({"content": "a", "created_on": "2023-01-10", "note_time": "9:05"}));
    assert_eq!(dated["created_on"], "2023-01-10T09:05:00+00:00");
    // Without created_on a new note is created now: note_time has no effect.
    let now = create(json!({"content": "b", "note_time": "03:07"}));
    assert_eq!(now["created_on"].as_str().unwrap()[..10], now["updated_on"].as_str().unwrap()[..10]);
    let id = dated["id"].as_i64().unwrap();
    assert_eq!(s.put_json(&format!("/notes/{id}.json"), json!({"note": {"note_time": "18:30"}})).status, 204);
    assert_eq!(note_of(&s, id)["created_on"], "2023-01-10T18:30:00+00:00", "only hour and minute change");
    let r = s.put_json(
        &format!("/notes/{id}.json"),
        json!({"note": {"created_on": "2022-05-06T07:08:09Z", "note_time": "10:00"}}),
    );
    assert_eq!(r.status, 204);
    let note = note_of(&s, id);
    assert_eq!((note["created_on"].as_str(), note["content"].as_str()), (Some("2022-05-06T10:00:00+00:00"), Some("a")));
    for bad in ["25:00", "noon", "10:60"] {
        let r = s.put_json(&format!("/notes/{id}.json"), json!({"note": {"note_time": bad}}));
        assert_eq!((r.status, r.json()["errors"].clone()), (422, json!(["Time is invalid"])), "{bad}");
    }
    let r = s.put_json(&format!("/notes/{id}.json"), json!({"note": {"created_on": "someday"}}));
    assert_eq!(r.json()["errors"], json!(["Created is invalid"]));
    assert_eq!(note_of(&s, id)["created_on"], "2022-05-06T10:00:00+00:00", "nothing written");
}

#[test]
fn updates_change_the_given_fields_and_touch_the_source() {
    let (s, contact, _) = world();
    let r = s.post_json(
        "/notes.json",
        json!({"source_type": "Contact", "source_id": contact, "note": {"content": "First", "subject": "S", "type_id": 0}}),
    );
    let id = r.json()["note"]["id"].as_i64().unwrap();
    let before = s.get(&format!("/contacts/{contact}.json")).json()["contact"]["updated_on"].clone();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r =
        s.admin_xml("PUT", &format!("/notes/{id}.xml"), "<note><content>Second</content><type_id></type_id></note>");
    assert_eq!((r.status, r.body.len()), (204, 0));
    let note = note_of(&s, id);
    assert_eq!(
        (note["content"].clone(), note["subject"].clone(), note["type_id"].clone()),
        (json!("Second"), json!("S"), Value::Null)
    );
    let after = s.get(&format!("/contacts/{contact}.json")).json()["contact"]["updated_on"].clone();
    assert_ne!(before, after, "a note's change touches its contact");
}

#[test]
fn bad_input_is_refused_with_nothing_written() {
    let (s, contact, deal) = world();
    let post = |body: Value| s.post_json("/notes.json", body);
    let errors = |r: super::common::Resp| (r.status, r.json()["errors"].clone());
    let on_contact = |note: Value| json!({"source_type": "Contact", "source_id": contact, "note": note});
    assert_eq!(errors(post(on_contact(json!({"content": "  "})))), (422, json!(["Content cannot be blank"])));
    assert_eq!(errors(post(on_contact(json!({"subject": "only"})))), (422, json!(["Content cannot be blank"])));
    assert_eq!(
        errors(post(on_contact(json!({"content": "x".repeat(65_536)})))),
        (422, json!(["Content is too long (maximum is 65535 characters)"]))
    );
    assert_eq!(
        errors(post(on_contact(json!({"content": "x", "subject": "s".repeat(256)})))),
        (422, json!(["Subject is too long (maximum is 255 characters)"]))
    );
    assert_eq!(
        errors(post(on_contact(json!({"content": "x", "type_id": 3})))),
        (422, json!(["Type is not included in the list"]))
    );
    assert_eq!(errors(post(on_contact(json!({"content": "x", "type_id": "call"})))), (422, json!(["Type is invalid"])));
    assert_eq!(
        errors(post(json!({"source_type": "Issue", "source_id": contact, "note": {"content": "x"}}))),
        (422, json!(["Source type is not included in the list"]))
    );
    assert_eq!(
        errors(post(json!({"source_id": contact, "note": {"content": "x"}}))),
        (422, json!(["Source cannot be blank"]))
    );
    assert_eq!(
        errors(post(json!({"source_type": "Deal", "note": {"content": "x"}}))),
        (422, json!(["Source cannot be blank"]))
    );
    let xml = s.admin_xml("POST", "/notes.xml", "<note><content>x</content></note>");
    assert_eq!(xml.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><errors type=\"array\"><error>Source cannot be blank</error></errors>");
    for (source_type, id) in [("Contact", 999), ("Deal", 999), ("Contact", -1)] {
        let r = post(json!({"source_type": source_type, "source_id": id, "note": {"content": "x"}}));
        assert_eq!((r.status, r.body.len()), (404, 0), "{source_type} {id}");
    }
    let r =
        post(json!({"source_type": "Contact", "source_id": contact, "project_id": "nope", "note": {"content": "x"}}));
    assert_eq!(r.status, 404, "an unknown project");
    assert!(contact_notes(&s, contact).is_empty(), "nothing written");
    let r = post(json!({"source_type": "Deal", "source_id": deal, "note": {"content": "ok"}}));
    assert_eq!(r.status, 201);
    let id = r.json()["note"]["id"].as_i64().unwrap();
    assert_eq!(
        errors(s.put_json(&format!("/notes/{id}.json"), json!({"note": {"content": ""}}))),
        (422, json!(["Content cannot be blank"]))
    );
    assert_eq!(
        errors(s.put_json(&format!("/notes/{id}.json"), json!({"note": "text"}))),
        (422, json!(["Note is invalid"]))
    );
    assert_eq!(note_of(&s, id)["content"], "ok");
    assert_eq!(s.get("/notes.json").status, 404, "there is no note index");
    assert_eq!(s.get("/notes/999.json").status, 404);
    assert_eq!(s.put_json("/notes/999.json", json!({"note": {"content": "x"}})).status, 404);
    assert_eq!(s.admin("DELETE", "/notes/999.json", None, "").status, 404);
}

#[test]
fn contact_notes_keep_custom_values_and_deal_notes_show_the_defaults() {
    let (s, contact, deal) = world();
    for field in [
        json!({"name": "Mood", "field_format": "list", "possible_values": ["calm", "angry"], "customized_type": "note",
               "default_value": "calm"}),
        json!({"name": "Minutes", "field_format": "int", "customized_type": "note"}),
    ] {
        assert_eq!(s.post_json("/custom_fields.json", json!({ "custom_field": field })).status, 201);
    }
    let fields = s.get("/custom_fields.json").json();
    let id_of = |name: &str| {
        fields["custom_fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap()["id"].as_i64().unwrap()
    };
    let (mood, minutes) = (id_of("Mood"), id_of("Minutes"));
    let r = s.post_json(
        "/notes.json",
        json!({"source_type": "Contact", "source_id": contact,
               "note": {"content": "c", "custom_fields": [{"id": minutes, "value": "15"}]}}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["note"]["id"].as_i64().unwrap();
    assert_eq!(
        r.json()["note"]["custom_fields"],
        json!([{"id": mood, "name": "Mood", "value": "calm"}, {"id": minutes, "name": "Minutes", "value": "15"}])
    );
    let r =
        s.put_json(&format!("/notes/{id}.json"), json!({"note": {"custom_field_values": {minutes.to_string(): "x"}}}));
    assert_eq!((r.status, r.json()["errors"].clone()), (422, json!(["Minutes is not a number"])));
    let r =
        s.put_json(&format!("/notes/{id}.json"), json!({"note": {"custom_field_values": {mood.to_string(): "angry"}}}));
    assert_eq!(r.status, 204);
    let xml = s.get(&format!("/notes/{id}.xml")).text();
    assert!(
        xml.contains(&format!(
            "<custom_fields type=\"array\"><custom_field id=\"{mood}\" name=\"Mood\"><value>angry</value></custom_field>\
             <custom_field id=\"{minutes}\" name=\"Minutes\"><value>15</value></custom_field></custom_fields><created_on>"
        )),
        "{xml}"
    );
    let r = s.post_json(
        "/notes.json",
        json!({"source_type": "Deal", "source_id": deal,
               "note": {"content": "d", "custom_fields": [{"id": minutes, "value": "oops"}, {"id": mood, "value": "angry"}]}}),
    );
    assert_eq!(r.status, 201, "deal notes keep no custom values: {}", r.text());
    let deal_note = r.json()["note"].clone();
    assert_eq!(deal_note["source"], json!({"id": deal, "name": "Pro plan", "type": "Deal"}));
    let defaults =
        json!([{"id": mood, "name": "Mood", "value": "calm"}, {"id": minutes, "name": "Minutes", "value": null}]);
    assert_eq!(deal_note["custom_fields"], defaults);
    assert_eq!(note_of(&s, deal_note["id"].as_i64().unwrap())["custom_fields"], defaults);
}

#[test]
fn contact_notes_follow_the_contact_and_the_note_permissions() {
    let (s, contact, _) = world();
    let beta_contact = s.create_contact(json!({"project_id": 2, "first_name": "Beta"}));
    s.user_with("viewer", VIEWER, &[(1, &["view_contacts"])]);
    s.user_with("writer", WRITER, &[(1, &["view_contacts", "add_notes"])]);
    s.user_with("owndeleter", OWN_DELETER, &[(1, &["view_contacts", "add_notes", "delete_own_notes"])]);
    s.user_with("deleter", DELETER, &[(1, &["view_contacts", "delete_notes"])]);
    let body = |text: &str| json!({"source_type": "Contact", "source_id": contact, "note": {"content": text}});
    let admin_note = post_as(&s, ADMIN_KEY, body("by admin")).json()["note"]["id"].as_i64().unwrap();
    let hidden = post_as(
        &s,
        ADMIN_KEY,
        json!({"source_type": "Contact", "source_id": beta_contact, "note": {"content": "beta"}}),
    );
    let hidden = hidden.json()["note"]["id"].as_i64().unwrap();
    let show = |key: &str, id: i64| s.as_key(key, "GET", &format!("/notes/{id}.json"), None, "").status;
    let delete = |key: &str, id: i64| s.as_key(key, "DELETE", &format!("/notes/{id}.json"), None, "").status;

    // A viewer reads notes of what they may see, and nothing else.
    assert_eq!(show(VIEWER, admin_note), 200);
    assert_eq!(show(VIEWER, hidden), 403);
    assert_eq!(s.raw("GET", &format!("/notes/{admin_note}.json"), &[], b"").status, 401);
    let other_project = s.as_key(VIEWER, "GET", &format!("/notes/{admin_note}.json?project_id=beta"), None, "");
    assert_eq!(other_project.status, 403, "notes#show is authorized in the project named");
    assert_eq!(s.as_key(VIEWER, "GET", &format!("/notes/{admin_note}.json?project_id=nope"), None, "").status, 404);
    assert_eq!(post_as(&s, VIEWER, body("no")).status, 403);
    assert_eq!(put_as(&s, VIEWER, admin_note, json!({"note": {"content": "no"}})).status, 403);
    assert_eq!(delete(VIEWER, admin_note), 403);
    assert_eq!(
        s.raw("POST", "/notes.json", &[("Content-Type", "application/json")], body("anon").to_string().as_bytes())
            .status,
        401
    );

    // add_notes writes notes and changes them; deleting needs (own_)delete_notes.
    let r = post_as(&s, WRITER, body("by writer"));
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["note"]["author"]["name"], "writer Tester");
    let writer_note = r.json()["note"]["id"].as_i64().unwrap();
    assert_eq!(put_as(&s, WRITER, writer_note, json!({"note": {"content": "edited"}})).status, 204);
    assert_eq!(note_of(&s, writer_note)["content"], "edited");
    assert_eq!(delete(WRITER, writer_note), 403);
    let r = post_as(&s, WRITER, json!({"source_type": "Contact", "source_id": beta_contact, "note": {"content": "x"}}));
    assert_eq!(r.status, 403, "not their contact");

    let own = post_as(&s, OWN_DELETER, body("mine")).json()["note"]["id"].as_i64().unwrap();
    assert_eq!(delete(OWN_DELETER, admin_note), 403, "delete_own_notes covers own notes only");
    assert_eq!(delete(OWN_DELETER, own), 204);
    assert_eq!(s.get(&format!("/notes/{own}.json")).status, 404);

    assert_eq!(delete(DELETER, hidden), 403, "the source must be visible");
    assert_eq!(delete(DELETER, writer_note), 204);
    let left: Vec<String> =
        contact_notes(&s, contact).iter().map(|n| n["content"].as_str().unwrap().to_string()).collect();
    assert_eq!(left, ["by admin"]);
}

#[test]
fn deal_notes_need_view_deals_to_read_edit_deals_to_write_and_delete_notes_to_delete() {
    let (s, _, deal) = world();
    s.user_with("dealer", DEALER, &[(1, &["view_deals", "edit_deals"])]);
    s.user_with("dealdeleter", DEAL_DELETER, &[(1, &["view_deals", "delete_notes"])]);
    let body = json!({"source_type": "Deal", "source_id": deal, "note": {"content": "deal note", "type_id": 2}});
    // jsmith views deals in beta only.
    assert_eq!(post_as(&s, super::common::JSMITH_KEY, body.clone()).status, 403);
    assert_eq!(post_as(&s, DEAL_DELETER, body.clone()).status, 403, "view_deals alone does not write");
    let r = post_as(&s, DEALER, body);
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["note"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["note"]["type_id"], 2);
    assert_eq!(s.as_key(super::common::JSMITH_KEY, "GET", &format!("/notes/{id}.json"), None, "").status, 403);
    assert_eq!(s.as_key(DEAL_DELETER, "GET", &format!("/notes/{id}.xml"), None, "").status, 200);
    assert_eq!(put_as(&s, DEALER, id, json!({"note": {"content": "changed"}})).status, 204);
    assert_eq!(put_as(&s, DEAL_DELETER, id, json!({"note": {"content": "no"}})).status, 403);
    assert_eq!(
        s.as_key(DEALER, "DELETE", &format!("/notes/{id}.json"), None, "").status,
        403,
        "edit_deals does not delete"
    );
    assert_eq!(note_of(&s, id)["content"], "changed");
    assert_eq!(s.as_key(DEAL_DELETER, "DELETE", &format!("/notes/{id}.json"), None, "").status, 204);
    assert_eq!(s.get(&format!("/notes/{id}.json")).status, 404);
}
