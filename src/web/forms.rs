//! What the forms share: every write goes through the API's own dispatcher with the session's
//! principal ([`through_api`]), so that a form does exactly what the API allows that user and
//! fails with Redmine's messages; and the choices forms and filters offer (projects where the
//! user holds a permission, users to assign).

use std::sync::Arc;

use hyper::Method;
use serde_json::{Map, Value};

use super::session::{Ctx, CSRF_FIELD};
use super::views::Opt;
use crate::api::{self, Reply};
use crate::domain::permission::Permission;
use crate::domain::Project;
use crate::error::{Error, Result};
use crate::render::Format;

/// The request as the API would see it on `path` (an API path: `/contacts/12`), with the
/// session's principal and `params`.
pub fn api_ctx<'c>(ctx: &'c Ctx<'_>, method: Method, path: &str, params: Map<String, Value>) -> Result<api::Ctx<'c>> {
    let matched = api::routes::route(path).ok_or(Error::NotFound)?;
    Ok(api::Ctx {
        store: &ctx.app.store,
        fragments: &ctx.app.fragments,
        limits: &ctx.app.limits,
        // The import page's file (no other page has one).
        upload: ctx.req.upload.clone(),
        principal: ctx.principal.clone(),
        format: Format::Json,
        method,
        params,
        matched,
        nometa: true,
    })
}

/// Runs the API's handler of `method` on `path` with `params` as the signed-in user.
pub async fn through_api(ctx: &Ctx<'_>, method: Method, path: &str, params: Map<String, Value>) -> Result<Reply> {
    api::dispatch(api_ctx(ctx, method, path, params)?).await
}

/// The id at the end of a create's `Location` (`/contacts/12` → 12).
pub fn created_id(reply: &Reply) -> Option<i64> {
    match reply {
        Reply::Created { location, .. } => location.rsplit('/').next()?.parse().ok(),
        _ => None,
    }
}

/// The posted form without the CSRF token and the method override: the API's parameters.
pub fn form_params(ctx: &Ctx<'_>) -> Map<String, Value> {
    let mut params = ctx.req.form.clone();
    params.remove(CSRF_FIELD);
    params.remove("_method");
    params
}

/// The record hash of a posted form (`contact`, `deal`, …), empty when absent.
pub fn record(params: &Map<String, Value>, key: &str) -> Map<String, Value> {
    match params.get(key) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// A text value of a record hash ("" when absent).
pub fn text(record: &Map<String, Value>, key: &str) -> String {
    record.get(key).and_then(crate::domain::attributes::as_text).unwrap_or_default()
}

/// The values of a record hash's list (`project_ids`) or single value, as text.
pub fn texts(record: &Map<String, Value>, key: &str) -> Vec<String> {
    match record.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(crate::domain::attributes::as_text).collect(),
        Some(v) => crate::domain::attributes::as_text(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The projects where the user holds `perm`, by name.
pub fn projects_with(ctx: &Ctx<'_>, perm: Permission) -> Result<Vec<Arc<Project>>> {
    let store = &ctx.app.store;
    let mut projects = Vec::new();
    for id in ctx.principal.projects_with(perm) {
        projects.push(store.project(&id.to_string())?);
    }
    projects.sort_by_cached_key(|p| p.name.to_lowercase());
    Ok(projects)
}

/// (id, name) pairs of projects.
pub fn project_pairs(projects: &[Arc<Project>]) -> Vec<(i64, String)> {
    projects.iter().map(|p| (p.id, p.name.clone())).collect()
}

/// Users a record can be assigned to: for administrators every active user, for others the
/// members of the projects where they hold `perm` (and themselves), by name.
pub fn assignable_users(ctx: &Ctx<'_>, perm: Permission) -> Result<Vec<(i64, String)>> {
    let store = &ctx.app.store;
    let p = &ctx.principal;
    let mut users: Vec<(i64, String)> = Vec::new();
    if p.is_admin() {
        let (all, _) = store.users_page(None, 0, 1000)?;
        users.extend(all.iter().map(|u| (u.id, u.name())));
    } else {
        if let Some(me) = &p.user {
            users.push((me.id, me.name()));
        }
        for project in p.projects_with(perm).into_iter().take(200) {
            for m in store.memberships(project)? {
                users.push(m.user.clone());
            }
        }
    }
    users.sort_by_cached_key(|(id, name)| (name.to_lowercase(), *id));
    users.dedup_by_key(|u| u.0);
    Ok(users)
}

/// Options with a leading blank one (`blank` its label), `current` selected.
pub fn with_blank(blank: &str, items: &[(i64, String)], current: &str) -> Vec<Opt> {
    let mut out = vec![Opt::new("", blank, current.is_empty())];
    out.extend(items.iter().map(|(id, name)| Opt::new(id, name.clone(), current == id.to_string())));
    out
}

/// Maps a validation failure to its messages (shown in the form); other errors stay errors.
pub fn invalid(outcome: Result<Reply>) -> Result<std::result::Result<Reply, Vec<String>>> {
    match outcome {
        Ok(reply) => Ok(Ok(reply)),
        Err(Error::Validation(messages)) => Ok(Err(messages)),
        Err(e) => Err(e),
    }
}
