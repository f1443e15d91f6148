//! Exports, imports, duplicates and merges (issue 15), as typed methods on [`Store`]:
//!
//! - `contact_list_ids`: every id of a filtered list in its order (an export loads its pages
//!   from them with `contacts`, so a million contacts are never held at once);
//! - `user_logins`, `user_ids_by_login`: how files name assignees;
//! - `import_contacts`: contacts from a channel, all in one write job (one transaction: an
//!   aborted import leaves nothing), created or, with `update_existing`, updated when their
//!   primary e-mail is known; the writer keeps the search index, cards and list index in step;
//! - `duplicate_candidates`, `duplicate_groups`: the plugin's duplicate rule in SQL;
//! - `merge_contacts`: one contact into another, in one transaction (`store::cascade`
//!   deletes the merged one).

use std::collections::HashMap;
use std::sync::mpsc::Receiver;

use rusqlite::{params, Connection, OptionalExtension};

use super::contacts::{create, touch, update};
use super::{id_list, schema, Store};
use crate::domain::changes::ContactChanges;
use crate::domain::query::ContactQuery;
use crate::error::{Error, Result};

/// What an import's reader hands the store, in order.
pub enum ImportItem {
    /// Valid contacts in the file's order, a batch at a time: handed over one by one, each
    /// record cost the writer a wake-up of the waiting reader (7 % of an import's time).
    Contacts(Vec<ContactChanges>),
    /// Every record was read: commit.
    Done,
    /// Nothing may be written (a record was refused, or the file is broken): roll back.
    Abort(String),
}

/// The contacts of an import's channel one at a time: `Some` a contact, `None` the end (commit),
/// an error when the import must roll back (refused records, a broken file, a reader gone).
pub(in crate::store) struct Incoming {
    items: Receiver<ImportItem>,
    batch: std::vec::IntoIter<ContactChanges>,
}

impl Incoming {
    pub(in crate::store) fn new(items: Receiver<ImportItem>) -> Incoming {
        Incoming { items, batch: Vec::new().into_iter() }
    }

    pub(in crate::store) fn next(&mut self) -> Result<Option<ContactChanges>> {
        loop {
            if let Some(changes) = self.batch.next() {
                return Ok(Some(changes));
            }
            match self.items.recv().unwrap_or(ImportItem::Abort("the import's reader stopped".into())) {
                ImportItem::Contacts(batch) => self.batch = batch.into_iter(),
                ImportItem::Done => return Ok(None),
                ImportItem::Abort(why) => return Err(Error::Validation(vec![why])),
            }
        }
    }
}

/// What an import wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
}

/// The writer's page cache during an import (KiB), given back afterwards.
const IMPORT_CACHE_KIB: i64 = 32 * 1024;

/// The primary e-mail of a stored comma list, as compared: trimmed, lower case.
fn primary_email(list: &str) -> Option<String> {
    list.split(',').map(str::trim).find(|e| !e.is_empty()).map(str::to_lowercase)
}

/// The search index's query that every duplicate of a contact matches (`first`, `last`, its
/// names trimmed and in lower case, `email` its primary e-mail), or None when one branch of
/// the rule has no word of three letters to look up. Search texts hold each field in lower
/// case, so a contact with the same names holds them, and one with the same primary e-mail
/// holds it (looked up by its part up to the `@` when that is long enough to be rare): a
/// superset of the duplicates, which the rule then checks.
fn duplicate_match(first: &str, last: &str, email: &str) -> Option<String> {
    let usable = |w: &str| w.chars().count() >= 3 && !w.contains(['\n', '\r']);
    let quoted = |w: &str| format!("\"{}\"", w.replace('"', "\"\""));
    let names: Vec<String> = [first, last].into_iter().filter(|w| usable(w)).map(quoted).collect();
    if names.is_empty() {
        return None;
    }
    let mut query = format!("({})", names.join(" AND "));
    if !email.is_empty() {
        // The part before the @ is cheaper to look up than the whole address, unless it is a
        // short one that many share (info@, sales@): then the whole address.
        let local = email.find('@').map(|at| &email[..=at]).filter(|l| l.chars().count() >= 8).unwrap_or(email);
        if !usable(local) {
            return None;
        }
        query.push_str(&format!(" OR {}", quoted(local)));
    }
    Some(query)
}

/// Runs an import inside the writer's job (see `Store::import_contacts`).
fn import(conn: &Connection, items: Receiver<ImportItem>, update_existing: bool) -> Result<ImportCounts> {
    // A large transaction spills its dirty pages to the log whenever the page cache is full:
    // with the writer's small everyday cache that was a third of an import's time.
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    conn.execute_batch(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}"))?;
    // The triggers that mark a contact's card stale when its address, tags, projects or
    // custom values change are set aside: the import writes each contact's own row too, whose
    // trigger marks the card, and these made every such insert a multi-table write, which
    // SQLite journals page by page in case a foreign key fails.
    let marks = schema::drop_objects(
        conn,
        "SELECT name, sql FROM sqlite_master
          WHERE type = 'trigger' AND name LIKE 'card\\_%' ESCAPE '\\' AND tbl_name <> 'contacts'",
        "TRIGGER",
    )?;
    // On failure the writer rolls the transaction back, the drop with it: restoring here could
    // only hide the failure behind a second one (after a disk-full rollback, say).
    let outcome = write_all(conn, items, update_existing)
        .and_then(|counts| schema::restore_objects(conn, &marks).map(|()| counts));
    if update_existing {
        conn.execute_batch("DROP TABLE IF EXISTS temp.import_emails")?;
    }
    conn.execute_batch(&format!("PRAGMA cache_size = {cache}"))?;
    outcome
}

/// The body of [`import`]: what `items` brings, created or updated.
fn write_all(conn: &Connection, items: Receiver<ImportItem>, update_existing: bool) -> Result<ImportCounts> {
    let mut counts = ImportCounts::default();
    if update_existing {
        // Primary e-mail → contact, for the whole import (the first contact of an address
        // wins, and contacts created here are found by the rows after them).
        conn.execute_batch(
            "DROP TABLE IF EXISTS temp.import_emails;
             CREATE TEMP TABLE import_emails (email TEXT PRIMARY KEY, contact_id INTEGER NOT NULL) WITHOUT ROWID;",
        )?;
        let mut put = conn.prepare("INSERT OR IGNORE INTO temp.import_emails (email, contact_id) VALUES (?, ?)")?;
        let mut read =
            conn.prepare("SELECT id, email FROM contacts WHERE email IS NOT NULL AND email <> '' ORDER BY id")?;
        let mut rows = read.query([])?;
        while let Some(row) = rows.next()? {
            if let Some(e) = primary_email(&row.get::<_, String>(1)?) {
                put.execute(params![e, row.get::<_, i64>(0)?])?;
            }
        }
    }
    {
        let mut incoming = Incoming::new(items);
        loop {
            let Some(mut changes) = incoming.next()? else { return Ok(counts) };
            let email = changes.email.clone().flatten().as_deref().and_then(primary_email);
            let known = match (&email, update_existing) {
                (Some(e), true) => conn
                    .prepare_cached("SELECT contact_id FROM temp.import_emails WHERE email = ?")?
                    .query_row([e], |r| r.get::<_, i64>(0))
                    .optional()?,
                _ => None,
            };
            match known {
                Some(id) => {
                    // The contact keeps its projects and gains the import's.
                    let projects = changes.project_ids.take().unwrap_or_default();
                    changes.author_id = None;
                    // `update` reads the contact's card: those of the contacts created so far
                    // in this import are built first.
                    super::cards::refresh_stale(conn)?;
                    update(conn, id, &changes)?;
                    for p in projects {
                        conn.prepare_cached(
                            "INSERT OR IGNORE INTO contacts_projects (contact_id, project_id) VALUES (?, ?)",
                        )?
                        .execute(params![id, p])?;
                    }
                    counts.updated += 1;
                }
                None => {
                    let id = create(conn, &changes)?;
                    if let (Some(e), true) = (email, update_existing) {
                        conn.prepare_cached(
                            "INSERT OR IGNORE INTO temp.import_emails (email, contact_id) VALUES (?, ?)",
                        )?
                        .execute(params![e, id])?;
                    }
                    counts.created += 1;
                }
            }
        }
    }
}

/// Moves everything of contact `merged` to `kept` and deletes `merged` (API.md §9 "Merge").
fn merge(conn: &Connection, kept: i64, merged: i64) -> Result<()> {
    if kept == merged {
        return Err(Error::invalid("Duplicate is the contact itself"));
    }
    let lists = |id: i64| -> Result<(Option<String>, Option<String>)> {
        Ok(conn
            .prepare_cached("SELECT phone, email FROM contacts WHERE id = ?")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or(Error::NotFound)?)
    };
    let (kept_phone, kept_email) = lists(kept)?;
    let (merged_phone, merged_email) = lists(merged)?;
    let union = |a: Option<String>, b: Option<String>| -> Option<String> {
        let mut items: Vec<String> = Vec::new();
        for item in a.iter().chain(b.iter()).flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            if !items.iter().any(|i| i.eq_ignore_ascii_case(item)) {
                items.push(item.to_string());
            }
        }
        (!items.is_empty()).then(|| items.join(", "))
    };
    let phone = union(kept_phone, merged_phone);
    let email = union(kept_email, merged_email).map(|e| e.replace(' ', ""));
    let changes = ContactChanges { phone: Some(phone), email: Some(email), ..Default::default() };
    update(conn, kept, &changes)?;
    conn.execute_batch(&format!(
        "UPDATE notes SET source_id = {kept} WHERE source_type = 'Contact' AND source_id = {merged};
         UPDATE deals SET contact_id = {kept} WHERE contact_id = {merged};
         INSERT OR IGNORE INTO contacts_deals (deal_id, contact_id)
              SELECT deal_id, {kept} FROM contacts_deals WHERE contact_id = {merged};
         INSERT OR IGNORE INTO contacts_projects (contact_id, project_id)
              SELECT {kept}, project_id FROM contacts_projects WHERE contact_id = {merged};
         INSERT OR IGNORE INTO taggings (contact_id, tag_id, position)
              SELECT {kept}, tag_id, (SELECT coalesce(max(position), -1) + 1 FROM taggings WHERE contact_id = {kept}) + position
                FROM taggings WHERE contact_id = {merged}
                 AND tag_id NOT IN (SELECT tag_id FROM taggings WHERE contact_id = {kept});"
    ))?;
    super::cascade::delete_contact(conn, merged)?;
    touch(conn, kept)
}

impl Store {
    /// Every id of a contact list, in the list's order.
    pub fn contact_list_ids(&self, q: &ContactQuery) -> Result<Vec<i64>> {
        let caches = self.list_caches();
        self.read(|c| super::long_read(|| super::contacts::all_ids(c, &caches, q)))
    }

    /// Every user's login by id.
    pub fn user_logins(&self) -> Result<HashMap<i64, String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT id, login FROM users")?;
            let logins = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            Ok(logins)
        })
    }

    /// Every user's id by lower-case login.
    pub fn user_ids_by_login(&self) -> Result<HashMap<String, i64>> {
        Ok(self.user_logins()?.into_iter().map(|(id, login)| (login.to_lowercase(), id)).collect())
    }

    /// Writes the contacts `items` brings, in one transaction: `Done` commits, `Abort` (or a
    /// reader gone without a word) rolls everything back. Other writes wait meanwhile.
    pub async fn import_contacts(&self, items: Receiver<ImportItem>, update_existing: bool) -> Result<ImportCounts> {
        self.write_alone(move |c| import(c, items, update_existing)).await
    }

    /// Contacts that may be duplicates of `id` by the plugin's rule (same names without case,
    /// or the same primary e-mail), at most `limit`, ids only (the caller filters visibility).
    /// The search index narrows the rows compared (see [`duplicate_match`]); without a word of
    /// three letters to look up, every row is compared.
    pub fn duplicate_candidates(&self, id: i64, limit: i64) -> Result<Vec<i64>> {
        self.read(|c| {
            let (first, last, middle, email): (String, Option<String>, Option<String>, Option<String>) = c
                .prepare_cached("SELECT first_name, last_name, middle_name, email FROM contacts WHERE id = ?")?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            let low = |s: Option<String>| s.unwrap_or_default().trim().to_lowercase();
            let email = email.as_deref().and_then(primary_email).unwrap_or_default();
            let (first, last) = (first.trim().to_lowercase(), low(last));
            let same = "id <> ?1 AND (
                    (lower(trim(first_name)) = ?2 AND lower(trim(coalesce(last_name, ''))) = ?3
                     AND (?4 = '' OR coalesce(middle_name, '') = '' OR lower(trim(middle_name)) = ?4))
                    OR (?5 <> '' AND (lower(email) = ?5 OR lower(email) LIKE ?5 || ',%')))";
            let sql = match duplicate_match(&first, &last, &email) {
                Some(_) => format!(
                    "SELECT id FROM contacts WHERE id IN (SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?7)
                        AND {same} ORDER BY id LIMIT ?6"
                ),
                None => format!("SELECT id FROM contacts WHERE {same} AND ?7 = '' ORDER BY id LIMIT ?6"),
            };
            let fts = duplicate_match(&first, &last, &email).unwrap_or_default();
            let ids = c
                .prepare_cached(&sql)?
                .query_map(params![id, first, last, low(middle), email, limit, fts], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids)
        })
    }

    /// Groups of likely duplicates across the database (or the contacts of `projects`): the
    /// same names without case, or the same primary e-mail; each group's ids ascending.
    pub fn duplicate_groups(&self, projects: Option<&[i64]>) -> Result<Vec<Vec<i64>>> {
        let scope = match projects {
            Some(ids) => format!(
                "WHERE id IN (SELECT contact_id FROM contacts_projects WHERE project_id IN (SELECT value FROM json_each('{}')))",
                id_list(ids)
            ),
            None => String::new(),
        };
        self.read(|c| {
            let mut groups: Vec<Vec<i64>> = Vec::new();
            for key in [
                "lower(trim(first_name)) || char(1) || lower(trim(coalesce(last_name, ''))) || char(1) || lower(trim(coalesce(middle_name, '')))",
                "lower(trim(CASE WHEN instr(email, ',') > 0 THEN substr(email, 1, instr(email, ',') - 1) ELSE email END))",
            ] {
                let sql = format!(
                    "SELECT json_group_array(id) FROM (SELECT id, {key} AS k FROM contacts {scope} ORDER BY id)
                      WHERE k IS NOT NULL AND k <> '' GROUP BY k HAVING count(*) > 1 ORDER BY min(id)"
                );
                let mut stmt = c.prepare(&sql)?;
                let found = stmt.query_map([], |r| r.get::<_, String>(0))?;
                for ids in found {
                    let ids: Vec<i64> = serde_json::from_str(&ids?).unwrap_or_default();
                    if !groups.contains(&ids) {
                        groups.push(ids);
                    }
                }
            }
            Ok(long_sorted(groups))
        })
    }

    /// Merges contact `merged` into `kept` (notes, deals, related deals, projects, e-mails,
    /// phones and tags move over) and deletes `merged`, in one transaction.
    pub async fn merge_contacts(&self, kept: i64, merged: i64) -> Result<()> {
        self.write(move |c| merge(c, kept, merged)).await
    }
}

fn long_sorted(mut groups: Vec<Vec<i64>>) -> Vec<Vec<i64>> {
    groups.sort_by_key(|g| g.first().copied().unwrap_or(0));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::open_small;

    fn person(name: &str, email: &str) -> ContactChanges {
        ContactChanges {
            first_name: Some(name.into()),
            email: Some(Some(email.into())),
            project_ids: Some(vec![1]),
            ..Default::default()
        }
    }

    /// An import runs alone: an aborted one leaves nothing, a write queued meanwhile commits
    /// after it, and an update by e-mail finds the contacts created before it in the same file.
    #[test]
    fn imports_commit_or_roll_back_whole_and_other_writes_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_small(&dir.path().join("t.db"));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            store
                .write(|c| {
                    c.execute_batch("INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (1, 'A', 'a', 0, 0)")?;
                    Ok(())
                })
                .await
                .unwrap();
            let (send, receive) = std::sync::mpsc::sync_channel(4);
            let import = store.import_contacts(receive, false);
            let feeder = std::thread::spawn(move || {
                send.send(ImportItem::Contacts(vec![person("Ann", "ann@x.example")])).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(50));
                send.send(ImportItem::Abort("refused".into())).unwrap();
            });
            let other = store.create_contact(person("Bo", "bo@x.example"));
            let (imported, other) = tokio::join!(import, other);
            feeder.join().unwrap();
            assert!(matches!(imported, Err(Error::Validation(_))));
            let bo = other.unwrap();
            let (send, receive) = std::sync::mpsc::sync_channel(4);
            for item in [
                ImportItem::Contacts(vec![person("Bo", "BO@x.example"), person("Cy", "cy@x.example")]),
                ImportItem::Contacts(vec![person("Cy", "cy@x.example")]),
                ImportItem::Done,
            ] {
                send.send(item).unwrap();
            }
            let counts = store.import_contacts(receive, true).await.unwrap();
            assert_eq!(counts, ImportCounts { created: 1, updated: 2 });
            let names: Vec<String> = store.contacts(&[1, 2, 3, 4]).unwrap().into_iter().map(|c| c.first_name).collect();
            assert_eq!(names, ["Bo", "Cy"], "contact 1 was rolled back with its import; {bo} was updated");
            // The imported texts are in the search index.
            store
                .read(|c| {
                    let holding: i64 = c.query_row(
                        "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH '\"cy@x\"'",
                        [],
                        |r| r.get(0),
                    )?;
                    assert_eq!(holding, 1);
                    // The card triggers set aside during the imports are back, those of the
                    // failed one too.
                    let triggers: i64 = c.query_row(
                        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'card%'",
                        [],
                        |r| r.get(0),
                    )?;
                    assert_eq!(triggers, 15);
                    Ok(())
                })
                .unwrap();
        });
    }

    #[test]
    fn duplicates_are_looked_up_by_names_and_the_e_mail() {
        assert_eq!(
            duplicate_match("ada", "lovelace", "ada@x.example").as_deref(),
            Some(r#"("ada" AND "lovelace") OR "ada@x.example""#)
        );
        assert_eq!(
            duplicate_match("ada", "", "ada.lovelace@x.example").as_deref(),
            Some(r#"("ada") OR "ada.lovelace@""#)
        );
        assert_eq!(duplicate_match("li", "wu", "").as_deref(), None, "no word to look up: every row is compared");
        assert_eq!(duplicate_match("li", "o\"neil", "a@b").as_deref(), Some(r#"("o""neil") OR "a@b""#));
        assert_eq!(duplicate_match("ann", "", "a@").as_deref(), None);
    }

    /// The index narrows the rows compared and finds what comparing every row finds.
    #[test]
    fn duplicate_candidates_through_the_index_are_those_of_the_whole_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_small(&dir.path().join("t.db"));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let named = |first: &str, last: &str, middle: &str, email: &str| ContactChanges {
            first_name: Some(first.into()),
            last_name: Some(Some(last.into())),
            middle_name: Some(Some(middle.into())),
            email: Some(Some(email.into())),
            ..Default::default()
        };
        let people = [
            named("Ada", "Lovelace", "", "ada@x.example, second@y.example"),
            named("ADA", "lovelace", "", ""),
            named(" ada ", "LoveLace", "Augusta", "other@x.example"),
            named("Ada", "Lovelace", "Byron", ""),
            named("Augusta", "King", "", "ADA@x.example"),
            named("Adam", "Lovelace", "", "xada@x.example"),
            named("Li", "Wu", "", ""),
            named("li", "WU", "", ""),
        ];
        let ids: Vec<i64> = runtime.block_on(async {
            let mut ids = Vec::new();
            for p in people {
                ids.push(store.create_contact(p).await.unwrap());
            }
            ids
        });
        let scanned = |id: i64| -> Vec<i64> {
            store
                .read(|c| {
                    let rows = c
                        .prepare("SELECT id FROM contacts WHERE id <> ?1 ORDER BY id")?
                        .query_map([id], |r| r.get(0))?
                        .collect::<rusqlite::Result<Vec<i64>>>()?;
                    Ok(rows)
                })
                .unwrap()
                .into_iter()
                .filter(|other| {
                    let all = store.contacts(&[id, *other]).unwrap();
                    crate::domain::exchange::is_duplicate(&all[0], &all[1])
                })
                .collect()
        };
        for id in &ids {
            let found: Vec<i64> = store
                .duplicate_candidates(*id, 500)
                .unwrap()
                .into_iter()
                .filter(|other| {
                    let all = store.contacts(&[*id, *other]).unwrap();
                    crate::domain::exchange::is_duplicate(&all[0], &all[1])
                })
                .collect();
            assert_eq!(found, scanned(*id), "duplicates of {id}");
        }
        assert_eq!(store.duplicate_candidates(ids[0], 500).unwrap(), [ids[1], ids[2], ids[3], ids[4]]);
        assert_eq!(store.duplicate_candidates(ids[6], 500).unwrap(), [ids[7]]);
    }
}
