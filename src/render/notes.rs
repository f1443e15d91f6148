//! Notes (API.md §3.4), shown alone or embedded in a contact or deal with `include=notes`.

use super::{custom_values, user_reference, Doc, Val};
use crate::domain::time::{iso, iso_offset};
use crate::domain::{CustomField, Note};

/// A note inside `include=notes`: no subject, no custom fields.
pub fn embedded_note(d: &mut Doc, n: &Note) {
    d.begin_item("note");
    d.field("id", n.id);
    d.field("content", n.content.as_str());
    d.field("type_id", n.type_id);
    user_reference(d, "author", &n.author);
    d.field("created_on", iso_offset(n.created_on).as_str());
    d.field("updated_on", iso(n.updated_on).as_str());
    d.end_item("note");
}

/// The `notes` array of `include=notes` (a contact's or a deal's), omitted when empty.
pub fn embedded_notes(d: &mut Doc, notes: &[Note]) {
    if notes.is_empty() {
        return;
    }
    d.begin_array("notes", None);
    for n in notes {
        embedded_note(d, n);
    }
    d.end_array("notes");
}

/// `GET /notes/:id` and the 201 body of a create, with `values` for the note's custom fields
/// (its own, or the defaults a deal note shows).
pub fn note(d: &mut Doc, n: &Note, custom_fields: &[CustomField], values: &[(i64, String)]) {
    d.begin("note");
    d.field("id", n.id);
    if let Some((id, name)) = &n.source {
        d.reference("source", &[("id", Val::Int(*id)), ("name", Val::Str(name)), ("type", Val::Str(&n.source_type))]);
    }
    d.field("subject", &n.subject);
    d.field("content", n.content.as_str());
    d.field("type_id", n.type_id);
    user_reference(d, "author", &n.author);
    custom_values(d, custom_fields, values);
    d.field("created_on", iso_offset(n.created_on).as_str());
    d.field("updated_on", iso(n.updated_on).as_str());
    d.end("note");
}
