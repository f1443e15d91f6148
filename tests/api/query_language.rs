//! Redmine's query language on the contact list (API.md §1.7, §4.4, §4.5): every operator of
//! every contact filter in the short form (`first_name=~tom`) and the long form
//! (`set_filter=1&f[]=…&op[…]=…&v[…][]=…`), custom fields by format, sorting, and the 422
//! answers to unknown filters, bad operators and malformed values.

use serde_json::{json, Value};

use super::common::{custom_values as cf, Server, JSMITH_KEY};

fn names(list: &Value) -> Vec<String> {
    let items = list["contacts"].as_array().unwrap_or_else(|| panic!("not a contact list: {list}"));
    items.iter().map(|c| c["first_name"].as_str().unwrap().to_string()).collect()
}

/// The first names a list query answers (JSON), sorted by first name for stable comparisons.
#[track_caller]
fn found(s: &Server, query: &str) -> Vec<String> {
    let r = s.get(&format!("/contacts.json?sort=first_name&limit=100&{query}"));
    assert_eq!(r.status, 200, "{query}: {}", r.text());
    let list = r.json();
    assert_eq!(list["total_count"].as_u64(), Some(names(&list).len() as u64), "{query}");
    names(&list)
}

/// The 422 messages of a list query, checked in both formats.
#[track_caller]
fn refused(s: &Server, query: &str) -> Vec<String> {
    let r = s.get(&format!("/contacts.json?{query}"));
    assert_eq!(r.status, 422, "{query}: {}", r.text());
    let messages: Vec<String> =
        r.json()["errors"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect();
    let xml = s.get(&format!("/contacts.xml?{query}"));
    assert_eq!(xml.status, 422);
    let expected: String = messages.iter().map(|m| format!("<error>{m}</error>")).collect();
    assert!(xml.text().ends_with(&format!(r#"<errors type="array">{expected}</errors>"#)), "{}", xml.text());
    messages
}

/// Custom fields used as filters (ids 2..=8, after the seeded License) and five contacts.
fn world() -> Server {
    let s = Server::seeded();
    let filter = |name: &str, format: &str, extra: Value| {
        let mut body = json!({"name": name, "field_format": format, "customized_type": "contact", "is_filter": true});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        s.create_custom_field(body)
    };
    assert_eq!(filter("Level", "int", json!({})), 2);
    assert_eq!(filter("Score", "float", json!({})), 3);
    assert_eq!(filter("Since", "date", json!({})), 4);
    assert_eq!(filter("Tier", "list", json!({"possible_values": ["Gold", "Silver", "Bronze"]})), 5);
    assert_eq!(filter("Langs", "list", json!({"possible_values": ["en", "ru", "de"], "multiple": true})), 6);
    assert_eq!(filter("Active", "bool", json!({})), 7);
    assert_eq!(filter("Motto", "string", json!({})), 8);
    let contacts = [
        json!({"first_name": "Tom", "last_name": "Smith", "middle_name": "Lee", "job_title": "CTO",
               "email": "tom@apple.example", "phone": "+1 555 0100", "tag_list": "vip, lead", "assigned_to_id": 1,
               "address_attributes": {"street1": "12 Main St", "city": "Springfield", "postcode": "62701",
                                      "region": "IL", "country_code": "US"},
               "custom_fields": cf(&[(2, json!("10")), (3, json!("2.5")), (4, json!("2024-03-01")), (5, json!("Gold")),
                                     (6, json!(["en", "ru"])), (7, json!("1")), (8, json!("Think big"))])}),
        json!({"first_name": "Tomas", "last_name": "Anderson", "company": "Matrix", "phone": "+7 495 111",
               "tag_list": "vip",
               "address_attributes": {"city": "Moscow", "country_code": "RU"},
               "custom_fields": cf(&[(2, json!("3")), (3, json!("7.25")), (4, json!("2023-12-31")), (5, json!("Silver")),
                                     (6, json!(["de"])), (7, json!("0"))])}),
        json!({"first_name": "Jane", "last_name": "Doe", "company": "Tomato Inc", "email": "jane@doe.example",
               "assigned_to_id": 2,
               "custom_fields": cf(&[(2, json!("-4")), (5, json!("Gold")), (6, json!(["ru"]))])}),
        json!({"first_name": "Acme", "is_company": true, "website": "acme.example",
               "address_attributes": {"street1": "1 Loop", "city": "Cupertino", "country_code": "US"}}),
        json!({"first_name": "Zoe", "last_name": "Quinn", "middle_name": "", "job_title": "Engineer", "author_id": 2}),
    ];
    for c in contacts {
        let mut c = c;
        c["project_id"] = json!(1);
        s.create_contact(c);
    }
    s
}

#[test]
fn string_filters_take_every_string_operator() {
    let s = world();
    for (query, expected) in [
        ("first_name=Tom", vec!["Tom"]),
        ("first_name=Tom|Jane", vec!["Jane", "Tom"]),
        ("first_name=!Tom", vec!["Acme", "Jane", "Tomas", "Zoe"]),
        ("first_name=~OM", vec!["Tom", "Tomas"]),
        ("first_name=!~om", vec!["Acme", "Jane", "Zoe"]),
        ("first_name=%5ETo", vec!["Tom", "Tomas"]),
        ("first_name=$e", vec!["Acme", "Jane", "Zoe"]),
        ("middle_name=*", vec!["Tom"]),
        ("middle_name=!*", vec!["Acme", "Jane", "Tomas", "Zoe"]),
        ("company=~tom", vec!["Jane"]),
        ("job_title=CTO", vec!["Tom"]),
        ("last_name=!*", vec!["Acme"]),
        ("first_name=~100%25", vec![]),
    ] {
        assert_eq!(found(&s, query), expected, "{query}");
    }
}

#[test]
fn the_long_form_names_every_filter_and_wins_over_the_short_form() {
    let s = world();
    let long = "set_filter=1&f[]=first_name&op[first_name]=%5E&v[first_name][]=To&f[]=";
    assert_eq!(found(&s, long), ["Tom", "Tomas"]);
    assert_eq!(found(&s, &format!("{long}&last_name=Smith")), ["Tom", "Tomas"], "short form ignored with f[]");
    let two = "f[]=first_name&op[first_name]==&v[first_name][]=Tom&v[first_name][]=Zoe&f[]=author_id&op[author_id]=!&v[author_id][]=1";
    assert_eq!(found(&s, two), ["Zoe"]);
    assert_eq!(found(&s, "fields[]=is_company&op[is_company]==&v[is_company][]=1"), ["Acme"]);
    // Without a filter, the long form lists everything.
    assert_eq!(found(&s, "set_filter=1&f[]=").len(), 5);
}

#[test]
fn text_filters_match_the_raw_lists_and_the_address() {
    let s = world();
    for (query, expected) in [
        ("phone=~555", vec!["Tom"]),
        ("phone=!~555", vec!["Acme", "Jane", "Tomas", "Zoe"]),
        ("phone=*", vec!["Tom", "Tomas"]),
        ("email=$example", vec!["Jane", "Tom"]),
        ("email=%5Ejane", vec!["Jane"]),
        ("email=!*", vec!["Acme", "Tomas", "Zoe"]),
        ("city=~spring", vec!["Tom"]),
        ("postcode=%5E627", vec!["Tom"]),
        ("street1=~loop", vec!["Acme"]),
        ("full_address=~United States", vec!["Acme", "Tom"]),
        ("region=*", vec!["Tom"]),
        ("street2=!*", vec!["Acme", "Jane", "Tom", "Tomas", "Zoe"]),
        ("country=US", vec!["Acme", "Tom"]),
        ("country=us|RU", vec!["Acme", "Tom", "Tomas"]),
        ("country=!US", vec!["Jane", "Tomas", "Zoe"]),
    ] {
        assert_eq!(found(&s, &query.replace(' ', "%20")), expected, "{query}");
    }
    // The long form refuses an operator the text type lacks.
    assert_eq!(refused(&s, "f[]=email&op[email]==&v[email][]=x"), ["Operator is invalid"]);
}

#[test]
fn flags_ids_and_users_take_list_operators_and_me() {
    let s = world();
    for (query, expected) in [
        ("is_company=1", vec!["Acme"]),
        ("is_company=true", vec!["Acme"]),
        ("is_company=!1", vec!["Jane", "Tom", "Tomas", "Zoe"]),
        ("is_company=0|1", vec!["Acme", "Jane", "Tom", "Tomas", "Zoe"]),
        ("ids=1|3", vec!["Jane", "Tom"]),
        ("ids=1,2", vec!["Tom", "Tomas"]),
        ("ids=!1|2|3", vec!["Acme", "Zoe"]),
        ("assigned_to_id=me", vec!["Tom"]),
        ("assigned_to_id=1|2", vec!["Jane", "Tom"]),
        ("assigned_to_id=*", vec!["Jane", "Tom"]),
        ("assigned_to_id=!*", vec!["Acme", "Tomas", "Zoe"]),
        ("assigned_to_id=!1", vec!["Acme", "Jane", "Tomas", "Zoe"]),
        ("author_id=2", vec!["Zoe"]),
        ("author_id=!me", vec!["Zoe"]),
    ] {
        assert_eq!(found(&s, query), expected, "{query}");
    }
    // `me` is the requesting user: jsmith sees nothing of project alpha, so he is made a viewer.
    let r = s.post_json("/projects/1/memberships.json", json!({"membership": {"user_id": 2, "role_ids": [3]}}));
    assert_eq!(r.status, 201, "{}", r.text());
    let mine = s.as_key(JSMITH_KEY, "GET", "/contacts.json?assigned_to_id=me", None, "").json();
    assert_eq!(names(&mine), ["Jane"]);
    assert_eq!(refused(&s, "ids=me"), ["Contact is invalid"]);
    assert_eq!(refused(&s, "is_company=maybe"), ["Is company is invalid"]);
    assert_eq!(refused(&s, "assigned_to_id=abc"), ["Assignee is invalid"]);
}

#[test]
fn tags_need_all_listed_and_take_any_and_none() {
    let s = world();
    assert_eq!(found(&s, "tags=vip|lead"), ["Tom"]);
    assert_eq!(found(&s, "tags=*"), ["Tom", "Tomas"]);
    assert_eq!(found(&s, "tags=!*"), ["Acme", "Jane", "Zoe"]);
    assert_eq!(found(&s, "f[]=tags&op[tags]=!&v[tags][]=vip&v[tags][]=lead"), ["Acme", "Jane", "Tomas", "Zoe"]);
    assert_eq!(refused(&s, "f[]=tags&op[tags]=="), ["Tags cannot be blank"]);
    assert_eq!(refused(&s, "tags=!"), ["Tags cannot be blank"]);
}

#[test]
fn dates_take_absolute_and_relative_operators() {
    let s = world();
    let all = vec!["Acme", "Jane", "Tom", "Tomas", "Zoe"];
    let none: Vec<&str> = vec![];
    for (query, expected) in [
        ("created_on=t", &all),
        ("created_on=%3Et-2", &all),
        ("created_on=%3Ct-2", &none),
        ("created_on=t-1", &none),
        ("created_on=%3E%3Ct-3|0", &all),
        ("created_on=%3E%3Ct-3|1", &none),
        ("created_on=ld", &none),
        ("created_on=w", &all),
        ("created_on=m", &all),
        ("created_on=y", &all),
        ("created_on=lm", &none),
        ("created_on=nd", &none),
        ("created_on=%3Ct%2B1", &all),
        ("created_on=%3E%3D2020-01-01", &all),
        ("created_on=%3C%3D2020-01-01", &none),
        ("created_on=%3E%3C2020-01-01|2020-12-31", &none),
        ("created_on=*", &all),
        ("created_on=!*", &none),
        ("updated_on=t", &all),
        ("updated_on=l2w", &none),
    ] {
        assert_eq!(found(&s, query), *expected, "{query}");
    }
    assert_eq!(refused(&s, "created_on=%3E%3D2024-13-45"), ["Created is invalid"]);
    assert_eq!(refused(&s, "created_on=%3E%3C2024-01-01"), ["Created is invalid"]);
    assert_eq!(refused(&s, "updated_on=%3Et-x"), ["Updated is invalid"]);
    // `t+` (future days) is a date operator, not one of a past date.
    assert_eq!(refused(&s, "f[]=updated_on&op[updated_on]=t%2B&v[updated_on][]=2"), ["Operator is invalid"]);
    assert_eq!(refused(&s, "f[]=created_on&op[created_on]=%3E%3D"), ["Created cannot be blank"]);
}

#[test]
fn deals_and_notes_filter_contacts() {
    let s = world();
    let status = s.post_json("/deal_statuses.json", json!({"deal_status": {"name": "Open", "is_default": true}}));
    assert_eq!(status.status, 201, "{}", status.text());
    let deal = s.post_json("/deals.json", json!({"deal": {"name": "Big one", "project_id": 1, "contact_id": 2}}));
    assert_eq!(deal.status, 201, "{}", deal.text());
    let note = s.post_json("/notes.json", json!({"source_type": "Contact", "source_id": 3, "note": {"content": "Hi"}}));
    assert_eq!(note.status, 201, "{}", note.text());
    assert_eq!(found(&s, "has_deals=1"), ["Tomas"]);
    assert_eq!(found(&s, "has_deals=!1"), ["Acme", "Jane", "Tom", "Zoe"]);
    assert_eq!(found(&s, "last_note=t"), ["Jane"]);
    assert_eq!(found(&s, "last_note=!*"), ["Acme", "Tom", "Tomas", "Zoe"]);
    assert_eq!(found(&s, "has_open_issues=*"), Vec::<String>::new(), "this product keeps no issues");
    assert_eq!(found(&s, "has_open_issues=!*").len(), 5);
}

#[test]
fn custom_fields_filter_by_their_format() {
    let s = world();
    for (query, expected) in [
        // int
        ("cf_2=10", vec!["Tom"]),
        ("cf_2=10,3", vec!["Tom", "Tomas"]),
        ("cf_2=%3E%3D3", vec!["Tom", "Tomas"]),
        ("cf_2=%3C%3D3", vec!["Jane", "Tomas"]),
        ("cf_2=%3E%3C-5|5", vec!["Jane", "Tomas"]),
        ("cf_2=*", vec!["Jane", "Tom", "Tomas"]),
        ("cf_2=!*", vec!["Acme", "Zoe"]),
        // float
        ("cf_3=2.5", vec!["Tom"]),
        ("cf_3=%3E%3D3", vec!["Tomas"]),
        ("cf_3=%3E%3C2|8", vec!["Tom", "Tomas"]),
        // date
        ("cf_4=2024-03-01", vec!["Tom"]),
        ("cf_4=%3C%3D2024-01-01", vec!["Tomas"]),
        ("cf_4=%3E%3C2023-01-01|2024-12-31", vec!["Tom", "Tomas"]),
        ("cf_4=%3Ct-30", vec!["Tom", "Tomas"]),
        ("cf_4=!*", vec!["Acme", "Jane", "Zoe"]),
        // list
        ("cf_5=Gold", vec!["Jane", "Tom"]),
        ("cf_5=!Gold", vec!["Acme", "Tomas", "Zoe"]),
        ("cf_5=Gold|Silver", vec!["Jane", "Tom", "Tomas"]),
        ("cf_5=*", vec!["Jane", "Tom", "Tomas"]),
        // multi-value list: any of the values
        ("cf_6=ru", vec!["Jane", "Tom"]),
        ("cf_6=de|en", vec!["Tom", "Tomas"]),
        ("cf_6=!ru", vec!["Acme", "Tomas", "Zoe"]),
        ("cf_6=!*", vec!["Acme", "Zoe"]),
        // bool
        ("cf_7=1", vec!["Tom"]),
        ("cf_7=false", vec!["Tomas"]),
        ("cf_7=!1", vec!["Acme", "Jane", "Tomas", "Zoe"]),
        ("cf_7=!*", vec!["Acme", "Jane", "Zoe"]),
        // string
        ("cf_8=~big", vec!["Tom"]),
        ("cf_8=%5EThink", vec!["Tom"]),
        ("cf_8=!~big", vec!["Acme", "Jane", "Tomas", "Zoe"]),
        ("cf_8=Think%20big", vec!["Tom"]),
    ] {
        assert_eq!(found(&s, query), expected, "{query}");
    }
    let long = "f[]=cf_2&op[cf_2]=%3E%3C&v[cf_2][]=0&v[cf_2][]=20&f[]=cf_6&op[cf_6]==&v[cf_6][]=en";
    assert_eq!(found(&s, long), ["Tom"]);
    assert_eq!(refused(&s, "cf_2=%3E%3Dabc"), ["Level is invalid"]);
    assert_eq!(refused(&s, "cf_2=1.5"), ["Level is invalid"]);
    assert_eq!(refused(&s, "cf_3=%3E%3D1,5"), ["Score is invalid"]);
    assert_eq!(refused(&s, "cf_4=2024-02-30"), ["Since is invalid"]);
    assert_eq!(refused(&s, "cf_7=perhaps"), ["Active is invalid"]);
    assert_eq!(refused(&s, "f[]=cf_2&op[cf_2]=~&v[cf_2][]=1"), ["Operator is invalid"]);
    // A field not used as a filter is no filter: ignored in the short form, refused in the long.
    assert_eq!(found(&s, "cf_1=x").len(), 5);
    assert_eq!(refused(&s, "f[]=cf_1&op[cf_1]==&v[cf_1][]=x"), ["Filter name is invalid"]);
}

#[test]
fn unknown_long_form_filters_are_refused_and_short_form_parameters_ignored() {
    let s = world();
    assert_eq!(found(&s, "nonsense=1&cf_99=2&cf_x=3").len(), 5);
    assert_eq!(
        refused(&s, "f[]=nonsense&f[]=first_name&op[first_name]=%3E%3D&v[first_name][]=x"),
        ["Filter name is invalid", "Operator is invalid"]
    );
    assert_eq!(refused(&s, "f[]=first_name&op[first_name]=~"), ["First Name cannot be blank"]);
    // Several problems come in one answer (in parameter name order).
    assert_eq!(refused(&s, "created_on=%3E%3Dsoon&cf_2=%3E%3Dlots"), ["Level is invalid", "Created is invalid"]);
}

#[test]
fn every_sortable_column_sorts_both_ways() {
    let s = world();
    let sorted = |sort: &str| names(&s.get(&format!("/contacts.json?sort={sort}")).json());
    assert_eq!(sorted("cf_2"), ["Acme", "Zoe", "Jane", "Tomas", "Tom"], "numbers, not text; none first");
    assert_eq!(sorted("cf_2:desc"), ["Tom", "Tomas", "Jane", "Acme", "Zoe"]);
    assert_eq!(sorted("cf_3:desc,first_name"), ["Tomas", "Tom", "Acme", "Jane", "Zoe"]);
    assert_eq!(sorted("cf_4,id"), ["Jane", "Acme", "Zoe", "Tomas", "Tom"]);
    assert_eq!(sorted("cf_6,first_name"), sorted("first_name"), "a multi-value field is not sortable");
    assert_eq!(sorted("city:desc,id"), ["Tom", "Tomas", "Acme", "Jane", "Zoe"]);
    assert_eq!(sorted("country,first_name"), ["Jane", "Zoe", "Tomas", "Acme", "Tom"]);
    assert_eq!(sorted("company:desc,id"), ["Jane", "Tomas", "Tom", "Acme", "Zoe"]);
    assert_eq!(sorted("emails:desc,id"), ["Tom", "Jane", "Tomas", "Acme", "Zoe"]);
    assert_eq!(sorted("phones,id"), ["Jane", "Acme", "Zoe", "Tom", "Tomas"]);
    assert_eq!(sorted("assigned_to,id"), ["Tomas", "Acme", "Zoe", "Jane", "Tom"]);
    assert_eq!(sorted("author:desc,id"), ["Tom", "Tomas", "Jane", "Acme", "Zoe"]);
    assert_eq!(sorted("id:desc"), ["Zoe", "Acme", "Jane", "Tomas", "Tom"]);
    assert_eq!(sorted("unknown,first_name:desc"), ["Zoe", "Tomas", "Tom", "Jane", "Acme"]);
    for column in [
        "id",
        "name",
        "first_name",
        "last_name",
        "middle_name",
        "job_title",
        "company",
        "phones",
        "emails",
        "address",
        "street1",
        "street2",
        "city",
        "region",
        "postcode",
        "country",
        "created_on",
        "updated_on",
        "assigned_to",
        "author",
        "cf_5",
    ] {
        for dir in ["", ":desc"] {
            let r = s.get(&format!("/contacts.xml?sort={column}{dir}"));
            assert_eq!(r.status, 200, "{column}{dir}");
            assert!(r.text().contains(r#"<contacts total_count="5" offset="0" limit="25" type="array">"#));
        }
    }
}

#[test]
fn filters_combine_with_search_scope_and_paging_in_both_formats() {
    let s = world();
    let r = s.get("/contacts.json?search=tom&cf_5=Gold&limit=1");
    let list = r.json();
    assert_eq!((names(&list), list["total_count"].as_i64()), (vec!["Jane".to_string()], Some(2)));
    let xml =
        s.get("/projects/alpha/contacts.xml?set_filter=1&f[]=cf_6&op[cf_6]==&v[cf_6][]=ru&sort=first_name:desc").text();
    assert!(
        xml.contains(r#"<contacts total_count="2" offset="0" limit="25" type="array"><contact><id>1</id>"#),
        "{xml}"
    );
    let langs = concat!(
        r#"<custom_field id="6" name="Langs" multiple="true">"#,
        "<value type=\"array\"><value>en</value><value>ru</value></value></custom_field>"
    );
    assert!(xml.contains(langs), "{xml}");
    assert_eq!(s.get("/projects/beta/contacts.json?cf_5=Gold").json()["total_count"], 0);
}
