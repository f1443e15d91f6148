//! Projects: the list, new and settings (name, identifier, description, public, modules),
//! members with their roles, and deal categories — each change through the API's handler.

use askama::Template;
use hyper::Method;
use serde_json::{Map, Value};

use super::change;
use crate::domain::PROJECT_MODULES;
use crate::error::Result;
use crate::web::forms::{self, text, texts};
use crate::web::respond::Page;
use crate::web::session::Ctx;
use crate::web::views::{Chrome, Errors, Opt};

const LABELS: &[&str] = &["Name", "Identifier", "Description", "Homepage", "Subproject of", "Enabled modules"];

pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub identifier: String,
    pub is_public: bool,
    pub modules: String,
}

#[derive(Template)]
#[template(path = "admin_projects.html")]
struct Index {
    chrome: Chrome,
    projects: Vec<ProjectRow>,
    is_admin: bool,
}

pub fn index(ctx: &Ctx<'_>) -> Result<Page> {
    let p = &ctx.principal;
    let (all, _) = ctx.app.store.projects_page(None, 0, 10_000)?;
    let projects = all
        .iter()
        .filter(|project| p.may_see_project(project))
        .map(|project| ProjectRow {
            id: project.id,
            name: project.name.clone(),
            identifier: project.identifier.clone(),
            is_public: project.is_public,
            modules: project.modules.join(", "),
        })
        .collect();
    Page::render(&Index { chrome: ctx.chrome("Projects", "admin"), projects, is_admin: p.is_admin() })
}

pub struct Member {
    pub id: i64,
    pub user: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "admin_project_form.html")]
struct Form {
    chrome: Chrome,
    heading: String,
    creating: bool,
    reference: String,
    name: String,
    identifier: String,
    description: String,
    is_public: bool,
    modules: Vec<Opt>,
    members: Vec<Member>,
    users: Vec<Opt>,
    roles: Vec<Opt>,
    categories: Vec<(i64, String)>,
    errors: Errors,
}

fn form(ctx: &Ctx<'_>, reference: Option<&str>, record: &Map<String, Value>, errors: Vec<String>) -> Result<Page> {
    let store = &ctx.app.store;
    let modules_now = texts(record, "enabled_module_names");
    let modules =
        PROJECT_MODULES.iter().map(|m| Opt::new(m, m.to_string(), modules_now.iter().any(|n| n == m))).collect();
    let (members, categories, heading) = match reference {
        Some(r) => {
            let project = store.project(r)?;
            let members = store
                .memberships(project.id)?
                .iter()
                .map(|m| Member {
                    id: m.id,
                    user: m.user.1.clone(),
                    roles: m.roles.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", "),
                })
                .collect();
            (members, store.deal_categories(project.id)?, format!("Settings · {}", project.name))
        }
        None => (Vec::new(), Vec::new(), "New project".to_string()),
    };
    let (users, _) = store.users_page(None, 0, 1000)?;
    let users = forms::with_blank("", &users.iter().map(|u| (u.id, u.name())).collect::<Vec<_>>(), "");
    let roles =
        store.roles()?.iter().filter(|r| r.builtin == 0).map(|r| Opt::new(r.id, r.name.clone(), false)).collect();
    let page = Form {
        chrome: ctx.chrome(heading.clone(), "admin"),
        heading,
        creating: reference.is_none(),
        reference: reference.unwrap_or("").to_string(),
        name: text(record, "name"),
        identifier: text(record, "identifier"),
        description: text(record, "description"),
        is_public: matches!(text(record, "is_public").as_str(), "1" | "true"),
        modules,
        members,
        users,
        roles,
        categories,
        errors: Errors::new(errors, &[LABELS, &["Principal", "Role"]].concat()),
    };
    Page::render_with(if page.errors.any() { 422 } else { 200 }, &page)
}

pub fn new(ctx: &Ctx<'_>) -> Result<Page> {
    let mut record = Map::new();
    record.insert("enabled_module_names".into(), serde_json::json!(PROJECT_MODULES));
    record.insert("is_public".into(), Value::String("1".into()));
    form(ctx, None, &record, Vec::new())
}

pub fn settings(ctx: &Ctx<'_>, reference: &str, errors: Vec<String>) -> Result<Page> {
    let project = ctx.app.store.project(reference)?;
    let record = serde_json::json!({
        "name": project.name, "identifier": project.identifier,
        "description": project.description.clone().unwrap_or_default(),
        "is_public": if project.is_public { "1" } else { "0" },
        "enabled_module_names": project.modules,
    });
    form(ctx, Some(reference), record.as_object().unwrap_or(&Map::new()), errors)
}

pub async fn create(ctx: &Ctx<'_>, params: Map<String, Value>) -> Result<Page> {
    let record = forms::record(&params, "project");
    match forms::invalid(forms::through_api(ctx, Method::POST, "/projects", params).await)? {
        Ok(reply) => {
            ctx.flash("Successful creation.");
            let id = forms::created_id(&reply).unwrap_or_default();
            Page::redirect(format!("/projects/{id}/settings"))
        }
        Err(errors) => form(ctx, None, &record, errors),
    }
}

pub async fn update(ctx: &Ctx<'_>, reference: &str, params: Map<String, Value>) -> Result<Page> {
    let back = format!("/projects/{reference}/settings");
    let record = forms::record(&params, "project");
    let path = format!("/projects/{reference}");
    change(ctx, Method::PUT, &path, params, "Successful update.", &back, |e| form(ctx, Some(reference), &record, e))
        .await
}

pub async fn destroy(ctx: &Ctx<'_>, reference: &str) -> Result<Page> {
    let path = format!("/projects/{reference}");
    change(ctx, Method::DELETE, &path, Map::new(), "Successful deletion.", "/projects", |e| settings(ctx, reference, e))
        .await
}

pub async fn add_member(ctx: &Ctx<'_>, reference: &str, params: Map<String, Value>) -> Result<Page> {
    let back = format!("/projects/{reference}/settings");
    let path = format!("/projects/{reference}/memberships");
    change(ctx, Method::POST, &path, params, "Successful creation.", &back, |e| settings(ctx, reference, e)).await
}

pub async fn remove_member(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let project = ctx.app.store.membership(id)?.project.0.to_string();
    let back = format!("/projects/{project}/settings");
    let path = format!("/memberships/{id}");
    change(ctx, Method::DELETE, &path, Map::new(), "Successful deletion.", &back, |e| settings(ctx, &project, e)).await
}

pub async fn add_category(ctx: &Ctx<'_>, reference: &str, params: Map<String, Value>) -> Result<Page> {
    let back = format!("/projects/{reference}/settings");
    let path = format!("/projects/{reference}/deal_categories");
    change(ctx, Method::POST, &path, params, "Successful creation.", &back, |e| settings(ctx, reference, e)).await
}

pub async fn change_category(
    ctx: &Ctx<'_>,
    id: i64,
    path: &str,
    params: Map<String, Value>,
    delete: bool,
) -> Result<Page> {
    let project = ctx.app.store.deal_category(id)?.2.to_string();
    let back = format!("/projects/{project}/settings");
    let (method, done) =
        if delete { (Method::DELETE, "Successful deletion.") } else { (Method::PUT, "Successful update.") };
    change(ctx, method, path, params, done, &back, |e| settings(ctx, &project, e)).await
}
