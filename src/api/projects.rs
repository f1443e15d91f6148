//! `/projects` and their `/memberships`: Redmine core projects (writes are for admins).

use serde_json::Value;

use super::input::{self, paging, word_list};
use super::{created, Ctx, Reply};
use crate::domain::attributes::{as_text, opt_bool, opt_int, opt_int_list, opt_text, required_text, Problems};
use crate::domain::changes::ProjectChanges;
use crate::domain::{Project, PROJECT_MODULES};
use crate::error::{Error, Result};
use crate::render;

/// Whether the principal may see a project: admins all, others active public ones and those
/// they are members of.
fn visible_project(ctx: &Ctx<'_>) -> Result<std::sync::Arc<Project>> {
    let reference = ctx.matched.project.clone().ok_or(Error::NotFound)?;
    let project = ctx.store.project(&reference)?;
    if !ctx.principal.may_see_project(&project) {
        return Err(ctx.principal.deny());
    }
    Ok(project)
}

fn with_modules(ctx: &Ctx<'_>) -> bool {
    word_list(&ctx.params, "include").iter().any(|w| w == "enabled_modules")
}

pub fn projects(ctx: &Ctx<'_>) -> Result<Reply> {
    let (offset, limit) = paging(&ctx.params);
    let visible: Option<Vec<i64>> = if ctx.principal.is_admin() {
        None
    } else {
        let (all, _) = ctx.store.projects_page(None, 0, i64::MAX)?;
        Some(all.iter().filter(|p| ctx.principal.may_see_project(p)).map(|p| p.id).collect())
    };
    let (list, total) = ctx.store.projects_page(visible.as_deref(), offset, limit)?;
    let mut d = ctx.doc();
    render::core::project_list(&mut d, &list, ctx.list_meta(total, offset, limit), with_modules(ctx));
    Ok(Reply::Ok(d.finish()))
}

pub fn project(ctx: &Ctx<'_>) -> Result<Reply> {
    let project = visible_project(ctx)?;
    let mut d = ctx.doc();
    render::core::project(&mut d, &project, false, with_modules(ctx));
    Ok(Reply::Ok(d.finish()))
}

fn project_changes(ctx: &Ctx<'_>, creating: bool) -> Result<ProjectChanges> {
    let attrs = input::record(&ctx.params, "project", "Project")?;
    let mut pr = Problems::default();
    let c = ProjectChanges {
        name: required_text(&attrs, "name", "Name", creating, &mut pr),
        identifier: required_text(&attrs, "identifier", "Identifier", creating, &mut pr),
        description: opt_text(&attrs, "description", "Description", &mut pr).map(Option::unwrap_or_default),
        homepage: opt_text(&attrs, "homepage", "Homepage", &mut pr).map(Option::unwrap_or_default),
        is_public: opt_bool(&attrs, "is_public", "Public", &mut pr),
        parent_id: opt_int(&attrs, "parent_id", "Subproject of", &mut pr),
        status: None,
        modules: match attrs.get("enabled_module_names") {
            None => None,
            Some(Value::Array(items)) => {
                Some(items.iter().filter_map(as_text).filter(|m| PROJECT_MODULES.contains(&m.as_str())).collect())
            }
            Some(_) => {
                pr.add("Enabled modules", "is invalid");
                None
            }
        },
    };
    if let Some(identifier) = &c.identifier {
        let well_formed = identifier.len() <= 100
            && identifier.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_')
            && !identifier.chars().all(|ch| ch.is_ascii_digit());
        if !well_formed {
            pr.add("Identifier", "is invalid");
        }
    }
    pr.into_result()?;
    Ok(c)
}

pub async fn create_project(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let changes = project_changes(ctx, true)?;
    let project = ctx.store.create_project(changes).await?;
    let mut d = ctx.doc();
    render::core::project(&mut d, &project, false, false);
    created(d.finish(), format!("/projects/{}", project.id))
}

pub async fn update_project(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let project = visible_project(ctx)?;
    let changes = project_changes(ctx, false)?;
    ctx.store.update_project(project.id, changes).await?;
    Ok(Reply::NoContent)
}

pub async fn delete_project(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let project = visible_project(ctx)?;
    ctx.store.delete_project(project.id).await?;
    Ok(Reply::NoContent)
}

// ---------------------------------------------------------------------------------------------
// Memberships

pub fn memberships(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    let project = visible_project(ctx)?;
    let (offset, limit) = paging(&ctx.params);
    let all = ctx.store.memberships(project.id)?;
    let page: Vec<_> = all.iter().skip(offset as usize).take(limit as usize).cloned().collect();
    let mut d = ctx.doc();
    render::core::membership_list(&mut d, &page, ctx.list_meta(all.len() as i64, offset, limit));
    Ok(Reply::Ok(d.finish()))
}

pub async fn create_membership(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let project = visible_project(ctx)?;
    let attrs = input::record(&ctx.params, "membership", "Membership")?;
    let mut pr = Problems::default();
    let user_id = opt_int(&attrs, "user_id", "Principal", &mut pr).flatten();
    let role_ids = opt_int_list(&attrs, "role_ids", "Role", &mut pr).unwrap_or_default();
    if user_id.is_none() {
        pr.add("Principal", "cannot be blank");
    }
    pr.into_result()?;
    let user_id = user_id.unwrap_or_default();
    let membership = ctx.store.add_membership(project.id, user_id, role_ids).await?;
    let mut d = ctx.doc();
    render::core::membership(&mut d, &membership, false);
    created(d.finish(), format!("/memberships/{}", membership.id))
}

pub fn membership(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    let id = ctx.id()?;
    let m = ctx.store.membership(id)?;
    let mut d = ctx.doc();
    render::core::membership(&mut d, &m, false);
    Ok(Reply::Ok(d.finish()))
}

pub async fn delete_membership(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let id = ctx.id()?;
    ctx.store.delete_membership(id).await?;
    Ok(Reply::NoContent)
}
