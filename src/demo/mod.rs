//! Realistic demo and benchmark data: `contacts demo --contacts N` and `serve --demo`.
//!
//! [`generate`] bulk-loads N believable contacts (people in several languages and scripts,
//! companies their people work for, e-mails, phones, addresses in sixteen countries, tags with a
//! skewed distribution, custom values, notes and deals) with the projects, users, role and
//! memberships they need. It writes straight through one plain SQLite connection in a single
//! transaction (all or nothing) with reused prepared statements, builds the secondary indexes
//! once at the end, and fills the full-text index with the same text as the store's `reindex`
//! (on a second thread, see `FtsBuilder`). A million contacts take well under a minute.
//!
//! The same seed always gives the same contacts, notes and deals: timestamps are spread over
//! the four years before [`ANCHOR_MS`], not "now". Only the demo users' API keys are truly
//! random, so that a demo instance never has guessable keys (the users have no password).
//!
//! The words it draws from (names, streets, places, companies, job titles…) are data, in
//! `data/*.txt` (see [`vocab`]).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::types::ToSqlOutput;
use rusqlite::{params, Connection, OptionalExtension, Statement};

use crate::domain::{normalize_decimal, Address};
use crate::error::{Error, Result};
use crate::store::search::index_text;
use vocab::{vocab, Locale, NOTE_TYPES, REGIONAL_PARENTS, SEGMENT_WEIGHTS};

mod vocab;

/// What [`generate`] created.
#[derive(Clone, Debug)]
pub struct DemoSummary {
    pub contacts: usize,
    pub projects: usize,
    pub users: usize,
    pub notes: usize,
    pub deals: usize,
    pub elapsed: Duration,
}

/// 2026-01-01T00:00:00Z: the demo data was created in the four years before this instant.
pub const ANCHOR_MS: i64 = 1_767_225_600_000;
const DAY_MS: i64 = 86_400_000;
const SPAN_MS: i64 = 4 * 365 * DAY_MS;
/// Rows handed to the search index builder at a time, and how many such batches may wait
/// (up to about a million rows, ~170 MB: the main thread must rarely wait for the builder).
const FTS_BATCH: usize = 2048;
const FTS_QUEUE: usize = 512;
/// What the demo users may do in every project they are members of.
const ROLE_PERMISSIONS: &str =
    "view_contacts view_private_contacts add_contacts edit_contacts delete_contacts add_notes view_deals add_deals edit_deals";

/// Fills the database at `path` (created when missing) with `contacts` demo contacts.
/// Refuses a database that already holds contacts. A running service may have the file open,
/// but this must happen before it answers requests: its caches do not see writes made here.
pub fn generate(path: &Path, contacts: usize, seed: u64) -> Result<DemoSummary> {
    let started = Instant::now();
    crate::store::init_sqlite();
    let mut conn =
        Connection::open(path).map_err(|e| Error::Internal(format!("cannot open {}: {e}", path.display())))?;
    // Bulk-load settings, for this connection only (the service opens its own with FULL sync).
    // A page cache that holds most of what is loaded (about 1 KiB a contact, 64 MiB to 1 GiB).
    let cache_kib = (contacts as i64).clamp(65_536, 1_048_576);
    conn.execute_batch(&format!(
        "PRAGMA busy_timeout = 10000;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = OFF;
         PRAGMA cache_size = -{cache_kib};
         PRAGMA temp_store = MEMORY;"
    ))?;
    crate::store::migrate(&conn)?;

    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let existing: i64 = tx.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))?;
    if existing > 0 {
        return Err(Error::Validation(vec!["the database already holds contacts".into()]));
    }
    // Indexes with random insertion order are cheaper to build once, sorted, at the end.
    let indexes: Vec<(String, String)> = tx
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
               AND tbl_name IN ('contacts', 'contacts_projects', 'taggings')",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _) in &indexes {
        tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    // Where the schema keeps the search texts in a plain table (`search_texts`), its triggers
    // feed the index; they are set aside like the indexes while the index is built on the side,
    // and so are the triggers that mark contact cards stale (the cards are built in one pass
    // at the end).
    let search_texts = tx
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_texts'", [], |_| Ok(()))
        .optional()?
        .is_some();
    let triggers: Vec<(String, String)> = tx
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _) in &triggers {
        tx.execute_batch(&format!("DROP TRIGGER \"{}\"", name.replace('"', "\"\"")))?;
    }
    let fts_sql: String =
        tx.query_row("SELECT sql FROM sqlite_master WHERE name = 'contacts_search'", [], |r| r.get(0))?;
    let mut fts = FtsBuilder::start(fts_sql, cache_kib)?;

    let mut rng = Rng::new(seed);
    let setup = setup(&tx, contacts, &mut Rng::new(seed ^ 0x5EED_F00D))?;
    let mut gen = Generator::new(&setup, contacts, &mut rng);
    let mut counts = Counts::default();
    {
        let mut st = Statements::prepare(&tx, search_texts)?;
        for i in 0..contacts {
            gen.contact(&mut rng, i, &setup, &mut st, &mut fts, &mut counts)?;
        }
    }
    for (_, sql) in indexes.iter().chain(&triggers) {
        tx.execute_batch(sql)?;
    }
    fts.finish_into(&tx)?;
    crate::store::cards::rebuild_all(&tx)?;
    tx.commit()?;
    // Statistics for the planner: full ones (about a second per million contacts; sampled
    // ones with analysis_limit came out far off for the low-cardinality indexes).
    conn.execute_batch("ANALYZE; PRAGMA optimize;")?;
    // Fold the WAL back into the file; fails harmlessly (busy) when a reader holds a snapshot.
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    Ok(DemoSummary {
        contacts,
        projects: setup.projects.len(),
        users: setup.new_users,
        notes: counts.notes,
        deals: counts.deals,
        elapsed: started.elapsed(),
    })
}

// ---------------------------------------------------------------------------------------------
// The search index, built on a second thread
//
// Indexing (trigram tokenizing) costs more than all the other inserts together, and one SQLite
// file has one writer at a time. So a second thread runs the very same
// `INSERT INTO contacts_search (rowid, body)` statements into an identical FTS5 table in a
// private temporary database while the main thread writes everything else; at the end the
// main transaction replaces the (empty) index's shadow tables with the built ones, row by
// row. FTS5 keeps all of an index's state in those shadow tables, so the copy is exactly the
// index the inserts would have built in place.

type Batch = Vec<(i64, String)>;

struct FtsBuilder {
    batch: Batch,
    sender: Option<std::sync::mpsc::SyncSender<Batch>>,
    worker: Option<std::thread::JoinHandle<Result<Connection>>>,
    /// Set when the load fails: the worker drops what is queued instead of indexing it.
    cancelled: Arc<AtomicBool>,
}

impl FtsBuilder {
    fn start(create_sql: String, cache_kib: i64) -> Result<FtsBuilder> {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Batch>(FTS_QUEUE);
        let cancelled = Arc::new(AtomicBool::new(false));
        let stop = cancelled.clone();
        let worker = std::thread::Builder::new()
            .name("demo-search-index".into())
            .spawn(move || -> Result<Connection> {
                // "" is a private temporary database, deleted when the connection closes.
                let scratch = Connection::open("")?;
                scratch.execute_batch(&format!(
                    "PRAGMA journal_mode = OFF;
                     PRAGMA synchronous = OFF;
                     PRAGMA cache_size = -{cache_kib};
                     BEGIN;"
                ))?;
                scratch.execute_batch(&create_sql)?;
                // Bulk-build settings (they stay in the scratch table's own config, which is
                // not copied): flush pending terms every 4 MiB, never merge while loading, and
                // merge everything into one segment once at the end. That writes each term
                // twice instead of once per merge level, and leaves the fastest index to query.
                for (key, value) in [("hashsize", 4 * 1024 * 1024), ("automerge", 0), ("crisismerge", 1999)] {
                    scratch.execute(
                        "INSERT INTO contacts_search (contacts_search, rank) VALUES (?, ?)",
                        params![key, value],
                    )?;
                }
                {
                    let mut insert = scratch.prepare("INSERT INTO contacts_search (rowid, body) VALUES (?, ?)")?;
                    for batch in receiver {
                        if stop.load(Ordering::Relaxed) {
                            return Err(Error::Internal("cancelled".into()));
                        }
                        for (id, body) in batch {
                            insert.execute(params![id, body])?;
                        }
                    }
                }
                scratch.execute_batch("INSERT INTO contacts_search (contacts_search) VALUES ('optimize')")?;
                scratch.execute_batch("COMMIT")?;
                Ok(scratch)
            })
            .map_err(|e| Error::Internal(format!("cannot start the search index thread: {e}")))?;
        Ok(FtsBuilder { batch: Vec::with_capacity(FTS_BATCH), sender: Some(sender), worker: Some(worker), cancelled })
    }

    fn add(&mut self, id: i64, body: String) -> Result<()> {
        self.batch.push((id, body));
        if self.batch.len() >= FTS_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(FTS_BATCH));
        let sent = self.sender.as_ref().map(|s| s.send(batch).is_ok()).unwrap_or(false);
        if !sent {
            // The worker stopped early: its error says why.
            return Err(self.join().err().unwrap_or_else(|| Error::Internal("the search index thread stopped".into())));
        }
        Ok(())
    }

    fn join(&mut self) -> Result<Connection> {
        self.sender = None;
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::Internal("the search index thread panicked".into())),
            None => Err(Error::Internal("the search index thread is gone".into())),
        }
    }

    /// Waits for the index and copies its shadow tables into `conn`'s, replacing their rows.
    /// The config table stays as it is: it holds settings (and the format version, the same
    /// on both sides), not index data.
    fn finish_into(mut self, conn: &Connection) -> Result<()> {
        if !self.batch.is_empty() {
            self.flush()?;
        }
        let scratch = self.join()?;
        let tables: Vec<String> = scratch
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'contacts\\_search\\_%' ESCAPE '\\'
                   AND name <> 'contacts_search_config'",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for table in tables {
            let quoted = format!("\"{}\"", table.replace('"', "\"\""));
            conn.execute(&format!("DELETE FROM {quoted}"), [])?;
            let mut read = scratch.prepare(&format!("SELECT * FROM {quoted}"))?;
            let columns = read.column_count();
            let placeholders = vec!["?"; columns].join(", ");
            let mut write = conn.prepare(&format!("INSERT INTO {quoted} VALUES ({placeholders})"))?;
            let mut rows = read.query([])?;
            while let Some(row) = rows.next()? {
                for i in 0..columns {
                    write.raw_bind_parameter(i + 1, ToSqlOutput::Borrowed(row.get_ref(i)?))?;
                }
                write.raw_execute()?;
            }
        }
        Ok(())
    }
}

impl Drop for FtsBuilder {
    fn drop(&mut self) {
        // Still running when dropped means the load failed: let the worker stop early (it
        // ends by itself, and its temporary database goes with its connection).
        if self.worker.is_some() {
            self.cancelled.store(true, Ordering::Relaxed);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A small deterministic PRNG (splitmix64): fast, good enough for fake data, and no crate.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// True with probability `percent`/100.
    fn percent(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// An index drawn by cumulative weights.
    fn weighted(&mut self, cumulative: &[u32]) -> usize {
        let total = *cumulative.last().unwrap_or(&1);
        let x = self.below(total as usize) as u32;
        cumulative.partition_point(|&c| c <= x)
    }

    fn hex(&mut self, digits: usize, out: &mut String) {
        for _ in 0..digits {
            out.push(char::from_digit(self.below(16) as u32, 16).unwrap_or('0'));
        }
    }
}

fn cumulative(weights: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let mut sum = 0;
    weights
        .into_iter()
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

/// Zipf-like weights (1/k^s scaled) for `n` ranked items.
fn zipf(n: usize, s: f64) -> Vec<u32> {
    cumulative((1..=n).map(|k| (10_000.0 / (k as f64).powf(s)).round().max(1.0) as u32))
}

// ---------------------------------------------------------------------------------------------
// Reference data: projects, users, role, custom fields, tags, deal statuses

struct Setup {
    /// Project ids, in popularity order.
    projects: Vec<i64>,
    project_weights: Vec<u32>,
    /// Deal category ids per project (same order as `projects`).
    categories: Vec<Vec<i64>>,
    /// Demo users (authors and assignees).
    users: Vec<i64>,
    new_users: usize,
    admin: Option<i64>,
    tag_ids: Vec<i64>,
    tag_weights: Vec<u32>,
    license_field: i64,
    segment_field: i64,
    /// Pending, Won, Lost.
    statuses: [i64; 3],
}

fn project_count(contacts: usize) -> usize {
    contacts.div_ceil(3_000).clamp(3, 40)
}

fn user_count(contacts: usize) -> usize {
    (4 + contacts / 40_000).min(30)
}

fn setup(conn: &Connection, contacts: usize, rng: &mut Rng) -> Result<Setup> {
    let now = ANCHOR_MS - SPAN_MS - 30 * DAY_MS;
    let admin: Option<i64> = conn
        .query_row(
            "SELECT id FROM users WHERE id = 1 OR (admin = 1 AND login = 'admin') ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;

    // Projects: the main five (as many as the scale asks for), then regional subprojects.
    let mut identifiers: Vec<(String, String, String, Option<usize>)> = Vec::new();
    let n_projects = project_count(contacts);
    let v = vocab();
    for [ident, name, desc] in v.main_projects.iter().take(n_projects) {
        identifiers.push((ident.to_string(), name.to_string(), desc.to_string(), None));
    }
    'outer: for [region, region_name] in &v.regions {
        for (parent, [ident, name, _]) in v.main_projects.iter().enumerate().take(REGIONAL_PARENTS) {
            if identifiers.len() >= n_projects {
                break 'outer;
            }
            identifiers.push((
                format!("{ident}-{region}"),
                format!("{name} {region_name}"),
                format!("{name} in {region_name}"),
                Some(parent),
            ));
        }
    }
    let mut projects = Vec::with_capacity(identifiers.len());
    for (ident, name, desc, parent) in &identifiers {
        let parent_id = parent.map(|p| projects[p]);
        conn.execute(
            "INSERT INTO projects (name, identifier, description, homepage, is_public, parent_id, status, created_on, updated_on)
             VALUES (?, ?, ?, '', 1, ?, 1, ?, ?) ON CONFLICT (identifier) DO NOTHING",
            params![name, ident, desc, parent_id, now, now],
        )?;
        let id: i64 = conn.query_row("SELECT id FROM projects WHERE identifier = ?", [ident], |r| r.get(0))?;
        for module in ["contacts", "deals"] {
            conn.execute(
                "INSERT OR IGNORE INTO enabled_modules (project_id, name) VALUES (?, ?)",
                params![id, module],
            )?;
        }
        projects.push(id);
    }
    let mut categories = Vec::with_capacity(projects.len());
    for &p in &projects {
        let mut ids = Vec::new();
        for name in &v.deal_categories {
            conn.execute("INSERT OR IGNORE INTO deal_categories (name, project_id) VALUES (?, ?)", params![name, p])?;
            ids.push(conn.query_row(
                "SELECT id FROM deal_categories WHERE project_id = ? AND name = ?",
                params![p, name],
                |r| r.get(0),
            )?);
        }
        categories.push(ids);
    }

    // The role and the users, members of the main projects and of some regional ones.
    conn.execute(
        "INSERT INTO roles (name, position, assignable, builtin, permissions)
         VALUES ('CRM manager', (SELECT COALESCE(max(position), 0) + 1 FROM roles), 1, 0, ?)
         ON CONFLICT (name) DO NOTHING",
        [ROLE_PERMISSIONS],
    )?;
    let role: i64 = conn.query_row("SELECT id FROM roles WHERE name = 'CRM manager'", [], |r| r.get(0))?;
    let mut users = Vec::new();
    let latin: Vec<usize> = (0..v.locales.len()).filter(|&i| v.locales[i].users).collect();
    let mut login = String::new();
    while users.len() < user_count(contacts) {
        let locale = &v.locales[rng.pick(&latin)];
        let female = rng.percent(50);
        let first = rng.pick(if female { &locale.first_f } else { &locale.first_m });
        let last_index = rng.below(locale.last.len());
        let mut last = String::new();
        surname(locale, last_index, female, &mut last);
        login.clear();
        fold_ascii(&first[..first.char_indices().nth(1).map_or(first.len(), |(i, _)| i)], &mut login);
        fold_ascii(&last, &mut login);
        let base_len = login.len();
        let mut suffix = 1;
        let id = loop {
            let mail = format!("{login}@example.com");
            let inserted = conn.execute(
                "INSERT INTO users (login, firstname, lastname, mail, admin, status, api_key, created_on, updated_on)
                 VALUES (?, ?, ?, ?, 0, 1, ?, ?, ?) ON CONFLICT DO NOTHING",
                params![login, first, last, mail, crate::secrets::generate_api_key(), now, now],
            )?;
            if inserted == 1 {
                break conn.last_insert_rowid();
            }
            suffix += 1;
            login.truncate(base_len);
            let _ = write!(login, "{suffix}");
        };
        users.push(id);
        let mut member_of: Vec<i64> = projects.iter().take(v.main_projects.len()).copied().collect();
        for &p in projects.iter().skip(v.main_projects.len()) {
            if rng.percent(30) {
                member_of.push(p);
            }
        }
        for p in member_of {
            conn.execute(
                "INSERT INTO members (user_id, project_id, created_on) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                params![id, p, now],
            )?;
            conn.execute(
                "INSERT OR IGNORE INTO member_roles (member_id, role_id)
                 SELECT id, ? FROM members WHERE user_id = ? AND project_id = ?",
                params![role, id, p],
            )?;
        }
    }

    // Custom fields of contacts.
    let field = |name: &str, format: &str, values: &str, is_filter: bool| -> Result<i64> {
        conn.execute(
            "INSERT INTO custom_fields (name, customized_type, field_format, possible_values, is_filter, searchable, position)
             VALUES (?, 'contact', ?, ?, ?, 0, (SELECT COALESCE(max(position), 0) + 1 FROM custom_fields))
             ON CONFLICT (customized_type, name) DO NOTHING",
            params![name, format, values, is_filter],
        )?;
        Ok(conn.query_row(
            "SELECT id FROM custom_fields WHERE customized_type = 'contact' AND name = ?",
            [name],
            |r| r.get(0),
        )?)
    };
    let license_field = field("License", "string", "[]", false)?;
    let segments = serde_json::to_string(&v.segments).unwrap_or_else(|_| "[]".into());
    let segment_field = field("Segment", "list", &segments, true)?;

    let mut tag_ids = Vec::with_capacity(v.tags.len());
    for name in &v.tags {
        conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", [name])?;
        tag_ids.push(conn.query_row("SELECT id FROM tags WHERE name = ?", [name], |r| r.get(0))?);
    }

    let have_statuses: i64 = conn.query_row("SELECT count(*) FROM deal_statuses", [], |r| r.get(0))?;
    if have_statuses == 0 {
        conn.execute_batch(
            "INSERT INTO deal_statuses (name, position, is_default, status_type, color) VALUES
               ('Pending', 1, 1, 0, 11184810), ('Won', 2, 0, 1, 32768), ('Lost', 3, 0, 2, 16711680);",
        )?;
    }
    let status = |kind: i64| -> Result<i64> {
        Ok(conn.query_row(
            "SELECT id FROM deal_statuses ORDER BY status_type <> ?, is_default DESC, position, id LIMIT 1",
            [kind],
            |r| r.get(0),
        )?)
    };
    let statuses = [status(0)?, status(1)?, status(2)?];

    let project_weights = zipf(projects.len(), 0.8);
    Ok(Setup {
        new_users: users.len(),
        projects,
        project_weights,
        categories,
        users,
        admin,
        tag_ids,
        tag_weights: zipf(v.tags.len(), 1.1),
        license_field,
        segment_field,
        statuses,
    })
}

// ---------------------------------------------------------------------------------------------
// Text helpers

/// Lower-case ASCII for e-mail addresses, logins and domains: accents dropped, umlauts and ß
/// spelled out, Cyrillic transliterated; anything else but letters, digits and `-` left out.
fn fold_ascii(s: &str, out: &mut String) {
    for c in s.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'a'..='z' | '0'..='9' | '-' => {
                out.push(c);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' => "a",
            'ä' | 'æ' => "ae",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' => "o",
            'ö' | 'œ' => "oe",
            'ù' | 'ú' | 'û' => "u",
            'ü' => "ue",
            'ß' => "ss",
            'ÿ' => "y",
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' | 'ы' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ю' => "yu",
            'я' => "ya",
            _ => "",
        };
        out.push_str(mapped);
    }
}

/// `#` → digit, `%` → digit but 0 and 1, `@` → capital letter.
fn fill(rng: &mut Rng, template: &str, out: &mut String) {
    for c in template.chars() {
        match c {
            '#' => out.push((b'0' + rng.below(10) as u8) as char),
            '%' => out.push((b'2' + rng.below(8) as u8) as char),
            '@' => out.push((b'A' + rng.below(26) as u8) as char),
            c => out.push(c),
        }
    }
}

/// A surname in the form for the person's gender.
fn surname(locale: &Locale, index: usize, female: bool, out: &mut String) {
    let base = locale.last[index];
    if !(female && locale.gendered_last) {
        out.push_str(base);
    } else if let Some(stem) = base.strip_suffix("sky") {
        out.push_str(stem);
        out.push_str("skaya");
    } else if let Some(stem) = base.strip_suffix("ский") {
        out.push_str(stem);
        out.push_str("ская");
    } else if base.ends_with('v') || base.ends_with('n') {
        out.push_str(base);
        out.push('a');
    } else if base.ends_with('в') || base.ends_with('н') {
        out.push_str(base);
        out.push('а');
    } else {
        out.push_str(base);
    }
}

/// Sets an optional text, reusing its buffer; empty means None.
fn set(slot: &mut Option<String>, value: &str) {
    if value.is_empty() {
        *slot = None;
    } else {
        let s = slot.get_or_insert_with(String::new);
        s.clear();
        s.push_str(value);
    }
}

fn opt(s: &str) -> Option<&str> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

// ---------------------------------------------------------------------------------------------
// The contacts

struct Company {
    name: String,
    domain: String,
    locale: u8,
    country: u8,
    project: u16,
}

fn company(rng: &mut Rng, setup: &Setup, tables: &Tables) -> Company {
    let locale_index = rng.weighted(&tables.locale_weights);
    let v = vocab();
    let locale = &v.locales[locale_index];
    let style = &locale.company;
    let template = rng.pick(&style.templates);
    let mut name = String::with_capacity(32);
    let mut domain = String::with_capacity(24);
    let mut parts = 0;
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            name.push(c);
            continue;
        }
        let start = name.len();
        let token = chars.next().unwrap_or('F');
        match token {
            'L' => surname(locale, rng.below(locale.last.len()), false, &mut name),
            'W' => name.push_str(rng.pick(&style.words)),
            'B' => name.push_str(rng.pick(&style.brands)),
            _ => name.push_str(rng.pick(&style.forms)),
        }
        if token != 'F' && parts < 2 {
            if parts == 1 {
                domain.push('-');
            }
            fold_ascii(&name[start..], &mut domain);
            parts += 1;
        }
    }
    let domain_len = domain.trim_end_matches('-').len();
    domain.truncate(domain_len);
    let country = rng.weighted(&tables.country_weights[locale_index]);
    domain.push('.');
    domain.push_str(v.countries[locale.countries[country].0].tld);
    Company {
        name,
        domain,
        locale: locale_index as u8,
        country: country as u8,
        project: rng.weighted(&setup.project_weights) as u16,
    }
}

#[derive(Default)]
struct Counts {
    notes: usize,
    deals: usize,
}

struct Statements<'c> {
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

impl<'c> Statements<'c> {
    fn prepare(conn: &'c Connection, search_texts: bool) -> Result<Statements<'c>> {
        Ok(Statements {
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

/// Buffers reused from one contact to the next.
#[derive(Default)]
struct Fields {
    first: String,
    last: String,
    middle: String,
    company: String,
    phone: String,
    email: String,
    website: String,
    skype: String,
    birthday: String,
    job_title: String,
    background: String,
    /// ASCII forms of the first and last name, for e-mails and the like.
    first_ascii: String,
    last_ascii: String,
    scratch: String,
    text: String,
}

/// Cumulative weights of the locales and, per locale, of its countries.
struct Tables {
    locale_weights: Vec<u32>,
    country_weights: Vec<Vec<u32>>,
}

struct Generator {
    total: usize,
    companies: Vec<Company>,
    companies_left: usize,
    tables: Tables,
    company_pick: Vec<u32>,
    f: Fields,
    address: Address,
}

impl Generator {
    fn new(setup: &Setup, contacts: usize, rng: &mut Rng) -> Generator {
        let tables = Tables {
            locale_weights: cumulative(vocab().locales.iter().map(|l| l.weight)),
            country_weights: vocab().locales.iter().map(|l| cumulative(l.countries.iter().map(|c| c.1))).collect(),
        };
        // Company names are drawn first so that people can work for any of them, including
        // companies whose own contact row comes later.
        let n_companies = contacts * 15 / 100;
        let companies: Vec<Company> = (0..n_companies).map(|_| company(rng, setup, &tables)).collect();
        Generator {
            total: contacts,
            companies,
            companies_left: n_companies,
            tables,
            // A few companies employ many of the people, most employ a handful.
            company_pick: zipf(n_companies.clamp(1, 1000), 0.7),
            f: Fields::default(),
            address: Address::default(),
        }
    }

    fn contact(
        &mut self,
        rng: &mut Rng,
        i: usize,
        setup: &Setup,
        st: &mut Statements,
        fts: &mut FtsBuilder,
        counts: &mut Counts,
    ) -> Result<()> {
        let id = i as i64 + 1;
        // Selection sampling: exactly `companies.len()` of the rows are companies.
        let is_company = self.companies_left > 0 && rng.below(self.total - i) < self.companies_left;
        // Ids follow creation order, as in a real database.
        let created = ANCHOR_MS - SPAN_MS
            + (SPAN_MS as i128 * i as i128 / self.total as i128) as i64
            + rng.below(3_600_000) as i64;
        let updated = if rng.percent(50) { created } else { rng.between(created, ANCHOR_MS) };
        let v = vocab();
        let f = &mut self.f;
        for s in [
            &mut f.first,
            &mut f.last,
            &mut f.middle,
            &mut f.company,
            &mut f.phone,
            &mut f.email,
            &mut f.website,
            &mut f.skype,
            &mut f.birthday,
            &mut f.job_title,
            &mut f.background,
            &mut f.first_ascii,
            &mut f.last_ascii,
        ] {
            s.clear();
        }

        // Who: a company (one of the pre-drawn names, in order) or a person.
        let (locale_index, country_index, company_index, project_index);
        if is_company {
            let k = self.companies.len() - self.companies_left;
            self.companies_left -= 1;
            let c = &self.companies[k];
            f.first.push_str(&c.name);
            locale_index = c.locale as usize;
            country_index = c.country as usize;
            company_index = Some(k);
            project_index = c.project as usize;
        } else {
            let employer = if self.companies.is_empty() || rng.percent(30) {
                None
            } else {
                Some(employer(&self.companies, &self.company_pick, rng))
            };
            match employer {
                Some(k) if rng.percent(75) => {
                    let c = &self.companies[k];
                    locale_index = c.locale as usize;
                    country_index = c.country as usize;
                }
                _ => {
                    locale_index = rng.weighted(&self.tables.locale_weights);
                    country_index = rng.weighted(&self.tables.country_weights[locale_index]);
                }
            }
            company_index = employer;
            project_index = match employer {
                Some(k) if rng.percent(75) => self.companies[k].project as usize,
                _ => rng.weighted(&setup.project_weights),
            };
            let locale = &v.locales[locale_index];
            let female = rng.percent(50);
            f.first.push_str(rng.pick(if female { &locale.first_f } else { &locale.first_m }));
            surname(locale, rng.below(locale.last.len()), female, &mut f.last);
            if !locale.middle.is_empty() && rng.percent(locale.middle_percent) {
                let (m, w) = rng.pick(&locale.middle);
                f.middle.push_str(if female { w } else { m });
            }
            fold_ascii(&f.first, &mut f.first_ascii);
            fold_ascii(&f.last, &mut f.last_ascii);
            match employer {
                Some(k) => f.company.push_str(&self.companies[k].name),
                None if rng.percent(40) => {
                    // Works somewhere that is not (yet) a contact.
                    let c = company(rng, setup, &self.tables);
                    f.company.push_str(&c.name);
                }
                None => {}
            }
            if rng.percent(88) {
                let title = if !locale.titles.is_empty() && rng.percent(50) {
                    rng.pick(&locale.titles)
                } else {
                    rng.pick(&v.titles)
                };
                f.job_title.push_str(title);
            }
            if rng.percent(30) {
                let _ = write!(
                    f.birthday,
                    "{}-{:02}-{:02}",
                    rng.between(1955, 2003),
                    rng.between(1, 12),
                    rng.between(1, 28)
                );
            }
        }
        let locale = &v.locales[locale_index];
        let country = &v.countries[locale.countries[country_index].0];
        let domain = company_index.map(|k| self.companies[k].domain.as_str());

        // E-mails: comma separated, no spaces.
        let n_emails = 1 + rng.weighted(&[60, 90, 100]);
        for e in 0..n_emails {
            if e > 0 {
                f.email.push(',');
            }
            if is_company {
                f.email.push_str(v.mailboxes[(e + rng.below(2)) % v.mailboxes.len()]);
                f.email.push('@');
                f.email.push_str(domain.unwrap_or("example.com"));
                continue;
            }
            let first = if f.first_ascii.is_empty() { "contact" } else { f.first_ascii.as_str() };
            let last = f.last_ascii.as_str();
            match (e, rng.below(4)) {
                (0, _) if domain.is_some() => {
                    let _ = write!(f.email, "{first}.{last}@{}", domain.unwrap_or_default());
                }
                (_, 0) => {
                    let _ = write!(f.email, "{first}{last}{}@{}", rng.between(1, 99), rng.pick(&locale.mail));
                }
                (_, 1) => {
                    let _ = write!(f.email, "{}{last}@{}", &first[..1], rng.pick(&locale.mail));
                }
                (_, 2) => {
                    let _ = write!(f.email, "{last}.{first}@{}", rng.pick(&locale.mail));
                }
                _ => {
                    let _ = write!(f.email, "{first}.{last}");
                    if e > 0 {
                        let _ = write!(f.email, "{e}");
                    }
                    let _ = write!(f.email, "@{}", rng.pick(&locale.mail));
                }
            }
        }

        // Phones: comma and space separated.
        let n_phones = 1 + rng.weighted(&[55, 88, 100]);
        for p in 0..n_phones {
            if p > 0 {
                f.phone.push_str(", ");
            }
            let template = rng.pick(&country.phones);
            fill(rng, template, &mut f.phone);
        }

        if is_company {
            if rng.percent(75) {
                let _ = write!(f.website, "https://www.{}", domain.unwrap_or("example.com"));
            }
            if rng.percent(15) {
                let _ = write!(
                    f.background,
                    "{} company, founded in {}.",
                    rng.pick(&v.industries),
                    rng.between(1950, 2020)
                );
            }
        } else {
            if rng.percent(8) {
                let _ = write!(f.website, "https://www.linkedin.com/in/{}-{}-", f.first_ascii, f.last_ascii);
                rng.hex(8, &mut f.website);
            }
            if rng.percent(15) {
                if rng.percent(50) {
                    f.skype.push_str("live:.cid.");
                    rng.hex(16, &mut f.skype);
                } else {
                    let _ = write!(f.skype, "{}.{}{}", f.first_ascii, f.last_ascii, rng.between(1, 999));
                }
            }
            if rng.percent(10) {
                let _ = write!(f.background, "Met at {} in {}.", rng.pick(&v.events), 2021 + rng.below(5));
            }
        }

        let visibility = match rng.below(100) {
            0..=84 => 0,
            85..=94 => 1,
            _ => 2,
        };
        let assigned = if rng.percent(40) { Some(setup.users[rng.below(setup.users.len())]) } else { None };
        let author = match setup.admin {
            Some(admin) if rng.percent(50) => admin,
            _ => setup.users[rng.below(setup.users.len())],
        };

        st.contact.execute(params![
            id,
            f.first,
            opt(&f.last),
            opt(&f.middle),
            opt(&f.company),
            opt(&f.phone),
            opt(&f.email),
            opt(&f.website),
            opt(&f.skype),
            opt(&f.birthday),
            opt(&f.job_title),
            opt(&f.background),
            is_company,
            author,
            assigned,
            visibility,
            created,
            updated
        ])?;
        let body = index_text(&[
            Some(&f.first),
            opt(&f.last),
            opt(&f.middle),
            opt(&f.company),
            opt(&f.email),
            opt(&f.phone),
            opt(&f.job_title),
        ]);
        if let Some(stmt) = &mut st.search_text {
            stmt.execute(params![id, body])?;
        }
        fts.add(id, body)?;

        // Projects: one, sometimes two.
        let first_project = setup.projects[project_index];
        st.project.execute(params![id, first_project])?;
        if setup.projects.len() > 1 && rng.percent(30) {
            let mut other = rng.weighted(&setup.project_weights);
            if other == project_index {
                other = (other + 1) % setup.projects.len();
            }
            st.project.execute(params![id, setup.projects[other]])?;
        }

        // Address for ~80%.
        if rng.percent(if is_company { 92 } else { 78 }) {
            let place = rng.pick(&country.places);
            let a = &mut self.address;
            let street = a.street1.get_or_insert_with(String::new);
            street.clear();
            for c in country.street_form.chars() {
                match c {
                    'N' => {
                        let _ = write!(street, "{}", 1 + rng.below(250));
                    }
                    'n' => {
                        let _ = write!(street, "{}", 1 + rng.below(30));
                    }
                    'S' => street.push_str(rng.pick(&country.streets)),
                    c => street.push(c),
                }
            }
            if rng.percent(12) {
                let s2 = a.street2.get_or_insert_with(String::new);
                s2.clear();
                let template = rng.pick(&country.street2);
                fill(rng, template, s2);
            } else {
                a.street2 = None;
            }
            set(&mut a.city, place.city);
            set(&mut a.region, place.region);
            let pc = a.postcode.get_or_insert_with(String::new);
            pc.clear();
            fill(rng, place.postcode, pc);
            if pc.is_empty() {
                a.postcode = None;
            }
            set(&mut a.country_code, country.code);
            let full = a.joined();
            st.address.execute(params![
                id,
                a.street1,
                a.street2,
                a.city,
                a.region,
                a.postcode,
                a.country_code,
                full,
                created,
                created
            ])?;
        }

        // Tags: 0–3, popular ones far more often.
        let n_tags = rng.weighted(&[35, 70, 90, 100]);
        let mut chosen = [usize::MAX; 3];
        for position in 0..n_tags {
            let mut t = rng.weighted(&setup.tag_weights);
            while chosen.contains(&t) {
                t = (t + 1) % v.tags.len();
            }
            chosen[position] = t;
            st.tagging.execute(params![id, setup.tag_ids[t], position as i64])?;
        }

        // Custom values.
        if rng.percent(15) {
            f.scratch.clear();
            let _ = write!(
                f.scratch,
                "{}-{}-{:05}",
                rng.pick(&v.license_editions),
                2019 + rng.below(7),
                rng.below(100_000)
            );
            st.custom.execute(params![id, setup.license_field, f.scratch])?;
        }
        if rng.percent(if is_company { 45 } else { 10 }) {
            let segment = v.segments[rng.weighted(&SEGMENT_WEIGHTS)];
            st.custom.execute(params![id, setup.segment_field, segment])?;
        }

        let user = |rng: &mut Rng| match setup.admin {
            Some(admin) if rng.percent(25) => admin,
            _ => setup.users[rng.below(setup.users.len())],
        };
        let display = f.first.as_str();

        // Notes on ~10%.
        if rng.percent(10) {
            for _ in 0..1 + rng.weighted(&[60, 90, 100]) {
                let kind = rng.below(NOTE_TYPES);
                f.text.clear();
                let product = rng.pick(&v.products).to_lowercase();
                let _ = match rng.below(6) {
                    0 => write!(f.text, "Called {display}: interested in the {product}. Follow up next week."),
                    1 => write!(f.text, "Sent the quote for the {product}."),
                    2 => write!(f.text, "Met at {}; wants a demo of the {product}.", rng.pick(&v.events)),
                    3 => write!(f.text, "Asked for a discount on the {product}."),
                    4 => write!(f.text, "Left a voicemail for {display}."),
                    _ => write!(f.text, "Contract for the {product} signed, handing over to support."),
                };
                let at = rng.between(created, ANCHOR_MS);
                st.note.execute(params![
                    if rng.percent(50) { Some(v.note_subjects[kind]) } else { None },
                    f.text,
                    id,
                    user(rng),
                    kind as i64,
                    at,
                    at
                ])?;
                counts.notes += 1;
            }
        }

        // Deals on ~5%.
        if rng.percent(5) {
            f.text.clear();
            let who = if f.company.is_empty() { f.first.as_str() } else { f.company.as_str() };
            let _ = write!(f.text, "{} for {who}", rng.pick(&v.products));
            // Mostly round sums; some with cents ("12000" is stored as "12000.0").
            let whole = rng.between(10, 10_000) * 50;
            f.scratch.clear();
            if rng.percent(20) {
                let _ = write!(f.scratch, "{whole}.{:02}", rng.below(100));
            } else {
                let _ = write!(f.scratch, "{whole}");
            }
            let price = normalize_decimal(&f.scratch);
            let status = rng.weighted(&[60, 85, 100]);
            let probability = match status {
                0 => 10 * rng.between(1, 9),
                1 => 100,
                _ => 0,
            };
            let at = rng.between(created, ANCHOR_MS);
            let changed = rng.between(at, ANCHOR_MS);
            let due = at + rng.between(30, 180) * DAY_MS;
            let author = user(rng);
            let deal_assignee = match assigned {
                Some(a) => Some(a),
                None if rng.percent(50) => Some(user(rng)),
                None => None,
            };
            let categories = &setup.categories[project_index];
            let category = if rng.percent(70) { Some(categories[rng.below(categories.len())]) } else { None };
            let deal_id = st.deal.insert(params![
                f.text,
                country.currency,
                price,
                first_project,
                author,
                deal_assignee,
                setup.statuses[status],
                id,
                category,
                due,
                probability,
                at,
                changed
            ])?;
            st.deal_contact.execute(params![deal_id, id])?;
            counts.deals += 1;
        }
        Ok(())
    }
}

/// The company a person works for: a Zipf-skewed choice among the first thousand (a few big
/// employers), or a uniform one among all.
fn employer(companies: &[Company], skewed: &[u32], rng: &mut Rng) -> usize {
    if rng.percent(40) {
        rng.weighted(skewed).min(companies.len() - 1)
    } else {
        rng.below(companies.len())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;
    use std::collections::HashMap;
    use std::hash::{Hash, Hasher};

    use super::*;

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A checksum of every row a query returns (all columns, in order).
    fn checksum(conn: &Connection, sql: &str) -> u64 {
        let mut stmt = conn.prepare(sql).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        let mut hasher = DefaultHasher::new();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                format!("{:?}", row.get_ref(i).unwrap()).hash(&mut hasher);
            }
        }
        hasher.finish()
    }

    const CONTACT_ROWS: &str = "SELECT * FROM contacts ORDER BY id";
    const RELATED_ROWS: &str = "SELECT a.*, (SELECT group_concat(tag_id || ':' || position) FROM taggings t
                                    WHERE t.contact_id = a.contact_id) FROM addresses a ORDER BY contact_id";

    #[test]
    fn five_hundred_contacts_with_projects_and_search() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        let summary = generate(&path, 500, 7).unwrap();
        assert_eq!(summary.contacts, 500);
        assert!(summary.projects >= 3 && summary.users >= 3);
        let conn = Connection::open(&path).unwrap();
        assert_eq!(count(&conn, "SELECT count(*) FROM contacts"), 500);
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM contacts c
                  WHERE NOT EXISTS (SELECT 1 FROM contacts_projects p WHERE p.contact_id = c.id)"
            ),
            0
        );
        assert_eq!(count(&conn, "SELECT count(*) FROM contacts_search"), 500);
        // Every contact has its card, as its rows make it, and the card triggers are back.
        assert_eq!(
            count(&conn, "SELECT count(*) FROM (SELECT * FROM contact_card_source EXCEPT SELECT * FROM contact_cards)"),
            0
        );
        assert_eq!(count(&conn, "SELECT count(*) FROM contact_cards"), 500);
        assert_eq!(
            count(&conn, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'card_%'"),
            15
        );
        // The index built on the side is a sound FTS5 index, over the text `reindex` writes.
        conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", []).unwrap();
        let texts = if count(&conn, "SELECT count(*) FROM sqlite_master WHERE name = 'search_texts'") == 1 {
            assert_eq!(count(&conn, "SELECT count(*) FROM search_texts"), 500);
            "SELECT contact_id, body FROM search_texts"
        } else {
            "SELECT rowid, body FROM contacts_search"
        };
        let bodies: HashMap<i64, String> = conn
            .prepare(texts)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut stmt = conn
            .prepare("SELECT id, first_name, last_name, middle_name, company, email, phone, job_title FROM contacts")
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut search =
            conn.prepare("SELECT rowid FROM contacts_search WHERE contacts_search MATCH ? AND rowid = ?").unwrap();
        let mut checked = 0;
        while let Some(r) = rows.next().unwrap() {
            let id: i64 = r.get(0).unwrap();
            let fields: Vec<Option<String>> = (1..8).map(|i| r.get(i).unwrap()).collect();
            let expected = index_text(&fields.iter().map(|f| f.as_deref()).collect::<Vec<_>>());
            assert_eq!(bodies.get(&id), Some(&expected));
            // Every contact is found by (a piece of) each of its e-mail addresses and its name.
            let email = fields[4].clone().unwrap().to_lowercase();
            let name = fields[0].clone().unwrap().to_lowercase();
            let name_piece: String = name.chars().take(4).collect();
            for word in email.split([',', '@']).chain([name_piece.as_str()]).filter(|w| w.chars().count() >= 3) {
                let phrase = format!("\"{}\"", word.replace('"', "\"\""));
                assert!(search.exists(params![phrase, id]).unwrap(), "contact {id}: {word} not found");
            }
            checked += 1;
        }
        assert_eq!(checked, 500);
        // The load-time settings did not leak into the index's config.
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM contacts_search_config WHERE k IN ('hashsize', 'automerge', 'crisismerge')"
            ),
            0
        );
        // The indexes and triggers set aside during the load are back: the schema is as new.
        let fresh = Connection::open_in_memory().unwrap();
        crate::store::migrate(&fresh).unwrap();
        let schema = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name";
        assert_eq!(checksum(&conn, schema), checksum(&fresh, schema));
        // The shape of the data.
        let companies = count(&conn, "SELECT count(*) FROM contacts WHERE is_company = 1");
        assert_eq!(companies, 75);
        assert!(
            count(
                &conn,
                "SELECT count(*) FROM contacts p WHERE is_company = 0
                   AND company IN (SELECT first_name FROM contacts WHERE is_company = 1)"
            ) > 200
        );
        assert_eq!(count(&conn, "SELECT count(*) FROM contacts WHERE email IS NULL OR email LIKE '% %'"), 0);
        assert_eq!(count(&conn, "SELECT count(*) FROM contacts WHERE phone IS NULL"), 0);
        let addresses = count(&conn, "SELECT count(*) FROM addresses WHERE full_address <> ''");
        assert!((340..=460).contains(&addresses), "{addresses} addresses");
        assert!(count(&conn, "SELECT count(*) FROM contacts WHERE first_name GLOB '*[А-я]*'") > 0);
        assert!(count(&conn, "SELECT count(DISTINCT tag_id) FROM taggings") >= 10);
        assert!(count(&conn, "SELECT max(n) FROM (SELECT count(*) n FROM taggings GROUP BY contact_id)") <= 3);
        assert!(count(&conn, "SELECT count(*) FROM custom_values WHERE customized_type = 'contact'") > 0);
        assert_eq!(summary.notes as i64, count(&conn, "SELECT count(*) FROM notes WHERE source_type = 'Contact'"));
        assert_eq!(summary.deals as i64, count(&conn, "SELECT count(*) FROM deals"));
        let prices: Vec<String> = conn
            .prepare("SELECT price FROM deals")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(!prices.is_empty());
        for p in prices {
            assert_eq!(normalize_decimal(&p).as_deref(), Some(p.as_str()));
        }
        assert_eq!(count(&conn, "SELECT count(*) FROM roles WHERE name = 'CRM manager'"), 1);
        assert!(count(&conn, "SELECT count(*) FROM member_roles") >= 3);
        assert_eq!(count(&conn, "SELECT count(*) FROM deal_statuses"), 3);
    }

    #[test]
    fn the_same_seed_gives_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let sums = |name: &str, seed: u64| {
            let path = dir.path().join(name);
            generate(&path, 500, seed).unwrap();
            let conn = Connection::open(&path).unwrap();
            (checksum(&conn, CONTACT_ROWS), checksum(&conn, RELATED_ROWS))
        };
        let first = sums("a.db", 42);
        assert_eq!(first, sums("b.db", 42));
        let other = sums("c.db", 43);
        assert_ne!(first.0, other.0);
        assert_ne!(first.1, other.1);
    }

    #[test]
    fn refuses_a_database_with_contacts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        generate(&path, 20, 1).unwrap();
        match generate(&path, 20, 1) {
            Err(Error::Validation(messages)) => {
                assert_eq!(messages, vec!["the database already holds contacts"])
            }
            other => panic!("expected a refusal, got {:?}", other.map(|s| s.contacts)),
        }
        let conn = Connection::open(&path).unwrap();
        assert_eq!(count(&conn, "SELECT count(*) FROM contacts"), 20);
    }

    #[test]
    fn fills_a_database_the_service_has_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        let store = crate::store::Store::open(&path, 2).unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute(
                "INSERT INTO users (login, firstname, lastname, admin, created_on, updated_on)
                 VALUES ('admin', 'Redmine', 'Admin', 1, 0, 0)",
                [],
            )
            .unwrap();
        }
        // A search before the load, so that the reader has the (empty) index cached.
        let gmail = "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH '\"gmail.com\"'";
        assert_eq!(store.read(|c| Ok(count(c, gmail))).unwrap(), 0);

        let summary = generate(&path, 200, 42).unwrap();
        assert_eq!(summary.contacts, 200);
        store
            .read(|c| {
                assert_eq!(count(c, "SELECT count(*) FROM contacts"), 200);
                let by_admin = count(c, "SELECT count(*) FROM contacts WHERE author_id = 1");
                assert!(by_admin > 50, "{by_admin} contacts by the admin");
                assert_eq!(count(c, "SELECT count(*) FROM contacts_search"), 200);
                assert!(count(c, gmail) > 0);
                let email: String = c.query_row("SELECT email FROM contacts WHERE id = 50", [], |r| r.get(0))?;
                let word = email.split(['@', ',']).next().unwrap_or_default().to_lowercase();
                let found: i64 = c.query_row(
                    "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH ? AND rowid = 50",
                    [format!("\"{word}\"")],
                    |r| r.get(0),
                )?;
                assert_eq!(found, 1, "{word}");
                Ok(())
            })
            .unwrap();

        // The service's own writes keep the loaded index in step.
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime
            .block_on(store.write(|c| {
                let rename = crate::store::contacts::ContactChanges {
                    first_name: Some("Qwertyuiop".into()),
                    ..Default::default()
                };
                crate::store::contacts::update(c, 7, &rename)?;
                crate::store::contacts::delete(c, 8)
            }))
            .unwrap();
        store
            .read(|c| {
                let find = |word: &str| -> Vec<i64> {
                    c.prepare("SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?")
                        .unwrap()
                        .query_map([format!("\"{word}\"")], |r| r.get(0))
                        .unwrap()
                        .collect::<rusqlite::Result<_>>()
                        .unwrap()
                };
                assert_eq!(find("qwertyuiop"), vec![7]);
                assert_eq!(count(c, "SELECT count(*) FROM contacts_search"), 199);
                Ok(())
            })
            .unwrap();
        Connection::open(&path)
            .unwrap()
            .execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", [])
            .unwrap();
    }
}
