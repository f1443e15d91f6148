//! `/deals` (create and show; the full deals API is a later piece of work) and
//! `/deal_statuses`.

use super::input;
use super::{Ctx, Reply};
use crate::domain::attributes::as_int;
use crate::domain::permission::Permission;
use crate::domain::validate;
use crate::domain::CustomField;
use crate::error::{Error, Result};
use crate::render;

fn deal_fields(ctx: &Ctx<'_>) -> Result<std::sync::Arc<Vec<CustomField>>> {
    ctx.store.custom_fields("deal")
}

pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    let p = &ctx.principal;
    let attrs = input::record(&ctx.params, "deal", "Deal")?;
    let named = ctx.named_project(&attrs).ok_or(Error::NotFound)?;
    let project = ctx.store.project(&named)?;
    if !p.allowed(Permission::AddDeals, project.id) {
        return Err(p.deny());
    }
    let status = match attrs.get("status_id").and_then(as_int) {
        Some(id) => ctx.store.deal_status(id)?.map(|s| s.id),
        None => ctx.store.default_deal_status()?,
    };
    let fields = deal_fields(ctx)?;
    let in_project = |category| ctx.store.deal_category_in_project(category, project.id);
    let c = validate::new_deal(&attrs, &fields, project.id, p.user_id(), status, in_project)?;
    let id = ctx.store.create_deal(c).await?;
    let deal = ctx.store.deal(id)?;
    let mut d = ctx.doc();
    render::deals::deal(&mut d, &deal, &fields);
    Ok(Reply::Created { body: d.finish(), location: format!("/deals/{id}") })
}

pub fn show(ctx: &Ctx<'_>) -> Result<Reply> {
    let id = ctx.id()?;
    let deal = ctx.store.deal(id)?;
    if !ctx.principal.may_view_deal(&deal) {
        return Err(ctx.principal.deny());
    }
    let fields = deal_fields(ctx)?;
    let mut d = ctx.doc();
    render::deals::deal(&mut d, &deal, &fields);
    Ok(Reply::Ok(d.finish()))
}

/// `GET /deals`, `GET /projects/:id/deals`.
pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Err(Error::NotFound)
}

/// `PUT /deals/:id`.
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Err(Error::NotFound)
}

/// `DELETE /deals/:id`.
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Err(Error::NotFound)
}
