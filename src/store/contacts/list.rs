//! The count and the pages of a contact list: remembered per data version, a page found by
//! walking the list order (within a budget) or from the search's matches, whichever is cheaper.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use crate::domain::query::{ContactQuery, SortKey};
use crate::error::Result;
use crate::store::cache::Listed;
use crate::store::long_read;

use super::filter::{build_where, from_clause, sort_sql, where_clause, SearchMode, Where};
use super::plan::{contacts_upper_bound, search_matches};
use super::ListCaches;

/// The ids of one page of the list, and the number of contacts the whole list holds (from
/// `counts` when the same list was counted since the last write). Runs in one read
/// transaction, so the count and the page agree.
pub(in crate::store) fn list_ids(
    conn: &Connection,
    caches: &ListCaches,
    q: &ContactQuery,
    offset: i64,
    limit: i64,
) -> Result<(Vec<i64>, i64)> {
    match caches.listing.answer(conn, caches.trigrams, q, (offset, limit))? {
        Some(answer) => Ok(answer),
        None => sql_list_ids(conn, caches, q, offset, limit),
    }
}

/// [`list_ids`] answered by SQL alone (what the list index is checked against in tests).
pub(in crate::store) fn sql_list_ids(
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

/// Every id of the list, in its order (an export's: no count, no cache).
pub(in crate::store) fn all_ids(conn: &Connection, caches: &ListCaches, q: &ContactQuery) -> Result<Vec<i64>> {
    let w = build_where(conn, caches, q, SearchMode::PageByIndex)?;
    Ok(page(conn, q, w, 0, -1, false)?)
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
            // and the index serves (see `Tuning::scan_budget_ops`). A remembered walk may take twice
            // the rows expected.
            let budget = if remembered {
                let ops = expected_rows.saturating_mul(2 * OPS_PER_WALKED_ROW);
                ops.clamp(caches.tuning.scan_budget_ops.into(), REMEMBERED_WALK_MAX_OPS.into()) as i32
            } else {
                caches.tuning.scan_budget_ops
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
        let columns = sort_sql(*key);
        w.needs_address |= columns.iter().any(|s| s.starts_with("ad."));
        for col in columns {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::changes::ContactChanges;
    use crate::domain::query::Visibility;
    use crate::store::contacts::create;
    use crate::store::test_support::{open_small, written};

    /// Matches that all sort after many non-matching contacts: the walk in list order runs
    /// out of budget and the index answers, with the same page.
    #[test]
    fn a_search_walk_out_of_budget_falls_back_to_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_small(&dir.path().join("t.db"));
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
}
