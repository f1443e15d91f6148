//! What one client may take: connections, time to send a request, failed logins.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use contacts::config::Limits;

use super::common::{Server, ADMIN_KEY};

fn get_on(stream: &mut TcpStream, path: &str) -> String {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: t\r\nX-Redmine-API-Key: {ADMIN_KEY}\r\n\r\n").unwrap();
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn connections_past_the_limit_wait_until_one_closes() {
    let s = Server::start_with(Limits { max_connections: 2, ..Limits::default() });
    let mut first = TcpStream::connect(s.addr).unwrap();
    let mut second = TcpStream::connect(s.addr).unwrap();
    assert!(get_on(&mut first, "/users/current.json").starts_with("HTTP/1.1 200"));
    assert!(get_on(&mut second, "/users/current.json").starts_with("HTTP/1.1 200"));
    // Both kept alive: a third connection is not served meanwhile…
    let mut third = TcpStream::connect(s.addr).unwrap();
    third.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    write!(third, "GET /users/current.json HTTP/1.1\r\nHost: t\r\nX-Redmine-API-Key: {ADMIN_KEY}\r\n\r\n").unwrap();
    let mut buf = [0u8; 64];
    assert!(third.read(&mut buf).is_err(), "the third connection was served while two were open");
    // …and is served as soon as one of them closes.
    drop(first);
    third.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let n = third.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

#[test]
fn a_body_not_sent_in_time_gets_408_and_nothing_is_written() {
    let s = Server::start_with(Limits { request_timeout: Duration::from_secs(1), ..Limits::default() });
    let mut stream = TcpStream::connect(s.addr).unwrap();
    let body = r#"{"project":{"name":"Slow","identifier":"slow"}}"#;
    write!(
        stream,
        "POST /projects.json HTTP/1.1\r\nHost: t\r\nX-Redmine-API-Key: {ADMIN_KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("The request was not sent in time"), "{answer}");
    assert_eq!(s.get("/projects.json").json()["total_count"], 0);
}

#[test]
fn repeated_failed_logins_from_one_address_are_slowed_down() {
    let s = Server::start();
    let basic = |password: &str| {
        use base64::Engine;
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}")))
    };
    let attempt = |auth: &str| {
        let started = Instant::now();
        let r = s.raw("GET", "/users/current.json", &[("Authorization", auth)], b"");
        (r.status, started.elapsed())
    };
    for i in 0..5 {
        assert_eq!(attempt(&basic(&format!("wrong{i}"))).0, 401);
    }
    // From the sixth failure on, each attempt waits before it is checked — a right password too.
    let (status, waited) = attempt(&basic("wrong5"));
    assert_eq!(status, 401);
    assert!(waited >= Duration::from_millis(250), "waited {waited:?}");
    let (status, waited) = attempt(&basic("still wrong"));
    assert_eq!(status, 401);
    assert!(waited >= Duration::from_millis(500), "waited {waited:?}");
    let (status, waited) = attempt(&format!("Basic {}", {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{ADMIN_KEY}:x"))
    }));
    assert_eq!(status, 200, "a key as the user name still works");
    assert!(waited >= Duration::from_millis(1000), "waited {waited:?}");
    // A success clears the address's record.
    let (status, waited) = attempt(&basic("wrong again"));
    assert_eq!(status, 401);
    assert!(waited < Duration::from_millis(250), "waited {waited:?}");
}

#[test]
fn a_list_parameter_with_too_many_values_gets_422() {
    let s = Server::start_with(Limits { max_list_values: 50, ..Limits::default() });
    assert_eq!(
        s.post_json("/projects.json", serde_json::json!({"project": {"name": "P", "identifier": "p"}})).status,
        201
    );
    let ids = |n: usize| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>().join("%7C");
    assert_eq!(s.get(&format!("/contacts.json?ids={}", ids(50))).status, 200, "at the limit");
    let r = s.get(&format!("/contacts.json?ids={}", ids(51)));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"], serde_json::json!(["ids has too many values (maximum is 50)"]));
    let long_form: String = (1..=51).map(|i| format!("&v[ids][]={i}")).collect();
    let r = s.get(&format!("/contacts.xml?set_filter=1&f[]=ids&op[ids]=={long_form}"));
    assert_eq!(r.status, 422);
    assert!(r.text().contains("<error>v has too many values (maximum is 50)</error>"), "{}", r.text());
    let include = vec!["notes"; 51].join(",");
    assert_eq!(s.get(&format!("/contacts/1.json?include={include}")).status, 422);
}

#[test]
fn a_contact_with_too_many_tags_gets_422_and_nothing_is_written() {
    let s = Server::start_with(Limits { max_tags: 3, ..Limits::default() });
    assert_eq!(
        s.post_json("/projects.json", serde_json::json!({"project": {"name": "P", "identifier": "p"}})).status,
        201
    );
    let r = s.post_json(
        "/contacts.json",
        serde_json::json!({"contact": {"project_id": "p", "first_name": "Tagged", "tag_list": "a,b,c,d"}}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"], serde_json::json!(["Tags are too many (maximum is 3)"]));
    assert_eq!(s.get("/contacts.json").json()["total_count"], 0);
    let ok = s.post_json(
        "/contacts.json",
        serde_json::json!({"contact": {"project_id": "p", "first_name": "Tagged", "tag_list": "a,b,c"}}),
    );
    assert_eq!(ok.status, 201);
}
