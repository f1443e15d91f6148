//! The answers the index gave, kept across changes that cannot touch them: an answer notes
//! the change it is current as of and, when they are few, its matches; asked again after
//! later changes, it still holds when none of the contacts changed since was or now is one of
//! its matches (checked by the caller, `Listing::still_holds`), and is then renewed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use roaring::RoaringBitmap;

/// Answers kept at most, and bytes of them; past either they start over.
const MAX_ANSWERS: usize = 4096;
const MAX_BYTES: usize = 2 << 20;
/// Answers with more matches keep none (a change then drops them).
const MAX_KEPT_MATCHES: u64 = 20_000;

struct Answer {
    ids: Arc<[i64]>,
    total: i64,
    /// The change it is current as of.
    at: u64,
    matches: Option<RoaringBitmap>,
    bytes: usize,
}

#[derive(Default)]
struct Answers {
    entries: HashMap<String, Answer>,
    bytes: usize,
}

/// What is known of an answer at change `seq`.
pub enum Lookup {
    Current((Vec<i64>, i64)),
    /// Given at change `at`, with these matches: still good if no change since touched them.
    Older {
        at: u64,
        matches: RoaringBitmap,
        answer: (Vec<i64>, i64),
    },
    Missing,
}

#[derive(Default)]
pub struct Results(Mutex<Answers>);

impl Results {
    fn lock(&self) -> std::sync::MutexGuard<'_, Answers> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, seq: u64, key: &str) -> Lookup {
        let answers = self.lock();
        match answers.entries.get(key) {
            Some(a) if a.at == seq => Lookup::Current((a.ids.to_vec(), a.total)),
            Some(Answer { at, matches: Some(matches), ids, total, .. }) if *at < seq => {
                Lookup::Older { at: *at, matches: matches.clone(), answer: (ids.to_vec(), *total) }
            }
            _ => Lookup::Missing,
        }
    }

    /// Marks an answer given at change `from` as current at `to`.
    pub fn renew(&self, key: &str, from: u64, to: u64) {
        if let Some(a) = self.lock().entries.get_mut(key) {
            if a.at == from {
                a.at = to;
            }
        }
    }

    pub fn clear(&self) {
        let mut answers = self.lock();
        answers.entries.clear();
        answers.bytes = 0;
    }

    /// Keeps an answer current as of change `at`, with its matches when they are few.
    pub fn put(&self, at: u64, key: String, (ids, total): (&[i64], i64), matches: &RoaringBitmap) {
        let matches = (matches.len() <= MAX_KEPT_MATCHES).then(|| matches.clone());
        let bytes = key.len() + ids.len() * 8 + matches.as_ref().map_or(0, |m| 2 * m.serialized_size()) + 64;
        let mut answers = self.lock();
        if answers.entries.len() >= MAX_ANSWERS || answers.bytes + bytes > MAX_BYTES {
            answers.entries.clear();
            answers.bytes = 0;
        }
        answers.bytes += bytes;
        if let Some(old) = answers.entries.insert(key, Answer { ids: ids.into(), total, at, matches, bytes }) {
            answers.bytes = answers.bytes.saturating_sub(old.bytes);
        }
    }
}
