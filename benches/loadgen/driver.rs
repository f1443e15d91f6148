//! The engine: C keep-alive HTTP/1.1 connections (hyper's low-level client), each sending a
//! scenario's requests back to back until a deadline, and the latency statistics of the run.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::scenarios::{seed_of, ConnState, RequestSpec, Scenario};

/// The outcome of driving one scenario against one server.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// Requests sent (answered or failed).
    pub requests: u64,
    /// Non-2xx answers and I/O failures (connect, send, receive, timeout).
    pub errors: u64,
    /// From the start until the last connection finished its last request.
    pub elapsed: Duration,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    /// The first failure seen: the request and the answer (status and the start of the body).
    pub first_error: Option<String>,
}

impl RunStats {
    /// This run's req/s as a share of `other`'s (None when `other` answered nothing).
    pub fn share_of(&self, other: &RunStats) -> Option<f64> {
        let theirs = other.rps();
        (theirs > 0.0).then(|| self.rps() / theirs)
    }

    pub fn rps(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.requests as f64 / secs
        } else {
            0.0
        }
    }
}

pub(crate) fn percentile(sorted: &[u32], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    // Nearest rank; the epsilon keeps 99.9% of 1000 at rank 999 despite binary floating point.
    let rank = ((p / 100.0) * sorted.len() as f64 - 1e-9).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as u64
}

pub(crate) type Sender = SendRequest<Full<Bytes>>;

pub(crate) async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

pub(crate) fn build_request(
    spec: RequestSpec,
    host: &HeaderValue,
    api_key: Option<&HeaderValue>,
) -> Result<Request<Full<Bytes>>, String> {
    let mut req = Request::builder()
        .method(spec.method)
        .uri(spec.path.as_str())
        .body(Full::new(spec.body))
        .map_err(|e| format!("bad request {}: {e}", spec.path))?;
    let headers = req.headers_mut();
    headers.insert(HOST, host.clone());
    if let Some(key) = api_key.filter(|_| spec.with_key) {
        headers.insert(HeaderName::from_static("x-redmine-api-key"), key.clone());
    }
    for (name, value) in spec.headers {
        headers.insert(name, value);
    }
    Ok(req)
}

/// Sends one request on `sender` and reads the whole answer.
pub(crate) async fn exchange(sender: &mut Sender, req: Request<Full<Bytes>>) -> Result<(u16, Bytes), String> {
    exchange_with_headers(sender, req).await.map(|(status, _, body)| (status, body))
}

/// `exchange`, with the answer's headers.
pub(crate) async fn exchange_with_headers(
    sender: &mut Sender,
    req: Request<Full<Bytes>>,
) -> Result<(u16, hyper::HeaderMap, Bytes), String> {
    sender.ready().await.map_err(|e| format!("connection not ready: {e}"))?;
    let resp = sender.send_request(req).await.map_err(|e| format!("send: {e}"))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.map_err(|e| format!("read body: {e}"))?.to_bytes();
    Ok((status, headers, body))
}

pub(crate) fn show_answer(status: u16, body: &[u8]) -> String {
    const MAX: usize = 400;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    let more = if body.len() > MAX { "…" } else { "" };
    format!("{status} ({} bytes) {text}{more}", body.len())
}

/// Drives `scenario` against `addr` with `connections` keep-alive connections for `duration`.
/// Must run inside a tokio runtime (the connections are spawned onto it).
pub async fn run_load(
    addr: SocketAddr,
    api_key: Option<&str>,
    scenario: &Scenario,
    connections: usize,
    duration: Duration,
) -> RunStats {
    let host = HeaderValue::from_str(&addr.to_string()).expect("a socket address is a valid header");
    let key = api_key.map(|k| HeaderValue::from_str(k).expect("an API key is a valid header"));
    let timeout = duration + Duration::from_secs(10);
    let seed = seed_of(&scenario.name);
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(connections);
    for conn in 0..connections.max(1) {
        let factory = scenario.factory.clone();
        let host = host.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut state = ConnState::new(seed, conn);
            let mut latencies: Vec<u32> = Vec::with_capacity(4096);
            let (mut requests, mut errors, mut first_error) = (0u64, 0u64, None::<String>);
            let mut sender: Option<Sender> = None;
            while Instant::now() < deadline {
                let s = match sender.as_mut() {
                    Some(s) => s,
                    None => match connect(addr).await {
                        Ok(s) => sender.insert(s),
                        Err(e) => {
                            requests += 1;
                            errors += 1;
                            first_error.get_or_insert(e);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                };
                let spec = factory(&mut state);
                state.seq += 1;
                let what = spec.describe();
                let req = match build_request(spec, &host, key.as_ref()) {
                    Ok(r) => r,
                    Err(e) => {
                        requests += 1;
                        errors += 1;
                        first_error.get_or_insert(e);
                        continue;
                    }
                };
                let sent = Instant::now();
                let outcome = tokio::time::timeout(timeout, exchange(s, req)).await;
                let micros = sent.elapsed().as_micros().min(u32::MAX as u128) as u32;
                requests += 1;
                match outcome {
                    Ok(Ok((status, body))) => {
                        latencies.push(micros);
                        if !(200..300).contains(&status) {
                            errors += 1;
                            first_error.get_or_insert_with(|| format!("{what} → {}", show_answer(status, &body)));
                        }
                    }
                    Ok(Err(e)) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{what} → {e}"));
                        sender = None;
                    }
                    Err(_) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{what} → no answer within {timeout:?}"));
                        sender = None;
                    }
                }
            }
            (latencies, requests, errors, first_error)
        }));
    }
    if let Some((per_second, factory)) = scenario.writes.clone() {
        let (host, key) = (host.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut state = ConnState::new(seed ^ 0x3717e5, usize::MAX);
            let (mut errors, mut first_error) = (0u64, None::<String>);
            let mut tick = tokio::time::interval(Duration::from_secs(1) / per_second.max(1));
            let mut sender: Option<Sender> = None;
            while Instant::now() < deadline {
                tick.tick().await;
                let s = match sender.as_mut() {
                    Some(s) => s,
                    None => match connect(addr).await {
                        Ok(s) => sender.insert(s),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e);
                            continue;
                        }
                    },
                };
                let spec = factory(&mut state);
                state.seq += 1;
                let what = spec.describe();
                let outcome = match build_request(spec, &host, key.as_ref()) {
                    Ok(req) => exchange(s, req).await,
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok((status, _)) if (200..300).contains(&status) => {}
                    Ok((status, body)) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("(writer) {what} → {}", show_answer(status, &body)));
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("(writer) {what} → {e}"));
                        sender = None;
                    }
                }
            }
            // The writer's requests are not the scenario's: only its failures count.
            (Vec::new(), errors, errors, first_error)
        }));
    }
    let mut all: Vec<u32> = Vec::new();
    let mut stats = RunStats::default();
    for task in tasks {
        match task.await {
            Ok((latencies, requests, errors, first_error)) => {
                all.extend_from_slice(&latencies);
                stats.requests += requests;
                stats.errors += errors;
                if stats.first_error.is_none() {
                    stats.first_error = first_error;
                }
            }
            Err(e) => {
                stats.errors += 1;
                stats.first_error.get_or_insert_with(|| format!("connection task failed: {e}"));
            }
        }
    }
    stats.elapsed = start.elapsed();
    all.sort_unstable();
    stats.p50_us = percentile(&all, 50.0);
    stats.p99_us = percentile(&all, 99.0);
    stats.p999_us = percentile(&all, 99.9);
    stats.max_us = all.last().copied().unwrap_or(0) as u64;
    stats
}
