//! Custom fields (API.md §1.5, §6.1–6.2, "Redmine core endpoints"): every format on contacts in
//! JSON and XML, multi-value lists, required fields, regular expressions, lengths, defaults,
//! Redmine's messages, the admin definitions, and values on deals and notes.

use serde_json::{json, Value};

use super::common::{custom_values as values, Server};

fn contact_field(s: &Server, name: &str, format: &str, extra: Value) -> i64 {
    let mut body = json!({"name": name, "field_format": format, "customized_type": "contact"});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    s.create_custom_field(body)
}

/// The seeded License (1) and one field of every format: Motto string (2), Bio text (3),
/// Level int (4), Score float (5), Since date (6), Active bool (7), Tier list (8), Langs
/// multi-value list (9), Site link (10).
fn world() -> Server {
    let s = Server::seeded();
    for (name, format, extra) in [
        ("Motto", "string", json!({})),
        ("Bio", "text", json!({})),
        ("Level", "int", json!({})),
        ("Score", "float", json!({})),
        ("Since", "date", json!({})),
        ("Active", "bool", json!({})),
        ("Tier", "list", json!({"possible_values": ["Gold", "Silver"]})),
        ("Langs", "list", json!({"possible_values": ["en", "ru", "de"], "multiple": true})),
        ("Site", "link", json!({})),
    ] {
        contact_field(&s, name, format, extra);
    }
    s
}

#[track_caller]
fn refused(s: &Server, path: &str, body: Value) -> Vec<String> {
    let r = s.post_json(path, body);
    assert_eq!(r.status, 422, "{}", r.text());
    r.json()["errors"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect()
}

#[test]
fn every_format_is_stored_and_shown_in_json_and_xml() {
    let s = world();
    let given = values(&[
        (2, json!("Think big")),
        (3, json!("Line one\nLine two")),
        (4, json!(42)),
        (5, json!("2.75")),
        (6, json!("2024-02-29")),
        (7, json!(true)),
        (8, json!("Gold")),
        (9, json!(["ru", "en", "", "ru"])),
        (10, json!("https://example.com/x?a=1&b=2")),
    ]);
    let r = s.post_json(
        "/contacts.json",
        json!({"contact": {"project_id": 1, "first_name": "Ada", "custom_fields": given}}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let expected = json!([
        {"id": 1, "name": "License", "value": null},
        {"id": 2, "name": "Motto", "value": "Think big"},
        {"id": 3, "name": "Bio", "value": "Line one\nLine two"},
        {"id": 4, "name": "Level", "value": "42"},
        {"id": 5, "name": "Score", "value": "2.75"},
        {"id": 6, "name": "Since", "value": "2024-02-29"},
        {"id": 7, "name": "Active", "value": "1"},
        {"id": 8, "name": "Tier", "value": "Gold"},
        {"id": 9, "name": "Langs", "multiple": true, "value": ["ru", "en"]},
        {"id": 10, "name": "Site", "value": "https://example.com/x?a=1&b=2"},
    ]);
    assert_eq!(r.json()["contact"]["custom_fields"], expected);
    let id = r.json()["contact"]["id"].as_i64().unwrap();
    assert_eq!(s.get(&format!("/contacts/{id}.json")).json()["contact"]["custom_fields"], expected);
    assert_eq!(s.get("/contacts.json").json()["contacts"][0]["custom_fields"], expected);
    let xml = s.get(&format!("/contacts/{id}.xml")).text();
    let fields = concat!(
        r#"<custom_fields type="array">"#,
        r#"<custom_field id="1" name="License"><value/></custom_field>"#,
        r#"<custom_field id="2" name="Motto"><value>Think big</value></custom_field>"#,
        "<custom_field id=\"3\" name=\"Bio\"><value>Line one\nLine two</value></custom_field>",
        r#"<custom_field id="4" name="Level"><value>42</value></custom_field>"#,
        r#"<custom_field id="5" name="Score"><value>2.75</value></custom_field>"#,
        r#"<custom_field id="6" name="Since"><value>2024-02-29</value></custom_field>"#,
        r#"<custom_field id="7" name="Active"><value>1</value></custom_field>"#,
        r#"<custom_field id="8" name="Tier"><value>Gold</value></custom_field>"#,
        r#"<custom_field id="9" name="Langs" multiple="true"><value type="array"><value>ru</value><value>en</value></value></custom_field>"#,
        r#"<custom_field id="10" name="Site"><value>https://example.com/x?a=1&amp;b=2</value></custom_field>"#,
        "</custom_fields>"
    );
    assert!(xml.contains(fields), "{xml}");
}

#[test]
fn xml_and_form_bodies_carry_multiple_values() {
    let s = world();
    let body = r#"<?xml version="1.0"?><contact><project_id>1</project_id><first_name>Xml</first_name>
        <custom_fields type="array">
          <custom_field id="9"><value type="array"><value>de</value><value>en</value></value></custom_field>
          <custom_field id="4"><value>-7</value></custom_field>
          <custom_field id="7"><value>0</value></custom_field>
        </custom_fields></contact>"#;
    let r = s.admin("POST", "/contacts.xml", Some("application/xml"), body);
    assert_eq!(r.status, 201, "{}", r.text());
    let langs = concat!(
        r#"<custom_field id="9" name="Langs" multiple="true">"#,
        "<value type=\"array\"><value>de</value><value>en</value></value></custom_field>"
    );
    assert!(r.text().contains(langs), "{}", r.text());
    let shown = s.get("/contacts/1.json").json()["contact"]["custom_fields"].clone();
    assert_eq!(
        (shown[3]["value"].clone(), shown[6]["value"].clone(), shown[8]["value"].clone()),
        (json!("-7"), json!("0"), json!(["de", "en"]))
    );

    // An empty array element clears the field; the other fields keep their values.
    let r = s.admin("PUT", "/contacts/1.xml", Some("application/xml"),
        r#"<contact><custom_fields type="array"><custom_field id="9"><value type="array"></value></custom_field></custom_fields></contact>"#);
    assert_eq!(r.status, 204, "{}", r.text());
    let xml = s.get("/contacts/1.xml").text();
    assert!(
        xml.contains(
            r#"<custom_field id="9" name="Langs" multiple="true"><value type="array"></value></custom_field>"#
        ),
        "{xml}"
    );
    assert_eq!(
        s.get("/contacts/1.json").json()["contact"]["custom_fields"][8],
        json!({"id": 9, "name": "Langs", "multiple": true, "value": []})
    );
    assert!(xml.contains(r#"<custom_field id="4" name="Level"><value>-7</value></custom_field>"#));

    // The web form's Rack keys: `contact[custom_fields][][value][]` repeated is one list.
    let form = "project_id=1&contact[first_name]=Form&contact[custom_fields][][id]=9\
                &contact[custom_fields][][value][]=ru&contact[custom_fields][][value][]=de\
                &contact[custom_fields][][id]=8&contact[custom_fields][][value]=Silver";
    let r = s.admin("POST", "/contacts.json", Some("application/x-www-form-urlencoded"), form);
    assert_eq!(r.status, 201, "{}", r.text());
    let fields = r.json()["contact"]["custom_fields"].clone();
    assert_eq!((fields[7]["value"].clone(), fields[8]["value"].clone()), (json!("Silver"), json!(["ru", "de"])));
    // The alternative hash form.
    let r = s.put_json("/contacts/2.json", json!({"contact": {"custom_field_values": {"9": ["en"], "5": "-0.5"}}}));
    assert_eq!(r.status, 204, "{}", r.text());
    let fields = s.get("/contacts/2.json").json()["contact"]["custom_fields"].clone();
    assert_eq!((fields[4]["value"].clone(), fields[8]["value"].clone()), (json!("-0.5"), json!(["en"])));
}

#[test]
fn bad_values_get_redmines_messages_in_both_formats() {
    let s = world();
    let bad = values(&[
        (4, json!("4.5")),
        (5, json!("about 3")),
        (6, json!("2024-02-30")),
        (7, json!("yes")),
        (8, json!("Platinum")),
        (9, json!(["en", "fr"])),
        (10, json!("not a link")),
        (2, json!(["one", "two"])),
    ]);
    let expected = [
        "Motto is invalid",
        "Level is not a number",
        "Score is invalid",
        "Since is not a valid date",
        "Active is not included in the list",
        "Tier is not included in the list",
        "Langs is not included in the list",
        "Site is invalid",
    ];
    assert_eq!(
        refused(&s, "/contacts.json", json!({"contact": {"project_id": 1, "first_name": "X", "custom_fields": bad}})),
        expected
    );
    let xml = s.admin("POST", "/contacts.xml", Some("application/xml"),
        r#"<contact><project_id>1</project_id><first_name>X</first_name><custom_fields type="array">
           <custom_field id="4"><value>four</value></custom_field>
           <custom_field id="9"><value type="array"><value>xx</value></value></custom_field></custom_fields></contact>"#);
    assert_eq!(xml.status, 422);
    let errors = concat!(
        r#"<errors type="array"><error>Level is not a number</error>"#,
        "<error>Langs is not included in the list</error></errors>"
    );
    assert!(xml.text().ends_with(errors), "{}", xml.text());
    assert_eq!(s.get("/contacts.json").json()["total_count"], 0, "nothing was created");
}

#[test]
fn required_fields_regular_expressions_and_lengths_are_enforced() {
    let s = Server::seeded();
    let code = contact_field(
        &s,
        "Code",
        "string",
        json!({"is_required": true, "regexp": "^[A-Z]{2}-\\d+$", "min_length": 4, "max_length": 8}),
    );
    let create = |value: Value| json!({"contact": {"project_id": 1, "first_name": "R", "custom_fields": values(&[(code, value)])}});
    assert_eq!(
        refused(&s, "/contacts.json", json!({"contact": {"project_id": 1, "first_name": "R"}})),
        ["Code cannot be blank"]
    );
    assert_eq!(refused(&s, "/contacts.json", create(json!("  "))), ["Code cannot be blank"]);
    assert_eq!(refused(&s, "/contacts.json", create(json!("ab-1"))), ["Code is invalid"]);
    assert_eq!(
        refused(&s, "/contacts.json", create(json!("A-"))),
        ["Code is invalid", "Code is too short (minimum is 4 characters)"]
    );
    assert_eq!(
        refused(&s, "/contacts.json", create(json!("AB-123456"))),
        ["Code is too long (maximum is 8 characters)"]
    );
    let r = s.post_json("/contacts.json", create(json!("AB-12")));
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["contact"]["id"].as_i64().unwrap();
    // An update that leaves the field alone keeps it; one that blanks it is refused.
    assert_eq!(s.put_json(&format!("/contacts/{id}.json"), json!({"contact": {"job_title": "x"}})).status, 204);
    let r =
        s.put_json(&format!("/contacts/{id}.json"), json!({"contact": {"custom_fields": [{"id": code, "value": ""}]}}));
    assert_eq!((r.status, r.json()["errors"].clone()), (422, json!(["Code cannot be blank"])));
    let r = s.admin("PUT", &format!("/contacts/{id}.xml"), Some("application/xml"),
        &format!(r#"<contact><custom_fields type="array"><custom_field id="{code}"><value>zz</value></custom_field></custom_fields></contact>"#));
    assert_eq!(r.status, 422);
    let errors = concat!(
        r#"<errors type="array"><error>Code is invalid</error>"#,
        "<error>Code is too short (minimum is 4 characters)</error></errors>"
    );
    assert!(r.text().ends_with(errors), "{}", r.text());
    assert_eq!(s.get(&format!("/contacts/{id}.json")).json()["contact"]["custom_fields"][1]["value"], "AB-12");
}

#[test]
fn new_records_take_default_values() {
    let s = Server::seeded();
    let tier =
        contact_field(&s, "Tier", "list", json!({"possible_values": ["Gold", "Silver"], "default_value": "Silver"}));
    let langs = contact_field(
        &s,
        "Langs",
        "list",
        json!({"possible_values": ["en", "ru"], "multiple": true, "default_value": "en"}),
    );
    let flag = contact_field(&s, "Flag", "bool", json!({"default_value": "0"}));
    let id = s.create_contact(json!({"project_id": 1, "first_name": "D"}));
    let fields = s.get(&format!("/contacts/{id}.json")).json()["contact"]["custom_fields"].clone();
    assert_eq!(fields[1], json!({"id": tier, "name": "Tier", "value": "Silver"}));
    assert_eq!(fields[2], json!({"id": langs, "name": "Langs", "multiple": true, "value": ["en"]}));
    assert_eq!(fields[3], json!({"id": flag, "name": "Flag", "value": "0"}));
    // Given values win over defaults.
    let given = values(&[(tier, json!("Gold")), (langs, json!([]))]);
    let id = s.create_contact(json!({"project_id": 1, "first_name": "E", "custom_fields": given}));
    let fields = s.get(&format!("/contacts/{id}.json")).json()["contact"]["custom_fields"].clone();
    assert_eq!((fields[1]["value"].clone(), fields[2]["value"].clone()), (json!("Gold"), json!([])));
}

#[test]
fn definitions_are_validated_and_listed() {
    let s = Server::seeded();
    let cases = [
        (
            json!({"name": "L", "field_format": "list", "customized_type": "contact"}),
            vec!["Possible values cannot be blank"],
        ),
        (
            json!({"name": "R", "field_format": "string", "customized_type": "contact", "regexp": "[a-"}),
            vec!["Regular expression is invalid"],
        ),
        (
            json!({"name": "D", "field_format": "int", "customized_type": "deal", "default_value": "many"}),
            vec!["Default value is not a number"],
        ),
        (
            json!({"name": "P", "field_format": "list", "customized_type": "note", "possible_values": ["a"], "default_value": "b"}),
            vec!["Default value is not included in the list"],
        ),
        (
            json!({"name": "E", "field_format": "string", "customized_type": "contact", "regexp": "^\\d+$", "default_value": "x"}),
            vec!["Default value is invalid"],
        ),
        (
            json!({"name": "B", "field_format": "bool", "customized_type": "contact", "default_value": "2"}),
            vec!["Default value is not included in the list"],
        ),
        (
            json!({"name": "", "field_format": "colour", "customized_type": "issue"}),
            vec!["Name cannot be blank", "Type is not included in the list", "Format is not included in the list"],
        ),
        (
            json!({"name": "N", "customized_type": "contact", "min_length": -1}),
            vec!["Minimum length must be greater than or equal to 0"],
        ),
        (json!({"name": "License", "customized_type": "contact"}), vec!["Name has already been taken"]),
    ];
    for (body, expected) in cases {
        assert_eq!(refused(&s, "/custom_fields.json", json!({"custom_field": body})), expected, "{body}");
    }
    let id = s.create_custom_field(
        json!({"name": "Langs", "field_format": "list", "customized_type": "deal", "multiple": true,
                              "possible_values": [{"value": "en"}, {"value": "ru"}], "default_value": "ru",
                              "is_required": true, "is_filter": true}),
    );
    let listed = s.get("/custom_fields.json").json();
    let mine = listed["custom_fields"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap().clone();
    assert_eq!(
        mine,
        json!({"id": id, "name": "Langs", "customized_type": "deal", "field_format": "list", "regexp": "",
        "min_length": null, "max_length": null, "is_required": true, "is_filter": true, "searchable": false,
        "multiple": true, "default_value": "ru", "visible": true,
        "possible_values": [{"value": "en", "label": "en"}, {"value": "ru", "label": "ru"}]})
    );
    let xml = s.admin("POST", "/custom_fields.xml", Some("application/xml"),
        r#"<custom_field><name>Zip</name><field_format>string</field_format><customized_type>note</customized_type><regexp>^\d{5}$</regexp><max_length>5</max_length></custom_field>"#);
    assert_eq!(xml.status, 201, "{}", xml.text());
    let shown = concat!(
        "<name>Zip</name><customized_type>note</customized_type><field_format>string</field_format>",
        r"<regexp>^\d{5}$</regexp><min_length/><max_length>5</max_length>"
    );
    assert!(xml.text().contains(shown), "{}", xml.text());
    let bad = s.admin(
        "POST",
        "/custom_fields.xml",
        Some("application/xml"),
        "<custom_field><name>Q</name><customized_type>contact</customized_type><regexp>(</regexp></custom_field>",
    );
    assert_eq!(bad.status, 422);
    assert!(bad.text().ends_with(r#"<errors type="array"><error>Regular expression is invalid</error></errors>"#));
    assert_eq!(
        s.as_key(
            super::common::JSMITH_KEY,
            "POST",
            "/custom_fields.json",
            Some("application/json"),
            &json!({"custom_field": {"name": "X", "customized_type": "contact"}}).to_string()
        )
        .status,
        403
    );
}

#[test]
fn deals_and_notes_take_their_custom_fields() {
    let s = Server::seeded();
    let status = s.post_json("/deal_statuses.json", json!({"deal_status": {"name": "Open", "is_default": true}}));
    assert_eq!(status.status, 201);
    let source = s.create_custom_field(
        json!({"name": "Source", "field_format": "list", "customized_type": "deal", "multiple": true, "possible_values": ["Expo", "Web"]}),
    );
    let weight = s.create_custom_field(
        json!({"name": "Weight", "field_format": "float", "customized_type": "deal", "is_required": true}),
    );
    let r = s.post_json(
        "/deals.json",
        json!({"deal": {"name": "D", "project_id": 1,
        "custom_fields": values(&[(source, json!(["Web", "Expo"])), (weight, json!("0.5"))])}}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        r.json()["deal"]["custom_fields"],
        json!([
        {"id": source, "name": "Source", "multiple": true, "value": ["Web", "Expo"]},
        {"id": weight, "name": "Weight", "value": "0.5"}])
    );
    let deal = r.json()["deal"]["id"].as_i64().unwrap();
    let xml = s.get(&format!("/deals/{deal}.xml")).text();
    let shown = format!(
        "{}{}{}",
        format_args!(r#"<custom_fields type="array"><custom_field id="{source}" name="Source" multiple="true">"#),
        r#"<value type="array"><value>Web</value><value>Expo</value></value></custom_field>"#,
        format_args!(r#"<custom_field id="{weight}" name="Weight"><value>0.5</value></custom_field></custom_fields>"#),
    );
    assert!(xml.contains(&shown), "{xml}");
    assert_eq!(
        refused(
            &s,
            "/deals.json",
            json!({"deal": {"name": "E", "project_id": 1, "custom_fields": values(&[(source, json!(["Fax"]))])}})
        ),
        ["Source is not included in the list", "Weight cannot be blank"]
    );

    let mood = s.create_custom_field(json!({"name": "Mood", "field_format": "int", "customized_type": "note"}));
    let contact = s.create_contact(json!({"project_id": 1, "first_name": "N"}));
    let note = |value: Value| {
        let note = json!({"content": "c", "custom_fields": values(&[(mood, value)])});
        json!({"source_type": "Contact", "source_id": contact, "note": note})
    };
    assert_eq!(refused(&s, "/notes.json", note(json!("happy"))), ["Mood is not a number"]);
    let r = s.post_json("/notes.json", note(json!(7)));
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["note"]["custom_fields"], json!([{"id": mood, "name": "Mood", "value": "7"}]));
    let id = r.json()["note"]["id"].as_i64().unwrap();
    let xml = s.get(&format!("/notes/{id}.xml")).text();
    let shown = format!(r#"<custom_field id="{mood}" name="Mood"><value>7</value></custom_field></custom_fields>"#);
    assert!(xml.contains(&format!(r#"<custom_fields type="array">{shown}"#)), "{xml}");
}
