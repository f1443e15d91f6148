//! `/contacts`: list, show, create, update, delete, project membership, and `/contacts_tags`.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::fragments::FragmentKey;
use super::input::{self, paging, word_list};
use super::{Ctx, Reply};
use crate::domain::attributes::{
    as_bool, as_int, as_text, check_length, opt_bool, opt_int, opt_int_list, opt_text, Problems,
};
use crate::domain::changes::{AddressChanges, ContactChanges};
use crate::domain::permission::Permission;
use crate::domain::query::{ContactQuery, IdFilter, SortKey, TextColumn, TextOp};
use crate::domain::time::parse_date;
use crate::domain::{emails_valid, parse_tag_list, Contact, CustomField, Project};
use crate::error::{Error, Result};
use crate::render::contacts::Includes;
use crate::render::{self, Format};

/// Longest value of a short text column (the plugin's varchar(255)).
const SHORT_TEXT: usize = 255;
/// Longest `background` (the plugin's TEXT column).
const LONG_TEXT: usize = 65_535;

// ---------------------------------------------------------------------------------------------
// Visibility and permissions

/// Loads a contact the principal may see and, where `perm` is not view, act on: 404 for an
/// unknown id first (as the plugin does), then 401/403.
fn authorized_contact(ctx: &Ctx<'_>, perm: Permission) -> Result<Contact> {
    let id = ctx.id()?;
    let contact = ctx.store.contact(id)?;
    let p = &ctx.principal;
    if !p.may_contact(Permission::ViewContacts, &contact) || !p.may_contact(perm, &contact) {
        return Err(p.deny());
    }
    Ok(contact)
}

/// The project named by the route or `project_id`: unknown → 404 (401 for anonymous, as
/// Redmine 5 answers).
fn find_project(ctx: &Ctx<'_>, reference: &str) -> Result<Arc<Project>> {
    ctx.store.project(reference).map_err(|e| match e {
        Error::NotFound if ctx.principal.is_anonymous() => Error::Unauthorized,
        other => other,
    })
}

fn scope_project(ctx: &Ctx<'_>) -> Result<Option<Arc<Project>>> {
    match ctx.matched.project.clone().or_else(|| ctx.param("project_id")) {
        Some(r) => find_project(ctx, &r).map(Some),
        None => Ok(None),
    }
}

fn contact_fields(ctx: &Ctx<'_>) -> Result<std::sync::Arc<Vec<CustomField>>> {
    ctx.store.custom_fields("contact")
}

// ---------------------------------------------------------------------------------------------
// GET /contacts

pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    let p = &ctx.principal;
    let project = scope_project(ctx)?;
    let allowed = match &project {
        Some(project) => p.allowed(Permission::ViewContacts, project.id),
        None => p.allowed_anywhere(Permission::ViewContacts),
    };
    if !allowed {
        return Err(p.deny());
    }
    let mut query = ContactQuery::new(p.contact_visibility());
    if let Some(project) = &project {
        query.projects = Some(ctx.store.project_subtree(project.id)?.to_vec());
    }
    query.apply_params(&ctx.params, p)?;
    let (offset, limit) = paging(&ctx.params);
    let with_projects = word_list(&ctx.params, "include").iter().any(|w| w == "projects");
    let fields = contact_fields(ctx)?;
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
    let project = find_project(ctx, &ctx.named_project(&attrs).ok_or(Error::NotFound)?)?;
    if !p.allowed(Permission::AddContacts, project.id) {
        return Err(p.deny());
    }
    let fields = contact_fields(ctx)?;
    let mut changes = changes_from(ctx, &attrs, &fields, true)?;
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
    let changes = changes_from(ctx, &attrs, &fields, false)?;
    let id = contact.id;
    ctx.store.update_contact(id, changes).await?;
    Ok(Reply::NoContent)
}

pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    let contact = authorized_contact(ctx, Permission::DeleteContacts)?;
    ctx.store.delete_contact(contact.id).await?;
    Ok(Reply::NoContent)
}

/// A short text attribute: read, length-checked.
fn text_attr(
    attrs: &Map<String, Value>,
    key: &str,
    label: &str,
    max: usize,
    problems: &mut Problems,
) -> Option<Option<String>> {
    let value = opt_text(attrs, key, label, problems);
    check_length(&value, label, max, problems);
    value
}

/// Reads and validates the `contact` hash of a create (`creating`) or update.
fn changes_from(
    ctx: &Ctx<'_>,
    attrs: &Map<String, Value>,
    fields: &[CustomField],
    creating: bool,
) -> Result<ContactChanges> {
    let mut pr = Problems::default();
    let mut c = ContactChanges::default();
    match text_attr(attrs, "first_name", "First Name", SHORT_TEXT, &mut pr) {
        Some(Some(s)) if !s.trim().is_empty() => c.first_name = Some(s),
        Some(_) => pr.add("First Name", "cannot be blank"),
        None if creating && !attrs.contains_key("first_name") => pr.add("First Name", "cannot be blank"),
        None => {}
    }
    c.last_name = text_attr(attrs, "last_name", "Last Name", SHORT_TEXT, &mut pr);
    c.middle_name = text_attr(attrs, "middle_name", "Middle Name", SHORT_TEXT, &mut pr);
    c.company = text_attr(attrs, "company", "Company", SHORT_TEXT, &mut pr);
    c.phone = text_attr(attrs, "phone", "Phone", SHORT_TEXT, &mut pr);
    c.website = text_attr(attrs, "website", "Website", SHORT_TEXT, &mut pr);
    c.skype_name = text_attr(attrs, "skype_name", "Skype", SHORT_TEXT, &mut pr);
    c.job_title = text_attr(attrs, "job_title", "Job title", SHORT_TEXT, &mut pr);
    c.background = text_attr(attrs, "background", "Background", LONG_TEXT, &mut pr);
    c.email = opt_text(attrs, "email", "Email", &mut pr)
        .map(|e| e.map(|s| s.chars().filter(|ch| !ch.is_whitespace()).collect::<String>()));
    check_length(&c.email, "Email", SHORT_TEXT, &mut pr);
    if let Some(Some(email)) = &c.email {
        if !emails_valid(email) {
            pr.add("Email", "have incorrect format");
        }
    }
    // An unparseable birthday is dropped silently, as the plugin does.
    c.birthday = opt_text(attrs, "birthday", "Birthday", &mut pr).map(|b| b.as_deref().and_then(parse_date));
    c.is_company = opt_bool(attrs, "is_company", "Company", &mut pr);
    if let Some(v) = attrs.get("visibility") {
        match as_int(v) {
            Some(level @ 0..=2) => c.visibility = Some(level),
            _ => pr.add("Visibility", "is not included in the list"),
        }
    }
    c.assigned_to_id = opt_int(attrs, "assigned_to_id", "Assignee", &mut pr);
    c.author_id = opt_int(attrs, "author_id", "Author", &mut pr).flatten();
    c.tags = tag_list(attrs.get("tag_list"), &mut pr);
    if let Some(v) = attrs.get("address_attributes") {
        c.address = address_changes(v, &mut pr);
    }
    c.custom_values = custom_values(attrs, fields, creating, &mut pr);
    if let Some(ids) = opt_int_list(attrs, "project_ids", "Project", &mut pr) {
        if ids.is_empty() {
            pr.add("Project", "cannot be blank");
        } else {
            match ctx.store.projects_exist(&ids)? {
                true => c.project_ids = Some(ids),
                false => pr.add("Project", "is invalid"),
            }
        }
    }
    pr.into_result()?;
    Ok(c)
}

fn tag_list(value: Option<&Value>, pr: &mut Problems) -> Option<Vec<String>> {
    let tags = match value? {
        Value::Null => Vec::new(),
        Value::Array(items) => {
            let joined: Vec<String> =
                items.iter().filter_map(as_text).map(|t| format!("\"{}\"", t.replace('"', ""))).collect();
            parse_tag_list(&joined.join(","))
        }
        v => match as_text(v) {
            Some(s) => parse_tag_list(&s),
            None => {
                pr.add("Tags", "is invalid");
                return None;
            }
        },
    };
    if tags.iter().any(|t| t.chars().count() > SHORT_TEXT) {
        pr.add("Tags", &format!("is too long (maximum is {SHORT_TEXT} characters)"));
    }
    Some(tags)
}

fn address_changes(value: &Value, pr: &mut Problems) -> Option<AddressChanges> {
    let Value::Object(a) = value else {
        if !value.is_null() {
            pr.add("Address", "is invalid");
        }
        return None;
    };
    let mut part = |key: &str, label: &str| text_attr(a, key, label, SHORT_TEXT, pr);
    Some(AddressChanges {
        street1: part("street1", "Street"),
        street2: part("street2", "Street 2"),
        city: part("city", "City"),
        region: part("region", "Region"),
        postcode: part("postcode", "Postcode"),
        country_code: part("country_code", "Country"),
        destroy: a.get("_destroy").and_then(as_bool).unwrap_or(false),
    })
}

/// `custom_fields: [{id, value}]` or `custom_field_values: {id: value}`, checked against the
/// field definitions; on create, fields not given take their default value.
pub fn custom_values(
    attrs: &Map<String, Value>,
    fields: &[CustomField],
    creating: bool,
    pr: &mut Problems,
) -> Vec<(i64, Vec<String>)> {
    let mut given: Vec<(i64, &Value)> = Vec::new();
    match attrs.get("custom_fields") {
        Some(Value::Array(items)) => {
            for item in items {
                if let Value::Object(o) = item {
                    if let (Some(id), Some(value)) = (o.get("id").and_then(as_int), o.get("value")) {
                        given.push((id, value));
                    }
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => pr.add("Custom fields", "is invalid"),
    }
    if let Some(Value::Object(o)) = attrs.get("custom_field_values") {
        for (k, v) in o {
            if let Ok(id) = k.parse() {
                given.push((id, v));
            }
        }
    }
    let mut out = Vec::new();
    for f in fields {
        let value = given.iter().rev().find(|(id, _)| *id == f.id).map(|(_, v)| *v);
        let values: Vec<String> = match value {
            Some(Value::Array(items)) => items.iter().filter_map(as_text).collect(),
            Some(Value::Null) => Vec::new(),
            Some(v) => match as_text(v) {
                Some(s) => vec![s],
                None => {
                    pr.add(&f.name, "is invalid");
                    continue;
                }
            },
            None if creating => f.default_value.iter().filter(|d| !d.is_empty()).cloned().collect(),
            None => continue,
        };
        let mut values: Vec<String> = values.into_iter().filter(|v| !v.trim().is_empty()).collect();
        if !f.multiple {
            values.truncate(1);
        }
        if f.is_required && values.is_empty() && (creating || value.is_some()) {
            pr.add(&f.name, "cannot be blank");
        }
        for v in &values {
            if let Some(message) = custom_value_problem(f, v) {
                pr.add(&f.name, &message);
            }
        }
        if value.is_some() || !values.is_empty() {
            out.push((f.id, values));
        }
    }
    out
}

/// Redmine's per-format checks of one custom field value.
fn custom_value_problem(f: &CustomField, v: &str) -> Option<String> {
    let length = v.chars().count() as i64;
    if let Some(max) = f.max_length.filter(|m| *m > 0) {
        if length > max {
            return Some(format!("is too long (maximum is {max} characters)"));
        }
    }
    if let Some(min) = f.min_length.filter(|m| *m > 0) {
        if length < min {
            return Some(format!("is too short (minimum is {min} characters)"));
        }
    }
    if length > LONG_TEXT as i64 {
        return Some(format!("is too long (maximum is {LONG_TEXT} characters)"));
    }
    match f.field_format.as_str() {
        "int" if v.trim().parse::<i64>().is_err() => Some("is not a number".into()),
        "float" if v.trim().parse::<f64>().map_or(true, |x| !x.is_finite()) => Some("is invalid".into()),
        "date" if parse_date(v).is_none() => Some("is not a valid date".into()),
        "list" if !f.possible_values.iter().any(|p| p == v) => Some("is not included in the list".into()),
        "bool" if !matches!(v, "0" | "1") => Some("is not included in the list".into()),
        _ => None,
    }
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
    find_project(ctx, &reference)
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
        find_project(ctx, &reference)
    })?;
    ctx.store.remove_contact_project(contact.id, project.id).await?;
    Ok(Reply::NoContent)
}

// ---------------------------------------------------------------------------------------------
// GET /contacts_tags

pub fn tags(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    let tags = ctx.store.contact_tags()?;
    let mut d = ctx.doc();
    render::contacts::tag_list(&mut d, &tags);
    Ok(Reply::Ok(d.finish()))
}

// ---------------------------------------------------------------------------------------------
// GET /crm_queries

/// Saved queries (API.md §3.9). This product keeps no saved queries yet, so the list is empty;
/// `object_type` must still name contacts or deals.
pub fn saved_queries(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    match ctx.param("object_type").as_deref() {
        Some("contact") | Some("deal") => {}
        _ => return Err(Error::NotFound),
    }
    let (offset, limit) = paging(&ctx.params);
    let mut d = ctx.doc();
    d.begin_array("queries", ctx.list_meta(0, offset, limit));
    d.end_array("queries");
    Ok(Reply::Ok(d.finish()))
}
