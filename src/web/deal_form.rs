//! A deal's page (details, related contacts, notes) and its new and edit forms, which post
//! the API's parameters (`deal[name]`, `deal[price]`, …) to the API's handlers; deleting a
//! deal after a confirmation.

use askama::Template;
use hyper::Method;
use serde_json::{json, Map, Value};

use super::contact_form::ConfirmDelete;
use super::deals::money;
use super::forms::{self, text, through_api};
use super::notes::{self, NoteDraft, NotesBlock};
use super::respond::Page;
use super::session::Ctx;
use super::views::{self, Chrome, Errors, Opt};
use crate::domain::permission::Permission;
use crate::domain::{validate, Deal};
use crate::error::{Error, Result};

const LABELS: &[&str] = &[
    "Name",
    "Sum",
    "Currency",
    "Probability",
    "Due date",
    "Status",
    "Category",
    "Contact",
    "Project",
    "Assignee",
    "Background",
    "Related contacts",
    "Duration",
    "Price type",
];

/// The deal of the path, if the principal may `perm` it (404 before 403, as the API).
fn authorized(ctx: &Ctx<'_>, id: i64, perm: Permission) -> Result<Deal> {
    let deal = ctx.app.store.deal(id)?;
    if !ctx.principal.may_deal(perm, &deal) {
        return Err(ctx.principal.deny());
    }
    Ok(deal)
}

#[derive(Template)]
#[template(path = "deal_show.html")]
struct Show {
    chrome: Chrome,
    id: i64,
    name: String,
    price: String,
    status: String,
    status_class: &'static str,
    props: Vec<(&'static str, String)>,
    contact: Option<(i64, String)>,
    related: Vec<(i64, String)>,
    project: (i64, String),
    background: String,
    custom: Vec<(String, String)>,
    can_edit: bool,
    can_delete: bool,
    notes: NotesBlock,
}

pub fn show(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    show_with(ctx, id, NoteDraft::default(), 200)
}

/// The deal's page; `draft` is a note that failed validation.
pub fn show_with(ctx: &Ctx<'_>, id: i64, draft: NoteDraft, status: u16) -> Result<Page> {
    let p = &ctx.principal;
    let store = &ctx.app.store;
    let d = authorized(ctx, id, Permission::ViewDeals)?;
    let status_type =
        d.status.as_ref().and_then(|(sid, _)| store.deal_status(*sid).ok().flatten()).map_or(0, |s| s.status_type);
    let mut props = Vec::new();
    let mut add = |label: &'static str, value: String| {
        if !value.is_empty() {
            props.push((label, value));
        }
    };
    add("Probability", d.probability.map(|v| format!("{v}%")).unwrap_or_default());
    add("Due date", d.due_date.map(views::date).unwrap_or_default());
    add("Category", d.category.as_ref().map(|c| c.1.clone()).unwrap_or_default());
    add("Assigned to", d.assigned_to.as_ref().map(|u| u.name.clone()).unwrap_or_default());
    add("Author", d.author.as_ref().map(|u| u.name.clone()).unwrap_or_default());
    add("Created", views::datetime(d.created_on));
    add("Updated", views::datetime(d.updated_on));
    let fields = store.custom_fields("deal")?;
    let custom = fields
        .iter()
        .filter(|f| f.visible)
        .filter_map(|f| {
            let values: Vec<&str> = d
                .custom_values
                .iter()
                .filter(|(id, v)| *id == f.id && !v.is_empty())
                .map(|(_, v)| v.as_str())
                .collect();
            (!values.is_empty()).then(|| (f.name.clone(), values.join(", ")))
        })
        .collect();
    let notes = notes::block(ctx, "Deal", d.id, p.notes_of_deal(&d), draft)?;
    let page = Show {
        chrome: ctx.chrome(d.name.clone(), "deals"),
        id: d.id,
        name: d.name.clone(),
        price: money(d.price.as_deref(), d.currency.as_deref()),
        status: d.status.as_ref().map(|s| s.1.clone()).unwrap_or_default(),
        status_class: match status_type {
            1 => "won",
            2 => "lost",
            _ => "open",
        },
        props,
        contact: d.contact.clone(),
        related: d.related_contacts.clone(),
        project: d.project.clone(),
        background: d.background.clone().unwrap_or_default(),
        custom,
        can_edit: p.may_deal(Permission::EditDeals, &d),
        can_delete: p.may_deal(Permission::DeleteDeals, &d),
        notes,
    };
    Page::render_with(status, &page)
}

/// The form's text values.
#[derive(Default)]
pub struct Values {
    pub name: String,
    pub price: String,
    pub currency: String,
    pub probability: String,
    pub due_date: String,
    pub contact_id: String,
    pub background: String,
}

#[derive(Template)]
#[template(path = "deal_form.html")]
struct FormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    put: bool,
    cancel: String,
    v: Values,
    contact_name: String,
    projects: Vec<Opt>,
    statuses: Vec<Opt>,
    categories: Vec<Opt>,
    assignees: Vec<Opt>,
    errors: Errors,
}

fn record_of(d: &Deal) -> Map<String, Value> {
    let id = |r: &Option<(i64, String)>| r.as_ref().map(|(id, _)| id.to_string()).unwrap_or_default();
    json!({
        "name": d.name, "price": d.price.clone().unwrap_or_default(),
        "currency": d.currency.clone().unwrap_or_default(),
        "probability": d.probability.map(|p| p.to_string()).unwrap_or_default(),
        "due_date": d.due_date.map(views::date).unwrap_or_default(),
        "contact_id": id(&d.contact), "status_id": id(&d.status), "category_id": id(&d.category),
        "project_id": d.project.0.to_string(),
        "assigned_to_id": d.assigned_to.as_ref().map(|u| u.id.to_string()).unwrap_or_default(),
        "background": d.background.clone().unwrap_or_default(),
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

fn form_page(ctx: &Ctx<'_>, existing: Option<&Deal>, record: &Map<String, Value>, errors: Vec<String>) -> Result<Page> {
    let store = &ctx.app.store;
    let perm = if existing.is_some() { Permission::EditDeals } else { Permission::AddDeals };
    let project_id = text(record, "project_id");
    let projects = forms::with_blank("", &forms::project_pairs(&forms::projects_with(ctx, perm)?), &project_id);
    let status_id = text(record, "status_id");
    let default_status = store.default_deal_status()?.map(|id| id.to_string()).unwrap_or_default();
    let statuses = store
        .deal_statuses()?
        .iter()
        .map(|s| {
            let chosen = if status_id.is_empty() { default_status.clone() } else { status_id.clone() };
            Opt::new(s.id, s.name.clone(), chosen == s.id.to_string())
        })
        .collect();
    let categories = match project_id.parse::<i64>() {
        Ok(pid) => forms::with_blank("", &store.deal_categories(pid)?, &text(record, "category_id")),
        Err(_) => vec![Opt::new("", "", true)],
    };
    let contact_id = text(record, "contact_id");
    let contact_name = contact_id
        .parse::<i64>()
        .ok()
        .and_then(|id| store.contact(id).ok())
        .filter(|c| ctx.principal.may_contact(Permission::ViewContacts, c))
        .map(|c| c.reference_name())
        .unwrap_or_default();
    let assignees =
        forms::with_blank("", &forms::assignable_users(ctx, Permission::ViewDeals)?, &text(record, "assigned_to_id"));
    let (heading, action, cancel) = match existing {
        Some(d) => (format!("Edit {}", d.name), format!("/deals/{}", d.id), format!("/deals/{}", d.id)),
        None => ("New deal".to_string(), "/deals".to_string(), "/deals".to_string()),
    };
    let status = if errors.is_empty() { 200 } else { 422 };
    let page = FormPage {
        chrome: ctx.chrome(heading.clone(), "deals"),
        heading,
        action,
        put: existing.is_some(),
        cancel,
        v: Values {
            name: text(record, "name"),
            price: text(record, "price"),
            currency: text(record, "currency"),
            probability: text(record, "probability"),
            due_date: text(record, "due_date"),
            contact_id,
            background: text(record, "background"),
        },
        contact_name,
        projects,
        statuses,
        categories,
        assignees,
        errors: Errors::new(errors, LABELS),
    };
    Page::render_with(status, &page)
}

/// `GET /deals/new` (`?contact_id=` from a contact's page).
pub fn new(ctx: &Ctx<'_>) -> Result<Page> {
    if !ctx.principal.allowed_anywhere(Permission::AddDeals) {
        return Err(ctx.principal.deny());
    }
    let mut record = Map::new();
    for key in ["contact_id", "project_id"] {
        if let Some(v) = ctx.param(key) {
            record.insert(key.into(), Value::String(v));
        }
    }
    if !record.contains_key("project_id") {
        let first = forms::projects_with(ctx, Permission::AddDeals)?.first().map(|p| p.id.to_string());
        if let Some(first) = first {
            record.insert("project_id".into(), Value::String(first));
        }
    }
    form_page(ctx, None, &record, Vec::new())
}

/// `POST /deals`.
pub async fn create(ctx: &Ctx<'_>) -> Result<Page> {
    let params = forms::form_params(ctx);
    let record = forms::record(&params, "deal");
    if text(&record, "project_id").is_empty() {
        let fields = ctx.app.store.custom_fields("deal")?;
        let (_, mut problems) = validate::deal(&record, &fields, true);
        problems.add("Project", "cannot be blank");
        return form_page(ctx, None, &record, problems.0);
    }
    match forms::invalid(through_api(ctx, Method::POST, "/deals", params).await)? {
        Ok(reply) => {
            ctx.flash("Successful creation.");
            let id = forms::created_id(&reply).ok_or_else(|| Error::Internal("no id in a create".into()))?;
            Page::redirect(format!("/deals/{id}"))
        }
        Err(errors) => form_page(ctx, None, &record, errors),
    }
}

pub fn edit(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let d = authorized(ctx, id, Permission::EditDeals)?;
    form_page(ctx, Some(&d), &record_of(&d), Vec::new())
}

/// `PUT /deals/:id` (a form with `_method=put`).
pub async fn update(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let params = forms::form_params(ctx);
    match forms::invalid(through_api(ctx, Method::PUT, &format!("/deals/{id}"), params.clone()).await)? {
        Ok(_) => {
            ctx.flash("Successful update.");
            Page::redirect(format!("/deals/{id}"))
        }
        Err(errors) => {
            let d = authorized(ctx, id, Permission::EditDeals)?;
            form_page(ctx, Some(&d), &forms::record(&params, "deal"), errors)
        }
    }
}

pub fn confirm_delete(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let d = authorized(ctx, id, Permission::DeleteDeals)?;
    Page::render(&ConfirmDelete {
        chrome: ctx.chrome("Delete deal", "deals"),
        what: d.name.clone(),
        action: format!("/deals/{id}"),
        cancel: format!("/deals/{id}"),
        csrf: ctx.csrf(),
    })
}

pub async fn destroy(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    through_api(ctx, Method::DELETE, &format!("/deals/{id}"), Map::new()).await?;
    ctx.flash("Successful deletion.");
    Page::redirect("/deals")
}
