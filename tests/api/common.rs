//! Starts the real server on an ephemeral loopback port with a fresh database file, and speaks
//! HTTP/1.1 to it over a plain TCP socket (no client library between the test and the bytes).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

pub const ADMIN_KEY: &str = "4d0b5a1e9c3f7e2a8b6d1c0f9e8a7b6c5d4e3f21";
pub const JSMITH_KEY: &str = "0000000000000000000000000000000000000005";
pub const ADMIN_PASSWORD: &str = "contacts-admin-2026";

pub struct Server {
    pub addr: SocketAddr,
    _dir: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

impl Server {
    /// A fresh server on a new database with the known admin key.
    pub fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("contacts.db");
        let mut s = Server::start_on(db, 1024 * 1024);
        s._dir = Some(dir);
        s
    }

    /// A server on an existing (or new) database file, with a body limit.
    pub fn start_on(db: PathBuf, max_body_bytes: usize) -> Server {
        let mut limits = contacts::config::Limits::default();
        limits.max_body_bytes = max_body_bytes;
        Server::start_limited(db, limits)
    }

    /// A fresh server with these limits.
    pub fn start_with(limits: contacts::config::Limits) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = Server::start_limited(dir.path().join("contacts.db"), limits);
        s._dir = Some(dir);
        s
    }

    fn start_limited(db: PathBuf, limits: contacts::config::Limits) -> Server {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let path = db.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let mut config = contacts::Config::new(path);
                config.admin_key = Some(ADMIN_KEY.to_string());
                config.limits = limits;
                let (app, _) = contacts::open(&config).await.expect("open the database");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                contacts::run(listener, app, async {
                    let _ = shutdown_rx.await;
                })
                .await;
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(30)).expect("server started");
        Server { addr, _dir: None, shutdown: Some(shutdown_tx), thread: Some(thread) }
    }

    /// The database file of a server from `start` (for checks of rows no answer shows).
    pub fn db_path(&self) -> Option<PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("contacts.db"))
    }

    /// Stops the server and waits for it (the database file stays).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// One request on a fresh connection; `body` is sent with a Content-Length.
    #[track_caller]
    pub fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let body = (!body.is_empty()).then_some(body);
        match send(self.addr, method, path, headers, body) {
            Ok(resp) => resp,
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    /// A request as the admin (key header) with an optional body and its content type.
    pub fn admin(&self, method: &str, path: &str, content_type: Option<&str>, body: &str) -> Resp {
        self.as_key(ADMIN_KEY, method, path, content_type, body)
    }

    /// A request as the admin with an XML body.
    pub fn admin_xml(&self, method: &str, path: &str, body: &str) -> Resp {
        self.admin(method, path, Some("application/xml"), body)
    }

    pub fn as_key(&self, key: &str, method: &str, path: &str, content_type: Option<&str>, body: &str) -> Resp {
        let mut headers = vec![("X-Redmine-API-Key", key)];
        if let Some(ct) = content_type {
            headers.push(("Content-Type", ct));
        }
        self.raw(method, path, &headers, body.as_bytes())
    }

    pub fn get(&self, path: &str) -> Resp {
        self.admin("GET", path, None, "")
    }

    pub fn post_json(&self, path: &str, body: Value) -> Resp {
        self.admin("POST", path, Some("application/json"), &body.to_string())
    }

    pub fn put_json(&self, path: &str, body: Value) -> Resp {
        self.admin("PUT", path, Some("application/json"), &body.to_string())
    }

    /// Creates a contact (as admin) and returns its id.
    #[track_caller]
    pub fn create_contact(&self, contact: Value) -> i64 {
        let r = self.post_json("/contacts.json", json!({ "contact": contact }));
        assert_eq!(r.status, 201, "create contact: {}", r.text());
        r.json()["contact"]["id"].as_i64().unwrap()
    }

    /// Creates a custom field (as admin) from a `custom_field` hash and returns its id.
    #[track_caller]
    pub fn create_custom_field(&self, field: Value) -> i64 {
        let r = self.post_json("/custom_fields.json", json!({ "custom_field": field }));
        assert_eq!(r.status, 201, "create custom field: {}", r.text());
        r.json()["custom_field"]["id"].as_i64().unwrap()
    }

    /// A small world: projects alpha (1) and beta (2), user jsmith (2) with a viewer role in
    /// beta, the admin's password set, and a License custom field (1).
    pub fn seeded() -> Server {
        let s = Server::start();
        let calls = [
            ("PUT", "/users/1.json", json!({"user": {"password": ADMIN_PASSWORD}})),
            (
                "POST",
                "/users.json",
                json!({"user": {"login": "jsmith", "firstname": "John", "lastname": "Smith",
                        "mail": "jsmith@example.net", "password": "jsmith123", "api_key": JSMITH_KEY}}),
            ),
            ("POST", "/projects.json", json!({"project": {"name": "Alpha", "identifier": "alpha"}})),
            ("POST", "/projects.json", json!({"project": {"name": "Beta", "identifier": "beta"}})),
            (
                "POST",
                "/roles.json",
                json!({"role": {"name": "Viewer", "permissions": ["view_contacts", "view_deals"]}}),
            ),
            ("POST", "/projects/2/memberships.json", json!({"membership": {"user_id": 2, "role_ids": [3]}})),
            (
                "POST",
                "/custom_fields.json",
                json!({"custom_field": {"name": "License", "field_format": "string", "customized_type": "contact"}}),
            ),
        ];
        for (method, path, body) in calls {
            let r = s.admin(method, path, Some("application/json"), &body.to_string());
            assert!((200..300).contains(&r.status), "{method} {path}: {} {}", r.status, r.text());
        }
        s
    }
}

impl Server {
    /// A new user `login` whose API key is `key`, with a role of its own holding `permissions`
    /// in each project given (by id); returns the user's id.
    #[track_caller]
    pub fn user_with(&self, login: &str, key: &str, grants: &[(i64, &[&str])]) -> i64 {
        let user = json!({"user": {"login": login, "firstname": login, "lastname": "Tester",
                          "mail": format!("{login}@example.net"), "password": "secret-123", "api_key": key}});
        let r = self.post_json("/users.json", user);
        assert_eq!(r.status, 201, "create user {login}: {}", r.text());
        let user_id = r.json()["user"]["id"].as_i64().unwrap();
        for (project, permissions) in grants {
            let role = json!({"role": {"name": format!("{login} in {project}"), "permissions": permissions}});
            let r = self.post_json("/roles.json", role);
            assert_eq!(r.status, 201, "create role: {}", r.text());
            let role_id = r.json()["role"]["id"].as_i64().unwrap();
            let membership = json!({"membership": {"user_id": user_id, "role_ids": [role_id]}});
            let r = self.post_json(&format!("/projects/{project}/memberships.json"), membership);
            assert_eq!(r.status, 201, "membership: {}", r.text());
        }
        user_id
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A record's `custom_fields` array from (field id, value) pairs.
pub fn custom_values(pairs: &[(i64, Value)]) -> Value {
    pairs.iter().map(|(id, v)| json!({"id": id, "value": v})).collect::<Vec<_>>().into()
}

/// One request to `addr` on a fresh connection (`Connection: close`). A body, even an empty one,
/// and any POST, PUT or PATCH get a `Content-Length` unless `headers` name one. Errors are the
/// connection's or an answer that is not HTTP.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Resp, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect to {addr}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    stream.write_all(&request_bytes(addr, method, path, headers, body)).map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw)
}

/// The bytes of one request with `Connection: close`. A body, even an empty one, and any POST,
/// PUT or PATCH get a `Content-Length` unless `headers` name one.
pub fn request_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let has_length = headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
    if !has_length && (body.is_some() || matches!(method, "POST" | "PUT" | "PATCH")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.map_or(0, <[u8]>::len)));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
    bytes
}

/// Head and body of an answer read to its end (a chunked body is dechunked; a truncated one
/// is kept as far as it arrived: check `Content-Length` where that matters).
pub fn parse_response(raw: &[u8]) -> Result<Resp, String> {
    let not_http = || format!("not an HTTP answer: {:?}", String::from_utf8_lossy(&raw[..raw.len().min(200)]));
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(not_http)?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(not_http)?;
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Ok(Resp { status, headers, body })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") else { break };
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        let end = (start + size).min(data.len());
        out.extend_from_slice(&data[start..end]);
        // A truncated chunk ends the body with what arrived.
        data = data.get(end + 2..).unwrap_or_default();
    }
    out
}

/// A multipart body with text fields and the file `file`.
pub fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----contacts-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
