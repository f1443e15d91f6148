//! Keys and passwords never reach the log, however a client sends them.

use base64::Engine;
use serde_json::json;

use crate::client::expect;
use crate::common::{send, ADMIN_KEY};
use crate::process::Served;

#[test]
fn keys_and_passwords_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Served::start(&dir.path().join("logs.db"));
    let addr = server.addr;
    let password = "Pa55word-never-logged";
    let wrong = "Wr0ng-password-never-logged";
    expect(
        addr,
        "POST",
        "/users.json",
        Some(&json!({"user": {"login": "ann", "firstname": "Ann", "lastname": "Lee",
        "mail": "ann@example.com", "password": password}})),
        201,
    );
    let basic = |login: &str, secret: &str| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{login}:{secret}")))
    };
    let form = format!("key={ADMIN_KEY}&contact[first_name]=Form");
    let requests: Vec<(&str, String, Vec<(&str, String)>, Option<&[u8]>)> = vec![
        ("GET", format!("/users/current.json?key={ADMIN_KEY}"), vec![], None),
        ("GET", "/users/current.json".into(), vec![("Authorization", basic("ann", password))], None),
        ("GET", "/users/current.json".into(), vec![("Authorization", basic("ann", wrong))], None),
        ("GET", "/users/current.json".into(), vec![("Authorization", basic(ADMIN_KEY, "x"))], None),
        (
            "POST",
            "/contacts.json".into(),
            vec![("Content-Type", "application/x-www-form-urlencoded".into())],
            Some(form.as_bytes()),
        ),
    ];
    for (method, path, headers, body) in &requests {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        send(addr, method, path, &headers, *body).expect("an answer");
    }
    server.terminate();
    server.stop(std::time::Duration::from_secs(10));
    let log = server.log_tail();
    assert!(log.contains("/users/current.json"), "the requests are logged:\n{log}");
    for secret in [ADMIN_KEY, password, wrong] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
    let encoded = basic("ann", password);
    assert!(!log.contains(encoded.trim_start_matches("Basic ")), "a Basic credential is in the log:\n{log}");
}
