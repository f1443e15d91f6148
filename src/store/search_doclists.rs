//! The trigram index's doclists read straight from FTS5's leaf pages (`contacts_search_data`).
//! A two-letter search word is the union of every trigram it begins (42 of them, 886,000
//! entries for `an` at a million contacts); asked through `MATCH`, each entry leaves SQLite
//! as a row (30–90 ms), while the pages hold them as a few megabytes of varints.
//!
//! The format (SQLite's `fts5_index.c`): a segment's leaf pages are rows
//! `segment id << 37 | page number`. A leaf starts with two big-endian u16: where its first
//! rowid written after a page break is (0: none) and where its page index begins. The page
//! index lists where each term on the page starts (varints: the first one absolute, then
//! deltas). The first term on a page is written whole (`len, bytes`), the others as
//! `shared prefix, len, bytes`; each term is followed by its doclist: entries of a rowid
//! (the first of a doclist, and the first after a page break, absolute; the others deltas) and
//! a position list (`size * 2 + delete flag`, then `size` bytes). A doclist or a position list
//! goes on at byte 4 of the next page. Terms carry the index's prefix byte (`0` for the main
//! index).
//!
//! Which entry counts: of the entries for one term and one rowid, the newest segment's (lower
//! levels are newer; within a level the later segment is); an entry with an empty position
//! list is a delete marker. That is how FTS5's own iterators decide (`fts5MultiIterDoCompare`,
//! `fts5MultiIterIsEmpty`).

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::search_levels::{structure_record, varint, Segment, Structure};
use crate::error::Result;

/// The byte FTS5 puts before the terms of its main index.
const MAIN_INDEX: u8 = b'0';

/// A leaf page's row in `contacts_search_data` (`FTS5_SEGMENT_ROWID`: 31 bits of page number,
/// 5 of doclist-index height and a doclist-index flag below the segment id).
fn page_row(segment: u64, page: u64) -> i64 {
    ((segment << 37) + page) as i64
}

/// Calls `found` with every rowid (contact id) whose indexed text holds a term beginning with
/// `prefix`, each rowid once per term that holds it. False, with some calls perhaps made, when
/// the pages are not in the form described above: the caller then asks FTS5 instead.
pub(in crate::store) fn holders_of_prefix(conn: &Connection, prefix: &str, found: &mut dyn FnMut(i64)) -> Result<bool> {
    // The structure and the pages must come from one snapshot of the file.
    let _snapshot = if conn.is_autocommit() { Some(conn.unchecked_transaction()?) } else { None };
    let Some(structure) = structure_record(conn)?.as_deref().and_then(Structure::decode) else {
        return Ok(false);
    };
    let newest_first: Vec<&Segment> = structure
        .levels
        .iter()
        .flat_map(|level| level.segments.iter().rev())
        .filter(|s| s.first > 0 && s.last >= s.first)
        .collect();
    let mut key = vec![MAIN_INDEX];
    key.extend_from_slice(prefix.as_bytes());
    let mut precedence = Precedence {
        found,
        decided: HashMap::new(),
        older_follow: false,
        term: Vec::new(),
        newer: Vec::new(),
        seen: Vec::new(),
    };
    for (i, segment) in newest_first.iter().enumerate() {
        let older_follow = i + 1 < newest_first.len();
        if !scan_segment(conn, segment, &key, older_follow, &mut precedence)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Walks the doclists of the terms beginning with `key` in one segment; false when a page is
/// missing or malformed.
fn scan_segment(
    conn: &Connection,
    segment: &Segment,
    key: &[u8],
    older_follow: bool,
    precedence: &mut Precedence,
) -> Result<bool> {
    // FTS5's own seek: the last page whose first term (as its b-tree keeps it) is <= the key;
    // no term from the key on sits on an earlier page.
    let indexed = conn
        .prepare_cached(
            "SELECT pgno FROM contacts_search_idx WHERE segid = ? AND term <= ? ORDER BY term DESC LIMIT 1",
        )?
        .query_row(params![segment.id as i64, key], |r| r.get::<_, i64>(0))
        .optional()?;
    let start = indexed.map_or(1, |pgno| (pgno >> 1) as u64).max(segment.first);
    if start > segment.last {
        return Ok(true);
    }
    let mut pages =
        conn.prepare_cached("SELECT id, block FROM contacts_search_data WHERE id BETWEEN ? AND ? ORDER BY id")?;
    let mut rows = pages.query(params![page_row(segment.id, start), page_row(segment.id, segment.last)])?;
    let mut walk = Walk { key, term: Vec::new(), in_range: false, expect: Expect::Rowid, rowid: 0 };
    precedence.start_segment(older_follow);
    let mut expected = page_row(segment.id, start);
    let past_the_last = page_row(segment.id, segment.last) + 1;
    while let Some(row) = rows.next()? {
        let (Ok(id), Ok(block)) = (row.get_ref_unwrap(0).as_i64(), row.get_ref_unwrap(1).as_blob()) else {
            return Ok(false);
        };
        if id != expected {
            return Ok(false);
        }
        match walk.page(block, id == page_row(segment.id, start), precedence) {
            Some(Step::More) => expected += 1,
            Some(Step::Done) => expected = past_the_last,
            None => return Ok(false),
        }
        if expected == past_the_last {
            break;
        }
    }
    if expected != past_the_last {
        return Ok(false);
    }
    precedence.end_term();
    Ok(true)
}

enum Step {
    More,
    Done,
}

/// What the next doclist byte starts.
#[derive(Clone, Copy)]
enum Expect {
    /// A term's first rowid (absolute).
    FirstRowid,
    /// A rowid, as a delta unless it is the page's first.
    Rowid,
    /// This many more bytes of a position list.
    Positions(usize),
}

/// A walk through one segment's leaves.
struct Walk<'k> {
    key: &'k [u8],
    /// The term whose doclist is being read.
    term: Vec<u8>,
    in_range: bool,
    expect: Expect,
    rowid: u64,
}

impl Walk<'_> {
    /// One leaf page; `first` when the walk starts on it (what precedes its first term then
    /// belongs to a term before the key). None: malformed.
    fn page(&mut self, block: &[u8], first: bool, precedence: &mut Precedence) -> Option<Step> {
        let leaf = Leaf::parse(block)?;
        let first_term = leaf.terms.first().copied().unwrap_or(leaf.size);
        if !first && self.in_range {
            self.doclist(&leaf, 4, first_term, precedence)?;
        }
        for (i, &at) in leaf.terms.iter().enumerate() {
            let mut pos = at;
            if i > 0 {
                let (shared, next) = varint(block, pos)?;
                self.term.truncate(usize::try_from(shared).ok().filter(|s| *s <= self.term.len())?);
                pos = next;
            } else {
                self.term.clear();
            }
            let (len, next) = varint(block, pos)?;
            let end_of_term = next.checked_add(usize::try_from(len).ok()?)?;
            self.term.extend_from_slice(block.get(next..end_of_term)?);
            pos = end_of_term;
            let holds = self.term.starts_with(self.key);
            if !holds && self.term.as_slice() > self.key {
                return Some(Step::Done);
            }
            self.in_range = holds;
            if holds {
                precedence.start_term(&self.term);
                self.expect = Expect::FirstRowid;
                let end = leaf.terms.get(i + 1).copied().unwrap_or(leaf.size);
                self.doclist(&leaf, pos, end, precedence)?;
            }
        }
        Some(Step::More)
    }

    /// The doclist bytes from `pos` to `end` of a page.
    fn doclist(&mut self, leaf: &Leaf, mut pos: usize, end: usize, precedence: &mut Precedence) -> Option<()> {
        while pos < end {
            match self.expect {
                Expect::Positions(left) => {
                    let here = left.min(end - pos);
                    pos += here;
                    self.expect = if here == left { Expect::Rowid } else { Expect::Positions(left - here) };
                }
                Expect::FirstRowid | Expect::Rowid => {
                    let absolute = matches!(self.expect, Expect::FirstRowid) || pos == leaf.first_rowid;
                    let (value, next) = varint(leaf.block, pos)?;
                    self.rowid = if absolute { value } else { self.rowid.wrapping_add(value) };
                    let (size, next) = varint(leaf.block, next)?;
                    if next > end {
                        return None;
                    }
                    pos = next;
                    let positions = usize::try_from(size / 2).ok()?;
                    precedence.entry(self.rowid as i64, positions > 0);
                    self.expect = if positions > 0 { Expect::Positions(positions) } else { Expect::Rowid };
                }
            }
        }
        (pos == end).then_some(())
    }
}

/// A leaf page's header and page index.
struct Leaf<'b> {
    block: &'b [u8],
    /// Where the first rowid after a page break is (0: none).
    first_rowid: usize,
    /// Where the page index begins (the end of terms and doclists).
    size: usize,
    /// Where each term starts.
    terms: Vec<usize>,
}

impl<'b> Leaf<'b> {
    fn parse(block: &'b [u8]) -> Option<Leaf<'b>> {
        let header = block.get(..4)?;
        let first_rowid = usize::from(u16::from_be_bytes([header[0], header[1]]));
        let size = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if size < 4 || size > block.len() || first_rowid >= size {
            return None;
        }
        let mut terms = Vec::new();
        let (mut at, mut offset) = (size, 0usize);
        while at < block.len() {
            let (delta, next) = varint(block, at)?;
            offset = offset.checked_add(usize::try_from(delta).ok()?)?;
            if offset < 4 || offset >= size || terms.last().is_some_and(|last| *last >= offset) {
                return None;
            }
            terms.push(offset);
            at = next;
        }
        Some(Leaf { block, first_rowid, size, terms })
    }
}

/// Decides which entries count (see the module's comment), segment by segment, newest first.
struct Precedence<'f> {
    found: &'f mut dyn FnMut(i64),
    /// Per term, the rowids (ascending) whose entry a newer segment held: older entries for
    /// them do not count. Kept only while older segments follow.
    decided: HashMap<Vec<u8>, Vec<i64>>,
    /// Whether segments older than the current one follow.
    older_follow: bool,
    /// The term being read (empty: none).
    term: Vec<u8>,
    /// Its rowids decided by newer segments, descending (the next one is popped), and those
    /// decided so far counting this segment's, ascending.
    newer: Vec<i64>,
    seen: Vec<i64>,
}

impl Precedence<'_> {
    fn start_segment(&mut self, older_follow: bool) {
        self.end_term();
        self.older_follow = older_follow;
    }

    fn start_term(&mut self, term: &[u8]) {
        self.end_term();
        self.term.extend_from_slice(term);
        self.newer = self.decided.remove(term).unwrap_or_default();
        self.newer.reverse();
    }

    fn entry(&mut self, rowid: i64, present: bool) {
        while let Some(newer) = self.newer.pop_if(|newer| *newer < rowid) {
            if self.older_follow {
                self.seen.push(newer);
            }
        }
        if self.newer.last() == Some(&rowid) {
            return;
        }
        if present {
            (self.found)(rowid);
        }
        if self.older_follow {
            self.seen.push(rowid);
        }
    }

    /// Keeps what the finished term's entries decided, for the older segments.
    fn end_term(&mut self) {
        if self.older_follow && !self.term.is_empty() {
            let mut decided = std::mem::take(&mut self.seen);
            decided.extend(self.newer.drain(..).rev());
            decided.sort_unstable();
            decided.dedup();
            self.decided.insert(std::mem::take(&mut self.term), decided);
        }
        self.term.clear();
        self.newer.clear();
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests;
