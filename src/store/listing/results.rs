//! The answers the index gave since the last change it applied: a list asked again (a page
//! reloaded, a client polling) costs a lookup. Dropped whole at the next change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Answers kept at most; past it they start over.
const MAX_ANSWERS: usize = 4096;

#[derive(Default)]
struct Answers {
    seq: u64,
    entries: HashMap<String, (Arc<[i64]>, i64)>,
}

#[derive(Default)]
pub struct Results(Mutex<Answers>);

impl Results {
    /// The answer to `key` given at change `seq`.
    pub fn get(&self, seq: u64, key: &str) -> Option<(Vec<i64>, i64)> {
        let answers = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if answers.seq != seq {
            return None;
        }
        answers.entries.get(key).map(|(ids, total)| (ids.to_vec(), *total))
    }

    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).entries.clear();
    }

    /// Keeps an answer computed from the index as of change `began` (`now`: as of the end).
    pub fn put(&self, began: u64, now: u64, key: String, (ids, total): (&[i64], i64)) {
        if began != now {
            return;
        }
        let mut answers = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if answers.seq != now {
            if now < answers.seq {
                return;
            }
            *answers = Answers { seq: now, entries: HashMap::new() };
        }
        if answers.entries.len() >= MAX_ANSWERS {
            answers.entries.clear();
        }
        answers.entries.insert(key, (ids.into(), total));
    }
}
