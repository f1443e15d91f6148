//! Authentication (API.md §1.2): every way of presenting credentials, and what happens when
//! they match nobody.

use super::common::{Server, ADMIN_KEY, ADMIN_PASSWORD, JSMITH_KEY};
use super::contacts::base64_encode;

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64_encode(&format!("{user}:{password}")))
}

#[test]
fn anonymous_gets_401_with_a_basic_challenge() {
    let s = Server::seeded();
    let r = s.raw("GET", "/contacts.json", &[], b"");
    assert_eq!(r.status, 401);
    assert_eq!(r.header("WWW-Authenticate"), Some("Basic realm=\"Redmine API\""));
    assert!(r.body.is_empty());
}

#[test]
fn a_bad_key_is_anonymous() {
    let s = Server::seeded();
    assert_eq!(s.as_key("0123456789abcdef0123456789abcdef01234567", "GET", "/contacts.json", None, "").status, 401);
}

#[test]
fn key_in_header_query_and_basic_user_name() {
    let s = Server::seeded();
    assert_eq!(s.raw("GET", "/users/current.json", &[("X-Redmine-API-Key", ADMIN_KEY)], b"").status, 200);
    assert_eq!(s.raw("GET", &format!("/users/current.json?key={ADMIN_KEY}"), &[], b"").status, 200);
    let r = s.raw("GET", "/users/current.json", &[("Authorization", &basic(ADMIN_KEY, "X"))], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["user"]["login"], "admin");
}

#[test]
fn basic_login_and_password() {
    let s = Server::seeded();
    let ok = s.raw("GET", "/users/current.json", &[("Authorization", &basic("admin", ADMIN_PASSWORD))], b"");
    assert_eq!(ok.status, 200);
    let wrong = s.raw("GET", "/contacts.json", &[("Authorization", &basic("admin", "wrong-password"))], b"");
    assert_eq!(wrong.status, 401);
}

#[test]
fn admins_can_switch_user_and_others_cannot() {
    let s = Server::seeded();
    let r = s.raw(
        "GET",
        "/users/current.json",
        &[("X-Redmine-API-Key", ADMIN_KEY), ("X-Redmine-Switch-User", "jsmith")],
        b"",
    );
    assert_eq!(r.json()["user"]["login"], "jsmith");
    let unknown = s.raw(
        "GET",
        "/users/current.json",
        &[("X-Redmine-API-Key", ADMIN_KEY), ("X-Redmine-Switch-User", "nobody")],
        b"",
    );
    assert_eq!(unknown.status, 412);
    let ignored = s.raw(
        "GET",
        "/users/current.json",
        &[("X-Redmine-API-Key", JSMITH_KEY), ("X-Redmine-Switch-User", "admin")],
        b"",
    );
    assert_eq!(ignored.json()["user"]["login"], "jsmith");
}

#[test]
fn the_api_key_is_shown_only_to_its_owner_and_admins() {
    let s = Server::seeded();
    let own = s.as_key(JSMITH_KEY, "GET", "/users/current.json", None, "").json();
    assert_eq!(own["user"]["api_key"], JSMITH_KEY);
    let other = s.as_key(JSMITH_KEY, "GET", "/users/1.json", None, "").json();
    assert!(other["user"].get("api_key").is_none());
    assert!(other["user"].get("login").is_none());
}

#[test]
fn admin_only_endpoints_refuse_users() {
    let s = Server::seeded();
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/users.json", None, "").status, 403);
    assert_eq!(s.as_key(JSMITH_KEY, "GET", "/deal_statuses.json", None, "").status, 403);
    let r = s.as_key(
        JSMITH_KEY,
        "POST",
        "/projects.json",
        Some("application/json"),
        r#"{"project":{"name":"X","identifier":"x"}}"#,
    );
    assert_eq!(r.status, 403);
}
