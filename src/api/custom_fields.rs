//! `/custom_fields`: definitions of the custom fields of contacts, deals and notes (admins).

use super::input::{self};
use super::{created, Ctx, Reply};
use crate::domain::validate;
use crate::error::Result;
use crate::render;

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
