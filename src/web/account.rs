//! Logging in and out, and "My account": the user's API key (with a reset) and a password
//! change. Passwords are checked by the store (argon2), as HTTP Basic is; failed attempts are
//! slowed down per address by the API's own `LoginThrottle`.

use askama::Template;

use super::respond::Page;
use super::session::{Ctx, LOGIN_COOKIE, SESSION_COOKIE, SESSION_IDLE_MS};
use super::views::{Chrome, Errors};
use crate::domain::attributes::Problems;
use crate::domain::validate;
use crate::error::{Error, Result};
use crate::secrets;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    login: String,
    back: String,
    error: Option<String>,
}

/// Where to go after logging in: a path of this site, else the contacts.
fn back_path(ctx: &Ctx<'_>) -> String {
    ctx.param("back").filter(|b| super::respond::local_path(b)).unwrap_or_else(|| "/contacts".into())
}

fn login_page(ctx: &Ctx<'_>, status: u16, login: String, error: Option<String>) -> Result<Page> {
    // The login form's own CSRF token, matched against a cookie (there is no session yet).
    let csrf = secrets::generate_token();
    ctx.set_cookie(LOGIN_COOKIE, &csrf, None, "/login");
    let page = LoginPage { chrome: Chrome::anonymous("Log in"), csrf, login, back: back_path(ctx), error };
    Page::render_with(status, &page)
}

pub fn login_form(ctx: &Ctx<'_>) -> Result<Page> {
    if ctx.signed_in.is_some() {
        return Page::redirect(back_path(ctx));
    }
    login_page(ctx, 200, String::new(), None)
}

pub async fn login(ctx: &Ctx<'_>) -> Result<Page> {
    let login = ctx.param("username").unwrap_or_default();
    let password = ctx.req.form.get("password").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let logins = &ctx.app.logins;
    let wait = logins.wait_for(ctx.req.peer);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let user = match login.is_empty() {
        true => None,
        false => ctx.app.store.user_by_password(&login, &password)?,
    };
    logins.record(ctx.req.peer, user.is_some());
    let Some(user) = user else {
        return login_page(ctx, 422, login, Some("Invalid user or password".into()));
    };
    let (token, _) = ctx.app.store.create_session(user.id, SESSION_IDLE_MS).await?;
    ctx.set_cookie(SESSION_COOKIE, &token, Some(SESSION_IDLE_MS / 1000), "/");
    ctx.set_cookie(LOGIN_COOKIE, "", Some(0), "/login");
    Page::redirect(back_path(ctx))
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    chrome: Chrome,
}

/// A page with the "Log out" button (logging out changes state, so it is a form).
pub fn logout_form(ctx: &Ctx<'_>) -> Result<Page> {
    Page::render(&LogoutPage { chrome: ctx.chrome("Log out", "account") })
}

pub async fn logout(ctx: &Ctx<'_>) -> Result<Page> {
    if let Some(s) = &ctx.signed_in {
        ctx.app.store.end_session(&s.token).await?;
    }
    ctx.set_cookie(SESSION_COOKIE, "", Some(0), "/");
    Page::redirect("/login")
}

#[derive(Template)]
#[template(path = "my_account.html")]
struct AccountPage {
    chrome: Chrome,
    login: String,
    name: String,
    mail: String,
    api_key: String,
    created: String,
    errors: Errors,
}

fn account_page(ctx: &Ctx<'_>, status: u16, errors: Vec<String>) -> Result<Page> {
    let user = ctx.app.store.user(ctx.principal.user_id())?;
    let page = AccountPage {
        chrome: ctx.chrome("My account", "account"),
        login: user.login.clone(),
        name: user.name(),
        mail: user.mail.clone().unwrap_or_default(),
        api_key: user.api_key.clone().unwrap_or_default(),
        created: super::views::date(user.created_on),
        errors: Errors::new(errors, &["Current password", "Password"]),
    };
    Page::render_with(status, &page)
}

pub fn my_account(ctx: &Ctx<'_>) -> Result<Page> {
    account_page(ctx, 200, Vec::new())
}

pub async fn change_password(ctx: &Ctx<'_>) -> Result<Page> {
    let field = |k: &str| ctx.req.form.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let (current, new, confirmation) = (field("password"), field("new_password"), field("new_password_confirmation"));
    let store = &ctx.app.store;
    let user = store.user(ctx.principal.user_id())?;
    let logins = &ctx.app.logins;
    let wait = logins.wait_for(ctx.req.peer);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let verified = store.user_by_password(&user.login, &current)?.is_some();
    logins.record(ctx.req.peer, verified);
    let mut pr = Problems::default();
    if !verified {
        pr.add("Current password", "is invalid");
    }
    validate::password(&new, &mut pr);
    if new != confirmation {
        pr.add("Password", "doesn't match confirmation");
    }
    if !pr.0.is_empty() {
        return account_page(ctx, 422, pr.0);
    }
    let token = ctx.signed_in.as_ref().map(|s| s.token.clone()).ok_or(Error::Unauthorized)?;
    store.set_password(user.id, secrets::hash_password(&new)?, &token).await?;
    ctx.flash("Password was successfully updated.");
    Page::redirect("/my/account")
}

pub async fn reset_api_key(ctx: &Ctx<'_>) -> Result<Page> {
    ctx.app.store.reset_api_key(ctx.principal.user_id()).await?;
    ctx.flash("Your API access key was reset.");
    Page::redirect("/my/account")
}
