//! The list index: what a contact list needs to be counted and paged in time that does not grow
//! with the matches or the offset, held in memory and kept in step by the single writer (a
//! write changes it instead of throwing results away).
//!
//! - `facets`: the contacts of each tag, project, assignee, author, visibility and type as
//!   compressed bitmaps; a list's filters are set operations on them and its count a
//!   cardinality;
//! - `words`: the contacts holding each character, and each set of words once searched;
//! - `order` and `spec`: each sort order as buckets of about 256 contacts, so that a page at
//!   any offset sorts a few hundred rows; what an order sorts by and how its keys compare;
//! - `results`: answers given, kept across changes that touch none of their matches;
//! - `build`: building it on a background thread at start, every order after it; `feed`: how
//!   the writer notes the contacts a transaction changed;
//! - this file: [`Listing::answer`], which the list query asks first, and the changes the
//!   writer applies after each commit (logged for builds under way). A list the index cannot
//!   answer (text, date or custom field filters, several sort columns, or an index not built
//!   yet) is answered by SQL as before (`contacts::list`).

mod build;
mod cut;
mod facets;
mod feed;
mod labels;
mod order;
mod packed;
mod results;
mod sorted;
mod spec;
mod words;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use roaring::RoaringBitmap;
use rusqlite::Connection;

use crate::domain::query::{ContactQuery, SortKey};
use crate::error::Result;

use super::cache::TrigramCache;
use super::contacts::words_matches;
use super::locking::DbFile;
use super::{long_read, search};
use facets::Facets;
use order::{Order, OrderSpec};
use words::Words;

pub use build::release_freed_memory;
pub use feed::{prepare as prepare_writer, ListingFeed};

/// Orders other than the default one kept at most (1 to 1.7 MB each at a million contacts);
/// the one used longest ago gives way.
const MAX_OTHER_ORDERS: usize = 20;
/// Search candidates at most whose texts are tested for the remaining words (a text read and
/// tested costs about as much as 60 doclist entries: 3,000 texts, a few milliseconds).
const TEST_TEXTS_BELOW: u64 = 3_000;
/// How long a list waits for an order another thread is building before SQL sorts it.
const ORDER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// Changes logged at most for builds under way; past it they start over.
const MAX_LOG: usize = 1 << 20;
/// A batch changing more contacts than this (an import) has the index built anew rather
/// than each contact re-read.
const REBUILD_ABOVE: usize = 50_000;

struct Held {
    order: Order,
    used: AtomicU64,
    /// The configuration version its user names were read at (orders by assignee or author).
    config_version: u64,
}

struct Index {
    facets: Facets,
    words: Words,
    /// The default order first.
    orders: Vec<Held>,
}

#[derive(Default)]
struct State {
    index: Option<Index>,
    /// Counts the change batches applied.
    seq: u64,
    /// Builds under way: while there are any, changed ids are logged for them to catch up.
    builds: usize,
    log: Vec<(u64, u32)>,
    /// Log entries up to this batch were dropped: a build begun before cannot catch up.
    dropped_through: u64,
    full_build_running: bool,
    orders_building: Vec<Vec<SortKey>>,
}

pub struct Listing {
    state: RwLock<State>,
    /// Answers given since the last change (the same list asked again costs a lookup).
    results: results::Results,
    /// The last page's candidates in list order (the next page often falls in the same buckets).
    last_sorted: sorted::LastSorted,
    file: DbFile,
    /// The store's configuration version (orders by user name are rebuilt when it moves).
    config_version: Arc<AtomicU64>,
    /// Counts lists answered, to tell which order was used longest ago.
    uses: AtomicU64,
    /// Contacts per bucket of an order (`Tuning::list_bucket`).
    bucket: usize,
    /// Off: never built, every list answered by SQL (`Tuning::background_indexes`).
    enabled: bool,
    me: Weak<Listing>,
}

/// The order a list asks for, as the index holds orders.
enum Wanted {
    ById { desc: bool },
    Order { spec: OrderSpec, desc: bool },
}

fn wanted_order(q: &ContactQuery) -> Option<Wanted> {
    match q.sort.as_slice() {
        [] => Some(Wanted::Order { spec: OrderSpec::default_order(), desc: false }),
        [(SortKey::Id, desc)] => Some(Wanted::ById { desc: *desc }),
        [(SortKey::Custom { .. }, _)] => None,
        [(key, desc)] => Some(Wanted::Order { spec: OrderSpec(vec![*key]), desc: *desc }),
        _ => None,
    }
}

/// Whether every filter of the list is one the index holds.
fn answerable(q: &ContactQuery) -> bool {
    q.text.is_empty()
        && q.created_on.is_none()
        && q.updated_on.is_none()
        && q.last_note.is_none()
        && q.has_deals.is_none()
        && q.custom.is_empty()
}

impl Listing {
    pub fn new(file: DbFile, config_version: Arc<AtomicU64>, bucket: usize, enabled: bool) -> Arc<Listing> {
        Arc::new_cyclic(|me| Listing {
            state: RwLock::default(),
            results: Default::default(),
            last_sorted: Default::default(),
            file,
            config_version,
            uses: AtomicU64::new(0),
            bucket,
            enabled,
            me: me.clone(),
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the index is built (lists are answered from it).
    #[cfg(test)]
    pub fn is_built(&self) -> bool {
        self.read().index.is_some()
    }

    /// Checks every order's buckets against the database (tests).
    #[cfg(test)]
    pub fn verify(&self, conn: &Connection) {
        if let Some(index) = self.read().index.as_ref() {
            index.orders.iter().for_each(|h| h.order.verify(conn));
        }
    }

    /// Bytes the index holds, roughly (for the benchmarks' account of memory).
    pub fn bytes(&self) -> usize {
        self.read()
            .index
            .as_ref()
            .map_or(0, |i| i.facets.bytes() + i.words.bytes() + i.orders.iter().map(|h| h.order.bytes()).sum::<usize>())
    }

    /// One page of a contact list and its count, when the index can answer it (None: the
    /// caller asks SQL). `conn` is in the list's read transaction, begun after this was called
    /// (the words found through it are remembered only if no change was applied since).
    pub fn answer(
        &self,
        conn: &Connection,
        trigrams: &TrigramCache,
        q: &ContactQuery,
        (offset, limit): (i64, i64),
    ) -> Result<Option<(Vec<i64>, i64)>> {
        let (Some(wanted), true) = (wanted_order(q), answerable(q)) else { return Ok(None) };
        let seq = {
            let state = self.read();
            if state.index.is_none() {
                return Ok(None);
            }
            state.seq
        };
        let key = format!("{q:?}\u{1}{offset}\u{1}{limit}\u{1}{}", self.config_version());
        match self.results.get(seq, &key) {
            results::Lookup::Current(answer) => return Ok(Some(answer)),
            results::Lookup::Older { at, matches, answer } => {
                if self.still_holds(conn, q, (at, seq), &matches)? {
                    self.results.renew(&key, at, seq);
                    return Ok(Some(answer));
                }
            }
            results::Lookup::Missing => {}
        }
        if let Wanted::Order { spec, .. } = &wanted {
            if !self.ensure_order(spec) {
                return Ok(None);
            }
        }
        let facet_matches = match self.read().index.as_ref() {
            Some(index) => index.facets.matching(q),
            None => return Ok(None),
        };
        let matches = self.search_within(conn, trigrams, facet_matches, &q.search_words, seq)?;
        let (offset, limit) = (offset.max(0) as u64, limit.max(0) as u64);
        let state = self.read();
        // (Read once: the lock is not taken again while held, which would wait behind a writer.)
        let current = state.seq;
        let Some(index) = state.index.as_ref() else { return Ok(None) };
        let total = matches.len() as i64;
        let page = match wanted {
            Wanted::ById { desc } => by_id(&matches, desc, offset, limit),
            _ if offset >= total as u64 => Vec::new(),
            Wanted::Order { spec, desc } => {
                let Some(held) = index.orders.iter().find(|h| h.order.spec == spec) else { return Ok(None) };
                held.used.store(self.uses.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
                // The matches are live contacts, and the order holds every one of them.
                let everything = matches.len() == held.order.len();
                let candidates = held.order.page(&matches, everything, desc, offset, limit);
                drop(state);
                let at = sorted::SortedAt { spec, desc, seq, config_version: self.config_version() };
                let in_order = match self.last_sorted.get(&at, &candidates.candidates) {
                    Some(in_order) => in_order,
                    None => {
                        let in_order = at.spec.sort_candidates(conn, desc, &candidates.candidates)?;
                        if current == seq {
                            self.last_sorted.put(at, &in_order);
                        }
                        in_order
                    }
                };
                in_order.into_iter().skip(candidates.skip as usize).take(limit as usize).collect()
            }
        };
        if current == seq {
            self.results.put(seq, key, (&page, total), &matches);
        }
        Ok(Some((page, total)))
    }

    /// The contacts of `matches` whose search text holds every word. Words the index knows
    /// (characters, remembered words) are intersected first; when few contacts are left their
    /// texts are tested for the other words directly (cheaper than a common word's doclists),
    /// otherwise the trigram index finds the other words together (`contacts::plan`: the
    /// rarest trigrams of several words make few candidates), and one word found alone is
    /// remembered.
    fn search_within(
        &self,
        conn: &Connection,
        trigrams: &TrigramCache,
        mut matches: RoaringBitmap,
        words: &[String],
        seq: u64,
    ) -> Result<RoaringBitmap> {
        if words.is_empty() {
            return Ok(matches);
        }
        if search::plan(words).impossible {
            return Ok(RoaringBitmap::new());
        }
        // One character: its set, always current. Longer words: their set as remembered
        // (brought up to date), or found now.
        let mut longer: Vec<String> = Vec::new();
        for word in words.iter().collect::<BTreeSet<_>>() {
            let mut chars = word.chars();
            match (chars.next(), chars.next(), self.read().index.as_ref()) {
                (Some(c), None, Some(index)) => index.words.keep_holding(c, &mut matches),
                _ => longer.push(word.clone()),
            }
        }
        if longer.is_empty() || matches.is_empty() {
            return Ok(matches);
        }
        let found = self.read().index.as_ref().and_then(|i| i.words.find(&longer, seq));
        let ids = match found {
            Some(words::Found { mut ids, changed }) => {
                if !changed.is_empty() {
                    long_read(|| words::retest(conn, &mut ids, &changed, &longer))?;
                    self.remember(&longer, &ids, seq);
                }
                ids
            }
            // Few candidates: their texts are tested (the set is not remembered).
            None if matches.len() <= TEST_TEXTS_BELOW => {
                return long_read(|| words::texts_holding(conn, &matches, &longer));
            }
            None => {
                let ids = long_read(|| words_matches(conn, trigrams, &longer))?;
                self.remember(&longer, &ids, seq);
                ids
            }
        };
        matches &= ids;
        Ok(matches)
    }

    /// Whether an answer given at change `at` with these `matches` still holds at `upto`: no
    /// contact changed since was one of them or is now one (`conn`'s snapshot is at least as
    /// new as `upto`).
    fn still_holds(
        &self,
        conn: &Connection,
        q: &ContactQuery,
        (at, upto): (u64, u64),
        matches: &RoaringBitmap,
    ) -> Result<bool> {
        let candidates = {
            let state = self.read();
            let Some(index) = state.index.as_ref() else { return Ok(false) };
            let Some(changed) = index.words.changed_since(at, upto) else { return Ok(false) };
            let changed: RoaringBitmap = changed.iter().filter_map(|id| u32::try_from(*id).ok()).collect();
            if !(&changed & matches).is_empty() {
                return Ok(false);
            }
            index.facets.matching_within(q, &changed)
        };
        if candidates.is_empty() {
            return Ok(true);
        }
        if q.search_words.is_empty() {
            return Ok(false);
        }
        let ids: Vec<i64> = candidates.iter().map(i64::from).collect();
        let texts = words::read_texts(conn, &ids)?;
        Ok(!texts.values().any(|body| q.search_words.iter().all(|w| body.contains(w.as_str()))))
    }

    /// Remembers a set of words found in a snapshot at least as new as change `seq`.
    fn remember(&self, words: &[String], ids: &RoaringBitmap, seq: u64) {
        if let Some(index) = self.write().index.as_mut() {
            index.words.remember(words, ids, seq);
        }
    }

    /// Makes sure the index holds `spec` (built on this thread if no other is building it,
    /// else waited for): false when it could not be had (lists are then sorted by SQL).
    fn ensure_order(&self, spec: &OrderSpec) -> bool {
        let deadline = std::time::Instant::now() + ORDER_WAIT;
        loop {
            {
                let state = self.read();
                let Some(index) = state.index.as_ref() else { return false };
                match index.orders.iter().find(|h| h.order.spec == *spec) {
                    Some(held) if !spec.names_users() || held.config_version == self.config_version() => return true,
                    Some(_) => {
                        drop(state);
                        // User names changed since it was built: built anew.
                        if let Some(index) = self.write().index.as_mut() {
                            index.orders.retain(|h| h.order.spec != *spec);
                        }
                        continue;
                    }
                    None => {}
                }
            }
            if self.claim_order(&spec.0) {
                long_read(|| self.build_order_now(spec.0.clone()));
            } else if std::time::Instant::now() > deadline {
                return false;
            } else {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }

    /// The writer, after a commit that changed these contacts: brings the index in step (the
    /// contacts as they are now; reads through the writer's connection).
    pub fn changed(&self, conn: &Connection, ids: &[i64]) {
        let mut state = self.write();
        state.seq += 1;
        let seq = state.seq;
        if state.builds > 0 {
            state.log.extend(ids.iter().filter_map(|id| u32::try_from(*id).ok()).map(|id| (seq, id)));
            if state.log.len() > MAX_LOG {
                state.log.clear();
                state.dropped_through = seq;
            }
        }
        if state.index.is_none() {
            return;
        }
        let outcome = if ids.len() > REBUILD_ABOVE {
            Err(crate::error::Error::Internal(format!("{} contacts changed at once", ids.len())))
        } else {
            let index = state.index.as_mut().expect("checked above");
            apply(index, conn, ids, seq)
        };
        if let Err(e) = outcome {
            tracing::info!("list index dropped ({e}); building it anew, lists are answered by SQL meanwhile");
            drop(state);
            self.drop_and_rebuild();
        }
    }

    /// Forgets the index and builds it anew (lists are answered by SQL meanwhile).
    pub fn drop_and_rebuild(&self) {
        self.write().index = None;
        self.results.clear();
        self.build_all();
    }

    fn config_version(&self) -> u64 {
        self.config_version.load(Ordering::Acquire)
    }

    fn spawn(&self, name: &str, f: impl FnOnce() + Send + 'static) {
        if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(f) {
            tracing::warn!("cannot start the {name} thread: {e}");
        }
    }
}

/// A page of `matches` in id order.
fn by_id(matches: &RoaringBitmap, desc: bool, offset: u64, limit: u64) -> Vec<i64> {
    let total = matches.len();
    if offset >= total {
        return Vec::new();
    }
    if desc {
        let Some(first) = matches.select((total - 1 - offset) as u32) else { return Vec::new() };
        matches.range(..=first).rev().take(limit as usize).map(i64::from).collect()
    } else {
        let Some(first) = matches.select(offset as u32) else { return Vec::new() };
        matches.range(first..).take(limit as usize).map(i64::from).collect()
    }
}

/// Brings `index` in step with the contacts `ids` as `conn` reads them now.
fn apply(index: &mut Index, conn: &Connection, ids: &[i64], seq: u64) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let records: std::collections::HashMap<u32, facets::Record> =
        Facets::read_records(conn, ids)?.into_iter().map(|r| (r.id, r)).collect();
    let texts = words::read_texts(conn, ids)?;
    let users = if index.orders.iter().any(|h| h.order.spec.names_users()) {
        spec::user_names(conn)?
    } else {
        Default::default()
    };
    let changed_texts: Vec<(u32, Option<&str>)> =
        ids.iter().filter_map(|id| Some((u32::try_from(*id).ok()?, texts.get(id).map(String::as_str)))).collect();
    index.words.changed(seq, &changed_texts);
    for &id in ids {
        let Ok(id32) = u32::try_from(id) else { continue };
        if index.facets.live.contains(id32) {
            index.facets.remove(id32);
        }
        let record = records.get(&id32);
        if let Some(record) = record {
            index.facets.insert(record);
        }
        for held in index.orders.iter_mut() {
            let key = record.map(|r| held.order.spec.key_from(r, &users));
            held.order.sync(conn, id32, key)?;
        }
    }
    Ok(())
}
