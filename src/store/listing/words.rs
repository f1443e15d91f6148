//! The contacts whose search text holds a word, as bitmaps: every single character's (built
//! with the index: a one-letter search holds most contacts and only a scan of every text would
//! find them otherwise), and each longer word's once it was searched (found through the
//! trigram index, `contacts::plan`). The writer keeps them all in step with each changed text,
//! so a write never sends a search back to the index.

use std::collections::{HashMap, VecDeque};

use roaring::RoaringBitmap;
use rusqlite::Connection;

use crate::error::Result;

use super::order::contact_id;

/// Bytes of remembered word bitmaps at most (about twice their serialized size); past it the
/// oldest are dropped.
const MAX_WORD_BYTES: usize = 12 << 20;
/// Words held by fewer contacts are not remembered: the trigram index finds them in a few
/// milliseconds, and every remembered word is tested against each text the writer changes.
const REMEMBER_FROM: u64 = 2_000;

#[derive(Default)]
pub struct Words {
    /// Contacts by each character their text holds.
    characters: HashMap<char, RoaringBitmap>,
    /// Contacts by each longer word searched, with the bytes each takes.
    remembered: HashMap<String, (RoaringBitmap, usize)>,
    /// Remembered words, oldest first.
    age: VecDeque<String>,
    bytes: usize,
}

/// The distinct characters of a text.
fn characters(body: &str) -> Vec<char> {
    let mut chars: Vec<char> = body.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    chars
}

impl Words {
    /// The character sets of every search text (in a transaction of the caller's).
    pub fn read_all(conn: &Connection) -> Result<Words> {
        let mut words = Words::default();
        let mut stmt = conn.prepare("SELECT contact_id, body FROM search_texts ORDER BY contact_id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id = contact_id(row.get(0)?)?;
            for c in characters(row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?) {
                super::facets::append(words.characters.entry(c).or_default(), id);
            }
        }
        Ok(words)
    }

    /// The contacts holding `word`, when known without a search.
    pub fn get(&self, word: &str) -> Option<RoaringBitmap> {
        let mut chars = word.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Some(self.characters.get(&c).cloned().unwrap_or_default()),
            _ => self.remembered.get(word).map(|(ids, _)| ids.clone()),
        }
    }

    /// Remembers the contacts holding a word (found at the index's current state), when many.
    pub fn remember(&mut self, word: &str, ids: &RoaringBitmap) {
        if ids.len() < REMEMBER_FROM || self.remembered.contains_key(word) {
            return;
        }
        let bytes = 2 * ids.serialized_size() + word.len();
        while self.bytes + bytes > MAX_WORD_BYTES {
            let Some(oldest) = self.age.pop_front() else { break };
            if let Some((_, b)) = self.remembered.remove(&oldest) {
                self.bytes -= b;
            }
        }
        self.bytes += bytes;
        self.age.push_back(word.to_string());
        self.remembered.insert(word.to_string(), (ids.clone(), bytes));
    }

    /// Brings every set in step with a contact's text as it is now (None: no text, deleted).
    pub fn update(&mut self, id: u32, body: Option<&str>) {
        let held = body.map(characters).unwrap_or_default();
        self.characters.retain(|c, ids| {
            if held.binary_search(c).is_err() {
                ids.remove(id);
            }
            !ids.is_empty()
        });
        for c in held {
            self.characters.entry(c).or_default().insert(id);
        }
        for (word, (ids, _)) in self.remembered.iter_mut() {
            if body.is_some_and(|b| b.contains(word.as_str())) {
                ids.insert(id);
            } else {
                ids.remove(id);
            }
        }
    }

    /// Bytes held, about.
    pub fn bytes(&self) -> usize {
        self.bytes + self.characters.values().map(RoaringBitmap::serialized_size).sum::<usize>()
    }
}

/// The search texts of `ids` as they are now.
pub fn read_texts(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT contact_id, body FROM search_texts WHERE contact_id IN (SELECT value FROM json_each(?))",
    )?;
    let texts = stmt
        .query_map([crate::store::id_list(ids)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(texts)
}
