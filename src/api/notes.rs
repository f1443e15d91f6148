//! `/notes`: notes of contacts and deals. Unlike the plugin (API.md §8.1, product decision 3),
//! creating and changing a note needs the right to change its source, and a missing or unknown
//! source is a 422 or 404 rather than a 500.

use std::sync::Arc;

use serde_json::Value;

use super::input;
use super::{Ctx, Reply};
use crate::domain::attributes::{as_int, as_text};
use crate::domain::principal::NoteAccess;
use crate::domain::validate;
use crate::domain::{CustomField, Note};
use crate::error::{Error, Result};
use crate::render;

const CONTACT: &str = "Contact";
const DEAL: &str = "Deal";

/// Loads a note's source record and says what the principal may do with its notes.
fn source_access(ctx: &Ctx<'_>, source_type: &str, source_id: i64) -> Result<NoteAccess> {
    let p = &ctx.principal;
    match source_type {
        CONTACT => Ok(p.notes_of_contact(&ctx.store.contact(source_id)?)),
        DEAL => Ok(p.notes_of_deal(&ctx.store.deal(source_id)?)),
        _ => Err(Error::NotFound),
    }
}

/// The custom fields a note of `source_type` takes: the note fields for contact notes; none
/// for deal notes, whose values the plugin never keeps (API.md §3.4).
fn writable_fields(ctx: &Ctx<'_>, source_type: &str) -> Result<Arc<Vec<CustomField>>> {
    match source_type {
        CONTACT => ctx.store.custom_fields("note"),
        _ => Ok(Arc::new(Vec::new())),
    }
}

/// `GET /notes/:id` and the 201 body of a create: every note field is listed; a deal note
/// shows each field's default value.
fn render_note(ctx: &Ctx<'_>, note: &Note) -> Result<Vec<u8>> {
    let fields = ctx.store.custom_fields("note")?;
    let defaults: Vec<(i64, String)>;
    let values = if note.source_type == DEAL {
        defaults = fields.iter().filter_map(|f| Some((f.id, f.default_value.clone()?))).collect();
        &defaults
    } else {
        &note.custom_values
    };
    let mut d = ctx.doc();
    render::notes::note(&mut d, note, &fields, values);
    Ok(d.finish())
}

/// A source attribute (`source_type`, `source_id`, `project_id`) inside `note` or at the top.
fn source_param(ctx: &Ctx<'_>, attrs: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    attrs.get(key).and_then(as_text).filter(|s| !s.is_empty()).or_else(|| ctx.param(key))
}

/// `POST /notes`: the project named must exist (404), the source must be named (422) and exist
/// (404), and the principal may write its notes (403); then the note is validated (422).
pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    let attrs = input::record(&ctx.params, "note", "Note")?;
    if let Some(project) = source_param(ctx, &attrs, "project_id") {
        ctx.store.project(&project)?;
    }
    let source_type = match source_param(ctx, &attrs, "source_type").as_deref() {
        Some("Contact" | "contact") => CONTACT,
        Some("Deal" | "deal") => DEAL,
        Some(_) => return Err(Error::invalid("Source type is not included in the list")),
        None => return Err(Error::invalid("Source cannot be blank")),
    };
    let source_id = match source_param(ctx, &attrs, "source_id") {
        Some(s) => as_int(&Value::String(s)).ok_or(Error::NotFound)?,
        None => return Err(Error::invalid("Source cannot be blank")),
    };
    if !source_access(ctx, source_type, source_id)?.write {
        return Err(ctx.principal.deny());
    }
    let changes = validate::note(&attrs, &writable_fields(ctx, source_type)?, None)?;
    let author = ctx.principal.user_id();
    let id = ctx.store.create_note(source_type, source_id, author, changes).await?;
    let note = ctx.store.note(id)?;
    Ok(Reply::Created { body: render_note(ctx, &note)?, location: format!("/notes/{id}") })
}

/// The note of the path, if its source is visible (404 before 403).
fn visible_note(ctx: &Ctx<'_>) -> Result<(Note, NoteAccess)> {
    let id = ctx.id()?;
    let note = ctx.store.note(id)?;
    let access = source_access(ctx, &note.source_type, note.source_id)?;
    if !access.view {
        return Err(ctx.principal.deny());
    }
    Ok((note, access))
}

pub fn show(ctx: &Ctx<'_>) -> Result<Reply> {
    let (note, _) = visible_note(ctx)?;
    if let Some(reference) = ctx.param("project_id") {
        let project = ctx.store.project(&reference)?;
        if !ctx.principal.may_show_notes_in(project.id) {
            return Err(ctx.principal.deny());
        }
    }
    Ok(Reply::Ok(render_note(ctx, &note)?))
}

/// `PUT /notes/:id`: needs the right to write the source's notes (product decision 3).
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    let (note, access) = visible_note(ctx)?;
    if !access.write {
        return Err(ctx.principal.deny());
    }
    let attrs = input::record(&ctx.params, "note", "Note")?;
    let changes = validate::note(&attrs, &writable_fields(ctx, &note.source_type)?, Some(note.created_on))?;
    ctx.store.update_note(note.id, changes).await?;
    Ok(Reply::NoContent)
}

/// `DELETE /notes/:id`: delete_notes, or delete_own_notes for its author, in the source's
/// project.
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    let (note, access) = visible_note(ctx)?;
    let own = !ctx.principal.is_anonymous() && note.author.as_ref().is_some_and(|a| a.id == ctx.principal.user_id());
    if !(access.delete_any || (own && access.delete_own)) {
        return Err(ctx.principal.deny());
    }
    ctx.store.delete_note(note.id).await?;
    Ok(Reply::NoContent)
}
