//! Import and export pages. Both run the API's own handlers (`api/exchange.rs`) with the
//! signed-in user's principal, so a page imports and exports exactly what the API would let
//! that user (`import_contacts` in the project, or admin; `export_contacts` for a list):
//!
//! - `GET /contacts/import`: the upload form (file, project, format, skip invalid, update
//!   existing, dry run); its `POST` (multipart, with the CSRF token) hands the file to the
//!   API's importer and shows the report: the counts and every refused record's line, card,
//!   field and Redmine's message;
//! - `GET /contacts/export` (and `/projects/:id/contacts/export`): with `file=csv` or
//!   `file=vcf`, the list as the page shows it (the same filter and sort parameters) as a file
//!   to save, through the API's exporter on `/contacts.csv|.vcf`; without `file`, a form to
//!   choose the format. These are page requests (a session cookie never authenticates the
//!   API's `.csv`/`.vcf` routes).

use askama::Template;
use hyper::Method;
use serde_json::{Map, Value};

use super::forms::{self, api_ctx};
use super::respond::Page;
use super::session::Ctx;
use super::views::{query_string, Chrome, Errors, Opt};
use crate::api::{self, Reply};
use crate::domain::permission::Permission;
use crate::error::{Error, Result};

/// The list filters an export carries over from the contact list page (the API's names).
const LIST_PARAMS: &[&str] = &["search", "project_id", "tags", "assigned_to_id", "is_company", "sort"];

/// The form's options: (parameter, label).
const FLAGS: &[(&str, &str)] = &[
    ("skip_invalid", "Skip invalid records (import the others)"),
    ("update_existing", "Update existing contacts (same primary e-mail)"),
    ("dry_run", "Dry run (check only, write nothing)"),
];

/// A check box of the import form.
pub struct Flag {
    pub name: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// One refused record (or the reason a file could not be read) in the report.
pub struct Problem {
    pub line: String,
    pub card: String,
    pub field: String,
    pub message: String,
}

/// The importer's report, as the API's document gives it.
pub struct Report {
    pub total: i64,
    pub created: i64,
    pub updated: i64,
    pub rejected: i64,
    pub photos_dropped: i64,
    pub written: bool,
    pub dry_run: bool,
    pub problems: Vec<Problem>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    errors: Errors,
    projects: Vec<Opt>,
    formats: Vec<Opt>,
    flags: Vec<Flag>,
    report: Option<Report>,
}

/// Whether the user may import anywhere (the API checks the chosen project).
fn may_import(ctx: &Ctx<'_>) -> Result<()> {
    let p = &ctx.principal;
    if p.is_admin() || p.allowed_anywhere(Permission::ImportContacts) {
        Ok(())
    } else {
        Err(p.deny())
    }
}

fn import_page(ctx: &Ctx<'_>, errors: Vec<String>, report: Option<Report>) -> Result<ImportPage> {
    let project = ctx.param("project_id").unwrap_or_default();
    let format = ctx.param("format").unwrap_or_default();
    let projects = forms::projects_with(ctx, Permission::ImportContacts)?;
    let formats = [("", "From the file"), ("vcf", "vCard"), ("csv", "CSV")]
        .iter()
        .map(|(v, label)| Opt::new(v, *label, format == *v))
        .collect();
    let posted = ctx.req.method == Method::POST;
    Ok(ImportPage {
        chrome: ctx.chrome("Import contacts", "contacts"),
        errors: Errors::new(errors, &["File", "Project", "Format"]),
        projects: forms::with_blank("Choose a project", &forms::project_pairs(&projects), &project),
        formats,
        flags: FLAGS
            .iter()
            .map(|(name, label)| Flag { name, label, checked: posted && ctx.param(name).is_some() })
            .collect(),
        report,
    })
}

/// `GET /contacts/import`: the upload form.
pub fn import_form(ctx: &Ctx<'_>) -> Result<Page> {
    may_import(ctx)?;
    Page::render(&import_page(ctx, Vec::new(), None)?)
}

/// `POST /contacts/import`: the file goes to the API's importer; the report (or the form's
/// errors) comes back as the page.
pub async fn import(ctx: &Ctx<'_>) -> Result<Page> {
    may_import(ctx)?;
    let mut params = forms::form_params(ctx);
    params.retain(|k, v| k != "format" || v.as_str().is_some_and(|s| !s.is_empty()));
    if ctx.param("project_id").is_none() {
        let page = import_page(ctx, vec!["Project cannot be blank".into()], None)?;
        return Page::render_with(422, &page);
    }
    let outcome = api::dispatch(api_ctx(ctx, Method::POST, "/contacts/import.json", params)?).await;
    let (status, document) = match forms::invalid(outcome)? {
        Ok(Reply::Ok(body)) => (200, body),
        Ok(Reply::Rejected(body)) => (422, body),
        Ok(_) => return Err(Error::Internal("the importer answered no report".into())),
        Err(messages) => return Page::render_with(422, &import_page(ctx, messages, None)?),
    };
    let report = read_report(&document)?;
    Page::render_with(status, &import_page(ctx, Vec::new(), Some(report))?)
}

/// The report out of the API's JSON document (`{"import": {…, "errors": […]}}`).
fn read_report(document: &[u8]) -> Result<Report> {
    let doc: Value = serde_json::from_slice(document).map_err(|e| Error::Internal(format!("import report: {e}")))?;
    let r = &doc["import"];
    let int = |v: &Value| v.as_i64().unwrap_or(0);
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let problems = r["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| Problem {
                    line: text(&e["line"]),
                    card: text(&e["card"]),
                    field: text(&e["field"]),
                    message: text(&e["message"]),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Report {
        total: int(&r["total"]),
        created: int(&r["created"]),
        updated: int(&r["updated"]),
        rejected: int(&r["rejected"]),
        photos_dropped: int(&r["photos_dropped"]),
        written: r["written"].as_bool().unwrap_or(false),
        dry_run: r["dry_run"].as_bool().unwrap_or(false),
        problems,
    })
}

#[derive(Template)]
#[template(path = "export.html")]
struct ExportPage {
    chrome: Chrome,
    action: String,
    /// The list's filters, carried as hidden fields.
    filters: Vec<(String, String)>,
    summary: String,
}

/// The list filters of the request (those the contact list page sets).
fn list_filters(ctx: &Ctx<'_>) -> Vec<(String, String)> {
    LIST_PARAMS.iter().filter_map(|k| Some((k.to_string(), ctx.param(k)?))).collect()
}

/// The links of the contact list page to its export, filters included (`base`: the list's
/// path).
pub fn export_links(base: &str, filters: &[(&str, String)]) -> (String, String) {
    let link = |file: &str| {
        let mut pairs: Vec<(&str, String)> = vec![("file", file.to_string())];
        pairs.extend(filters.iter().cloned());
        format!("{base}/export{}", query_string(&pairs))
    };
    (link("csv"), link("vcf"))
}

/// `GET /contacts/export[?file=csv|vcf&…filters]`, `GET /projects/:id/contacts/export`.
pub async fn export(ctx: &Ctx<'_>, project: Option<&str>) -> Result<Page> {
    let base = match project {
        Some(reference) => format!("/projects/{reference}/contacts"),
        None => "/contacts".to_string(),
    };
    let filters = list_filters(ctx);
    let Some(file) = ctx.param("file") else {
        if !ctx.principal.allowed_anywhere(Permission::ExportContacts) {
            return Err(ctx.principal.deny());
        }
        let summary = if filters.iter().all(|(k, _)| k == "sort") {
            "All the contacts you can see.".to_string()
        } else {
            let said: Vec<String> =
                filters.iter().filter(|(k, _)| k != "sort").map(|(k, v)| format!("{k} {v}")).collect();
            format!("The contacts of the list filtered by {}.", said.join(", "))
        };
        let page = ExportPage {
            chrome: ctx.chrome("Export contacts", "contacts"),
            action: format!("{base}/export"),
            filters,
            summary,
        };
        return Page::render(&page);
    };
    let (extension, version) = match file.as_str() {
        "csv" => ("csv", None),
        "vcf" => ("vcf", None),
        "vcf4" => ("vcf", Some("4.0")),
        _ => return Err(Error::invalid("Format is not included in the list")),
    };
    let mut params = Map::new();
    for (k, v) in filters {
        // A project's list is scoped by its path; `project_id` filters the list of all.
        if !(project.is_some() && k == "project_id") {
            params.insert(k, Value::String(v));
        }
    }
    if let Some(version) = version {
        params.insert("version".into(), Value::String(version.into()));
    }
    if extension == "csv" {
        params.insert("c".into(), Value::Array(vec![Value::String("all_inline".into())]));
    }
    let reply = api::dispatch(api_ctx(ctx, Method::GET, &format!("{base}.{extension}"), params)?).await?;
    match reply {
        Reply::File { .. } => Ok(Page::File(reply)),
        _ => Err(Error::Internal("the exporter answered no file".into())),
    }
}
