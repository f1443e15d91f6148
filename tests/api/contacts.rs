//! Creating, showing, changing and deleting contacts in every body format.

use serde_json::json;

use super::common::{Server, ADMIN_KEY};

#[test]
fn create_json_answers_201_with_the_record_and_location() {
    let s = Server::seeded();
    let r = s.post_json(
        "/contacts.json",
        json!({"contact": {"project_id": "alpha", "first_name": "Ada", "last_name": "Lovelace",
               "email": "ada@example.com, ada@home.example", "phone": "+44 1, +44 2",
               "tag_list": "vip, math", "custom_fields": [{"id": 1, "value": "L-1"}],
               "address_attributes": {"street1": "1 Main St", "city": "London", "country_code": "GB"}}}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let c = &r.json()["contact"];
    let id = c["id"].as_i64().unwrap();
    assert_eq!(r.header("Location"), Some(format!("http://{}/contacts/{id}", s.addr).as_str()));
    assert_eq!(c["first_name"], "Ada");
    assert_eq!(c["emails"], json!([{"address": "ada@example.com"}, {"address": "ada@home.example"}]));
    assert_eq!(c["phones"], json!([{"number": "+44 1"}, {"number": "+44 2"}]));
    assert_eq!(c["tag_list"], json!(["vip", "math"]));
    assert_eq!(c["custom_fields"], json!([{"id": 1, "name": "License", "value": "L-1"}]));
    assert_eq!(c["address"]["country"], "United Kingdom");
    assert_eq!(c["address"]["full_address"]["full_address"], "1 Main St, London, United Kingdom");
    assert_eq!(c["projects"], json!([{"id": 1, "name": "Alpha"}]));
    assert_eq!(c["author"], json!({"id": 1, "name": "Redmine Admin"}));
}

#[test]
fn create_xml_reads_rails_style_xml() {
    let s = Server::seeded();
    let body = r#"<?xml version="1.0"?><contact><project_id>beta</project_id><first_name>Ivan</first_name>
        <is_company>true</is_company><tag_list>vip,cold call</tag_list>
        <custom_fields type="array"><custom_field id="1"><value>X-1</value></custom_field></custom_fields></contact>"#;
    let r = s.admin("POST", "/contacts.xml", Some("application/xml"), body);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("Content-Type"), Some("application/xml; charset=utf-8"));
    let text = r.text();
    assert!(text.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><contact><id>"#), "{text}");
    assert!(text.contains("<is_company>true</is_company>"));
    assert!(text.contains("<tag_list>vip, cold call</tag_list>"));
    assert!(text.contains(r#"<custom_field id="1" name="License"><value>X-1</value></custom_field>"#));
    assert!(text.contains(r#"<projects type="array"><project id="2" name="Beta"/></projects>"#));
}

/// The seed's web form, posted as a browser would (multipart) to `/contacts.json`.
#[test]
fn the_seed_web_form_creates_a_contact_and_redirects() {
    let s = Server::seeded();
    let boundary = "XyZ123";
    let fields = [
        ("key", ADMIN_KEY),
        ("project_id", "alpha"),
        ("redirect_on_success", "https://www.example.com/thanks"),
        ("contact[first_name]", "Form"),
        ("contact[last_name]", "Visitor"),
        ("contact[email]", "visitor@example.com"),
        ("contact[tag_list]", "lead"),
        ("contact[custom_fields][][id]", "1"),
        ("contact[custom_fields][][value]", "from-form"),
        ("commit", "Save"),
    ];
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let ct = format!("multipart/form-data; boundary={boundary}");
    let r = s.raw("POST", "/contacts.json", &[("Content-Type", &ct)], body.as_bytes());
    assert_eq!(r.status, 302, "{}", r.text());
    assert_eq!(r.header("Location"), Some("https://www.example.com/thanks"));
    let list = s.get("/contacts.json?search=visitor").json();
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["contacts"][0]["custom_fields"][0]["value"], "from-form");
    assert_eq!(list["contacts"][0]["tag_list"], json!(["lead"]));
}

#[test]
fn url_encoded_form_with_key_field_creates_and_answers_201() {
    let s = Server::seeded();
    let body = format!(
        "key={ADMIN_KEY}&project_id=beta&contact%5Bfirst_name%5D=Url&contact%5Baddress_attributes%5D%5Bcity%5D=Paris&redirect_on_success=javascript:alert(1)"
    );
    let r = s.raw("POST", "/contacts.xml", &[("Content-Type", "application/x-www-form-urlencoded")], body.as_bytes());
    assert_eq!(r.status, 201, "a non-http(s) redirect_on_success is ignored: {}", r.text());
    assert!(r.text().contains("<city>Paris</city>"));
}

#[test]
fn update_changes_only_given_fields_and_answers_204() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Tom", "last_name": "Smith", "job_title": "CTO",
                                     "address_attributes": {"street1": "1 Loop", "city": "Cupertino", "country_code": "US"}}));
    let r = s.put_json(
        &format!("/contacts/{id}.json"),
        json!({"contact": {"last_name": "Jones", "address_attributes": {"city": "Austin"}}}),
    );
    assert_eq!((r.status, r.body.len()), (204, 0));
    let c = s.get(&format!("/contacts/{id}.json")).json()["contact"].clone();
    assert_eq!(
        (c["first_name"].as_str(), c["last_name"].as_str(), c["job_title"].as_str()),
        (Some("Tom"), Some("Jones"), Some("CTO"))
    );
    assert_eq!(c["address"]["street"], "1 Loop");
    assert_eq!(c["address"]["city"], "Austin");
    assert_eq!(c["address"]["full_address"]["full_address"], "1 Loop, Austin, United States");
}

#[test]
fn the_seed_curl_put_without_extension_works() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Old"}));
    let auth = format!("Basic {}", base64_encode(&format!("admin:{}", super::common::ADMIN_PASSWORD)));
    let r = s.raw(
        "PUT",
        &format!("/contacts/{id}"),
        &[("Accept", "application/json"), ("Content-Type", "application/json"), ("Authorization", &auth)],
        br#"{"contact": {"first_name":"John","last_name":"Smith"}}"#,
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(s.get(&format!("/contacts/{id}.json")).json()["contact"]["last_name"], "Smith");
}

#[test]
fn address_destroy_and_tag_replacement() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "A", "tag_list": ["x", "y"],
                                     "address_attributes": {"city": "Oslo"}}));
    let r = s.put_json(
        &format!("/contacts/{id}.json"),
        json!({"contact": {"tag_list": "z", "address_attributes": {"_destroy": "1"}}}),
    );
    assert_eq!(r.status, 204);
    let c = s.get(&format!("/contacts/{id}.json")).json()["contact"].clone();
    assert_eq!(c["tag_list"], json!(["z"]));
    assert_eq!(
        c["address"],
        json!({"full_address": null, "street": null, "city": null, "region": null, "country": null, "postcode": null})
    );
}

#[test]
fn an_address_is_added_by_an_update_then_changed_a_field_at_a_time() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Nomad"}));
    let put = |address: serde_json::Value| {
        let r = s.put_json(&format!("/contacts/{id}.json"), json!({"contact": {"address_attributes": address}}));
        assert_eq!(r.status, 204, "{}", r.text());
        s.get(&format!("/contacts/{id}.json")).json()["contact"]["address"].clone()
    };
    let added = put(json!({"street1": "1 Main St", "city": "Oslo", "country_code": "NO"}));
    assert_eq!((added["street"].as_str(), added["city"].as_str()), (Some("1 Main St"), Some("Oslo")));
    let moved = put(json!({"city": "Bergen"}));
    assert_eq!(moved["street"], "1 Main St", "the fields not sent stay");
    assert_eq!(moved["city"], "Bergen");
    assert_eq!(moved["country"], added["country"]);
    // The new contact's search text was inserted, and renaming rewrites it.
    assert_eq!(s.get("/contacts.json?search=nomad").json()["total_count"], 1);
    let r = s.put_json(&format!("/contacts/{id}.json"), json!({"contact": {"first_name": "Settler"}}));
    assert_eq!(r.status, 204);
    assert_eq!(s.get("/contacts.json?search=nomad").json()["total_count"], 0);
    assert_eq!(s.get("/contacts.json?search=settler").json()["total_count"], 1);
}

#[test]
fn renaming_a_company_renames_it_on_its_people() {
    let s = Server::seeded();
    let company = s.create_contact(json!({"project_id": 1, "first_name": "Acme", "is_company": true}));
    let person = s.create_contact(json!({"project_id": 1, "first_name": "Wile", "company": "Acme"}));
    let shown = s.get(&format!("/contacts/{company}.json?include=contacts")).json();
    assert_eq!(shown["contact"]["contacts"], json!([{"id": person, "name": "Wile"}]));
    assert_eq!(
        s.put_json(&format!("/contacts/{company}.json"), json!({"contact": {"first_name": "Acme Corp"}})).status,
        204
    );
    assert_eq!(s.get(&format!("/contacts/{person}.json")).json()["contact"]["company"], "Acme Corp");
    assert_eq!(s.get("/contacts.json?search=corp").json()["total_count"], 2, "the search index follows the rename");
}

#[test]
fn delete_removes_the_contact_and_its_notes() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Gone"}));
    let note =
        s.post_json("/notes.json", json!({"source_type": "Contact", "source_id": id, "note": {"content": "hi"}}));
    assert_eq!(note.status, 201, "{}", note.text());
    let note_id = note.json()["note"]["id"].as_i64().unwrap();
    assert_eq!(s.admin("DELETE", &format!("/contacts/{id}.json"), None, "").status, 204);
    assert_eq!(s.get(&format!("/contacts/{id}.json")).status, 404);
    assert_eq!(s.get(&format!("/notes/{note_id}.json")).status, 404);
    assert_eq!(s.get("/contacts.json?search=gone").json()["total_count"], 0);
}

#[test]
fn projects_can_be_added_and_removed_but_never_the_last() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Mover"}));
    let add = s.admin(
        "POST",
        &format!("/contacts/{id}/projects.xml"),
        Some("application/xml"),
        "<project><id>beta</id></project>",
    );
    assert_eq!(add.status, 204);
    let shown = s.get(&format!("/contacts/{id}.json")).json();
    assert_eq!(shown["contact"]["projects"], json!([{"id": 1, "name": "Alpha"}, {"id": 2, "name": "Beta"}]));
    assert_eq!(s.admin("DELETE", &format!("/contacts/{id}/projects/alpha.json"), None, "").status, 204);
    assert_eq!(s.admin("DELETE", &format!("/contacts/{id}/projects/2.json"), None, "").status, 403);
    assert_eq!(s.admin("DELETE", &format!("/contacts/{id}/projects/99.json"), None, "").status, 404);
    let unknown = s.post_json(&format!("/contacts/{id}/projects.json"), json!({"project": {"id": "nope"}}));
    assert_eq!(unknown.status, 404);
}

#[test]
fn renamed_and_deleted_projects_and_users_show_on_their_contacts_at_once() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Named"}));
    let add = s.post_json(&format!("/contacts/{id}/projects.json"), json!({"project": {"id": 2}}));
    assert_eq!(add.status, 204);
    let author = s.get(&format!("/contacts/{id}.json")).json()["contact"]["author"]["id"].as_i64().unwrap();
    assert_eq!(s.put_json("/projects/2.json", json!({"project": {"name": "Beta Two"}})).status, 204);
    assert_eq!(s.put_json(&format!("/users/{author}.json"), json!({"user": {"firstname": "Renamed"}})).status, 204);
    let shown = s.get(&format!("/contacts/{id}.json")).json()["contact"].clone();
    assert_eq!(shown["projects"], json!([{"id": 1, "name": "Alpha"}, {"id": 2, "name": "Beta Two"}]));
    assert!(shown["author"]["name"].as_str().unwrap().starts_with("Renamed"), "{}", shown["author"]);
    assert_eq!(s.admin("DELETE", "/projects/2.json", None, "").status, 204);
    let listed = s.get(&format!("/contacts.json?ids={id}&include=projects")).json();
    assert_eq!(listed["contacts"][0]["projects"], json!([{"id": 1, "name": "Alpha"}]));
}

#[test]
fn show_includes_notes_deals_and_ignores_tickets() {
    let s = Server::seeded();
    s.post_json("/deal_statuses.json", json!({"deal_status": {"name": "Open", "is_default": true}}));
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Deal", "last_name": "Maker"}));
    assert_eq!(
        s.post_json(
            "/notes.json",
            json!({"source_type": "Contact", "source_id": id, "note": {"content": "Call back", "type_id": 1}})
        )
        .status,
        201
    );
    let deal =
        s.post_json("/deals.json", json!({"deal": {"name": "Big", "project_id": 1, "contact_id": id, "price": 1500}}));
    assert_eq!(deal.status, 201, "{}", deal.text());
    assert_eq!(deal.json()["deal"]["price"], "1500.0");
    let c = s.get(&format!("/contacts/{id}.json?include=notes,deals,tickets,issues")).json()["contact"].clone();
    assert_eq!(c["notes"][0]["content"], "Call back");
    assert_eq!(c["notes"][0]["type_id"], 1);
    assert_eq!(c["deals"][0]["name"], "Big");
    assert_eq!(c["deals"][0]["status"]["name"], "Open");
    assert!(c.get("tickets").is_none() && c.get("issues").is_none());
}

#[test]
fn list_include_projects_adds_each_contacts_projects() {
    let s = Server::seeded();
    s.create_contact(json!({"project_id": 1, "project_ids": [1, 2], "first_name": "Both"}));
    let plain = s.get("/contacts.json").json();
    assert!(plain["contacts"][0].get("projects").is_none());
    let with = s.get("/contacts.json?include=projects").json();
    assert_eq!(with["contacts"][0]["projects"], json!([{"id": 1, "name": "Alpha"}, {"id": 2, "name": "Beta"}]));
    let xml = s.get("/contacts.xml?include=projects").text();
    assert!(
        xml.contains(
            r#"<projects type="array"><project id="1" name="Alpha"/><project id="2" name="Beta"/></projects></contact>"#
        ),
        "{xml}"
    );
}

#[test]
fn post_with_method_override_updates() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Before"}));
    let body = format!("_method=put&key={ADMIN_KEY}&contact[first_name]=After");
    let r = s.raw(
        "POST",
        &format!("/contacts/{id}.json"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(s.get(&format!("/contacts/{id}.json")).json()["contact"]["first_name"], "After");
}

pub fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
