//! Users: the list (active, locked), new, edit (name, e-mail, administrator, password), lock
//! and unlock, and a new API key — each through the API's `/users` handlers.

use askama::Template;
use hyper::Method;
use serde_json::{json, Map, Value};

use super::change;
use crate::domain::User;
use crate::error::Result;
use crate::secrets;
use crate::web::forms::{self, text};
use crate::web::respond::Page;
use crate::web::session::Ctx;
use crate::web::views::{self, Chrome, Errors};

const LABELS: &[&str] = &["Login", "First name", "Last name", "Email", "Password", "Status", "API key"];

pub struct UserRow {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub mail: String,
    pub admin: bool,
    pub locked: bool,
    pub last_login: String,
}

fn row(u: &User) -> UserRow {
    UserRow {
        id: u.id,
        login: u.login.clone(),
        name: u.name(),
        mail: u.mail.clone().unwrap_or_default(),
        admin: u.admin,
        locked: u.status == 3,
        last_login: u.last_login_on.map(views::datetime).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct Index {
    chrome: Chrome,
    users: Vec<UserRow>,
}

pub fn index(ctx: &Ctx<'_>) -> Result<Page> {
    let store = &ctx.app.store;
    let mut users: Vec<UserRow> = Vec::new();
    for status in [1, 2, 3] {
        users.extend(store.users_page(Some(status), 0, 1000)?.0.iter().map(row));
    }
    users.sort_by_key(|u| u.id);
    Page::render(&Index { chrome: ctx.chrome("Users", "admin"), users })
}

#[derive(Template)]
#[template(path = "admin_user_form.html")]
struct Form {
    chrome: Chrome,
    heading: String,
    id: i64,
    creating: bool,
    login: String,
    firstname: String,
    lastname: String,
    mail: String,
    admin: bool,
    locked: bool,
    api_key: String,
    errors: Errors,
}

fn form(ctx: &Ctx<'_>, existing: Option<&User>, record: &Map<String, Value>, errors: Vec<String>) -> Result<Page> {
    let page = Form {
        chrome: ctx.chrome(existing.map_or("New user".to_string(), |u| u.name()), "admin"),
        heading: existing.map_or("New user".to_string(), |u| format!("User · {}", u.login)),
        id: existing.map_or(0, |u| u.id),
        creating: existing.is_none(),
        login: text(record, "login"),
        firstname: text(record, "firstname"),
        lastname: text(record, "lastname"),
        mail: text(record, "mail"),
        admin: matches!(text(record, "admin").as_str(), "1" | "true"),
        locked: existing.is_some_and(|u| u.status == 3),
        api_key: existing.and_then(|u| u.api_key.clone()).unwrap_or_default(),
        errors: Errors::new(errors, LABELS),
    };
    Page::render_with(if page.errors.any() { 422 } else { 200 }, &page)
}

pub fn new(ctx: &Ctx<'_>) -> Result<Page> {
    form(ctx, None, &Map::new(), Vec::new())
}

pub fn edit(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let u = ctx.app.store.user(id)?;
    let record = json!({"login": u.login, "firstname": u.firstname, "lastname": u.lastname,
                        "mail": u.mail.clone().unwrap_or_default(), "admin": if u.admin { "1" } else { "0" }});
    form(ctx, Some(&u), record.as_object().unwrap_or(&Map::new()), Vec::new())
}

pub async fn create(ctx: &Ctx<'_>, params: Map<String, Value>) -> Result<Page> {
    let record = forms::record(&params, "user");
    match forms::invalid(forms::through_api(ctx, Method::POST, "/users", params).await)? {
        Ok(reply) => {
            ctx.flash("Successful creation.");
            Page::redirect(format!("/users/{}/edit", forms::created_id(&reply).unwrap_or_default()))
        }
        Err(errors) => form(ctx, None, &record, errors),
    }
}

/// `PUT /users/:id`: the edit form, or one of its buttons (`lock`, `unlock`, `new_api_key`).
pub async fn update(ctx: &Ctx<'_>, id: i64, mut params: Map<String, Value>) -> Result<Page> {
    let user = ctx.app.store.user(id)?;
    let action = params.remove("action").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let mut record = forms::record(&params, "user");
    match action.as_str() {
        "lock" => record = json!({"status": "3"}).as_object().cloned().unwrap_or_default(),
        "unlock" => record = json!({"status": "1"}).as_object().cloned().unwrap_or_default(),
        "new_api_key" => {
            record = json!({"api_key": secrets::generate_api_key()}).as_object().cloned().unwrap_or_default()
        }
        _ => {
            if text(&record, "password").is_empty() {
                record.remove("password");
            }
        }
    }
    let shown = forms::record(&params, "user");
    let mut api_params = Map::new();
    api_params.insert("user".into(), Value::Object(record));
    let done = match action.as_str() {
        "lock" => "User locked.",
        "unlock" => "User unlocked.",
        "new_api_key" => "A new API key was set.",
        _ => "Successful update.",
    };
    let back = format!("/users/{id}/edit");
    let path = format!("/users/{id}");
    let shown =
        if shown.is_empty() { json!({"login": user.login}).as_object().cloned().unwrap_or_default() } else { shown };
    change(ctx, Method::PUT, &path, api_params, done, &back, |e| form(ctx, Some(&user), &shown, e)).await
}
