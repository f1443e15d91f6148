//! The public web form (API.md §7): a form post with `redirect_on_success` answers as Rails'
//! `redirect_to` does: 302, `Location`, and a short HTML page linking there.

use serde_json::json;

use super::common::{Resp, Server, ADMIN_KEY};

fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----FormBoundary7MA4YWxk";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

/// Checks a 302 as Rails writes it: `Location`, an HTML content type, and the page linking
/// to `href` (the location HTML-escaped).
#[track_caller]
fn assert_redirected(r: &Resp, location: &str, href: &str) {
    assert_eq!(r.status, 302, "{}", r.text());
    assert_eq!(r.header("Location"), Some(location));
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.text(), format!("<html><body>You are being <a href=\"{href}\">redirected</a>.</body></html>"));
}

fn found(s: &Server, query: &str) -> i64 {
    s.get(&format!("/contacts.json?{query}")).json()["total_count"].as_i64().unwrap()
}

#[test]
fn a_multipart_form_post_is_redirected_with_rails_body() {
    let s = Server::seeded();
    let (ct, body) = multipart(&[
        ("utf8", "✓"),
        ("key", ADMIN_KEY),
        ("project_id", "alpha"),
        ("redirect_on_success", "https://www.example.com/thanks?from=form&lang=en"),
        ("contact[first_name]", "Form"),
        ("contact[last_name]", "Visitor"),
        ("contact[email]", "visitor@example.com"),
        ("commit", "Save"),
    ]);
    let r = s.raw("POST", "/contacts.json", &[("Content-Type", &ct)], &body);
    assert_redirected(
        &r,
        "https://www.example.com/thanks?from=form&lang=en",
        "https://www.example.com/thanks?from=form&amp;lang=en",
    );
    assert_eq!(found(&s, "search=visitor"), 1);
}

#[test]
fn an_urlencoded_form_post_is_redirected_and_odd_urls_are_escaped() {
    let s = Server::seeded();
    let target = "http://example.org/a b/\"quoted\"/<tag>/'x'/é";
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("key", ADMIN_KEY)
        .append_pair("project_id", "beta")
        .append_pair("contact[first_name]", "Url")
        .append_pair("redirect_on_success", target)
        .finish();
    let r = s.raw("POST", "/contacts.xml", &[("Content-Type", "application/x-www-form-urlencoded")], body.as_bytes());
    assert_redirected(
        &r,
        "http://example.org/a%20b/\"quoted\"/<tag>/'x'/%C3%A9",
        "http://example.org/a%20b/&quot;quoted&quot;/&lt;tag&gt;/&#39;x&#39;/%C3%A9",
    );
    assert_eq!(found(&s, "search=url"), 1);
}

#[test]
fn a_failing_form_post_answers_the_errors_and_writes_nothing() {
    let s = Server::seeded();
    let (ct, body) = multipart(&[
        ("key", ADMIN_KEY),
        ("project_id", "alpha"),
        ("redirect_on_success", "https://www.example.com/thanks"),
        ("contact[last_name]", "Nameless"),
        ("contact[email]", "broken"),
    ]);
    let r = s.raw("POST", "/contacts.json", &[("Content-Type", &ct)], &body);
    assert_eq!(r.status, 422);
    assert_eq!(r.header("Location"), None);
    assert_eq!(r.json(), json!({"errors": ["First Name cannot be blank", "Email have incorrect format"]}));
    assert_eq!(found(&s, "search=nameless"), 0);
}
