//! The contact list: search (API.md §4.2 and Product decision 7), filters, paging and order.

use serde_json::{json, Value};

use super::common::Server;

fn names(list: &Value) -> Vec<String> {
    list["contacts"].as_array().unwrap().iter().map(|c| c["first_name"].as_str().unwrap().to_string()).collect()
}

fn people() -> Server {
    let s = Server::seeded();
    for (first, last, extra) in [
        ("Tom", "Smith", json!({"email": "tom@apple.example", "job_title": "CTO", "tag_list": "vip, lead"})),
        ("Tomas", "Anderson", json!({"phone": "+7 495 111", "tag_list": "vip"})),
        ("Jane", "Doe", json!({"company": "Tomato Inc", "tag_list": "lead"})),
        ("Émile", "Zola", json!({"middle_name": "Édouard", "background": "tom in the background only"})),
        ("Bob", "O'Brien", json!({"email": "bob_100%@x.example"})),
        ("Ann", "Lee", json!({"is_company": false, "assigned_to_id": 1})),
        ("Acme", "", json!({"is_company": true})),
    ] {
        let mut c = json!({"project_id": 1, "first_name": first, "last_name": last});
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        s.create_contact(c);
    }
    s
}

#[test]
fn search_matches_substrings_of_the_searched_fields_and_counts_only_matches() {
    let s = people();
    let list = s.get("/contacts.json?search=tom").json();
    assert_eq!(names(&list), vec!["Tomas", "Jane", "Tom"], "background is not searched; company is");
    assert_eq!(list["total_count"], 3);
}

#[test]
fn search_is_case_insensitive_beyond_ascii() {
    let s = people();
    assert_eq!(names(&s.get("/contacts.json?search=%C3%A9douard").json()), vec!["Émile"]);
    assert_eq!(names(&s.get("/contacts.json?search=%C3%89MILE").json()), vec!["Émile"]);
}

#[test]
fn every_word_must_match() {
    let s = people();
    assert_eq!(names(&s.get("/contacts.json?search=tom+smith").json()), vec!["Tom"]);
    assert_eq!(names(&s.get("/contacts.json?search=tom%20cto").json()), vec!["Tom"]);
    assert_eq!(s.get("/contacts.json?search=tom+nobody").json()["total_count"], 0);
}

#[test]
fn short_words_match_too() {
    let s = people();
    assert_eq!(names(&s.get("/contacts.json?search=ct").json()), vec!["Tom"]);
    assert_eq!(names(&s.get("/contacts.json?search=49").json()), vec!["Tomas"]);
    // Two-character words alone are answered from the trigram index.
    assert_eq!(names(&s.get("/contacts.json?search=to").json()), vec!["Tomas", "Jane", "Tom"]);
    assert_eq!(names(&s.get("/contacts.json?search=TO+th").json()), vec!["Tom"]);
    assert_eq!(s.get("/contacts.json?search=to+qq").json()["total_count"], 0);
    // … even at the very end of the last searched field (the job title).
    s.create_contact(json!({"project_id": 1, "first_name": "Kim", "last_name": "Park", "job_title": "Head of HR"}));
    for query in ["hr", "of+hr", "HR+ki", "r"] {
        let list = s.get(&format!("/contacts.json?search={query}")).json();
        assert!(names(&list).contains(&"Kim".to_string()), "search={query}: {list}");
    }
    assert_eq!(names(&s.get("/contacts.json?search=hr+of").json()), vec!["Kim"]);
}

#[test]
fn hostile_search_strings_are_plain_text() {
    let s = people();
    for (query, expected) in [
        ("%25", vec!["Bob"]),
        ("_", vec!["Bob"]),
        ("100%25", vec!["Bob"]),
        ("o%27brien", vec!["Bob"]),
        ("%22tom", vec![]),
        ("tom*", vec![]),
        ("tom+OR+jane", vec![]),
        ("NEAR(tom", vec![]),
        ("%00", vec![]),
        ("to%00m", vec![]),
        ("-tom", vec![]),
        ("a:b", vec![]),
    ] {
        let r = s.get(&format!("/contacts.json?search={query}"));
        assert_eq!(r.status, 200, "search={query}: {}", r.text());
        assert_eq!(names(&r.json()), expected, "search={query}");
    }
    let long = "x".repeat(10_000);
    let r = s.get(&format!("/contacts.json?search={long}"));
    assert_eq!((r.status, r.json()["total_count"].as_i64()), (200, Some(0)));
}

#[test]
fn tags_with_a_bar_need_all_of_them() {
    let s = people();
    assert_eq!(names(&s.get("/contacts.json?tags=vip").json()), vec!["Tomas", "Tom"]);
    assert_eq!(names(&s.get("/contacts.json?tags=vip|lead").json()), vec!["Tom"]);
    assert_eq!(names(&s.get("/contacts.json?tags=VIP").json()), vec!["Tomas", "Tom"], "tag names are case-insensitive");
    assert_eq!(s.get("/contacts.json?tags=unknown").json()["total_count"], 0);
    assert_eq!(s.get("/contacts.json?tags=!vip").json()["total_count"], 5);
}

#[test]
fn filters_by_assignee_company_flag_and_ids() {
    let s = people();
    assert_eq!(names(&s.get("/contacts.json?assigned_to_id=me").json()), vec!["Ann"]);
    assert_eq!(names(&s.get("/contacts.json?is_company=1").json()), vec!["Acme"]);
    assert_eq!(s.get("/contacts.json?is_company=0").json()["total_count"], 6);
    assert_eq!(names(&s.get("/contacts.json?ids=1|2").json()), vec!["Tomas", "Tom"]);
    assert_eq!(names(&s.get("/contacts.json?first_name=~tom").json()), vec!["Tomas", "Tom"]);
    assert_eq!(s.get("/contacts.json?assigned_to_id=abc").status, 422);
    assert_eq!(s.get("/contacts.json?created_on=%3E%3Dnot-a-date").json()["errors"], json!(["Created is invalid"]));
}

#[test]
fn default_order_is_last_then_first_name_and_sort_is_honoured() {
    let s = people();
    assert_eq!(names(&s.get("/contacts.json").json()), vec!["Acme", "Tomas", "Jane", "Ann", "Bob", "Tom", "Émile"]);
    assert_eq!(names(&s.get("/contacts.json?sort=first_name:desc&limit=2").json()), vec!["Émile", "Tomas"]);
}

#[test]
fn paging_reports_the_effective_window() {
    let s = people();
    let page = s.get("/contacts.json?limit=2&page=2").json();
    assert_eq!(
        (page["offset"].as_i64(), page["limit"].as_i64(), page["total_count"].as_i64()),
        (Some(2), Some(2), Some(7))
    );
    assert_eq!(names(&page), vec!["Jane", "Ann"]);
    let past = s.get("/contacts.json?offset=100").json();
    assert_eq!((past["contacts"].as_array().unwrap().len(), past["total_count"].as_i64()), (0, Some(7)));
    let xml = s.get("/contacts.xml?offset=100").text();
    assert!(xml.ends_with(r#"<contacts total_count="7" offset="100" limit="25" type="array"></contacts>"#), "{xml}");
}

#[test]
fn contacts_tags_lists_used_tags_with_colours() {
    let s = people();
    let tags = s.get("/contacts_tags.json").json();
    assert_eq!(tags["total_count"], 2);
    assert_eq!(tags["tags"][1], json!({"id": tags["tags"][1]["id"], "name": "vip", "color": "#766970"}));
}

#[test]
fn nometa_leaves_the_counters_out() {
    let s = people();
    let json = s.get("/contacts.json?nometa=1&limit=1").json();
    assert_eq!(json.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["contacts"]);
    let xml = s
        .raw(
            "GET",
            "/contacts.xml?limit=1",
            &[("X-Redmine-API-Key", super::common::ADMIN_KEY), ("X-Redmine-Nometa", "1")],
            b"",
        )
        .text();
    assert!(xml.contains(r#"<contacts type="array">"#), "{xml}");
}

#[test]
fn a_malformed_query_string_is_400() {
    let s = people();
    assert_eq!(s.get("/contacts.json?a=1&a[]=2").status, 400);
}

/// Pages of any size, read forwards (first half) or backwards from the end (second half), and
/// searches answered by walking the list order, all tile the same ordered list.
#[test]
fn pages_tile_the_whole_list_in_order() {
    let s = Server::seeded();
    for i in 0..30 {
        let last = ["Berg", "Abe", "Zed", "Mori"][i % 4];
        s.create_contact(json!({"project_id": 1, "first_name": format!("Filler{:02}", 30 - i), "last_name": last}));
    }
    s.create_contact(json!({"project_id": 1, "first_name": "Other"}));
    for query in ["", "&search=filler", "&search=fi+er", "&search=ler0"] {
        let all = names(&s.get(&format!("/contacts.json?limit=100{query}")).json());
        for limit in [1, 4, 7] {
            let mut paged = Vec::new();
            for offset in (0..all.len()).step_by(limit) {
                let page = s.get(&format!("/contacts.json?limit={limit}&offset={offset}{query}")).json();
                assert_eq!(page["total_count"].as_u64(), Some(all.len() as u64));
                paged.extend(names(&page));
            }
            assert_eq!(paged, all, "limit {limit}, query {query:?}");
        }
    }
}

/// Lists reuse contacts rendered earlier; every change must show at once all the same.
#[test]
fn lists_show_every_change_at_once() {
    let s = Server::seeded();
    let id = s.create_contact(json!({"project_id": 1, "first_name": "Cache", "job_title": "v0"}));
    for format in ["json", "xml"] {
        assert!(s.get(&format!("/contacts.{format}")).text().contains("v0"));
    }
    for v in 1..=3 {
        let r = s.put_json(&format!("/contacts/{id}.json"), json!({"contact": {"job_title": format!("v{v}")}}));
        assert_eq!(r.status, 204);
        assert_eq!(s.get("/contacts.json").json()["contacts"][0]["job_title"], format!("v{v}"));
        assert!(s.get("/contacts.xml").text().contains(&format!("<job_title>v{v}</job_title>")));
    }
    s.put_json("/users/1.json", json!({"user": {"firstname": "Renamed"}}));
    assert_eq!(s.get("/contacts.json").json()["contacts"][0]["author"]["name"], "Renamed Admin");
    s.post_json(
        "/custom_fields.json",
        json!({"custom_field": {"name": "Extra", "field_format": "string", "customized_type": "contact"}}),
    );
    assert_eq!(s.get("/contacts.json").json()["contacts"][0]["custom_fields"].as_array().unwrap().len(), 2);
}

#[test]
fn a_projects_list_includes_its_subprojects_contacts_as_the_tree_changes() {
    let s = Server::start();
    let created = |body: Value| {
        let r = s.post_json("/projects.json", body);
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["project"]["id"].as_i64().unwrap()
    };
    let parent = created(json!({"project": {"name": "Parent", "identifier": "parent"}}));
    s.create_contact(json!({"project_id": "parent", "first_name": "Upstairs"}));
    // Asked once before the subproject exists (what a cached project tree would keep).
    assert_eq!(names(&s.get("/contacts.json?project_id=parent").json()), ["Upstairs"]);

    let child = created(json!({"project": {"name": "Child", "identifier": "child", "parent_id": parent}}));
    s.create_contact(json!({"project_id": "child", "first_name": "Downstairs"}));
    let mut both = names(&s.get("/contacts.json?project_id=parent&sort=first_name").json());
    both.sort();
    assert_eq!(both, ["Downstairs", "Upstairs"]);
    assert_eq!(names(&s.get("/contacts.json?project_id=child").json()), ["Downstairs"]);

    // Moved out of the tree: the parent's list no longer shows the child's contact.
    let r = s.put_json(&format!("/projects/{child}.json"), json!({"project": {"parent_id": null}}));
    assert!(r.status == 200 || r.status == 204, "{} {}", r.status, r.text());
    assert_eq!(names(&s.get("/contacts.json?project_id=parent").json()), ["Upstairs"]);
}
