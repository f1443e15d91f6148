//! Deals (API.md §2.4, §3.5, §4.6, §6.5): the list with its filters, search, sort and paging,
//! show with notes, update and delete, in JSON and XML; bad input answers 422 and writes
//! nothing. Who may do what is in `deals_access.rs`.

use serde_json::{json, Value};

use super::common::Server;

/// A small world of deals (ids in creation order, so newest last):
/// - projects alpha (1) with subproject alpha-sub (3), beta (2), gamma (4, contacts only);
/// - statuses Pending (1, open, default), Won (2), Lost (3), Talks (4, open);
/// - deal custom fields Source (string), Size (int), Tier (list), Signed (date);
/// - contacts Ivan Ivanov (Moscow, RU) and ACME (Boston, US); categories Web and Mobile (alpha),
///   Other (beta);
/// - deals: 1 Website redesign (alpha, Pending, Web, Ivan, assigned to the admin, ACME related),
///   2 Mobile app (alpha, Won, Mobile, ACME), 3 Sub deal (alpha-sub, Talks, assigned to jsmith),
///   4 Beta deal (beta, Lost), 5 Ünïcode Straße (beta, Pending).
pub struct World {
    pub s: Server,
    pub fields: Fields,
    pub ivan: i64,
    pub acme: i64,
    /// Categories: web, mobile (alpha), other (beta).
    pub categories: [i64; 3],
}

pub struct Fields {
    pub source: i64,
    pub size: i64,
    pub tier: i64,
    pub signed: i64,
}

#[track_caller]
pub fn ok(r: &super::common::Resp) -> Value {
    assert!((200..300).contains(&r.status), "{} {}", r.status, r.text());
    if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

/// Inserts a deal category straight into the file (the categories API is another piece of
/// work); its id.
pub fn insert_category(s: &Server, project: i64, name: &str) -> i64 {
    let conn = rusqlite::Connection::open(s.db_path().expect("a server from start")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    conn.execute("INSERT INTO deal_categories (name, project_id) VALUES (?, ?)", rusqlite::params![name, project])
        .unwrap();
    conn.last_insert_rowid()
}

/// One column of a query on the server's file.
pub fn db_column(s: &Server, sql: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(s.db_path().expect("a server from start")).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, rusqlite::types::Value>(0)).unwrap();
    rows.map(|v| match v.unwrap() {
        rusqlite::types::Value::Integer(i) => i.to_string(),
        rusqlite::types::Value::Text(t) => t,
        rusqlite::types::Value::Null => "NULL".into(),
        other => format!("{other:?}"),
    })
    .collect()
}

pub fn world() -> World {
    let s = Server::seeded();
    let post = |path: &str, body: Value| ok(&s.post_json(path, body));
    post("/projects.json", json!({"project": {"name": "Alpha Sub", "identifier": "alpha-sub", "parent_id": 1}}));
    post(
        "/projects.json",
        json!({"project": {"name": "Gamma", "identifier": "gamma", "enabled_module_names": ["contacts"]}}),
    );
    for (name, status_type, default) in
        [("Pending", 0, true), ("Won", 1, false), ("Lost", 2, false), ("Talks", 0, false)]
    {
        post(
            "/deal_statuses.json",
            json!({"deal_status": {"name": name, "status_type": status_type, "is_default": default}}),
        );
    }
    let field = |name: &str, format: &str, extra: Value| {
        let mut f = json!({"name": name, "field_format": format, "customized_type": "deal"});
        f.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        post("/custom_fields.json", json!({ "custom_field": f }))["custom_field"]["id"].as_i64().unwrap()
    };
    let fields = Fields {
        source: field("Source", "string", json!({})),
        size: field("Size", "int", json!({})),
        tier: field("Tier", "list", json!({"possible_values": ["Gold", "Silver"]})),
        signed: field("Signed", "date", json!({})),
    };
    let ivan = s.create_contact(json!({"project_id": 1, "first_name": "Ivan", "last_name": "Ivanov",
        "address_attributes": {"city": "Moscow", "country_code": "RU"}}));
    let acme = s.create_contact(json!({"project_id": 1, "first_name": "ACME", "is_company": true,
        "address_attributes": {"city": "Boston", "country_code": "US"}}));
    let categories = [insert_category(&s, 1, "Web"), insert_category(&s, 1, "Mobile"), insert_category(&s, 2, "Other")];
    let deal = |project: i64, body: Value| {
        let r = s.post_json(&format!("/projects/{project}/deals.json"), json!({ "deal": body }));
        assert_eq!(r.status, 201, "{}", r.text());
    };
    deal(
        1,
        json!({"name": "Website redesign", "price": "12000", "currency": "USD", "probability": 60,
               "due_date": "2024-06-30", "background": "Phase 1 of a 100% rebuild", "contact_id": ivan,
               "category_id": categories[0], "assigned_to_id": 1, "related_contact_ids": [acme],
               "custom_fields": [{"id": fields.source, "value": "Expo"}, {"id": fields.size, "value": "10"},
                                 {"id": fields.tier, "value": "Gold"}, {"id": fields.signed, "value": "2024-05-01"}]}),
    );
    deal(
        1,
        json!({"name": "Mobile app", "price": 3000.5, "currency": "EUR", "probability": 20, "status_id": 2,
               "contact_id": acme, "category_id": categories[1],
               "custom_fields": [{"id": fields.size, "value": "3"}, {"id": fields.tier, "value": "Silver"}]}),
    );
    deal(3, json!({"name": "Sub deal", "price": "500", "currency": "USD", "status_id": 4, "assigned_to_id": 2}));
    deal(2, json!({"name": "Beta deal", "price": "100", "status_id": 3, "category_id": categories[2]}));
    deal(2, json!({"name": "Ünïcode Straße", "background": "multi\nline"}));
    World { s, fields, ivan, acme, categories }
}

/// The ids of a JSON deal list, in order.
pub fn ids(list: &Value) -> Vec<i64> {
    list["deals"]
        .as_array()
        .unwrap_or_else(|| panic!("a deal list: {list}"))
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect()
}

/// A query string with `<`, `>` and `|` escaped, as a client library sends them.
pub fn escaped(query: &str) -> String {
    query.replace('<', "%3C").replace('>', "%3E").replace('|', "%7C")
}

impl World {
    #[track_caller]
    fn listed(&self, query: &str) -> Vec<i64> {
        ids(&ok(&self.s.get(&format!("/deals.json?{}", escaped(query)))))
    }

    #[track_caller]
    fn refused(&self, query: &str) -> Value {
        let r = self.s.get(&format!("/deals.json?{}", escaped(query)));
        assert_eq!(r.status, 422, "{query}: {}", r.text());
        r.json()["errors"].clone()
    }
}

#[test]
fn the_list_shows_open_deals_newest_first_with_the_list_layout() {
    let w = world();
    let list = ok(&w.s.get("/deals.json"));
    assert_eq!(ids(&list), [5, 3, 1], "open deals only (Pending, Talks)");
    assert_eq!(
        (list["total_count"].clone(), list["offset"].clone(), list["limit"].clone()),
        (json!(3), json!(0), json!(25))
    );
    let first = list["deals"][2].clone();
    let created = first["created_on"].as_str().unwrap().to_string();
    let updated = first["updated_on"].as_str().unwrap().to_string();
    assert_eq!(
        first,
        json!({"id": 1, "name": "Website redesign", "price": "12000.0", "currency": "USD", "price_type": null,
               "duration": 1, "probability": 60, "due_date": "2024-06-30T00:00:00Z",
               "background": "Phase 1 of a 100% rebuild", "project": {"id": 1, "name": "Alpha"},
               "status": {"id": 1, "name": "Pending"}, "category": {"id": w.categories[0], "name": "Web"},
               "author": {"id": 1, "name": "Redmine Admin"}, "contact": {"id": w.ivan, "name": "Ivan Ivanov"},
               "assigned_to": {"id": 1, "name": "Redmine Admin"}, "related_contacts": [{"id": w.acme, "name": "ACME"}],
               "custom_fields": [{"id": w.fields.source, "name": "Source", "value": "Expo"},
                                 {"id": w.fields.size, "name": "Size", "value": "10"},
                                 {"id": w.fields.tier, "name": "Tier", "value": "Gold"},
                                 {"id": w.fields.signed, "name": "Signed", "value": "2024-05-01"}],
               "created_on": created, "updated_on": updated})
    );
    // Key order: related contacts right after the assignee in a list item, last in a show.
    let text = w.s.get("/deals.json?ids=1").text();
    let at = |key: &str| text.find(&format!("\"{key}\"")).unwrap();
    assert!(at("assigned_to") < at("related_contacts") && at("related_contacts") < at("custom_fields"), "{text}");
    let shown = w.s.get("/deals/1.json").text();
    assert!(shown.find("\"updated_on\"").unwrap() < shown.find("\"related_contacts\"").unwrap(), "{shown}");

    let xml = w.s.get("/deals.xml?status_id=*&limit=1&sort=id").text();
    assert!(
        xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><deals total_count="5" offset="0" limit="1" type="array"><deal><id>1</id><name>Website redesign</name><price>12000.0</price><currency>USD</currency><price_type/><duration>1</duration><probability>60</probability><due_date>2024-06-30T00:00:00Z</due_date>"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<assigned_to id="1" name="Redmine Admin"/><related_contacts type="array"><contact id="2" name="ACME"/></related_contacts><custom_fields type="array"><custom_field id="2" name="Source"><value>Expo</value></custom_field>"#), "{xml}");
    assert!(xml.ends_with("</deal></deals>"), "{xml}");
    let nometa = w.s.get("/deals.json?nometa=1").json();
    assert!(nometa.get("total_count").is_none() && nometa["deals"].as_array().unwrap().len() == 3, "{nometa}");
    assert_eq!(
        w.s.get("/deals.xml?ids=99").text(),
        r#"<?xml version="1.0" encoding="UTF-8"?><deals total_count="0" offset="0" limit="25" type="array"></deals>"#
    );
}

#[test]
fn status_and_project_scope() {
    let w = world();
    assert_eq!(w.listed("status_id=*"), [5, 4, 3, 2, 1]);
    assert_eq!(w.listed("status_id=o"), [5, 3, 1]);
    assert_eq!(w.listed("status_id=c"), [4, 2]);
    assert_eq!(w.listed("status_id=2"), [2]);
    assert_eq!(w.listed("status_id=1|4"), [5, 3, 1]);
    assert_eq!(w.listed("status_id=!1"), [4, 3, 2]);
    // The long form names its filters: without status_id every status shows.
    assert_eq!(w.listed("set_filter=1&f[]=name&op[name]=*"), [5, 4, 3, 2, 1]);
    assert_eq!(w.listed("f[]=status_id&op[status_id]=c"), [4, 2]);
    assert_eq!(w.listed("f[]=status_id&op[status_id]=%3D&v[status_id][]=3&v[status_id][]=2"), [4, 2]);
    assert_eq!(ids(&ok(&w.s.get("/projects/alpha/deals.json?status_id=*"))), [3, 2, 1], "subprojects included");
    assert_eq!(ids(&ok(&w.s.get("/projects/3/deals.json?status_id=*"))), [3]);
    assert_eq!(w.listed("project_id=beta&status_id=*"), [5, 4]);
    assert_eq!(w.listed("f[]=project_id&op[project_id]=!&v[project_id][]=1"), [5, 4, 3]);
    assert_eq!(w.s.get("/projects/nope/deals.json").status, 404);
    assert_eq!(w.s.raw("GET", "/projects/nope/deals.json", &[], b"").status, 401);
    assert_eq!(w.s.get("/projects/gamma/deals.json").status, 403, "the deals module is off there");
}

#[test]
fn every_filter_of_the_deal_list() {
    let w = world();
    let (ivan, acme) = (w.ivan, w.acme);
    let [web, mobile, _] = w.categories;
    let cases: Vec<(String, Vec<i64>)> = vec![
        ("assigned_to_id=me&status_id=*".into(), vec![1]),
        ("assigned_to_id=2&status_id=*".into(), vec![3]),
        ("assigned_to_id=*&status_id=*".into(), vec![3, 1]),
        ("assigned_to_id=!*&status_id=*".into(), vec![5, 4, 2]),
        ("assigned_to_id=!me&status_id=*".into(), vec![5, 4, 3, 2]),
        (format!("contact_id={ivan}"), vec![1]),
        (format!("contact_id={ivan}|{acme}&status_id=*"), vec![2, 1]),
        ("contact_id=!*&status_id=*".into(), vec![5, 4, 3]),
        (format!("category_id={web}|{mobile}&status_id=*"), vec![2, 1]),
        ("category_id=!*".into(), vec![5, 3]),
        ("author_id=me&status_id=*".into(), vec![5, 4, 3, 2, 1]),
        ("author_id=2&status_id=*".into(), vec![]),
        ("ids=1|2,4&status_id=*".into(), vec![4, 2, 1]),
        ("ids=!1&status_id=*".into(), vec![5, 4, 3, 2]),
        ("price=>=3000&status_id=*".into(), vec![2, 1]),
        ("price=3000.5&status_id=*".into(), vec![2]),
        ("price=<=100&status_id=*".into(), vec![4]),
        ("price=><100|600&status_id=*".into(), vec![4, 3]),
        ("price=!*&status_id=*".into(), vec![5]),
        ("probability=60".into(), vec![1]),
        ("probability=>=10&status_id=*".into(), vec![2, 1]),
        ("currency=EUR&status_id=*".into(), vec![2]),
        ("currency=!USD&status_id=*".into(), vec![5, 4, 2]),
        ("background=~100%25".into(), vec![1]),
        ("background=~_".into(), vec![]),
        ("background=!*&status_id=*".into(), vec![4, 3, 2]),
        ("name=~MOBILE&status_id=*".into(), vec![2]),
        ("name=^Web".into(), vec![1]),
        ("name=$deal&status_id=*".into(), vec![4, 3]),
        ("name=Sub%20deal".into(), vec![3]),
        ("name=!~deal&status_id=*".into(), vec![5, 2, 1]),
        ("due_date=<=2024-07-01".into(), vec![1]),
        ("due_date=2024-06-30".into(), vec![1]),
        ("due_date=><2024-07-01|2024-12-31".into(), vec![]),
        ("due_date=!*".into(), vec![5, 3]),
        ("created_on=t&status_id=*".into(), vec![5, 4, 3, 2, 1]),
        ("created_on=>t-2".into(), vec![5, 3, 1]),
        ("created_on=ld".into(), vec![]),
        ("updated_on=<=2020-01-01".into(), vec![]),
        ("updated_on=y".into(), vec![5, 3, 1]),
        ("contact_country=RU".into(), vec![1]),
        ("contact_country=us&status_id=*".into(), vec![2]),
        ("contact_country=!RU&status_id=*".into(), vec![5, 4, 3, 2]),
        ("contact_city=~bost&status_id=*".into(), vec![2]),
        ("contact_city=Moscow".into(), vec![1]),
        (format!("cf_{}=Expo", w.fields.source), vec![1]),
        (format!("cf_{}=~xp", w.fields.source), vec![1]),
        (format!("cf_{}=!*&status_id=*", w.fields.source), vec![5, 4, 3, 2]),
        (format!("cf_{}=>=5&status_id=*", w.fields.size), vec![1]),
        (format!("cf_{}=><1|4&status_id=*", w.fields.size), vec![2]),
        (format!("cf_{}=*&status_id=*", w.fields.size), vec![2, 1]),
        (format!("cf_{}=Gold|Silver&status_id=*", w.fields.tier), vec![2, 1]),
        (format!("cf_{}=!Gold&status_id=*", w.fields.tier), vec![5, 4, 3, 2]),
        (format!("cf_{}=><2024-04-01|2024-05-31", w.fields.signed), vec![1]),
        (format!("cf_{}=<=2024-04-30", w.fields.signed), vec![]),
        // Several filters: all must hold.
        (format!("status_id=*&currency=USD&price=>=1000&contact_id={ivan}"), vec![1]),
        // Long form, with short-form parameters ignored beside it.
        ("f[]=price&op[price]=%3E%3D&v[price][]=3000&currency=USD".into(), vec![2, 1]),
        ("f[]=name&f[]=currency&op[name]=~&v[name][]=e&op[currency]=%3D&v[currency][]=USD".into(), vec![3, 1]),
    ];
    for (query, expected) in cases {
        assert_eq!(w.listed(&query), expected, "{query}");
    }
    let counted = ok(&w.s.get("/deals.json?status_id=*&currency=USD&limit=1"));
    assert_eq!((ids(&counted), counted["total_count"].clone()), (vec![3], json!(2)));
}

#[test]
fn search_words_are_plain_text_in_name_or_background() {
    let w = world();
    assert_eq!(w.listed("search=website"), [1]);
    assert_eq!(w.listed("search=REDESIGN%20phase"), [1], "every word, name or background");
    assert_eq!(w.listed("search=redesign%20mobile&status_id=*"), Vec::<i64>::new());
    assert_eq!(w.listed("search=app&status_id=*"), [2]);
    assert_eq!(w.listed("search=%C3%9CN%C3%8FCODE%20stra%C3%9Fe"), [5], "case folded beyond ASCII");
    assert_eq!(w.listed("search=100%25"), [1], "% is a letter");
    assert_eq!(w.listed("search=_&status_id=*"), Vec::<i64>::new(), "_ is a letter");
    assert_eq!(w.listed("search=e%0Amulti"), [5], "newlines separate words");
    let searched = ok(&w.s.get("/deals.json?search=e&status_id=*&limit=2"));
    assert_eq!(
        (ids(&searched), searched["total_count"].clone()),
        (vec![5, 4], json!(5)),
        "total_count counts the search"
    );
    let one = ok(&w.s.get("/deals.json?search=deal&status_id=*"));
    assert_eq!((ids(&one), one["total_count"].clone()), (vec![4, 3], json!(2)));
}

#[test]
fn paging_and_sorting() {
    let w = world();
    let page = ok(&w.s.get("/deals.json?status_id=*&limit=2&offset=1"));
    assert_eq!(
        (ids(&page), page["total_count"].clone(), page["offset"].clone(), page["limit"].clone()),
        (vec![4, 3], json!(5), json!(1), json!(2))
    );
    assert_eq!(w.listed("status_id=*&limit=2&page=3"), [1]);
    let past = ok(&w.s.get("/deals.json?status_id=*&offset=10"));
    assert_eq!((ids(&past), past["total_count"].clone()), (vec![], json!(5)));
    assert_eq!(ok(&w.s.get("/deals.json?status_id=*&limit=500"))["limit"], 100);
    assert_eq!(w.listed("status_id=*&sort=price"), [5, 4, 3, 2, 1], "no price first, then by value");
    assert_eq!(w.listed("status_id=*&sort=price:desc"), [1, 2, 3, 4, 5]);
    assert_eq!(w.listed("status_id=*&sort=name"), [4, 2, 3, 1, 5]);
    assert_eq!(w.listed("status_id=*&sort=status,id:desc"), [5, 1, 2, 4, 3], "by status position");
    assert_eq!(w.listed("status_id=*&sort=created_on"), [1, 2, 3, 4, 5]);
    assert_eq!(w.listed("status_id=*&sort=nonsense"), [5, 4, 3, 2, 1], "unknown columns are ignored");
    assert_eq!(w.listed("status_id=*&sort=project,id"), [1, 2, 3, 4, 5]);
    assert_eq!(w.listed("status_id=*&sort=category:desc,id"), [1, 4, 2, 3, 5]);
    assert_eq!(w.listed("status_id=*&sort=contact,id"), [3, 4, 5, 2, 1]);
    assert_eq!(w.listed("status_id=*&sort=assigned_to:desc,id"), [1, 3, 2, 4, 5]);
    assert_eq!(w.listed("status_id=*&sort=probability:desc,currency,due_date,author,id"), [1, 2, 4, 5, 3]);
}

#[test]
fn malformed_filters_answer_422_in_the_requested_format() {
    let w = world();
    assert_eq!(w.refused("price=abc"), json!(["Sum is invalid"]));
    assert_eq!(w.refused("price=><1"), json!(["Sum is invalid"]));
    assert_eq!(w.refused("probability=5.5"), json!(["Probability is invalid"]));
    assert_eq!(w.refused("created_on=>=2024-99-99"), json!(["Created is invalid"]));
    assert_eq!(w.refused("due_date=>t-x"), json!(["Due date is invalid"]));
    assert_eq!(w.refused("status_id=won"), json!(["Status is invalid"]));
    assert_eq!(w.refused("assigned_to_id=bob"), json!(["Assignee is invalid"]));
    assert_eq!(w.refused(&format!("cf_{}=>=many", w.fields.size)), json!(["Size is invalid"]));
    assert_eq!(w.refused("f[]=nope"), json!(["Filter name is invalid"]));
    assert_eq!(w.refused("f[]=price&op[price]=~&v[price][]=1"), json!(["Operator is invalid"]));
    assert_eq!(w.refused("f[]=author_id&op[author_id]=%3D"), json!(["Author cannot be blank"]));
    assert_eq!(w.refused("f[]=name&op[name]=%3D&v[name][]="), json!(["Name cannot be blank"]));
    assert_eq!(w.refused("price=x&probability=y"), json!(["Sum is invalid", "Probability is invalid"]));
    assert_eq!(
        w.s.get("/deals.xml?price=12x").text(),
        r#"<?xml version="1.0" encoding="UTF-8"?><errors type="array"><error>Sum is invalid</error></errors>"#
    );
}

#[test]
fn show_includes_the_deals_notes() {
    let w = world();
    let note = w.s.post_json(
        "/notes.json",
        json!({"source_type": "Deal", "source_id": 1, "note": {"content": "Sent the quote", "type_id": 2}}),
    );
    assert_eq!(note.status, 201, "{}", note.text());
    let plain = ok(&w.s.get("/deals/1.json"))["deal"].clone();
    assert!(plain.get("notes").is_none());
    let shown = ok(&w.s.get("/deals/1.json?include=notes"))["deal"].clone();
    let notes = shown["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0]["content"].clone(), notes[0]["type_id"].clone()), (json!("Sent the quote"), json!(2)));
    assert_eq!(notes[0]["author"], json!({"id": 1, "name": "Redmine Admin"}));
    assert!(notes[0]["created_on"].as_str().unwrap().ends_with("+00:00") && notes[0].get("subject").is_none());
    let keys: Vec<&str> = notes[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
    let xml = w.s.get("/deals/1.xml?include=notes").text();
    assert!(xml.contains("</related_contacts><notes type=\"array\"><note><id>"), "{xml}");
    assert!(
        xml.contains("<content>Sent the quote</content><type_id>2</type_id><author id=\"1\" name=\"Redmine Admin\"/>"),
        "{xml}"
    );
    assert!(ok(&w.s.get("/deals/2.json?include=notes"))["deal"].get("notes").is_none(), "no notes, no array");
    assert_eq!(w.s.get("/deals/99.json?include=notes").status, 404);
}

#[test]
fn update_changes_what_it_names_and_records_status_changes() {
    let w = world();
    let r = w.s.put_json(
        "/deals/1.json",
        json!({"deal": {"name": "Website v2", "price": 2500, "status_id": 2, "probability": null,
                        "contact_id": w.acme, "related_contact_ids": [w.ivan], "category_id": w.categories[1],
                        "due_date": "", "custom_fields": [{"id": w.fields.source, "value": "Referral"}]}}),
    );
    assert_eq!((r.status, r.body.len()), (204, 0), "{}", r.text());
    let d = ok(&w.s.get("/deals/1.json"))["deal"].clone();
    assert_eq!(
        (d["name"].clone(), d["price"].clone(), d["status"].clone()),
        (json!("Website v2"), json!("2500.0"), json!({"id": 2, "name": "Won"}))
    );
    assert_eq!(
        (d["probability"].clone(), d["due_date"].clone(), d["currency"].clone()),
        (json!(null), json!(null), json!("USD"))
    );
    assert_eq!(d["contact"], json!({"id": w.acme, "name": "ACME"}));
    assert_eq!(d["related_contacts"], json!([{"id": w.ivan, "name": "Ivan Ivanov"}]));
    assert_eq!(d["category"], json!({"id": w.categories[1], "name": "Mobile"}));
    assert_eq!(d["custom_fields"][0]["value"], "Referral");
    assert_eq!(d["custom_fields"][1]["value"], "10", "fields not named keep their values");
    // An XML body; the same status again is no change of status.
    let xml = w.s.admin(
        "PUT",
        "/deals/1.xml",
        Some("application/xml"),
        "<deal><name>Website v3</name><status_id>2</status_id><price>1 000,50</price></deal>",
    );
    assert_eq!(xml.status, 204, "{}", xml.text());
    let d = ok(&w.s.get("/deals/1.json"))["deal"].clone();
    assert_eq!((d["name"].clone(), d["price"].clone()), (json!("Website v3"), json!("1000.5")));
    ok(&w.s.put_json("/deals/1.json", json!({"deal": {"status_id": 1}})));
    assert_eq!(
        db_column(
            &w.s,
            "SELECT deal_id || ':' || author_id || ':' || old_value || '>' || value FROM deal_processes ORDER BY id"
        ),
        ["1:1:1>2", "1:1:2>1"]
    );
    // Moving to another project drops a category the new project does not have.
    ok(&w.s.put_json("/deals/1.json", json!({"deal": {"project_id": "beta"}})));
    let d = ok(&w.s.get("/deals/1.json"))["deal"].clone();
    assert_eq!((d["project"].clone(), d.get("category").cloned()), (json!({"id": 2, "name": "Beta"}), None));
    ok(&w.s.put_json("/deals/1.json", json!({"deal": {"project_id": 1, "category_id": w.categories[0]}})));
    assert_eq!(ok(&w.s.get("/deals/1.json"))["deal"]["category"]["name"], "Web");
    ok(&w.s.put_json("/deals/1.json", json!({"deal": {"related_contact_ids": []}})));
    assert!(ok(&w.s.get("/deals/1.json"))["deal"].get("related_contacts").is_none());
}

#[test]
fn bad_updates_answer_422_and_change_nothing() {
    let w = world();
    let before = ok(&w.s.get("/deals/2.json"));
    let cases = [
        (json!({"price": "lots"}), json!(["Sum is not a number"])),
        (json!({"price": {"amount": 1}}), json!(["Sum is not a number"])),
        (json!({"name": ""}), json!(["Name cannot be blank"])),
        (json!({"name": "x".repeat(256)}), json!(["Name is too long (maximum is 255 characters)"])),
        (json!({"category_id": w.categories[2]}), json!(["Category is invalid"])),
        (json!({"status_id": 99}), json!(["Status cannot be blank"])),
        (json!({"contact_id": 999}), json!(["Contact is invalid"])),
        (json!({"related_contact_ids": [w.ivan, 998]}), json!(["Related contacts is invalid"])),
        (json!({"related_contact_ids": ["one"]}), json!(["Related contacts is invalid"])),
        (json!({"project_id": "nope"}), json!(["Project is invalid"])),
        (json!({"due_date": "someday"}), json!(["Due date is invalid"])),
        (json!({"probability": "high"}), json!(["Probability is invalid"])),
        (json!({"custom_fields": [{"id": w.fields.size, "value": "ten"}]}), json!(["Size is not a number"])),
        (
            json!({"custom_fields": [{"id": w.fields.tier, "value": "Bronze"}]}),
            json!(["Tier is not included in the list"]),
        ),
        (
            json!({"name": "", "price": "x", "contact_id": 999}),
            json!(["Name cannot be blank", "Sum is not a number", "Contact is invalid"]),
        ),
    ];
    for (deal, errors) in cases {
        let r = w.s.put_json("/deals/2.json", json!({ "deal": deal }));
        assert_eq!((r.status, r.json()["errors"].clone()), (422, errors), "{deal}");
    }
    let xml = w.s.admin("PUT", "/deals/2.xml", Some("application/xml"), "<deal><price>abc</price></deal>");
    assert_eq!(
        xml.text(),
        r#"<?xml version="1.0" encoding="UTF-8"?><errors type="array"><error>Sum is not a number</error></errors>"#
    );
    assert_eq!(w.s.put_json("/deals/2.json", json!({"deal": "text"})).status, 422);
    assert_eq!(w.s.admin("PUT", "/deals/2.json", Some("application/json"), "{oops").status, 400);
    assert_eq!(ok(&w.s.get("/deals/2.json")), before, "nothing written");
    assert!(db_column(&w.s, "SELECT id FROM deal_processes").is_empty());
    assert_eq!(w.s.put_json("/deals/99.json", json!({"deal": {"name": "x"}})).status, 404);
    assert_eq!(w.s.put_json("/deals/abc.json", json!({"deal": {"name": "x"}})).status, 404);
}

#[test]
fn create_checks_contacts_and_categories() {
    let w = world();
    let create = |deal: Value| w.s.post_json("/deals.json", json!({ "deal": deal }));
    let r = create(json!({"name": "X", "project_id": 1, "contact_id": 999}));
    assert_eq!((r.status, r.json()["errors"].clone()), (422, json!(["Contact is invalid"])));
    let r = create(json!({"name": "X", "project_id": 1, "related_contact_ids": [999]}));
    assert_eq!((r.status, r.json()["errors"].clone()), (422, json!(["Related contacts is invalid"])));
    let r = create(json!({"name": "X", "project_id": 1, "category_id": w.categories[2]}));
    assert_eq!((r.status, r.json()["errors"].clone()), (422, json!(["Category is invalid"])));
    assert_eq!(ok(&w.s.get("/deals.json?status_id=*"))["total_count"], 5, "nothing written");
    let r = create(json!({"name": "Y", "project_id": "alpha", "price": "7", "related_contact_ids": [w.ivan, w.acme]}));
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("Location").map(|l| l.ends_with("/deals/6")), Some(true));
    let d = r.json()["deal"].clone();
    assert_eq!(
        (d["status"].clone(), d["related_contacts"].as_array().map(Vec::len)),
        (json!({"id": 1, "name": "Pending"}), Some(2))
    );
}

#[test]
fn delete_takes_the_deals_notes_and_values_with_it() {
    let w = world();
    let note = ok(&w
        .s
        .post_json("/notes.json", json!({"source_type": "Deal", "source_id": 1, "note": {"content": "gone soon"}})));
    let note_id = note["note"]["id"].as_i64().unwrap();
    let r = w.s.admin("DELETE", "/deals/1.json", None, "");
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(w.s.get("/deals/1.json").status, 404);
    assert_eq!(w.s.admin("DELETE", "/deals/1.json", None, "").status, 404);
    assert_eq!(w.s.get(&format!("/notes/{note_id}.json")).status, 404);
    assert_eq!(w.listed("status_id=*"), [5, 4, 3, 2]);
    assert!(
        db_column(&w.s, "SELECT id FROM custom_values WHERE customized_type = 'deal' AND customized_id = 1").is_empty()
    );
    assert!(db_column(&w.s, "SELECT id FROM custom_values WHERE customized_type = 'note'").is_empty());
    assert!(db_column(&w.s, "SELECT contact_id FROM contacts_deals").is_empty());
    assert_eq!(ok(&w.s.get(&format!("/contacts/{}.json", w.acme)))["contact"]["first_name"], "ACME", "contacts stay");
    assert_eq!(w.s.admin("DELETE", "/deals/xyz.json", None, "").status, 404);
}

#[test]
fn a_deleted_project_takes_its_deals_notes_and_values() {
    let w = world();
    let note = |deal: i64| {
        ok(&w.s.post_json("/notes.json", json!({"source_type": "Deal", "source_id": deal, "note": {"content": "n"}})))
            ["note"]["id"]
            .as_i64()
            .unwrap()
    };
    let (in_sub, in_beta) = (note(3), note(4));
    ok(&w.s.put_json("/deals/3.json", json!({"deal": {"custom_fields": [{"id": w.fields.source, "value": "Sub"}]}})));
    assert_eq!(w.s.admin("DELETE", "/projects/alpha.json", None, "").status, 204);
    assert_eq!(w.listed("status_id=*"), [5, 4]);
    assert_eq!(w.s.get(&format!("/notes/{in_sub}.json")).status, 404);
    assert_eq!(w.s.get(&format!("/notes/{in_beta}.json")).status, 200);
    assert_eq!(
        db_column(&w.s, "SELECT DISTINCT customized_id FROM custom_values WHERE customized_type = 'deal'"),
        Vec::<String>::new()
    );
    assert_eq!(db_column(&w.s, "SELECT source_id FROM notes"), ["4"]);
}

#[test]
fn a_saved_deal_query_applies_to_the_deal_list_and_its_filters_are_checked() {
    let w = world();
    let saved = w.s.post_json(
        "/crm_queries.json",
        json!({"query": {"name": "Closed", "object_type": "deal", "visibility": 2,
                         "filters": {"status_id": {"operator": "c", "values": [""]}},
                         "sort_criteria": [["price", "desc"]]}}),
    );
    let id = ok(&saved)["query"]["id"].as_i64().unwrap();
    let closed = w.listed(&format!("query_id={id}"));
    assert_eq!(closed, w.listed("status_id=c&sort=price:desc"), "the saved filters and sort apply");
    assert_eq!(closed.len(), 2, "the won and the lost deal");
    // A short-form parameter overrides the saved filter of the same field.
    assert_eq!(w.listed(&format!("query_id={id}&status_id=*")).len(), 5);
    let bad = w.s.post_json(
        "/crm_queries.json",
        json!({"query": {"name": "Bad", "object_type": "deal", "visibility": 2,
                         "filters": {"price": {"operator": ">=", "values": ["lots"]}}}}),
    );
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert_eq!(bad.json()["errors"], json!(["Sum is invalid"]));
    assert_eq!(w.s.get(&format!("/deals.json?query_id={}", id + 1)).status, 404);
}
