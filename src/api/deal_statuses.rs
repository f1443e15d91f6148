//! `/deal_statuses`: the admin list and the admin extensions to create, rename and delete.

use super::input;
use super::{Ctx, Reply};
use crate::domain::validate;
use crate::error::{Error, Result};
use crate::render;

pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let statuses = ctx.store.deal_statuses()?;
    let mut d = ctx.doc();
    render::deals::statuses(&mut d, &statuses);
    Ok(Reply::Ok(d.finish()))
}

pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let attrs = input::record(&ctx.params, "deal_status", "Deal status")?;
    let status = validate::deal_status(&attrs)?;
    let created = ctx.store.create_deal_status(status).await?;
    let mut d = ctx.doc();
    render::deals::status(&mut d, &created);
    Ok(Reply::Created { body: d.finish(), location: format!("/deal_statuses/{}", created.id) })
}

/// `PUT /deal_statuses/:id` (admin extension).
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    Err(Error::NotFound)
}

/// `DELETE /deal_statuses/:id` (admin extension): a status in use cannot be deleted.
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    Err(Error::NotFound)
}
