//! `POST /contacts/import` (issue 15): the sample files of tests/data imported over HTTP, every
//! field that arrives checked through `GET /contacts/:id`; all or nothing, `skip_invalid`,
//! `dry_run`, `update_existing`, the report, broken files, permissions and the upload limit.

use serde_json::{json, Value};

use super::common::{multipart, Server, ADMIN_KEY, JSMITH_KEY};

pub fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Uploads `file` into project alpha as `key` with extra fields; the answer.
pub fn upload_as(s: &Server, key: &str, file_name: &str, file: &[u8], extra: &[(&str, &str)]) -> super::common::Resp {
    let mut fields = vec![("project_id", "alpha")];
    fields.extend_from_slice(extra);
    let (content_type, body) = multipart(&fields, file_name, file);
    s.raw("POST", "/contacts/import.json", &[("X-Redmine-API-Key", key), ("Content-Type", &content_type)], &body)
}

pub fn upload(s: &Server, file_name: &str, file: &[u8], extra: &[(&str, &str)]) -> super::common::Resp {
    upload_as(s, ADMIN_KEY, file_name, file, extra)
}

/// Every contact (as the admin sees them), in id order, as shown by `GET /contacts/:id`.
pub fn all_contacts(s: &Server) -> Vec<Value> {
    let list = s.get("/contacts.json?limit=100&sort=id");
    assert_eq!(list.status, 200);
    list.json()["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s.get(&format!("/contacts/{}.json", c["id"])).json()["contact"].clone())
        .collect()
}

fn by_first_name<'a>(all: &'a [Value], name: &str) -> &'a Value {
    all.iter().find(|c| c["first_name"] == name).unwrap_or_else(|| panic!("no {name} in {all:#?}"))
}

fn strings(v: &Value, key: &str, inner: &str) -> Vec<String> {
    v[key].as_array().map(|a| a.iter().map(|x| x[inner].as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

#[test]
fn a_google_contacts_csv_arrives_field_by_field_and_is_searchable() {
    let s = Server::seeded();
    let r = upload(&s, "contacts.csv", &data("google-contacts.csv"), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    let report = r.json()["import"].clone();
    assert_eq!(
        (report["total"].as_i64(), report["created"].as_i64(), report["rejected"].as_i64()),
        (Some(2), Some(2), Some(0))
    );
    assert_eq!(report["written"], true);
    let all = all_contacts(&s);
    let jane = by_first_name(&all, "Jane");
    assert_eq!((jane["middle_name"].as_str(), jane["last_name"].as_str()), (Some("Ann"), Some("Doe")));
    assert_eq!((jane["company"].as_str(), jane["job_title"].as_str()), (Some("Acme Corp"), Some("Sales Manager")));
    assert_eq!(jane["birthday"], "1985-07-14");
    assert_eq!(jane["background"], "Met at the expo.\nWants a quote.");
    assert_eq!(jane["website"], "https://acme.example/jane");
    assert_eq!(jane["tag_list"], json!(["Customers", "VIP"]));
    assert_eq!(strings(jane, "emails", "address"), ["jane.doe@acme.example", "jane@home.example"]);
    assert_eq!(strings(jane, "phones", "number"), ["+1 555 0100", "+1 555 0101", "+1 555 0102"]);
    let a = &jane["address"];
    assert_eq!(
        (a["street"].as_str(), a["city"].as_str(), a["region"].as_str()),
        (Some("1 Main St"), Some("Springfield"), Some("IL"))
    );
    assert_eq!((a["postcode"].as_str(), a["country_code"].as_str()), (Some("62701"), Some("US")));
    assert_eq!(a["full_address"]["street2"], "Suite 4");
    assert_eq!(jane["projects"], json!([{"id": 1, "name": "Alpha"}]));
    assert_eq!(jane["author"]["id"], 1);
    // The search index, the counts and the list know them.
    let found = s.get("/contacts.json?search=acme");
    assert_eq!(found.json()["total_count"], 1, "{}", found.text());
    assert_eq!(s.get("/contacts.json").json()["total_count"], 2);
    assert_eq!(s.get("/projects/alpha/contacts.json?tags=VIP").json()["total_count"], 1);
}

#[test]
fn an_outlook_csv_in_windows_1252() {
    let s = Server::seeded();
    let r = upload(&s, "outlook.csv", &data("outlook.csv"), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    let all = all_contacts(&s);
    let f = by_first_name(&all, "François");
    assert_eq!((f["last_name"].as_str(), f["job_title"].as_str()), (Some("Lefèvre"), Some("Directeur commercial")));
    assert_eq!(f["company"], "Société Générale d'Exemple");
    assert_eq!(strings(f, "phones", "number"), ["+33 1 23 45 67 89", "+33 6 12 34 56 78"]);
    assert_eq!(strings(f, "emails", "address"), ["f.lefevre@exemple.fr"]);
    assert_eq!((f["address"]["city"].as_str(), f["address"]["country_code"].as_str()), (Some("Paris"), Some("FR")));
    assert_eq!((f["birthday"].as_str(), f["website"].as_str()), (Some("1970-03-21"), Some("www.exemple.fr")));
    assert_eq!(
        (f["background"].as_str(), f["tag_list"].clone()),
        (Some("Préfère le café."), json!(["Clients", "Paris"]))
    );
    let z = by_first_name(&all, "Zoë");
    assert_eq!(
        (z["last_name"].as_str(), z["birthday"].clone()),
        (Some("Ægir"), Value::Null),
        "Outlook's 0/0/00 is no date"
    );
    assert_eq!(
        (z["address"]["street"].as_str(), z["address"]["country_code"].as_str()),
        (Some("Storgata 1"), Some("NO"))
    );
}

#[test]
fn an_apple_vcard_with_item_groups_and_a_photo() {
    let s = Server::seeded();
    let r = upload(&s, "apple.vcf", &data("apple-3.0.vcf"), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["import"]["photos_dropped"], 1);
    let all = all_contacts(&s);
    let j = by_first_name(&all, "Johnny");
    assert_eq!((j["middle_name"].as_str(), j["last_name"].as_str()), (Some("Quincy"), Some("Appleseed")));
    assert_eq!((j["company"].as_str(), j["job_title"].as_str()), (Some("Orchard Supplies"), Some("Senior Engineer")));
    assert_eq!(strings(j, "emails", "address"), ["johnny@orchard.example", "j.appleseed@orchard.example"]);
    assert_eq!(strings(j, "phones", "number"), ["+1 408 555 0101", "+1 408 555 0102"]);
    let a = &j["address"];
    assert_eq!(
        (a["street"].as_str(), a["city"].as_str(), a["region"].as_str()),
        (Some("1 Infinite Loop"), Some("Cupertino"), Some("CA"))
    );
    assert_eq!((a["postcode"].as_str(), a["country_code"].as_str()), (Some("95014"), Some("US")));
    assert_eq!(a["full_address"]["street2"], "Building 4");
    assert_eq!(
        (j["birthday"].as_str(), j["website"].as_str()),
        (Some("1976-04-01"), Some("https://orchard.example/johnny"))
    );
    assert_eq!(j["background"], "Met at the developer conference.\nLikes apples, pears and plums.");
    assert_eq!(
        (j["tag_list"].clone(), j["skype_name"].as_str()),
        (json!(["vip", "partner"]), Some("johnny.appleseed"))
    );
    let company = by_first_name(&all, "Orchard Supplies");
    assert_eq!(company["is_company"], true);
    assert_eq!(strings(company, "emails", "address"), ["sales@orchard.example"]);
    // The company lists its employee (linked by name).
    let employees = s.get(&format!("/contacts/{}.json?include=contacts", company["id"])).json();
    assert_eq!(employees["contact"]["contacts"][0]["id"], j["id"]);
}

#[test]
fn an_android_2_1_vcard_with_quoted_printable_names() {
    let s = Server::seeded();
    let r = upload(&s, "android.vcf", &data("android-2.1.vcf"), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["import"]["created"], 3);
    let all = all_contacts(&s);
    let ivan = by_first_name(&all, "Иван");
    assert_eq!((ivan["middle_name"].as_str(), ivan["last_name"].as_str()), (Some("Петрович"), Some("Иванов")));
    assert_eq!((ivan["company"].as_str(), ivan["job_title"].as_str()), (Some("ООО «Ромашка»"), Some("Директор")));
    assert_eq!(ivan["background"], "Первая строка\nВторая");
    assert_eq!(strings(ivan, "phones", "number"), ["+7 912 345-67-89", "+7 495 123-45-67"]);
    assert_eq!(strings(ivan, "emails", "address"), ["ivan.ivanov@example.ru"]);
    assert_eq!(by_first_name(&all, "Jürgen")["last_name"], "Müller");
    assert_eq!(by_first_name(&all, "Käthe")["last_name"], "Größe");
    assert_eq!(s.get("/contacts.json?search=Иванов").json()["total_count"], 1);
}

#[test]
fn a_4_0_card_with_a_custom_field_and_an_organisation() {
    let s = Server::seeded();
    let r = upload(&s, "cards.vcf", &data("rfc6350-4.0.vcf"), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    let all = all_contacts(&s);
    let anna = by_first_name(&all, "Anna");
    assert_eq!((anna["middle_name"].as_str(), anna["last_name"].as_str()), (Some("Maria"), Some("Schmidt")));
    assert_eq!((anna["company"].as_str(), anna["job_title"].as_str()), (Some("Beispiel GmbH"), Some("CTO")));
    assert_eq!(strings(anna, "phones", "number"), ["+49-30-555-0100"]);
    assert_eq!(strings(anna, "emails", "address"), ["anna.schmidt@beispiel.example"]);
    assert_eq!(
        (anna["address"]["street"].as_str(), anna["address"]["country_code"].as_str()),
        (Some("Hauptstr. 1"), Some("DE"))
    );
    assert_eq!((anna["birthday"].as_str(), anna["skype_name"].as_str()), (Some("1980-05-15"), Some("anna.schmidt")));
    assert_eq!(
        (anna["background"].as_str(), anna["website"].as_str()),
        (Some("Speaks German and English."), Some("https://beispiel.example"))
    );
    assert_eq!(anna["tag_list"], json!(["lead", "conference 2024"]));
    assert_eq!(anna["custom_fields"], json!([{"id": 1, "name": "License", "value": "Gold"}]));
    assert_eq!(by_first_name(&all, "Beispiel GmbH")["is_company"], true);
}

#[test]
fn one_invalid_record_aborts_unless_skipped_and_the_report_names_it() {
    let s = Server::seeded();
    let file = "First Name,Last Name,Email\r\nAnn,Lee,ann@example.com\r\n,Nobody,x@example.com\r\nBob,Ray,not-an-email\r\nCy,Young,cy@example.com\r\n";
    let r = upload(&s, "people.csv", file.as_bytes(), &[]);
    assert_eq!(r.status, 422, "{}", r.text());
    let report = r.json()["import"].clone();
    assert_eq!(
        (report["total"].as_i64(), report["rejected"].as_i64(), report["written"].as_bool()),
        (Some(4), Some(2), Some(false))
    );
    assert_eq!(
        report["errors"],
        json!([{"line": 3, "card": null, "field": "First Name", "message": "cannot be blank"},
               {"line": 4, "card": null, "field": "Email", "message": "have incorrect format"}])
    );
    assert_eq!(s.get("/contacts.json").json()["total_count"], 0, "nothing written");
    let dry = upload(&s, "people.csv", file.as_bytes(), &[("dry_run", "1"), ("skip_invalid", "1")]);
    assert_eq!((dry.status, dry.json()["import"]["created"].as_i64()), (200, Some(0)));
    assert_eq!(s.get("/contacts.json").json()["total_count"], 0, "a dry run writes nothing");
    let r = upload(&s, "people.csv", file.as_bytes(), &[("skip_invalid", "1")]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["import"]["created"].as_i64(), r.json()["import"]["rejected"].as_i64()), (Some(2), Some(2)));
    assert_eq!(s.get("/contacts.json").json()["total_count"], 2);
}

#[test]
fn update_existing_matches_by_email_instead_of_adding_duplicates() {
    let s = Server::seeded();
    let id = s.create_contact(
        json!({"project_id": "beta", "first_name": "Ann", "email": "Ann@Example.com", "job_title": "Old"}),
    );
    let file = "First Name,Email,Job title,Tags\r\nAnn,ann@example.com,New,vip\r\nBo,bo@example.com,Chef,\r\n";
    let r = upload(&s, "people.csv", file.as_bytes(), &[("update_existing", "true")]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["import"]["created"].as_i64(), r.json()["import"]["updated"].as_i64()), (Some(1), Some(1)));
    let ann = s.get(&format!("/contacts/{id}.json")).json()["contact"].clone();
    assert_eq!((ann["job_title"].as_str(), ann["tag_list"].clone()), (Some("New"), json!(["vip"])));
    assert_eq!(ann["projects"], json!([{"id": 1, "name": "Alpha"}, {"id": 2, "name": "Beta"}]));
    assert_eq!(s.get("/contacts.json").json()["total_count"], 2);
}

#[test]
fn assignees_by_login_tags_and_custom_fields_by_name_and_a_column_map() {
    let s = Server::seeded();
    let file =
        "Vorname;Nachname;Assignee;License;Tags;Unknown\r\nAnn;Lee;jsmith;Gold;\"a, b\";x\r\nBo;Ray;nobody;;;\r\n";
    let r = upload(
        &s,
        "people.csv",
        file.as_bytes(),
        &[("skip_invalid", "1"), ("map[Vorname]", "first_name"), ("map[Nachname]", "last_name")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["import"]["errors"],
        json!([{"line": 3, "card": null, "field": "Assignee", "message": "is invalid"}])
    );
    let ann = &all_contacts(&s)[0];
    assert_eq!((ann["first_name"].as_str(), ann["last_name"].as_str()), (Some("Ann"), Some("Lee")));
    assert_eq!(ann["assigned_to"], json!({"id": 2, "name": "John Smith"}));
    assert_eq!(ann["tag_list"], json!(["a", "b"]));
    assert_eq!(ann["custom_fields"], json!([{"id": 1, "name": "License", "value": "Gold"}]));
}

#[test]
fn files_that_are_not_what_they_claim_write_nothing_and_name_the_line() {
    let s = Server::seeded();
    let cases: [(&str, Vec<u8>, u64); 5] = [
        ("binary.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\x00\x9f\x92\x96\r\nEND:VCARD\r\n".to_vec(), 3),
        (
            "cut.vcf",
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A B\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:C D\r\n".to_vec(),
            5,
        ),
        ("ragged.csv", b"First Name,Last Name\r\nAnn,Lee\r\nBob\r\n".to_vec(), 3),
        ("unknown.csv", b"Foo,Bar\r\n1,2\r\n".to_vec(), 1),
        ("long.csv", [b"First Name\r\nAnn\r\n".to_vec(), vec![b'x'; 9 * 1024 * 1024]].concat(), 3),
    ];
    for (name, bytes, line) in cases {
        let r = upload(&s, name, &bytes, &[("skip_invalid", "1")]);
        assert_eq!(r.status, 422, "{name}: {}", r.text());
        let report = r.json()["import"].clone();
        assert_eq!(report["errors"][0]["line"].as_u64(), Some(line), "{name}: {report}");
        assert_eq!(report["written"], false, "{name}");
    }
    assert_eq!(s.get("/contacts.json").json()["total_count"], 0);
}

#[test]
fn imports_need_import_contacts_and_a_project_and_big_uploads_get_413() {
    let s = Server::seeded();
    let file = b"First Name\r\nAnn\r\n";
    assert_eq!(upload_as(&s, JSMITH_KEY, "a.csv", file, &[]).status, 403);
    let (content_type, body) = multipart(&[("project_id", "nowhere")], "a.csv", file);
    let r = s.raw(
        "POST",
        "/contacts/import.json",
        &[("X-Redmine-API-Key", ADMIN_KEY), ("Content-Type", &content_type)],
        &body,
    );
    assert_eq!(r.status, 404);
    // The file as the body itself, the rest in the query.
    let r = s.raw(
        "POST",
        "/contacts/import.json?project_id=alpha",
        &[("X-Redmine-API-Key", ADMIN_KEY), ("Content-Type", "text/csv")],
        file,
    );
    assert_eq!((r.status, r.json()["import"]["created"].as_i64()), (200, Some(1)), "{}", r.text());
    let limits = contacts::config::Limits { max_import_bytes: 4096, ..Default::default() };
    let small = Server::start_with(limits);
    let big = vec![b'a'; 8192];
    let (content_type, body) = multipart(&[("project_id", "1")], "big.csv", &big);
    let r = small.raw(
        "POST",
        "/contacts/import.json",
        &[("X-Redmine-API-Key", ADMIN_KEY), ("Content-Type", &content_type)],
        &body,
    );
    assert_eq!(r.status, 413);
}
