//! Query: the typed filters of `domain::query`, turned into SQL here only (the WHERE and FROM
//! clauses of a list, and how a list query is driven).

use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use crate::domain::filters::NumberRange;
use crate::domain::query::{
    ContactQuery, CustomCondition, CustomFilter, DateRange, IdFilter, SortKey, TagFilter, TextColumn, TextOp,
    Visibility,
};
use crate::error::Result;
use crate::store::search;

use super::plan::{matching_ids_sql, search_matches};
use super::ListCaches;

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

/// The SQL expressions a sort key orders by.
pub(in crate::store) fn sort_sql(key: SortKey) -> Vec<String> {
    use SortKey::*;
    let columns: &[&str] = match key {
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
        Custom { field_id, numeric } => {
            let value = format!(
                "(SELECT NULLIF(value, '') FROM custom_values WHERE customized_type = 'contact'
                    AND customized_id = c.id AND custom_field_id = {field_id} ORDER BY id LIMIT 1)"
            );
            return vec![if numeric { format!("CAST({value} AS REAL)") } else { value }];
        }
    };
    columns.iter().map(|c| c.to_string()).collect()
}

/// A WHERE clause under construction with its bound values.
#[derive(Default)]
pub(super) struct Where {
    pub(super) parts: Vec<String>,
    pub(super) values: Vec<Value>,
    pub(super) needs_address: bool,
    /// The search text is joined (as `st`) to test words row by row.
    pub(super) joins_search_text: bool,
    /// A search's remembered matches (see [`search_matches`]): `values` holds a short name
    /// for them at this index, which cache keys hash, and the id list is bound there only
    /// when a statement runs.
    pub(super) matches: Option<(usize, Arc<str>)>,
}

impl Where {
    pub(super) fn push(&mut self, sql: impl Into<String>, values: impl IntoIterator<Item = Value>) {
        self.parts.push(sql.into());
        self.values.extend(values);
    }

    /// The values to bind, the remembered matches in place of their name.
    pub(super) fn bound_values(&self) -> Vec<Value> {
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

/// The positive test of a text operator on `col` with its values, and whether the operator
/// is its negation (`!`, `!~`, `!*`).
fn text_test(col: &str, op: &TextOp) -> (bool, String, Vec<Value>) {
    let list = |v: &[String]| vec![Value::Text(serde_json::to_string(v).unwrap_or_default())];
    let like = |pattern: String| (format!("{col} LIKE ? ESCAPE '\\'"), vec![text(&pattern)]);
    let (negated, (sql, values)) = match op {
        TextOp::Is(v) => (false, (format!("{col} IN (SELECT value FROM json_each(?))"), list(v))),
        TextOp::IsNot(v) => (true, (format!("{col} IN (SELECT value FROM json_each(?))"), list(v))),
        TextOp::Contains(s) => (false, like(format!("%{}%", like_escape(s)))),
        TextOp::NotContains(s) => (true, like(format!("%{}%", like_escape(s)))),
        TextOp::StartsWith(s) => (false, like(format!("{}%", like_escape(s)))),
        TextOp::EndsWith(s) => (false, like(format!("%{}", like_escape(s)))),
        TextOp::Any => (false, (format!("{col} <> ''"), Vec::new())),
        TextOp::None => (true, (format!("{col} <> ''"), Vec::new())),
    };
    (negated, sql, values)
}

fn text_filter(w: &mut Where, column: TextColumn, op: &TextOp) {
    let col = text_column_sql(column);
    w.needs_address |= needs_address(column);
    match text_test(col, op) {
        (false, test, values) => w.push(test, values),
        (true, test, values) => w.push(format!("({col} IS NULL OR NOT ({test}))"), values),
    }
}

fn date_filter(w: &mut Where, column: &str, f: &DateRange) {
    match f {
        DateRange::Between(from, to) => {
            if let Some(from) = from {
                w.push(format!("{column} >= ?"), [Value::Integer(*from)]);
            }
            if let Some(to) = to {
                w.push(format!("{column} < ?"), [Value::Integer(*to)]);
            }
        }
        DateRange::Any => w.push(format!("{column} IS NOT NULL"), []),
        DateRange::None => w.push(format!("{column} IS NULL"), []),
    }
}

/// A custom field filter: the contacts having (or, negated, not having) a value of the field
/// that passes the test. Driven from the field's values, so a selective test reads few.
fn custom_filter(w: &mut Where, f: &CustomFilter) {
    let number = "CAST(value AS REAL)";
    let bounds = |tests: &mut Vec<String>, values: &mut Vec<Value>, bound: Option<Value>, test: &str| {
        if let Some(bound) = bound {
            tests.push(test.to_string());
            values.push(bound);
        }
    };
    let (negated, test, values) = match &f.condition {
        CustomCondition::Text(op) => text_test("value", op),
        CustomCondition::Number(range) => {
            let (mut tests, mut values) = (vec!["value <> ''".to_string()], Vec::new());
            match range {
                NumberRange::In(numbers) => {
                    let list = Value::Text(serde_json::to_string(numbers).unwrap_or_default());
                    bounds(
                        &mut tests,
                        &mut values,
                        Some(list),
                        &format!("{number} IN (SELECT value FROM json_each(?))"),
                    );
                }
                NumberRange::Between(from, to) => {
                    bounds(&mut tests, &mut values, from.map(Value::Real), &format!("{number} >= ?"));
                    bounds(&mut tests, &mut values, to.map(Value::Real), &format!("{number} <= ?"));
                }
                NumberRange::Any => {}
                NumberRange::None => tests.push("0".into()),
            }
            (false, tests.join(" AND "), values)
        }
        CustomCondition::Dates(from, to) => {
            let (mut tests, mut values) = (vec!["value <> ''".to_string()], Vec::new());
            bounds(&mut tests, &mut values, from.as_deref().map(text), "value >= ?");
            bounds(&mut tests, &mut values, to.as_deref().map(text), "value < ?");
            (false, tests.join(" AND "), values)
        }
    };
    w.push(
        format!(
            "c.id {}IN (SELECT customized_id FROM custom_values WHERE customized_type = 'contact'
                AND custom_field_id = {} AND {test})",
            if negated { "NOT " } else { "" },
            f.field_id
        ),
        values,
    );
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

pub(super) fn build_where(
    conn: &Connection,
    caches: &ListCaches,
    q: &ContactQuery,
    search_mode: SearchMode,
) -> Result<Where> {
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
    if let Some(f) = &q.last_note {
        let newest = "(SELECT max(n.created_on) FROM notes n WHERE n.source_type = 'Contact' AND n.source_id = c.id)";
        date_filter(&mut w, newest, f);
    }
    if let Some(has) = q.has_deals {
        let exists = "EXISTS (SELECT 1 FROM deals d WHERE d.contact_id = c.id)";
        w.push(if has { exists.to_string() } else { format!("NOT {exists}") }, []);
    }
    for f in &q.custom {
        custom_filter(&mut w, f);
    }
    if q.matches_nothing {
        w.push("0", []);
    }
    Ok(w)
}

pub(super) fn from_clause(w: &Where) -> String {
    let mut from = String::from("FROM contacts c");
    if w.needs_address {
        from.push_str(" LEFT JOIN addresses ad ON ad.contact_id = c.id");
    }
    if w.joins_search_text {
        from.push_str(" JOIN search_texts st ON st.contact_id = c.id");
    }
    from
}

pub(super) fn where_clause(w: &Where) -> String {
    if w.parts.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", w.parts.join(" AND "))
    }
}

/// How a list query is driven.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum SearchMode {
    /// Counting: from the trigram index and any helpful index.
    Index,
    /// A page whose search words are few in matches: the trigram index drives.
    PageByIndex,
    /// A page in list order, testing each contact's search text row by row: best when many
    /// match, since a page is found after a few rows instead of sorting every match.
    Scan,
}
