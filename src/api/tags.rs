//! `/contacts_tags`: every tag in use (API.md §3.8), and the administrator's extensions to
//! rename, merge and delete a tag (the plugin does these in its HTML tag admin only). A change
//! shows at once in every contact that has the tag.

use serde_json::Value;

use super::{input, Ctx, Reply};
use crate::domain::attributes::as_int;
use crate::domain::validate;
use crate::error::{Error, Result};
use crate::render;

/// Longest tag name (the plugin's varchar(255)).
const NAME_MAX: usize = 255;

/// Every tag used by a contact, whoever may see the contacts (as the plugin); a login is
/// needed, so that anonymous callers learn nothing of the data.
pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_login()?;
    let tags = ctx.store.contact_tags()?;
    let mut d = ctx.doc();
    render::contacts::tag_list(&mut d, &tags, !ctx.nometa);
    Ok(Reply::Ok(d.finish()))
}

/// `PUT /contacts_tags/:id {"tag":{"name"}}`: rename; 422 when another tag has the name.
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let id = ctx.id()?;
    let attrs = input::record(&ctx.params, "tag", "Tag")?;
    let name = validate::catalog_name(&attrs, NAME_MAX)?;
    ctx.store.rename_tag(id, name).await?;
    Ok(Reply::NoContent)
}

/// `POST /contacts_tags/:id/merge {"into_id": N}`: the contacts tagged :id are tagged N instead
/// (once), and :id is deleted. N unknown or :id itself: 422.
pub async fn merge(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    let id = ctx.id()?;
    let into = match ctx.params.get("into_id") {
        None | Some(Value::Null) => return Err(Error::invalid("Merge into cannot be blank")),
        Some(Value::String(s)) if s.trim().is_empty() => return Err(Error::invalid("Merge into cannot be blank")),
        Some(v) => as_int(v).ok_or_else(|| Error::invalid("Merge into is invalid"))?,
    };
    ctx.store.merge_tags(id, into).await?;
    Ok(Reply::NoContent)
}

/// `DELETE /contacts_tags/:id`: untags every contact and deletes the tag.
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    ctx.principal.require_admin()?;
    ctx.store.delete_tag(ctx.id()?).await?;
    Ok(Reply::NoContent)
}
