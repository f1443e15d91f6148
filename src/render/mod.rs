//! Redmine's exact shapes, one function per resource, written once against [`Doc`] for both
//! JSON and XML.

pub mod contacts;
pub mod core;
pub mod deals;
mod doc;
pub mod notes;
pub mod queries;

pub use doc::{Doc, Format, Meta, Val};

use crate::domain::{CustomField, UserRef};

/// A `{id, name}` reference (author, assigned_to, project, status, …), omitted when None.
pub fn reference(d: &mut Doc, name: &str, r: Option<(i64, &str)>) {
    if let Some((id, n)) = r {
        d.reference(name, &[("id", Val::Int(id)), ("name", Val::Str(n))]);
    }
}

pub fn user_reference(d: &mut Doc, name: &str, user: &Option<UserRef>) {
    reference(d, name, user.as_ref().map(|u| (u.id, u.name.as_str())));
}

/// A list of `{id, name}` references (`projects`, `contacts`, …), omitted when empty.
pub fn reference_list(d: &mut Doc, array: &str, item: &str, refs: &[(i64, String)]) {
    if refs.is_empty() {
        return;
    }
    d.begin_array(array, None);
    for (id, name) in refs {
        d.reference_item(item, &[("id", Val::Int(*id)), ("name", Val::Str(name))]);
    }
    d.end_array(array);
}

/// `render_api_custom_values`: every field of the type, with its value (null when unset); a
/// multi-value field lists its non-blank values. Omitted when no field of the type exists.
pub fn custom_values(d: &mut Doc, fields: &[CustomField], values: &[(i64, String)]) {
    if fields.is_empty() {
        return;
    }
    d.begin_array("custom_fields", None);
    for f in fields {
        let mut attrs = vec![("id", Val::Int(f.id)), ("name", Val::Str(&f.name))];
        if f.multiple {
            attrs.push(("multiple", Val::Bool(true)));
        }
        d.begin_with_attrs("custom_field", &attrs);
        let mine = values.iter().filter(|(id, _)| *id == f.id).map(|(_, v)| v.as_str());
        if f.multiple {
            d.begin_array("value", None);
            for v in mine.filter(|v| !v.is_empty()) {
                d.item_value("value", v);
            }
            d.end_array("value");
        } else {
            d.field("value", mine.into_iter().next().map_or(Val::Null, Val::Str));
        }
        d.end_item("custom_field");
    }
    d.end_array("custom_fields");
}
