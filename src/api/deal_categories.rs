//! Deal categories: `/projects/:id/deal_categories` (list, create) and `/deal_categories/:id`
//! (rename, delete with `reassign_to_id`), also under `/projects/:pid/deal_categories/:id`.
//! Listing needs view_deals in the project, every change manage_deals (admins pass both).

use serde_json::Value;

use super::{input, Ctx, Reply};
use crate::domain::attributes::as_int;
use crate::domain::permission::Permission;
use crate::domain::validate;
use crate::domain::Project;
use crate::error::{Error, Result};

/// The plugin's limit on category names.
const NAME_MAX: usize = 30;

/// The project of the path, which the principal may act on with `perm` (404, then 401/403).
fn project_with(ctx: &Ctx<'_>, perm: Permission) -> Result<std::sync::Arc<Project>> {
    let reference = ctx.matched.project.clone().ok_or(Error::NotFound)?;
    let project = ctx.store.project(&reference)?;
    if !ctx.principal.allowed(perm, project.id) {
        return Err(ctx.principal.deny());
    }
    Ok(project)
}

/// The category of the path (in the path's project, when one is named), if the principal has
/// manage_deals in its project: its id.
fn managed_category(ctx: &Ctx<'_>) -> Result<i64> {
    let (id, _, project_id) = ctx.store.deal_category(ctx.id()?)?;
    if let Some(reference) = &ctx.matched.project {
        if ctx.store.project(reference)?.id != project_id {
            return Err(Error::NotFound);
        }
    }
    if !ctx.principal.allowed(Permission::ManageDeals, project_id) {
        return Err(ctx.principal.deny());
    }
    Ok(id)
}

fn name(ctx: &Ctx<'_>) -> Result<String> {
    let attrs = input::record(&ctx.params, "category", "Category")?;
    validate::catalog_name(&attrs, NAME_MAX)
}

/// `GET /projects/:id/deal_categories` (API.md §3.7): item element `category`.
pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    let project = project_with(ctx, Permission::ViewDeals)?;
    let categories = ctx.store.deal_categories(project.id)?;
    let mut d = ctx.doc();
    let meta =
        (!ctx.nometa).then_some(crate::render::Meta { total_count: categories.len() as i64, offset_limit: None });
    d.begin_array("deal_categories", meta);
    for (id, name) in &categories {
        d.begin_item("category");
        d.field("id", *id);
        d.field("name", name.as_str());
        d.end_item("category");
    }
    d.end_array("deal_categories");
    Ok(Reply::Ok(d.finish()))
}

/// `POST /projects/:id/deal_categories {"category":{"name"}}`: 204 with no body, as the plugin
/// answers.
pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    let project = project_with(ctx, Permission::ManageDeals)?;
    ctx.store.create_deal_category(project.id, name(ctx)?).await?;
    Ok(Reply::NoContent)
}

/// `PUT /deal_categories/:id {"category":{"name"}}`.
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    let id = managed_category(ctx)?;
    ctx.store.rename_deal_category(id, name(ctx)?).await?;
    Ok(Reply::NoContent)
}

/// `DELETE /deal_categories/:id[?reassign_to_id=N]`: the deals move to category N of the same
/// project (else 422) or lose their category.
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    let id = managed_category(ctx)?;
    let reassign_to = match ctx.param("reassign_to_id") {
        Some(s) => Some(as_int(&Value::String(s)).ok_or_else(|| Error::invalid("Reassign to is invalid"))?),
        None => None,
    };
    ctx.store.delete_deal_category(id, reassign_to).await?;
    Ok(Reply::NoContent)
}
