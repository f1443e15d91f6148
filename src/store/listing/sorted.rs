//! The last page's candidates in list order, kept for the next page. A client paging through
//! a list (a client library fetching everything, 100 at a time) asks for pages that fall in the
//! same buckets — a bucket of 256 holds two or three such pages — and each page would otherwise
//! have SQLite read and sort those buckets' rows again. The buckets of an order follow each
//! other in list order, so the candidates of a page whose buckets the last sort covered are, in
//! list order, the last sort's ids filtered to them.

use std::collections::HashSet;
use std::sync::Mutex;

use super::order::OrderSpec;

/// What decides a sort's outcome besides its ids: the order, its direction, the index's change
/// count (the data as the reader's snapshot holds it) and the configuration version (user names).
#[derive(Clone, PartialEq)]
pub struct SortedAt {
    pub spec: OrderSpec,
    pub desc: bool,
    pub seq: u64,
    pub config_version: u64,
}

struct Sorted {
    at: SortedAt,
    ids: Vec<i64>,
    members: HashSet<i64>,
}

#[derive(Default)]
pub struct LastSorted(Mutex<Option<Sorted>>);

impl LastSorted {
    /// `candidates` in list order, when the last sort (at the same `at`) held every one of them.
    pub fn get(&self, at: &SortedAt, candidates: &[i64]) -> Option<Vec<i64>> {
        let last = self.0.lock().ok()?;
        let last = last.as_ref().filter(|last| last.at == *at)?;
        if !candidates.iter().all(|id| last.members.contains(id)) {
            return None;
        }
        let wanted: HashSet<i64> = candidates.iter().copied().collect();
        Some(last.ids.iter().copied().filter(|id| wanted.contains(id)).collect())
    }

    /// Keeps `ids`, sorted in list order at `at`, for the next page.
    pub fn put(&self, at: SortedAt, ids: &[i64]) {
        if let Ok(mut last) = self.0.lock() {
            *last = Some(Sorted { at, ids: ids.to_vec(), members: ids.iter().copied().collect() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::SortKey;

    #[test]
    fn the_last_sort_serves_only_its_own_ids_at_its_own_state() {
        let at = SortedAt { spec: OrderSpec(vec![SortKey::City]), desc: false, seq: 7, config_version: 1 };
        let last = LastSorted::default();
        assert_eq!(last.get(&at, &[1]), None);
        last.put(at.clone(), &[30, 10, 20, 40]);
        // Some of its ids: in its order; one it did not sort: sorted anew.
        assert_eq!(last.get(&at, &[40, 10, 30]), Some(vec![30, 10, 40]));
        assert_eq!(last.get(&at, &[10, 50]), None);
        // A change since, another direction, order or configuration: sorted anew.
        for other in [
            SortedAt { seq: 8, ..at.clone() },
            SortedAt { desc: true, ..at.clone() },
            SortedAt { spec: OrderSpec(vec![SortKey::Region]), ..at.clone() },
            SortedAt { config_version: 2, ..at.clone() },
        ] {
            assert_eq!(last.get(&other, &[10]), None);
        }
    }
}
