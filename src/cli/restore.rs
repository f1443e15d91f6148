//! `contacts restore FILE --db DB`: checks the backup and installs it in place of the database
//! of a stopped server (see `store::restore` for the steps and what each guards against).

use std::path::Path;

use super::{exit, megabytes, Failed};
use crate::store::{self, Restored};

/// Installs `backup` as `db`; the line to print when it is done.
pub fn run(backup: &Path, db: &Path) -> Result<String, Failed> {
    match store::restore(backup, db)? {
        Restored::Installed(check) => Ok(format!(
            "Restored {} ({} contacts, {}, schema version {}) into {}",
            backup.display(),
            check.contacts,
            megabytes(check.bytes),
            check.schema_version,
            db.display()
        )),
        Restored::Unsound(check) => Err(Failed::new(
            exit::UNSOUND,
            format!(
                "{} is not a sound backup; {} was left as it was:\n  {}",
                backup.display(),
                db.display(),
                check.problems.join("\n  ")
            ),
        )),
        Restored::InUse => Err(Failed::new(
            exit::IN_USE,
            format!(
                "{} is in use by another process (is a contacts server running on it?); stop the server first",
                db.display()
            ),
        )),
    }
}
