//! SIGTERM (a service manager's stop) lets the requests in flight finish: creates whose body
//! is only half sent when the signal comes still get their whole 201 once the rest arrives,
//! and a flood of creates sees each request either answered completely or not served at all
//! (refused, or closed before a byte of an answer and then not in the file). The process then
//! exits 0, and the file holds exactly the acknowledged creates.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension};
use serde_json::json;

use crate::client::{call, expect, finish, Outcome};
use crate::common::{request_bytes, ADMIN_KEY};
use crate::process::Served;
use crate::writers::PROJECTS;

/// Creates whose body is held back across the signal.
const SLOW: usize = 3;
/// Threads creating contacts as fast as they are answered.
const FLOOD: usize = 6;

fn create_body(last_name: &str) -> String {
    json!({"contact": {"project_id": PROJECTS[0].1, "first_name": "Drain", "last_name": last_name,
                       "background": "x".repeat(8000)}})
    .to_string()
}

#[test]
fn sigterm_lets_requests_in_flight_finish_then_exits_0() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("drain.db");
    let mut server = Served::start(&db);
    let addr = server.addr;
    let project = json!({"project": {"name": "Crash", "identifier": PROJECTS[0].1}});
    expect(addr, "POST", "/projects.json", Some(&project), 201);

    let headers = [("X-Redmine-API-Key", ADMIN_KEY), ("Content-Type", "application/json")];
    let slow: Vec<(String, TcpStream, Vec<u8>)> = (0..SLOW)
        .map(|i| {
            let name = format!("slow{i}x");
            let bytes = request_bytes(addr, "POST", "/contacts.json", &headers, Some(create_body(&name).as_bytes()));
            let mut stream = TcpStream::connect(addr).expect("connect");
            let half = bytes.len() / 2;
            stream.write_all(&bytes[..half]).expect("send the first half");
            (name, stream, bytes[half..].to_vec())
        })
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let flood: Vec<_> = (0..FLOOD)
        .map(|t| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut outcomes = Vec::new();
                for n in 0.. {
                    let name = format!("flood{t}n{n}x");
                    let body = serde_json::from_str(&create_body(&name)).unwrap();
                    let outcome = call(addr, "POST", "/contacts.json", Some(&body));
                    let refused = matches!(outcome, Outcome::NotSent);
                    outcomes.push((name, outcome));
                    if refused || stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                outcomes
            })
        })
        .collect();

    std::thread::sleep(Duration::from_millis(400));
    server.terminate();
    let signalled = Instant::now();
    // Still draining: the half-sent creates hold it.
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.running(), "the server exited with requests in flight");
    let slow: Vec<(String, Outcome)> =
        slow.into_iter().map(|(name, stream, rest)| (name, finish(stream, &[], &rest))).collect();
    let status = server.wait(Duration::from_secs(5));
    let exited = signalled.elapsed();
    stop.store(true, Ordering::Relaxed);
    let flood: Vec<(String, Outcome)> = flood.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let status = status.unwrap_or_else(|| panic!("no exit within 5 s of the last answer; log:\n{}", server.log_tail()));
    assert!(status.success(), "exit status {status}; log:\n{}", server.log_tail());

    let mut problems = Vec::new();
    let conn = Connection::open(&db).unwrap();
    let stored = |name: &str| -> Option<i64> {
        conn.query_row("SELECT id FROM contacts WHERE last_name = ?", [name], |r| r.get(0)).optional().unwrap()
    };
    let (mut answered, mut unserved) = (0, 0);
    // The half-sent creates must all be answered; a flood request may also have been refused,
    // or closed before any answer (then it must not be stored).
    let held = slow.iter().map(|o| (true, o)).chain(flood.iter().map(|o| (false, o)));
    for (held, (name, outcome)) in held {
        match outcome {
            Outcome::Answer(r) if r.status == 201 => {
                answered += usize::from(!held);
                let acked = r.json()["contact"]["id"].as_i64();
                if stored(name) != acked {
                    problems.push(format!("{name}: acknowledged as {acked:?}, stored as {:?}", stored(name)));
                }
            }
            Outcome::NotSent if !held => {}
            Outcome::Lost { received: 0, .. } if !held => {
                unserved += 1;
                if let Some(id) = stored(name) {
                    problems.push(format!("{name}: no answer came, yet it is stored as contact {id}"));
                }
            }
            other => problems.push(format!("{name} (half sent at SIGTERM: {held}): {}", other.describe())),
        }
    }
    drop(conn);
    let (_, file_problems) = crate::checks::check_file(&db);
    problems.extend(file_problems);
    println!(
        "SIGTERM: exit {status} {exited:?} after the signal; {SLOW} half-sent creates answered after it; \
         flood: {answered} answered, {unserved} closed unserved; {:?} in all",
        started.elapsed()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(answered > 0, "the flood got no answer at all");
}
