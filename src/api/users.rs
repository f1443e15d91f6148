//! `/users`, `/users/current`: Redmine core users (writes are for admins).

use super::input::{self, paging};
use super::{created, Ctx, Reply};
use crate::domain::attributes::{opt_bool, opt_int, opt_text, required_text, Problems};
use crate::domain::changes::UserChanges;
use crate::error::{Error, Result};
use crate::render;
use crate::render::core::UserView;
use crate::secrets;

pub fn users(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let (offset, limit) = paging(&ctx.params);
    let status = ctx.params.get("status").and_then(crate::domain::attributes::as_int);
    let (list, total) = ctx.store.users_page(status, offset, limit)?;
    let mut d = ctx.doc();
    render::core::user_list(&mut d, &list, true, ctx.list_meta(total, offset, limit));
    Ok(Reply::Ok(d.finish()))
}

fn render_user(ctx: &Ctx<'_>, id: i64) -> Result<Vec<u8>> {
    let user = ctx.store.user(id)?;
    let p = &ctx.principal;
    if !p.is_admin() && user.status != crate::domain::USER_ACTIVE && user.id != p.user_id() {
        return Err(Error::NotFound);
    }
    let view = UserView { is_self: user.id == p.user_id(), viewer_is_admin: p.is_admin() };
    let mut d = ctx.doc();
    render::core::user(&mut d, &user, view, false);
    Ok(d.finish())
}

pub fn current_user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Ok(Reply::Ok(render_user(ctx, ctx.principal.user_id())?))
}

pub fn user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Ok(Reply::Ok(render_user(ctx, ctx.id()?)?))
}

fn user_changes(ctx: &Ctx<'_>, creating: bool) -> Result<UserChanges> {
    let attrs = input::record(&ctx.params, "user", "User")?;
    let mut pr = Problems::default();
    let mut c = UserChanges {
        login: required_text(&attrs, "login", "Login", creating, &mut pr),
        firstname: required_text(&attrs, "firstname", "First name", creating, &mut pr),
        lastname: required_text(&attrs, "lastname", "Last name", creating, &mut pr),
        mail: required_text(&attrs, "mail", "Email", creating, &mut pr),
        admin: opt_bool(&attrs, "admin", "Administrator", &mut pr),
        status: opt_int(&attrs, "status", "Status", &mut pr).flatten(),
        ..Default::default()
    };
    if let Some(mail) = &c.mail {
        if !crate::domain::emails_valid(mail) || mail.contains(',') {
            pr.add("Email", "is invalid");
        }
    }
    if let Some(status) = c.status {
        if ![1, 2, 3].contains(&status) {
            pr.add("Status", "is not included in the list");
        }
    }
    if let Some(Some(password)) = opt_text(&attrs, "password", "Password", &mut pr) {
        let before = pr.0.len();
        crate::domain::validate::password(&password, &mut pr);
        if pr.0.len() == before {
            c.password_hash = Some(secrets::hash_password(&password)?);
        }
    }
    if let Some(Some(key)) = opt_text(&attrs, "api_key", "API key", &mut pr) {
        if key.len() < 20 || key.len() > 64 || !key.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            pr.add("API key", "is invalid");
        }
        c.api_key = Some(key);
    }
    pr.into_result()?;
    Ok(c)
}

pub async fn create_user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let changes = user_changes(ctx, true)?;
    let user = ctx.store.create_user(changes).await?;
    created(render_user(ctx, user.id)?, format!("/users/{}", user.id))
}

pub async fn update_user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let id = ctx.id()?;
    let changes = user_changes(ctx, false)?;
    ctx.store.update_user(id, changes).await?;
    Ok(Reply::NoContent)
}

pub async fn delete_user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let id = ctx.id()?;
    if id == ctx.principal.user_id() {
        return Err(Error::invalid("You cannot delete your own account"));
    }
    ctx.store.delete_user(id).await?;
    Ok(Reply::NoContent)
}
