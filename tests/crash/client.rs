//! Requests whose fate is known: refused before anything was sent, answered completely, or
//! lost on the way (sent, but no complete answer: it may or may not have taken effect). Built
//! on the API tests' raw client (`common.rs`); plus a small seeded random number generator.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

use crate::common::{parse_response, request_bytes, Resp, ADMIN_KEY};

pub enum Outcome {
    /// No connection: nothing reached a server.
    NotSent,
    /// Sent (in part or whole) without a complete answer; `received` bytes of one came.
    Lost { received: usize, error: String },
    /// A complete answer (its whole `Content-Length`, or a 204).
    Answer(Resp),
}

impl Outcome {
    pub fn describe(&self) -> String {
        match self {
            Outcome::NotSent => "not sent".into(),
            Outcome::Lost { received, error } => format!("lost after {received} bytes of an answer ({error})"),
            Outcome::Answer(r) => format!("{} {}", r.status, r.text()),
        }
    }
}

/// One request as the admin, with a JSON body when given, on a fresh connection.
pub fn call(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Outcome {
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else { return Outcome::NotSent };
    let body = body.map(Value::to_string);
    let mut headers = vec![("X-Redmine-API-Key", ADMIN_KEY)];
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let bytes = request_bytes(addr, method, path, &headers, body.as_deref().map(str::as_bytes));
    finish(stream, &bytes, &[])
}

/// Writes `first`, then `rest`, and reads the answer to its end. A write or read error, a
/// reset or a short body makes the outcome `Lost`.
pub fn finish(mut stream: TcpStream, first: &[u8], rest: &[u8]) -> Outcome {
    let lost = |received, error: String| Outcome::Lost { received, error };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    if let Err(e) = stream.write_all(first).and_then(|()| stream.write_all(rest)) {
        return lost(0, format!("send: {e}"));
    }
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        return lost(raw.len(), format!("read: {e}"));
    }
    match parse_response(&raw) {
        Ok(resp) if is_complete(&resp) => Outcome::Answer(resp),
        Ok(resp) => lost(
            raw.len(),
            format!("short body: {} bytes, {:?} announced", resp.body.len(), resp.header("content-length")),
        ),
        Err(e) => lost(raw.len(), e),
    }
}

fn is_complete(resp: &Resp) -> bool {
    match resp.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(n) => resp.body.len() == n,
        None => matches!(resp.status, 204 | 304) && resp.body.is_empty(),
    }
}

/// A request that must be answered with `status`; its JSON body (Null when empty).
#[track_caller]
pub fn expect(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>, status: u16) -> Value {
    match call(addr, method, path, body) {
        Outcome::Answer(r) if r.status == status => {
            if r.body.is_empty() {
                Value::Null
            } else {
                r.json()
            }
        }
        other => panic!("{method} {path}: expected {status}, got {}", other.describe()),
    }
}

/// `total_count` of a list.
#[track_caller]
pub fn total_count(addr: SocketAddr, path: &str) -> i64 {
    let list = expect(addr, "GET", path, None, 200);
    list["total_count"].as_i64().unwrap_or_else(|| panic!("{path}: no total_count in {list}"))
}

/// SplitMix64: small, seeded, good enough to pick operations and moments.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}
