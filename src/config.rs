//! Service configuration: defaults, overridden by environment variables and flags (clap reads
//! both, flags first).

use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    /// The SQLite database file; created with the embedded schema when missing.
    pub db: PathBuf,
    /// Sets (or resets) the administrator's API key at start-up.
    pub admin_key: Option<String>,
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Read-only connections in the pool (one per runtime worker is enough: reads never await).
    pub readers: u32,
}

impl Config {
    pub fn new(db: impl Into<PathBuf>) -> Config {
        Config { db: db.into(), admin_key: None, max_body_bytes: 1024 * 1024, readers: 4 }
    }
}
