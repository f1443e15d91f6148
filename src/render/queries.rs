//! Saved queries (API.md §3.9): the list of `GET /crm_queries`, whose items have the plugin's
//! four fields, and the whole query the create extension answers with.

use super::{Doc, Meta};
use crate::domain::saved_query::SavedQuery;

/// The fields of a list item: `id`, `name`, `is_public`, `project_id`.
fn summary(d: &mut Doc, q: &SavedQuery) {
    d.field("id", q.id);
    d.field("name", q.name.as_str());
    d.field("is_public", q.is_public());
    d.field("project_id", q.project_id);
}

pub fn query_list(d: &mut Doc, queries: &[&SavedQuery], meta: Option<Meta>) {
    d.begin_array("queries", meta);
    for q in queries {
        d.begin_item("query");
        summary(d, q);
        d.end_item("query");
    }
    d.end_array("queries");
}

/// A whole query (extension): the list fields, then `object_type`, `visibility`, `user_id`,
/// `role_ids`, `filters` (`{field, operator, values}` each), `column_names` and `sort` (as the
/// `sort` parameter spells it).
pub fn query(d: &mut Doc, q: &SavedQuery) {
    d.begin("query");
    summary(d, q);
    d.field("object_type", q.kind.name());
    d.field("visibility", q.visibility);
    d.field("user_id", q.user_id);
    d.begin_array("role_ids", None);
    for role in &q.role_ids {
        d.item_value("role_id", *role);
    }
    d.end_array("role_ids");
    d.begin_array("filters", None);
    for f in &q.filters {
        d.begin_item("filter");
        d.field("field", f.field.as_str());
        d.field("operator", f.op.as_str());
        d.begin_array("values", None);
        for v in &f.values {
            d.item_value("value", v.as_str());
        }
        d.end_array("values");
        d.end_item("filter");
    }
    d.end_array("filters");
    d.begin_array("column_names", None);
    for c in &q.column_names {
        d.item_value("column_name", c.as_str());
    }
    d.end_array("column_names");
    d.field("sort", q.sort_param().as_deref());
    d.end("query");
}
