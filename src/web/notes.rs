//! Notes on a contact's or a deal's page: the timeline, the "Add note" form (inline through
//! htmx: the timeline is swapped in place; without JavaScript the page is shown again) and
//! deleting a note. Writes go through the API's `/notes` handlers.

use askama::Template;
use hyper::Method;
use serde_json::{Map, Value};

use super::forms::{self, through_api};
use super::respond::Page;
use super::session::Ctx;
use super::views::{self, Errors, Opt};
use crate::domain::principal::NoteAccess;
use crate::error::{Error, Result};

/// A note that failed validation, shown again with its messages.
#[derive(Default)]
pub struct NoteDraft {
    pub content: String,
    pub type_id: String,
    pub errors: Vec<String>,
}

pub struct NoteView {
    pub id: i64,
    pub author: String,
    pub date: String,
    pub kind: &'static str,
    pub subject: String,
    pub content: String,
    pub can_delete: bool,
}

/// The notes section of a page.
pub struct NotesBlock {
    pub source_type: &'static str,
    pub source_id: i64,
    pub items: Vec<NoteView>,
    pub can_write: bool,
    pub csrf: String,
    pub draft: String,
    pub kinds: Vec<Opt>,
    pub errors: Errors,
}

#[derive(Template)]
#[template(path = "notes.html")]
struct NotesFragment {
    notes: NotesBlock,
}

/// The plugin's note types (`type_id`).
fn kind(type_id: Option<i64>) -> &'static str {
    match type_id {
        Some(0) => "Email",
        Some(1) => "Call",
        Some(2) => "Meeting",
        _ => "",
    }
}

/// The notes of a source the principal may see (`access` from `domain::principal`), newest
/// first.
pub fn block(
    ctx: &Ctx<'_>,
    source_type: &'static str,
    source_id: i64,
    access: NoteAccess,
    draft: NoteDraft,
) -> Result<NotesBlock> {
    let me = ctx.principal.user_id();
    let mut notes = ctx.app.store.notes_of(source_type, source_id)?;
    notes.sort_by(|a, b| b.created_on.cmp(&a.created_on).then(b.id.cmp(&a.id)));
    let items = notes
        .iter()
        .map(|n| {
            let own = n.author.as_ref().is_some_and(|a| a.id == me);
            NoteView {
                id: n.id,
                author: n.author.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
                date: views::datetime(n.created_on),
                kind: kind(n.type_id),
                subject: n.subject.clone().unwrap_or_default(),
                content: n.content.clone(),
                can_delete: access.delete_any || (own && access.delete_own),
            }
        })
        .collect();
    let kinds = [("", "Note"), ("0", "Email"), ("1", "Call"), ("2", "Meeting")]
        .into_iter()
        .map(|(v, l)| Opt::new(v, l, draft.type_id == v))
        .collect();
    Ok(NotesBlock {
        source_type,
        source_id,
        items,
        can_write: access.write,
        csrf: ctx.csrf(),
        draft: draft.content,
        kinds,
        errors: Errors::new(draft.errors, &["Content"]),
    })
}

/// The page a note's source is shown on.
fn source_page(source_type: &str, source_id: i64) -> String {
    match source_type {
        "Deal" => format!("/deals/{source_id}"),
        _ => format!("/contacts/{source_id}"),
    }
}

/// `POST /notes`: the API's create with the form's note; then the timeline again (htmx) or
/// the source's page.
pub async fn create(ctx: &Ctx<'_>) -> Result<Page> {
    let params = forms::form_params(ctx);
    let source_type: &'static str = match params.get("source_type").and_then(Value::as_str) {
        Some("Deal") => "Deal",
        Some("Contact") => "Contact",
        _ => return Err(Error::NotFound),
    };
    let source_id: i64 =
        params.get("source_id").and_then(Value::as_str).and_then(|s| s.parse().ok()).ok_or(Error::NotFound)?;
    let note = forms::record(&params, "note");
    let outcome = forms::invalid(through_api(ctx, Method::POST, "/notes", params).await)?;
    let draft = match outcome {
        Ok(_) => NoteDraft::default(),
        Err(errors) => {
            NoteDraft { content: forms::text(&note, "content"), type_id: forms::text(&note, "type_id"), errors }
        }
    };
    let failed = !draft.errors.is_empty();
    if ctx.wants_fragment("notes") {
        let access = access(ctx, source_type, source_id)?;
        // 200 even with errors: htmx swaps only successful answers.
        return Page::render(&NotesFragment { notes: block(ctx, source_type, source_id, access, draft)? });
    }
    if failed {
        return match source_type {
            "Deal" => super::deal_form::show_with(ctx, source_id, draft, 422),
            _ => super::contacts::show_with(ctx, source_id, draft, 422),
        };
    }
    ctx.flash("Note added.");
    Page::redirect(format!("{}#notes", source_page(source_type, source_id)))
}

fn access(ctx: &Ctx<'_>, source_type: &str, source_id: i64) -> Result<NoteAccess> {
    let store = &ctx.app.store;
    Ok(match source_type {
        "Deal" => ctx.principal.notes_of_deal(&store.deal(source_id)?),
        _ => ctx.principal.notes_of_contact(&store.contact(source_id)?),
    })
}

/// `DELETE /notes/:id` (a form with `_method=delete`): the API's delete, then the source's page.
pub async fn destroy(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let note = ctx.app.store.note(id)?;
    through_api(ctx, Method::DELETE, &format!("/notes/{id}"), Map::new()).await?;
    ctx.flash("Note deleted.");
    Page::redirect(format!("{}#notes", source_page(&note.source_type, note.source_id)))
}
