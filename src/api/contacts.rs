//! `/contacts`: list, show, create, update, delete, project membership, and `/contacts_tags`.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::fragments::FragmentKey;
use super::input::{self, paging, word_list};
use super::{queries, Ctx, Reply};
use crate::domain::attributes::as_text;
use crate::domain::changes::ContactChanges;
use crate::domain::permission::Permission;
use crate::domain::query::{filter_type, ContactQuery, IdFilter, SortKey, TextColumn, TextOp};
use crate::domain::saved_query::QueryKind;
use crate::domain::validate;
use crate::domain::{Contact, CustomField, Project};
use crate::error::{Error, Result};
use crate::render::contacts::Includes;
use crate::render::{self, Format};

// ---------------------------------------------------------------------------------------------
// Visibility and permissions

/// Loads a contact the principal may see and, where `perm` is not view, act on: 404 for an
/// unknown id first (as the plugin does), then 401/403.
pub(super) fn authorized_contact(ctx: &Ctx<'_>, perm: Permission) -> Result<Contact> {
    let id = ctx.id()?;
    let contact = ctx.store.contact(id)?;
    let p = &ctx.principal;
    if !p.may_contact(Permission::ViewContacts, &contact) || !p.may_contact(perm, &contact) {
        return Err(p.deny());
    }
    Ok(contact)
}

fn contact_fields(ctx: &Ctx<'_>) -> Result<std::sync::Arc<Vec<CustomField>>> {
    ctx.store.custom_fields("contact")
}

// ---------------------------------------------------------------------------------------------
// GET /contacts

/// The contact list a request asks for: its scope (`view_contacts` there, or anywhere), the
/// principal's visibility, a saved query and the filters; with the list's project, if any.
pub(super) fn list_query(ctx: &Ctx<'_>) -> Result<(ContactQuery, Option<i64>)> {
    let p = &ctx.principal;
    let scope = ctx.list_scope(Permission::ViewContacts)?;
    let mut query = ContactQuery::new(p.contact_visibility());
    query.projects = scope.as_ref().map(|s| s.projects.clone());
    let fields = contact_fields(ctx)?;
    let project_id = scope.as_ref().map(|s| s.project_id);
    let params =
        queries::params_with_saved_query(ctx, QueryKind::Contact, project_id, |name| filter_type(name, &fields))?;
    query.apply_params(&params, p, &fields)?;
    Ok((query, project_id))
}

pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    let (query, _) = list_query(ctx)?;
    let fields = contact_fields(ctx)?;
    let (offset, limit) = paging(&ctx.params);
    let with_projects = word_list(&ctx.params, "include").iter().any(|w| w == "projects");
    let mut d = ctx.doc();
    if with_projects {
        let (contacts, total) = ctx.store.contact_page(&query, offset, limit)?;
        render::contacts::contact_list(&mut d, &contacts, &fields, ctx.list_meta(total, offset, limit), true);
    } else {
        let (page, total) = ctx.store.contact_page_versions(&query, offset, limit)?;
        let items = rendered_items(ctx, &page, &fields)?;
        render::contacts::rendered_list(&mut d, &items, ctx.list_meta(total, offset, limit));
    }
    Ok(Reply::Ok(d.finish()))
}

/// The list items of a page, from the rendered-contact cache where they are current; the
/// others are loaded, rendered and cached.
fn rendered_items(ctx: &Ctx<'_>, page: &[(i64, i64)], fields: &[CustomField]) -> Result<Vec<Arc<[u8]>>> {
    let fragments = ctx.fragments;
    let config_version = ctx.store.config_version();
    let key = |id: i64, updated_on: i64| FragmentKey { id, updated_on, config_version, xml: ctx.format == Format::Xml };
    let mut items: Vec<Option<Arc<[u8]>>> =
        page.iter().map(|(id, updated)| fragments.get(&key(*id, *updated))).collect();
    let missing: Vec<i64> =
        page.iter().zip(&items).filter(|(_, item)| item.is_none()).map(|((id, _), _)| *id).collect();
    if !missing.is_empty() {
        let loaded = ctx.store.contacts(&missing)?;
        for contact in loaded {
            let bytes: Arc<[u8]> = render::contacts::list_item(ctx.format, &contact, fields).into();
            fragments.put(key(contact.id, contact.updated_on), bytes.clone());
            if let Some(slot) = page.iter().position(|(id, _)| *id == contact.id) {
                items[slot] = Some(bytes);
            }
        }
    }
    // A contact deleted between the page and its load is left out, as a later page would.
    Ok(items.into_iter().flatten().collect())
}

// ---------------------------------------------------------------------------------------------
// GET /contacts/:id

pub fn show(ctx: &Ctx<'_>) -> Result<Reply> {
    let contact = authorized_contact(ctx, Permission::ViewContacts)?;
    let fields = contact_fields(ctx)?;
    let includes = includes(ctx, &contact)?;
    let mut d = ctx.doc();
    render::contacts::contact(&mut d, &contact, &fields, &includes);
    Ok(Reply::Ok(d.finish()))
}

/// The project a contact is seen from: `project_id` when the contact is in it, else the first
/// of its projects where the principal may view contacts, else its first project.
fn context_project(ctx: &Ctx<'_>, contact: &Contact) -> Option<i64> {
    let p = &ctx.principal;
    let named = ctx.param("project_id");
    let ids = contact.projects.iter().map(|(id, _)| *id);
    if let Some(named) = named {
        if let Some((id, _)) = contact.projects.iter().find(|(id, _)| id.to_string() == named) {
            return Some(*id);
        }
        if let Ok(project) = ctx.store.project(&named) {
            if contact.projects.iter().any(|(id, _)| *id == project.id) {
                return Some(project.id);
            }
        }
    }
    ids.clone().find(|id| p.allowed(Permission::ViewContacts, *id)).or_else(|| ids.clone().next())
}

fn includes(ctx: &Ctx<'_>, contact: &Contact) -> Result<Includes> {
    let wanted = word_list(&ctx.params, "include");
    let mut includes = Includes::default();
    if wanted.is_empty() {
        return Ok(includes);
    }
    let p = &ctx.principal;
    let context = context_project(ctx, contact).unwrap_or(0);
    if wanted.iter().any(|w| w == "notes") && p.allowed(Permission::ViewContacts, context) {
        includes.notes = Some(ctx.store.notes_of("Contact", contact.id)?);
    }
    if wanted.iter().any(|w| w == "contacts") && contact.is_company {
        // Employees are linked by company name; only those the principal may see are listed.
        let mut q = ContactQuery::new(p.contact_visibility());
        q.is_company = Some(false);
        q.text.push((TextColumn::Company, TextOp::Is(vec![contact.first_name.clone()])));
        q.ids = Some(IdFilter::NotIn(vec![contact.id]));
        q.sort = vec![(SortKey::Name, false)];
        let (employees, _) = ctx.store.contact_page(&q, 0, 1000)?;
        includes.contacts = Some(employees.iter().map(|e| (e.id, e.reference_name())).collect());
    }
    if wanted.iter().any(|w| w == "deals") && p.allowed(Permission::ViewDeals, context) {
        let visible = p.projects_with(Permission::ViewDeals);
        includes.deals = Some(ctx.store.deals_of_contact(contact.id, &visible)?);
    }
    Ok(includes)
}

// ---------------------------------------------------------------------------------------------
// POST /contacts, PUT /contacts/:id, DELETE /contacts/:id

pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    let p = &ctx.principal;
    let attrs = input::record(&ctx.params, "contact", "Contact")?;
    let project = ctx.find_project(&ctx.named_project(&attrs).ok_or(Error::NotFound)?)?;
    if !p.allowed(Permission::AddContacts, project.id) {
        return Err(p.deny());
    }
    let fields = contact_fields(ctx)?;
    let mut changes = validated(ctx, &attrs, &fields, true)?;
    changes.author_id = changes.author_id.or(Some(p.user_id()));
    if changes.project_ids.is_none() {
        changes.project_ids = Some(vec![project.id]);
    }
    let id = ctx.store.create_contact(changes).await?;

    if let Some(url) = ctx.param("redirect_on_success") {
        if url.starts_with("http://") || url.starts_with("https://") {
            return Ok(Reply::Redirect(url));
        }
    }
    let contact = ctx.store.contact(id)?;
    let includes = includes(ctx, &contact)?;
    let mut d = ctx.doc();
    render::contacts::contact(&mut d, &contact, &fields, &includes);
    Ok(Reply::Created { body: d.finish(), location: format!("/contacts/{id}") })
}

pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    let contact = authorized_contact(ctx, Permission::EditContacts)?;
    let attrs = input::record(&ctx.params, "contact", "Contact")?;
    let fields = contact_fields(ctx)?;
    let changes = validated(ctx, &attrs, &fields, false)?;
    let id = contact.id;
    ctx.store.update_contact(id, changes).await?;
    Ok(Reply::NoContent)
}

pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    let contact = authorized_contact(ctx, Permission::DeleteContacts)?;
    ctx.store.delete_contact(contact.id).await?;
    Ok(Reply::NoContent)
}

/// The `contact` hash validated, its projects checked against the store.
fn validated(
    ctx: &Ctx<'_>,
    attrs: &Map<String, Value>,
    fields: &[CustomField],
    creating: bool,
) -> Result<ContactChanges> {
    let (mut changes, mut problems) = validate::contact(attrs, fields, creating);
    let max_tags = ctx.limits.max_tags;
    if changes.tags.as_ref().is_some_and(|tags| tags.len() > max_tags) {
        problems.add("Tags", &format!("are too many (maximum is {max_tags})"));
    }
    if let Some(ids) = changes.project_ids.take() {
        match ctx.store.projects_exist(&ids)? {
            true => changes.project_ids = Some(ids),
            false => problems.add("Project", "is invalid"),
        }
    }
    problems.into_result()?;
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// Contact ↔ project

fn target_project(ctx: &Ctx<'_>) -> Result<Arc<Project>> {
    let from_body = match ctx.params.get("project") {
        Some(Value::Object(o)) => o.get("id").and_then(as_text),
        Some(v) => as_text(v),
        None => None,
    };
    let reference = from_body.or_else(|| ctx.param("project_id")).ok_or(Error::NotFound)?;
    ctx.find_project(&reference)
}

fn editable_contact_and_project(
    ctx: &Ctx<'_>,
    project: impl FnOnce(&Ctx) -> Result<Arc<Project>>,
) -> Result<(Contact, Arc<Project>)> {
    let p = &ctx.principal;
    if !p.allowed_anywhere(Permission::EditContacts) {
        return Err(p.deny());
    }
    let contact = authorized_contact(ctx, Permission::EditContacts)?;
    let project = project(ctx)?;
    if !p.allowed(Permission::EditContacts, project.id) {
        return Err(p.deny());
    }
    Ok((contact, project))
}

pub async fn add_project(ctx: &Ctx<'_>) -> Result<Reply> {
    let (contact, project) = editable_contact_and_project(ctx, target_project)?;
    ctx.store.add_contact_project(contact.id, project.id).await?;
    Ok(Reply::NoContent)
}

pub async fn remove_project(ctx: &Ctx<'_>) -> Result<Reply> {
    let (contact, project) = editable_contact_and_project(ctx, |ctx| {
        let reference = ctx.matched.project.clone().ok_or(Error::NotFound)?;
        ctx.find_project(&reference)
    })?;
    ctx.store.remove_contact_project(contact.id, project.id).await?;
    Ok(Reply::NoContent)
}

// ---------------------------------------------------------------------------------------------
// GET /contacts_tags

// ---------------------------------------------------------------------------------------------
// GET /crm_queries
