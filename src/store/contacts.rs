//! Contacts: the filtered, sorted, paged list with its count, loading records with their
//! address, tags, custom values and projects, and the writes (which keep the search index in
//! step in the same transaction).

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use crate::domain::query::{ContactQuery, DateFilter, IdFilter, SortKey, TagFilter, TextColumn, TextOp, Visibility};
use crate::domain::time::now_ms;
use crate::domain::{Address, Contact};
use crate::error::{Error, Result};

use super::cache::{CountCache, Listed, TrigramCache};
use super::name_order::{self, NameOrder};
use super::{custom_fields, id_list, long_read, search};

use super::Store;
use crate::domain::changes::{AddressChanges, ContactChanges};

// ---------------------------------------------------------------------------------------------
// Query: the typed filters of `domain::query`, turned into SQL here only

/// The SQL column a text filter tests.
fn text_column_sql(column: TextColumn) -> &'static str {
    use TextColumn::*;
    match column {
        FirstName => "c.first_name",
        LastName => "c.last_name",
        MiddleName => "c.middle_name",
        JobTitle => "c.job_title",
        Company => "c.company",
        Phone => "c.phone",
        Email => "c.email",
        Website => "c.website",
        SkypeName => "c.skype_name",
        Street1 => "ad.street1",
        Street2 => "ad.street2",
        City => "ad.city",
        Region => "ad.region",
        Postcode => "ad.postcode",
        FullAddress => "ad.full_address",
        Country => "ad.country_code",
    }
}

/// Whether a text filter needs the address joined.
fn needs_address(column: TextColumn) -> bool {
    text_column_sql(column).starts_with("ad.")
}

/// The SQL columns a sort key orders by.
fn sort_sql(key: SortKey) -> &'static [&'static str] {
    use SortKey::*;
    match key {
        Id => &["c.id"],
        Name => &["c.first_name", "c.last_name"],
        FirstName => &["c.first_name"],
        LastName => &["c.last_name"],
        MiddleName => &["c.middle_name"],
        JobTitle => &["c.job_title"],
        Company => &["c.company"],
        Phones => &["c.phone"],
        Emails => &["c.email"],
        Website => &["c.website"],
        Street1 => &["ad.street1"],
        Street2 => &["ad.street2"],
        City => &["ad.city"],
        Region => &["ad.region"],
        Postcode => &["ad.postcode"],
        Country => &["ad.country_code"],
        Address => &["ad.full_address"],
        CreatedOn => &["c.created_on"],
        UpdatedOn => &["c.updated_on"],
        AssignedTo => &["(SELECT firstname || ' ' || lastname FROM users WHERE id = c.assigned_to_id)"],
        Author => &["(SELECT firstname || ' ' || lastname FROM users WHERE id = c.author_id)"],
    }
}

/// A WHERE clause under construction with its bound values.
#[derive(Default)]
struct Where {
    parts: Vec<String>,
    values: Vec<Value>,
    needs_address: bool,
    /// The search text is joined (as `st`) to test words row by row.
    joins_search_text: bool,
    /// A search's remembered matches (see [`search_matches`]): `values` holds a short name
    /// for them at this index, which cache keys hash, and the id list is bound there only
    /// when a statement runs.
    matches: Option<(usize, Arc<str>)>,
}

impl Where {
    fn push(&mut self, sql: impl Into<String>, values: impl IntoIterator<Item = Value>) {
        self.parts.push(sql.into());
        self.values.extend(values);
    }

    /// The values to bind, the remembered matches in place of their name.
    fn bound_values(&self) -> Vec<Value> {
        let mut values = self.values.clone();
        if let Some((at, ids)) = &self.matches {
            values[*at] = Value::Text(ids.to_string());
        }
        values
    }
}

/// An id list written into the SQL (`1,2,3`): ids are integers, so this is safe, and SQLite
/// turns a literal list into one lookup table per statement, where a bound JSON list would be
/// decoded again for every row a correlated test visits.
fn inline_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn id_filter(w: &mut Where, column: &str, f: &IdFilter) {
    match f {
        IdFilter::In(ids) => w.push(format!("{column} IN ({})", inline_ids(ids)), []),
        IdFilter::NotIn(ids) => w.push(format!("({column} IS NULL OR {column} NOT IN ({}))", inline_ids(ids)), []),
        IdFilter::Any => w.push(format!("{column} IS NOT NULL AND {column} <> 0"), []),
        IdFilter::None => w.push(format!("({column} IS NULL OR {column} = 0)"), []),
    }
}

fn text_filter(w: &mut Where, column: TextColumn, op: &TextOp) {
    let col = text_column_sql(column);
    w.needs_address |= needs_address(column);
    let list = |v: &[String]| Value::Text(serde_json::to_string(v).unwrap_or_default());
    match op {
        TextOp::Is(v) => w.push(format!("{col} IN (SELECT value FROM json_each(?))"), [list(v)]),
        TextOp::IsNot(v) => {
            w.push(format!("({col} IS NULL OR {col} NOT IN (SELECT value FROM json_each(?)))"), [list(v)])
        }
        TextOp::Contains(s) => w.push(format!("{col} LIKE ? ESCAPE '\\'"), [text(&format!("%{}%", like_escape(s)))]),
        TextOp::NotContains(s) => {
            w.push(format!("({col} IS NULL OR {col} NOT LIKE ? ESCAPE '\\')"), [text(&format!("%{}%", like_escape(s)))])
        }
        TextOp::StartsWith(s) => w.push(format!("{col} LIKE ? ESCAPE '\\'"), [text(&format!("{}%", like_escape(s)))]),
        TextOp::EndsWith(s) => w.push(format!("{col} LIKE ? ESCAPE '\\'"), [text(&format!("%{}", like_escape(s)))]),
        TextOp::Any => w.push(format!("({col} IS NOT NULL AND {col} <> '')"), []),
        TextOp::None => w.push(format!("({col} IS NULL OR {col} = '')"), []),
    }
}

fn date_filter(w: &mut Where, column: &str, f: &DateFilter) {
    match f {
        DateFilter::Range(from, to) => {
            if let Some(from) = from {
                w.push(format!("{column} >= ?"), [Value::Integer(*from)]);
            }
            if let Some(to) = to {
                w.push(format!("{column} < ?"), [Value::Integer(*to)]);
            }
        }
        DateFilter::Any => w.push(format!("{column} IS NOT NULL"), []),
        DateFilter::None => w.push(format!("{column} IS NULL"), []),
    }
}

/// Tag names → ids (case-insensitive); None when a name is not a tag at all.
fn tag_ids(conn: &Connection, names: &[String]) -> Result<Option<Vec<i64>>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM tags WHERE name = ?")?;
    let mut ids = Vec::with_capacity(names.len());
    for n in names {
        match stmt.query_row([n], |r| r.get(0)).optional()? {
            Some(id) => ids.push(id),
            None => return Ok(None),
        }
    }
    Ok(Some(ids))
}

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

/// Searches matched by at most this many contacts have their matches remembered as an id
/// list (at most 160 kB) per data version, shared by the count and every page of the search.
/// (Small under unit tests, so that their searches also take the other way.)
#[cfg(not(test))]
const MAX_REMEMBERED_MATCHES: usize = 20_000;
#[cfg(test)]
const MAX_REMEMBERED_MATCHES: usize = 100;

/// The contacts whose search text holds every word, when few enough to remember: found once
/// per data version. None when more match (the count and the page then test the words in
/// their own statements, where SQLite can stop early or walk an index).
fn search_matches(conn: &Connection, caches: &ListCaches, words: &[String]) -> Result<Option<(String, Arc<str>)>> {
    let key = format!("matches\u{1}{words:?}");
    match caches.counts.get(caches.data_version, &key) {
        Some(Listed::Matches(ids)) => return Ok(Some((key, ids))),
        Some(_) => return Ok(None),
        None => {}
    }
    let plan = search::plan(words);
    let ids: Vec<i64> = if plan.one_char_words.is_empty() {
        long_read(|| index_matches(conn, caches.trigrams, &plan, MAX_REMEMBERED_MATCHES + 1))?
    } else {
        let (sql, values) = matching_ids_sql(conn, caches.trigrams, words)?;
        long_read(|| {
            conn.prepare_cached(&format!("{sql} LIMIT {}", MAX_REMEMBERED_MATCHES + 1))?
                .query_map(params_from_iter(values.iter()), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
        })?
    };
    if ids.len() > MAX_REMEMBERED_MATCHES {
        // Too many: a marker that the statements below test the words themselves.
        caches.counts.put(caches.data_version, key, Listed::Count(ids.len() as i64));
        return Ok(None);
    }
    let ids: Arc<str> = id_list(&ids).into();
    caches.counts.put(caches.data_version, key.clone(), Listed::Matches(ids.clone()));
    Ok(Some((key, ids)))
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
        let mut ids = Vec::new();
        for (i, word) in self.0.iter().enumerate() {
            let mut w = *word;
            while w != 0 && ids.len() < limit {
                ids.push((i * 64 + w.trailing_zeros() as usize) as i64);
                w &= w - 1;
            }
        }
        ids
    }
}

/// Adds the ids a statement yields to `set`.
fn collect_ids(set: &mut IdSet, stmt: &mut rusqlite::CachedStatement, params: impl rusqlite::Params) -> Result<()> {
    for id in stmt.query_map(params, |r| r.get::<_, i64>(0))? {
        set.insert(id?);
    }
    Ok(())
}

/// The contacts whose search text holds every word of `plan` (which has no one-character
/// words), from the trigram index, the first `limit` ids ascending. Long words: see
/// [`long_word_matches`]. A two-character word: the union of the contacts holding a trigram
/// it starts (see `store::search`), or, when the long words left few contacts, a test of
/// their texts, whichever reads less.
fn index_matches(
    conn: &Connection,
    counts: &TrigramCache,
    plan: &search::SearchPlan,
    limit: usize,
) -> Result<Vec<i64>> {
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
            Some(so_far) if so_far.is_empty() => return Ok(Vec::new()),
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
                    so_far.intersect(holders_of_any(conn, &starting)?)
                }
            }
            None => holders_of_any(conn, &starting)?,
        });
    }
    Ok(matches.map(|m| m.first(limit)).unwrap_or_default())
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
fn contacts_upper_bound(conn: &Connection) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT COALESCE(max(id), 0) FROM contacts")?.query_row([], |r| r.get(0))?)
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
fn matching_ids_sql(
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

fn build_where(conn: &Connection, caches: &ListCaches, q: &ContactQuery, search_mode: SearchMode) -> Result<Where> {
    let mut w = Where::default();
    if let Visibility::Restricted { user_id, public_ok, view, private } = &q.visibility {
        w.push(
            format!(
                "((c.visibility = 1 AND ?) OR EXISTS (SELECT 1 FROM contacts_projects vp WHERE vp.contact_id = c.id AND (
                     (vp.project_id IN ({}) AND (c.visibility <> 2 OR c.author_id = ? OR c.assigned_to_id = ?))
                     OR vp.project_id IN ({}))))",
                inline_ids(view),
                inline_ids(private)
            ),
            [Value::Integer(*public_ok as i64), Value::Integer(*user_id), Value::Integer(*user_id)],
        );
    }
    if let Some(projects) = &q.projects {
        w.push(
            format!(
                "EXISTS (SELECT 1 FROM contacts_projects sp WHERE sp.contact_id = c.id AND sp.project_id IN ({}))",
                inline_ids(projects)
            ),
            [],
        );
    }
    if let Some(ids) = &q.ids {
        id_filter(&mut w, "c.id", ids);
    }
    if !q.search_words.is_empty() {
        if search::plan(&q.search_words).impossible {
            w.push("0", []);
        } else {
            match search_mode {
                SearchMode::Index | SearchMode::PageByIndex => match search_matches(conn, caches, &q.search_words)? {
                    Some((name, ids)) => {
                        w.matches = Some((w.values.len(), ids));
                        w.push("c.id IN (SELECT value FROM json_each(?))", [Value::Text(name)]);
                    }
                    None => {
                        let (sql, values) = matching_ids_sql(conn, caches.trigrams, &q.search_words)?;
                        w.push(format!("c.id IN ({sql})"), values);
                    }
                },
                SearchMode::Scan => match search_matches(conn, caches, &q.search_words)? {
                    // Remembered matches: a membership test per contact walked (`+`: not an
                    // index to drive by), no search text read.
                    Some((name, ids)) => {
                        w.matches = Some((w.values.len(), ids));
                        w.push("+c.id IN (SELECT value FROM json_each(?))", [Value::Text(name)]);
                    }
                    // The same test per contact: a trigram phrase of lower-cased text is a substring.
                    None => {
                        w.joins_search_text = true;
                        for word in &q.search_words {
                            w.push("instr(st.body, ?) > 0", [Value::Text(word.clone())]);
                        }
                    }
                },
            }
        }
    }
    if let Some(tags) = &q.tags {
        let has_all = |w: &mut Where, names: &[String], negate: bool| -> Result<()> {
            match tag_ids(conn, names)? {
                Some(ids) => {
                    let all = format!(
                        "(SELECT count(*) FROM taggings t WHERE t.contact_id = c.id
                           AND t.tag_id IN ({})) = {}",
                        inline_ids(&ids),
                        ids.len()
                    );
                    w.push(if negate { format!("NOT {all}") } else { all }, []);
                }
                None => w.push(if negate { "1" } else { "0" }, []),
            }
            Ok(())
        };
        match tags {
            TagFilter::All(names) => has_all(&mut w, names, false)?,
            TagFilter::NotAll(names) => has_all(&mut w, names, true)?,
            TagFilter::Any => w.push("EXISTS (SELECT 1 FROM taggings t WHERE t.contact_id = c.id)", []),
            TagFilter::None => w.push("NOT EXISTS (SELECT 1 FROM taggings t WHERE t.contact_id = c.id)", []),
        }
    }
    // For a page, `+` keeps SQLite off the assignee/author indexes: walking the list order and
    // stopping after a page beats fetching every contact of a user and sorting them all.
    let unindexed = if search_mode == SearchMode::Index { "" } else { "+" };
    if let Some(f) = &q.assigned_to {
        id_filter(&mut w, &format!("{unindexed}c.assigned_to_id"), f);
    }
    if let Some(f) = &q.author {
        id_filter(&mut w, &format!("{unindexed}c.author_id"), f);
    }
    if let Some(is_company) = q.is_company {
        w.push("c.is_company = ?", [Value::Integer(is_company as i64)]);
    }
    for (column, op) in &q.text {
        text_filter(&mut w, *column, op);
    }
    if let Some(f) = &q.created_on {
        date_filter(&mut w, "c.created_on", f);
    }
    if let Some(f) = &q.updated_on {
        date_filter(&mut w, "c.updated_on", f);
    }
    Ok(w)
}

fn from_clause(w: &Where) -> String {
    let mut from = String::from("FROM contacts c");
    if w.needs_address {
        from.push_str(" LEFT JOIN addresses ad ON ad.contact_id = c.id");
    }
    if w.joins_search_text {
        from.push_str(" JOIN search_texts st ON st.contact_id = c.id");
    }
    from
}

fn where_clause(w: &Where) -> String {
    if w.parts.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", w.parts.join(" AND "))
    }
}

/// The caches a list query consults, and the data version its results are remembered under.
pub struct ListCaches<'a> {
    pub counts: &'a CountCache,
    pub trigrams: &'a TrigramCache,
    pub names: &'a NameOrder,
    /// `names.sequence()` read before the read transaction began.
    pub names_sequence: u64,
    pub data_version: u64,
}

/// How a list query is driven.
#[derive(Clone, Copy, PartialEq)]
enum SearchMode {
    /// Counting: from the trigram index and any helpful index.
    Index,
    /// A page whose search words are few in matches: the trigram index drives.
    PageByIndex,
    /// A page in list order, testing each contact's search text row by row: best when many
    /// match, since a page is found after a few rows instead of sorting every match.
    Scan,
}

/// The ids of one page of the list, and the number of contacts the whole list holds (from
/// `counts` when the same list was counted since the last write). Runs in one read
/// transaction, so the count and the page agree.
pub fn list_ids(
    conn: &Connection,
    caches: &ListCaches,
    q: &ContactQuery,
    offset: i64,
    limit: i64,
) -> Result<(Vec<i64>, i64)> {
    let w = build_where(conn, caches, q, SearchMode::Index)?;
    let total = count(conn, caches, &w)?;
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    let page_key = format!("{}\u{2}{:?}\u{2}{offset}\u{2}{limit}", list_key(&w), q.sort);
    if let Some(Listed::Page(ids)) = caches.counts.get(caches.data_version, &page_key) {
        return Ok((ids.to_vec(), total));
    }
    let ids = long_read(|| page_ids(conn, caches, q, Span { offset, limit, total }))?;
    caches.counts.put(caches.data_version, page_key, Listed::Page(ids.clone().into()));
    Ok((ids, total))
}

/// Which rows of a list a page is: `limit` rows from `offset`, of `total`.
#[derive(Clone, Copy)]
struct Span {
    offset: i64,
    limit: i64,
    total: i64,
}

/// The ids of one page, in list order, by the cheapest way SQLite can find them.
fn page_ids(conn: &Connection, caches: &ListCaches, q: &ContactQuery, span: Span) -> Result<Vec<i64>> {
    let Span { offset, limit, total } = span;
    // A page past the middle is read backwards from the end: the cost of OFFSET is the rows
    // skipped, so the last page of a million costs what the first one does.
    let backwards = offset > total / 2;
    if !backwards {
        if let Some(ids) = page_by_name_keys(conn, caches, q, span)? {
            return Ok(ids);
        }
    }
    let (page_offset, page_limit) = if backwards {
        let end = (offset + limit).min(total);
        (total - end, end - offset)
    } else {
        (offset, limit)
    };
    // Walking the list order costs a row per contact walked: its search text when the words
    // are tested (as dear as fetching a match to sort it), an index entry and a membership test
    // when the matches are remembered (1.3 µs against 3.5 µs a match fetched and sorted, at a
    // million contacts).
    let remembered = !q.search_words.is_empty() && search_matches(conn, caches, &q.search_words)?.is_some();
    let walk_advantage = if remembered { 3 } else { 2 };
    let walk = if q.search_words.is_empty() {
        None
    } else {
        expected_walk(conn, total, page_offset + page_limit, walk_advantage)?
    };
    let scanned = match walk {
        Some(expected_rows) => {
            // The estimate assumes matches spread evenly over the list order; when they bunch
            // up (Cyrillic names sort last, every `Hu` is in one place), the walk is cut short
            // and the index serves. A remembered walk may take twice the rows expected.
            let budget = if remembered {
                let ops = expected_rows.saturating_mul(2 * OPS_PER_WALKED_ROW);
                ops.clamp(SCAN_BUDGET_OPS.into(), REMEMBERED_WALK_MAX_OPS.into()) as i32
            } else {
                SCAN_BUDGET_OPS
            };
            let scan = build_where(conn, caches, q, SearchMode::Scan)?;
            with_budget(conn, budget, || page(conn, q, scan, page_offset, page_limit, backwards))?
        }
        None => None,
    };
    let mut ids = match scanned {
        Some(ids) => ids,
        None => {
            page(conn, q, build_where(conn, caches, q, SearchMode::PageByIndex)?, page_offset, page_limit, backwards)?
        }
    };
    if backwards {
        ids.reverse();
    }
    Ok(ids)
}

/// Fewer remembered matches than this are sorted by SQLite alone (well under a millisecond).
#[cfg(not(test))]
const NAME_KEYS_FROM_MATCHES: usize = 64;
#[cfg(test)]
const NAME_KEYS_FROM_MATCHES: usize = 10;

/// A page of a search whose matches are remembered and which is the list's only condition, in
/// the default order: SQLite sorts only the matches whose name-order keys can place them on
/// the page (see `store::name_order`) instead of reading every match. None when that does not
/// apply (another order or condition, keys not built or changing, too few matches to matter).
fn page_by_name_keys(conn: &Connection, caches: &ListCaches, q: &ContactQuery, span: Span) -> Result<Option<Vec<i64>>> {
    let Span { offset, limit, total } = span;
    if !q.sort.is_empty() || q.search_words.is_empty() || total < NAME_KEYS_FROM_MATCHES as i64 {
        return Ok(None);
    }
    let w = build_where(conn, caches, q, SearchMode::PageByIndex)?;
    let (Some((_, matches)), 1) = (&w.matches, w.parts.len()) else { return Ok(None) };
    let ids: Vec<i64> =
        matches.trim_matches(|c| c == '[' || c == ']').split(',').filter_map(|id| id.parse().ok()).collect();
    let Some(keys) = caches.names.keys_of(&ids, caches.names_sequence) else { return Ok(None) };
    let Some(picked) = name_order::candidates(&ids, &keys, (offset + limit) as usize) else { return Ok(None) };
    let mut candidates = Where::default();
    candidates.push("c.id IN (SELECT value FROM json_each(?))", [Value::Text(id_list(&picked))]);
    let page_ids = page(conn, q, candidates, offset, limit, false)?;
    // Every candidate is a match of this snapshot, so a short page means the keys were off.
    let expected = limit.min(total - offset);
    Ok((page_ids.len() as i64 == expected).then_some(page_ids))
}

/// SQLite virtual-machine steps a search walk may take (a few per row: some thousands of rows,
/// a few milliseconds) before it gives
/// way to the index. (Tiny under unit tests, so that the fallback runs on small data.)
#[cfg(not(test))]
const SCAN_BUDGET_OPS: i32 = 20_000;
#[cfg(test)]
const SCAN_BUDGET_OPS: i32 = 500;
/// Virtual-machine steps per contact walked with a membership test of remembered matches
/// (measured with a progress handler: 1.3 M steps for 38,000 contacts).
const OPS_PER_WALKED_ROW: i64 = 35;
/// The longest remembered walk (about 6,000 contacts, 8 ms).
const REMEMBERED_WALK_MAX_OPS: i32 = 200_000;

/// Runs `f` with SQLite interrupting it after about `ops` steps: Some(result), or None when
/// it ran out of budget.
fn with_budget<T>(conn: &Connection, ops: i32, f: impl FnOnce() -> rusqlite::Result<T>) -> Result<Option<T>> {
    const EVERY: i32 = 100;
    let mut calls = 0;
    conn.progress_handler(
        EVERY,
        Some(move || {
            calls += 1;
            calls > ops / EVERY
        }),
    );
    let outcome = f();
    conn.progress_handler(0, None::<fn() -> bool>);
    match outcome {
        Ok(v) => Ok(Some(v)),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::OperationInterrupted => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The cache key of a list: a 128-bit keyed hash of its condition (SQL and bound values),
/// short even when the condition binds a long id list. The hash keys are random per process,
/// so no request can be crafted to share another's key.
fn list_key(w: &Where) -> String {
    use std::hash::{BuildHasher, Hash, Hasher};
    static KEYS: std::sync::OnceLock<[std::hash::RandomState; 2]> = std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(|| [std::hash::RandomState::new(), std::hash::RandomState::new()]);
    let (from, condition) = (from_clause(w), where_clause(w));
    let half = |state: &std::hash::RandomState| {
        let mut h = state.build_hasher();
        from.hash(&mut h);
        condition.hash(&mut h);
        for v in &w.values {
            match v {
                Value::Null => 0u8.hash(&mut h),
                Value::Integer(i) => (1u8, i).hash(&mut h),
                Value::Real(f) => (2u8, f.to_bits()).hash(&mut h),
                Value::Text(t) => (3u8, t).hash(&mut h),
                Value::Blob(b) => (4u8, b).hash(&mut h),
            }
        }
        h.finish()
    };
    format!("{:016x}{:016x}", half(&keys[0]), half(&keys[1]))
}

fn count(conn: &Connection, caches: &ListCaches, w: &Where) -> Result<i64> {
    let (counts, data_version) = (caches.counts, caches.data_version);
    let key = list_key(w);
    if let Some(Listed::Count(total)) = counts.get(data_version, &key) {
        return Ok(total);
    }
    if let (Some((_, ids)), 1) = (&w.matches, w.parts.len()) {
        // The search is the only condition: its remembered matches are contacts (the index is
        // kept in step with them), so counting them needs no probe of each one's row.
        let total = if ids.len() <= 2 { 0 } else { ids.matches(',').count() as i64 + 1 };
        counts.put(data_version, key, Listed::Count(total));
        return Ok(total);
    }
    let count_sql = format!("SELECT count(*) {} {}", from_clause(w), where_clause(w));
    let total =
        long_read(|| conn.prepare_cached(&count_sql)?.query_row(params_from_iter(w.bound_values()), |r| r.get(0)))?;
    counts.put(data_version, key, Listed::Count(total));
    Ok(total)
}

/// Scanning in list order visits about `rows_needed × contacts / matches` rows; the index path
/// fetches and sorts every match, each `walk_advantage` times dearer than a row walked. The
/// rows a walk is expected to visit, when that is less work (None otherwise).
fn expected_walk(conn: &Connection, matches: i64, rows_needed: i64, walk_advantage: i64) -> Result<Option<i64>> {
    let contacts = contacts_upper_bound(conn)?;
    if matches <= 0 {
        return Ok(None);
    }
    let rows = rows_needed.saturating_mul(contacts) / matches;
    Ok((rows < matches.saturating_mul(walk_advantage)).then_some(rows))
}

fn page(
    conn: &Connection,
    q: &ContactQuery,
    mut w: Where,
    offset: i64,
    limit: i64,
    backwards: bool,
) -> rusqlite::Result<Vec<i64>> {
    let default_sort = [(SortKey::LastName, false), (SortKey::FirstName, false)];
    let sort: &[(SortKey, bool)] = if q.sort.is_empty() { &default_sort } else { &q.sort };
    let direction = |desc: bool| if desc != backwards { " DESC" } else { "" };
    let mut order: Vec<String> = Vec::new();
    for (key, desc) in sort {
        w.needs_address |= sort_sql(*key).iter().any(|s| s.starts_with("ad."));
        for col in sort_sql(*key) {
            order.push(format!("{col}{}", direction(*desc)));
        }
    }
    order.push(format!("c.id{}", direction(false)));
    let sql =
        format!("SELECT c.id {} {} ORDER BY {} LIMIT ? OFFSET ?", from_clause(&w), where_clause(&w), order.join(", "));
    let mut values = w.bound_values();
    values.push(Value::Integer(limit));
    values.push(Value::Integer(offset));
    let ids = conn.prepare_cached(&sql)?.query_map(params_from_iter(values.iter()), |r| r.get(0))?.collect();
    ids
}

// ---------------------------------------------------------------------------------------------
// Loading records

/// A contact's card (see `store/cards.rs`): one row read, every column in the table's order
/// (`contact_from_row` reads them by position). The card refers to its author, assignee and
/// projects by id: `Store` names them from its cache of names (see `Store::name_references`).
/// A short statement, since the statement cache hashes its text on every use. A macro, so
/// that the statements built from it are literals.
macro_rules! load_select {
    () => {
        "SELECT * FROM contact_cards"
    };
}

/// A JSON array column built by SQLite (`json_group_array`), decoded.
fn json_column<T: serde::de::DeserializeOwned + Default>(r: &Row, index: usize) -> rusqlite::Result<T> {
    let text: Option<String> = r.get(index)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
}

/// An address from ten columns starting at `first`: id, the six parts, full text, timestamps.
fn address_from(r: &Row, first: usize, contact_id: i64) -> rusqlite::Result<Address> {
    Ok(Address {
        id: r.get(first)?,
        contact_id,
        street1: r.get(first + 1)?,
        street2: r.get(first + 2)?,
        city: r.get(first + 3)?,
        region: r.get(first + 4)?,
        postcode: r.get(first + 5)?,
        country_code: r.get(first + 6)?,
        full_address: r.get(first + 7)?,
        created_at: r.get(first + 8)?,
        updated_at: r.get(first + 9)?,
    })
}

fn contact_from_row(r: &Row) -> rusqlite::Result<Contact> {
    let id: i64 = r.get(0)?;
    let address_id: Option<i64> = r.get(18)?;
    let address = address_id.map(|_| address_from(r, 18, id)).transpose()?;
    let custom_values: Vec<(i64, Option<String>)> = json_column(r, 29)?;
    Ok(Contact {
        id,
        is_company: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        middle_name: r.get(4)?,
        company: r.get(5)?,
        website: r.get(6)?,
        skype_name: r.get(7)?,
        birthday: r.get(8)?,
        job_title: r.get(9)?,
        background: r.get(10)?,
        phone: r.get(11)?,
        email: r.get(12)?,
        author: None,
        assigned_to: None,
        author_id: r.get(13)?,
        assigned_to_id: r.get(14)?,
        visibility: r.get(15)?,
        created_on: r.get(16)?,
        updated_on: r.get(17)?,
        address,
        tags: json_column(r, 28)?,
        custom_values: custom_values.into_iter().map(|(f, v)| (f, v.unwrap_or_default())).collect(),
        projects: json_column::<Vec<i64>>(r, 30)?.into_iter().map(|id| (id, String::new())).collect(),
    })
}

/// Loads contacts with their address, tags, custom values and the ids of their author,
/// assignee and projects (unnamed: see `Store::contact`), in the order of `ids`; unknown ids
/// are skipped.
pub fn load(conn: &Connection, ids: &[i64]) -> Result<Vec<Contact>> {
    match ids {
        [] => Ok(Vec::new()),
        [one] => {
            let sql = concat!(load_select!(), " WHERE contact_id = ?1");
            let contact = conn.prepare_cached(sql)?.query_row([one], contact_from_row).optional()?;
            Ok(contact.into_iter().collect())
        }
        _ => {
            let sql = concat!(load_select!(), " WHERE contact_id IN (SELECT value FROM json_each(?1))");
            let mut by_id: HashMap<i64, Contact> = conn
                .prepare_cached(sql)?
                .query_map([id_list(ids)], contact_from_row)?
                .map(|c| c.map(|c| (c.id, c)))
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
        }
    }
}

/// `(id, updated_on)` of the given contacts, in the order of `ids` (unknown ids skipped);
/// remembered per data version, since a page of a large list costs a row read per contact.
pub fn versions(conn: &Connection, caches: &ListCaches, ids: &[i64]) -> Result<Arc<[(i64, i64)]>> {
    let key = format!("versions\u{1}{ids:?}");
    if let Some(Listed::Versions(versions)) = caches.counts.get(caches.data_version, &key) {
        return Ok(versions);
    }
    let found: HashMap<i64, i64> = conn
        .prepare_cached("SELECT id, updated_on FROM contacts WHERE id IN (SELECT value FROM json_each(?))")?
        .query_map([id_list(ids)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let versions: Arc<[(i64, i64)]> = ids.iter().filter_map(|id| found.get(id).map(|u| (*id, *u))).collect();
    caches.counts.put(caches.data_version, key, Listed::Versions(versions.clone()));
    Ok(versions)
}

/// One contact, its author, assignee and projects by id only (see `load`), or NotFound.
pub fn get(conn: &Connection, id: i64) -> Result<Contact> {
    load(conn, &[id])?.pop().ok_or(Error::NotFound)
}

/// Tags used by any contact, by name: (id, name).
pub fn all_tags(conn: &Connection) -> Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.id, g.name FROM tags g WHERE EXISTS (SELECT 1 FROM taggings t WHERE t.tag_id = g.id) ORDER BY g.name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------------------------------------
// Writes (run inside the writer's transaction)

pub fn create(conn: &Connection, c: &ContactChanges) -> Result<i64> {
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO contacts (first_name, last_name, middle_name, company, phone, email, website, skype_name,
                birthday, job_title, background, is_company, author_id, assigned_to_id, visibility, created_on, updated_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        c.first_name.as_deref().unwrap_or(""),
        c.last_name.clone().flatten(),
        c.middle_name.clone().flatten(),
        c.company.clone().flatten(),
        c.phone.clone().flatten(),
        c.email.clone().flatten(),
        c.website.clone().flatten(),
        c.skype_name.clone().flatten(),
        c.birthday.clone().flatten(),
        c.job_title.clone().flatten(),
        c.background.clone().flatten(),
        c.is_company.unwrap_or(false),
        c.author_id.unwrap_or(0),
        c.assigned_to_id.flatten(),
        c.visibility.unwrap_or(0),
        now,
        now
    ])?;
    let id = conn.last_insert_rowid();
    apply_related(conn, id, c, now)?;
    reindex(conn, id)?;
    Ok(id)
}

pub fn update(conn: &Connection, id: i64, c: &ContactChanges) -> Result<()> {
    // The card is current here: every write job ends by rebuilding the cards it touched.
    let before = get(conn, id)?;
    let now = now_ms();
    conn.prepare_cached(
        "UPDATE contacts SET
            first_name = COALESCE(?2, first_name),
            last_name = CASE WHEN ?3 THEN ?4 ELSE last_name END,
            middle_name = CASE WHEN ?5 THEN ?6 ELSE middle_name END,
            company = CASE WHEN ?7 THEN ?8 ELSE company END,
            phone = CASE WHEN ?9 THEN ?10 ELSE phone END,
            email = CASE WHEN ?11 THEN ?12 ELSE email END,
            website = CASE WHEN ?13 THEN ?14 ELSE website END,
            skype_name = CASE WHEN ?15 THEN ?16 ELSE skype_name END,
            birthday = CASE WHEN ?17 THEN ?18 ELSE birthday END,
            job_title = CASE WHEN ?19 THEN ?20 ELSE job_title END,
            background = CASE WHEN ?21 THEN ?22 ELSE background END,
            is_company = COALESCE(?23, is_company),
            author_id = COALESCE(?24, author_id),
            assigned_to_id = CASE WHEN ?25 THEN ?26 ELSE assigned_to_id END,
            visibility = COALESCE(?27, visibility),
            updated_on = max(?28, updated_on + 1)
          WHERE id = ?1",
    )?
    .execute(params![
        id,
        c.first_name,
        c.last_name.is_some(),
        c.last_name.clone().flatten(),
        c.middle_name.is_some(),
        c.middle_name.clone().flatten(),
        c.company.is_some(),
        c.company.clone().flatten(),
        c.phone.is_some(),
        c.phone.clone().flatten(),
        c.email.is_some(),
        c.email.clone().flatten(),
        c.website.is_some(),
        c.website.clone().flatten(),
        c.skype_name.is_some(),
        c.skype_name.clone().flatten(),
        c.birthday.is_some(),
        c.birthday.clone().flatten(),
        c.job_title.is_some(),
        c.job_title.clone().flatten(),
        c.background.is_some(),
        c.background.clone().flatten(),
        c.is_company,
        c.author_id,
        c.assigned_to_id.is_some(),
        c.assigned_to_id.flatten(),
        c.visibility,
        now
    ])?;
    apply_related(conn, id, c, now)?;
    // Renaming a company renames it in its people's `company` field (the plugin's link is by name).
    if let Some(new_name) = &c.first_name {
        if before.is_company && *new_name != before.first_name {
            let people: Vec<i64> = conn
                .prepare_cached("SELECT id FROM contacts WHERE is_company = 0 AND company = ?")?
                .query_map([&before.first_name], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            conn.prepare_cached(
                "UPDATE contacts SET company = ?, updated_on = max(?, updated_on + 1) WHERE is_company = 0 AND company = ?",
            )?
            .execute(params![new_name, now, before.first_name])?;
            for person in people {
                reindex(conn, person)?;
            }
        }
    }
    reindex(conn, id)?;
    Ok(())
}

/// Address, tags, custom values and projects of a create or update.
fn apply_related(conn: &Connection, id: i64, c: &ContactChanges, now: i64) -> Result<()> {
    if let Some(a) = &c.address {
        write_address(conn, id, a, now)?;
    }
    if let Some(tags) = &c.tags {
        set_tags(conn, id, tags)?;
    }
    if !c.custom_values.is_empty() {
        custom_fields::set_values(conn, "contact", id, &c.custom_values)?;
    }
    if let Some(projects) = &c.project_ids {
        conn.prepare_cached("DELETE FROM contacts_projects WHERE contact_id = ?")?.execute([id])?;
        for p in projects {
            add_project(conn, id, *p)?;
        }
    }
    Ok(())
}

/// The stored address of a contact, read from its table (a card is stale in mid-write).
fn stored_address(conn: &Connection, contact_id: i64) -> Result<Option<Address>> {
    let address = conn
        .prepare_cached(
            "SELECT id, street1, street2, city, region, postcode, country_code, full_address, created_at, updated_at
               FROM addresses WHERE contact_id = ?",
        )?
        .query_row([contact_id], |r| address_from(r, 0, contact_id))
        .optional()?;
    Ok(address)
}

fn write_address(conn: &Connection, contact_id: i64, changes: &AddressChanges, now: i64) -> Result<()> {
    let existing = stored_address(conn, contact_id)?;
    if changes.destroy {
        conn.prepare_cached("DELETE FROM addresses WHERE contact_id = ?")?.execute([contact_id])?;
        return Ok(());
    }
    let mut a = existing.clone().unwrap_or_default();
    let apply = |slot: &mut Option<String>, change: &Option<Option<String>>| {
        if let Some(v) = change {
            *slot = v.clone();
        }
    };
    apply(&mut a.street1, &changes.street1);
    apply(&mut a.street2, &changes.street2);
    apply(&mut a.city, &changes.city);
    apply(&mut a.region, &changes.region);
    apply(&mut a.postcode, &changes.postcode);
    apply(&mut a.country_code, &changes.country_code);
    if existing.is_none() && a.is_blank() {
        return Ok(()); // the plugin ignores an all-blank new address
    }
    let full = a.joined();
    conn.prepare_cached(
        "INSERT INTO addresses (contact_id, street1, street2, city, region, postcode, country_code, full_address,
                created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT (contact_id) DO UPDATE SET street1 = ?2, street2 = ?3, city = ?4, region = ?5,
                postcode = ?6, country_code = ?7, full_address = ?8, updated_at = ?9",
    )?
    .execute(params![
        contact_id,
        a.street1,
        a.street2,
        a.city,
        a.region,
        a.postcode,
        a.country_code,
        full,
        now
    ])?;
    Ok(())
}

fn set_tags(conn: &Connection, contact_id: i64, tags: &[String]) -> Result<()> {
    conn.prepare_cached("DELETE FROM taggings WHERE contact_id = ?")?.execute([contact_id])?;
    let mut find = conn.prepare_cached("SELECT id FROM tags WHERE name = ?")?;
    let mut create = conn.prepare_cached("INSERT INTO tags (name) VALUES (?)")?;
    let mut tag =
        conn.prepare_cached("INSERT OR IGNORE INTO taggings (contact_id, tag_id, position) VALUES (?, ?, ?)")?;
    for (position, name) in tags.iter().enumerate() {
        let tag_id: i64 = match find.query_row([name], |r| r.get(0)).optional()? {
            Some(id) => id,
            None => {
                create.execute([name])?;
                conn.last_insert_rowid()
            }
        };
        tag.execute(params![contact_id, tag_id, position as i64])?;
    }
    Ok(())
}

/// Rewrites the search text of one contact from its stored fields (triggers update the index).
fn reindex(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO search_texts (contact_id, body)
         SELECT id, search_fold(first_name, last_name, middle_name, company, email, phone, job_title)
           FROM contacts WHERE id = ?
         ON CONFLICT (contact_id) DO UPDATE SET body = excluded.body",
    )?
    .execute([id])?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    if conn.prepare_cached("DELETE FROM contacts WHERE id = ?")?.execute([id])? == 0 {
        return Err(Error::NotFound);
    }
    custom_fields::delete_values(conn, "contact", id)?;
    let notes: Vec<i64> = conn
        .prepare_cached("SELECT id FROM notes WHERE source_type = 'Contact' AND source_id = ?")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for note in notes {
        super::notes::delete(conn, note)?;
    }
    Ok(())
}

pub fn add_project(conn: &Connection, contact_id: i64, project_id: i64) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO contacts_projects (contact_id, project_id) VALUES (?, ?)")?
        .execute(params![contact_id, project_id])?;
    Ok(())
}

/// Removes a contact from a project; refused (403) when it is the contact's last project.
pub fn remove_project(conn: &Connection, contact_id: i64, project_id: i64) -> Result<()> {
    let remaining: i64 = conn
        .prepare_cached("SELECT count(*) FROM contacts_projects WHERE contact_id = ? AND project_id <> ?")?
        .query_row(params![contact_id, project_id], |r| r.get(0))?;
    if remaining == 0 {
        return Err(Error::Forbidden);
    }
    conn.prepare_cached("DELETE FROM contacts_projects WHERE contact_id = ? AND project_id = ?")?
        .execute(params![contact_id, project_id])?;
    Ok(())
}

/// Marks a contact changed (a note was added to it). Like every change of a contact, it makes
/// `updated_on` strictly greater, which the rendered-contact cache relies on.
pub fn touch(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE contacts SET updated_on = max(?, updated_on + 1) WHERE id = ?")?
        .execute(params![now_ms(), id])?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The store's surface for contact writes and tags

impl Store {
    pub async fn create_contact(&self, changes: ContactChanges) -> Result<i64> {
        self.write(move |c| create(c, &changes)).await
    }

    pub async fn update_contact(&self, id: i64, changes: ContactChanges) -> Result<()> {
        self.write(move |c| update(c, id, &changes)).await
    }

    pub async fn delete_contact(&self, id: i64) -> Result<()> {
        self.write(move |c| delete(c, id)).await
    }

    pub async fn add_contact_project(&self, contact_id: i64, project_id: i64) -> Result<()> {
        self.write(move |c| add_project(c, contact_id, project_id)).await
    }

    pub async fn remove_contact_project(&self, contact_id: i64, project_id: i64) -> Result<()> {
        self.write(move |c| remove_project(c, contact_id, project_id)).await
    }

    /// Every tag in use: (id, name).
    pub fn contact_tags(&self) -> Result<Vec<(i64, String)>> {
        self.read(all_tags)
    }

    /// Whether the database holds no contact (a new file, for `serve --demo`).
    pub fn has_no_contacts(&self) -> Result<bool> {
        self.read(|c| Ok(c.query_row("SELECT count(*) = 0 FROM contacts", [], |r| r.get::<_, bool>(0))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{wait_for, written};
    use crate::store::Store;

    /// Matches that all sort after many non-matching contacts: the walk in list order runs
    /// out of budget and the index answers, with the same page.
    #[test]
    fn a_search_walk_out_of_budget_falls_back_to_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 2).unwrap();
        written(&store, |c| {
            c.execute(
                "INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (1, 'P', 'p', 0, 0)",
                [],
            )?;
            for i in 0..600 {
                let (first, last) =
                    if i % 2 == 0 { (format!("Aaa{i:03}"), "Aaa") } else { (format!("Mar{i:03}"), "Zzz") };
                let changes = ContactChanges {
                    first_name: Some(first),
                    last_name: Some(Some(last.to_string())),
                    project_ids: Some(vec![1]),
                    ..Default::default()
                };
                create(c, &changes)?;
            }
            Ok(())
        });
        let mut q = ContactQuery::new(Visibility::Everything);
        q.search_words = vec!["mar".into()];
        let caches = store.list_caches();
        let (ids, total) = store.read(|c| list_ids(c, &caches, &q, 0, 5)).unwrap();
        assert_eq!(total, 300);
        assert_eq!(ids, vec![2, 4, 6, 8, 10], "the first five matches in list order");
    }

    #[test]
    fn a_two_letter_search_finds_texts_written_after_the_trigram_census() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 2).unwrap();
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
    fn pages_sorted_by_name_keys_are_the_pages_sqlite_sorts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut q = ContactQuery::new(Visibility::Everything);
        q.search_words = vec!["zed".into()];
        let mut by_sql = q.clone();
        by_sql.sort = vec![(SortKey::LastName, false), (SortKey::FirstName, false)];
        let pages = |store: &Store, query: &ContactQuery| -> Vec<(Vec<i64>, i64)> {
            [0, 5, 20, 33]
                .iter()
                .map(|&offset| store.read(|c| list_ids(c, &store.list_caches(), query, offset, 5)).unwrap())
                .collect()
        };
        let renamed = {
            let store = Store::open(&path, 2).unwrap();
            wait_for("name order", || store.name_order.is_built());
            // Keys kept by the writer: 60 matches, last names that share long prefixes, NULL
            // ones (companies), equal names told apart by id.
            let ids = written(&store, |c| {
                let mut ids = Vec::new();
                for i in 0..70 {
                    let last = match i % 5 {
                        0 => None,
                        1 => Some("Hu".to_string()),
                        2 => Some(format!("Williamson{}", i % 3)),
                        _ => Some(format!("Zed{}", 9 - i % 7)),
                    };
                    let changes = ContactChanges {
                        first_name: Some(if i < 60 { format!("Zed{}", i % 4) } else { format!("Other{i}") }),
                        last_name: Some(last),
                        is_company: Some(i % 5 == 0),
                        ..Default::default()
                    };
                    ids.push(create(c, &changes)?);
                }
                Ok(ids)
            });
            let caches = store.list_caches();
            let keyed = store
                .read(|c| page_by_name_keys(c, &caches, &q, Span { offset: 0, limit: 5, total: 60 }))
                .unwrap()
                .expect("the name keys sort the page");
            assert_eq!(pages(&store, &q), pages(&store, &by_sql));
            assert_eq!(keyed, pages(&store, &by_sql)[0].0);
            // A rename moves a contact to the front of the order (no last name sorts first).
            let last = ids[59];
            let renaming =
                ContactChanges { first_name: Some("Aaron Zed".into()), last_name: Some(None), ..Default::default() };
            written(&store, move |c| update(c, last, &renaming));
            assert_eq!(pages(&store, &q)[0].0[0], last);
            assert_eq!(pages(&store, &q), pages(&store, &by_sql));
            last
        };
        // Keys built from the file on opening it.
        let store = Store::open(&path, 2).unwrap();
        wait_for("name order", || store.name_order.is_built());
        let caches = store.list_caches();
        assert!(store
            .read(|c| page_by_name_keys(c, &caches, &q, Span { offset: 5, limit: 5, total: 60 }))
            .unwrap()
            .is_some());
        assert_eq!(pages(&store, &q)[0].0[0], renamed);
        assert_eq!(pages(&store, &q), pages(&store, &by_sql));
    }

    #[test]
    fn searches_with_two_letter_words_find_exactly_the_texts_holding_every_word() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 2).unwrap();
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
        let store = Store::open(&dir.path().join("t.db"), 2).unwrap();
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
