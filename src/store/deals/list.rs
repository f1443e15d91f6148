//! The deal list: a [`DealQuery`] turned into one statement for the page (the deals with their
//! references, in list order) and one for the count, then the page's related contacts and
//! custom values loaded in one statement each.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use crate::domain::deal_query::{
    Column, Condition, DealQuery, DealVisibility, IdFilter, Number, SortKey, StatusFilter, Test, TextOp,
};
use crate::domain::filters::DateRange;
use crate::domain::Deal;
use crate::error::Result;
use crate::store::{custom_fields, id_list, long_read};

use super::{from_row, related_contacts_of, SELECT};

/// A WHERE clause under construction with its bound values.
#[derive(Default)]
struct Where {
    parts: Vec<String>,
    values: Vec<Value>,
}

impl Where {
    fn push(&mut self, sql: impl Into<String>, values: impl IntoIterator<Item = Value>) {
        self.parts.push(sql.into());
        self.values.extend(values);
    }

    fn sql(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.parts.join(" AND "))
        }
    }
}

/// Ids written into the SQL: integers, so safe, and a literal list lets SQLite drive an
/// index by it.
fn inline_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The SQL of a deal column, or of the tested value of a custom field (`cv.value`).
fn column_sql(column: Column) -> &'static str {
    use Column::*;
    match column {
        Id => "d.id",
        Project => "d.project_id",
        Author => "d.author_id",
        AssignedTo => "d.assigned_to_id",
        Contact => "d.contact_id",
        Category => "d.category_id",
        Name => "d.name",
        Background => "d.background",
        Currency => "d.currency",
        Price => "CAST(d.price AS REAL)",
        Probability => "d.probability",
        DueDate => "d.due_date",
        CreatedOn => "d.created_on",
        UpdatedOn => "d.updated_on",
        ContactCountry => "upper(ad.country_code)",
        ContactCity => "ad.city",
        Custom(_) => "cv.value",
    }
}

/// A condition on one value `col`: the SQL of its positive form, its values, and whether the
/// filter is that form negated ("is not", "does not contain", "none"). The caller writes the
/// negation so that a deal without a value (NULL, or no row in another table) matches it.
fn value_test(col: &str, test: &Test) -> (String, Vec<Value>, bool) {
    use IdFilter as I;
    use TextOp as T;
    let list = |v: &[String]| text(serde_json::to_string(v).unwrap_or_default());
    let like = |pattern: String| (format!("{col} LIKE ? ESCAPE '\\'"), vec![text(pattern)]);
    let present = format!("{col} IS NOT NULL");
    let (sql, values) = match test {
        Test::Ids(I::In(ids) | I::NotIn(ids)) => (format!("{col} IN ({})", inline_ids(ids)), vec![]),
        Test::Ids(I::Any | I::None) => (format!("{col} IS NOT NULL AND {col} <> 0"), vec![]),
        Test::Text(T::Is(v) | T::IsNot(v)) => (format!("{col} IN (SELECT value FROM json_each(?))"), vec![list(v)]),
        Test::Text(T::Contains(s) | T::NotContains(s)) => like(format!("%{}%", like_escape(s))),
        Test::Text(T::StartsWith(s)) => like(format!("{}%", like_escape(s))),
        Test::Text(T::EndsWith(s)) => like(format!("%{}", like_escape(s))),
        Test::Text(T::Any | T::None) => (format!("{col} <> ''"), vec![]),
        // Redmine compares decimals within a small margin.
        Test::Number(Number::In(xs)) => {
            let parts: Vec<String> = xs.iter().map(|_| format!("({col} BETWEEN ? AND ?)")).collect();
            let values = xs.iter().flat_map(|x| [Value::Real(x - 1e-5), Value::Real(x + 1e-5)]).collect();
            (format!("({})", parts.join(" OR ")), values)
        }
        Test::Number(Number::AtLeast(x)) => (format!("{col} >= ?"), vec![Value::Real(x - 1e-5)]),
        Test::Number(Number::AtMost(x)) => (format!("{col} <= ?"), vec![Value::Real(x + 1e-5)]),
        Test::Number(Number::Between(a, b)) => {
            (format!("{col} BETWEEN ? AND ?"), vec![Value::Real(a - 1e-5), Value::Real(b + 1e-5)])
        }
        Test::Date(DateRange::Between(from, to)) => {
            let mut parts = vec![present];
            let mut values = Vec::new();
            for (bound, op) in [(from, ">="), (to, "<")] {
                if let Some(ms) = bound {
                    parts.push(format!("{col} {op} ?"));
                    values.push(Value::Integer(*ms));
                }
            }
            (parts.join(" AND "), values)
        }
        Test::Number(Number::Any | Number::None) | Test::Date(DateRange::Any | DateRange::None) => (present, vec![]),
    };
    let negated = matches!(
        test,
        Test::Ids(I::NotIn(_) | I::None)
            | Test::Text(T::IsNot(_) | T::NotContains(_) | T::None)
            | Test::Number(Number::None)
            | Test::Date(DateRange::None)
    );
    (sql, values, negated)
}

/// One filter condition of the WHERE clause.
fn condition(w: &mut Where, c: &Condition) {
    match c.column {
        Column::Custom(field) => {
            // Custom values are text; numbers and dates are compared as such, blanks are none.
            let cast = match &c.test {
                Test::Number(_) => "CAST(cv.value AS REAL)",
                Test::Date(_) => "CAST(strftime('%s', cv.value) AS INTEGER) * 1000",
                _ => "cv.value",
            };
            let (sql, values, negated) = value_test(cast, &c.test);
            let exists = format!(
                "EXISTS (SELECT 1 FROM custom_values cv WHERE cv.customized_type = 'deal' AND cv.customized_id = d.id
                    AND cv.custom_field_id = {field} AND cv.value <> '' AND {sql})"
            );
            w.push(if negated { format!("NOT {exists}") } else { exists }, values);
        }
        Column::ContactCountry | Column::ContactCity => {
            let (sql, values, negated) = value_test(column_sql(c.column), &c.test);
            let exists = format!(
                "EXISTS (SELECT 1 FROM addresses ad WHERE ad.contact_id = d.contact_id AND ad.{} <> '' AND {sql})",
                if c.column == Column::ContactCity { "city" } else { "country_code" }
            );
            w.push(if negated { format!("NOT {exists}") } else { exists }, values);
        }
        column => {
            let col = column_sql(column);
            let (sql, values, negated) = value_test(col, &c.test);
            // A negated test also takes the deals without a value (NULL or blank).
            w.push(if negated { format!("({col} IS NULL OR NOT ({sql}))") } else { format!("({sql})") }, values);
        }
    }
}

/// The status ids of a status filter: open ones, closed ones, named ones.
fn statuses_of_type(conn: &Connection, closed: bool) -> Result<Vec<i64>> {
    let sql = if closed {
        "SELECT id FROM deal_statuses WHERE status_type IN (1, 2)"
    } else {
        "SELECT id FROM deal_statuses WHERE status_type = 0"
    };
    Ok(conn.prepare_cached(sql)?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

fn build_where(conn: &Connection, q: &DealQuery) -> Result<Where> {
    let mut w = Where::default();
    if let DealVisibility::Projects(projects) = &q.visibility {
        w.push(format!("d.project_id IN ({})", inline_ids(projects)), []);
    }
    if let Some(projects) = &q.projects {
        w.push(format!("d.project_id IN ({})", inline_ids(projects)), []);
    }
    match &q.status {
        StatusFilter::Any => {}
        StatusFilter::Open => w.push(format!("d.status_id IN ({})", inline_ids(&statuses_of_type(conn, false)?)), []),
        StatusFilter::Closed => w.push(format!("d.status_id IN ({})", inline_ids(&statuses_of_type(conn, true)?)), []),
        StatusFilter::In(ids) => w.push(format!("d.status_id IN ({})", inline_ids(ids)), []),
        StatusFilter::NotIn(ids) => {
            w.push(format!("(d.status_id IS NULL OR d.status_id NOT IN ({}))", inline_ids(ids)), [])
        }
    }
    for c in &q.conditions {
        condition(&mut w, c);
    }
    // Plain-text words (`%`, `_` are letters here), case folded beyond ASCII by `fold_case`;
    // the newline keeps a word from spanning the name and the background.
    for word in &q.search_words {
        w.push("instr(fold_case(d.name || char(10) || COALESCE(d.background, '')), ?) > 0", [text(word.clone())]);
    }
    Ok(w)
}

/// The SQL a sort key orders by, and the join it needs beside `deals d` (with the aliases of
/// the deal `SELECT`).
fn sort_sql(key: SortKey) -> (&'static [&'static str], Option<&'static str>) {
    use SortKey::*;
    match key {
        Id => (&["d.id"], None),
        Name => (&["d.name"], None),
        Price => (&["CAST(d.price AS REAL)"], None),
        Currency => (&["d.currency"], None),
        Probability => (&["d.probability"], None),
        DueDate => (&["d.due_date"], None),
        Status => (&["s.position"], Some("LEFT JOIN deal_statuses s ON s.id = d.status_id")),
        CreatedOn => (&["d.created_on"], None),
        UpdatedOn => (&["d.updated_on"], None),
        AssignedTo => (&["asg.firstname", "asg.lastname"], Some("LEFT JOIN users asg ON asg.id = d.assigned_to_id")),
        Author => (&["au.firstname", "au.lastname"], Some("LEFT JOIN users au ON au.id = d.author_id")),
        Contact => (&["c.last_name", "c.first_name"], Some("LEFT JOIN contacts c ON c.id = d.contact_id")),
        Category => (&["cat.name"], Some("LEFT JOIN deal_categories cat ON cat.id = d.category_id")),
        Project => (&["p.name"], Some("JOIN projects p ON p.id = d.project_id")),
    }
}

/// The ORDER BY of a list (default newest first) and the joins its keys need.
fn order_by(q: &DealQuery) -> (String, String) {
    let default_sort = [(SortKey::CreatedOn, true)];
    let sort: &[(SortKey, bool)] = if q.sort.is_empty() { &default_sort } else { &q.sort };
    let direction = |desc: bool| if desc { " DESC" } else { "" };
    let mut order = Vec::new();
    let mut joins: Vec<&str> = Vec::new();
    for (key, desc) in sort {
        let (columns, join) = sort_sql(*key);
        order.extend(columns.iter().map(|col| format!("{col}{}", direction(*desc))));
        joins.extend(join.filter(|j| !joins.contains(j)));
    }
    // Ties in the direction of the first key, so the default is newest first throughout.
    order.push(format!("d.id{}", direction(sort[0].1)));
    (order.join(", "), joins.join(" "))
}

/// The statement of a page of deals (its values: the WHERE clause's, limit, offset). The page's
/// ids come first, from the deals (and what the sort names) alone: the default order is read
/// from the `deals_status` or `deals_created` index without a row read per deal.
fn page_sql(q: &DealQuery, w: &Where) -> String {
    let (order, joins) = order_by(q);
    format!(
        "{SELECT} WHERE d.id IN (SELECT d.id FROM deals d {joins} {} ORDER BY {order} LIMIT ? OFFSET ?)
          ORDER BY {order}",
        w.sql()
    )
}

fn count_sql(w: &Where) -> String {
    format!("SELECT count(*) FROM deals d {}", w.sql())
}

/// One page of the list (full deals) and the number of deals the whole list holds.
pub fn page(conn: &Connection, q: &DealQuery, offset: i64, limit: i64) -> Result<(Vec<Deal>, i64)> {
    let w = build_where(conn, q)?;
    let total: i64 =
        long_read(|| conn.prepare_cached(&count_sql(&w))?.query_row(params_from_iter(&w.values), |r| r.get(0)))?;
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    let sql = page_sql(q, &w);
    let mut values = w.values;
    values.extend([Value::Integer(limit), Value::Integer(offset)]);
    let mut deals: Vec<Deal> = long_read(|| {
        conn.prepare_cached(&sql)?.query_map(params_from_iter(&values), from_row)?.collect::<rusqlite::Result<_>>()
    })?;
    let ids = id_list(&deals.iter().map(|d| d.id).collect::<Vec<_>>());
    let mut related = related_contacts_of(conn, &ids)?;
    let mut custom = custom_fields::values_for(conn, "deal", &ids)?;
    for deal in &mut deals {
        deal.related_contacts = related.remove(&deal.id).unwrap_or_default();
        deal.custom_values = custom.remove(&deal.id).unwrap_or_default();
    }
    Ok((deals, total))
}

/// The deals of a list summed per status and currency: (status id, currency, sum of prices,
/// number of deals), for the board's column totals. Deals without a status are left out.
pub fn totals(conn: &Connection, q: &DealQuery) -> Result<Vec<(i64, String, f64, i64)>> {
    let w = build_where(conn, q)?;
    let sql = format!(
        "SELECT d.status_id, coalesce(d.currency, ''), total(d.price), count(*) FROM deals d {}
          GROUP BY d.status_id, coalesce(d.currency, '') HAVING d.status_id IS NOT NULL ORDER BY 1, 2",
        w.sql()
    );
    long_read(|| {
        conn.prepare_cached(&sql)?
            .query_map(params_from_iter(&w.values), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()
    })
    .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query plan of a statement, one line a step.
    fn plan(conn: &Connection, sql: &str, values: &[Value]) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn default_pages_and_counts_are_read_from_the_deal_indexes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::store::schema::SCHEMA).unwrap();
        conn.execute_batch(
            "INSERT INTO deal_statuses (id, name, status_type) VALUES (1, 'Open', 0), (2, 'Won', 1), (3, 'Talks', 0)",
        )
        .unwrap();
        let mut q = DealQuery::new(DealVisibility::Everything);
        for (status, index) in
            [(StatusFilter::Open, "COVERING INDEX deals_status"), (StatusFilter::Any, "COVERING INDEX deals_created")]
        {
            q.status = status;
            let w = build_where(&conn, &q).unwrap();
            let mut values = w.values.clone();
            values.extend([Value::Integer(25), Value::Integer(0)]);
            let page = plan(&conn, &page_sql(&q, &w), &values);
            assert!(page.contains(index) && !page.contains("SCAN d\n") && !page.ends_with("SCAN d"), "{page}");
            let count = plan(&conn, &count_sql(&w), &w.values);
            assert!(count.contains("COVERING INDEX"), "{count}");
        }
    }

    #[test]
    fn totals_sum_prices_per_status_and_currency_over_the_visible_deals() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::store::schema::SCHEMA).unwrap();
        conn.execute_batch(
            "INSERT INTO deal_statuses (id, name, status_type) VALUES (1, 'Open', 0), (2, 'Won', 1);
             INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (1, 'A', 'a', 0, 0), (2, 'B', 'b', 0, 0);
             INSERT INTO deals (id, name, project_id, status_id, price, currency, created_on, updated_on)
                  VALUES (1, 'a', 1, 1, '100.5', 'EUR', 0, 0), (2, 'b', 1, 1, '20.0', 'EUR', 0, 0),
                         (3, 'c', 1, 2, '7.0', 'USD', 0, 0), (4, 'd', 2, 2, '1000.0', 'USD', 0, 0),
                         (5, 'e', 1, NULL, '3.0', 'EUR', 0, 0), (6, 'f', 1, 1, NULL, NULL, 0, 0);",
        )
        .unwrap();
        let mut q = DealQuery::new(DealVisibility::Projects(vec![1]));
        q.status = StatusFilter::Any;
        let totals = totals(&conn, &q).unwrap();
        assert_eq!(
            totals,
            [(1, String::new(), 0.0, 1), (1, "EUR".to_string(), 120.5, 2), (2, "USD".to_string(), 7.0, 1)]
        );
    }
}
