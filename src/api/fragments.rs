//! Contacts already rendered as list items, keyed by everything that decides their bytes (id,
//! `updated_on`, configuration version, format), so a list page is mostly copied rather than
//! loaded and rendered again. Presentation, so it lives with the API, not the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Bytes of rendered contacts the cache holds at most (about 7,000 list items). The load
/// bench's 278 two-word search pages take 7.7 MB: at 6 MB they missed and cost 50 µs of CPU
/// each instead of 30. The whole server is to stay under 96 MB at a million contacts.
const FRAGMENT_BYTES: usize = 8 << 20;

/// What decides the bytes of one rendered contact. `updated_on` strictly increases on every
/// change of the contact (the store guarantees it), and everything else it shows that can
/// change (user names, custom field definitions) bumps the configuration version.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct FragmentKey {
    pub id: i64,
    pub updated_on: i64,
    pub config_version: u64,
    pub xml: bool,
}

/// Rendered list items within a byte budget, evicted by CLOCK (second chance): a hit only
/// sets the item's flag, and eviction sweeps past flagged items, clearing their flags, to the
/// first item nobody read since the last sweep. Unlike the two generations this replaced
/// (a new half and an old half, with hits moved up), a working set of any size up to the
/// budget stays whole: with 278 different search pages (7.7 MB of items) asked in turn, the
/// halves of 5 MB missed about a third of the items and each page cost 140 µs instead of 83.
#[derive(Default)]
pub struct FragmentCache {
    state: Mutex<Clock>,
}

#[derive(Default)]
struct Clock {
    slot_of: HashMap<FragmentKey, usize>,
    slots: Vec<Slot>,
    hand: usize,
    bytes: usize,
}

struct Slot {
    key: FragmentKey,
    bytes: Arc<[u8]>,
    read_since_sweep: bool,
}

impl Clock {
    fn insert(&mut self, key: FragmentKey, bytes: Arc<[u8]>) {
        if let Some(&i) = self.slot_of.get(&key) {
            let slot = &mut self.slots[i];
            self.bytes = self.bytes - slot.bytes.len() + bytes.len();
            slot.bytes = bytes;
        } else {
            self.bytes += bytes.len();
            self.slot_of.insert(key, self.slots.len());
            self.slots.push(Slot { key, bytes, read_since_sweep: false });
        }
        while self.bytes > FRAGMENT_BYTES && !self.slots.is_empty() {
            self.evict_one();
        }
    }

    /// Drops the first item from the hand on that was not read since the hand last passed it.
    fn evict_one(&mut self) {
        loop {
            if self.hand >= self.slots.len() {
                self.hand = 0;
            }
            let slot = &mut self.slots[self.hand];
            if std::mem::take(&mut slot.read_since_sweep) {
                self.hand += 1;
                continue;
            }
            let gone = self.slots.swap_remove(self.hand);
            self.slot_of.remove(&gone.key);
            self.bytes -= gone.bytes.len();
            // The last slot moved into the hand's place: it is the next one looked at.
            if let Some(moved) = self.slots.get(self.hand) {
                self.slot_of.insert(moved.key, self.hand);
            }
            return;
        }
    }
}

impl FragmentCache {
    pub fn get(&self, key: &FragmentKey) -> Option<Arc<[u8]>> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let i = *state.slot_of.get(key)?;
        let slot = &mut state.slots[i];
        slot.read_since_sweep = true;
        Some(slot.bytes.clone())
    }

    pub fn put(&self, key: FragmentKey, bytes: Arc<[u8]>) {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(key, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: i64) -> FragmentKey {
        FragmentKey { id, updated_on: 1, config_version: 1, xml: false }
    }

    #[test]
    fn rendered_items_in_use_survive_eviction_and_memory_stays_bounded() {
        let cache = FragmentCache::default();
        let item: Arc<[u8]> = vec![b'x'; 1024].into();
        let capacity = (FRAGMENT_BYTES / item.len()) as i64;
        // A working set of 90 % of the budget, read in turn, is never evicted by newcomers
        // read once (a scan of other pages).
        let hot = capacity * 9 / 10;
        for id in 0..hot {
            cache.put(key(id), item.clone());
        }
        for round in 0..8 {
            for id in 0..hot {
                assert!(cache.get(&key(id)).is_some(), "hot item {id} kept in round {round}");
            }
            for id in 0..capacity / 20 {
                cache.put(key(1_000_000 + round * capacity + id), item.clone());
            }
        }
        // Twice the budget of new items: the unread ones go, and memory stays within it.
        for id in 0..2 * capacity {
            cache.put(key(10_000_000 + id), item.clone());
        }
        assert!(cache.get(&key(10_000_000)).is_none(), "an item nobody read is gone");
        assert!(cache.get(&key(10_000_000 + 2 * capacity - 1)).is_some(), "the newest is kept");
        let state = cache.state.lock().unwrap();
        let held: usize = state.slots.iter().map(|s| s.bytes.len()).sum();
        assert_eq!(held, state.bytes);
        assert!(held <= FRAGMENT_BYTES, "{held} bytes held");
        assert_eq!(state.slot_of.len(), state.slots.len());
        assert!(state.slot_of.iter().all(|(k, &i)| state.slots[i].key == *k), "the index points at its slots");
        drop(state);
        // Replacing an item keeps one slot and counts its new size.
        cache.put(key(10_000_000 + 2 * capacity - 1), vec![b'y'; 10].into());
        assert_eq!(&*cache.get(&key(10_000_000 + 2 * capacity - 1)).unwrap(), b"y".repeat(10).as_slice());
    }
}
