//! The Redmine core endpoints the CRM API leans on: users, projects, memberships, roles and
//! custom fields (API.md "Redmine core endpoints we also serve"). Writes are for admins.

use serde_json::Value;

use super::input::{self, paging, word_list};
use super::{Ctx, Reply};
use crate::domain::attributes::{as_text, opt_bool, opt_int, opt_int_list, opt_text, required_text, Problems};
use crate::domain::changes::{ProjectChanges, UserChanges};
use crate::domain::permission::PermSet;
use crate::domain::validate;
use crate::domain::{Project, PROJECT_MODULES};
use crate::error::{Error, Result};
use crate::render;
use crate::render::core::UserView;
use crate::secrets;

fn created(body: Vec<u8>, location: String) -> Result<Reply> {
    Ok(Reply::Created { body, location })
}

// ---------------------------------------------------------------------------------------------
// Users

pub fn users(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let (offset, limit) = paging(&ctx.params);
    let status = ctx.params.get("status").and_then(crate::domain::attributes::as_int);
    let (list, total) = ctx.store.users_page(status, offset, limit)?;
    let mut d = ctx.doc();
    render::core::user_list(&mut d, &list, true, ctx.list_meta(total, offset, limit));
    Ok(Reply::Ok(d.finish()))
}

fn render_user(ctx: &Ctx<'_>, id: i64) -> Result<Vec<u8>> {
    let user = ctx.store.user(id)?;
    let p = &ctx.principal;
    if !p.is_admin() && user.status != crate::domain::USER_ACTIVE && user.id != p.user_id() {
        return Err(Error::NotFound);
    }
    let view = UserView { is_self: user.id == p.user_id(), viewer_is_admin: p.is_admin() };
    let mut d = ctx.doc();
    render::core::user(&mut d, &user, view, false);
    Ok(d.finish())
}

pub fn current_user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Ok(Reply::Ok(render_user(ctx, ctx.principal.user_id())?))
}

pub fn user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    Ok(Reply::Ok(render_user(ctx, ctx.id()?)?))
}

fn user_changes(ctx: &Ctx<'_>, creating: bool) -> Result<UserChanges> {
    let attrs = input::record(&ctx.params, "user", "User")?;
    let mut pr = Problems::default();
    let mut c = UserChanges {
        login: required_text(&attrs, "login", "Login", creating, &mut pr),
        firstname: required_text(&attrs, "firstname", "First name", creating, &mut pr),
        lastname: required_text(&attrs, "lastname", "Last name", creating, &mut pr),
        mail: required_text(&attrs, "mail", "Email", creating, &mut pr),
        admin: opt_bool(&attrs, "admin", "Administrator", &mut pr),
        status: opt_int(&attrs, "status", "Status", &mut pr).flatten(),
        ..Default::default()
    };
    if let Some(mail) = &c.mail {
        if !crate::domain::emails_valid(mail) || mail.contains(',') {
            pr.add("Email", "is invalid");
        }
    }
    if let Some(status) = c.status {
        if ![1, 2, 3].contains(&status) {
            pr.add("Status", "is not included in the list");
        }
    }
    if let Some(Some(password)) = opt_text(&attrs, "password", "Password", &mut pr) {
        if password.chars().count() < 8 {
            pr.add("Password", "is too short (minimum is 8 characters)");
        } else {
            c.password_hash = Some(secrets::hash_password(&password)?);
        }
    }
    if let Some(Some(key)) = opt_text(&attrs, "api_key", "API key", &mut pr) {
        if key.len() < 20 || key.len() > 64 || !key.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            pr.add("API key", "is invalid");
        }
        c.api_key = Some(key);
    }
    pr.into_result()?;
    Ok(c)
}

pub async fn create_user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let changes = user_changes(ctx, true)?;
    let user = ctx.store.create_user(changes).await?;
    created(render_user(ctx, user.id)?, format!("/users/{}", user.id))
}

pub async fn update_user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let id = ctx.id()?;
    let changes = user_changes(ctx, false)?;
    ctx.store.update_user(id, changes).await?;
    Ok(Reply::NoContent)
}

pub async fn delete_user(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let id = ctx.id()?;
    if id == ctx.principal.user_id() {
        return Err(Error::invalid("You cannot delete your own account"));
    }
    ctx.store.delete_user(id).await?;
    Ok(Reply::NoContent)
}

// ---------------------------------------------------------------------------------------------
// Projects

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

// ---------------------------------------------------------------------------------------------
// Roles

pub fn roles(ctx: &Ctx<'_>) -> Result<Reply> {
    let roles = ctx.store.roles()?;
    let mut d = ctx.doc();
    render::core::role_list(&mut d, &roles);
    Ok(Reply::Ok(d.finish()))
}

pub fn role(ctx: &Ctx<'_>) -> Result<Reply> {
    let id = ctx.id()?;
    let role = ctx.store.role(id)?;
    let mut d = ctx.doc();
    render::core::role(&mut d, &role);
    Ok(Reply::Ok(d.finish()))
}

pub async fn create_role(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let attrs = input::record(&ctx.params, "role", "Role")?;
    let mut pr = Problems::default();
    let name = required_text(&attrs, "name", "Name", true, &mut pr).unwrap_or_default();
    let mut permissions = PermSet::EMPTY;
    match attrs.get("permissions") {
        Some(Value::Array(items)) => {
            for name in items.iter().filter_map(as_text) {
                match crate::domain::permission::Permission::from_name(name.trim_start_matches(':')) {
                    Some(p) => permissions.insert(p),
                    None => pr.add("Permissions", "is invalid"),
                }
            }
        }
        None | Some(Value::Null) => {}
        Some(_) => pr.add("Permissions", "is invalid"),
    }
    let assignable = opt_bool(&attrs, "assignable", "Issues can be assigned to this role", &mut pr).unwrap_or(true);
    pr.into_result()?;
    let role = ctx.store.create_role(name, permissions, assignable).await?;
    let mut d = ctx.doc();
    render::core::role(&mut d, &role);
    created(d.finish(), format!("/roles/{}", role.id))
}

// ---------------------------------------------------------------------------------------------
// Custom fields

pub fn custom_fields(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let fields = ctx.store.all_custom_fields()?;
    let mut d = ctx.doc();
    render::core::custom_field_list(&mut d, &fields);
    Ok(Reply::Ok(d.finish()))
}

pub async fn create_custom_field(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let attrs = input::record(&ctx.params, "custom_field", "Custom field")?;
    let field = validate::custom_field(&attrs)?;
    let created_field = ctx.store.create_custom_field(field).await?;
    let mut d = ctx.doc();
    render::core::custom_field(&mut d, &created_field, false);
    created(d.finish(), format!("/custom_fields/{}", created_field.id))
}
