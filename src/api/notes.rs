//! `/notes`: notes of contacts and deals. Unlike the plugin (API.md §8.1), creating and
//! changing a note needs the right to change its source.

use serde_json::Value;

use super::input;
use super::{Ctx, Reply};
use crate::domain::attributes::{as_int, as_text, check_length, opt_int, opt_text, Problems};
use crate::domain::changes::NoteChanges;
use crate::domain::permission::Permission;
use crate::domain::principal::Principal;
use crate::domain::time::parse_datetime;
use crate::domain::Note;
use crate::error::{Error, Result};
use crate::render;

const CONTENT_MAX: usize = 65_535;

/// What the principal may do with the notes of one source record.
struct SourceAccess {
    view: bool,
    write: bool,
    delete_any: bool,
    delete_own: bool,
}

fn source_access(ctx: &Ctx<'_>, source_type: &str, source_id: i64) -> Result<SourceAccess> {
    let p: &Principal = &ctx.principal;
    match source_type {
        "Contact" => {
            let c = ctx.store.contact(source_id)?;
            let projects: Vec<i64> = c.projects.iter().map(|(id, _)| *id).collect();
            let may = |perm| {
                p.may_act_on_contact(perm, c.visibility, c.author_id, c.assigned_to_id, projects.iter().copied())
            };
            let in_projects = |perm| projects.iter().any(|id| p.allowed(perm, *id));
            let view = may(Permission::ViewContacts);
            Ok(SourceAccess {
                view,
                write: view && (may(Permission::AddNotes) || may(Permission::EditContacts)),
                delete_any: view && in_projects(Permission::DeleteNotes),
                delete_own: view && in_projects(Permission::DeleteOwnNotes),
            })
        }
        "Deal" => {
            let d = ctx.store.deal(source_id)?;
            let project = d.project.0;
            let view = p.allowed(Permission::ViewDeals, project);
            Ok(SourceAccess {
                view,
                write: view && p.allowed(Permission::EditDeals, project),
                delete_any: view && p.allowed(Permission::EditDeals, project),
                delete_own: view && p.allowed(Permission::EditDeals, project),
            })
        }
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

fn changes_from(ctx: &Ctx<'_>, attrs: &serde_json::Map<String, Value>, creating: bool) -> Result<NoteChanges> {
    let mut pr = Problems::default();
    let mut c = NoteChanges::default();
    match opt_text(attrs, "content", "Content", &mut pr) {
        Some(Some(s)) if !s.trim().is_empty() => c.content = Some(s),
        Some(_) => pr.add("Content", "cannot be blank"),
        None if creating => pr.add("Content", "cannot be blank"),
        None => {}
    }
    check_length(&c.content.clone().map(Some), "Content", CONTENT_MAX, &mut pr);
    c.subject = opt_text(attrs, "subject", "Subject", &mut pr);
    check_length(&c.subject, "Subject", 255, &mut pr);
    c.type_id = opt_int(attrs, "type_id", "Type", &mut pr);
    if let Some(v) = attrs.get("created_on").filter(|v| !v.is_null()) {
        match as_text(v).as_deref().and_then(parse_datetime) {
            Some(ms) => c.created_on = Some(ms),
            None => pr.add("Created", "is invalid"),
        }
    }
    let fields = note_fields(ctx)?;
    c.custom_values = super::contacts::custom_values(attrs, &fields, creating, &mut pr);
    pr.into_result()?;
    Ok(c)
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
    let changes = changes_from(ctx, &attrs, true)?;
    let author = ctx.principal.user_id();
    let id = ctx.store.create_note(source_type, source_id, author, changes).await?;
    let note = ctx.store.note(id)?;
    Ok(Reply::Created { body: render_note(ctx, &note)?, location: format!("/notes/{id}") })
}

fn authorized_note(ctx: &Ctx<'_>) -> Result<(Note, SourceAccess)> {
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
    let changes = changes_from(ctx, &attrs, false)?;
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
