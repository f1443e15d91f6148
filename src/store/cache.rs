//! [`CountCache`]: list counts (`total_count`, the costly part of a list at a million rows) and
//! page ids per data version, so a list asked again before the next write is not counted or
//! searched again.
//!
//! [`TrigramCache`]: how many contacts hold a trigram, to pick the rarest trigrams of a search
//! word (FTS5's vocabulary table answers that in tens of microseconds per trigram).
//!
//! [`ConfigCache`]: configuration that almost every request reads — who a credential belongs to with their
//! permissions, the custom field definitions, projects by reference, the names of projects
//! and users, project subtrees — cached until the configuration changes.
//! Writes that change users, projects, roles, memberships or field definitions go through
//! `Store::write_config`, which bumps the configuration version; a stale cache is dropped whole.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use crate::domain::principal::Principal;
use crate::domain::{CustomField, Project};

/// Above this many principals the cache starts over (bounds memory under key-guessing).
const MAX_PRINCIPALS: usize = 4096;
/// The same for project references (`7`, `007` and `sales` may all name one project).
const MAX_PROJECT_REFERENCES: usize = 4096;

#[derive(Default)]
struct State {
    version: u64,
    principals: HashMap<u64, Arc<Principal>>,
    fields: HashMap<&'static str, Arc<Vec<CustomField>>>,
    names: Option<Arc<ReferenceNames>>,
    /// Found projects by the reference (id or identifier) they were asked by.
    projects: HashMap<String, Arc<Project>>,
    /// A project's id and its descendants' (a recursive query, a fifth of a list's cost).
    subtrees: HashMap<i64, Arc<[i64]>>,
}

/// The names of what a contact's card refers to by id: its projects, its author and assignee.
#[derive(Default)]
pub struct ReferenceNames {
    /// Project id → name.
    pub projects: HashMap<i64, String>,
    /// User id → display name ("First Last"), for every user.
    pub users: HashMap<i64, String>,
}

#[derive(Default)]
pub struct ConfigCache {
    state: Mutex<State>,
}

impl ConfigCache {
    fn with_state<T>(&self, version: u64, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.version != version {
            *state = State { version, ..State::default() };
        }
        f(&mut state)
    }

    /// The principal for a credential fingerprint (a keyed hash, never the secret itself).
    pub fn principal(&self, version: u64, credential: u64) -> Option<Arc<Principal>> {
        self.with_state(version, |s| s.principals.get(&credential).cloned())
    }

    pub fn put_principal(&self, version: u64, credential: u64, principal: Arc<Principal>) {
        self.with_state(version, |s| {
            if s.principals.len() >= MAX_PRINCIPALS {
                s.principals.clear();
            }
            s.principals.insert(credential, principal);
        })
    }

    pub fn fields(&self, version: u64, customized_type: &'static str) -> Option<Arc<Vec<CustomField>>> {
        self.with_state(version, |s| s.fields.get(customized_type).cloned())
    }

    pub fn put_fields(&self, version: u64, customized_type: &'static str, fields: Arc<Vec<CustomField>>) {
        self.with_state(version, |s| {
            s.fields.insert(customized_type, fields);
        })
    }

    pub fn reference_names(&self, version: u64) -> Option<Arc<ReferenceNames>> {
        self.with_state(version, |s| s.names.clone())
    }

    pub fn put_reference_names(&self, version: u64, names: Arc<ReferenceNames>) {
        self.with_state(version, |s| s.names = Some(names))
    }

    pub fn project(&self, version: u64, reference: &str) -> Option<Arc<Project>> {
        self.with_state(version, |s| s.projects.get(reference).cloned())
    }

    pub fn put_project(&self, version: u64, reference: &str, project: Arc<Project>) {
        self.with_state(version, |s| {
            if s.projects.len() >= MAX_PROJECT_REFERENCES {
                s.projects.clear();
            }
            s.projects.insert(reference.to_string(), project);
        })
    }

    pub fn subtree(&self, version: u64, project_id: i64) -> Option<Arc<[i64]>> {
        self.with_state(version, |s| s.subtrees.get(&project_id).cloned())
    }

    /// Only ids of projects that exist are asked for, so the map stays as small as the table.
    pub fn put_subtree(&self, version: u64, project_id: i64, ids: Arc<[i64]>) {
        self.with_state(version, |s| {
            s.subtrees.insert(project_id, ids);
        })
    }
}

/// Above this many distinct list results, or this many bytes of them, the cache starts over
/// (a remembered search can hold 20,000 ids: the entry count alone would not bound memory).
/// Small: most lists are answered by the list index (`store::listing`), these only by SQL.
const MAX_COUNTS: usize = 16_384;
const MAX_COUNT_BYTES: usize = 1 << 20;

/// Results of list queries at one data version: counts, the ids of pages, the `(id,
/// updated_on)` of their contacts, and the contacts a search matches (a JSON id list, as it
/// is bound).
#[derive(Clone)]
pub enum Listed {
    Count(i64),
    Page(Arc<[i64]>),
    Versions(Arc<[(i64, i64)]>),
    Matches(Arc<str>),
}

impl Listed {
    /// About what the entry holds on the heap.
    fn bytes(&self) -> usize {
        match self {
            Listed::Count(_) => 0,
            Listed::Page(ids) => ids.len() * 8,
            Listed::Versions(versions) => versions.len() * 16,
            Listed::Matches(ids) => ids.len(),
        }
    }
}

#[derive(Default)]
struct Results {
    data_version: u64,
    entries: HashMap<String, Listed>,
    bytes: usize,
}

#[derive(Default)]
pub struct CountCache {
    state: Mutex<Results>,
}

impl CountCache {
    /// The result of `query` (its SQL and bound values, spelled out) at `data_version`.
    pub fn get(&self, data_version: u64, query: &str) -> Option<Listed> {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.data_version != data_version {
            return None;
        }
        state.entries.get(query).cloned()
    }

    /// Remembers a result taken at `data_version` (read before the query's transaction began,
    /// so a write committed meanwhile can only make the entry unused, never wrong).
    pub fn put(&self, data_version: u64, query: String, count: Listed) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.data_version != data_version {
            if data_version < state.data_version {
                return;
            }
            *state = Results { data_version, ..Results::default() };
        }
        let bytes = query.len() + count.bytes();
        if state.entries.len() >= MAX_COUNTS || state.bytes + bytes > MAX_COUNT_BYTES {
            state.entries.clear();
            state.bytes = 0;
        }
        state.bytes += bytes;
        if let Some(replaced) = state.entries.insert(query, count) {
            state.bytes = state.bytes.saturating_sub(replaced.bytes());
        }
    }
}

/// Trigram counts looked up one by one and remembered at most; past it they start over.
const MAX_LOOKED_UP: usize = 200_000;
/// Trigrams written since the census, remembered at most; past it the census no longer lists
/// every trigram (prefix lookups read the vocabulary again until the next census).
const MAX_WRITTEN: usize = 200_000;

/// Contact counts per trigram. They only steer which trigrams look a word up: every candidate
/// is checked against the whole word, so a count that has aged is never a wrong answer.
#[derive(Default)]
pub struct TrigramCache {
    state: Mutex<TrigramCounts>,
}

#[derive(Default)]
struct TrigramCounts {
    /// Every trigram of the index, from the last census (`store::census`), in term order.
    census: BTreeMap<String, i64>,
    /// The data version the census was taken at, while it and `written` together list every
    /// trigram of the index (None: no census yet, or `written` overflowed).
    complete_at: Option<u64>,
    /// Trigrams of the texts the writer indexed, with the data version they were written at
    /// (a superset: texts of jobs that rolled back are in it too).
    written: BTreeMap<String, u64>,
    /// The newest version whose written trigrams were dropped when `written` overflowed: only
    /// a census taken after it lists them again.
    overflowed_at: Option<u64>,
    /// Trigrams the census did not hold (new since, or no census yet), counted when searched.
    looked_up: HashMap<String, i64>,
}

impl TrigramCache {
    pub fn get(&self, trigram: &str) -> Option<i64> {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.census.get(trigram).or_else(|| state.looked_up.get(trigram)).copied()
    }

    pub fn put(&self, trigram: &str, count: i64) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.looked_up.len() >= MAX_LOOKED_UP {
            state.looked_up.clear();
        }
        state.looked_up.insert(trigram.to_string(), count);
    }

    /// Replaces the census, taken in a read transaction begun after the data version was
    /// `taken_at`: it holds what was written before that version, so only later trigrams stay
    /// in `written`. What was looked up one by one is counted again when next needed.
    pub fn replace_census(&self, census: BTreeMap<String, i64>, taken_at: u64) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut written = std::mem::take(&mut state.written);
        written.retain(|_, version| *version >= taken_at);
        let overflowed_at = state.overflowed_at.filter(|&dropped| dropped >= taken_at);
        let complete_at = overflowed_at.is_none().then_some(taken_at);
        *state = TrigramCounts { census, complete_at, written, overflowed_at, looked_up: HashMap::new() };
    }

    /// Notes the trigrams of a text the writer indexes at data version `version` (the writer
    /// bumps the version after the commit, so a census that read this version or an older one
    /// may not hold them).
    pub fn record_written<'t>(&self, version: u64, trigrams: impl Iterator<Item = &'t str>) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for trigram in trigrams {
            match state.written.get_mut(trigram) {
                Some(v) => *v = version,
                None => {
                    state.written.insert(trigram.to_string(), version);
                }
            }
        }
        if state.written.len() > MAX_WRITTEN {
            // Versions only grow, so `version` is the newest of those dropped.
            state.written.clear();
            state.complete_at = None;
            state.overflowed_at = Some(version);
        }
    }

    /// Every trigram of the index that begins with `prefix` and how many contacts hold it
    /// (1 for a trigram written since the census, not yet counted), or None when the census
    /// cannot say (none taken yet): from memory, where FTS5's vocabulary table would read the
    /// whole doclist of each (23 ms for `na` at a million contacts).
    pub fn starting_with(&self, prefix: &str) -> Option<Vec<(String, i64)>> {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.complete_at?;
        let mut found: BTreeMap<String, i64> = BTreeMap::new();
        for (t, docs) in state
            .census
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(t, _)| t.starts_with(prefix))
        {
            found.insert(t.clone(), *docs);
        }
        for (t, _) in state
            .written
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(t, _)| t.starts_with(prefix))
        {
            found.entry(t.clone()).or_insert(1);
        }
        Some(found.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_written_since_a_census_are_listed_until_a_newer_census_holds_them() {
        let cache = TrigramCache::default();
        assert_eq!(cache.starting_with("ab"), None, "no census yet: the caller reads the index");
        cache.record_written(4, ["abx", "zzz"].into_iter());
        cache.replace_census(
            BTreeMap::from([("abc".to_string(), 7), ("abd".to_string(), 2), ("ac ".to_string(), 1)]),
            3,
        );
        cache.record_written(5, ["aby"].into_iter());
        let listed = |c: &TrigramCache| c.starting_with("ab").unwrap();
        let all = [("abc".to_string(), 7), ("abd".to_string(), 2), ("abx".to_string(), 1), ("aby".to_string(), 1)];
        assert_eq!(listed(&cache), all, "written at or after the census's version: kept");
        // A census taken at version 5 holds what was written at 4 and may miss what was at 5.
        cache.replace_census(BTreeMap::from([("abc".to_string(), 8), ("abx".to_string(), 1)]), 5);
        assert_eq!(listed(&cache), [("abc".to_string(), 8), ("abx".to_string(), 1), ("aby".to_string(), 1)]);

        // Too many written: they are dropped, and a census that may not hold them does not
        // make the list complete again; one taken after them does.
        let many: Vec<String> = (0..=MAX_WRITTEN).map(|i| format!("{i:06}")).collect();
        cache.record_written(9, many.iter().map(String::as_str));
        assert_eq!(cache.starting_with("ab"), None);
        cache.replace_census(BTreeMap::from([("abc".to_string(), 8)]), 8);
        assert_eq!(cache.starting_with("ab"), None, "census begun before the dropped trigrams");
        cache.replace_census(BTreeMap::from([("abc".to_string(), 9)]), 10);
        assert_eq!(cache.starting_with("ab"), Some(vec![("abc".to_string(), 9)]));
    }

    #[test]
    fn remembered_list_results_stay_within_their_byte_budget() {
        let cache = CountCache::default();
        let ids: Arc<str> = "1,".repeat(100_000).into();
        for i in 0..100 {
            cache.put(1, format!("matches {i}"), Listed::Matches(ids.clone()));
        }
        let state = cache.state.lock().unwrap();
        let held: usize = state.entries.values().map(Listed::bytes).sum();
        assert!(held <= MAX_COUNT_BYTES && state.bytes <= MAX_COUNT_BYTES, "{held} bytes held");
        assert!(state.entries.contains_key("matches 99"), "the newest result is kept");
    }
}
