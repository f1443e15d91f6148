//! Where each contact falls in the default list order (`last_name, first_name, id`), in memory:
//! an 8-byte prefix key per contact id. A first-time search with thousands of matches would
//! otherwise read every match's row to sort them (7,610 rows, 13–60 ms at a million contacts);
//! with the keys, only the matches that can be on the page are read and sorted by SQLite.
//!
//! A key is a hint that never decides the order itself: `key(a) < key(b)` implies that `a`
//! sorts before `b`, while equal keys say nothing, so the rows SQLite sorts are a superset of
//! the page. Keys are built once from the name index on a background thread and then kept in
//! step by the writer: it notes the names of the contacts a batch changed before COMMIT and
//! applies them after it. A read uses keys only when no batch committed between the start of
//! its read transaction and its last look at the keys (a sequence count, odd while a batch is
//! between its COMMIT and its key updates).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, Weak};
use std::time::Duration;

use rusqlite::OpenFlags;

use super::locking::DbFile;

/// A contact whose position the key cannot express (a last name holding NUL), or one not
/// known: always read and sorted.
pub const UNKEYED: u64 = u64::MAX;

/// The key of a contact's names: a prefix of an encoding whose byte order is SQLite's order of
/// `(last_name, first_name)` (BINARY collation, NULL first).
pub fn key(last_name: Option<&str>, first_name: Option<&str>) -> u64 {
    let mut bytes = [0u8; 8];
    let put = |bytes: &mut [u8; 8], at: usize, s: &[u8]| {
        let n = s.len().min(8 - at);
        bytes[at..at + n].copy_from_slice(&s[..n]);
    };
    match last_name {
        // NULL sorts before every text: tag 0, then the first name.
        None => put(&mut bytes, 1, first_name.unwrap_or("").as_bytes()),
        Some(last) => {
            let last = last.as_bytes();
            if last.contains(&0) {
                // The end of the last name is marked by a 0 byte below; one inside it would
                // make a shorter name compare as a longer one.
                return UNKEYED;
            }
            bytes[0] = 1;
            put(&mut bytes, 1, last);
            if last.len() <= 6 {
                // The whole last name fits: a 0 (less than any byte that could continue it),
                // then the first name. Zero padding is the least byte, so truncation keeps order.
                put(&mut bytes, 2 + last.len(), first_name.unwrap_or("").as_bytes());
            }
        }
    }
    u64::from_be_bytes(bytes).min(UNKEYED - 1)
}

#[derive(Default)]
pub struct NameOrder {
    /// Key by contact id (`UNKEYED` past the end); empty until built.
    keys: RwLock<Vec<u64>>,
    ready: AtomicBool,
    /// Even when no batch is between its COMMIT and its key updates; bumped twice per batch
    /// that changed contacts.
    sequence: AtomicU64,
    /// Held while the keys are installed or updated, so an install never misses a batch.
    installing: Mutex<()>,
}

impl NameOrder {
    /// The sequence count a read notes before its transaction begins.
    pub fn sequence(&self) -> u64 {
        self.sequence.load(Ordering::Acquire)
    }

    /// The keys of `ids` (in that order), when the keys are built and match the snapshot of a
    /// read transaction begun after `sequence` was read.
    pub fn keys_of(&self, ids: &[i64], sequence: u64) -> Option<Vec<u64>> {
        if sequence % 2 == 1 || !self.ready.load(Ordering::Acquire) {
            return None;
        }
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let out = ids.iter().map(|&id| usize::try_from(id).ok().and_then(|i| keys.get(i)).copied().unwrap_or(UNKEYED));
        let out: Vec<u64> = out.collect();
        drop(keys);
        // A batch that committed meanwhile may have changed names the snapshot does not show.
        (self.sequence.load(Ordering::Acquire) == sequence).then_some(out)
    }

    #[cfg(test)]
    pub fn is_built(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Writer, before COMMIT of a batch that changed these contacts.
    pub fn committing(&self) {
        self.sequence.fetch_add(1, Ordering::AcqRel);
    }

    /// Writer, after that COMMIT (or its failure: then `changed` is empty, nothing changed).
    pub fn committed(&self, changed: &[(i64, u64)]) {
        let _installing = self.installing.lock().unwrap_or_else(|e| e.into_inner());
        if self.ready.load(Ordering::Acquire) && !changed.is_empty() {
            let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
            for &(id, key) in changed {
                let Ok(i) = usize::try_from(id) else { continue };
                if keys.len() <= i {
                    keys.resize(i + 1, UNKEYED);
                }
                keys[i] = key;
            }
        }
        self.sequence.fetch_add(1, Ordering::AcqRel);
    }

    /// Installs keys read in a transaction begun after `sequence` was read; false when a
    /// batch committed since (the keys may miss it).
    fn install(&self, keys: Vec<u64>, sequence: u64) -> bool {
        let _installing = self.installing.lock().unwrap_or_else(|e| e.into_inner());
        if self.sequence.load(Ordering::Acquire) != sequence {
            return false;
        }
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        self.ready.store(true, Ordering::Release);
        true
    }
}

/// Builds the keys of `file` on a background thread, retrying while writes keep
/// landing during the read (about half a second of one core at a million contacts).
pub fn spawn_build(file: DbFile, order: Weak<NameOrder>) {
    let started = std::thread::Builder::new().name("name-order".into()).spawn(move || {
        super::census::yield_to_requests();
        for attempt in 0..20u32 {
            let Some(target) = order.upgrade() else { return };
            let sequence = target.sequence();
            if sequence % 2 == 0 {
                match read_keys(&file) {
                    Ok(keys) => {
                        if target.install(keys, sequence) {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!("reading the name order of {} failed: {e}", file.path.display());
                        return;
                    }
                }
            }
            drop(target);
            std::thread::sleep(Duration::from_millis(200) * (attempt + 1));
        }
        tracing::info!("name order not built: writes kept landing; lists sort by SQL alone");
    });
    if let Err(e) = started {
        tracing::warn!("cannot start the name-order thread: {e}");
    }
}

fn read_keys(file: &DbFile) -> rusqlite::Result<Vec<u64>> {
    let conn = file.open(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let max: i64 = conn.query_row("SELECT COALESCE(max(id), 0) FROM contacts", [], |r| r.get(0))?;
    let mut keys = vec![UNKEYED; usize::try_from(max).unwrap_or(0) + 1];
    let mut stmt = conn.prepare("SELECT id, last_name, first_name FROM contacts INDEXED BY contacts_name_order")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let (last, first) = (r.get_ref(1)?.as_str_or_null()?, r.get_ref(2)?.as_str_or_null()?);
        if let Some(slot) = usize::try_from(id).ok().and_then(|i| keys.get_mut(i)) {
            *slot = key(last, first);
        }
    }
    Ok(keys)
}

/// The contacts whose keys allow them on the first `needed` rows of the order: every one with
/// a key up to the `needed`-th smallest, and every unkeyed one. None when that is most of them
/// (SQLite then sorts them all anyway).
pub fn candidates(ids: &[i64], keys: &[u64], needed: usize) -> Option<Vec<i64>> {
    let keyed: Vec<u64> = keys.iter().copied().filter(|k| *k != UNKEYED).collect();
    if needed == 0 || keyed.len() <= needed {
        return None;
    }
    let mut sorted = keyed;
    let (_, bound, _) = sorted.select_nth_unstable(needed - 1);
    let bound = *bound;
    let picked: Vec<i64> =
        ids.iter().zip(keys).filter(|(_, k)| **k <= bound || **k == UNKEYED).map(|(id, _)| *id).collect();
    (picked.len() * 2 < ids.len()).then_some(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's own order of (last, first) pairs, NULLs included, agrees with the keys.
    #[test]
    fn a_smaller_key_always_sorts_first_in_sqlite() {
        let names: &[(Option<&str>, Option<&str>)] = &[
            (None, None),
            (None, Some("Zoe")),
            (Some(""), None),
            (Some(""), Some("A")),
            (Some("Hu"), Some("Xin")),
            (Some("Hu"), Some("Xinyi")),
            (Some("Hu"), None),
            (Some("Hua"), Some("A")),
            (Some("Hu\0x"), Some("A")),
            (Some("Williams"), Some("William")),
            (Some("Williamson"), Some("Al")),
            (Some("Abcdef"), Some("Zed")),
            (Some("Abcdefg"), Some("A")),
            (Some("Ärger"), Some("B")),
            (Some("zeta"), Some("b")),
            (Some("Zeta"), Some("b")),
            (Some("Lee"), Some("a\0b")),
            (Some("Lee"), Some("a")),
        ];
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE n (i INTEGER PRIMARY KEY, last TEXT, first TEXT)").unwrap();
        for (i, (l, f)) in names.iter().enumerate() {
            conn.execute("INSERT INTO n VALUES (?, ?, ?)", rusqlite::params![i as i64, l, f]).unwrap();
        }
        let order: Vec<usize> = conn
            .prepare("SELECT i FROM n ORDER BY last, first, i")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(key(Some("Hu\0x"), Some("A")), UNKEYED);
        for (pos_a, &a) in order.iter().enumerate() {
            for &b in &order[pos_a + 1..] {
                let (ka, kb) = (key(names[a].0, names[a].1), key(names[b].0, names[b].1));
                if ka != UNKEYED && kb != UNKEYED {
                    assert!(ka <= kb, "{:?} sorts before {:?} but has a larger key", names[a], names[b]);
                }
            }
        }
        assert!(key(Some("Hu"), Some("Xin")) < key(Some("Hu"), Some("Xinyi")));
        assert!(key(Some("Hu"), Some("Xin")) < key(Some("Hua"), Some("A")));
    }

    #[test]
    fn candidates_are_the_smallest_keys_and_every_unkeyed_one() {
        let ids: Vec<i64> = (1..=10).collect();
        let keys = [50, 10, 30, UNKEYED, 20, 20, 90, 80, 70, 60];
        // The 3rd smallest key is 20 (10, 20, 20): ties at the bound are all kept.
        assert_eq!(candidates(&ids, &keys, 3), Some(vec![2, 4, 5, 6]));
        assert_eq!(candidates(&ids, &keys, 8), None, "most of them: no gain");
        assert_eq!(candidates(&ids[..2], &keys[..2], 3), None);
    }

    #[test]
    fn keys_are_used_only_while_no_batch_commits() {
        let order = NameOrder::default();
        let seq = order.sequence();
        assert_eq!(order.keys_of(&[1], seq), None, "not built yet");
        assert!(order.install(vec![UNKEYED, 7], seq));
        assert_eq!(order.keys_of(&[1, 5], seq), Some(vec![7, UNKEYED]));
        order.committing();
        assert_eq!(order.keys_of(&[1], order.sequence()), None, "a batch between COMMIT and its keys");
        order.committed(&[(5, 3)]);
        assert_eq!(order.keys_of(&[1], seq), None, "keys newer than a snapshot begun before the batch");
        assert_eq!(order.keys_of(&[1, 5], order.sequence()), Some(vec![7, 3]));
        let stale = order.sequence();
        order.committing();
        order.committed(&[]);
        assert!(!order.install(vec![], stale), "an install must not miss a batch");
    }
}
