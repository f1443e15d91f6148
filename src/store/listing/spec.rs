//! How an order of the list index sorts: which columns (`OrderSpec`), its key's values as
//! SQLite compares them, the key of a contact from its card (what the writer places contacts
//! by), and the SQL that sorts a page's candidates.

use std::cmp::Ordering;
use std::collections::HashMap;

use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

use crate::domain::query::SortKey;
use crate::error::Result;
use crate::store::contacts::sort_sql;
use crate::store::id_list;

use super::facets::Record;

/// Which columns an order sorts by (each ascending or each descending, ties by id ascending).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderSpec(pub Vec<SortKey>);

impl OrderSpec {
    /// The default list order: last name, first name.
    pub fn default_order() -> OrderSpec {
        OrderSpec(vec![SortKey::LastName, SortKey::FirstName])
    }

    pub(super) fn columns(&self) -> Vec<String> {
        self.0.iter().flat_map(|k| sort_sql(*k)).collect()
    }

    pub(super) fn needs_address(&self) -> bool {
        self.columns().iter().any(|c| c.contains("ad."))
    }

    pub(super) fn from_clause(&self) -> &'static str {
        if self.needs_address() {
            "FROM contacts c LEFT JOIN addresses ad ON ad.contact_id = c.id"
        } else {
            "FROM contacts c"
        }
    }

    /// The ORDER BY of the list in this order (`desc`: every column descending).
    pub fn order_by(&self, desc: bool) -> String {
        let direction = if desc { " DESC" } else { "" };
        let mut order: Vec<String> = self.columns().iter().map(|c| format!("{c}{direction}")).collect();
        order.push("c.id".into());
        order.join(", ")
    }

    /// Whether it sorts by user names (which change with the configuration).
    pub fn names_users(&self) -> bool {
        self.0.iter().any(|k| matches!(k, SortKey::AssignedTo | SortKey::Author))
    }
}

/// The card columns (`contact_cards`) an order's key is made of, as `Record::sort_values`
/// holds them: the writer places the contacts it changed from their cards alone.
pub const CARD_SORT_COLUMNS: [&str; 17] = [
    "first_name",
    "last_name",
    "middle_name",
    "company",
    "job_title",
    "phone",
    "email",
    "website",
    "street1",
    "street2",
    "city",
    "region",
    "postcode",
    "country_code",
    "full_address",
    "created_on",
    "updated_on",
];

/// Where a sort key's columns are in `CARD_SORT_COLUMNS` (the same columns `sort_sql` names
/// in the contacts and addresses tables), or the user it names.
enum CardColumn {
    At(usize),
    UserName(fn(&Record) -> Option<i64>),
}

fn card_columns(key: SortKey) -> Vec<CardColumn> {
    use SortKey::*;
    let at = |name: &str| CardColumn::At(CARD_SORT_COLUMNS.iter().position(|c| *c == name).expect("a card column"));
    match key {
        Name => vec![at("first_name"), at("last_name")],
        FirstName => vec![at("first_name")],
        LastName => vec![at("last_name")],
        MiddleName => vec![at("middle_name")],
        JobTitle => vec![at("job_title")],
        Company => vec![at("company")],
        Phones => vec![at("phone")],
        Emails => vec![at("email")],
        Website => vec![at("website")],
        Street1 => vec![at("street1")],
        Street2 => vec![at("street2")],
        City => vec![at("city")],
        Region => vec![at("region")],
        Postcode => vec![at("postcode")],
        Country => vec![at("country_code")],
        Address => vec![at("full_address")],
        CreatedOn => vec![at("created_on")],
        UpdatedOn => vec![at("updated_on")],
        AssignedTo => vec![CardColumn::UserName(|r| r.assigned_to_id)],
        Author => vec![CardColumn::UserName(|r| Some(r.author_id))],
        // Not orders of the index (see `listing::wanted_order`).
        Id | Custom { .. } => Vec::new(),
    }
}

impl OrderSpec {
    /// A contact's key from its card (`users`: display names by id, as the SQL's
    /// `firstname || ' ' || lastname`).
    pub fn key_from(&self, record: &Record, users: &HashMap<i64, String>) -> Key {
        let value = |column: CardColumn| match column {
            CardColumn::At(i) => record.sort_values[i].clone(),
            CardColumn::UserName(user) => {
                user(record).and_then(|id| users.get(&id)).map_or(Value::Null, |name| Value::Text(name.clone()))
            }
        };
        self.0.iter().flat_map(|k| card_columns(*k)).map(value).collect()
    }
}

/// Users' display names as the user-name orders compare them.
pub fn user_names(conn: &Connection) -> Result<HashMap<i64, String>> {
    let names = conn
        .prepare_cached("SELECT id, firstname || ' ' || lastname FROM users")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(names)
}

/// A sort key's values, compared as SQLite compares them (NULL first, numbers, then text by
/// bytes: the BINARY collation). Shared, so that it is cheap to clone while buckets are cut
/// (see `cut.rs`); an order keeps its buckets' keys packed (`packed.rs`).
pub type Key = std::sync::Arc<[Value]>;

fn rank(v: ValueRef<'_>) -> u8 {
    match v {
        ValueRef::Null => 0,
        ValueRef::Integer(_) | ValueRef::Real(_) => 1,
        ValueRef::Text(_) => 2,
        ValueRef::Blob(_) => 3,
    }
}

pub(super) fn cmp_value_ref(a: ValueRef<'_>, b: ValueRef<'_>) -> Ordering {
    match (a, b) {
        (ValueRef::Integer(x), ValueRef::Integer(y)) => x.cmp(&y),
        (ValueRef::Integer(x), ValueRef::Real(y)) => (x as f64).total_cmp(&y),
        (ValueRef::Real(x), ValueRef::Integer(y)) => x.total_cmp(&(y as f64)),
        (ValueRef::Real(x), ValueRef::Real(y)) => x.total_cmp(&y),
        (ValueRef::Text(x), ValueRef::Text(y)) => x.cmp(y),
        (ValueRef::Blob(x), ValueRef::Blob(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Two keys given as their values in order, compared value by value.
pub(super) fn cmp_values<'a, 'b>(
    a: impl Iterator<Item = ValueRef<'a>>,
    b: impl Iterator<Item = ValueRef<'b>>,
) -> Ordering {
    a.zip(b).map(|(x, y)| cmp_value_ref(x, y)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

pub(super) fn cmp_key(a: &[Value], b: &[Value]) -> Ordering {
    cmp_values(a.iter().map(ValueRef::from), b.iter().map(ValueRef::from))
}

pub(super) fn cmp_entry(a: &(Key, u32), b: &(Key, u32)) -> Ordering {
    cmp_key(&a.0, &b.0).then(a.1.cmp(&b.1))
}

impl OrderSpec {
    /// Sorts a page's candidates with SQLite, in list order.
    pub fn sort_candidates(&self, conn: &Connection, desc: bool, candidates: &[i64]) -> Result<Vec<i64>> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // The candidates drive (CROSS JOIN keeps them the outer loop): otherwise SQLite may walk
        // the name index in list order testing each row against them, as far as the page lies.
        let address = if self.needs_address() { " LEFT JOIN addresses ad ON ad.contact_id = c.id" } else { "" };
        let sql = format!(
            "SELECT c.id FROM json_each(?) j CROSS JOIN contacts c ON c.id = j.value{address} ORDER BY {}",
            self.order_by(desc)
        );
        let ids = conn
            .prepare_cached(&sql)?
            .query_map([id_list(candidates)], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }
}
