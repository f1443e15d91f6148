//! `GET /contacts/:id.vcf`, `GET /contacts.vcf|.csv` (issue 15): what the files hold, who may
//! have them, and the round trip: every contact exported and imported into an empty database
//! comes back the same, field by field (vCard 3.0, 4.0 and CSV). Duplicates and merge too.

use serde_json::{json, Value};

use super::common::{Server, JSMITH_KEY};
use super::imports::{all_contacts, upload};

/// Languages (a multi-value list field, id 2) beside the seeded License (id 1).
fn with_languages(s: &Server) {
    s.create_custom_field(json!({"name": "Languages", "field_format": "list", "customized_type": "contact",
                                 "multiple": true, "possible_values": ["en", "ru", "de"]}));
}

fn fill(s: &Server) {
    with_languages(s);
    s.create_contact(json!({"project_id": "alpha", "first_name": "Ann, \"the\" first", "last_name": "O'Neil; Jr",
        "middle_name": "Mary", "company": "Acme, Inc.", "job_title": "CEO", "website": "https://acme.example",
        "skype_name": "ann.oneil", "birthday": "1980-10-21", "background": "Line one\nLine two; with: punctuation\\",
        "phone": "+1 555 0100, +1 555 0101", "email": "ann@acme.example, a@b.example",
        "tag_list": ["vip", "cold, call"], "assigned_to_id": 2,
        "address_attributes": {"street1": "12, Main St", "street2": "Suite 4", "city": "Springfield",
                               "region": "IL", "postcode": "62701", "country_code": "US"},
        "custom_fields": [{"id": 1, "value": "Gold"}, {"id": 2, "value": ["en", "ru"]}]}));
    s.create_contact(json!({"project_id": "alpha", "first_name": "Acme, Inc.", "is_company": true,
        "email": "info@acme.example", "website": "acme.example", "address_attributes": {"city": "Seoul", "country_code": "KR"}}));
    s.create_contact(json!({"project_id": "alpha", "first_name": "Иван", "last_name": "Иванов", "tag_list": "vip",
        "address_attributes": {"country_code": "DE"}}));
    s.create_contact(json!({"project_id": "alpha", "first_name": "Solo"}));
}

/// A contact as shown, without what a copy cannot keep: ids, author, times.
fn comparable(mut c: Value) -> Value {
    let o = c.as_object_mut().unwrap();
    for key in ["id", "author", "created_on", "updated_on"] {
        o.remove(key);
    }
    if let Some(Value::Object(full)) = o.get_mut("address").and_then(|a| a.get_mut("full_address")) {
        for key in ["id", "addressable_id", "created_at", "updated_at"] {
            full.remove(key);
        }
    }
    c
}

fn sorted(all: Vec<Value>) -> Vec<Value> {
    let mut all: Vec<Value> = all.into_iter().map(comparable).collect();
    all.sort_by_key(|c| c["first_name"].as_str().unwrap_or("").to_string());
    all
}

#[test]
fn export_then_import_into_an_empty_database_gives_the_same_contacts() {
    let a = Server::seeded();
    fill(&a);
    let original = sorted(all_contacts(&a));
    assert_eq!(original.len(), 4);
    for (path, name) in [
        ("/contacts.vcf", "contacts.vcf"),
        ("/contacts.vcf?version=4.0", "contacts.vcf"),
        ("/contacts.csv?c[]=all_inline", "contacts.csv"),
    ] {
        let file = a.get(path);
        assert_eq!(file.status, 200, "{path}: {}", file.text());
        let b = Server::seeded();
        with_languages(&b);
        let r = upload(&b, name, &file.body, &[]);
        assert_eq!((r.status, r.json()["import"]["created"].as_i64()), (200, Some(4)), "{path}: {}", r.text());
        let copy = sorted(all_contacts(&b));
        for (o, c) in original.iter().zip(&copy) {
            assert_eq!(o, c, "{path}");
        }
    }
}

#[test]
fn one_contact_as_a_card() {
    let s = Server::seeded();
    fill(&s);
    let r = s.get("/contacts/1.vcf");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/vcard; charset=utf-8"));
    assert!(r.header("content-disposition").unwrap().contains("contact-1.vcf"));
    let text = r.text();
    for line in [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:Ann\\, \"the\" first Mary O'Neil\\; Jr",
        "N:O'Neil\\; Jr;Ann\\, \"the\" first;Mary;;",
        "ORG:Acme\\, Inc.",
        "TITLE:CEO",
        "TEL;TYPE=WORK:+1 555 0100",
        "EMAIL;TYPE=INTERNET:a@b.example",
        "ADR;TYPE=WORK:;Suite 4;12\\, Main St;Springfield;IL;62701;United States",
        "BDAY:1980-10-21",
        "NOTE:Line one\\nLine two\\; with: punctuation\\\\",
        "URL:https://acme.example",
        "CATEGORIES:vip,cold\\, call",
        "X-LICENSE:Gold",
        "X-LANGUAGES:en",
        "X-LANGUAGES:ru",
        "X-SKYPE:ann.oneil",
        "X-REDMINE-ASSIGNEE:jsmith",
        "END:VCARD",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    let v4 = s.get("/contacts/2.vcf?version=4.0").text();
    assert!(
        v4.contains("VERSION:4.0\r\n") && v4.contains("KIND:ORG\r\n") && v4.contains("ORG:Acme\\, Inc.\r\n"),
        "{v4}"
    );
    assert_eq!(s.get("/contacts/99.vcf").status, 404);
    assert_eq!(s.get("/contacts/1.vcf?version=9").status, 422);
}

#[test]
fn lists_are_filtered_streamed_and_need_export_contacts() {
    let s = Server::seeded();
    fill(&s);
    let r = s.get("/contacts.vcf?tags=vip");
    assert_eq!(r.header("transfer-encoding"), Some("chunked"), "streamed");
    assert_eq!(r.text().matches("BEGIN:VCARD").count(), 2);
    let csv = s.get("/projects/alpha/contacts.csv?c[]=first_name&c[]=email&c[]=cf_1&sort=first_name");
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.text(),
        "\u{feff}First Name,Email,License\r\n\"Acme, Inc.\",info@acme.example,\r\n\"Ann, \"\"the\"\" first\",\"ann@acme.example, a@b.example\",Gold\r\nSolo,,\r\nИван,,\r\n"
    );
    let default = s.get("/contacts.csv").text();
    assert!(
        default.starts_with("\u{feff}#,First Name,Last Name,Middle Name,Company,Job title,Phone,Email,Tags\r\n"),
        "{default}"
    );
    // jsmith views beta's contacts but may not export them; one card he may see.
    let id = s.create_contact(json!({"project_id": "beta", "first_name": "Beta"}));
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/contacts.vcf", None, "").status, 403);
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/projects/beta/contacts.csv", None, "").status, 403);
    assert_eq!(s.as_key(JSMITH_KEY, "GET", &format!("/contacts/{id}.vcf"), None, "").status, 200);
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/contacts/1.vcf", None, "").status, 403);
    s.user_with("exporter", "1111111111111111111111111111111111111111", &[(2, &["view_contacts", "export_contacts"])]);
    let r = s.as_key("1111111111111111111111111111111111111111", "GET", "/contacts.vcf", None, "");
    assert_eq!((r.status, r.text().matches("BEGIN:VCARD").count()), (200, 1), "only what the exporter may see");
    assert_eq!(s.raw("GET", "/contacts.vcf", &[], b"").status, 401);
}

#[test]
fn duplicates_by_name_or_primary_email_among_visible_contacts() {
    let s = Server::seeded();
    let ann = s.create_contact(
        json!({"project_id": "alpha", "first_name": "Ann", "last_name": "Lee", "email": "ann@x.example"}),
    );
    let same =
        s.create_contact(json!({"project_id": "alpha", "first_name": "ANN", "last_name": "lee", "middle_name": "M"}));
    let mail =
        s.create_contact(json!({"project_id": "alpha", "first_name": "Annie", "email": "Ann@X.example, z@z.example"}));
    s.create_contact(json!({"project_id": "alpha", "first_name": "Ann", "last_name": "Leeds"}));
    s.create_contact(json!({"project_id": "alpha", "first_name": "Bob", "email": "bob@x.example, ann@x.example"}));
    let hidden =
        s.create_contact(json!({"project_id": "alpha", "first_name": "Ann", "last_name": "Lee", "visibility": 2}));
    let r = s.get(&format!("/contacts/{ann}/duplicates.json"));
    assert_eq!(r.status, 200, "{}", r.text());
    let ids: Vec<i64> = r.json()["contacts"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [same, mail, hidden], "the admin sees the private one");
    s.user_with("viewer", "2222222222222222222222222222222222222222", &[(1, &["view_contacts"])]);
    let r = s.as_key(
        "2222222222222222222222222222222222222222",
        "GET",
        &format!("/contacts/{ann}/duplicates.json"),
        None,
        "",
    );
    assert_eq!(r.json()["contacts"].as_array().unwrap().len(), 2, "not the private one");
    assert_eq!(r.json()["total_count"], 2);
}

#[test]
fn a_merge_moves_notes_deals_projects_and_lists_into_the_kept_contact() {
    let s = Server::seeded();
    let kept = s.create_contact(
        json!({"project_id": "alpha", "first_name": "Ann", "email": "ann@x.example", "phone": "1", "tag_list": "vip"}),
    );
    let gone = s
        .create_contact(json!({"project_id": "beta", "first_name": "Ann", "email": "ANN@x.example, ann@y.example",
                                       "phone": "1, 2", "tag_list": "lead, vip"}));
    let note =
        s.post_json("/notes.json", json!({"source_type": "Contact", "source_id": gone, "note": {"content": "Called"}}));
    assert_eq!(note.status, 201, "{}", note.text());
    let note_id = note.json()["note"]["id"].as_i64().unwrap();
    assert_eq!(
        s.post_json("/deal_statuses.json", json!({"deal_status": {"name": "Open", "is_default": true}})).status,
        201
    );
    let deal = s.post_json("/deals.json", json!({"deal": {"name": "Big", "project_id": "alpha", "contact_id": gone}}));
    assert_eq!(deal.status, 201, "{}", deal.text());
    let deal_id = deal.json()["deal"]["id"].as_i64().unwrap();
    let r = s.post_json(&format!("/contacts/{kept}/merge.json"), json!({"duplicate_id": gone}));
    assert_eq!(r.status, 200, "{}", r.text());
    let c = s.get(&format!("/contacts/{kept}.json?include=notes,deals")).json()["contact"].clone();
    assert_eq!(c["emails"], json!([{"address": "ann@x.example"}, {"address": "ann@y.example"}]));
    assert_eq!(c["phones"], json!([{"number": "1"}, {"number": "2"}]));
    assert_eq!(c["tag_list"], json!(["vip", "lead"]));
    assert_eq!(c["projects"], json!([{"id": 1, "name": "Alpha"}, {"id": 2, "name": "Beta"}]));
    assert_eq!(c["notes"][0]["id"], note_id);
    assert_eq!(c["deals"][0]["id"], deal_id);
    assert_eq!(s.get(&format!("/contacts/{gone}.json")).status, 404);
    assert_eq!(s.get(&format!("/deals/{deal_id}.json")).json()["deal"]["contact"]["id"], kept);
    assert_eq!(s.get("/contacts.json?search=ann").json()["total_count"], 1);
    // Rights: edit on the kept one, delete on the merged one.
    let other = s.create_contact(json!({"project_id": "beta", "first_name": "Ann"}));
    s.user_with(
        "editor",
        "3333333333333333333333333333333333333333",
        &[(1, &["view_contacts", "edit_contacts"]), (2, &["view_contacts"])],
    );
    let r = s.as_key(
        "3333333333333333333333333333333333333333",
        "POST",
        &format!("/contacts/{kept}/merge.json"),
        Some("application/json"),
        &json!({"duplicate_id": other}).to_string(),
    );
    assert_eq!(r.status, 403);
    let r = s.post_json(&format!("/contacts/{kept}/merge.json"), json!({"duplicate_id": kept}));
    assert_eq!(r.status, 422);
}
