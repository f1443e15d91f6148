//! `/roles`: Redmine core roles with the CRM permissions (creating one is an admin extension).

use serde_json::Value;

use super::input::{self};
use super::{created, Ctx, Reply};
use crate::domain::attributes::{as_text, opt_bool, required_text, Problems};
use crate::domain::permission::PermSet;
use crate::error::Result;
use crate::render;

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
