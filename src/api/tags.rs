//! `/contacts_tags`: every tag in use, and the admin extensions to rename, merge and delete one.

use super::{Ctx, Reply};
use crate::error::{Error, Result};
use crate::render;

pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    let tags = ctx.store.contact_tags()?;
    let mut d = ctx.doc();
    render::contacts::tag_list(&mut d, &tags);
    Ok(Reply::Ok(d.finish()))
}

/// `PUT /contacts_tags/:id` (admin extension): rename.
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    Err(Error::NotFound)
}

/// `POST /contacts_tags/:id/merge {"into_id"}` (admin extension).
pub async fn merge(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    Err(Error::NotFound)
}

/// `DELETE /contacts_tags/:id` (admin extension).
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    Err(Error::NotFound)
}
