//! A load generator for the real server: `cargo bench --bench load` drives it at full size, and
//! [`smoke`] runs every scenario for a fraction of a second from `cargo test`.
//!
//! The engine opens C keep-alive HTTP/1.1 connections (hyper's low-level client), each in its
//! own task sending requests back to back until a deadline, and keeps every latency (in
//! microseconds, one `Vec` per connection, merged and sorted at the end). A [`Scenario`] is a
//! name and a request factory; the factory gets a per-connection [`ConnState`] (a counter and a
//! deterministic PRNG) so ids and search words vary the same way on every run.
//!
//! Each scenario is compared with a **baseline**: a bare hyper server (no routing, no SQLite)
//! answering every request with a fixed body as long as the scenario's typical answer, driven
//! by the same requests, connections and duration. The ratio says how much of the bare HTTP
//! throughput the real work leaves. The gets are also run against a **floor**
//! ([`start_floor`]): the baseline plus one SQLite read of the asked contact's row, which says
//! how much of that ratio reading the file alone takes.
//!
//! [`bench`] runs everything in one process: the server in a 2-worker tokio runtime, the
//! baseline server in another, and the client in a third, so they never share workers (they do
//! share the machine's CPUs).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;

use crate::Config;

/// The administrator's API key the benchmark sets at start-up (40 hex digits, like Redmine's).
pub const BENCH_ADMIN_KEY: &str = "b0a7c4e1d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7";

/// The seed handed to `demo::generate` unless told otherwise.
pub const DEFAULT_SEED: u64 = 20240301;

// ---------------------------------------------------------------------------------------------
// Scenarios

/// One request a scenario sends.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl RequestSpec {
    pub fn get(path: impl Into<String>) -> RequestSpec {
        RequestSpec { method: Method::GET, path: path.into(), headers: Vec::new(), body: Bytes::new() }
    }

    /// A request with a JSON body.
    pub fn json(method: Method, path: impl Into<String>, body: &Value) -> RequestSpec {
        RequestSpec {
            method,
            path: path.into(),
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: Bytes::from(body.to_string()),
        }
    }

    fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What a request factory gets for each request: which connection it runs on, how many
/// requests that connection has sent, and a deterministic PRNG (splitmix64) seeded from the
/// scenario and the connection.
#[derive(Clone, Debug)]
pub struct ConnState {
    pub conn: usize,
    pub seq: u64,
    rng: u64,
}

impl ConnState {
    pub fn new(seed: u64, conn: usize) -> ConnState {
        let mut s = ConnState { conn, seq: 0, rng: seed ^ (conn as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) };
        s.next_u64();
        s
    }

    pub fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub type Factory = Arc<dyn Fn(&mut ConnState) -> RequestSpec + Send + Sync>;

/// A named request factory.
#[derive(Clone)]
pub struct Scenario {
    pub name: String,
    /// What it sends, for the report (e.g. one example request and how many contacts match).
    pub description: String,
    pub factory: Factory,
}

impl Scenario {
    pub fn new(
        name: &str,
        description: impl Into<String>,
        factory: impl Fn(&mut ConnState) -> RequestSpec + Send + Sync + 'static,
    ) -> Scenario {
        Scenario { name: name.to_string(), description: description.into(), factory: Arc::new(factory) }
    }
}

fn seed_of(name: &str) -> u64 {
    // FNV-1a: stable across runs and Rust versions (unlike `DefaultHasher`).
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

// ---------------------------------------------------------------------------------------------
// The engine

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

fn percentile(sorted: &[u32], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    // Nearest rank; the epsilon keeps 99.9% of 1000 at rank 999 despite binary floating point.
    let rank = ((p / 100.0) * sorted.len() as f64 - 1e-9).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as u64
}

type Sender = SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

fn build_request(
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
    if let Some(key) = api_key {
        headers.insert(HeaderName::from_static("x-redmine-api-key"), key.clone());
    }
    for (name, value) in spec.headers {
        headers.insert(name, value);
    }
    Ok(req)
}

/// Sends one request on `sender` and reads the whole answer.
async fn exchange(sender: &mut Sender, req: Request<Full<Bytes>>) -> Result<(u16, Bytes), String> {
    sender.ready().await.map_err(|e| format!("connection not ready: {e}"))?;
    let resp = sender.send_request(req).await.map_err(|e| format!("send: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.map_err(|e| format!("read body: {e}"))?.to_bytes();
    Ok((status, body))
}

fn show_answer(status: u16, body: &[u8]) -> String {
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

// ---------------------------------------------------------------------------------------------
// The baseline server

/// Starts a bare hyper server on 127.0.0.1:0 in the runtime of `handle` that reads each request
/// (body included) and answers 200 with `body_size` bytes of JSON-typed filler. It stops when
/// the returned sender is dropped or fired.
pub async fn start_baseline(handle: &Handle, body_size: usize) -> Result<(SocketAddr, oneshot::Sender<()>), String> {
    start_bare(handle, body_size, None).await
}

/// What a bare server does with each request's path before it answers; `false` makes the
/// answer a 500 (counted as an error by the client).
type BareWork = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The floor of a get: the baseline server, plus one SQLite read per request of the card row
/// (`contact_cards`, one column) of the contact the path names, on a pool of read-only
/// connections with the server's page cache size. It reads the server's own file while the
/// server idles between scenarios (same pages, same OS page cache), opened `immutable` since
/// the server holds the file's lock: no locking and no write-ahead log, so if anything this
/// read costs less than the server's. Whatever a get does besides reading its row (routing,
/// authentication, permission checks, decoding, rendering) separates the server from this one.
pub async fn start_floor(
    handle: &Handle,
    db: &Path,
    body_size: usize,
) -> Result<(SocketAddr, oneshot::Sender<()>), String> {
    let escaped = db.to_string_lossy().replace('%', "%25").replace('?', "%3f").replace('#', "%23");
    let manager = r2d2_sqlite::SqliteConnectionManager::file(format!("file:{escaped}?immutable=1"))
        .with_flags(
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
                | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .with_init(|c| c.execute_batch("PRAGMA cache_size = -4000;"));
    let pool = r2d2::Pool::builder()
        .max_size(4)
        .build(manager)
        .map_err(|e| format!("floor: cannot open {}: {e}", db.display()))?;
    let read_card = move |path: &str| {
        let (Some(id), Ok(conn)) = (contact_id_in(path), pool.get()) else { return false };
        conn.prepare_cached("SELECT first_name FROM contact_cards WHERE contact_id = ?")
            .and_then(|mut stmt| stmt.query_row([id], |r| r.get::<_, String>(0)))
            .is_ok()
    };
    start_bare(handle, body_size, Some(Arc::new(read_card))).await
}

/// The id in `/contacts/{id}.json` or `.xml`.
fn contact_id_in(path: &str) -> Option<i64> {
    let rest = path.strip_prefix("/contacts/")?;
    rest.split_once('.').map_or(rest, |(id, _)| id).parse().ok()
}

/// The bare server behind the baseline and the floor: reads each request (body included),
/// runs `work` on its path, and answers 200 with `body_size` bytes (500 when `work` failed).
async fn start_bare(
    handle: &Handle,
    body_size: usize,
    work: Option<BareWork>,
) -> Result<(SocketAddr, oneshot::Sender<()>), String> {
    let (ready_tx, ready_rx) = oneshot::channel();
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let body = Bytes::from(vec![b'x'; body_size]);
    handle.spawn(async move {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => {
                let _ = ready_tx.send(Err(format!("bare server bind: {e}")));
                return;
            }
        };
        let _ = ready_tx.send(listener.local_addr().map_err(|e| e.to_string()));
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let body = body.clone();
                    let work = work.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let body = body.clone();
                            let worked = work.as_ref().is_none_or(|work| work(req.uri().path()));
                            async move {
                                let _ = req.into_body().collect().await;
                                let mut resp = Response::new(Full::new(body));
                                if !worked {
                                    *resp.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                                }
                                resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
                                Ok::<_, std::convert::Infallible>(resp)
                            }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                _ = &mut stop_rx => break,
            }
        }
    });
    let addr = ready_rx.await.map_err(|_| "the bare server did not start".to_string())??;
    Ok((addr, stop_tx))
}

// ---------------------------------------------------------------------------------------------
// Database preparation

/// How the benchmark database came to be.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub path: PathBuf,
    pub contacts: usize,
    pub reused: bool,
    pub took: Duration,
}

/// The number of contacts in the database at `path`, if it is one.
pub fn count_contacts(path: &Path) -> Option<usize> {
    if !path.is_file() {
        return None;
    }
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get::<_, i64>(0)).ok().map(|n| n as usize)
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_database(path: &Path) -> Result<(), String> {
    for p in [path.to_path_buf(), sidecar(path, "-wal"), sidecar(path, "-shm"), sidecar(path, "-journal")] {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", p.display())),
        }
    }
    Ok(())
}

/// Whether the database at `path` has a user with login `admin` (whose key the benchmark sets).
fn has_admin(path: &Path) -> bool {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("SELECT count(*) FROM users WHERE login = 'admin'", [], |r| r.get::<_, i64>(0)))
        .is_ok_and(|n| n > 0)
}

/// Creates the database with only its administrator (what the service's first start does).
fn create_admin(path: &Path) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    rt.block_on(async {
        let mut config = Config::new(path);
        config.admin_key = Some(BENCH_ADMIN_KEY.to_string());
        config.readers = 1;
        crate::open(&config).await.map(drop).map_err(|e| format!("create {}: {e}", path.display()))
    })
}

/// Makes sure `path` holds a demo database of exactly `contacts` contacts and an `admin` user:
/// reused when it already does (brought to the current schema first, so that no run measures
/// a migration), otherwise (re)created: the administrator, then `demo::generate`.
pub fn prepare_database(path: &Path, contacts: usize, seed: u64) -> Result<Prepared, String> {
    let started = Instant::now();
    if count_contacts(path) == Some(contacts) && has_admin(path) {
        rusqlite::Connection::open(path)
            .map_err(|e| e.to_string())
            .and_then(|c| crate::store::migrate(&c).map_err(|e| e.to_string()))
            .map_err(|e| format!("migrate {}: {e}", path.display()))?;
        return Ok(Prepared { path: path.to_path_buf(), contacts, reused: true, took: started.elapsed() });
    }
    remove_database(path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // The administrator first, as the service's first start creates it: the demo names it as
    // an author, and `contacts::open` only (re)sets the key of a user with login `admin`.
    create_admin(path)?;
    crate::demo::generate(path, contacts, seed).map_err(|e| format!("demo::generate({}): {e}", path.display()))?;
    match count_contacts(path) {
        Some(n) if n == contacts => {
            Ok(Prepared { path: path.to_path_buf(), contacts, reused: false, took: started.elapsed() })
        }
        other => Err(format!("demo::generate made {other:?} contacts in {}, not {contacts}", path.display())),
    }
}

/// Copies the prepared database to a scratch file the run may write to, so that the prepared
/// one keeps exactly its contacts (and can be reused by the next run).
fn scratch_copy(path: &Path) -> Result<PathBuf, String> {
    {
        let conn = rusqlite::Connection::open(path).map_err(|e| format!("open {}: {e}", path.display()))?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
    }
    let copy = path.with_extension("run.db");
    remove_database(&copy)?;
    std::fs::copy(path, &copy).map_err(|e| format!("copy {} to {}: {e}", path.display(), copy.display()))?;
    // Flush the copy now: otherwise the first commit's fsync writes the whole fresh copy (about
    // 900 MB at a million contacts) and the write scenarios measure the disk, not the server.
    std::fs::File::open(&copy).and_then(|f| f.sync_all()).map_err(|e| format!("sync {}: {e}", copy.display()))?;
    Ok(copy)
}

// ---------------------------------------------------------------------------------------------
// Discovery: what the scenarios ask for, read from the running server

/// A small client for set-up requests (one connection, admin key).
struct Probe {
    addr: SocketAddr,
    host: HeaderValue,
    key: HeaderValue,
    sender: Option<Sender>,
}

impl Probe {
    fn new(addr: SocketAddr) -> Probe {
        Probe {
            addr,
            host: HeaderValue::from_str(&addr.to_string()).expect("valid host"),
            key: HeaderValue::from_static(BENCH_ADMIN_KEY),
            sender: None,
        }
    }

    async fn send(&mut self, spec: RequestSpec) -> Result<(u16, Bytes), String> {
        let what = spec.describe();
        if self.sender.is_none() {
            self.sender = Some(connect(self.addr).await?);
        }
        let req = build_request(spec, &self.host, Some(&self.key))?;
        let sender = self.sender.as_mut().expect("connected above");
        match tokio::time::timeout(Duration::from_secs(30), exchange(sender, req)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.sender = None;
                Err(format!("{what}: {e}"))
            }
            Err(_) => {
                self.sender = None;
                Err(format!("{what}: no answer within 30 s"))
            }
        }
    }

    /// GETs a JSON document, insisting on 200.
    async fn json(&mut self, path: &str) -> Result<Value, String> {
        let (status, body) = self.send(RequestSpec::get(path)).await?;
        if status != 200 {
            return Err(format!("GET {path} → {}", show_answer(status, &body)));
        }
        serde_json::from_slice(&body).map_err(|e| format!("GET {path}: not JSON: {e}"))
    }

    async fn total(&mut self, path_with_query: &str) -> Result<u64, String> {
        let sep = if path_with_query.contains('?') { '&' } else { '?' };
        let doc = self.json(&format!("{path_with_query}{sep}limit=1")).await?;
        doc["total_count"].as_u64().ok_or_else(|| format!("GET {path_with_query}: no total_count"))
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Contact ids to pick from: a dense range, or the list when ids have gaps.
#[derive(Clone, Debug)]
enum Ids {
    Range(i64, i64),
    List(Arc<Vec<i64>>),
}

impl Ids {
    fn pick(&self, s: &mut ConnState) -> i64 {
        match self {
            Ids::Range(lo, hi) => lo + s.below((hi - lo + 1) as u64) as i64,
            Ids::List(ids) => *s.pick(ids),
        }
    }
}

/// What the scenarios need to know about the data.
#[derive(Clone, Debug)]
struct Facts {
    total: u64,
    ids: Ids,
    project_ident: String,
    project_matches: u64,
    create_project: i64,
    tag: String,
    tag_matches: u64,
    assignee: i64,
    assignee_matches: u64,
    common_word: String,
    common_matches: u64,
    emails: Arc<Vec<String>>,
    rare_matches: u64,
    names: Arc<Vec<String>>,
    two_word_matches: u64,
    short_word: String,
    short_matches: u64,
}

async fn discover(probe: &mut Probe) -> Result<Facts, String> {
    let (status, body) = probe.send(RequestSpec::get("/users/current.json")).await?;
    if status != 200 {
        return Err(format!(
            "the benchmark's admin key is not accepted (GET /users/current.json → {}); \
             does the demo database have a user with login `admin`?",
            show_answer(status, &body)
        ));
    }
    let first = probe.json("/contacts.json?sort=id&limit=1").await?;
    let total = first["total_count"].as_u64().unwrap_or(0);
    if total == 0 {
        return Err("the database has no contacts the administrator can see".into());
    }
    let min_id = first["contacts"][0]["id"].as_i64().ok_or("no contact id")?;
    let last = probe.json("/contacts.json?sort=id:desc&limit=1").await?;
    let max_id = last["contacts"][0]["id"].as_i64().ok_or("no contact id")?;
    let ids = if (max_id - min_id + 1) as u64 == total {
        Ids::Range(min_id, max_id)
    } else {
        let mut list = Vec::with_capacity(total as usize);
        let mut offset = 0;
        while offset < total {
            let page = probe.json(&format!("/contacts.json?sort=id&limit=100&offset={offset}")).await?;
            let items = page["contacts"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                break;
            }
            list.extend(items.iter().filter_map(|c| c["id"].as_i64()));
            offset += items.len() as u64;
        }
        Ids::List(Arc::new(list))
    };

    // A sample of contacts spread over the id range: e-mails, names and assignees come from it.
    let mut sample = Vec::new();
    for offset in [0, total / 3, 2 * total / 3] {
        let page = probe.json(&format!("/contacts.json?sort=id&limit=100&offset={offset}")).await?;
        sample.extend(page["contacts"].as_array().cloned().unwrap_or_default());
    }
    let emails: Vec<String> = sample
        .iter()
        .filter_map(|c| c["emails"][0]["address"].as_str().map(str::to_string))
        .filter(|e| !e.trim().is_empty())
        .collect();
    let names: Vec<String> = sample
        .iter()
        .filter(|c| c["is_company"] != Value::Bool(true))
        .filter_map(|c| match (c["first_name"].as_str(), c["last_name"].as_str()) {
            (Some(f), Some(l)) if !f.trim().is_empty() && !l.trim().is_empty() => Some(format!("{f} {l}")),
            _ => None,
        })
        .collect();
    let mut assignees: HashMap<i64, usize> = HashMap::new();
    for c in &sample {
        if let Some(id) = c["assigned_to"]["id"].as_i64() {
            *assignees.entry(id).or_default() += 1;
        }
    }
    let mut assignees: Vec<(i64, usize)> = assignees.into_iter().collect();
    assignees.sort_by_key(|&(id, n)| (std::cmp::Reverse(n), id));
    let assignee = assignees.first().map(|a| a.0).ok_or("no contact in the sample has an assignee")?;
    let assignee_matches = probe.total(&format!("/contacts.json?assigned_to_id={assignee}")).await?;

    let projects = probe.json("/projects.json?limit=100").await?;
    let projects = projects["projects"].as_array().cloned().unwrap_or_default();
    let mut best: Option<(String, u64)> = None;
    for p in projects.iter().take(10) {
        let Some(ident) = p["identifier"].as_str() else { continue };
        let n = probe.total(&format!("/contacts.json?project_id={}", enc(ident))).await?;
        if best.as_ref().is_none_or(|b| n > b.1) {
            best = Some((ident.to_string(), n));
        }
    }
    let (project_ident, project_matches) = best.ok_or("GET /projects.json lists no project")?;
    let create_project = if projects.iter().any(|p| p["id"].as_i64() == Some(1)) {
        1
    } else {
        projects.first().and_then(|p| p["id"].as_i64()).ok_or("no project id")?
    };

    let mut tag = "vip".to_string();
    let mut tag_matches = probe.total("/contacts.json?tags=vip").await?;
    if tag_matches == 0 {
        let tags = probe.json("/contacts_tags.json").await?;
        if let Some(name) = tags["tags"][0]["name"].as_str() {
            tag = name.to_string();
            tag_matches = probe.total(&format!("/contacts.json?tags={}", enc(&tag))).await?;
        }
    }

    let mut common_word = "mar".to_string();
    let mut common_matches = probe.total("/contacts.json?search=mar").await?;
    if common_matches == 0 {
        // The most frequent 3-letter start of a first name in the sample.
        let mut prefixes: HashMap<String, usize> = HashMap::new();
        for n in &names {
            let p: String = n.to_lowercase().chars().take(3).collect();
            if p.chars().count() == 3 && p.chars().all(char::is_alphabetic) {
                *prefixes.entry(p).or_default() += 1;
            }
        }
        let mut prefixes: Vec<(String, usize)> = prefixes.into_iter().collect();
        prefixes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some((p, _)) = prefixes.into_iter().next() {
            common_matches = probe.total(&format!("/contacts.json?search={}", enc(&p))).await?;
            common_word = p;
        }
    }
    let short_word = "an".to_string();
    let short_matches = probe.total("/contacts.json?search=an").await?;
    if emails.is_empty() {
        return Err("no contact in the sample has an e-mail".into());
    }
    if names.is_empty() {
        return Err("no person in the sample has both a first and a last name".into());
    }
    let rare_matches = probe.total(&format!("/contacts.json?search={}", enc(&emails[0]))).await?;
    let two_word_matches = probe.total(&format!("/contacts.json?search={}", enc(&names[0]))).await?;
    Ok(Facts {
        total,
        ids,
        project_ident,
        project_matches,
        create_project,
        tag,
        tag_matches,
        assignee,
        assignee_matches,
        common_word,
        common_matches,
        emails: Arc::new(emails),
        rare_matches,
        names: Arc::new(names),
        two_word_matches,
        short_word,
        short_matches,
    })
}

fn create_spec(project: i64, s: &mut ConnState) -> RequestSpec {
    let tag = s.next_u64() % 1_000_000;
    let (conn, seq) = (s.conn, s.seq);
    RequestSpec::json(
        Method::POST,
        "/contacts.json",
        &json!({"contact": {
            "project_id": project,
            "first_name": format!("Load{conn}"),
            "last_name": format!("Bench{seq}x{tag}"),
            "job_title": "Load tester",
            "email": format!("load.c{conn}.n{seq}@bench.example"),
        }}),
    )
}

/// The scenarios, in the order they run (reads first, then writes).
fn scenarios(f: &Facts) -> Vec<Scenario> {
    let mut list = Vec::new();
    let ids = f.ids.clone();
    list.push(Scenario::new("get_json", format!("GET /contacts/{{random id}}.json ({} ids)", f.total), move |s| {
        RequestSpec::get(format!("/contacts/{}.json", ids.pick(s)))
    }));
    let ids = f.ids.clone();
    list.push(Scenario::new("get_xml", "GET /contacts/{random id}.xml", move |s| {
        RequestSpec::get(format!("/contacts/{}.xml", ids.pick(s)))
    }));
    list.push(Scenario::new("list", format!("GET /contacts.json ({} in total_count)", f.total), |_| {
        RequestSpec::get("/contacts.json")
    }));
    let path = format!("/contacts.json?project_id={}", enc(&f.project_ident));
    list.push(Scenario::new("list_project", format!("GET {path} ({} match)", f.project_matches), move |_| {
        RequestSpec::get(path.clone())
    }));
    let path = format!("/contacts.json?tags={}", enc(&f.tag));
    list.push(Scenario::new("list_tag", format!("GET {path} ({} match)", f.tag_matches), move |_| {
        RequestSpec::get(path.clone())
    }));
    let path = format!("/contacts.json?assigned_to_id={}", f.assignee);
    list.push(Scenario::new("list_assignee", format!("GET {path} ({} match)", f.assignee_matches), move |_| {
        RequestSpec::get(path.clone())
    }));
    let path = format!("/contacts.json?search={}", enc(&f.common_word));
    list.push(Scenario::new("search_common", format!("GET {path} ({} match)", f.common_matches), move |_| {
        RequestSpec::get(path.clone())
    }));
    let emails = f.emails.clone();
    list.push(Scenario::new(
        "search_rare",
        format!(
            "GET /contacts.json?search={{one of {} e-mails}} (e.g. {}: {} match)",
            f.emails.len(),
            f.emails[0],
            f.rare_matches
        ),
        move |s| RequestSpec::get(format!("/contacts.json?search={}", enc(s.pick(&emails[..]).as_str()))),
    ));
    let path = format!("/contacts.json?search={}", enc(&f.short_word));
    list.push(Scenario::new("search_2letter", format!("GET {path} ({} match)", f.short_matches), move |_| {
        RequestSpec::get(path.clone())
    }));
    let names = f.names.clone();
    list.push(Scenario::new(
        "search_2words",
        format!(
            "GET /contacts.json?search={{first last of one of {} people}} (e.g. `{}`: {} match)",
            f.names.len(),
            f.names[0],
            f.two_word_matches
        ),
        move |s| RequestSpec::get(format!("/contacts.json?search={}", enc(s.pick(&names[..]).as_str()))),
    ));
    let offset = f.total.saturating_sub(25);
    list.push(Scenario::new("deep_page", format!("GET /contacts.json?offset={offset}"), move |_| {
        RequestSpec::get(format!("/contacts.json?offset={offset}"))
    }));
    let project = f.create_project;
    list.push(Scenario::new(
        "create",
        format!("POST /contacts.json (project {project}, unique names and e-mail)"),
        move |s| create_spec(project, s),
    ));
    let ids = f.ids.clone();
    list.push(Scenario::new("update", "PUT /contacts/{random id}.json (job_title)", move |s| {
        let id = ids.pick(s);
        let title = format!("Load tester {}-{}", s.conn, s.seq);
        RequestSpec::json(Method::PUT, format!("/contacts/{id}.json"), &json!({"contact": {"job_title": title}}))
    }));
    let ids = f.ids.clone();
    list.push(Scenario::new("mix_90_10", "90% GET /contacts/{random id}.json, 10% POST /contacts.json", move |s| {
        if s.below(10) == 0 {
            create_spec(project, s)
        } else {
            RequestSpec::get(format!("/contacts/{}.json", ids.pick(s)))
        }
    }));
    list
}

// ---------------------------------------------------------------------------------------------
// The benchmark

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub db: PathBuf,
    pub contacts: usize,
    pub seed: u64,
    pub duration: Duration,
    pub connections: usize,
    /// Runs only the scenarios whose name contains this.
    pub scenario: Option<String>,
    /// Duration of each baseline run (normally the same as `duration`); `None` skips them.
    pub baseline: Option<Duration>,
    /// Worker threads of the baseline server (the real server's runtime sizes itself to the
    /// machine, as it does in production).
    pub server_workers: usize,
    pub client_workers: usize,
    /// The `contacts` executable the benchmark starts as the server under test.
    pub server_binary: PathBuf,
    /// How many times the server is started on the scratch copy (the last one is measured
    /// under load): each start-up is timed, so that one slow start shows as such.
    pub starts: usize,
    /// Before each scenario, wait up to this long for the server's background work (the
    /// start-up trigram census, index merges after writes) to finish; `None` does not wait.
    pub settle: Option<Duration>,
}

impl BenchOptions {
    pub fn new(db: impl Into<PathBuf>, contacts: usize, server_binary: impl Into<PathBuf>) -> BenchOptions {
        let duration = Duration::from_secs(5);
        BenchOptions {
            db: db.into(),
            contacts,
            seed: DEFAULT_SEED,
            duration,
            connections: 32,
            scenario: None,
            baseline: Some(duration),
            server_workers: 2,
            client_workers: 2,
            server_binary: server_binary.into(),
            starts: 5,
            settle: Some(Duration::from_secs(60)),
        }
    }
}

/// One scenario's line of the report.
#[derive(Clone, Debug)]
pub struct ScenarioReport {
    pub name: String,
    pub description: String,
    /// The length of one real answer (measured before the run); the baseline answers as much.
    pub answer_bytes: usize,
    /// The answer to that first request, when it was not a 2xx.
    pub probe_error: Option<String>,
    pub stats: RunStats,
    pub baseline: Option<RunStats>,
    pub baseline_bytes: usize,
    /// CPU time (user + system) the server process spent per request during the run: unlike
    /// req/s it hardly depends on what else the two cores were doing.
    pub server_cpu_us: Option<f64>,
    /// The same for the baseline server's threads.
    pub baseline_cpu_us: Option<f64>,
    /// Gets only: the floor server's run (see [`start_floor`]) and its CPU per request.
    pub floor: Option<RunStats>,
    pub floor_cpu_us: Option<f64>,
    /// How long the server took to become idle before this scenario (see `wait_until_idle`).
    pub settled_after: Option<Duration>,
}

impl ScenarioReport {
    pub fn ratio(&self) -> Option<f64> {
        self.stats.share_of(self.baseline.as_ref()?)
    }
}

#[derive(Clone, Debug)]
pub struct Report {
    pub options: BenchOptions,
    pub prepared: Prepared,
    /// From starting the server process until it accepts connections, for each start in
    /// order (the last is the server the scenarios ran against).
    pub startups: Vec<Duration>,
    pub scenarios: Vec<ScenarioReport>,
    /// VmRSS and VmHWM of the server process after the runs, in KiB.
    pub rss_kib: Option<u64>,
    pub peak_rss_kib: Option<u64>,
}

impl Report {
    /// Scenarios that failed: errors, or no request completed.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.scenarios {
            if s.stats.requests == 0 {
                out.push(format!("{}: no request was sent", s.name));
            }
            if s.stats.errors > 0 {
                out.push(format!(
                    "{}: {} errors of {} requests; first: {}",
                    s.name,
                    s.stats.errors,
                    s.stats.requests,
                    s.stats.first_error.as_deref().unwrap_or("?")
                ));
            }
            // A floor whose reads failed would measure less than it claims.
            if let Some(floor) = s.floor.as_ref().filter(|f| f.errors > 0 || f.requests == 0) {
                out.push(format!("{} floor: {} failed reads of {} requests", s.name, floor.errors, floor.requests));
            }
        }
        out
    }

    /// The gets against their floor (see [`start_floor`]): what reading one row of the file
    /// costs on its own, next to the whole get and the bare baseline.
    fn floor_markdown(&self, m: &mut String) {
        let with_floor: Vec<(&ScenarioReport, &RunStats, &RunStats)> =
            self.scenarios.iter().filter_map(|s| Some((s, s.floor.as_ref()?, s.baseline.as_ref()?))).collect();
        if with_floor.is_empty() {
            return;
        }
        let _ = writeln!(
            m,
            "Floor of a get: the baseline server plus one SQLite read of the contact's card row per request \
             (same requests, in the client's process like the baseline):"
        );
        let _ = writeln!(m);
        let _ = writeln!(
            m,
            "| scenario | server req/s | floor req/s | baseline req/s | server ÷ baseline | floor ÷ baseline \
             | server CPU µs/req | floor CPU µs/req | baseline CPU µs/req |"
        );
        let _ = writeln!(m, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        let share = |a: &RunStats, b: &RunStats| a.share_of(b).map_or("–".to_string(), |r| format!("{r:.2}"));
        for (s, floor, base) in with_floor {
            let _ = writeln!(
                m,
                "| {} | {:.0} | {:.0} | {:.0} | {} | {} | {} | {} | {} |",
                s.name,
                s.stats.rps(),
                floor.rps(),
                base.rps(),
                share(&s.stats, base),
                share(floor, base),
                cpu_cell(s.server_cpu_us),
                cpu_cell(s.floor_cpu_us),
                cpu_cell(s.baseline_cpu_us)
            );
        }
        let _ = writeln!(m);
    }

    /// The result table and what it ran on, in Markdown.
    pub fn markdown(&self) -> String {
        let o = &self.options;
        let mut m = String::new();
        let _ = writeln!(m, "Machine: {}", machine());
        let _ = writeln!(
            m,
            "Database: {} ({} contacts, {} in {:.1} s); each run writes to a scratch copy",
            self.prepared.path.display(),
            self.prepared.contacts,
            if self.prepared.reused { "reused" } else { "generated" },
            self.prepared.took.as_secs_f64()
        );
        let _ = writeln!(
            m,
            "Server: `{} serve` in its own process (logging at `warn`); client: tokio runtime with {} workers; \
             baseline: bare hyper server in a {}-worker runtime in the client's process",
            o.server_binary.display(),
            o.client_workers,
            o.server_workers
        );
        let _ = writeln!(
            m,
            "Load: {} keep-alive connections, {:.1} s per scenario; start-up (process start → accepting connections): {}",
            o.connections,
            o.duration.as_secs_f64(),
            startup_summary(&self.startups)
        );
        let _ = writeln!(m);
        let _ = writeln!(
            m,
            "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | errors | ratio to baseline | answer bytes | baseline req/s \
             | server CPU µs/req | baseline CPU µs/req |"
        );
        let _ = writeln!(m, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let ms = |us: u64| us as f64 / 1000.0;
        for s in &self.scenarios {
            let st = &s.stats;
            let ratio = s.ratio().map_or("–".to_string(), |r| format!("{r:.2}"));
            let base = s.baseline.as_ref().map_or("–".to_string(), |b| format!("{:.0}", b.rps()));
            let _ = writeln!(
                m,
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} |",
                s.name,
                st.rps(),
                ms(st.p50_us),
                ms(st.p99_us),
                ms(st.p999_us),
                st.errors,
                ratio,
                s.answer_bytes,
                base,
                cpu_cell(s.server_cpu_us),
                cpu_cell(s.baseline_cpu_us)
            );
        }
        let _ = writeln!(m);
        self.floor_markdown(&mut m);
        let mib = |k: u64| k as f64 / 1024.0;
        match (self.rss_kib, self.peak_rss_kib) {
            (Some(r), Some(p)) => {
                let _ = writeln!(
                    m,
                    "Resident memory of the server process after the runs: {:.1} MiB (VmRSS; peak VmHWM {:.1} MiB)",
                    mib(r),
                    mib(p)
                );
            }
            _ => {
                let _ = writeln!(m, "Resident memory: unavailable (no /proc/<pid>/status)");
            }
        }
        let _ = writeln!(m);
        let _ = writeln!(m, "Scenarios:");
        for s in &self.scenarios {
            let settle = match s.settled_after {
                Some(t) if t > Duration::from_millis(500) => {
                    format!(
                        " (started after the server had been busy for {:.1} s with background work)",
                        t.as_secs_f64()
                    )
                }
                _ => String::new(),
            };
            let _ = writeln!(m, "- `{}`: {}; {} requests{settle}", s.name, s.description, s.stats.requests);
        }
        let failures: Vec<&ScenarioReport> =
            self.scenarios.iter().filter(|s| s.stats.errors > 0 || s.probe_error.is_some()).collect();
        if !failures.is_empty() {
            let _ = writeln!(m);
            let _ = writeln!(m, "Failures:");
            for s in failures {
                if let Some(p) = &s.probe_error {
                    let _ = writeln!(m, "- `{}` first request: {p}", s.name);
                }
                if let Some(e) = &s.stats.first_error {
                    let _ = writeln!(m, "- `{}` ({} errors): {e}", s.name, s.stats.errors);
                }
            }
        }
        m
    }
}

/// A table cell of CPU microseconds per request.
fn cpu_cell(us: Option<f64>) -> String {
    us.map_or("–".to_string(), |us| format!("{us:.1}"))
}

/// The start-up times in words: the first, the median and the slowest (in milliseconds).
fn startup_summary(startups: &[Duration]) -> String {
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let mut sorted: Vec<f64> = startups.iter().map(ms).collect();
    sorted.sort_by(f64::total_cmp);
    match (startups.first(), sorted.last()) {
        (Some(first), Some(max)) if startups.len() > 1 => format!(
            "first {:.1} ms, median {:.1} ms, slowest {max:.1} ms of {} starts",
            ms(first),
            sorted[sorted.len() / 2],
            startups.len()
        ),
        (Some(first), _) => format!("{:.1} ms", ms(first)),
        _ => "not measured".to_string(),
    }
}

/// `nproc` and the CPU model.
pub fn machine() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("nproc {nproc}, {model}")
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The name of the baseline server's runtime threads (their CPU time is found by it).
const BASELINE_THREADS: &str = "baseline";

/// Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux build in use).
const PROC_TICKS_PER_SECOND: f64 = 100.0;

/// User + system CPU ticks from a /proc `stat` file, and the command name it gives.
fn proc_stat_ticks(path: &str) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(path).ok()?;
    // "pid (comm) state ppid …": the name may hold spaces; fields are counted after ')'.
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_string();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((comm, ticks))
}

/// CPU ticks used so far by what `of` names.
fn cpu_ticks(of: CpuOf) -> Option<u64> {
    match of {
        CpuOf::Process(pid) => proc_stat_ticks(&format!("/proc/{pid}/stat")).map(|(_, t)| t),
        CpuOf::OwnThreads(name) => {
            let tasks = std::fs::read_dir("/proc/self/task").ok()?;
            let ticks = tasks
                .filter_map(|t| proc_stat_ticks(&format!("{}/stat", t.ok()?.path().display())))
                .filter(|(comm, _)| comm == name)
                .map(|(_, t)| t)
                .sum();
            Some(ticks)
        }
    }
}

#[derive(Clone, Copy)]
enum CpuOf {
    Process(u32),
    OwnThreads(&'static str),
}

/// Runs `load` and returns its result with the CPU microseconds per request that `of` spent.
async fn with_cpu<F: Future<Output = RunStats>>(of: CpuOf, load: F) -> (RunStats, Option<f64>) {
    let before = cpu_ticks(of);
    let stats = load.await;
    let per_request = match (before, cpu_ticks(of)) {
        (Some(b), Some(a)) if stats.requests > 0 => {
            Some((a.saturating_sub(b)) as f64 / PROC_TICKS_PER_SECOND * 1e6 / stats.requests as f64)
        }
        _ => None,
    };
    (stats, per_request)
}

fn runtime(workers: usize, name: &str) -> Result<Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name(name)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the {name} runtime: {e}"))
}

/// Rounds a body size to two significant digits, so that scenarios with nearly the same
/// answer length share one baseline run.
fn baseline_size(n: usize) -> usize {
    let mut scale = 1;
    while n / scale >= 100 {
        scale *= 10;
    }
    ((n + scale / 2) / scale) * scale
}

/// Waits until the server process spends (almost) no CPU for a while, or `limit` has passed;
/// returns how long that took. The scenarios measure serving requests, not the background
/// work that start-up or the previous scenario's writes left.
async fn wait_until_idle(server_pid: u32, limit: Duration) -> Duration {
    const WINDOW: Duration = Duration::from_millis(200);
    let started = Instant::now();
    let mut before = cpu_ticks(CpuOf::Process(server_pid));
    while started.elapsed() < limit {
        tokio::time::sleep(WINDOW).await;
        let now = cpu_ticks(CpuOf::Process(server_pid));
        match (before, now) {
            // At most one tick (10 ms) in 200 ms: idle.
            (Some(b), Some(a)) if a.saturating_sub(b) <= 1 => break,
            (None, _) | (_, None) => break,
            _ => before = now,
        }
    }
    started.elapsed()
}

/// Runs a scenario against a bare server (baseline or floor, in the baseline runtime) once the
/// real server is idle — its leftovers (index merges after writes) would slow the bare one —
/// and stops it; answers the run and the bare server's CPU per request.
async fn run_bare(
    start: impl Future<Output = Result<(SocketAddr, oneshot::Sender<()>), String>>,
    server_pid: u32,
    sc: &Scenario,
    o: &BenchOptions,
    duration: Duration,
) -> Result<(RunStats, Option<f64>), String> {
    if let Some(limit) = o.settle {
        wait_until_idle(server_pid, limit).await;
    }
    let (addr, stop) = start.await?;
    let load = run_load(addr, Some(BENCH_ADMIN_KEY), sc, o.connections, duration);
    let measured = with_cpu(CpuOf::OwnThreads(BASELINE_THREADS), load).await;
    let _ = stop.send(());
    Ok(measured)
}

async fn drive(
    server: (SocketAddr, u32, &Path),
    o: &BenchOptions,
    baseline_rt: &Handle,
) -> Result<Vec<ScenarioReport>, String> {
    let (addr, server_pid, server_db) = server;
    let mut probe = Probe::new(addr);
    let facts = discover(&mut probe).await?;
    let mut baselines: HashMap<usize, (RunStats, Option<f64>)> = HashMap::new();
    let mut out = Vec::new();
    for sc in scenarios(&facts) {
        if o.scenario.as_deref().is_some_and(|f| !sc.name.contains(f)) {
            continue;
        }
        let settled_after = match o.settle {
            Some(limit) => Some(wait_until_idle(server_pid, limit).await),
            None => None,
        };
        // One real answer first: its length sizes the baseline; a failure is reported as is.
        let mut first = ConnState::new(seed_of(&sc.name) ^ 0x5eed, usize::MAX);
        let spec = (sc.factory)(&mut first);
        let what = spec.describe();
        let (answer_bytes, probe_error) = match probe.send(spec).await {
            Ok((status, body)) if (200..300).contains(&status) => (body.len(), None),
            Ok((status, body)) => (body.len(), Some(format!("{what} → {}", show_answer(status, &body)))),
            Err(e) => (0, Some(e)),
        };
        // Progress on stderr (the report goes to stdout), also what a profiler attaches by.
        eprintln!("running {} for {:.1} s…", sc.name, o.duration.as_secs_f64());
        let (stats, server_cpu_us) =
            with_cpu(CpuOf::Process(server_pid), run_load(addr, Some(BENCH_ADMIN_KEY), &sc, o.connections, o.duration))
                .await;
        let size = baseline_size(answer_bytes);
        let baseline = match o.baseline {
            None => None,
            Some(_) if baselines.contains_key(&size) => baselines.get(&size).cloned(),
            Some(duration) => {
                let b = run_bare(start_baseline(baseline_rt, size), server_pid, &sc, o, duration).await?;
                baselines.insert(size, b.clone());
                Some(b)
            }
        };
        let (baseline, baseline_cpu_us) = match baseline {
            Some((stats, cpu)) => (Some(stats), cpu),
            None => (None, None),
        };
        let (floor, floor_cpu_us) = match o.baseline {
            Some(duration) if sc.name.starts_with("get_") => {
                let (stats, cpu) =
                    run_bare(start_floor(baseline_rt, server_db, size), server_pid, &sc, o, duration).await?;
                (Some(stats), cpu)
            }
            _ => (None, None),
        };
        out.push(ScenarioReport {
            name: sc.name,
            description: sc.description,
            answer_bytes,
            probe_error,
            stats,
            baseline,
            baseline_bytes: size,
            server_cpu_us,
            baseline_cpu_us,
            floor,
            floor_cpu_us,
            settled_after,
        });
    }
    if out.is_empty() {
        return Err(format!("no scenario matches {:?}", o.scenario.as_deref().unwrap_or("")));
    }
    Ok(out)
}

/// Starts the server `o.starts` times on `db`, noting each start-up in `startups`, and answers
/// the last one still running (the others only measure the start-up: one start can be slowed
/// by what the machine is still doing with the fresh copy, writing it back, say).
fn start_timed(o: &BenchOptions, db: &Path, startups: &mut Vec<Duration>) -> Result<ServerProcess, String> {
    for _ in 1..o.starts.max(1) {
        let mut server = ServerProcess::start(&o.server_binary, db)?;
        startups.push(server.startup);
        server.stop();
    }
    let server = ServerProcess::start(&o.server_binary, db)?;
    startups.push(server.startup);
    Ok(server)
}

/// Prepares the database (see [`prepare_database`]), starts the real server (the `contacts`
/// executable) on a scratch copy of it, and runs the scenarios against it and the baseline.
pub fn bench(o: &BenchOptions) -> Result<Report, String> {
    // Before this process opens any database, so that the floor's connections are set up as
    // the server's are (see `start_floor`).
    crate::store::init_sqlite();
    let prepared = prepare_database(&o.db, o.contacts, o.seed)?;
    let run_db = scratch_copy(&o.db)?;
    let mut startups = Vec::new();
    let outcome = start_timed(o, &run_db, &mut startups).and_then(|mut server| {
        let baseline_rt = runtime(o.server_workers, BASELINE_THREADS)?;
        let client_rt = runtime(o.client_workers, "client")?;
        let result = client_rt.block_on(drive((server.addr, server.child.id(), &run_db), o, baseline_rt.handle()));
        let rss_kib = proc_status_kib(server.child.id(), "VmRSS:");
        let peak_rss_kib = proc_status_kib(server.child.id(), "VmHWM:");
        server.stop();
        client_rt.shutdown_timeout(Duration::from_secs(1));
        baseline_rt.shutdown_timeout(Duration::from_secs(1));
        Ok(Report { options: o.clone(), prepared, startups, scenarios: result?, rss_kib, peak_rss_kib })
    });
    let _ = remove_database(&run_db);
    outcome
}

/// The server under test, as a user runs it: `contacts serve` in a process of its own, so that
/// its memory and its profile are its own.
struct ServerProcess {
    child: std::process::Child,
    addr: SocketAddr,
    startup: Duration,
}

impl ServerProcess {
    fn start(binary: &Path, db: &Path) -> Result<ServerProcess, String> {
        // A free port: bound and released here, then given to the server.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("cannot find a free port: {e}"))?;
        let started = Instant::now();
        let child = std::process::Command::new(binary)
            .args(["serve", "--listen", &addr.to_string(), "--db"])
            .arg(db)
            // One log line per request would measure the terminal, not the server.
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = ServerProcess { child, addr, startup: Duration::ZERO };
        while std::net::TcpStream::connect(addr).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("{} serve exited before listening: {status}", binary.display()));
            }
            if started.elapsed() > Duration::from_secs(30) {
                server.stop();
                return Err(format!("{} serve did not listen on {addr} within 30 s", binary.display()));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        server.startup = started.elapsed();
        Ok(server)
    }

    /// Ends the server (its scratch database is removed afterwards, so nothing needs saving).
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

/// The options of a smoke run: 300 contacts, 2 connections, ~0.1 s per scenario.
pub fn smoke_options(db: impl Into<PathBuf>, server_binary: impl Into<PathBuf>) -> BenchOptions {
    let mut o = BenchOptions::new(db, 300, server_binary);
    o.duration = Duration::from_millis(100);
    o.baseline = Some(Duration::from_millis(50));
    o.settle = None;
    o.connections = 2;
    o.starts = 2;
    o
}

/// Every scenario for ~0.1 s at 2 connections on 300 contacts generated into `db` (reused when
/// it already holds them). An `Err` is a set-up failure; check [`Report::problems`] for
/// scenarios that failed.
pub fn smoke(db: &Path, server_binary: &Path) -> Result<Report, String> {
    bench(&smoke_options(db, server_binary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_sizes() {
        let v: Vec<u32> = (1..=1000).collect();
        assert_eq!((percentile(&v, 50.0), percentile(&v, 99.0), percentile(&v, 99.9)), (500, 990, 999));
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(
            (baseline_size(0), baseline_size(87), baseline_size(1234), baseline_size(31_560)),
            (0, 87, 1200, 32_000)
        );
    }

    #[test]
    fn start_ups_are_summed_up_by_first_median_and_slowest() {
        let ms = Duration::from_millis;
        assert_eq!(
            startup_summary(&[ms(90), ms(5), ms(7), ms(6), ms(8)]),
            "first 90.0 ms, median 7.0 ms, slowest 90.0 ms of 5 starts"
        );
        assert_eq!(startup_summary(&[ms(12)]), "12.0 ms");
        assert_eq!(startup_summary(&[]), "not measured");
    }

    #[test]
    fn the_floor_reads_the_contact_a_get_names() {
        assert_eq!(contact_id_in("/contacts/42.json"), Some(42));
        assert_eq!(contact_id_in("/contacts/7.xml"), Some(7));
        assert_eq!(contact_id_in("/contacts/9"), Some(9));
        assert_eq!(contact_id_in("/contacts.json"), None);
        assert_eq!(contact_id_in("/contacts/x.json"), None);
    }

    #[test]
    fn the_prng_is_deterministic_per_connection() {
        let (mut a, mut b, mut c) = (ConnState::new(7, 0), ConnState::new(7, 0), ConnState::new(7, 1));
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        assert_eq!(xs, (0..4).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(xs, (0..4).map(|_| c.next_u64()).collect::<Vec<_>>());
        assert!((0..100).all(|_| a.below(7) < 7));
    }
}
