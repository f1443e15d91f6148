//! Saved queries of the contact and deal lists (API.md §3.9, the plugin's `crm_queries`): a
//! name, an owner, a project (or none: global), who may see it (its owner, some roles, or
//! everyone), and the filters and sort a list takes from it with `query_id=`. Reading the
//! `query` hash of the create extension is here; whether its filters suit its list is for the
//! list's own query module to say, and who may see or save one is `principal.rs`'s.

use serde_json::{Map, Value};

use super::attributes::{as_int, as_text, opt_int_list, required_text, Problems};
use super::filters::{long_form, Filter};
use super::permission::Permission;

/// Which list a saved query is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    Contact,
    Deal,
}

impl QueryKind {
    /// From `object_type` (`contact`, `deal`).
    pub fn from_name(name: &str) -> Option<QueryKind> {
        match name {
            "contact" => Some(QueryKind::Contact),
            "deal" => Some(QueryKind::Deal),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            QueryKind::Contact => "contact",
            QueryKind::Deal => "deal",
        }
    }

    /// The permission to view the list, which a project query needs in its project.
    pub fn view_permission(self) -> Permission {
        match self {
            QueryKind::Contact => Permission::ViewContacts,
            QueryKind::Deal => Permission::ViewDeals,
        }
    }

    /// The permission to save private queries of the list.
    pub fn save_permission(self) -> Permission {
        match self {
            QueryKind::Contact => Permission::SaveContactsQueries,
            QueryKind::Deal => Permission::SaveDealsQueries,
        }
    }

    /// The permission to save queries shared with roles or with everyone.
    pub fn share_permission(self) -> Permission {
        match self {
            QueryKind::Contact => Permission::ManagePublicContactsQueries,
            QueryKind::Deal => Permission::ManagePublicDealsQueries,
        }
    }
}

/// Only the owner sees it.
pub const QUERY_PRIVATE: i64 = 0;
/// Users holding one of its roles (in its project, or anywhere for a global one) see it.
pub const QUERY_ROLES: i64 = 1;
/// Everyone who may view the list (in its project, for a project query) sees it.
pub const QUERY_PUBLIC: i64 = 2;

#[derive(Clone, Debug, PartialEq)]
pub struct SavedQuery {
    pub id: i64,
    pub kind: QueryKind,
    pub name: String,
    /// None: a global query, usable in every list of its kind.
    pub project_id: Option<i64>,
    /// The owner.
    pub user_id: i64,
    pub visibility: i64,
    /// The roles a `QUERY_ROLES` query is shared with.
    pub role_ids: Vec<i64>,
    pub filters: Vec<Filter>,
    /// The list columns (kept for clients; API answers have fixed shapes).
    pub column_names: Vec<String>,
    /// Sort columns with "descending".
    pub sort: Vec<(String, bool)>,
    pub created_on: i64,
}

impl SavedQuery {
    /// `is_public` of the API: true unless the query is private.
    pub fn is_public(&self) -> bool {
        self.visibility != QUERY_PRIVATE
    }

    /// The sort as the `sort` parameter spells it (`last_name:desc,first_name`); None if none.
    pub fn sort_param(&self) -> Option<String> {
        let columns: Vec<String> =
            self.sort.iter().map(|(c, desc)| if *desc { format!("{c}:desc") } else { c.clone() }).collect();
        (!columns.is_empty()).then(|| columns.join(","))
    }
}

/// Filters as Redmine stores them: `{field: {"operator": op, "values": [..]}}`.
pub fn filters_to_json(filters: &[Filter]) -> Value {
    let entries = filters.iter().map(|f| (f.field.clone(), serde_json::json!({"operator": f.op, "values": f.values})));
    Value::Object(entries.collect())
}

/// Filters from their stored (or given) hash form; an entry that is not a hash of an operator
/// and values is reported as `Filters is invalid`.
pub fn filters_from_json(value: &Value, problems: &mut Problems) -> Vec<Filter> {
    let Value::Object(entries) = value else {
        if !value.is_null() {
            problems.add("Filters", "is invalid");
        }
        return Vec::new();
    };
    let mut filters = Vec::new();
    for (field, entry) in entries {
        let (Value::Object(entry), false) = (entry, field.is_empty()) else {
            problems.add("Filters", "is invalid");
            continue;
        };
        let op = match entry.get("operator") {
            None | Some(Value::Null) => Some("=".to_string()),
            Some(op) => as_text(op),
        };
        let values = match entry.get("values") {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) => items.iter().map(as_text).collect(),
            Some(one) => as_text(one).map(|v| vec![v]),
        };
        match (op, values) {
            (Some(op), Some(values)) => filters.push(Filter { field: field.clone(), op, values }),
            _ => problems.add("Filters", "is invalid"),
        }
    }
    filters
}

/// Sort criteria as Redmine stores them: `[["last_name", "desc"], ["first_name", "asc"]]`.
pub fn sort_to_json(sort: &[(String, bool)]) -> Value {
    sort.iter().map(|(column, desc)| serde_json::json!([column, if *desc { "desc" } else { "asc" }])).collect()
}

/// Sort criteria from their stored (or given) pairs; anything else is `Sort criteria is invalid`.
pub fn sort_from_json(value: &Value, problems: &mut Problems) -> Vec<(String, bool)> {
    let Value::Array(pairs) = value else {
        if !value.is_null() {
            problems.add("Sort criteria", "is invalid");
        }
        return Vec::new();
    };
    let mut sort = Vec::new();
    for pair in pairs {
        let parts: Option<Vec<String>> = match pair {
            Value::Array(parts) => parts.iter().map(as_text).collect(),
            one => as_text(one).map(|c| vec![c]),
        };
        match parts.as_deref() {
            Some([column]) if !column.is_empty() => sort.push((column.clone(), false)),
            Some([column, dir]) if !column.is_empty() && matches!(dir.as_str(), "asc" | "desc") => {
                sort.push((column.clone(), dir == "desc"))
            }
            _ => problems.add("Sort criteria", "is invalid"),
        }
    }
    sort
}

/// Reads the `query` hash of `POST /crm_queries` into a query owned by `user_id` (without its
/// project, which the caller finds): `name` (required, at most 255 characters), `object_type`,
/// `visibility` (0, 1 or 2; private by default), `role_ids`, the filters as a `filters` hash or
/// in the long form (`f`, `op`, `v`), `column_names`, and the sort as `sort_criteria` pairs or a
/// `sort` string (`last_name:desc,first_name`).
pub fn read(attrs: &Map<String, Value>, user_id: i64, created_on: i64, pr: &mut Problems) -> SavedQuery {
    let name = required_text(attrs, "name", "Name", true, pr).unwrap_or_default();
    let kind = attrs.get("object_type").and_then(as_text).and_then(|t| QueryKind::from_name(&t));
    if kind.is_none() {
        pr.add("Object type", "is not included in the list");
    }
    let visibility = match attrs.get("visibility") {
        None | Some(Value::Null) => QUERY_PRIVATE,
        Some(v) => match as_int(v) {
            Some(level @ QUERY_PRIVATE..=QUERY_PUBLIC) => level,
            _ => {
                pr.add("Visibility", "is not included in the list");
                QUERY_PRIVATE
            }
        },
    };
    let role_ids = opt_int_list(attrs, "role_ids", "Roles", pr).unwrap_or_default();
    let filters = match (attrs.get("filters"), long_form(attrs)) {
        (Some(hash), _) => filters_from_json(hash, pr),
        (None, Some(given)) => given,
        (None, None) => Vec::new(),
    };
    let column_names = match attrs.get("column_names") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(as_text).filter(|c| !c.is_empty()).collect(),
        Some(_) => {
            pr.add("Columns", "is invalid");
            Vec::new()
        }
    };
    let sort = match (attrs.get("sort_criteria"), attrs.get("sort").and_then(as_text)) {
        (Some(pairs), _) => sort_from_json(pairs, pr),
        (None, Some(spec)) => spec
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| match part.split_once(':') {
                Some((column, dir)) => (column.to_string(), dir.eq_ignore_ascii_case("desc")),
                None => (part.to_string(), false),
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    SavedQuery {
        id: 0,
        kind: kind.unwrap_or(QueryKind::Contact),
        name,
        project_id: None,
        user_id,
        visibility,
        role_ids: if visibility == QUERY_ROLES { role_ids } else { Vec::new() },
        filters,
        column_names,
        sort,
        created_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_query_hash_reads_both_filter_forms_and_both_sort_forms() {
        let mut pr = Problems::default();
        let hash = json!({"name": "VIP", "object_type": "contact", "visibility": 1, "role_ids": [3],
                          "filters": {"tags": {"operator": "=", "values": ["vip"]}, "is_company": {"values": "1"}},
                          "sort_criteria": [["last_name", "desc"], ["first_name"]]});
        let q = read(hash.as_object().unwrap(), 7, 0, &mut pr);
        assert!(pr.0.is_empty(), "{pr:?}");
        assert_eq!(q.filters[1], Filter { field: "tags".into(), op: "=".into(), values: vec!["vip".into()] });
        assert_eq!(q.sort_param().as_deref(), Some("last_name:desc,first_name"));
        assert_eq!((q.role_ids.clone(), q.is_public()), (vec![3], true));
        assert_eq!(filters_from_json(&filters_to_json(&q.filters), &mut pr), q.filters);
        assert_eq!(sort_from_json(&sort_to_json(&q.sort), &mut pr), q.sort);

        let long = json!({"name": "L", "object_type": "deal", "f": ["status_id"], "op": {"status_id": "o"},
                          "sort": "created_on:desc"});
        let q = read(long.as_object().unwrap(), 7, 0, &mut pr);
        assert_eq!((q.kind, q.filters[0].op.as_str(), q.visibility), (QueryKind::Deal, "o", QUERY_PRIVATE));
        assert_eq!(q.sort, [("created_on".to_string(), true)]);

        let bad = json!({"object_type": "issue", "visibility": 5, "filters": {"x": 1}, "sort_criteria": [["a", "up"]]});
        read(bad.as_object().unwrap(), 7, 0, &mut pr);
        assert_eq!(
            pr.0,
            [
                "Name cannot be blank",
                "Object type is not included in the list",
                "Visibility is not included in the list",
                "Filters is invalid",
                "Sort criteria is invalid"
            ]
        );
    }
}
