//! The operator's commands beside `serve` and `demo`: `contacts backup` (a copy of a running
//! server's database, through its admin endpoint) and `contacts restore` (a backup installed in
//! place of a stopped server's database). Each answers a line for the terminal, or a [`Failed`]
//! with its exit code. `export`, `import` and `duplicates` (`exchange.rs`) move contacts in
//! and out of vCard and CSV files.

pub mod backup;
mod exchange;
pub mod restore;

pub use exchange::{duplicates, export, import, DuplicatesArgs, ExportArgs, ImportArgs};

/// Exit codes, beside 0 (done) and clap's 2 (a usage error).
pub mod exit {
    /// It could not be done: the server did not answer, an answer was refused, a file could
    /// not be written.
    pub const FAILED: u8 = 1;
    /// The file is not a sound contacts database (not SQLite, failed its integrity check, or
    /// at a schema version newer than this binary's).
    pub const UNSOUND: u8 = 3;
    /// The database is in use: a server (or another program) has it open.
    pub const IN_USE: u8 = 4;
}

/// Why a command failed, for the terminal, and its exit code.
#[derive(Debug)]
pub struct Failed {
    pub code: u8,
    pub message: String,
}

impl Failed {
    pub fn new(code: u8, message: impl Into<String>) -> Failed {
        Failed { code, message: message.into() }
    }
}

impl From<crate::error::Error> for Failed {
    fn from(e: crate::error::Error) -> Failed {
        let message = match e {
            crate::error::Error::Internal(cause) => cause,
            other => other.to_string(),
        };
        Failed::new(exit::FAILED, message)
    }
}

/// `1.5 MB`: sizes as a person reads them.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
