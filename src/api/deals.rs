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

pub fn statuses(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let statuses = ctx.store.deal_statuses()?;
    let mut d = ctx.doc();
    render::deals::statuses(&mut d, &statuses);
    Ok(Reply::Ok(d.finish()))
}

pub async fn create_status(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let attrs = input::record(&ctx.params, "deal_status", "Deal status")?;
    let status = validate::deal_status(&attrs)?;
    let created = ctx.store.create_deal_status(status).await?;
    let mut d = ctx.doc();
    render::deals::status(&mut d, &created);
    Ok(Reply::Created { body: d.finish(), location: format!("/deal_statuses/{}", created.id) })
}

/// `GET /projects/:id/deal_categories` (API.md §3.7): item element `category`.
pub fn categories(ctx: &Ctx<'_>) -> Result<Reply> {
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
