//! Contacts in and out of files, and duplicates (issue 15; API.md §9):
//!
//! - `GET /contacts/:id.vcf|.csv`: one contact (view rights on it);
//! - `GET /contacts.vcf|.csv`, `/projects/:id/contacts.vcf|.csv`: the filtered list as the
//!   index would list it, streamed; needs `export_contacts` in the list's project (anywhere
//!   for a list across projects). The plugin answers an empty vCard list without it; here it
//!   is a clear 403 (product decision 6 in spirit). `?version=4.0` writes vCard 4.0 (3.0 by
//!   default); `c[]=…` chooses CSV columns (`c[]=all_inline` for all);
//! - `POST /contacts/import` (extension): a multipart upload (`file`, `project_id`, and
//!   `format`, `skip_invalid`, `dry_run`, `update_existing`, `map[column]=field`), or the file
//!   itself as the body (`Content-Type: text/vcard` or `text/csv`, the rest in the query);
//!   admin or `import_contacts` in the project; answers the import's report (422 when nothing
//!   was written because of refused records or a broken file);
//! - `GET /contacts/:id/duplicates`: up to 10 visible contacts that the plugin's rule calls
//!   duplicates, in the contact list's shape;
//! - `POST /contacts/:id/merge` `{"duplicate_id": N}`: merges N into :id (`edit_contacts` on
//!   :id, `delete_contacts` on N) and answers the merged contact.

use std::collections::HashMap;
use std::io::{BufRead, Cursor};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use super::contacts::{authorized_contact, list_query};
use super::routes::{FileExt, Route};
use super::{Ctx, FileBody, Reply};
use crate::domain::attributes::{as_bool, as_int, as_text};
use crate::domain::exchange::is_duplicate;
use crate::domain::permission::Permission;
use crate::domain::principal::Principal;
use crate::domain::Contact;
use crate::error::{Error, Result};
use crate::exchange::import::{self, Context, Options, Report, Sink};
use crate::exchange::{Export, ExportFormat};
use crate::formats::csv::{columns, target_named};
use crate::formats::vcard::Version;
use crate::formats::Kind;
use crate::render::{self, Doc, Format};
use crate::store::Store;

/// Duplicates listed at most (the plugin's limit).
const MAX_DUPLICATES: usize = 10;

// ---------------------------------------------------------------------------------------------
// Exports

fn export_format(ctx: &Ctx<'_>, ext: FileExt) -> Result<ExportFormat> {
    Ok(match ext {
        FileExt::Vcf => match ctx.param("version").as_deref() {
            Some("4.0") | Some("4") => ExportFormat::Vcard(Version::V4),
            None | Some("3.0") | Some("3") => ExportFormat::Vcard(Version::V3),
            Some(_) => return Err(Error::invalid("Version is not included in the list")),
        },
        FileExt::Csv => {
            let chosen = super::input::word_list(&ctx.params, "c");
            ExportFormat::Csv(columns(&chosen, &ctx.store.custom_fields("contact")?))
        }
    })
}

/// `GET` of a `.vcf` or `.csv` path: one contact or a list; other routes have no files.
pub fn export(ctx: &Ctx<'_>, get: bool) -> Result<Reply> {
    let Some(ext) = ctx.matched.file else { return Err(Error::NotFound) };
    if !get {
        return Err(Error::NotFound);
    }
    match ctx.matched.route {
        Route::Contact | Route::ProjectContact => {
            let contact = authorized_contact(ctx, Permission::ViewContacts)?;
            let format = export_format(ctx, ext)?;
            let file_name = format!("contact-{}.{}", contact.id, format.extension());
            let content_type = format.content_type();
            let body = Export::new(ctx.store, vec![contact.id], format)?.whole()?;
            Ok(Reply::File { content_type, file_name, body: FileBody::Whole(body) })
        }
        Route::Contacts | Route::ProjectContacts => {
            let (query, project) = list_query(ctx)?;
            let p = &ctx.principal;
            let allowed = match project {
                Some(project) => p.allowed(Permission::ExportContacts, project),
                None => p.allowed_anywhere(Permission::ExportContacts),
            };
            if !allowed {
                return Err(p.deny());
            }
            let format = export_format(ctx, ext)?;
            let (file_name, content_type) = (format!("contacts.{}", format.extension()), format.content_type());
            let ids = ctx.store.contact_list_ids(&query)?;
            let export = Export::new(ctx.store, ids, format)?;
            Ok(Reply::File { content_type, file_name, body: FileBody::Stream(stream(export)) })
        }
        _ => Err(Error::NotFound),
    }
}

/// The chunks of an export, produced on a blocking thread a few pages ahead of the client.
fn stream(export: Export) -> tokio::sync::mpsc::Receiver<Result<Bytes>> {
    let (send, receive) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        for chunk in export {
            let failed = chunk.is_err();
            if let Err(e) = &chunk {
                tracing::error!("export stopped: {e}");
            }
            // The client went away: stop loading.
            if send.blocking_send(chunk).is_err() || failed {
                break;
            }
        }
    });
    receive
}

// ---------------------------------------------------------------------------------------------
// Imports

/// The uploaded file (name, bytes): the multipart part `file`, or the whole body when it is
/// the file itself.
async fn uploaded_file(ctx: &Ctx<'_>) -> Result<(Option<String>, Bytes)> {
    let upload = ctx.upload.clone().ok_or_else(|| Error::invalid("File cannot be blank"))?;
    let media = crate::http::params::media_type(upload.content_type.as_deref());
    if media != "multipart/form-data" {
        if upload.body.is_empty() {
            return Err(Error::invalid("File cannot be blank"));
        }
        return Ok((None, upload.body));
    }
    let bad = |e: multer::Error| Error::BadRequest(format!("multipart: {e}"));
    let boundary = multer::parse_boundary(upload.content_type.as_deref().unwrap_or("")).map_err(bad)?;
    let body = upload.body;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Some(field) = form.next_field().await.map_err(bad)? {
        if field.name() == Some("file") {
            let name = field.file_name().map(str::to_string);
            return Ok((name, field.bytes().await.map_err(bad)?));
        }
    }
    Err(Error::invalid("File cannot be blank"))
}

fn flag(ctx: &Ctx<'_>, key: &str) -> bool {
    ctx.params.get(key).and_then(as_bool).unwrap_or(false)
}

/// `map[column]=field` or `map[]=column=field`.
fn column_map(
    ctx: &Ctx<'_>,
    fields: &[crate::domain::CustomField],
) -> Result<HashMap<String, Option<crate::formats::csv::Target>>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    match ctx.params.get("map") {
        Some(Value::Object(o)) => pairs.extend(o.iter().filter_map(|(k, v)| Some((k.clone(), as_text(v)?)))),
        Some(Value::Array(items)) => {
            for item in items.iter().filter_map(as_text) {
                let (column, field) =
                    item.split_once('=').ok_or_else(|| Error::invalid(format!("Map {item:?} is not column=field")))?;
                pairs.push((column.trim().to_string(), field.trim().to_string()));
            }
        }
        _ => {}
    }
    let mut map = HashMap::new();
    for (column, field) in pairs {
        let target = target_named(&field, fields).map_err(|e| Error::invalid(format!("Map {e}")))?;
        map.insert(column, target);
    }
    Ok(map)
}

pub async fn import(ctx: &Ctx<'_>) -> Result<Reply> {
    let p = &ctx.principal;
    p.require_login()?;
    let project = ctx.find_project(&ctx.param("project_id").ok_or(Error::NotFound)?)?;
    if !p.is_admin() && !p.allowed(Permission::ImportContacts, project.id) {
        return Err(p.deny());
    }
    let (file_name, bytes) = uploaded_file(ctx).await?;
    let fields = ctx.store.custom_fields("contact")?;
    let kind = match ctx.param("format") {
        Some(name) => Some(Kind::from_name(&name).ok_or_else(|| Error::invalid("Format is not included in the list"))?),
        None => match crate::http::params::media_type(ctx.upload.as_ref().and_then(|u| u.content_type.as_deref()))
            .as_str()
        {
            "text/vcard" | "text/x-vcard" => Some(Kind::Vcard),
            "text/csv" => Some(Kind::Csv),
            _ => None,
        },
    };
    let options = Options {
        kind,
        file_name,
        skip_invalid: flag(ctx, "skip_invalid"),
        dry_run: flag(ctx, "dry_run"),
        update_existing: flag(ctx, "update_existing"),
        map: column_map(ctx, &fields)?,
    };
    let skip_invalid = options.skip_invalid;
    let context =
        Context { fields, users: ctx.store.user_ids_by_login()?, project_id: project.id, author_id: p.user_id() };
    let open: import::Opener = Arc::new(move || Ok(Box::new(Cursor::new(bytes.clone())) as Box<dyn BufRead + Send>));
    let report = import::run(open, context, options, Sink::Store(ctx.store.clone()), None).await?;
    let body = report_document(ctx.format, &report);
    if report.succeeded(skip_invalid) {
        Ok(Reply::Ok(body))
    } else {
        Ok(Reply::Rejected(body))
    }
}

/// `{"import": {total, created, updated, rejected, photos_dropped, written, dry_run, errors:
/// [{line, card, field, message}]}}`.
pub fn report_document(format: Format, r: &Report) -> Vec<u8> {
    let mut d = Doc::new(format);
    d.begin("import");
    d.field("total", r.total as i64);
    d.field("created", r.created as i64);
    d.field("updated", r.updated as i64);
    d.field("rejected", r.rejected_count as i64);
    d.field("photos_dropped", r.photos_dropped as i64);
    d.field("written", r.written);
    d.field("dry_run", r.dry_run);
    d.begin_array("errors", None);
    if let Some(e) = &r.failure {
        d.begin_item("error");
        d.field("line", e.line as i64);
        d.field("card", None::<i64>);
        d.field("field", None::<&str>);
        d.field("message", e.message.as_str());
        d.end_item("error");
    }
    for rejection in &r.rejected {
        for (field, message) in &rejection.problems {
            d.begin_item("error");
            d.field("line", rejection.origin.line as i64);
            d.field("card", rejection.origin.card.map(|c| c as i64));
            d.field("field", field.as_str());
            d.field("message", message.as_str());
            d.end_item("error");
        }
    }
    d.end_array("errors");
    d.end("import");
    d.finish()
}

// ---------------------------------------------------------------------------------------------
// Duplicates and merge

/// The plugin's possible duplicates of `contact` that `p` may see, at most ten, by id: the
/// API's answer and the contact page's list.
pub fn visible_duplicates(store: &Store, p: &Principal, contact: &Contact) -> Result<Vec<Contact>> {
    let candidates = store.duplicate_candidates(contact.id, 500)?;
    let mut found = Vec::new();
    // Loaded a few at a time: most candidates are duplicates, and ten are enough.
    for chunk in candidates.chunks(2 * MAX_DUPLICATES) {
        let visible = store
            .contacts(chunk)?
            .into_iter()
            .filter(|c| is_duplicate(contact, c) && p.may_contact(Permission::ViewContacts, c));
        found.extend(visible.take(MAX_DUPLICATES - found.len()));
        if found.len() == MAX_DUPLICATES {
            break;
        }
    }
    Ok(found)
}

pub fn duplicates(ctx: &Ctx<'_>) -> Result<Reply> {
    let contact = authorized_contact(ctx, Permission::ViewContacts)?;
    let found = visible_duplicates(ctx.store, &ctx.principal, &contact)?;
    let fields = ctx.store.custom_fields("contact")?;
    let mut d = ctx.doc();
    let total = found.len() as i64;
    render::contacts::contact_list(&mut d, &found, &fields, ctx.list_meta(total, 0, MAX_DUPLICATES as i64), false);
    Ok(Reply::Ok(d.finish()))
}

pub async fn merge(ctx: &Ctx<'_>) -> Result<Reply> {
    let kept = authorized_contact(ctx, Permission::EditContacts)?;
    let p = &ctx.principal;
    let duplicate_id =
        ctx.params.get("duplicate_id").and_then(as_int).ok_or_else(|| Error::invalid("Duplicate cannot be blank"))?;
    let merged = ctx.store.contact(duplicate_id)?;
    if !p.may_contact(Permission::ViewContacts, &merged) || !p.may_contact(Permission::DeleteContacts, &merged) {
        return Err(p.deny());
    }
    ctx.store.merge_contacts(kept.id, merged.id).await?;
    let contact = ctx.store.contact(kept.id)?;
    let fields = ctx.store.custom_fields("contact")?;
    let mut d = ctx.doc();
    render::contacts::contact(&mut d, &contact, &fields, &Default::default());
    Ok(Reply::Ok(d.finish()))
}
