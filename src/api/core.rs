//! The Redmine core endpoints the CRM API leans on: users, projects, memberships, roles and
//! custom fields (API.md "Redmine core endpoints we also serve"). Writes are for admins.

use serde_json::{Map, Value};

use super::input::{self, paging, word_list};
use super::{Ctx, Reply};
use crate::domain::attributes::{as_text, opt_bool, opt_int, opt_int_list, opt_text, Problems};
use crate::domain::changes::{ProjectChanges, UserChanges};
use crate::domain::permission::PermSet;
use crate::domain::{CustomField, Project, PROJECT_ACTIVE, PROJECT_MODULES};
use crate::error::{Error, Result};
use crate::render;
use crate::render::core::UserView;
use crate::secrets;

fn created(body: Vec<u8>, location: String) -> Result<Reply> {
    Ok(Reply::Created { body, location })
}

/// A required, non-blank text attribute (create) or an optional one (update).
fn required_text(
    attrs: &Map<String, Value>,
    key: &str,
    label: &str,
    creating: bool,
    pr: &mut Problems,
) -> Option<String> {
    match opt_text(attrs, key, label, pr) {
        Some(Some(s)) if !s.trim().is_empty() => {
            if s.chars().count() > 255 {
                pr.add(label, "is too long (maximum is 255 characters)");
            }
            Some(s)
        }
        Some(_) => {
            pr.add(label, "cannot be blank");
            None
        }
        None => {
            if creating {
                pr.add(label, "cannot be blank");
            }
            None
        }
    }
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
fn project_visible(ctx: &Ctx<'_>, project: &Project) -> bool {
    let p = &ctx.principal;
    p.is_admin() || (project.status == PROJECT_ACTIVE && (project.is_public || p.permissions.contains_key(&project.id)))
}

fn visible_project(ctx: &Ctx<'_>) -> Result<std::sync::Arc<Project>> {
    let reference = ctx.matched.project.clone().ok_or(Error::NotFound)?;
    let project = ctx.store.project(&reference)?;
    if !project_visible(ctx, &project) {
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
        Some(all.iter().filter(|p| project_visible(ctx, p)).map(|p| p.id).collect())
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

const FIELD_FORMATS: &[&str] = &["string", "text", "int", "float", "date", "list", "bool", "link"];

pub async fn create_custom_field(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let attrs = input::record(&ctx.params, "custom_field", "Custom field")?;
    let mut pr = Problems::default();
    let name = required_text(&attrs, "name", "Name", true, &mut pr).unwrap_or_default();
    let customized_type = match attrs.get("customized_type").and_then(as_text).map(|t| t.to_ascii_lowercase()) {
        Some(t) if ["contact", "deal", "note"].contains(&t.as_str()) => t,
        _ => {
            pr.add("Type", "is not included in the list");
            String::new()
        }
    };
    let field_format = attrs.get("field_format").and_then(as_text).unwrap_or_else(|| "string".into());
    if !FIELD_FORMATS.contains(&field_format.as_str()) {
        pr.add("Format", "is not included in the list");
    }
    let possible_values: Vec<String> = match attrs.get("possible_values") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::Object(o) => o.get("value").and_then(as_text),
                v => as_text(v),
            })
            .collect(),
        Some(Value::String(s)) => s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect(),
        _ => Vec::new(),
    };
    if field_format == "list" && possible_values.is_empty() {
        pr.add("Possible values", "cannot be blank");
    }
    let flag = |key: &str, label: &str, pr: &mut Problems| opt_bool(&attrs, key, label, pr).unwrap_or(false);
    let field = CustomField {
        id: 0,
        name,
        customized_type,
        field_format,
        possible_values,
        regexp: opt_text(&attrs, "regexp", "Regular expression", &mut pr).flatten().filter(|r| !r.is_empty()),
        min_length: opt_int(&attrs, "min_length", "Minimum length", &mut pr).flatten(),
        max_length: opt_int(&attrs, "max_length", "Maximum length", &mut pr).flatten(),
        is_required: flag("is_required", "Required", &mut pr),
        is_for_all: opt_bool(&attrs, "is_for_all", "For all projects", &mut pr).unwrap_or(true),
        is_filter: flag("is_filter", "Used as a filter", &mut pr),
        searchable: flag("searchable", "Searchable", &mut pr),
        multiple: flag("multiple", "Multiple values", &mut pr),
        default_value: opt_text(&attrs, "default_value", "Default value", &mut pr).flatten(),
        visible: opt_bool(&attrs, "visible", "Visible", &mut pr).unwrap_or(true),
    };
    pr.into_result()?;
    let created_field = ctx.store.create_custom_field(field).await?;
    let mut d = ctx.doc();
    render::core::custom_field(&mut d, &created_field, false);
    created(d.finish(), format!("/custom_fields/{}", created_field.id))
}
