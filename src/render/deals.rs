//! Deals (API.md §3.5) and deal statuses (§3.6).

use super::{custom_values, reference, reference_list, user_reference, Doc, Meta, Val};
use crate::domain::time::iso;
use crate::domain::{CustomField, Deal, DealStatus, Note};

fn price(d: &mut Doc, deal: &Deal) {
    d.field("price", deal.price.as_deref().map_or(Val::Null, Val::Decimal));
}

fn project_and_status(d: &mut Doc, deal: &Deal) {
    reference(d, "project", Some((deal.project.0, deal.project.1.as_str())));
    reference(d, "status", deal.status.as_ref().map(|(id, n)| (*id, n.as_str())));
}

/// A deal inside a contact's `include=deals`.
pub fn embedded_deal(d: &mut Doc, deal: &Deal) {
    d.begin_item("deal");
    d.field("id", deal.id);
    price(d, deal);
    d.field("currency", &deal.currency);
    d.field("price_type", deal.price_type);
    d.field("name", deal.name.as_str());
    project_and_status(d, deal);
    d.field("background", &deal.background);
    d.field("created_on", iso(deal.created_on).as_str());
    d.field("updated_on", iso(deal.updated_on).as_str());
    d.end_item("deal");
}

/// The fields of a deal, shown alone or as a list item: the list puts `related_contacts`
/// right after `assigned_to`, the show at the end (API.md §3.5).
fn deal_fields(d: &mut Doc, deal: &Deal, custom_fields: &[CustomField], in_list: bool) {
    d.field("id", deal.id);
    d.field("name", deal.name.as_str());
    price(d, deal);
    d.field("currency", &deal.currency);
    d.field("price_type", deal.price_type);
    d.field("duration", deal.duration);
    d.field("probability", deal.probability);
    d.field("due_date", deal.due_date.map(iso).as_deref());
    d.field("background", &deal.background);
    project_and_status(d, deal);
    reference(d, "category", deal.category.as_ref().map(|(id, n)| (*id, n.as_str())));
    user_reference(d, "author", &deal.author);
    reference(d, "contact", deal.contact.as_ref().map(|(id, n)| (*id, n.as_str())));
    user_reference(d, "assigned_to", &deal.assigned_to);
    if in_list {
        reference_list(d, "related_contacts", "contact", &deal.related_contacts);
    }
    custom_values(d, custom_fields, &deal.custom_values);
    d.field("created_on", iso(deal.created_on).as_str());
    d.field("updated_on", iso(deal.updated_on).as_str());
    if !in_list {
        reference_list(d, "related_contacts", "contact", &deal.related_contacts);
    }
}

/// `GET /deals/:id` (with its notes for `include=notes`) and the 201 body of a create.
pub fn deal(d: &mut Doc, deal: &Deal, custom_fields: &[CustomField], notes: Option<&[Note]>) {
    d.begin("deal");
    deal_fields(d, deal, custom_fields, false);
    if let Some(notes) = notes {
        super::notes::embedded_notes(d, notes);
    }
    d.end("deal");
}

/// `GET /deals`: root `deals` with the list counters (`meta`, None for `nometa`).
pub fn deal_list(d: &mut Doc, deals: &[Deal], custom_fields: &[CustomField], meta: Option<Meta>) {
    d.begin_array("deals", meta);
    for deal in deals {
        d.begin_item("deal");
        deal_fields(d, deal, custom_fields, true);
        d.end_item("deal");
    }
    d.end_array("deals");
}

pub fn statuses(d: &mut Doc, statuses: &[DealStatus]) {
    d.begin_array("deal_statuses", Some(Meta { total_count: statuses.len() as i64, offset_limit: None }));
    for s in statuses {
        status_fields(d, s, true);
    }
    d.end_array("deal_statuses");
}

pub fn status(d: &mut Doc, s: &DealStatus) {
    status_fields(d, s, false);
}

fn status_fields(d: &mut Doc, s: &DealStatus, in_list: bool) {
    d.begin_record("deal_status", in_list);
    d.field("id", s.id);
    d.field("name", s.name.as_str());
    d.field("position", s.position);
    d.field("is_default", s.is_default);
    d.field("status_type", s.status_type);
    d.field("color", s.color);
    d.end("deal_status");
}
