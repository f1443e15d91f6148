//! The contacts whose search text holds a word, as bitmaps: every single character's (built
//! with the index and kept in step by the writer: a one-letter search holds most contacts and
//! only a scan of every text would find them otherwise), and each set of longer words searched
//! together once it was found (through the trigram index, `contacts::plan`). A remembered set
//! is not thrown away by writes: it notes the change it is current as of, the writer notes
//! which contacts each change touched, and the next search that uses the set tests only their
//! texts again.

use std::collections::{HashMap, VecDeque};

use roaring::RoaringBitmap;
use rusqlite::Connection;

use crate::error::Result;

use super::order::contact_id;

/// Bytes of remembered sets at most (about twice their serialized size); past it, or past
/// [`MAX_REMEMBERED`] sets, the oldest are dropped.
const MAX_WORD_BYTES: usize = 3 << 20;
const MAX_REMEMBERED: usize = 8_192;
/// Changed contacts noted at most; a set older than the oldest noted change is found anew.
const MAX_RECENT: usize = 1 << 16;

struct Remembered {
    ids: RoaringBitmap,
    /// The change it is current as of.
    at: u64,
    bytes: usize,
}

/// The contacts of one character, as whichever set is smaller: those whose text holds it, or,
/// for the characters nearly every text holds (`@`, `.`, `a`: 16 kB at most a set of 65,536
/// ids either way, next to nothing when all hold it), those whose text lacks it.
enum CharacterSet {
    Holding(RoaringBitmap),
    Lacking(RoaringBitmap),
}

impl CharacterSet {
    fn bytes(&self) -> usize {
        match self {
            CharacterSet::Holding(ids) | CharacterSet::Lacking(ids) => ids.serialized_size(),
        }
    }
}

#[derive(Default)]
pub struct Words {
    /// Contacts by each character their text holds.
    characters: HashMap<char, CharacterSet>,
    /// Contacts holding every word of a set, by the set's key (see [`key`]).
    remembered: HashMap<String, Remembered>,
    /// Remembered keys, oldest first.
    age: VecDeque<String>,
    bytes: usize,
    /// Contacts changed lately, with the change (oldest first).
    recent: VecDeque<(u64, u32)>,
    /// Every change after this one is in `recent`.
    recent_since: u64,
}

/// A remembered set found for a search: its contacts as of change `at`, and the contacts
/// changed since (up to the search's own change) whose texts are to be tested again.
pub struct Found {
    pub ids: RoaringBitmap,
    pub changed: Vec<i64>,
}

/// The key of a set of words (sorted, so that `ann lee` and `lee ann` share it).
pub fn key(words: &[String]) -> String {
    let mut sorted: Vec<&str> = words.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.join("\u{0}")
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
        let mut holding: HashMap<char, RoaringBitmap> = HashMap::new();
        let mut every = RoaringBitmap::new();
        let mut stmt = conn.prepare("SELECT contact_id, body FROM search_texts ORDER BY contact_id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id = contact_id(row.get(0)?)?;
            super::facets::append(&mut every, id);
            for c in characters(row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?) {
                super::facets::append(holding.entry(c).or_default(), id);
            }
        }
        let characters = holding
            .into_iter()
            .map(|(c, ids)| {
                let lacking = &every - &ids;
                let set = if lacking.serialized_size() < ids.serialized_size() {
                    CharacterSet::Lacking(lacking)
                } else {
                    CharacterSet::Holding(ids)
                };
                (c, set)
            })
            .collect();
        Ok(Words { characters, ..Words::default() })
    }

    /// Keeps of `matches` (live contacts) those whose text holds `c` (always current).
    pub fn keep_holding(&self, c: char, matches: &mut RoaringBitmap) {
        match self.characters.get(&c) {
            Some(CharacterSet::Holding(ids)) => *matches &= ids,
            Some(CharacterSet::Lacking(ids)) => *matches -= ids,
            None => matches.clear(),
        }
    }

    /// The remembered set of `words`, with what changed since, up to change `upto` (None: not
    /// remembered, or older than the changes noted).
    pub fn find(&self, words: &[String], upto: u64) -> Option<Found> {
        let set = self.remembered.get(&key(words))?;
        let changed = self.changed_since(set.at, upto)?;
        Some(Found { ids: set.ids.clone(), changed })
    }

    /// The contacts changed after change `at` up to `upto` (None: not all noted any more).
    pub fn changed_since(&self, at: u64, upto: u64) -> Option<Vec<i64>> {
        if at < self.recent_since {
            return None;
        }
        let mut changed: Vec<i64> =
            self.recent.iter().filter(|(seq, _)| *seq > at && *seq <= upto).map(|(_, id)| i64::from(*id)).collect();
        changed.sort_unstable();
        changed.dedup();
        Some(changed)
    }

    /// Remembers the contacts holding every one of `words` as of change `at` (replacing an
    /// older set of the same words).
    pub fn remember(&mut self, words: &[String], ids: &RoaringBitmap, at: u64) {
        let key = key(words);
        if let Some(old) = self.remembered.get(&key) {
            if old.at >= at {
                return;
            }
            self.forget(&key);
        }
        let bytes = 2 * ids.serialized_size() + key.len() + 64;
        while self.bytes + bytes > MAX_WORD_BYTES || self.remembered.len() >= MAX_REMEMBERED {
            let Some(oldest) = self.age.pop_front() else { break };
            self.forget(&oldest);
        }
        self.bytes += bytes;
        self.age.push_back(key.clone());
        self.remembered.insert(key, Remembered { ids: ids.clone(), at, bytes });
    }

    fn forget(&mut self, key: &str) {
        if let Some(set) = self.remembered.remove(key) {
            self.bytes -= set.bytes;
        }
    }

    /// Notes the contacts change `seq` touched, and brings the character sets in step with
    /// their texts as they are now (`texts`: None, deleted).
    pub fn changed(&mut self, seq: u64, texts: &[(u32, Option<&str>)]) {
        for &(id, body) in texts {
            let held = body.map(characters);
            let holds = |c: &char| held.as_ref().is_some_and(|held| held.binary_search(c).is_ok());
            self.characters.retain(|c, set| match set {
                CharacterSet::Holding(ids) => {
                    if !holds(c) {
                        ids.remove(id);
                    }
                    !ids.is_empty()
                }
                CharacterSet::Lacking(ids) => {
                    if holds(c) || held.is_none() {
                        ids.remove(id);
                    } else {
                        ids.insert(id);
                    }
                    true
                }
            });
            for c in held.iter().flatten() {
                let set = self.characters.entry(*c).or_insert_with(|| CharacterSet::Holding(RoaringBitmap::new()));
                if let CharacterSet::Holding(ids) = set {
                    ids.insert(id);
                }
            }
            self.recent.push_back((seq, id));
        }
        while self.recent.len() > MAX_RECENT {
            if let Some((dropped, _)) = self.recent.pop_front() {
                self.recent_since = self.recent_since.max(dropped);
            }
        }
    }

    /// Bytes held, about.
    pub fn bytes(&self) -> usize {
        self.bytes + self.recent.len() * 16 + self.characters.values().map(CharacterSet::bytes).sum::<usize>()
    }
}

/// Tests the texts of `changed` contacts for every one of `words` (as they are in `conn`'s
/// snapshot), putting each into `ids` or taking it out.
pub fn retest(conn: &Connection, ids: &mut RoaringBitmap, changed: &[i64], words: &[String]) -> Result<()> {
    let texts = read_texts(conn, changed)?;
    for id in changed {
        let id32 = contact_id(*id)?;
        match texts.get(id) {
            Some(body) if words.iter().all(|w| body.contains(w.as_str())) => ids.insert(id32),
            _ => ids.remove(id32),
        };
    }
    Ok(())
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

/// The contacts of `candidates` whose search text holds every one of `words`.
pub fn texts_holding(conn: &Connection, candidates: &RoaringBitmap, words: &[String]) -> Result<RoaringBitmap> {
    let ids: Vec<i64> = candidates.iter().map(i64::from).collect();
    let tests = vec!["instr(body, ?) > 0"; words.len()].join(" AND ");
    let sql =
        format!("SELECT contact_id FROM search_texts WHERE contact_id IN (SELECT value FROM json_each(?)) AND {tests}");
    let mut values: Vec<rusqlite::types::Value> = vec![rusqlite::types::Value::Text(crate::store::id_list(&ids))];
    values.extend(words.iter().map(|w| rusqlite::types::Value::Text(w.to_string())));
    let held = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(values.iter()), |r| r.get::<_, i64>(0))?
        .map(|id| Ok(contact_id(id?)?))
        .collect::<Result<RoaringBitmap>>()?;
    Ok(held)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character's contacts among `texts`, as the sets answer and as the texts say.
    fn check(words: &Words, texts: &HashMap<u32, &str>) {
        let live: RoaringBitmap = texts.keys().copied().collect();
        for c in ['a', '@', 'z', 'q', 'n'] {
            let mut kept = live.clone();
            words.keep_holding(c, &mut kept);
            let holding: RoaringBitmap = texts.iter().filter(|(_, t)| t.contains(c)).map(|(id, _)| *id).collect();
            assert_eq!(kept, holding, "{c:?}");
        }
    }

    #[test]
    fn character_sets_held_either_way_follow_changes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE search_texts (contact_id INTEGER PRIMARY KEY, body TEXT NOT NULL)").unwrap();
        let mut texts: HashMap<u32, &str> = HashMap::new();
        for id in 1..=10u32 {
            let body = match id {
                3 => "bo@x",
                5 => "zara@x",
                _ => "anna@x",
            };
            conn.execute("INSERT INTO search_texts VALUES (?, ?)", rusqlite::params![id, body]).unwrap();
            texts.insert(id, body);
        }
        let mut words = Words::read_all(&conn).unwrap();
        // Nearly every text holds `a`, every one `@`: those are kept as the texts lacking them.
        assert!(matches!(words.characters[&'a'], CharacterSet::Lacking(_)));
        assert!(matches!(words.characters[&'@'], CharacterSet::Lacking(_)));
        assert!(matches!(words.characters[&'z'], CharacterSet::Holding(_)));
        check(&words, &texts);
        let changes: [(u32, Option<&str>); 4] = [(3, Some("an@")), (4, Some("zz")), (11, Some("new@")), (6, None)];
        words.changed(1, &changes);
        for (id, body) in changes {
            match body {
                Some(body) => texts.insert(id, body),
                None => texts.remove(&id),
            };
        }
        check(&words, &texts);
    }
}
