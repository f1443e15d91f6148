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
    /// Whether other processes (Litestream) may open the database meanwhile (`--shared-lock`;
    /// see `store::Locking`).
    pub locking: crate::store::Locking,
    /// TLS ends in a proxy in front of the service: the web interface's cookies are `Secure`.
    pub behind_proxy: bool,
}

impl Config {
    pub fn new(db: impl Into<PathBuf>) -> Config {
        Config {
            db: db.into(),
            admin_key: None,
            limits: Limits::default(),
            readers: 4,
            locking: Default::default(),
            behind_proxy: false,
        }
    }
}

/// Bounds on what clients may take of the service.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Largest file upload to `POST /contacts/import` (held in memory while it is imported).
    pub max_import_bytes: usize,
    /// Connections served at once; further ones wait in the listen queue until one closes.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, and again its body (slow senders get
    /// 408 instead of holding a connection).
    pub request_timeout: std::time::Duration,
    /// Values one list parameter may carry (`ids=1|2|…`, `include=…`, `v[field][]=…`), so that
    /// one request cannot ask for unbounded work; more get 422.
    pub max_list_values: usize,
    /// Tags one contact may have; more get 422.
    pub max_tags: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_import_bytes: 64 * 1024 * 1024,
            max_connections: 1024,
            request_timeout: std::time::Duration::from_secs(30),
            max_list_values: 1000,
            max_tags: 100,
        }
    }
}
