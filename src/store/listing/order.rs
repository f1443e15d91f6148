//! One sort order of the contact list kept in memory as buckets: the contacts in order, cut into
//! runs of about `Tuning::list_bucket` contacts (256), and for each contact id the number of its
//! bucket (`labels`: one to two bytes a contact). A page at any offset is found by counting the
//! matching contacts per bucket (one pass over the matches) and sorting only the few hundred of
//! the buckets the page falls in (SQLite, with the list's own ORDER BY): its cost follows the
//! matches' count, never the offset or the number of rows SQLite would walk.
//!
//! Each bucket starts at a key (the sort columns' values) and an id; a contact belongs to the
//! last bucket whose start is not after its `(key, id)`. The list's order is `key, id` ascending
//! or `key DESC, id` (the id breaks ties upwards either way), so a run of equal keys is read in
//! the same id order both ways. A run at least a bucket long therefore gets a bucket of its own,
//! however long (a "pure" one: an assignee's, the contacts without a middle name), whose members'
//! order is their ids': a page in it takes its part of the members in id order, with nothing to
//! sort. Every other bucket ("mixed") holds whole shorter runs and starts where a run starts (id
//! 0). Long runs as one bucket each keep the bucket count of orders by few values low, and their
//! labels a byte.

use std::cmp::Ordering;
use std::collections::HashMap;

use roaring::RoaringBitmap;
use rusqlite::types::Value;
use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::store::id_list;

use super::cut::{cut, Cut, Cutter};
use super::labels::Labels;
use super::packed::{cmp_packed, KeyAt, PackedKeys};
use super::spec::cmp_entry;
pub use super::spec::{Key, OrderSpec};

/// The most buckets a 2-byte bucket number can name (16 million contacts at 256 a bucket).
const MAX_BUCKETS: usize = u16::MAX as usize;

struct Bucket {
    /// It starts at `(key, id)`: the first it may hold; the key lies in the order's `keys`.
    key: KeyAt,
    id: u32,
    /// Holds one whole run of equal keys, at least a bucket long (see the module comment).
    pure: bool,
    /// Live contacts in it.
    size: u32,
}

pub struct Order {
    pub spec: OrderSpec,
    /// Contacts per bucket when it is built or a bucket is split (split at twice as many).
    bucket: usize,
    /// Contacts it holds (those with a label).
    len: u64,
    buckets: Vec<Bucket>,
    /// The buckets' start keys.
    keys: PackedKeys,
    /// Bucket number by contact id (meaningless for ids that are not live contacts).
    labels: Labels,
}

/// The rows the page falls in: `candidates` (matching contacts of the page's buckets) to be
/// sorted in the list's order, the page being `limit` of them after skipping `skip`.
pub struct PageCandidates {
    pub candidates: Vec<i64>,
    pub skip: u64,
}

impl Order {
    /// Builds the order from the database (every contact, sorted by SQLite), holding at most
    /// a bucket's keys at a time.
    pub fn build(conn: &Connection, spec: OrderSpec, bucket: usize) -> Result<Order> {
        let columns = spec.columns();
        let sql =
            format!("SELECT c.id, {} {} ORDER BY {}", columns.join(", "), spec.from_clause(), spec.order_by(false));
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut order =
            Order { spec, bucket, len: 0, buckets: Vec::new(), keys: PackedKeys::default(), labels: Labels::new(0, 0) };
        let mut cutter = Cutter::new(bucket);
        let mut highest = 0;
        while let Some(row) = rows.next()? {
            let id = contact_id(row.get(0)?)?;
            let key: Key = (1..=columns.len()).map(|i| row.get::<_, Value>(i)).collect::<rusqlite::Result<_>>()?;
            order.len += 1;
            highest = highest.max(id);
            cutter.push(key, id);
        }
        let (buckets, members) = cutter.finish(None);
        if buckets.len() > MAX_BUCKETS {
            return Err(Error::Internal("too many contacts for an in-memory order".into()));
        }
        order.labels = Labels::new(highest as usize + 1, buckets.len());
        for (i, ids) in members.iter().enumerate() {
            for id in ids {
                order.labels.set(*id as usize, i as u16);
            }
        }
        order.buckets = order.pack(buckets);
        Ok(order)
    }

    /// Packs the keys of cut buckets.
    fn pack(&mut self, cuts: Vec<Cut>) -> Vec<Bucket> {
        cuts.into_iter()
            .map(|cut| Bucket { key: self.keys.push(&cut.start.0), id: cut.start.1, pure: cut.pure, size: cut.size })
            .collect()
    }

    /// Bucket `b`'s start against `entry`.
    fn cmp_start(&self, b: usize, entry: &(Key, u32)) -> Ordering {
        self.cmp_bucket(&self.buckets[b], entry)
    }

    fn cmp_bucket(&self, bucket: &Bucket, entry: &(Key, u32)) -> Ordering {
        cmp_packed(self.keys.get(bucket.key), &entry.0).then(bucket.id.cmp(&entry.1))
    }

    fn set_label(&mut self, id: u32, label: u16) {
        self.labels.set(id as usize, label);
    }

    /// The bucket `(key, id)` belongs to.
    fn bucket_of(&self, entry: &(Key, u32)) -> usize {
        self.buckets.partition_point(|b| self.cmp_bucket(b, entry).is_le()).saturating_sub(1)
    }

    /// The keys of these contacts (those that exist), in one statement.
    pub fn keys_of(&self, conn: &Connection, ids: &[i64]) -> Result<HashMap<u32, Key>> {
        let columns = self.spec.columns();
        let sql = format!(
            "SELECT c.id, {} {} WHERE c.id IN (SELECT value FROM json_each(?))",
            columns.join(", "),
            self.spec.from_clause()
        );
        let keys = conn
            .prepare_cached(&sql)?
            .query_map([id_list(ids)], |row| {
                let key: Key = (1..=columns.len()).map(|i| row.get::<_, Value>(i)).collect::<rusqlite::Result<_>>()?;
                Ok((row.get::<_, i64>(0)? as u32, key))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(keys)
    }

    /// Takes a live contact out of its bucket's count (before it moves or when it is deleted).
    pub fn remove(&mut self, id: u32) {
        if let Some(label) = self.labels.get(id as usize) {
            let bucket = &mut self.buckets[label as usize];
            bucket.size = bucket.size.saturating_sub(1);
            self.labels.clear(id as usize);
            self.len -= 1;
        }
    }

    /// Puts a contact where `key` places it now (None: deleted), and splits its bucket when it
    /// has grown too large (reading the bucket's keys from `conn`).
    pub fn sync(&mut self, conn: &Connection, id: u32, key: Option<Key>) -> Result<()> {
        self.remove(id);
        match key {
            Some(key) => self.place(conn, id, key),
            None => Ok(()),
        }
    }

    fn place(&mut self, conn: &Connection, id: u32, key: Key) -> Result<()> {
        if self.buckets.is_empty() {
            let key = self.keys.push(&key);
            self.buckets.push(Bucket { key, id: 0, pure: false, size: 0 });
        }
        let entry = (key, id);
        let mut b = self.bucket_of(&entry);
        let pure = self.buckets[b].pure;
        if self.cmp_start(b, &entry).is_gt() {
            // Before every bucket: the first one starts here now (a mixed one of its own when
            // the first is a run's).
            if pure {
                let mixed = Cut { start: (entry.0.clone(), 0), pure: false, size: 0 };
                self.insert_buckets(0, vec![mixed], &[], false)?;
            } else {
                self.buckets[0].key = self.keys.push(&entry.0);
                self.buckets[0].id = 0;
            }
        } else if pure && cmp_packed(self.keys.get(self.buckets[b].key), &entry.0).is_ne() {
            // A new key after a run that has buckets of its own: a mixed bucket of its own,
            // right after the run (nothing else lies between the run and the next bucket).
            let mixed = Cut { start: (entry.0.clone(), 0), pure: false, size: 0 };
            self.insert_buckets(b + 1, vec![mixed], &[], false)?;
            b += 1;
        }
        self.set_label(id, b as u16);
        self.len += 1;
        self.buckets[b].size += 1;
        if !pure && self.buckets[b].size as usize >= 2 * self.bucket {
            self.split(conn, b)?;
        }
        Ok(())
    }

    /// Cuts mixed bucket `b` anew from its members' keys (a run grown to a bucket's length gets
    /// a pure one).
    fn split(&mut self, conn: &Connection, b: usize) -> Result<()> {
        let members = self.bucket_members(b as u16);
        let mut entries: Vec<(Key, u32)> =
            self.keys_of(conn, &members)?.into_iter().map(|(id, key)| (key, id)).collect();
        entries.sort_by(cmp_entry);
        let first_start = (self.keys.key(self.buckets[b].key), self.buckets[b].id);
        let (buckets, members) = cut(entries, Some(first_start), self.bucket);
        if let [only] = &buckets[..] {
            // One run of equal keys: the bucket is that run's (pure) from now on.
            self.buckets[b].pure = only.pure;
            return Ok(());
        }
        self.buckets.remove(b);
        self.insert_buckets(b, buckets, &members, true)
    }

    /// Inserts `new` buckets at `at` with their `members` labelled, moving the later buckets
    /// up; `replaces`: they take the place of bucket `at` (already removed), whose members are
    /// all among `members`.
    fn insert_buckets(&mut self, at: usize, new: Vec<Cut>, members: &[Vec<u32>], replaces: bool) -> Result<()> {
        let moved_by = new.len() - usize::from(replaces);
        if self.buckets.len() + moved_by > MAX_BUCKETS {
            return Err(Error::Internal("too many buckets in an in-memory order".into()));
        }
        // Labels still name the old positions: those after the insertion point move up.
        let first_moved = (at + usize::from(replaces)) as u16;
        // (None to move when the buckets go at the end, where a growing key's contacts land.)
        let old_count = self.buckets.len() + usize::from(replaces);
        self.labels.make_room(self.buckets.len() + moved_by);
        if moved_by > 0 && usize::from(first_moved) < old_count {
            self.labels.shift_from(first_moved, moved_by as u16);
        }
        for (i, ids) in members.iter().enumerate() {
            for id in ids {
                self.set_label(*id, (at + i) as u16);
            }
        }
        let new = self.pack(new);
        let tail = self.buckets.split_off(at);
        self.buckets.extend(new);
        self.buckets.extend(tail);
        Ok(())
    }

    /// Checks that every member lies in its bucket (tests).
    #[cfg(test)]
    pub fn verify(&self, conn: &Connection) {
        for (id, label) in (0..self.labels.len()).filter_map(|id| Some((id as u32, self.labels.get(id)? as usize))) {
            let key = self.keys_of(conn, &[i64::from(id)]).unwrap().remove(&id).expect("a member is a contact");
            let entry = (key, id);
            assert!(self.cmp_start(label, &entry).is_le(), "{entry:?} before its bucket {label}");
            if label + 1 < self.buckets.len() {
                assert!(self.cmp_start(label + 1, &entry).is_gt(), "{entry:?} past its bucket {label}");
            }
            let b = &self.buckets[label];
            assert!(!b.pure || cmp_packed(self.keys.get(b.key), &entry.0).is_eq(), "{entry:?} in pure bucket {label}");
            assert!(b.pure || (b.size as usize) < 2 * self.bucket, "mixed bucket {label} of {} not split", b.size);
            // A run is never cut in two (a descending list reads a pure bucket forwards).
            let next_same =
                |n: usize| self.buckets.get(n).is_some_and(|o| cmp_packed(self.keys.get(o.key), &entry.0).is_eq());
            assert!(!b.pure || (!next_same(label + 1) && (label == 0 || !next_same(label - 1))), "run {label} cut");
        }
        let sizes: u32 = self.buckets.iter().map(|b| b.size).sum();
        assert_eq!(sizes as u64, self.len);
    }

    /// How many contacts it holds: every live one, once it is in step with the writer.
    pub fn len(&self) -> u64 {
        self.len
    }

    fn label(&self, id: u32) -> Option<u16> {
        self.labels.get(id as usize)
    }

    /// Live contacts per bucket, the figures a page of the whole list walks.
    fn sizes(&self) -> Vec<u32> {
        self.buckets.iter().map(|b| b.size).collect()
    }

    /// The candidates of the page `offset..offset + limit` of `matches` (live contacts) in this
    /// order; `everything`: the matches are every contact of the order (its bucket sizes count them).
    pub fn page(
        &self,
        matches: &RoaringBitmap,
        everything: bool,
        desc: bool,
        offset: u64,
        limit: u64,
    ) -> PageCandidates {
        let counts = if everything {
            self.sizes()
        } else {
            let mut counts = vec![0u32; self.buckets.len()];
            for id in matches {
                if let Some(label) = self.label(id) {
                    counts[label as usize] += 1;
                }
            }
            counts
        };
        // Descending, the buckets come backwards (a pure bucket's members stay in id order).
        let last = self.buckets.len().saturating_sub(1) as u16;
        let sequence = (0..self.buckets.len() as u16).map(|i| if desc { last - i } else { i });
        let end = offset + limit;
        // Mixed buckets the page falls in, whole; the page's parts of pure ones, by place.
        let mut chosen = vec![false; self.buckets.len()];
        let mut parts = Vec::new();
        // Matches before the bucket under way, and before the first candidate.
        let (mut before, mut first) = (0u64, None);
        for b in sequence {
            let n = u64::from(counts[b as usize]);
            if n == 0 {
                continue;
            }
            if before + n <= offset {
                before += n;
                continue;
            }
            if self.buckets[b as usize].pure {
                let part = offset.saturating_sub(before)..end.min(before + n) - before;
                first.get_or_insert(before + part.start);
                parts.push((b, part));
            } else {
                first.get_or_insert(before);
                chosen[b as usize] = true;
            }
            before += n;
            if before >= end {
                break;
            }
        }
        let Some(first) = first else { return PageCandidates { candidates: Vec::new(), skip: 0 } };
        let mut candidates = if chosen.contains(&true) { self.members_of(&chosen, matches) } else { Vec::new() };
        for (b, part) in parts {
            candidates.extend(self.part_of(b, part, matches, everything).into_iter().map(i64::from));
        }
        PageCandidates { candidates, skip: offset - first }
    }

    /// The matching members of pure bucket `b` at places `part` among them (in id order).
    fn part_of(&self, b: u16, part: std::ops::Range<u64>, matches: &RoaringBitmap, everything: bool) -> Vec<u32> {
        if part.is_empty() {
            return Vec::new();
        }
        if everything {
            return self.labels.ranked(b, part);
        }
        let (skip, take) = (part.start as usize, (part.end - part.start) as usize);
        matches.iter().filter(|id| self.label(*id) == Some(b)).skip(skip).take(take).collect()
    }

    /// The contacts of `matches` in the chosen buckets. Many matches: the labels are scanned
    /// for the chosen buckets' range (a tight loop over the labels) and only those
    /// found are tested; few: the matches are walked.
    fn members_of(&self, chosen: &[bool], matches: &RoaringBitmap) -> Vec<i64> {
        let in_chosen = |label: u16| chosen.get(label as usize).copied().unwrap_or(false);
        if matches.len() < self.labels.len() as u64 / 16 {
            return matches.iter().filter(|id| self.label(*id).is_some_and(in_chosen)).map(i64::from).collect();
        }
        let lowest = chosen.iter().position(|c| *c).unwrap_or(0) as u16;
        let highest = chosen.iter().rposition(|c| *c).unwrap_or(0) as u16;
        let mut found = Vec::new();
        self.labels.scan(lowest, highest, |id, label| {
            if in_chosen(label) && matches.contains(id as u32) {
                found.push(id as i64);
            }
        });
        found
    }

    /// The members of bucket `b`.
    fn bucket_members(&self, b: u16) -> Vec<i64> {
        let mut found = Vec::new();
        self.labels.scan(b, b, |id, _| found.push(id as i64));
        found
    }
}

impl Order {
    /// Bytes held (labels and bucket starts, roughly).
    pub fn bytes(&self) -> usize {
        self.labels.bytes() + self.keys.bytes() + self.buckets.capacity() * std::mem::size_of::<Bucket>()
    }
}

pub fn contact_id(id: i64) -> Result<u32> {
    u32::try_from(id).map_err(|_| Error::Internal(format!("contact id {id} is past what the list index holds")))
}
