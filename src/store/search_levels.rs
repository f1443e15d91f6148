//! Where the search index's segments sit among FTS5's merge levels. FTS5 merges the segments
//! of a level once it holds four (`usermerge`), and the merged one goes a level up; the
//! writer's upkeep runs those merges in small steps between batches (`writer.rs`). An index
//! built in one go (`store::bulk`, FTS5's `optimize`) is a single segment on level 1, where
//! the writer's first small segments soon join it: the upkeep then rewrites the whole index
//! (317 MB at a million contacts) for a handful of new contacts. Put on the level its size
//! would have reached by merges, it is merged only once segments of about its size have formed.

use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::locking::DbFile;
use crate::error::Result;

/// FTS5's structure record (`contacts_search_data` row 10): the index's levels and segments.
pub(super) const STRUCTURE_ROWID: i64 = 10;
/// FTS5 keeps at most this many levels.
const MAX_LEVEL: u64 = 64;

/// Moves the built index's one segment to the level its size would have reached had it been
/// built by the writer, one small segment a batch, merged four at a time (FTS5's default
/// `usermerge`): `optimize` leaves it on level 1, so the very first segments the writer adds
/// fill that level and the writer's upkeep rewrites the whole segment (317 MB at a million
/// contacts, a quarter of a core for minutes under 20 writes a second). On its own level it is
/// merged when segments of about its size have formed above the small ones.
pub(super) fn lift_the_segment(scratch: &Connection) -> Result<()> {
    if let Some(lifted) = structure_record(scratch)?.as_deref().and_then(lifted_structure) {
        scratch.execute("UPDATE contacts_search_data SET block = ? WHERE id = ?", params![lifted, STRUCTURE_ROWID])?;
    }
    Ok(())
}

/// A structure record of a single segment with no merge under way, that segment moved up to
/// level ⌈log4(pages)⌉ (empty levels below it); None for any other record (left as it is).
fn lifted_structure(record: &[u8]) -> Option<Vec<u8>> {
    let structure = Structure::decode(record)?;
    let (last, below) = structure.levels.split_last()?;
    let below_empty = below.iter().all(|l| l.merging == 0 && l.segments.is_empty());
    // The level count is rewritten in place: it must be a one-byte varint (at most 64 levels).
    let count_is_one_byte = varint_len(record, structure.header)? == 1;
    let &[Segment { first, last: last_page, .. }] = &last.segments[..] else { return None };
    if !below_empty || last.merging != 0 || last_page < first || !count_is_one_byte {
        return None;
    }
    let pages = last_page - first + 1;
    let mut level = 0;
    while 4u64.saturating_pow(level) < pages {
        level += 1;
    }
    let level = u64::from(level).min(MAX_LEVEL - 1);
    if level < structure.levels.len() as u64 {
        return None;
    }
    let mut out = record[..structure.header].to_vec();
    out.push(u8::try_from(level + 1).ok()?);
    out.extend_from_slice(&record[structure.header + 1..structure.levels_at]);
    out.extend(std::iter::repeat_n(0u8, 2 * level as usize));
    out.extend_from_slice(&record[last.at..]);
    Some(out)
}

/// FTS5's structure record decoded (`fts5StructureDecode`): a 4-byte cookie, an optional
/// 4-byte version-2 marker, the varints nLevel, nSegment and nWriteCounter, then per level the
/// varints nMerge and nSeg followed by its segments (id, first page, last page; five more in
/// version 2).
pub(super) struct Structure {
    /// Bytes before nLevel.
    header: usize,
    /// Where the first level starts.
    levels_at: usize,
    /// Newest first; within a level, the last segment is the newest.
    pub(super) levels: Vec<Level>,
}

pub(super) struct Level {
    /// Where it starts in the record.
    at: usize,
    merging: u64,
    pub(super) segments: Vec<Segment>,
}

pub(super) struct Segment {
    pub(super) id: u64,
    /// Its first and last leaf pages (both 0 once a merge has taken all its terms).
    pub(super) first: u64,
    pub(super) last: u64,
}

impl Structure {
    /// None unless the whole record is a well-formed structure.
    pub(super) fn decode(record: &[u8]) -> Option<Structure> {
        let v2 = record.get(4..8) == Some(&[0xff, 0, 0, 1][..]);
        let header = if v2 { 8 } else { 4 };
        let (level_count, at) = varint(record, header)?;
        let (_segments, at) = varint(record, at)?;
        let (_writes, levels_at) = varint(record, at)?;
        let mut at = levels_at;
        let mut levels = Vec::new();
        for _ in 0..level_count.min(MAX_LEVEL) {
            let level_at = at;
            let (merging, next) = varint(record, at)?;
            let (count, next) = varint(record, next)?;
            at = next;
            let mut segments = Vec::new();
            for _ in 0..count {
                let mut fields = [0u64; 8];
                for field in fields.iter_mut().take(if v2 { 8 } else { 3 }) {
                    (*field, at) = varint(record, at)?;
                }
                segments.push(Segment { id: fields[0], first: fields[1], last: fields[2] });
            }
            levels.push(Level { at: level_at, merging, segments });
        }
        (levels.len() as u64 == level_count && at == record.len()).then_some(Structure { header, levels_at, levels })
    }
}

/// The length of the varint at `at`.
fn varint_len(bytes: &[u8], at: usize) -> Option<usize> {
    Some(varint(bytes, at)?.1 - at)
}

/// An SQLite varint (as FTS5 writes them) at `at`: its value and the offset after it.
pub(super) fn varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
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

/// Lifts the segment of a file built in bulk by an earlier version, if it needs it, on a
/// connection of its own: FTS5 on the other connections notices the commit and reads the
/// structure again. Nothing is written when there is nothing to lift. A failure (the file
/// busy past the timeout, say) leaves the index as it was: the caller goes on without it.
pub(super) fn lift_in_file(file: &DbFile) -> Result<()> {
    let conn = file.open(OpenFlags::default())?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let needed = structure_record(&conn)?.as_deref().and_then(lifted_structure).is_some();
    if needed {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        lift_the_segment(&conn)?;
        conn.execute_batch("COMMIT")?;
        tracing::info!("search index: its one segment moved to the level of its size");
    }
    Ok(())
}

pub(super) fn structure_record(conn: &Connection) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT block FROM contacts_search_data WHERE id = ?", [STRUCTURE_ROWID], |r| r.get(0))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segments of a structure record: (level, segment id, pages).
    fn segments(record: &[u8]) -> Vec<(u64, u64, u64)> {
        let structure = Structure::decode(record).expect("a well-formed structure record");
        let levels = structure.levels.iter().enumerate();
        levels.flat_map(|(i, l)| l.segments.iter().map(move |s| (i as u64, s.id, s.last - s.first + 1))).collect()
    }

    fn structure(conn: &Connection) -> Vec<(u64, u64, u64)> {
        segments(&structure_record(conn).unwrap().expect("a structure record"))
    }

    /// Contacts whose indexed text holds `word`.
    fn matches(conn: &Connection, word: &str) -> i64 {
        conn.query_row(
            "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH ?",
            [format!("\"{word}\"")],
            |r| r.get(0),
        )
        .unwrap()
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
        assert_eq!(structure_record(&conn).unwrap().as_deref().and_then(lifted_structure), None);
        // The writer's way: a transaction per contact, then a bounded merge step.
        for i in 3001..=3100 {
            add(i);
            conn.execute("INSERT INTO contacts_search (contacts_search, rank) VALUES ('merge', 64)", []).unwrap();
        }
        let after = structure(&conn);
        assert!(after.contains(&(level, big, pages)), "the built segment was merged: {after:?}");
        assert!(after.len() < 12, "{after:?}");
        conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", []).unwrap();
        assert_eq!(matches(&conn, "contact00042"), 1);
        assert_eq!(matches(&conn, "contact03077"), 1);
        assert_eq!(matches(&conn, "company96"), 31);
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

    #[test]
    fn a_file_built_in_one_go_by_an_earlier_version_is_lifted_when_opened() {
        use crate::store::{Store, Tuning};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let one_shot = Tuning { background_indexes: false, ..Tuning::default() };
        drop(Store::open_tuned(&path, 1, one_shot).unwrap());
        {
            // The index as an earlier version's bulk load left it: one optimized segment.
            let conn = Connection::open(&path).unwrap();
            // (Texts without contacts: only the index matters here.)
            conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN").unwrap();
            for i in 1..=3000 {
                conn.execute("INSERT INTO search_texts (contact_id, body) VALUES (?, ?)", params![i, text(i)]).unwrap();
                conn.execute("INSERT INTO contacts_search (rowid, body) VALUES (?, ?)", params![i, text(i)]).unwrap();
            }
            conn.execute_batch(
                "DELETE FROM search_index_queue;
                 INSERT INTO contacts_search (contacts_search) VALUES ('optimize');
                 COMMIT;",
            )
            .unwrap();
            assert_eq!(structure(&conn).len(), 1);
            assert!(structure_record(&conn).unwrap().as_deref().and_then(lifted_structure).is_some());
        }
        drop(Store::open_tuned(&path, 1, one_shot).unwrap());
        let conn = Connection::open(&path).unwrap();
        let (level, _, pages) = structure(&conn)[0];
        assert!(pages > 16 && 4u64.pow(level as u32) >= pages && 4u64.pow(level as u32 - 1) < pages, "{level} {pages}");
        conn.execute("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')", []).unwrap();
        assert_eq!(matches(&conn, "contact00042"), 1);
        // Opened again, there is nothing left to lift.
        assert_eq!(structure_record(&conn).unwrap().as_deref().and_then(lifted_structure), None);
    }
}
