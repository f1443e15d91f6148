//! For tools that open the database file themselves, outside a running service (the load
//! benchmark): the service's process-wide SQLite set-up and its schema upgrade.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, Result};

/// The service's process-wide SQLite set-up (see `store::init_sqlite`), for a process that
/// opens the file itself and means to open it as the service does. Call it before the
/// process's first connection.
pub fn init_sqlite() {
    super::init_sqlite();
}

/// Brings the file at `path` to the current schema, as the service's start does.
pub fn upgrade(path: &Path) -> Result<()> {
    let conn = Connection::open(path).map_err(|e| Error::Internal(format!("cannot open {}: {e}", path.display())))?;
    super::migrate(&conn)
}
