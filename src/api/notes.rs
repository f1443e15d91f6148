//! `/notes`: notes of contacts and deals. Unlike the plugin (API.md §8.1), creating and
//! changing a note needs the right to change its source.

use serde_json::Value;

use super::input;
use super::{Ctx, Reply};
use crate::domain::attributes::{as_int, as_text};
use crate::domain::principal::NoteAccess;
use crate::domain::validate;
use crate::domain::Note;
use crate::error::{Error, Result};
use crate::render;

/// Loads a note's source record and says what the principal may do with its notes.
fn source_access(ctx: &Ctx<'_>, source_type: &str, source_id: i64) -> Result<NoteAccess> {
    let p = &ctx.principal;
    match source_type {
        "Contact" => Ok(p.notes_of_contact(&ctx.store.contact(source_id)?)),
        "Deal" => Ok(p.notes_of_deal(&ctx.store.deal(source_id)?)),
        _ => Err(Error::NotFound),
    }
}

fn note_fields(ctx: &Ctx<'_>) -> Result<std::sync::Arc<Vec<crate::domain::CustomField>>> {
    ctx.store.custom_fields("note")
}

fn render_note(ctx: &Ctx<'_>, note: &Note) -> Result<Vec<u8>> {
    let fields = note_fields(ctx)?;
    let mut d = ctx.doc();
    render::notes::note(&mut d, note, &fields);
    Ok(d.finish())
}

pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    let attrs = input::record(&ctx.params, "note", "Note")?;
    let pick = |key: &str| attrs.get(key).and_then(as_text).filter(|s| !s.is_empty()).or_else(|| ctx.param(key));
    if let Some(project) = pick("project_id") {
        ctx.store.project(&project)?;
    }
    let source_type = match pick("source_type").as_deref() {
        Some("Contact") | Some("contact") => "Contact",
        Some("Deal") | Some("deal") => "Deal",
        Some(_) => return Err(Error::invalid("Source type is not included in the list")),
        None => return Err(Error::invalid("Source cannot be blank")),
    };
    let source_id = match pick("source_id") {
        Some(s) => as_int(&Value::String(s)).ok_or(Error::NotFound)?,
        None => return Err(Error::invalid("Source cannot be blank")),
    };
    let access = source_access(ctx, source_type, source_id)?;
    if !access.write {
        return Err(ctx.principal.deny());
    }
    let changes = validate::note(&attrs, &note_fields(ctx)?, true)?;
    let author = ctx.principal.user_id();
    let id = ctx.store.create_note(source_type, source_id, author, changes).await?;
    let note = ctx.store.note(id)?;
    Ok(Reply::Created { body: render_note(ctx, &note)?, location: format!("/notes/{id}") })
}

fn authorized_note(ctx: &Ctx<'_>) -> Result<(Note, NoteAccess)> {
    let id = ctx.id()?;
    let note = ctx.store.note(id)?;
    let access = source_access(ctx, &note.source_type, note.source_id)?;
    if !access.view {
        return Err(ctx.principal.deny());
    }
    Ok((note, access))
}

pub fn show(ctx: &Ctx<'_>) -> Result<Reply> {
    let (note, _) = authorized_note(ctx)?;
    Ok(Reply::Ok(render_note(ctx, &note)?))
}

pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    let (note, access) = authorized_note(ctx)?;
    if !access.write {
        return Err(ctx.principal.deny());
    }
    let attrs = input::record(&ctx.params, "note", "Note")?;
    let changes = validate::note(&attrs, &note_fields(ctx)?, false)?;
    ctx.store.update_note(note.id, changes).await?;
    Ok(Reply::NoContent)
}

pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    let (note, access) = authorized_note(ctx)?;
    let own = note.author.as_ref().is_some_and(|a| a.id == ctx.principal.user_id());
    if !(access.delete_any || (own && access.delete_own)) {
        return Err(ctx.principal.deny());
    }
    ctx.store.delete_note(note.id).await?;
    Ok(Reply::NoContent)
}
