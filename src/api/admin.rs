//! The administrator's extensions, not Redmine's: `GET /admin/backup` answers a consistent,
//! checked copy of the whole database as an SQLite file (`contacts backup` downloads it).
//!
//! The copy is made in a temporary file beside the database (`Store::backup_temp`), checked,
//! and streamed from there; the file has no name left by the time the answer starts, so it is
//! gone once the answer is sent or the client goes away. Administrators only (403 for other
//! users, 401 without credentials).

use super::{Ctx, Reply};
use crate::domain::time;
use crate::error::Result;

/// The media type of an SQLite database file (registered with IANA).
pub const SQLITE_MEDIA_TYPE: &str = "application/vnd.sqlite3";

/// `GET /admin/backup`.
pub fn backup(ctx: &Ctx) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let (file, report) = ctx.store.backup_temp()?;
    tracing::info!(
        bytes = report.bytes,
        pages = report.pages,
        copy_ms = report.copy.as_millis() as u64,
        check_ms = report.check.as_millis() as u64,
        "backup copy made and checked"
    );
    Ok(Reply::Download {
        file,
        length: report.bytes,
        content_type: SQLITE_MEDIA_TYPE,
        filename: backup_file_name(time::now_ms()),
    })
}

/// `contacts-20260301T091500Z.sqlite3`: the moment of the copy, in UTC, sortable.
pub fn backup_file_name(ms: i64) -> String {
    let stamp: String = time::iso(ms).chars().filter(|c| !matches!(c, '-' | ':')).collect();
    format!("contacts-{stamp}.sqlite3")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_name_is_the_moment_in_utc() {
        assert_eq!(super::backup_file_name(1_709_284_500_000), "contacts-20240301T091500Z.sqlite3");
    }
}
