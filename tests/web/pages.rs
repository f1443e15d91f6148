//! Page requests over real HTTP: logging in and out, sessions in the database (they survive a
//! restart), CSRF tokens, the security headers, what decides between a page and an API request
//! (a session cookie never authenticates an API request), and that pages show and do only
//! what the API allows the signed-in user.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::{csrf, Browser};
use crate::common::{Server, ADMIN_KEY, ADMIN_PASSWORD, JSMITH_KEY};

fn header<'r>(r: &'r crate::common::Resp, name: &str) -> &'r str {
    r.header(name).unwrap_or_else(|| panic!("no {name} header: {:?}", r.headers))
}

#[test]
fn a_browser_logs_in_creates_a_contact_with_the_form_and_logs_out() {
    let s = Server::seeded();
    let mut b = Browser::new(s.addr);
    let start = b.get("/");
    assert_eq!((start.status, header(&start, "location")), (303, "/login"));
    let form = b.get("/login");
    assert_eq!(form.status, 200);
    assert!(header(&form, "set-cookie").contains("HttpOnly; SameSite=Lax"));
    for (name, value) in [("x-frame-options", "DENY"), ("x-content-type-options", "nosniff")] {
        assert_eq!(header(&form, name), value);
    }
    assert!(header(&form, "content-security-policy").contains("script-src 'self'"));

    let wrong = b.log_in("admin", "not the password");
    assert_eq!(wrong.status, 422);
    assert!(wrong.text().contains("Invalid user or password"));
    let login = b.log_in("admin", ADMIN_PASSWORD);
    assert_eq!((login.status, header(&login, "location")), (303, "/contacts"));
    let cookie =
        login.headers.iter().find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("contacts_session="));
    let cookie = cookie.map(|(_, v)| v.as_str()).expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");

    let new = b.get("/contacts/new");
    assert_eq!(new.status, 200);
    let token = csrf(&new.text());
    for label in [
        "First name",
        "Last name",
        "Middle name",
        "Company",
        "Job title",
        "Phone",
        "Email",
        "Website",
        "Skype",
        "Birthday",
        "Tags",
        "Background",
        "Is a company",
        "Project",
        "Assigned to",
        "Visibility",
    ] {
        assert!(
            new.text().contains(&format!(">{label}</label>")) || new.text().contains(&format!("> {label}</label>")),
            "no label {label}"
        );
    }
    let fields = [
        ("authenticity_token", token.as_str()),
        ("contact[first_name]", "Ada"),
        ("contact[last_name]", "Lovelace <script>"),
        ("contact[email]", "ada@example.net"),
        ("contact[project_id]", "1"),
        ("contact[tag_list]", "vip, maths"),
        ("contact[address_attributes][city]", "London"),
    ];
    let created = b.post("/contacts", &fields);
    assert_eq!(created.status, 303, "{}", created.text());
    let location = header(&created, "location").to_string();
    let page = b.get(&location);
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Ada Lovelace &#60;script&#62;") && !html.contains("Lovelace <script>"), "escaped");
    assert!(html.contains("Successful creation.") && html.contains("London") && html.contains("maths"));
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    let api = s.get(&format!("/contacts/{id}.json")).json();
    assert_eq!(api["contact"]["emails"][0]["address"], "ada@example.net");

    // A bad e-mail: Redmine's message next to the field, nothing written.
    let edit = b.get(&format!("/contacts/{id}/edit"));
    let token = csrf(&edit.text());
    let bad = b.post(&location, &[("authenticity_token", &token), ("_method", "put"), ("contact[email]", "nobody")]);
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("<div id=\"email-error\"><p class=\"error\">Email have incorrect format</p>"));
    assert_eq!(s.get(&format!("/contacts/{id}.json")).json()["contact"]["emails"][0]["address"], "ada@example.net");

    // Without its token a form changes nothing.
    let forged = b.post(&location, &[("_method", "delete")]);
    assert_eq!(forged.status, 422);
    assert!(forged.text().contains("Invalid form authenticity token."));
    assert_eq!(s.get(&format!("/contacts/{id}.json")).status, 200);

    let token = csrf(&b.get("/contacts").text());
    let out = b.post("/logout", &[("authenticity_token", &token)]);
    assert_eq!((out.status, header(&out, "location")), (303, "/login"));
    let after = b.get("/contacts");
    assert_eq!(after.status, 303, "the session ended");
    assert!(header(&after, "location").starts_with("/login?back="));
}

#[test]
fn api_requests_stay_api_requests_whatever_cookie_they_carry() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"first_name": "Kim", "project_id": "alpha"}));
    let mut b = Browser::new(s.addr);
    assert_eq!(b.log_in("admin", ADMIN_PASSWORD).status, 303);
    let cookie: String = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    // A session cookie never authenticates an API request.
    for path in ["/contacts.json", "/contacts.xml", "/contacts?format=json"] {
        let with = s.raw("GET", path, &[("Accept", crate::client::ACCEPT_HTML), ("Cookie", &cookie)], b"");
        let without = s.raw("GET", path, &[], b"");
        assert_eq!((with.status, &with.body), (without.status, &without.body), "{path}");
        assert!(!with.text().contains("Kim"), "{path}");
    }
    // No Accept, */* or JSON: the API, as before.
    for accept in ["*/*", "application/json", "application/json, text/html"] {
        let with = s.raw("GET", "/contacts", &[("Accept", accept), ("Cookie", &cookie)], b"");
        let without = s.raw("GET", "/contacts", &[("Accept", accept)], b"");
        assert_eq!((with.status, &with.body), (without.status, &without.body), "{accept}");
        assert_ne!(with.header("content-type"), Some("text/html; charset=utf-8"));
    }
    // An API key makes a browser's request an API request.
    let r = s.raw("GET", "/contacts", &[("Accept", crate::client::ACCEPT_HTML), ("X-Redmine-API-Key", ADMIN_KEY)], b"");
    // (A browser's Accept names XML and not JSON: the API answers XML, as it always has.)
    assert_eq!(header(&r, "content-type"), "application/xml; charset=utf-8");
    assert!(r.text().contains(&format!("<contact><id>{id}</id>")), "{}", r.text());
    let r = b.get(&format!("/contacts?key={ADMIN_KEY}"));
    assert!(r.text().contains("total_count=\"1\""), "{}", r.text());
    // The plugin's public web form, posted by a browser from another site, with its key.
    let form = format!(
        "key={ADMIN_KEY}&project_id=alpha&contact[first_name]=Lead&redirect_on_success={}",
        "https%3A%2F%2Fexample.com%2Fthanks"
    );
    let r = b.request("POST", "/contacts", &[("Content-Type", "application/x-www-form-urlencoded")], form.as_bytes());
    assert_eq!((r.status, header(&r, "location")), (302, "https://example.com/thanks"));
    // The same browser gets pages.
    let page = b.get("/contacts");
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert!(page.text().contains("Lead") && page.text().contains("Kim"));
}

#[test]
fn sessions_are_kept_in_the_database_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("contacts.db");
    let mut first = Server::start_on(db.clone(), 1 << 20);
    first.put_json("/users/1.json", json!({"user": {"password": ADMIN_PASSWORD}}));
    let mut b = Browser::new(first.addr);
    assert_eq!(b.log_in("admin", ADMIN_PASSWORD).status, 303);
    assert_eq!(b.get("/my/account").status, 200);
    first.stop();
    let second = Server::start_on(db, 1 << 20);
    b.addr = second.addr;
    let account = b.get("/my/account");
    assert_eq!(account.status, 200, "still signed in after the restart");
    assert!(account.text().contains(ADMIN_KEY));
    // A new API key, through the form: the old one stops working at once.
    let token = csrf(&account.text());
    assert_eq!(b.post("/my/api_key", &[("authenticity_token", &token)]).status, 303);
    assert_eq!(second.get("/users/current.json").status, 401);
}

#[test]
fn pages_show_and_do_only_what_the_api_allows() {
    let s = Server::seeded();
    let hidden = s.create_contact(json!({"first_name": "Hidden", "last_name": "Alpha", "project_id": "alpha"}));
    let shown = s.create_contact(json!({"first_name": "Shown", "last_name": "Beta", "project_id": "beta"}));
    let mut b = Browser::new(s.addr);
    assert_eq!(b.log_in("jsmith", "jsmith123").status, 303);
    let list = b.get("/contacts").text();
    assert!(list.contains("Shown Beta") && !list.contains("Hidden Alpha"), "{list}");
    assert!(!list.contains("New contact"), "a viewer adds no contacts");
    let search = b.get("/contacts?search=alpha").text();
    assert!(search.contains("No contacts found"));
    assert_eq!(b.get(&format!("/contacts/{hidden}")).status, 403);
    assert_eq!(b.get(&format!("/contacts/{hidden}/duplicates")).status, 403);
    assert_eq!(b.get(&format!("/contacts/{shown}")).status, 200);
    assert_eq!(b.get(&format!("/contacts/{shown}/edit")).status, 403);
    assert_eq!(b.get("/admin").status, 403);
    assert_eq!(b.get("/users").status, 403);
    // A forged form does no more than the API would.
    let token = csrf(&b.get(&format!("/contacts/{shown}")).text());
    let r = b.post(
        "/contacts",
        &[("authenticity_token", &token), ("contact[first_name]", "X"), ("contact[project_id]", "2")],
    );
    assert_eq!(r.status, 403);
    let r = b.post(&format!("/contacts/{shown}"), &[("authenticity_token", &token), ("_method", "delete")]);
    assert_eq!(r.status, 403);
    assert_eq!(s.get(&format!("/contacts/{shown}.json")).status, 200);
    // A note needs edit_contacts or add_notes on the contact.
    let r = b.post(
        "/notes",
        &[
            ("authenticity_token", &token),
            ("source_type", "Contact"),
            ("source_id", &shown.to_string()),
            ("note[content]", "hi"),
        ],
    );
    assert_eq!(r.status, 403);
    let _ = JSMITH_KEY;
}

#[test]
fn the_htmx_search_answers_the_results_alone() {
    let s = Server::seeded();
    for (first, last) in [("Grace", "Hopper"), ("Alan", "Turing")] {
        s.create_contact(json!({"first_name": first, "last_name": last, "project_id": "alpha"}));
    }
    let mut b = Browser::new(s.addr);
    b.log_in("admin", ADMIN_PASSWORD);
    let r = b.request("GET", "/contacts?search=hopp", &[("HX-Request", "true"), ("HX-Target", "results")], b"");
    let html = r.text();
    assert!(html.starts_with("<div id=\"results\""), "{html}");
    assert!(html.contains("Grace Hopper") && !html.contains("Alan Turing") && !html.contains("<html"));
    assert!(html.contains("1–1 of 1 contacts"));
    assert!(header(&r, "vary").contains("HX-Target"));
}

#[test]
fn failed_logins_are_slowed_down() {
    let s = Server::seeded();
    let mut b = Browser::new(s.addr);
    for _ in 0..5 {
        assert_eq!(b.log_in("admin", "wrong").status, 422);
    }
    let started = Instant::now();
    assert_eq!(b.log_in("admin", "wrong").status, 422);
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
}

#[test]
fn cookies_are_secure_behind_a_tls_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let served = crate::process::Served::start_with(&dir.path().join("c.db"), &["--behind-proxy"]);
    let mut b = Browser::new(served.addr);
    let r = b.get("/login");
    assert!(header(&r, "set-cookie").ends_with("; Secure"), "{:?}", r.headers);
}

#[test]
fn administrators_manage_projects_users_roles_fields_statuses_and_tags_through_the_pages() {
    let s = Server::seeded();
    s.create_contact(json!({"first_name": "Tagged", "project_id": "alpha", "tag_list": "hot, warm"}));
    let mut b = Browser::new(s.addr);
    b.log_in("admin", ADMIN_PASSWORD);
    for path in ["/admin", "/projects", "/users", "/roles", "/custom_fields", "/deal_statuses", "/contacts_tags"] {
        assert_eq!(b.get(path).status, 200, "{path}");
    }
    let token = csrf(&b.get("/projects/new").text());
    let t = token.as_str();
    // A project with one module; a blank name is refused with Redmine's message.
    let bad = b.post("/projects", &[("authenticity_token", t), ("project[name]", ""), ("project[identifier]", "x")]);
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("Name cannot be blank"));
    let made = b.post(
        "/projects",
        &[
            ("authenticity_token", t),
            ("project[name]", "Gamma"),
            ("project[identifier]", "gamma"),
            ("project[enabled_module_names][]", ""),
            ("project[enabled_module_names][]", "deals"),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.text());
    let project = s.get("/projects/gamma.json?include=enabled_modules").json();
    assert_eq!(project["project"]["enabled_modules"].as_array().map(Vec::len), Some(1));
    assert_eq!(project["project"]["enabled_modules"][0]["name"], "deals");
    // Its settings form: both modules now.
    let settings = b.post(
        "/projects/gamma",
        &[
            ("authenticity_token", t),
            ("_method", "put"),
            ("project[name]", "Gamma"),
            ("project[enabled_module_names][]", ""),
            ("project[enabled_module_names][]", "contacts"),
            ("project[enabled_module_names][]", "deals"),
        ],
    );
    assert_eq!(settings.status, 303, "{}", settings.text());
    let project = s.get("/projects/gamma.json?include=enabled_modules").json();
    assert_eq!(project["project"]["enabled_modules"].as_array().map(Vec::len), Some(2));
    // A user, a role, a membership; then the user is locked and gets a new API key.
    let user = b.post(
        "/users",
        &[
            ("authenticity_token", t),
            ("user[login]", "carol"),
            ("user[firstname]", "Carol"),
            ("user[lastname]", "Shaw"),
            ("user[mail]", "carol@example.net"),
            ("user[password]", "carol-pass-1"),
        ],
    );
    assert_eq!(user.status, 303, "{}", user.text());
    let carol: i64 = header(&user, "location").split('/').nth(2).unwrap().parse().unwrap();
    let role = b.post(
        "/roles",
        &[("authenticity_token", t), ("role[name]", "Seller"), ("role[permissions][]", "view_contacts")],
    );
    assert_eq!(role.status, 303);
    let role_id = s.get("/roles.json").json()["roles"].as_array().unwrap().last().unwrap()["id"].to_string();
    let member = b.post(
        "/projects/gamma/memberships",
        &[("authenticity_token", t), ("membership[user_id]", &carol.to_string()), ("membership[role_ids][]", &role_id)],
    );
    assert_eq!(member.status, 303);
    assert_eq!(s.get("/projects/gamma/memberships.json").json()["total_count"], 1);
    let before = s.get(&format!("/users/{carol}.json")).json()["user"]["api_key"].clone();
    let lock = b.post(&format!("/users/{carol}"), &[("authenticity_token", t), ("_method", "put"), ("action", "lock")]);
    assert_eq!(lock.status, 303);
    let key =
        b.post(&format!("/users/{carol}"), &[("authenticity_token", t), ("_method", "put"), ("action", "new_api_key")]);
    assert_eq!(key.status, 303);
    let after = s.get(&format!("/users/{carol}.json")).json();
    assert_eq!(after["user"]["status"], 3);
    assert_ne!(after["user"]["api_key"], before);
    // A custom field, a deal status, a category; tags renamed and merged.
    let field = b.post(
        "/custom_fields",
        &[
            ("authenticity_token", t),
            ("custom_field[name]", "Tier"),
            ("custom_field[customized_type]", "contact"),
            ("custom_field[field_format]", "list"),
            ("custom_field[possible_values]", "gold\nsilver"),
        ],
    );
    assert_eq!(field.status, 303, "{}", field.text());
    assert!(b.get("/contacts/new").text().contains("<option value=\"silver\">silver</option>"));
    let status = b.post(
        "/deal_statuses",
        &[("authenticity_token", t), ("deal_status[name]", "Won big"), ("deal_status[status_type]", "1")],
    );
    assert_eq!(status.status, 303);
    let category = b.post("/projects/gamma/deal_categories", &[("authenticity_token", t), ("category[name]", "Web")]);
    assert_eq!(category.status, 303);
    assert!(b.get("/projects/gamma/settings").text().contains("value=\"Web\""));
    let tags = s.get("/contacts_tags.json").json();
    let id_of =
        |name: &str| tags["tags"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["id"].to_string();
    let (hot, warm) = (id_of("hot"), id_of("warm"));
    let renamed = b.post(
        &format!("/contacts_tags/{hot}"),
        &[("authenticity_token", t), ("_method", "put"), ("tag[name]", "burning")],
    );
    assert_eq!(renamed.status, 303);
    let merged = b.post(&format!("/contacts_tags/{warm}/merge"), &[("authenticity_token", t), ("into_id", &hot)]);
    assert_eq!(merged.status, 303);
    let names: Vec<String> = s.get("/contacts_tags.json").json()["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["burning"]);
}
