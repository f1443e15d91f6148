//! The import and export pages over HTTP: a file uploaded through the page's multipart form
//! (CSRF token, project, the API's options) goes through the API's importer and comes back as
//! a report naming every refused record; the contact list downloads as CSV or vCard with the
//! page's filters, only for users the API lets export, and only as a page request.

use serde_json::json;

use crate::client::{csrf, Browser, ACCEPT_HTML};
use crate::common::{Server, ADMIN_PASSWORD};

const PEOPLE_CSV: &str = "First Name,Last Name,Email\nAda,Lovelace <b>,ada@example.net\nBad,Mail,not-an-email\n";

fn signed_in(s: &Server, login: &str, password: &str) -> Browser {
    let mut b = Browser::new(s.addr);
    assert_eq!(b.log_in(login, password).status, 303);
    b
}

fn admin(s: &Server) -> Browser {
    signed_in(s, "admin", ADMIN_PASSWORD)
}

/// A new user with `view_contacts` and `permission` in project beta, signed in (its API key
/// is `digit` forty times).
fn member_of_beta(s: &Server, login: &str, digit: char, permission: &str) -> Browser {
    s.user_with(login, &digit.to_string().repeat(40), &[(2, &["view_contacts", permission])]);
    signed_in(s, login, "secret-123")
}

fn names(s: &Server) -> Vec<String> {
    let list = s.get("/contacts.json?sort=id&limit=100").json();
    list["contacts"].as_array().unwrap().iter().map(|c| c["first_name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_file_imported_from_the_page_shows_the_report_with_every_refused_record() {
    let s = Server::seeded();
    let mut b = admin(&s);
    let form = b.get("/contacts/import");
    assert_eq!(form.status, 200);
    let html = form.text();
    assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");
    for label in [">File</label>", ">Project</label>", ">Format</label>", "Skip invalid records", "Dry run"] {
        assert!(html.contains(label), "no {label}");
    }
    assert!(html.contains(">Import</button>"));
    let token = csrf(&html);
    let csv = ("people.csv", PEOPLE_CSV.as_bytes());

    // All or nothing by default: the report names the refused record, nothing is written.
    let refused = b.post_multipart("/contacts/import", &[("authenticity_token", &token), ("project_id", "1")], csv);
    assert_eq!(refused.status, 422, "{}", refused.text());
    let report = refused.text();
    assert!(report.contains("Import report") && report.contains("Nothing was written."), "{report}");
    assert!(report.contains("<td data-label=\"Line\">3</td>"), "{report}");
    assert!(report.contains("<td data-label=\"Field\">Email</td>"), "{report}");
    assert!(report.contains("have incorrect format"), "{report}");
    assert!(names(&s).is_empty());

    // A dry run checks only.
    let options = [("authenticity_token", token.as_str()), ("project_id", "1"), ("skip_invalid", "1")];
    let mut dry = options.to_vec();
    dry.push(("dry_run", "1"));
    let checked = b.post_multipart("/contacts/import", &dry, csv);
    assert_eq!(checked.status, 200, "{}", checked.text());
    assert!(checked.text().contains("Dry run: nothing was written."));
    assert!(names(&s).is_empty());

    // Skipping invalid records imports the rest; the values are escaped on the pages.
    let done = b.post_multipart("/contacts/import", &options, csv);
    assert_eq!(done.status, 200, "{}", done.text());
    let report = done.text();
    assert!(report.contains("The import was written."), "{report}");
    assert!(report.contains("<dt>Created</dt><dd>1</dd>") && report.contains("<dt>Refused</dt><dd>1</dd>"));
    assert_eq!(names(&s), ["Ada"]);
    let list = b.get("/contacts").text();
    assert!(list.contains("Ada Lovelace &#60;b&#62;") && !list.contains("Lovelace <b>"), "{list}");

    // A vCard file, updating the contact with the same e-mail instead of adding a duplicate.
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Augusta;;;\r\nFN:Augusta Lovelace\r\nEMAIL:ada@example.net\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nN:Babbage;Charles;;;\r\nFN:Charles Babbage\r\nEND:VCARD\r\n";
    let mut update = options.to_vec();
    update.push(("update_existing", "1"));
    let cards = b.post_multipart("/contacts/import", &update, ("cards.vcf", card.as_bytes()));
    assert_eq!(cards.status, 200, "{}", cards.text());
    assert!(cards.text().contains("<dt>Updated</dt><dd>1</dd>") && cards.text().contains("<dt>Created</dt><dd>1</dd>"));
    assert_eq!(names(&s), ["Augusta", "Charles"]);

    // The form's own checks: a project, the CSRF token.
    let blank = b.post_multipart("/contacts/import", &[("authenticity_token", &token), ("project_id", "")], csv);
    assert_eq!(blank.status, 422);
    assert!(blank.text().contains("Project cannot be blank"));
    let forged = b.post_multipart("/contacts/import", &[("authenticity_token", "forged"), ("project_id", "1")], csv);
    assert_eq!(forged.status, 422);
    assert_eq!(names(&s).len(), 2);
}

#[test]
fn only_users_the_api_lets_import_get_the_import_page() {
    let s = Server::seeded();
    let mut b = signed_in(&s, "jsmith", "jsmith123");
    assert!(!b.get("/contacts").text().contains("/contacts/import"));
    assert_eq!(b.get("/contacts/import").status, 403);
    let mut i = member_of_beta(&s, "importer", '2', "import_contacts");
    let form = i.get("/contacts/import").text();
    assert!(form.contains(">Beta</option>") && !form.contains(">Alpha</option>"), "{form}");
    // Project alpha is not one of the importer's: the API's rule answers.
    let token = csrf(&form);
    let r = i.post_multipart(
        "/contacts/import",
        &[("authenticity_token", &token), ("project_id", "1")],
        ("a.csv", PEOPLE_CSV.as_bytes()),
    );
    assert_eq!(r.status, 403);
    assert!(names(&s).is_empty());
}

#[test]
fn the_filtered_list_downloads_as_csv_or_vcard_for_users_who_may_export() {
    let s = Server::seeded();
    s.create_contact(json!({"first_name": "Grace", "last_name": "Hopper", "project_id": "beta", "tag_list": "navy"}));
    s.create_contact(json!({"first_name": "Alan", "last_name": "Turing", "project_id": "beta"}));
    s.create_contact(json!({"first_name": "Hidden", "last_name": "Alpha", "project_id": "alpha", "tag_list": "navy"}));
    let mut b = admin(&s);
    let list = b.get("/contacts?tags=navy&sort=last_name").text();
    let csv_link = "/contacts/export?file=csv&#38;tags=navy&#38;sort=last_name";
    assert!(list.contains(csv_link) && list.contains(">Export CSV</a>"), "{list}");
    let csv = b.get(&csv_link.replace("&#38;", "&"));
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.header("content-disposition").unwrap().contains("contacts.csv"));
    assert_eq!(csv.header("cache-control"), Some("no-store"));
    let text = csv.text();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(rows[1].contains("Alpha") && rows[2].contains("Hopper") && !text.contains("Turing"), "{text}");
    let cards = b.get("/projects/beta/contacts/export?file=vcf4");
    assert_eq!(cards.status, 200);
    let cards = cards.text();
    assert_eq!(cards.matches("BEGIN:VCARD").count(), 2, "{cards}");
    assert!(cards.contains("VERSION:4.0") && cards.contains("Hopper") && !cards.contains("Hidden"));
    // Without a format: a page to choose one, the filters kept.
    let choose = b.get("/contacts/export?search=grace").text();
    assert!(choose.contains("name=\"search\" value=\"grace\"") && choose.contains(">Export</button>"), "{choose}");

    // A viewer without export_contacts: no links, and the download is refused as the API's.
    let mut v = signed_in(&s, "jsmith", "jsmith123");
    assert!(!v.get("/contacts").text().contains("Export CSV"));
    assert_eq!(v.get("/contacts/export?file=csv").status, 403);
    // With export_contacts in beta: beta's contacts only.
    let mut e = member_of_beta(&s, "exporter", '3', "export_contacts");
    let mine = e.get("/contacts/export?file=csv").text();
    assert!(mine.contains("Hopper") && mine.contains("Turing") && !mine.contains("Hidden"), "{mine}");

    // The session cookie never opens the API's own file routes.
    let cookie: String = e.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let api = crate::common::send(s.addr, "GET", "/contacts.csv", &[("Cookie", &cookie)], None).unwrap();
    assert_eq!(api.status, 401);
    let with_accept = [("Cookie", cookie.as_str()), ("Accept", ACCEPT_HTML)];
    let api = crate::common::send(s.addr, "GET", "/contacts.csv?key=", &with_accept, None).unwrap();
    assert_eq!(api.status, 401);
    assert_ne!(e.get("/contacts.csv").status, 200);
}
