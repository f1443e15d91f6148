//! The new and edit forms of a contact (every field of the API: address, tags, custom fields,
//! visibility, projects), and deleting one after a confirmation. The forms post the API's own
//! parameters (`contact[first_name]`, `contact[address_attributes][city]`,
//! `contact[custom_field_values][3]`, …) to the API's handlers; Redmine's validation messages
//! come back and are shown next to their fields.

use askama::Template;
use hyper::Method;
use serde_json::{json, Map, Value};

use super::forms::{self, text, texts, through_api};
use super::respond::Page;
use super::session::Ctx;
use super::views::{Chrome, Errors, Opt};
use crate::api::Reply;
use crate::domain::permission::Permission;
use crate::domain::{join_tag_list, validate, Contact, CustomField};
use crate::error::{Error, Result};

/// The labels Redmine's messages start with, for the fields of this form.
const LABELS: &[&str] = &[
    "First Name",
    "Last Name",
    "Middle Name",
    "Company",
    "Job title",
    "Phone",
    "Email",
    "Website",
    "Skype",
    "Birthday",
    "Tags",
    "Background",
    "Visibility",
    "Assignee",
    "Project",
    "Street",
    "Street 2",
    "City",
    "Region",
    "Postcode",
    "Country",
];

/// A custom field's input.
pub struct CustomInput {
    pub id: i64,
    pub label: String,
    /// "text", "textarea", "date", "select", "multi".
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
    pub required: bool,
}

/// The text values of the form (from a contact, or from a form posted with errors).
#[derive(Default)]
pub struct Values {
    pub first_name: String,
    pub last_name: String,
    pub middle_name: String,
    pub company: String,
    pub job_title: String,
    pub phone: String,
    pub email: String,
    pub website: String,
    pub skype_name: String,
    pub birthday: String,
    pub tag_list: String,
    pub background: String,
    pub street1: String,
    pub street2: String,
    pub city: String,
    pub region: String,
    pub postcode: String,
}

#[derive(Template)]
#[template(path = "contact_form.html")]
struct FormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    put: bool,
    cancel: String,
    creating: bool,
    v: Values,
    is_company: bool,
    projects: Vec<Opt>,
    assignees: Vec<Opt>,
    visibility: Vec<Opt>,
    countries: Vec<Opt>,
    custom: Vec<CustomInput>,
    errors: Errors,
}

/// A contact as the form's `contact` hash.
fn record_of(c: &Contact) -> Map<String, Value> {
    let a = c.address.clone().unwrap_or_default();
    let mut custom = Map::new();
    for (id, value) in &c.custom_values {
        let entry = custom.entry(id.to_string()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = entry {
            values.push(Value::String(value.clone()));
        }
    }
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    json!({
        "first_name": c.first_name, "last_name": opt(&c.last_name), "middle_name": opt(&c.middle_name),
        "company": opt(&c.company), "job_title": opt(&c.job_title), "phone": opt(&c.phone),
        "email": opt(&c.email), "website": opt(&c.website), "skype_name": opt(&c.skype_name),
        "birthday": opt(&c.birthday), "tag_list": join_tag_list(&c.tags), "background": opt(&c.background),
        "is_company": if c.is_company { "1" } else { "0" }, "visibility": c.visibility.to_string(),
        "assigned_to_id": c.assigned_to_id.map(|id| id.to_string()).unwrap_or_default(),
        "project_ids": c.projects.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>(),
        "address_attributes": {
            "street1": opt(&a.street1), "street2": opt(&a.street2), "city": opt(&a.city),
            "region": opt(&a.region), "postcode": opt(&a.postcode), "country_code": opt(&a.country_code),
        },
        "custom_field_values": custom,
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

fn custom_inputs(fields: &[CustomField], record: &Map<String, Value>) -> Vec<CustomInput> {
    let given = forms::record(record, "custom_field_values");
    fields
        .iter()
        .filter(|f| f.visible)
        .map(|f| {
            let values = texts(&given, &f.id.to_string());
            let value = values.first().cloned().unwrap_or_default();
            let kind = match (f.field_format.as_str(), f.multiple) {
                ("list", true) => "multi",
                ("list", false) | ("bool", _) => "select",
                ("text", _) => "textarea",
                ("date", _) => "date",
                _ => "text",
            };
            let options = match f.field_format.as_str() {
                "bool" => vec![
                    Opt::new("", "", value.is_empty()),
                    Opt::new("1", "Yes", value == "1"),
                    Opt::new("0", "No", value == "0"),
                ],
                "list" => std::iter::once(Opt::new("", "", values.iter().all(String::is_empty)))
                    .filter(|_| !f.multiple)
                    .chain(f.possible_values.iter().map(|p| Opt::new(p, p.clone(), values.contains(p))))
                    .collect(),
                _ => Vec::new(),
            };
            CustomInput { id: f.id, label: f.name.clone(), kind, value, options, required: f.is_required }
        })
        .collect()
}

/// The form page for `record` (the `contact` hash), with `errors` from a failed save.
fn form_page(
    ctx: &Ctx<'_>,
    existing: Option<&Contact>,
    record: &Map<String, Value>,
    errors: Vec<String>,
) -> Result<Page> {
    let store = &ctx.app.store;
    let fields = store.custom_fields("contact")?;
    let address = forms::record(record, "address_attributes");
    let at = |k: &str| text(&address, k);
    let v = Values {
        first_name: text(record, "first_name"),
        last_name: text(record, "last_name"),
        middle_name: text(record, "middle_name"),
        company: text(record, "company"),
        job_title: text(record, "job_title"),
        phone: text(record, "phone"),
        email: text(record, "email"),
        website: text(record, "website"),
        skype_name: text(record, "skype_name"),
        birthday: text(record, "birthday"),
        tag_list: text(record, "tag_list"),
        background: text(record, "background"),
        street1: at("street1"),
        street2: at("street2"),
        city: at("city"),
        region: at("region"),
        postcode: at("postcode"),
    };
    let country = at("country_code");
    let countries = std::iter::once(Opt::new("", "", country.is_empty()))
        .chain(crate::domain::countries().into_iter().map(|(code, name)| Opt::new(code, name, code == country)))
        .collect();
    let creating = existing.is_none();
    let projects = if creating {
        let current = text(record, "project_id");
        forms::with_blank("", &forms::project_pairs(&forms::projects_with(ctx, Permission::AddContacts)?), &current)
    } else {
        let current = texts(record, "project_ids");
        let mut choices = forms::project_pairs(&forms::projects_with(ctx, Permission::ViewContacts)?);
        for (id, name) in existing.map(|c| c.projects.clone()).unwrap_or_default() {
            if !choices.iter().any(|(known, _)| *known == id) {
                choices.push((id, name));
            }
        }
        choices.iter().map(|(id, name)| Opt::new(id, name.clone(), current.contains(&id.to_string()))).collect()
    };
    let visibility_now = text(record, "visibility");
    let visibility = [("0", "Project"), ("1", "Public"), ("2", "Private")]
        .into_iter()
        .map(|(value, label)| {
            Opt::new(value, label, visibility_now == value || (visibility_now.is_empty() && value == "0"))
        })
        .collect();
    let assignees = forms::with_blank(
        "",
        &forms::assignable_users(ctx, Permission::ViewContacts)?,
        &text(record, "assigned_to_id"),
    );
    let (heading, action, cancel) = match existing {
        Some(c) => {
            (format!("Edit {}", c.reference_name()), format!("/contacts/{}", c.id), format!("/contacts/{}", c.id))
        }
        None => ("New contact".to_string(), "/contacts".to_string(), "/contacts".to_string()),
    };
    let status = if errors.is_empty() { 200 } else { 422 };
    let page = FormPage {
        chrome: ctx.chrome(heading.clone(), "contacts"),
        heading,
        action,
        put: !creating,
        cancel,
        creating,
        v,
        is_company: matches!(text(record, "is_company").as_str(), "1" | "true"),
        projects,
        assignees,
        visibility,
        countries,
        custom: custom_inputs(&fields, record),
        errors: Errors::new(errors, &[LABELS, &fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>()].concat()),
    };
    Page::render_with(status, &page)
}

/// `GET /contacts/new`: a project and a blank contact.
pub fn new(ctx: &Ctx<'_>) -> Result<Page> {
    if !ctx.principal.allowed_anywhere(Permission::AddContacts) {
        return Err(ctx.principal.deny());
    }
    let mut record = Map::new();
    if let Some(project) = ctx.param("project_id") {
        record.insert("project_id".into(), Value::String(project));
    }
    form_page(ctx, None, &record, Vec::new())
}

/// `POST /contacts`.
pub async fn create(ctx: &Ctx<'_>) -> Result<Page> {
    let params = forms::form_params(ctx);
    let record = forms::record(&params, "contact");
    if text(&record, "project_id").is_empty() {
        // The API answers 404 for a create naming no project; the form says what is missing,
        // with whatever else the contact lacks.
        let fields = ctx.app.store.custom_fields("contact")?;
        let (_, mut problems) = validate::contact(&record, &fields, true);
        problems.add("Project", "cannot be blank");
        return form_page(ctx, None, &record, problems.0);
    }
    match forms::invalid(through_api(ctx, Method::POST, "/contacts", params).await)? {
        Ok(reply) => {
            ctx.flash("Successful creation.");
            let id = forms::created_id(&reply).ok_or_else(|| Error::Internal("no id in a create".into()))?;
            Page::redirect(format!("/contacts/{id}"))
        }
        Err(errors) => form_page(ctx, None, &record, errors),
    }
}

/// The contact of the path, if the principal may `perm` it (404 before 403, as the API).
fn authorized(ctx: &Ctx<'_>, id: i64, perm: Permission) -> Result<Contact> {
    let c = ctx.app.store.contact(id)?;
    let p = &ctx.principal;
    if !p.may_contact(Permission::ViewContacts, &c) || !p.may_contact(perm, &c) {
        return Err(p.deny());
    }
    Ok(c)
}

/// `GET /contacts/:id/edit`.
pub fn edit(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let c = authorized(ctx, id, Permission::EditContacts)?;
    form_page(ctx, Some(&c), &record_of(&c), Vec::new())
}

/// `PUT /contacts/:id` (a form with `_method=put`).
pub async fn update(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let params = forms::form_params(ctx);
    match forms::invalid(through_api(ctx, Method::PUT, &format!("/contacts/{id}"), params.clone()).await)? {
        Ok(Reply::NoContent) | Ok(_) => {
            ctx.flash("Successful update.");
            Page::redirect(format!("/contacts/{id}"))
        }
        Err(errors) => {
            let c = authorized(ctx, id, Permission::EditContacts)?;
            form_page(ctx, Some(&c), &forms::record(&params, "contact"), errors)
        }
    }
}

#[derive(Template)]
#[template(path = "confirm_delete.html")]
pub struct ConfirmDelete {
    pub chrome: Chrome,
    pub what: String,
    pub action: String,
    pub cancel: String,
    pub csrf: String,
}

/// `GET /contacts/:id/delete`: are you sure?
pub fn confirm_delete(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let c = authorized(ctx, id, Permission::DeleteContacts)?;
    Page::render(&ConfirmDelete {
        chrome: ctx.chrome("Delete contact", "contacts"),
        what: c.reference_name(),
        action: format!("/contacts/{id}"),
        cancel: format!("/contacts/{id}"),
        csrf: ctx.csrf(),
    })
}

/// `DELETE /contacts/:id` (a form with `_method=delete`).
pub async fn destroy(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    through_api(ctx, Method::DELETE, &format!("/contacts/{id}"), Map::new()).await?;
    ctx.flash("Successful deletion.");
    Page::redirect("/contacts")
}
