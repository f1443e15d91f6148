//! The CRM pages over HTTP, as the administrator uses them after logging in: the contact list's
//! filters, sort and paging; a contact's page (details, custom fields, notes, deals, possible
//! duplicates) with a note added, an edit and a delete; deals as a list, a board with totals
//! per currency and a page with notes, created, edited and deleted through the forms; the
//! password change of My account; a tag deleted on the tags page. Every write is checked
//! through the API.

use serde_json::json;

use crate::client::{csrf, Browser};
use crate::common::{Resp, Server, ADMIN_PASSWORD};

fn admin(s: &Server) -> Browser {
    let mut b = Browser::new(s.addr);
    assert_eq!(b.log_in("admin", ADMIN_PASSWORD).status, 303);
    b
}

#[track_caller]
fn redirected_to(r: &Resp) -> String {
    assert_eq!(r.status, 303, "{}", r.text());
    r.header("location").unwrap().to_string()
}

/// Posts the note form of a contact's or deal's page (`source` "Contact" or "Deal").
fn post_note(b: &mut Browser, token: &str, source: &str, id: i64, content: &str, type_id: &str) -> Resp {
    let id = id.to_string();
    let fields = [
        ("authenticity_token", token),
        ("source_type", source),
        ("source_id", &id),
        ("note[content]", content),
        ("note[type_id]", type_id),
    ];
    b.post("/notes", &fields)
}

/// The names of the list's rows, in order.
fn row_names(html: &str) -> Vec<String> {
    html.split("<a class=\"name\" href=\"/contacts/")
        .skip(1)
        .filter_map(|rest| Some(rest.split_once('>')?.1.split('<').next()?.to_string()))
        .collect()
}

#[test]
fn the_contact_list_filters_sorts_and_pages() {
    let s = Server::seeded();
    for i in 0..30 {
        let tag = if i % 3 == 0 { "vip" } else { "lead" };
        let assignee = if i % 5 == 0 { json!(2) } else { json!(null) };
        s.create_contact(json!({"project_id": if i < 20 { "alpha" } else { "beta" }, "first_name": format!("P{i:02}"),
            "last_name": format!("Last{:02}", 29 - i), "tag_list": tag, "assigned_to_id": assignee}));
    }
    s.create_contact(json!({"project_id": "alpha", "first_name": "Zeta Corp", "is_company": true}));
    let mut b = admin(&s);
    let first = b.get("/contacts?sort=first_name").text();
    assert!(first.contains("1–25 of 31 contacts"), "{first}");
    assert_eq!(row_names(&first)[..3], ["P00 Last29", "P01 Last28", "P02 Last27"]);
    let second = b.get("/contacts?sort=first_name&page=2").text();
    assert!(second.contains("26–31 of 31 contacts"));
    assert_eq!(row_names(&second).len(), 6);
    let desc = b.get("/contacts?sort=name:desc&is_company=0").text();
    assert!(desc.contains("aria-sort=\"descending\""));
    assert_eq!(row_names(&desc)[0], "P29 Last00");
    assert!(b.get("/contacts?tags=vip").text().contains("1–10 of 10 contacts"));
    assert!(b.get("/contacts?assigned_to_id=2").text().contains("1–6 of 6 contacts"));
    assert!(b.get("/contacts?project_id=2").text().contains("1–10 of 10 contacts"));
    assert!(b.get("/projects/beta/contacts").text().contains("1–10 of 10 contacts"));
    let companies = b.get("/contacts?is_company=1").text();
    assert_eq!(row_names(&companies), ["Zeta Corp"]);
    assert!(b.get("/contacts?search=last0").text().contains("1–10 of 10 contacts"));
}

#[test]
fn a_contact_page_shows_everything_takes_notes_and_is_edited_and_deleted() {
    let s = Server::seeded();
    let ada = s.create_contact(json!({"project_id": "alpha", "first_name": "Ada", "last_name": "Lovelace",
        "job_title": "Analyst", "email": "ada@example.net", "phone": "+44 20 0000", "tag_list": "maths, vip",
        "address_attributes": {"street1": "12 St James's Square", "city": "London", "country_code": "GB"},
        "custom_fields": [{"id": 1, "value": "Gold"}]}));
    let same_name = s.create_contact(json!({"project_id": "alpha", "first_name": "ADA", "last_name": "lovelace"}));
    let same_mail =
        s.create_contact(json!({"project_id": "beta", "first_name": "Augusta", "email": "ada@example.net"}));
    let status = s.post_json(
        "/deal_statuses.json",
        json!({"deal_status": {"name": "Open", "status_type": 0, "is_default": true}}),
    );
    assert_eq!(status.status, 201, "{}", status.text());
    let deal =
        s.post_json("/deals.json", json!({"deal": {"project_id": "alpha", "name": "Engine notes", "contact_id": ada}}));
    assert_eq!(deal.status, 201, "{}", deal.text());
    let mut b = admin(&s);
    let page = b.get(&format!("/contacts/{ada}"));
    assert_eq!(page.status, 200);
    let html = page.text();
    for shown in [
        "Analyst",
        "ada@example.net",
        "+44 20 0000",
        "London",
        "United Kingdom",
        "maths",
        "Gold",
        "Alpha",
        "Engine notes",
    ] {
        assert!(html.contains(shown), "no {shown} on the page");
    }
    // Possible duplicates: loaded by htmx after the page, or a page of their own without it.
    assert!(html.contains(&format!("hx-get=\"/contacts/{ada}/duplicates\"")));
    let path = format!("/contacts/{ada}/duplicates");
    let list = b.request("GET", &path, &[("HX-Request", "true"), ("HX-Target", "duplicates-list")], b"").text();
    assert!(list.starts_with("<div id=\"duplicates-list\">"), "{list}");
    let page = b.get(&path).text();
    for dups in [&list, &page] {
        assert!(
            dups.contains(&format!("href=\"/contacts/{same_name}\""))
                && dups.contains(&format!("href=\"/contacts/{same_mail}\""))
        );
    }
    assert!(page.contains("Possible duplicates of Ada Lovelace") && page.contains("<html"));

    // A note, posted without JavaScript: back to the page, in the timeline.
    let token = csrf(&html);
    let note = post_note(&mut b, &token, "Contact", ada, "Met <at> the exhibition", "2");
    assert_eq!(redirected_to(&note), format!("/contacts/{ada}#notes"));
    let html = b.get(&format!("/contacts/{ada}")).text();
    assert!(html.contains("Met &#60;at&#62; the exhibition") && html.contains("Note added."), "{html}");
    let empty = post_note(&mut b, &token, "Contact", ada, "", "");
    assert_eq!(empty.status, 422);

    // The edit form holds the values; an update goes through.
    let edit = b.get(&format!("/contacts/{ada}/edit")).text();
    assert!(edit.contains("value=\"Lovelace\"") && edit.contains("value=\"London\""));
    let updated = b.post(
        &format!("/contacts/{ada}"),
        &[
            ("authenticity_token", &token),
            ("_method", "put"),
            ("contact[first_name]", "Augusta Ada"),
            ("contact[last_name]", "King"),
            ("contact[email]", "ada@example.net"),
        ],
    );
    assert_eq!(redirected_to(&updated), format!("/contacts/{ada}"));
    assert_eq!(s.get(&format!("/contacts/{ada}.json")).json()["contact"]["last_name"], "King");

    // Delete, after a confirmation page.
    let confirm = b.get(&format!("/contacts/{same_name}/delete")).text();
    assert!(confirm.contains(">Delete</button>"), "{confirm}");
    let deleted = b.post(&format!("/contacts/{same_name}"), &[("authenticity_token", &token), ("_method", "delete")]);
    assert_eq!(redirected_to(&deleted), "/contacts");
    assert_eq!(s.get(&format!("/contacts/{same_name}.json")).status, 404);
}

#[test]
fn deals_have_a_list_a_board_with_totals_per_currency_pages_with_notes_and_forms() {
    let s = Server::seeded();
    let status = |name: &str, kind: i64| {
        let r = s.post_json(
            "/deal_statuses.json",
            json!({"deal_status": {"name": name, "status_type": kind, "is_default": kind == 0}}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["deal_status"]["id"].as_i64().unwrap()
    };
    let (open, won) = (status("Pending", 0), status("Won", 1));
    let contact = s.create_contact(json!({"project_id": "alpha", "first_name": "Acme Corp", "is_company": true}));
    for (name, price, currency, st) in [
        ("Redesign", "12000", "EUR", open),
        ("Hosting", "500", "USD", open),
        ("Audit", "1000", "EUR", open),
        ("Support", "3000.5", "EUR", won),
    ] {
        let r = s.post_json(
            "/deals.json",
            json!({"deal": {"project_id": "alpha", "name": name, "price": price,
            "currency": currency, "status_id": st, "contact_id": contact}}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let mut b = admin(&s);
    let board = b.get("/deals/board").text();
    let open_column = board.split("<section class=\"column\"").nth(1).unwrap();
    assert!(open_column.contains("13,000.00 EUR") && open_column.contains("500.00 USD"), "{open_column}");
    assert!(open_column.contains("3 deals"));
    let won_column = board.split("<section class=\"column\"").nth(2).unwrap();
    assert!(won_column.contains("3,000.50 EUR") && won_column.contains("Support"));
    let list = b.get("/deals?status_id=*").text();
    assert!(list.contains("1–4 of 4 deals") && list.contains("Redesign"), "{list}");

    // A new deal through the form; a bad one gets Redmine's message.
    let form = b.get("/deals/new").text();
    let token = csrf(&form);
    let bad = b.post("/deals", &[("authenticity_token", &token), ("deal[name]", ""), ("deal[project_id]", "1")]);
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("Name cannot be blank"));
    let made = b.post(
        "/deals",
        &[
            ("authenticity_token", &token),
            ("deal[name]", "Training"),
            ("deal[project_id]", "1"),
            ("deal[price]", "800"),
            ("deal[currency]", "EUR"),
            ("deal[contact_id]", &contact.to_string()),
            ("deal[status_id]", &open.to_string()),
        ],
    );
    let path = redirected_to(&made);
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    let page = b.get(&path).text();
    assert!(page.contains("Training") && page.contains("Acme Corp") && page.contains("800"), "{page}");
    // A note on the deal, an edit, a delete.
    let note = post_note(&mut b, &token, "Deal", id, "Sent the offer", "");
    assert_eq!(redirected_to(&note), format!("/deals/{id}#notes"));
    assert!(b.get(&path).text().contains("Sent the offer"));
    assert!(b.get(&format!("/deals/{id}/edit")).text().contains("value=\"Training\""));
    let edited = b.post(
        &path,
        &[
            ("authenticity_token", &token),
            ("_method", "put"),
            ("deal[name]", "Training, two days"),
            ("deal[status_id]", &won.to_string()),
        ],
    );
    assert_eq!(redirected_to(&edited), path);
    let api = s.get(&format!("/deals/{id}.json")).json();
    assert_eq!(
        (api["deal"]["name"].as_str(), api["deal"]["status"]["id"].as_i64()),
        (Some("Training, two days"), Some(won))
    );
    assert!(b.get(&format!("/deals/{id}/delete")).text().contains(">Delete</button>"));
    let deleted = b.post(&path, &[("authenticity_token", &token), ("_method", "delete")]);
    assert_eq!(redirected_to(&deleted), "/deals");
    assert_eq!(s.get(&format!("/deals/{id}.json")).status, 404);
}

#[test]
fn my_account_changes_the_password_and_tags_are_deleted_on_their_page() {
    let s = Server::seeded();
    s.create_contact(json!({"first_name": "Tagged", "project_id": "alpha", "tag_list": "old"}));
    let mut b = admin(&s);
    let account = b.get("/my/account").text();
    let token = csrf(&account);
    let change = |b: &mut Browser, current: &str, new: &str, again: &str| {
        b.post(
            "/my/password",
            &[
                ("authenticity_token", &token),
                ("password", current),
                ("new_password", new),
                ("new_password_confirmation", again),
            ],
        )
    };
    let wrong = change(&mut b, "not it", "brand-new-pass-1", "brand-new-pass-1");
    assert_eq!(wrong.status, 422);
    assert!(wrong.text().contains("Current password is invalid"));
    let mismatch = change(&mut b, ADMIN_PASSWORD, "brand-new-pass-1", "brand-new-pass-2");
    assert_eq!(mismatch.status, 422);
    assert!(
        mismatch.text().contains("doesn&#39;t match confirmation") || mismatch.text().contains("match confirmation")
    );
    assert_eq!(redirected_to(&change(&mut b, ADMIN_PASSWORD, "brand-new-pass-1", "brand-new-pass-1")), "/my/account");
    assert_eq!(b.get("/my/account").status, 200, "this session goes on");
    let mut other = Browser::new(s.addr);
    assert_eq!(other.log_in("admin", ADMIN_PASSWORD).status, 422);
    assert_eq!(other.log_in("admin", "brand-new-pass-1").status, 303);

    let tags = s.get("/contacts_tags.json").json();
    let id = tags["tags"][0]["id"].to_string();
    assert!(b.get("/contacts_tags").text().contains("value=\"old\""));
    let deleted = b.post(&format!("/contacts_tags/{id}"), &[("authenticity_token", &token), ("_method", "delete")]);
    assert_eq!(deleted.status, 303, "{}", deleted.text());
    assert_eq!(s.get("/contacts_tags.json").json()["tags"].as_array().map(Vec::len), Some(0));
}
