//! Service configuration: defaults, overridden by environment variables and flags (clap reads
//! both, flags first).

use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    /// The SQLite database file; created with the embedded schema when missing.
    pub db: PathBuf,
    /// Sets (or resets) the administrator's API key at start-up.
    pub admin_key: Option<String>,
    /// What one connection or request may take.
    pub limits: Limits,
    /// Read-only connections in the pool (one per runtime worker is enough: reads never await).
    pub readers: u32,
    /// TLS ends in a proxy in front of the service: the web interface's cookies are `Secure`.
    pub behind_proxy: bool,
}

impl Config {
    pub fn new(db: impl Into<PathBuf>) -> Config {
        Config { db: db.into(), admin_key: None, limits: Limits::default(), readers: 4, behind_proxy: false }
    }
}

/// Bounds on what clients may take of the service.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Connections served at once; further ones wait in the listen queue until one closes.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, and again its body (slow senders get
    /// 408 instead of holding a connection).
    pub request_timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_connections: 1024,
            request_timeout: std::time::Duration::from_secs(30),
        }
    }
}
