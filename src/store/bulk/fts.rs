//! The full-text index of a bulk load, built on a second thread.
//!
//! Indexing (trigram tokenizing) costs more than all the other inserts together, and one SQLite
//! file has one writer at a time. So a second thread runs the very same
//! `INSERT INTO contacts_search (rowid, body)` statements into an identical FTS5 table in a
//! private temporary database while the main thread writes everything else; at the end the
//! main transaction replaces the (empty) index's shadow tables with the built ones, row by
//! row. FTS5 keeps all of an index's state in those shadow tables, so the copy is exactly the
//! index the inserts would have built in place.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rusqlite::types::ToSqlOutput;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};

/// Rows handed to the search index builder at a time, and how many such batches may wait
/// (up to about a million rows, ~170 MB: the main thread must rarely wait for the builder;
/// an import, whose memory is bounded, lets fewer wait).
const FTS_BATCH: usize = 2048;
pub(super) const FTS_QUEUE: usize = 512;

type Batch = Vec<(i64, String)>;

pub(super) struct FtsBuilder {
    batch: Batch,
    sender: Option<std::sync::mpsc::SyncSender<Batch>>,
    worker: Option<std::thread::JoinHandle<Result<Connection>>>,
    /// Set when the load fails: the worker drops what is queued instead of indexing it.
    cancelled: Arc<AtomicBool>,
}

impl FtsBuilder {
    pub(super) fn start(create_sql: String, cache_kib: i64, queue: usize) -> Result<FtsBuilder> {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Batch>(queue);
        let cancelled = Arc::new(AtomicBool::new(false));
        let stop = cancelled.clone();
        let worker = std::thread::Builder::new()
            .name("bulk-search-index".into())
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
                lift_the_segment(&scratch)?;
                scratch.execute_batch("COMMIT")?;
                Ok(scratch)
            })
            .map_err(|e| Error::Internal(format!("cannot start the search index thread: {e}")))?;
        Ok(FtsBuilder { batch: Vec::with_capacity(FTS_BATCH), sender: Some(sender), worker: Some(worker), cancelled })
    }

    pub(super) fn add(&mut self, id: i64, body: String) -> Result<()> {
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

    /// Hands over the last texts and lets the worker merge the index on its own.
    pub(super) fn input_done(mut self) -> Result<FtsBuilder> {
        if !self.batch.is_empty() {
            self.flush()?;
        }
        self.sender = None;
        Ok(self)
    }

    /// Waits for the index and copies its shadow tables into `conn`'s, replacing their rows.
    /// The config table stays as it is: it holds settings (and the format version, the same
    /// on both sides), not index data.
    pub(super) fn finish_into(mut self, conn: &Connection) -> Result<()> {
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

/// FTS5's structure record (`contacts_search_data` row 10): the index's levels and segments.
const STRUCTURE_ROWID: i64 = 10;
/// FTS5 keeps at most this many levels.
const MAX_LEVEL: u64 = 64;

/// Moves the built index's one segment to the level its size would have reached had it been
/// built by the writer, one small segment a batch, merged four at a time (FTS5's default
/// `usermerge`): `optimize` leaves it on level 1, so the very first segments the writer adds
/// fill that level and the writer's upkeep rewrites the whole segment (317 MB at a million
/// contacts, a quarter of a core for minutes under 20 writes a second). On its own level it is
/// merged when segments of about its size have formed above the small ones.
fn lift_the_segment(scratch: &Connection) -> Result<()> {
    let record: Option<Vec<u8>> = scratch
        .query_row("SELECT block FROM contacts_search_data WHERE id = ?", [STRUCTURE_ROWID], |r| r.get(0))
        .optional()?;
    if let Some(lifted) = record.as_deref().and_then(lifted_structure) {
        scratch.execute("UPDATE contacts_search_data SET block = ? WHERE id = ?", params![lifted, STRUCTURE_ROWID])?;
    }
    Ok(())
}

/// A structure record of a single segment with no merge under way, that segment moved up to
/// level ⌈log4(pages)⌉ (empty levels below it); None for any other record (left as it is).
/// The layout (FTS5's `fts5StructureDecode`): a 4-byte cookie, an optional 4-byte version-2
/// marker, the varints nLevel, nSegment and nWriteCounter, then per level the varints nMerge
/// and nSeg followed by its segments (id, first page, last page; five more in version 2).
fn lifted_structure(record: &[u8]) -> Option<Vec<u8>> {
    let header = if record.get(4..8) == Some(&[0xff, 0, 0, 1][..]) { 8 } else { 4 };
    let (levels, mut at) = varint(record, header)?;
    if at != header + 1 {
        return None;
    }
    let (segments, next) = varint(record, at)?;
    let (_writes, next) = varint(record, next)?;
    let counters = next;
    at = counters;
    if segments != 1 || levels == 0 {
        return None;
    }
    // Every level below the last is empty (nMerge 0, nSeg 0).
    for _ in 1..levels {
        if record.get(at..at + 2)? != [0, 0] {
            return None;
        }
        at += 2;
    }
    let last_level = &record[at..];
    let (merging, next) = varint(record, at)?;
    let (in_level, next) = varint(record, next)?;
    let (_id, next) = varint(record, next)?;
    let (first, next) = varint(record, next)?;
    let (last, _) = varint(record, next)?;
    if merging != 0 || in_level != 1 || last < first {
        return None;
    }
    let pages = last - first + 1;
    let mut level = 0;
    while 4u64.saturating_pow(level) < pages {
        level += 1;
    }
    let level = u64::from(level).min(MAX_LEVEL - 1);
    if level < levels {
        return None;
    }
    let mut out = record[..header].to_vec();
    out.push(u8::try_from(level + 1).ok().filter(|n| *n < 0x80)?);
    out.extend_from_slice(&record[header + 1..counters]);
    out.extend(std::iter::repeat_n(0u8, 2 * level as usize));
    out.extend_from_slice(last_level);
    Some(out)
}

/// An SQLite varint (as FTS5 writes them) at `at`: its value and the offset after it.
fn varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..9 {
        let b = *bytes.get(at + i)?;
        if i == 8 {
            return Some(((value << 8) | u64::from(b), at + 9));
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((value, at + i + 1));
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The segments of a structure record: (level, segment id, pages).
    fn segments(record: &[u8]) -> Vec<(u64, u64, u64)> {
        let v2 = record.get(4..8) == Some(&[0xff, 0, 0, 1][..]);
        let (levels, at) = varint(record, if v2 { 8 } else { 4 }).unwrap();
        let (_, at) = varint(record, at).unwrap();
        let (_, mut at) = varint(record, at).unwrap();
        let mut found = Vec::new();
        for level in 0..levels {
            let (_, next) = varint(record, at).unwrap();
            let (count, next) = varint(record, next).unwrap();
            at = next;
            for _ in 0..count {
                let mut fields = Vec::new();
                for _ in 0..if v2 { 8 } else { 3 } {
                    let (value, next) = varint(record, at).unwrap();
                    fields.push(value);
                    at = next;
                }
                found.push((level, fields[0], fields[2] - fields[1] + 1));
            }
        }
        assert_eq!(at, record.len());
        found
    }

    fn structure(conn: &Connection) -> Vec<(u64, u64, u64)> {
        let record: Vec<u8> = conn
            .query_row("SELECT block FROM contacts_search_data WHERE id = ?", [STRUCTURE_ROWID], |r| r.get(0))
            .unwrap();
        segments(&record)
    }

    fn text(i: i64) -> String {
        format!("contact{i:05} person{} company{}", i * 7919 % 10007, i % 97)
    }

    #[test]
    fn the_built_segment_sits_on_its_own_level_and_the_writers_merges_leave_it_alone() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE search_texts (contact_id INTEGER PRIMARY KEY, body TEXT);
             CREATE VIRTUAL TABLE contacts_search USING fts5(body, content = 'search_texts',
                 content_rowid = 'contact_id', tokenize = 'trigram case_sensitive 1');
             INSERT INTO contacts_search (contacts_search, rank) VALUES ('automerge', 0);
             INSERT INTO contacts_search (contacts_search, rank) VALUES ('hashsize', 65536);
             BEGIN;",
        )
        .unwrap();
        let add = |i: i64| {
            conn.execute("INSERT INTO search_texts VALUES (?, ?)", params![i, text(i)]).unwrap();
            conn.execute("INSERT INTO contacts_search (rowid, body) VALUES (?, ?)", params![i, text(i)]).unwrap();
        };
        for i in 1..=3000 {
            add(i);
        }
        conn.execute_batch("INSERT INTO contacts_search (contacts_search) VALUES ('optimize')").unwrap();
        let built = structure(&conn);
        assert_eq!(built.len(), 1);
        assert_eq!(built[0].0, 1, "optimize leaves the one segment on level 1");
        lift_the_segment(&conn).unwrap();
        conn.execute_batch("COMMIT").unwrap();
        let (level, big, pages) = structure(&conn)[0];
        assert!(pages > 16, "{pages} pages");
        assert!(4u64.pow(level as u32) >= pages && 4u64.pow(level as u32 - 1) < pages, "level {level}, {pages} pages");
        // Lifting again changes nothing.
        let record: Vec<u8> =
            conn.query_row("SELECT block FROM contacts_search_data WHERE id = 10", [], |r| r.get(0)).unwrap();
        assert_eq!(lifted_structure(&record), None);
        // The writer's way: a transaction per contact, then a bounded merge step.
        for i in 3001..=3100 {
            add(i);
            conn.execute("INSERT INTO contacts_search (contacts_search, rank) VALUES ('merge', 64)", []).unwrap();
        }
        let after = structure(&conn);
        assert!(after.contains(&(level, big, pages)), "the built segment was merged: {after:?}");
        assert!(after.len() < 12, "{after:?}");
        conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", []).unwrap();
        let found = |word: &str| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH ?",
                [format!("\"{word}\"")],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(found("contact00042"), 1);
        assert_eq!(found("contact03077"), 1);
        assert_eq!(found("company96"), 31);
    }

    #[test]
    fn other_structures_are_left_as_they_are() {
        // Two segments; a merge under way; too short.
        assert_eq!(lifted_structure(&[0, 0, 0, 1, 2, 2, 0, 0, 1, 1, 1, 4, 0, 1, 2, 1, 9]), None);
        assert_eq!(lifted_structure(&[0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 90]), None);
        assert_eq!(lifted_structure(&[0, 0, 0]), None);
        // One segment of 100 pages on level 0 goes to level 4 (4^4 = 256 >= 100 > 64).
        let lifted = lifted_structure(&[0, 0, 0, 1, 1, 1, 5, 0, 1, 7, 1, 100]).unwrap();
        assert_eq!(lifted, [0, 0, 0, 1, 5, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7, 1, 100]);
        assert_eq!(segments(&lifted), [(4, 7, 100)]);
    }
}
