//! `/deal_statuses`: the admin list and the admin extensions to create, rename and delete.

use serde_json::json;

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

/// `PUT /deal_statuses/:id` (admin extension): the attributes given replace the status's, with
/// the validation of a create; `is_default: true` makes it the only default.
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let current = ctx.store.deal_status(ctx.id()?)?.ok_or(Error::NotFound)?;
    let mut merged = serde_json::Map::new();
    merged.insert("name".into(), json!(current.name));
    merged.insert("position".into(), json!(current.position));
    merged.insert("is_default".into(), json!(current.is_default));
    merged.insert("status_type".into(), json!(current.status_type));
    merged.insert("color".into(), json!(current.color));
    let given = input::record(&ctx.params, "deal_status", "Deal status")?;
    for (key, value) in merged.iter_mut() {
        if let Some(v) = given.get(key) {
            *value = v.clone();
        }
    }
    let mut status = validate::deal_status(&merged)?;
    if status.position < 1 {
        return Err(Error::invalid("Position must be greater than 0"));
    }
    status.id = current.id;
    ctx.store.update_deal_status(status).await?;
    Ok(Reply::NoContent)
}

/// `DELETE /deal_statuses/:id` (admin extension): 422 while a deal has the status.
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    ctx.store.delete_deal_status(ctx.id()?).await?;
    Ok(Reply::NoContent)
}
