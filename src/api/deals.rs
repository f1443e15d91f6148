//! `/deals` (create and show; the full deals API is a later piece of work) and
//! `/deal_statuses`.

use serde_json::Value;

use super::input;
use super::{Ctx, Reply};
use crate::domain::attributes::{as_int, as_text, check_length, opt_int, opt_int_list, opt_text, Problems};
use crate::domain::changes::DealChanges;
use crate::domain::permission::Permission;
use crate::domain::time::parse_datetime;
use crate::domain::{normalize_decimal, CustomField, DealStatus};
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
    let mut pr = Problems::default();
    let mut c = DealChanges { project_id: Some(project.id), author_id: Some(p.user_id()), ..Default::default() };
    match opt_text(&attrs, "name", "Name", &mut pr) {
        Some(Some(n)) if !n.trim().is_empty() => c.name = Some(n),
        _ => pr.add("Name", "cannot be blank"),
    }
    check_length(&c.name.clone().map(Some), "Name", 255, &mut pr);
    c.background = opt_text(&attrs, "background", "Background", &mut pr);
    check_length(&c.background, "Background", 65_535, &mut pr);
    c.currency = opt_text(&attrs, "currency", "Currency", &mut pr);
    check_length(&c.currency, "Currency", 255, &mut pr);
    c.price = match attrs.get("price") {
        None | Some(Value::Null) => None,
        Some(v) => match as_text(v) {
            Some(s) if s.trim().is_empty() => Some(None),
            Some(s) => match normalize_decimal(&s) {
                Some(price) => Some(Some(price)),
                None => {
                    pr.add("Sum", "is not a number");
                    None
                }
            },
            None => {
                pr.add("Sum", "is not a number");
                None
            }
        },
    };
    c.price_type = opt_int(&attrs, "price_type", "Price type", &mut pr);
    c.duration = opt_int(&attrs, "duration", "Duration", &mut pr);
    c.probability = opt_int(&attrs, "probability", "Probability", &mut pr);
    c.contact_id = opt_int(&attrs, "contact_id", "Contact", &mut pr);
    c.category_id = opt_int(&attrs, "category_id", "Category", &mut pr);
    if let Some(Some(category)) = c.category_id {
        if !ctx.store.deal_category_in_project(category, project.id)? {
            pr.add("Category", "is invalid");
        }
    }
    c.assigned_to_id = opt_int(&attrs, "assigned_to_id", "Assignee", &mut pr);
    if let Some(Some(author)) = opt_int(&attrs, "author_id", "Author", &mut pr) {
        c.author_id = Some(author);
    }
    if let Some(v) = attrs.get("due_date").filter(|v| !v.is_null()) {
        match as_text(v).as_deref().and_then(parse_datetime) {
            Some(ms) => c.due_date = Some(Some(ms)),
            None => pr.add("Due date", "is invalid"),
        }
    }
    c.related_contact_ids = opt_int_list(&attrs, "related_contact_ids", "Related contacts", &mut pr);
    let status = match attrs.get("status_id").and_then(as_int) {
        Some(id) => ctx.store.deal_status(id)?.map(|s| s.id),
        None => ctx.store.default_deal_status()?,
    };
    match status {
        Some(s) => c.status_id = Some(s),
        None => pr.add("Status", "cannot be blank"),
    }
    let fields = deal_fields(ctx)?;
    c.custom_values = super::contacts::custom_values(&attrs, &fields, true, &mut pr);
    pr.into_result()?;
    let id = ctx.store.create_deal(c).await?;
    let deal = ctx.store.deal(id)?;
    let mut d = ctx.doc();
    render::deals::deal(&mut d, &deal, &fields);
    Ok(Reply::Created { body: d.finish(), location: format!("/deals/{id}") })
}

pub fn show(ctx: &Ctx<'_>) -> Result<Reply> {
    let id = ctx.id()?;
    let deal = ctx.store.deal(id)?;
    if !ctx.principal.allowed(Permission::ViewDeals, deal.project.0) {
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
    let mut pr = Problems::default();
    let name = match opt_text(&attrs, "name", "Name", &mut pr) {
        Some(Some(n)) if !n.trim().is_empty() => n,
        _ => {
            pr.add("Name", "cannot be blank");
            String::new()
        }
    };
    if name.chars().count() > 30 {
        pr.add("Name", "is too long (maximum is 30 characters)");
    }
    let status_type = opt_int(&attrs, "status_type", "Status type", &mut pr).flatten().unwrap_or(0);
    if !(0..=2).contains(&status_type) {
        pr.add("Status type", "is not included in the list");
    }
    let status = DealStatus {
        id: 0,
        name,
        position: opt_int(&attrs, "position", "Position", &mut pr).flatten().unwrap_or(0),
        is_default: crate::domain::attributes::opt_bool(&attrs, "is_default", "Default", &mut pr).unwrap_or(false),
        status_type,
        color: opt_int(&attrs, "color", "Color", &mut pr).flatten().unwrap_or(11_184_810),
    };
    pr.into_result()?;
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
