//! Administration (administrators only, as the API's own admin endpoints): projects with
//! their modules, memberships and deal categories (`projects.rs`), users (`users.rs`), and in
//! this file roles, custom fields, deal statuses and tags. Every change goes through the API's
//! handler of the same path; a refusal or validation message shows on the page.

mod projects;
mod users;

use askama::Template;
use hyper::Method;
use serde_json::{Map, Value};

use super::forms::{self, through_api};
use super::respond::Page;
use super::session::Ctx;
use super::views::{Chrome, Errors, Opt};
use super::{Matched, P};
use crate::domain::permission::Permission;
use crate::error::{Error, Result};

/// Runs a form's change through the API at `path`; on success leaves `done` for the next page
/// and goes to `back`, on a validation failure shows `page` again with the messages.
async fn change(
    ctx: &Ctx<'_>,
    method: Method,
    path: &str,
    params: Map<String, Value>,
    done: &str,
    back: &str,
    page: impl FnOnce(Vec<String>) -> Result<Page>,
) -> Result<Page> {
    match forms::invalid(through_api(ctx, method, path, params).await)? {
        Ok(_) => {
            ctx.flash(done);
            Page::redirect(back)
        }
        Err(messages) => page(messages),
    }
}

pub async fn dispatch(ctx: &Ctx<'_>, m: &Matched, get: bool, post: bool, put: bool, delete: bool) -> Result<Page> {
    let p = &ctx.principal;
    // Project pages are for everyone who sees the project; the rest is for administrators.
    if !matches!(m.page, P::Projects | P::Project | P::ProjectCategories | P::Category) && !p.is_admin() {
        return Err(p.deny());
    }
    let params = forms::form_params(ctx);
    let path = ctx.req.uri.path().trim_end_matches('/');
    match m.page {
        P::Admin if get => index(ctx),
        P::Projects if get => projects::index(ctx),
        P::Projects if post => projects::create(ctx, params).await,
        P::ProjectNew if get => projects::new(ctx),
        P::Project if get => Page::redirect(format!("/projects/{}/contacts", m.project()?)),
        P::Project if put => projects::update(ctx, m.project()?, params).await,
        P::Project if delete => projects::destroy(ctx, m.project()?).await,
        P::ProjectSettings if get => projects::settings(ctx, m.project()?, Vec::new()),
        P::ProjectMemberships if post => projects::add_member(ctx, m.project()?, params).await,
        P::Membership if delete => projects::remove_member(ctx, m.id()?).await,
        P::ProjectCategories if post => projects::add_category(ctx, m.project()?, params).await,
        P::Category if put || delete => projects::change_category(ctx, m.id()?, path, params, delete).await,
        P::Users if get => users::index(ctx),
        P::Users if post => users::create(ctx, params).await,
        P::UserNew if get => users::new(ctx),
        P::User if get => Page::redirect(format!("/users/{}/edit", m.id()?)),
        P::UserEdit if get => users::edit(ctx, m.id()?),
        P::User if put => users::update(ctx, m.id()?, params).await,
        P::Roles if get => roles(ctx, Vec::new()),
        P::Roles if post => {
            change(ctx, Method::POST, path, params, "Successful creation.", "/roles", |e| roles(ctx, e)).await
        }
        P::CustomFields if get => custom_fields(ctx, Vec::new()),
        P::CustomFields if post => {
            let back = "/custom_fields";
            change(ctx, Method::POST, path, params, "Successful creation.", back, |e| custom_fields(ctx, e)).await
        }
        P::DealStatuses if get => statuses(ctx, Vec::new()),
        P::DealStatuses if post => {
            change(ctx, Method::POST, path, params, "Successful creation.", "/deal_statuses", |e| statuses(ctx, e))
                .await
        }
        P::DealStatus if put || delete => {
            let (method, done) =
                if delete { (Method::DELETE, "Successful deletion.") } else { (Method::PUT, "Successful update.") };
            change(ctx, method, path, params, done, "/deal_statuses", |e| statuses(ctx, e)).await
        }
        P::Tags if get => tags(ctx, Vec::new()),
        P::Tag if put || delete => {
            let (method, done) =
                if delete { (Method::DELETE, "Successful deletion.") } else { (Method::PUT, "Successful update.") };
            change(ctx, method, path, params, done, "/contacts_tags", |e| tags(ctx, e)).await
        }
        P::TagMerge if post => {
            change(ctx, Method::POST, path, params, "Tags merged.", "/contacts_tags", |e| tags(ctx, e)).await
        }
        _ => Err(Error::NotFound),
    }
}

#[derive(Template)]
#[template(path = "admin_index.html")]
struct Index {
    chrome: Chrome,
}

fn index(ctx: &Ctx<'_>) -> Result<Page> {
    Page::render(&Index { chrome: ctx.chrome("Administration", "admin") })
}

// ---------------------------------------------------------------------------------------------
// Roles

pub struct RoleRow {
    pub name: String,
    pub permissions: String,
}

#[derive(Template)]
#[template(path = "admin_roles.html")]
struct Roles {
    chrome: Chrome,
    roles: Vec<RoleRow>,
    permissions: Vec<&'static str>,
    errors: Errors,
}

fn roles(ctx: &Ctx<'_>, errors: Vec<String>) -> Result<Page> {
    let roles = ctx
        .app
        .store
        .roles()?
        .iter()
        .map(|r| RoleRow { name: r.name.clone(), permissions: r.permissions.names().join(", ") })
        .collect();
    let page = Roles {
        chrome: ctx.chrome("Roles and permissions", "admin"),
        roles,
        permissions: Permission::ALL.iter().map(|p| p.name()).collect(),
        errors: Errors::new(errors, &["Name", "Permissions"]),
    };
    Page::render_with(if page.errors.any() { 422 } else { 200 }, &page)
}

// ---------------------------------------------------------------------------------------------
// Custom fields

pub struct FieldRow {
    pub name: String,
    pub customized_type: String,
    pub format: String,
    pub flags: String,
}

#[derive(Template)]
#[template(path = "admin_custom_fields.html")]
struct CustomFields {
    chrome: Chrome,
    fields: Vec<FieldRow>,
    formats: Vec<Opt>,
    types: Vec<Opt>,
    errors: Errors,
}

fn custom_fields(ctx: &Ctx<'_>, errors: Vec<String>) -> Result<Page> {
    let fields = ctx
        .app
        .store
        .all_custom_fields()?
        .iter()
        .map(|f| {
            let flags: Vec<&str> = [
                (f.is_required, "required"),
                (f.multiple, "multiple"),
                (f.is_filter, "filter"),
                (f.searchable, "searchable"),
            ]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
            FieldRow {
                name: f.name.clone(),
                customized_type: f.customized_type.clone(),
                format: f.field_format.clone(),
                flags: flags.join(", "),
            }
        })
        .collect();
    let formats = ["string", "text", "int", "float", "date", "list", "bool", "link"]
        .into_iter()
        .map(|f| Opt::new(f, f, f == "string"))
        .collect();
    let types = [("contact", "Contact"), ("deal", "Deal"), ("note", "Note")]
        .into_iter()
        .map(|(v, l)| Opt::new(v, l, v == "contact"))
        .collect();
    let page = CustomFields {
        chrome: ctx.chrome("Custom fields", "admin"),
        fields,
        formats,
        types,
        errors: Errors::new(
            errors,
            &["Name", "Type", "Format", "Possible values", "Default value", "Regular expression"],
        ),
    };
    Page::render_with(if page.errors.any() { 422 } else { 200 }, &page)
}

// ---------------------------------------------------------------------------------------------
// Deal statuses

pub struct StatusRow {
    pub id: i64,
    pub name: String,
    pub types: Vec<Opt>,
    pub is_default: bool,
    pub position: i64,
}

fn status_types(current: i64) -> Vec<Opt> {
    [(0, "Open"), (1, "Won"), (2, "Lost")].into_iter().map(|(v, l)| Opt::new(v, l, v == current)).collect()
}

#[derive(Template)]
#[template(path = "admin_deal_statuses.html")]
struct Statuses {
    chrome: Chrome,
    statuses: Vec<StatusRow>,
    types: Vec<Opt>,
    errors: Errors,
}

fn statuses(ctx: &Ctx<'_>, errors: Vec<String>) -> Result<Page> {
    let statuses = ctx
        .app
        .store
        .deal_statuses()?
        .iter()
        .map(|s| StatusRow {
            id: s.id,
            name: s.name.clone(),
            types: status_types(s.status_type),
            is_default: s.is_default,
            position: s.position,
        })
        .collect();
    let page = Statuses {
        chrome: ctx.chrome("Deal statuses", "admin"),
        statuses,
        types: status_types(0),
        errors: Errors::new(errors, &["Name", "Status type", "Position"]),
    };
    Page::render_with(if page.errors.any() { 422 } else { 200 }, &page)
}

// ---------------------------------------------------------------------------------------------
// Tags

#[derive(Template)]
#[template(path = "admin_tags.html")]
struct Tags {
    chrome: Chrome,
    tags: Vec<(i64, String)>,
    errors: Errors,
}

fn tags(ctx: &Ctx<'_>, errors: Vec<String>) -> Result<Page> {
    let page = Tags {
        chrome: ctx.chrome("Tags", "admin"),
        tags: ctx.app.store.contact_tags()?,
        errors: Errors::new(errors, &["Name", "Merge into"]),
    };
    Page::render_with(if page.errors.any() { 422 } else { 200 }, &page)
}
