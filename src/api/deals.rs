//! `/deals`: list, show (with `include=notes`), create, update, delete (API.md §2.4, §6.5),
//! each checked against the deal permissions of §5.4 in the deal's project.

use serde_json::{Map, Value};

use super::input::{self, paging, word_list};
use super::queries;
use super::{Ctx, Reply};
use crate::domain::attributes::{as_text, Problems};
use crate::domain::changes::DealChanges;
use crate::domain::deal_query::{filter_type, DealQuery};
use crate::domain::permission::Permission;
use crate::domain::saved_query::QueryKind;
use crate::domain::validate;
use crate::domain::{CustomField, Deal};
use crate::error::{Error, Result};
use crate::render;

fn deal_fields(ctx: &Ctx<'_>) -> Result<std::sync::Arc<Vec<CustomField>>> {
    ctx.store.custom_fields("deal")
}

/// Loads a deal the principal may see and, where `perm` is not view, act on: 404 for an
/// unknown id first, then 401/403.
fn authorized_deal(ctx: &Ctx<'_>, perm: Permission) -> Result<Deal> {
    let deal = ctx.store.deal(ctx.id()?)?;
    if !ctx.principal.may_deal(perm, &deal) {
        return Err(ctx.principal.deny());
    }
    Ok(deal)
}

/// Renders a deal as shown, with its notes for `include=notes`.
fn shown(ctx: &Ctx<'_>, deal: &Deal, fields: &[CustomField]) -> Result<Vec<u8>> {
    let notes = match word_list(&ctx.params, "include").iter().any(|w| w == "notes") {
        true => Some(ctx.store.notes_of("Deal", deal.id)?),
        false => None,
    };
    let mut d = ctx.doc();
    render::deals::deal(&mut d, deal, fields, notes.as_deref());
    Ok(d.finish())
}

/// `GET /deals`, `GET /projects/:id/deals`: view_deals in the project (with its subprojects),
/// or anywhere when no project is named.
pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    let p = &ctx.principal;
    let scope = ctx.list_scope(Permission::ViewDeals)?;
    let fields = deal_fields(ctx)?;
    let project_id = scope.as_ref().map(|s| s.project_id);
    let params = queries::params_with_saved_query(ctx, QueryKind::Deal, project_id, |name| filter_type(name, &fields))?;
    let query = DealQuery::from_params(&params, p.deal_visibility(), scope.map(|s| s.projects), p, &fields)?;
    let (offset, limit) = paging(&ctx.params);
    let (deals, total) = ctx.store.deal_page(&query, offset, limit)?;
    let mut d = ctx.doc();
    render::deals::deal_list(&mut d, &deals, &fields, ctx.list_meta(total, offset, limit));
    Ok(Reply::Ok(d.finish()))
}

pub fn show(ctx: &Ctx<'_>) -> Result<Reply> {
    let deal = authorized_deal(ctx, Permission::ViewDeals)?;
    Ok(Reply::Ok(shown(ctx, &deal, &deal_fields(ctx)?)?))
}

/// `POST /deals`, `POST /projects/:id/deals`: add_deals in the project.
pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    let p = &ctx.principal;
    let attrs = input::record(&ctx.params, "deal", "Deal")?;
    let project = ctx.find_project(&ctx.named_project(&attrs).ok_or(Error::NotFound)?)?;
    if !p.allowed(Permission::AddDeals, project.id) {
        return Err(p.deny());
    }
    let fields = deal_fields(ctx)?;
    let (mut changes, problems) = validate::deal(&attrs, &fields, true);
    changes.project_id = Some(project.id);
    changes.author_id = changes.author_id.or(Some(p.user_id()));
    if changes.status_id.is_none() && !attrs.contains_key("status_id") {
        changes.status_id = ctx.store.default_deal_status()?;
    }
    let changes = checked(ctx, changes, problems, None)?;
    let id = ctx.store.create_deal(changes).await?;
    let deal = ctx.store.deal(id)?;
    Ok(Reply::Created { body: shown(ctx, &deal, &fields)?, location: format!("/deals/{id}") })
}

/// `PUT /deals/:id`: edit_deals in its project, and in the project it moves to.
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    let p = &ctx.principal;
    let deal = authorized_deal(ctx, Permission::EditDeals)?;
    let attrs = input::record(&ctx.params, "deal", "Deal")?;
    let fields = deal_fields(ctx)?;
    let (mut changes, mut problems) = validate::deal(&attrs, &fields, false);
    if let Some(named) = project_named(&attrs) {
        match ctx.store.project(&named) {
            Ok(target) if target.id == deal.project.0 => {}
            Ok(target) if !p.allowed(Permission::EditDeals, target.id) => return Err(p.deny()),
            Ok(target) => changes.project_id = Some(target.id),
            Err(Error::NotFound) => problems.add("Project", "is invalid"),
            Err(e) => return Err(e),
        }
    }
    let changes = checked(ctx, changes, problems, Some(&deal))?;
    ctx.store.update_deal(deal.id, changes, p.user_id()).await?;
    Ok(Reply::NoContent)
}

/// `DELETE /deals/:id`: delete_deals in its project; its notes and custom values go with it.
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    let deal = authorized_deal(ctx, Permission::DeleteDeals)?;
    ctx.store.delete_deal(deal.id).await?;
    Ok(Reply::NoContent)
}

/// `deal[project_id]` of an update (an id or identifier), when given.
fn project_named(attrs: &Map<String, Value>) -> Option<String> {
    attrs.get("project_id").and_then(as_text).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Adds the checks that need stored data to the validation's problems: the status exists, the
/// category is the project's, the contacts exist. `before` is the deal an update changes: a
/// move to another project drops a category that the new project does not have.
fn checked(
    ctx: &Ctx<'_>,
    mut changes: DealChanges,
    mut problems: Problems,
    before: Option<&Deal>,
) -> Result<DealChanges> {
    let store = ctx.store;
    match (changes.status_id, before) {
        (Some(status), _) if store.deal_status(status)?.is_none() => problems.add("Status", "cannot be blank"),
        (None, None) => problems.add("Status", "cannot be blank"),
        _ => {}
    }
    let project = changes.project_id.or(before.map(|d| d.project.0)).unwrap_or(0);
    match changes.category_id {
        Some(Some(category)) if !store.deal_category_in_project(category, project)? => {
            problems.add("Category", "is invalid")
        }
        None if changes.project_id.is_some() => {
            let kept = before.and_then(|d| d.category.as_ref()).map(|(id, _)| *id);
            if let Some(category) = kept {
                if !store.deal_category_in_project(category, project)? {
                    changes.category_id = Some(None);
                }
            }
        }
        _ => {}
    }
    if let Some(Some(contact)) = changes.contact_id {
        if !store.unknown_contacts(&[contact])?.is_empty() {
            problems.add("Contact", "is invalid");
        }
    }
    if let Some(related) = &changes.related_contact_ids {
        if !store.unknown_contacts(related)?.is_empty() {
            problems.add("Related contacts", "is invalid");
        }
    }
    problems.into_result()?;
    Ok(changes)
}
