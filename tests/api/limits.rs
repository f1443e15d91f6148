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
