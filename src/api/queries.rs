//! `/crm_queries`: saved queries of contact and deal lists (API.md §3.9), and the extension to
//! create and delete them.

use super::input::paging;
use super::{Ctx, Reply};
use crate::error::{Error, Result};

/// Saved queries (API.md §3.9). This product keeps no saved queries yet, so the list is empty;
/// `object_type` must still name contacts or deals.
pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    match ctx.param("object_type").as_deref() {
        Some("contact") | Some("deal") => {}
        _ => return Err(Error::NotFound),
    }
    let (offset, limit) = paging(&ctx.params);
    let mut d = ctx.doc();
    d.begin_array("queries", ctx.list_meta(0, offset, limit));
    d.end_array("queries");
    Ok(Reply::Ok(d.finish()))
}

/// `POST /crm_queries` (extension).
pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Err(Error::NotFound)
}

/// `DELETE /crm_queries/:id` (extension).
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Err(Error::NotFound)
}
