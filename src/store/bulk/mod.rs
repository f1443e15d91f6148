//! Bulk loading: many rows into a database that holds no contacts yet, in one transaction, far
//! faster than the writer would take them one request at a time. The demo generator writes
//! through it (`contacts demo`, `serve --demo`); it hands over plain records and never sees SQL.
//!
//! [`load`] opens the file on a connection of its own with bulk-load settings, brings it to the
//! current schema and, inside one transaction (all or nothing):
//! - sets aside the secondary indexes of the big tables and every trigger (the search-index
//!   queue and the contact-card marks among them): indexes are cheaper to build once, sorted,
//!   at the end, and what the triggers maintain is built here in one pass instead;
//! - hands a [`BulkLoad`] to the caller, whose rows go in through reused prepared statements,
//!   while a second thread builds the full-text index from the same search text as the
//!   store's own writes (see `fts.rs`);
//! - then puts the indexes and triggers back, installs the built full-text index, rebuilds
//!   every contact card, commits, and leaves the planner fresh statistics.
//!
//! Also here, for tools that open the file themselves (the load benchmark):
//! [`init_sqlite`] and [`upgrade`]; a load into a file that holds contacts is refused.

mod changes;
mod fts;
mod reference;
#[cfg(test)]
mod tests;

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Statement, TransactionBehavior};

use super::schema::{drop_objects, quote_name, restore_objects};
use crate::domain::Address;
use crate::error::{Error, Result};
use fts::FtsBuilder;

pub use changes::import_contacts;
pub use reference::{NewCustomField, NewProject, NewUser};

/// The service's process-wide SQLite set-up (see `store::init_sqlite`), for a process that
/// opens the file itself and means to open it as the service does. Call it before the
/// process's first connection.
pub fn init_sqlite() {
    super::init_sqlite();
}

/// Brings the file at `path` to the current schema, as the service's start does.
pub fn upgrade(path: &Path) -> Result<()> {
    super::migrate(&open(path)?)
}

/// Whether the database holds any contact (a bulk load refuses it then).
fn holds_contacts(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM contacts)", [], |r| r.get(0))?)
}

fn open(path: &Path) -> Result<Connection> {
    Connection::open(path).map_err(|e| Error::Internal(format!("cannot open {}: {e}", path.display())))
}

/// A contact's row. Its search text is made here, from its fields, as the store's writes make
/// it.
pub struct NewContact<'a> {
    pub id: i64,
    pub is_company: bool,
    pub first_name: &'a str,
    pub last_name: Option<&'a str>,
    pub middle_name: Option<&'a str>,
    pub company: Option<&'a str>,
    /// Comma and space separated.
    pub phone: Option<&'a str>,
    /// Comma separated.
    pub email: Option<&'a str>,
    pub website: Option<&'a str>,
    pub skype_name: Option<&'a str>,
    /// `YYYY-MM-DD`.
    pub birthday: Option<&'a str>,
    pub job_title: Option<&'a str>,
    pub background: Option<&'a str>,
    pub author_id: i64,
    pub assigned_to_id: Option<i64>,
    pub visibility: i64,
    pub created_on: i64,
    pub updated_on: i64,
}

/// A note on a contact.
pub struct NewNote<'a> {
    pub contact_id: i64,
    pub subject: Option<&'a str>,
    pub content: &'a str,
    pub author_id: i64,
    pub type_id: i64,
    pub created_on: i64,
    pub updated_on: i64,
}

/// A deal of one contact.
pub struct NewDeal<'a> {
    pub contact_id: i64,
    pub name: &'a str,
    pub currency: &'a str,
    /// Normalized (see `domain::normalize_decimal`).
    pub price: Option<&'a str>,
    pub project_id: i64,
    pub author_id: i64,
    pub assigned_to_id: Option<i64>,
    pub status_id: i64,
    pub category_id: Option<i64>,
    pub due_date: i64,
    pub probability: i64,
    pub created_on: i64,
    pub updated_on: i64,
}

/// Loads into the database at `path` (created when missing) whatever `fill` hands to the
/// [`BulkLoad`], in one transaction: an error from `fill` leaves the file as it was. Refuses a
/// database that already holds contacts. `contacts` (how many will come) sizes the page cache.
///
/// A running service may have the file open, but the load must happen before it answers
/// requests: its caches do not see writes made here.
pub fn load<T>(path: &Path, contacts: usize, fill: impl FnOnce(&mut BulkLoad<'_>) -> Result<T>) -> Result<T> {
    // A page cache that holds most of what is loaded (about 1 KiB a contact, 64 MiB to 1 GiB).
    load_with_cache(path, (contacts as i64).clamp(65_536, 1_048_576), fts::FTS_QUEUE, fill)
}

/// [`load`] with page caches of `cache_kib` (for the file, and again for the search index
/// built beside it) and at most `fts_queue` batches of search texts waiting for the index:
/// an import keeps its memory bounded with small ones.
pub(super) fn load_with_cache<T>(
    path: &Path,
    cache_kib: i64,
    fts_queue: usize,
    fill: impl FnOnce(&mut BulkLoad<'_>) -> Result<T>,
) -> Result<T> {
    super::init_sqlite();
    let mut conn = open(path)?;
    // Bulk-load settings, for this connection only (the service opens its own with FULL sync).
    // A bounded load's index sorts spill to temporary files past the page cache instead of
    // growing in memory.
    let temp_store = if fts_queue < fts::FTS_QUEUE { "FILE" } else { "MEMORY" };
    conn.execute_batch(&format!(
        "PRAGMA busy_timeout = 10000;
         PRAGMA cache_size = -{cache_kib};
         PRAGMA temp_store = {temp_store};"
    ))?;
    let rollback = RollbackJournal::take(&conn)?;
    let outcome = load_in_transaction(&mut conn, cache_kib, fts_queue, fill);
    rollback.give_back(&conn);
    let out = outcome?;
    analyze(&conn)?;
    Ok(out)
}

/// Statistics for the planner: full ones (about a second per million contacts; sampled ones
/// with analysis_limit came out far off for the low-cardinality indexes). Of a table without
/// indexes ANALYZE records only the number of rows, counted by reading every page: for the
/// contact cards, one row per contact and the largest table, that count is taken from the
/// contacts instead (half a second less at a million; none for an empty table, as ANALYZE
/// writes none).
fn analyze(conn: &Connection) -> Result<()> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
               AND name <> 'contact_cards' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for table in tables {
        conn.execute_batch(&format!("ANALYZE main.{}", quote_name(&table)))?;
    }
    conn.execute_batch(
        "DELETE FROM sqlite_stat1 WHERE tbl = 'contact_cards';
         INSERT INTO sqlite_stat1 (tbl, idx, stat) SELECT 'contact_cards', NULL, count(*) FROM contacts HAVING count(*) > 0;
         ANALYZE sqlite_schema;
         PRAGMA optimize;",
    )?;
    Ok(())
}

/// The load itself, in one transaction (rolled back when anything fails).
fn load_in_transaction<T>(
    conn: &mut Connection,
    cache_kib: i64,
    fts_queue: usize,
    fill: impl FnOnce(&mut BulkLoad<'_>) -> Result<T>,
) -> Result<T> {
    super::migrate(conn)?;
    let fts_sql: String =
        conn.query_row("SELECT sql FROM sqlite_master WHERE name = 'contacts_search'", [], |r| r.get(0))?;
    let scratch = fts::Scratch::attach(conn)?;
    let outcome = load_rows_and_indexes(conn, &scratch, fts_sql, cache_kib, fts_queue, fill);
    scratch.detach(conn);
    outcome
}

fn load_rows_and_indexes<T>(
    conn: &mut Connection,
    scratch: &fts::Scratch,
    fts_sql: String,
    cache_kib: i64,
    fts_queue: usize,
    fill: impl FnOnce(&mut BulkLoad<'_>) -> Result<T>,
) -> Result<T> {
    // Not BEGIN IMMEDIATE, which would take the write lock of the attached scratch file too,
    // the file the index thread writes: the first statement, a write to the main database's
    // (empty) card marks, takes the write lock of that database alone.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    tx.execute("DELETE FROM main.contact_cards_stale", [])?;
    scratch.remove_stale();
    if holds_contacts(&tx)? {
        return Err(Error::Validation(vec!["the database already holds contacts".into()]));
    }
    let set_aside = SetAside::take(&tx)?;
    let phase = Phases::start();
    let (out, fts) = {
        let fts = FtsBuilder::start(scratch, fts_sql, cache_kib, fts_queue)?;
        let mut bulk = BulkLoad { conn: &tx, rows: Rows::prepare(&tx)?, fts };
        (fill(&mut bulk)?, bulk.fts)
    };
    phase.done("rows written");
    // The search index thread merges its segments while this one builds the other indexes
    // and the cards; then its tables are copied in.
    let fts = fts.input_done()?;
    set_aside.restore(&tx)?;
    phase.done("indexes built");
    super::cards::rebuild_all(&tx)?;
    phase.done("cards built");
    fts.finish_into(&tx)?;
    phase.done("search index copied");
    tx.commit()?;
    phase.done("committed");
    Ok(out)
}

/// Logs (at debug level) how long each phase of a load took.
struct Phases(std::cell::Cell<std::time::Instant>);

impl Phases {
    fn start() -> Phases {
        Phases(std::cell::Cell::new(std::time::Instant::now()))
    }

    fn done(&self, what: &str) {
        let now = std::time::Instant::now();
        tracing::debug!("bulk load: {what} in {} ms", now.duration_since(self.0.replace(now)).as_millis());
    }
}

/// Whether the load runs with a rollback journal instead of the WAL. Nearly every page a load
/// writes lies past the file's old end, which a rollback journal does not copy: each page is
/// written once, into the file, instead of into the WAL and again at the checkpoint; and a
/// page cache that overflows spills into the file rather than into a WAL that every later
/// read of the load (the index builds, the cards) must search. Commit syncs the file.
/// Another connection on the file (a service filling itself with `--demo`) keeps it in WAL
/// mode; the load then writes through the WAL, unsynced, as a demo may.
struct RollbackJournal(bool);

impl RollbackJournal {
    fn take(conn: &Connection) -> Result<RollbackJournal> {
        let mode = conn.query_row("PRAGMA journal_mode = TRUNCATE", [], |r| r.get::<_, String>(0));
        let rollback = matches!(mode.as_deref(), Ok("truncate"));
        conn.execute_batch(if rollback {
            "PRAGMA synchronous = OFF;"
        } else {
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;"
        })?;
        Ok(RollbackJournal(rollback))
    }

    /// Back to the WAL the service runs with, or the WAL folded back into the file (which
    /// fails harmlessly, busy, when a reader holds a snapshot).
    fn give_back(self, conn: &Connection) {
        let sql = if self.0 { "PRAGMA journal_mode = WAL" } else { "PRAGMA wal_checkpoint(TRUNCATE)" };
        if let Err(e) = conn.query_row(sql, [], |_| Ok(())) {
            tracing::warn!("after the load, {sql} failed: {e}");
        }
    }
}

/// The indexes and triggers dropped for the load, with the statements that create them again.
struct SetAside {
    indexes: Vec<(String, String)>,
    triggers: Vec<(String, String)>,
}

impl SetAside {
    fn take(conn: &Connection) -> Result<SetAside> {
        // Indexes with random insertion order are cheaper to build once, sorted, at the end.
        let indexes = drop_objects(
            conn,
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
               AND tbl_name IN ('contacts', 'contacts_projects', 'taggings')",
            "INDEX",
        )?;
        // The triggers feed the search index's queue (the index is built on the side here) and
        // mark contact cards stale (the cards are built in one pass at the end).
        let triggers = drop_objects(conn, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'", "TRIGGER")?;
        Ok(SetAside { indexes, triggers })
    }

    fn restore(self, conn: &Connection) -> Result<()> {
        restore_objects(conn, &self.indexes)?;
        restore_objects(conn, &self.triggers)
    }
}

/// The load in progress: what [`load`]'s `fill` writes through. Reference data (projects,
/// users, …, see `reference.rs`) is looked up or created one row at a time; the rows of the
/// contacts go through prepared statements.
pub struct BulkLoad<'c> {
    conn: &'c Connection,
    rows: Rows<'c>,
    fts: FtsBuilder,
}

/// The prepared statements of the contacts' rows.
struct Rows<'c> {
    contact: Statement<'c>,
    project: Statement<'c>,
    address: Statement<'c>,
    tagging: Statement<'c>,
    custom: Statement<'c>,
    note: Statement<'c>,
    deal: Statement<'c>,
    deal_contact: Statement<'c>,
    /// Present when the schema has a `search_texts` table.
    search_text: Option<Statement<'c>>,
}

impl<'c> Rows<'c> {
    fn prepare(conn: &'c Connection) -> Result<Rows<'c>> {
        let search_texts = conn
            .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_texts'", [], |_| Ok(()))
            .optional()?
            .is_some();
        Ok(Rows {
            contact: conn.prepare(
                "INSERT INTO contacts (id, first_name, last_name, middle_name, company, phone, email, website,
                        skype_name, birthday, job_title, background, is_company, author_id, assigned_to_id,
                        visibility, created_on, updated_on)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )?,
            project: conn.prepare("INSERT INTO contacts_projects (contact_id, project_id) VALUES (?, ?)")?,
            address: conn.prepare(
                "INSERT INTO addresses (contact_id, street1, street2, city, region, postcode, country_code,
                        full_address, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )?,
            tagging: conn.prepare("INSERT INTO taggings (contact_id, tag_id, position) VALUES (?, ?, ?)")?,
            custom: conn.prepare(
                "INSERT INTO custom_values (customized_type, customized_id, custom_field_id, value)
                 VALUES ('contact', ?, ?, ?)",
            )?,
            note: conn.prepare(
                "INSERT INTO notes (subject, content, source_type, source_id, author_id, type_id, created_on, updated_on)
                 VALUES (?, ?, 'Contact', ?, ?, ?, ?, ?)",
            )?,
            deal: conn.prepare(
                "INSERT INTO deals (name, background, currency, duration, price, price_type, project_id, author_id,
                        assigned_to_id, status_id, contact_id, category_id, due_date, probability, created_on, updated_on)
                 VALUES (?, NULL, ?, 1, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )?,
            deal_contact: conn.prepare("INSERT INTO contacts_deals (deal_id, contact_id) VALUES (?, ?)")?,
            search_text: if search_texts {
                Some(conn.prepare("INSERT INTO search_texts (contact_id, body) VALUES (?, ?)")?)
            } else {
                None
            },
        })
    }
}

impl BulkLoad<'_> {
    /// A contact, and its search text (for the full-text index too).
    pub fn contact(&mut self, c: &NewContact<'_>) -> Result<()> {
        self.rows.contact.execute(params![
            c.id,
            c.first_name,
            c.last_name,
            c.middle_name,
            c.company,
            c.phone,
            c.email,
            c.website,
            c.skype_name,
            c.birthday,
            c.job_title,
            c.background,
            c.is_company,
            c.author_id,
            c.assigned_to_id,
            c.visibility,
            c.created_on,
            c.updated_on
        ])?;
        let body = super::search::index_text(&[
            Some(c.first_name),
            c.last_name,
            c.middle_name,
            c.company,
            c.email,
            c.phone,
            c.job_title,
        ]);
        if let Some(stmt) = &mut self.rows.search_text {
            stmt.execute(params![c.id, body])?;
        }
        self.fts.add(c.id, body)
    }

    /// Puts a contact in a project.
    pub fn contact_project(&mut self, contact_id: i64, project_id: i64) -> Result<()> {
        self.rows.project.execute(params![contact_id, project_id])?;
        Ok(())
    }

    /// A contact's address (`a.contact_id`'s); its full address is joined here.
    pub fn address(&mut self, a: &Address) -> Result<()> {
        self.rows.address.execute(params![
            a.contact_id,
            a.street1,
            a.street2,
            a.city,
            a.region,
            a.postcode,
            a.country_code,
            a.joined(),
            a.created_at,
            a.updated_at
        ])?;
        Ok(())
    }

    /// A tag of a contact, at `position` in its tag list (from 0).
    pub fn tagging(&mut self, contact_id: i64, tag_id: i64, position: i64) -> Result<()> {
        self.rows.tagging.execute(params![contact_id, tag_id, position])?;
        Ok(())
    }

    /// A contact's value of a custom field.
    pub fn custom_value(&mut self, contact_id: i64, field_id: i64, value: &str) -> Result<()> {
        self.rows.custom.execute(params![contact_id, field_id, value])?;
        Ok(())
    }

    pub fn note(&mut self, n: &NewNote<'_>) -> Result<()> {
        self.rows.note.execute(params![
            n.subject,
            n.content,
            n.contact_id,
            n.author_id,
            n.type_id,
            n.created_on,
            n.updated_on
        ])?;
        Ok(())
    }

    /// A deal, linked to its contact; answers its id.
    pub fn deal(&mut self, d: &NewDeal<'_>) -> Result<i64> {
        let id = self.rows.deal.insert(params![
            d.name,
            d.currency,
            d.price,
            d.project_id,
            d.author_id,
            d.assigned_to_id,
            d.status_id,
            d.contact_id,
            d.category_id,
            d.due_date,
            d.probability,
            d.created_on,
            d.updated_on
        ])?;
        self.rows.deal_contact.execute(params![id, d.contact_id])?;
        Ok(id)
    }
}
