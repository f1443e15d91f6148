//! The search planner: the contacts whose search text holds every word of a search, found
//! from the trigram index by the cheapest of several plans (see `store::search`), and
//! remembered per data version when few enough.

use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use crate::error::Result;
use crate::store::cache::{Listed, TrigramCache};
use crate::store::{id_list, long_read, search, search_doclists};

use super::ListCaches;

/// How many contacts hold `trigram` (remembered: FTS5's vocabulary answers in tens of µs).
fn trigram_docs(conn: &Connection, cache: &TrigramCache, trigram: &str) -> Result<i64> {
    if let Some(docs) = cache.get(trigram) {
        return Ok(docs);
    }
    let docs = conn
        .prepare_cached("SELECT doc FROM contacts_search_terms WHERE term = ?")?
        .query_row([trigram], |r| r.get::<_, i64>(0))
        .optional()?
        .unwrap_or(0);
    cache.put(trigram, docs);
    Ok(docs)
}

/// The two rarest of a word's trigrams, with how many contacts hold each.
fn rarest_trigrams(conn: &Connection, cache: &TrigramCache, trigrams: &[String]) -> Result<Vec<(i64, String)>> {
    let mut counted =
        trigrams.iter().map(|t| Ok((trigram_docs(conn, cache, t)?, t.clone()))).collect::<Result<Vec<_>>>()?;
    counted.sort();
    counted.truncate(2);
    Ok(counted)
}

/// The contacts whose search text holds every word, when few enough to remember (at most
/// `Tuning::max_remembered_matches`): found once
/// per data version. None when more match (the count and the page then test the words in
/// their own statements, where SQLite can stop early or walk an index).
pub(super) fn search_matches(
    conn: &Connection,
    caches: &ListCaches,
    words: &[String],
) -> Result<Option<(String, Arc<str>)>> {
    let key = format!("matches\u{1}{words:?}");
    match caches.counts.get(caches.data_version, &key) {
        Some(Listed::Matches(ids)) => return Ok(Some((key, ids))),
        Some(_) => return Ok(None),
        None => {}
    }
    let plan = search::plan(words);
    let ids: Vec<i64> = if plan.one_char_words.is_empty() {
        long_read(|| index_matches(conn, caches.trigrams, &plan))?.first(caches.tuning.max_remembered_matches + 1)
    } else {
        let (sql, values) = matching_ids_sql(conn, caches.trigrams, words)?;
        long_read(|| {
            conn.prepare_cached(&format!("{sql} LIMIT {}", caches.tuning.max_remembered_matches + 1))?
                .query_map(params_from_iter(values.iter()), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
        })?
    };
    if ids.len() > caches.tuning.max_remembered_matches {
        // Too many: a marker that the statements below test the words themselves.
        caches.counts.put(caches.data_version, key, Listed::Count(ids.len() as i64));
        return Ok(None);
    }
    let ids: Arc<str> = id_list(&ids).into();
    caches.counts.put(caches.data_version, key.clone(), Listed::Matches(ids.clone()));
    Ok(Some((key, ids)))
}

/// The contacts whose search text holds every one of `words`, all of them, as a bitmap (the
/// list index remembers a single word's), by the cheapest plan for them together (a word of
/// one character: every text is read).
pub(in crate::store) fn words_matches(
    conn: &Connection,
    trigrams: &TrigramCache,
    words: &[String],
) -> Result<roaring::RoaringBitmap> {
    let plan = search::plan(words);
    if plan.impossible {
        return Ok(roaring::RoaringBitmap::new());
    }
    if plan.one_char_words.is_empty() {
        // Straight from the bitmap over ids: half a million matches as a list of ids would
        // take 4 MB (8 with its spare capacity) a request.
        return Ok(index_matches(conn, trigrams, &plan)?.to_bitmap());
    }
    let tests = vec!["instr(body, ?) > 0"; words.len()].join(" AND ");
    let mut stmt = conn.prepare_cached(&format!("SELECT contact_id FROM search_texts WHERE {tests}"))?;
    let ids = stmt.query_map(params_from_iter(words.iter()), |r| r.get::<_, i64>(0))?;
    let mut set = roaring::RoaringBitmap::new();
    for id in ids {
        if let Ok(id) = u32::try_from(id?) {
            set.insert(id);
        }
    }
    Ok(set)
}

/// Cost units of the lookup plans below: one doclist entry FTS5 decodes costs 1; reading one
/// contact's search text to test a word costs this many (a B-tree descent and a page read from
/// the OS cache, against ~75 ns per entry; both measured at a million contacts).
const TEXT_TEST_COST: i64 = 60;

/// A set of contact ids: a bitmap over ids (125 kB a million), since a common word or pair of
/// letters is held by most contacts.
#[derive(Default)]
struct IdSet(Vec<u64>);

impl IdSet {
    fn insert(&mut self, id: i64) {
        let id = usize::try_from(id).unwrap_or(0);
        if self.0.len() <= id / 64 {
            self.0.resize(id / 64 + 1, 0);
        }
        self.0[id / 64] |= 1 << (id % 64);
    }

    fn intersect(self, other: IdSet) -> IdSet {
        IdSet(self.0.iter().zip(&other.0).map(|(a, b)| a & b).collect())
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The first `limit` ids, ascending.
    fn first(&self, limit: usize) -> Vec<i64> {
        self.ids().take(limit).collect()
    }

    /// The same set as a roaring bitmap, made from the bits a container at a time.
    fn to_bitmap(&self) -> roaring::RoaringBitmap {
        let bytes: Vec<u8> = self.0.iter().flat_map(|word| word.to_le_bytes()).collect();
        roaring::RoaringBitmap::from_lsb0_bytes(0, &bytes)
    }

    /// The ids, ascending.
    fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.0.iter().enumerate().flat_map(|(i, word)| {
            let mut w = *word;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let bit = w.trailing_zeros() as usize;
                    w &= w - 1;
                    (i * 64 + bit) as i64
                })
            })
        })
    }
}

/// Adds the ids a statement yields to `set`.
fn collect_ids(set: &mut IdSet, stmt: &mut rusqlite::CachedStatement, params: impl rusqlite::Params) -> Result<()> {
    // Rows read raw: up to a million of them for a two-letter word, where the checked
    // `get` and its conversion were a tenth of the time.
    let mut rows = stmt.query(params)?;
    while let Some(row) = rows.next()? {
        // A rowid always is an integer.
        if let Ok(id) = row.get_ref_unwrap(0).as_i64() {
            set.insert(id);
        }
    }
    Ok(())
}

/// The contacts whose search text holds every word of `plan` (which has no one-character
/// words), from the trigram index. Long words: see
/// [`long_word_matches`]. A two-character word: the union of the contacts holding a trigram
/// it starts (see `store::search`), or, when the long words left few contacts, a test of
/// their texts, whichever reads less.
fn index_matches(conn: &Connection, counts: &TrigramCache, plan: &search::SearchPlan) -> Result<IdSet> {
    let mut matches = long_word_matches(conn, counts, &plan.long_words)?;
    // With a long word as the anchor, FTS5 can intersect a two-letter word inside one statement.
    let anchor = if plan.two_char_words.is_empty() { None } else { cheapest_phrase(conn, counts, &plan.long_words)? };
    for word in &plan.two_char_words {
        let starting = match counts.starting_with(word) {
            Some(listed) => listed,
            None => trigrams_starting_with(conn, word)?,
        };
        let union_cost: i64 = starting.iter().map(|(_, docs)| docs).sum();
        matches = Some(match matches.take() {
            Some(so_far) if so_far.is_empty() => return Ok(so_far),
            Some(so_far) => {
                let test_cost = so_far.len() as i64 * TEXT_TEST_COST;
                let in_index =
                    anchor.filter(|(_, cost)| (cost + union_cost) / IN_INDEX_SPEEDUP < test_cost.min(union_cost));
                if let Some((anchor, _)) = in_index {
                    let mut stmt =
                        conn.prepare_cached("SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?")?;
                    let starts: Vec<&str> = starting.iter().map(|(t, _)| t.as_str()).collect();
                    let query = format!("{} AND ({})", search::match_all(&[anchor]), search::match_any(&starts));
                    let mut holding = IdSet::default();
                    collect_ids(&mut holding, &mut stmt, [query])?;
                    so_far.intersect(holding)
                } else if test_cost < union_cost {
                    let ids = so_far.first(usize::MAX);
                    let mut test = conn.prepare_cached(
                        "SELECT contact_id FROM search_texts
                          WHERE contact_id IN (SELECT value FROM json_each(?1)) AND instr(body, ?2) > 0",
                    )?;
                    let mut holding = IdSet::default();
                    collect_ids(&mut holding, &mut test, params![id_list(&ids), word])?;
                    holding
                } else {
                    so_far.intersect(holders_of_prefix(conn, word, &starting)?)
                }
            }
            None => holders_of_prefix(conn, word, &starting)?,
        });
    }
    Ok(matches.unwrap_or_default())
}

/// FTS5 walks and intersects doclists inside one statement several times faster than their
/// rows come out of statements (`"guo" AND ("na…" OR …)`, 514k entries, 7.9 ms, against about
/// 140 ns an entry as rows, at a million contacts).
const IN_INDEX_SPEEDUP: i64 = 8;

/// The long word whose phrase reads the fewest doclist entries, with that count (None: no
/// long word).
fn cheapest_phrase<'w>(
    conn: &Connection,
    counts: &TrigramCache,
    long_words: &'w [(String, Vec<String>)],
) -> Result<Option<(&'w str, i64)>> {
    let mut best: Option<(&str, i64)> = None;
    for (word, trigrams) in long_words {
        let mut cost = 0;
        for t in trigrams {
            cost += trigram_docs(conn, counts, t)?;
        }
        if best.is_none_or(|(_, c)| cost < c) {
            best = Some((word, cost));
        }
    }
    Ok(best)
}

/// How many times more candidates than the words' independent shares predict a plan allows
/// for: first and last names go together more often than chance (a family name with the given
/// names of its language).
const WORD_CORRELATION_SLACK: f64 = 4.0;

/// How many contacts hold the rarest trigram of every word, given how many hold each word's
/// (`per_word`): their independent shares of `contacts`, with slack, and never more than the
/// rarest word's.
fn expected_candidates(contacts: i64, per_word: &[i64]) -> i64 {
    let fewest = per_word.iter().copied().min().unwrap_or(0);
    let contacts = contacts.max(1) as f64;
    let share: f64 = per_word.iter().map(|docs| *docs as f64 / contacts).product();
    ((contacts * share * WORD_CORRELATION_SLACK) as i64).clamp(fewest.min(1), fewest)
}

/// The highest contact id: the number of contacts, give or take the deleted ones.
pub(super) fn contacts_upper_bound(conn: &Connection) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT COALESCE(max(id), 0) FROM contacts")?.query_row([], |r| r.get(0))?)
}

/// The contacts holding a trigram beginning with `word` (listed in `starting`), read from the
/// index's pages, or from FTS5 if they are in a form that reader does not know.
fn holders_of_prefix(conn: &Connection, word: &str, starting: &[(String, i64)]) -> Result<IdSet> {
    let mut holders = IdSet::default();
    if search_doclists::holders_of_prefix(conn, word, &mut |id| holders.insert(id))? {
        return Ok(holders);
    }
    tracing::warn!(word, "search index pages in an unknown form: asked FTS5 instead");
    holders_of_any(conn, starting)
}

/// The contacts holding any of these trigrams.
fn holders_of_any(conn: &Connection, trigrams: &[(String, i64)]) -> Result<IdSet> {
    let mut holders = IdSet::default();
    let mut holding = conn.prepare_cached("SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?")?;
    for (trigram, _) in trigrams {
        collect_ids(&mut holders, &mut holding, [search::match_all(&[trigram.as_str()])])?;
    }
    Ok(holders)
}

/// The contacts holding every one of the long words (None when there are none), by the
/// cheaper of two plans: each word as an FTS5 phrase (exact, since a phrase of consecutive
/// trigrams is a substring, but every trigram's doclist is read: right for common words), or
/// the two rarest trigrams of each word with each candidate's text tested (right when one of
/// the words is rare, like an e-mail address, or when the words together are: `michael
/// collins` has 133 candidates from four doclists, 1 ms, against 4.5 ms for the phrases). A
/// word inside another word is implied by it.
fn long_word_matches(
    conn: &Connection,
    counts: &TrigramCache,
    long_words: &[(String, Vec<String>)],
) -> Result<Option<IdSet>> {
    let words: Vec<&(String, Vec<String>)> = long_words
        .iter()
        .enumerate()
        .filter(|(i, (word, _))| {
            !long_words.iter().enumerate().any(|(j, (other, _))| {
                // Of two equal words, the first one stays.
                j != *i && other.contains(word.as_str()) && (other != word || j < *i)
            })
        })
        .map(|(_, w)| w)
        .collect();
    if words.is_empty() {
        return Ok(None);
    }
    let mut phrase_cost = 0;
    let mut rarest: Vec<(i64, String)> = Vec::new();
    let mut per_word = Vec::new();
    for (_, trigrams) in &words {
        for t in trigrams {
            phrase_cost += trigram_docs(conn, counts, t)?;
        }
        let two = rarest_trigrams(conn, counts, trigrams)?;
        per_word.push(two.first().map_or(0, |(docs, _)| *docs));
        rarest.extend(two);
    }
    let candidates = expected_candidates(contacts_upper_bound(conn)?, &per_word);
    let candidates_cost = rarest.iter().map(|(docs, _)| docs).sum::<i64>() + candidates * TEXT_TEST_COST;
    let mut found = IdSet::default();
    if phrase_cost <= candidates_cost {
        let phrases: Vec<&str> = words.iter().map(|(word, _)| word.as_str()).collect();
        let mut stmt = conn.prepare_cached("SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?")?;
        collect_ids(&mut found, &mut stmt, [search::match_all(&phrases)])?;
    } else {
        let kept: Vec<String> = words.iter().map(|(word, _)| word.clone()).collect();
        let (sql, values) = matching_ids_sql(conn, counts, &kept)?;
        collect_ids(&mut found, &mut conn.prepare_cached(&sql)?, params_from_iter(values.iter()))?;
    }
    Ok(Some(found))
}

/// The trigrams of the index that begin with `prefix`, with how many contacts hold each, from
/// FTS5's vocabulary (whose rows come in term order, so the walk stops at the first term past
/// them).
fn trigrams_starting_with(conn: &Connection, prefix: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached("SELECT term, doc FROM contacts_search_terms WHERE term >= ?")?;
    let mut rows = stmt.query([prefix])?;
    let mut found = Vec::new();
    while let Some(row) = rows.next()? {
        let term: String = row.get(0)?;
        if !term.starts_with(prefix) {
            break;
        }
        found.push((term, row.get(1)?));
    }
    Ok(found)
}

/// A statement yielding exactly the ids of contacts whose search text holds every word:
/// candidates from the two rarest trigrams of each long word, each word then checked whole
/// (a search of short words only tests every search text: two-character words reach this
/// only when they match too many contacts to remember, see `search_matches`).
pub(super) fn matching_ids_sql(
    conn: &Connection,
    trigram_counts: &TrigramCache,
    words: &[String],
) -> Result<(String, Vec<Value>)> {
    let plan = search::plan(words);
    let mut lookup: Vec<String> = Vec::new();
    for (_, trigrams) in &plan.long_words {
        lookup.extend(rarest_trigrams(conn, trigram_counts, trigrams)?.into_iter().map(|(_, t)| t));
    }
    let mut values: Vec<Value> = Vec::new();
    let tests = vec!["instr(st.body, ?) > 0"; words.len()].join(" AND ");
    let sql = if lookup.is_empty() {
        format!("SELECT st.contact_id FROM search_texts st WHERE {tests}")
    } else {
        let trigrams: Vec<&str> = lookup.iter().map(String::as_str).collect();
        values.push(Value::Text(search::match_all(&trigrams)));
        format!(
            "SELECT st.contact_id FROM contacts_search JOIN search_texts st ON st.contact_id = contacts_search.rowid
              WHERE contacts_search MATCH ? AND {tests}"
        )
    };
    values.extend(words.iter().map(|word| Value::Text(word.clone())));
    Ok((sql, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::changes::ContactChanges;
    use crate::domain::query::{ContactQuery, Visibility};
    use crate::store::contacts::{create, list_ids};
    use crate::store::test_support::{open_small, wait_for, written};

    #[test]
    fn a_two_letter_search_finds_texts_written_after_the_trigram_census() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_small(&dir.path().join("t.db"));
        wait_for("the trigram census", || store.trigrams.starting_with("").is_some());
        written(&store, |c| {
            for first in ["Qzwyx", "Bqzo", "Plain"] {
                create(c, &ContactChanges { first_name: Some(first.into()), ..Default::default() })?;
            }
            Ok(())
        });
        // The census is from before: only what the writer noted lists `qzw` and `qzo`.
        assert!(store.trigrams.starting_with("qz").is_some_and(|t| t.len() == 2));
        let mut q = ContactQuery::new(Visibility::Everything);
        q.search_words = vec!["qz".into()];
        let caches = store.list_caches();
        let (ids, total) = store.read(|c| list_ids(c, &caches, &q, 0, 5)).unwrap();
        assert_eq!((ids.len(), total), (2, 2));
    }
    #[test]
    fn searches_with_two_letter_words_find_exactly_the_texts_holding_every_word() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_small(&dir.path().join("t.db"));
        written(&store, |c| {
            let (firsts, lasts) = (["Na", "Li", "Guo", "Xu", "Nan", "Hena"], ["Guo", "He", "Lin", "Xuna", "Ng"]);
            for i in 0..240 {
                let changes = ContactChanges {
                    first_name: Some(format!("{}{}", firsts[i % 6], if i % 7 == 0 { " Li" } else { "" })),
                    last_name: Some(Some(lasts[i % 5].to_string())),
                    ..Default::default()
                };
                create(c, &changes)?;
            }
            Ok(())
        });
        // Reopened, so that the trigram census counts these texts and the plans weigh them.
        drop(store);
        let store = open_small(&dir.path().join("t.db"));
        wait_for("the trigram census", || store.trigrams.starting_with("").is_some());
        for words in [&["guo", "na"][..], &["li", "na"], &["he", "na", "xu"], &["zz", "guo"], &["lin", "na", "li"]] {
            let mut q = ContactQuery::new(Visibility::Everything);
            q.search_words = words.iter().map(|w| w.to_string()).collect();
            let (_, total) = store.read(|c| list_ids(c, &store.list_caches(), &q, 0, 5)).unwrap();
            let tests = vec!["instr(body, ?) > 0"; words.len()].join(" AND ");
            let expected: i64 = store
                .read(|c| {
                    let sql = format!("SELECT count(*) FROM search_texts WHERE {tests}");
                    Ok(c.query_row(&sql, params_from_iter(words.iter()), |r| r.get(0))?)
                })
                .unwrap();
            assert_eq!(total, expected, "{words:?}");
        }
    }

    #[test]
    fn candidates_of_several_words_are_expected_from_their_shares() {
        // `michael collins` at a million: `ael` 8,586, `col` 15,568 contacts; 133 hold both words.
        assert_eq!(expected_candidates(1_000_000, &[8_586, 15_568]), 534);
        assert_eq!(expected_candidates(1_000_000, &[8_586]), 8_586, "one word: its own count");
        assert_eq!(expected_candidates(100, &[90, 80]), 80, "never more than the rarest word");
        assert_eq!(expected_candidates(0, &[0, 5]), 0);
    }
}
