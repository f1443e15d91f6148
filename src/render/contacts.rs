//! Contacts (API.md §3.1, §3.2) and the contact tag list (§3.8).

use super::{custom_values, reference_list, user_reference, Doc, Format, Meta, Val};
use crate::domain::time::{iso, iso_millis};
use crate::domain::{country_name, join_tag_list, tag_color, Address, Contact, CustomField, Deal, Note};

/// What `include=` adds to a shown contact, already loaded and permission-checked.
#[derive(Default)]
pub struct Includes {
    pub notes: Option<Vec<Note>>,
    pub contacts: Option<Vec<(i64, String)>>,
    pub deals: Option<Vec<Deal>>,
}

/// Items 1–11 of §3.1: everything a list item and a shown contact share.
fn fields(d: &mut Doc, c: &Contact, custom_fields: &[CustomField]) {
    d.field("id", c.id);
    d.field("is_company", c.is_company);
    d.field("first_name", c.first_name.as_str());
    d.field("last_name", &c.last_name);
    d.field("middle_name", &c.middle_name);
    d.field("company", &c.company);
    d.field("website", &c.website);
    d.field("skype_name", &c.skype_name);
    d.field("birthday", &c.birthday);
    d.field("job_title", &c.job_title);
    d.field("background", &c.background);
    user_reference(d, "author", &c.author);
    user_reference(d, "assigned_to", &c.assigned_to);
    address(d, c.address.as_ref());
    wrapped_list(d, ("phones", "phone", "number"), &c.phones());
    wrapped_list(d, ("emails", "email", "address"), &c.emails());
    if d.is_xml() {
        d.field("tag_list", join_tag_list(&c.tags).as_str());
    } else {
        d.begin_array("tag_list", None);
        for t in &c.tags {
            d.item_value("tag", t);
        }
        d.end_array("tag_list");
    }
    custom_values(d, custom_fields, &c.custom_values);
    d.field("created_on", iso(c.created_on).as_str());
    d.field("updated_on", iso(c.updated_on).as_str());
}

/// `phones`/`emails`: each value wrapped in an item (`<phone><number>…</number></phone>`);
/// omitted when empty.
fn wrapped_list(d: &mut Doc, (array, item, field): (&str, &str, &str), values: &[&str]) {
    if values.is_empty() {
        return;
    }
    d.begin_array(array, None);
    for v in values {
        d.begin_item(item);
        d.field(field, *v);
        d.end_item(item);
    }
    d.end_array(array);
}

/// The address block: always present; `full_address` is the joined string in XML and the
/// address record itself in JSON (as the plugin renders it); `country_code` only when the
/// contact has an address.
fn address(d: &mut Doc, a: Option<&Address>) {
    d.begin("address");
    match a {
        None => d.field("full_address", Val::Null),
        Some(a) if d.is_xml() => d.field("full_address", a.joined().as_str()),
        Some(a) => {
            d.begin("full_address");
            d.field("id", a.id);
            d.field("street1", &a.street1);
            d.field("street2", &a.street2);
            d.field("city", &a.city);
            d.field("region", &a.region);
            d.field("postcode", &a.postcode);
            d.field("country_code", &a.country_code);
            d.field("full_address", &a.full_address);
            d.field("address_type", "business");
            d.field("addressable_type", "Contact");
            d.field("addressable_id", a.contact_id);
            d.field("created_at", iso_millis(a.created_at).as_str());
            d.field("updated_at", iso_millis(a.updated_at).as_str());
            d.end("full_address");
        }
    }
    d.field("street", a.and_then(|a| a.street1.as_deref()));
    d.field("city", a.and_then(|a| a.city.as_deref()));
    d.field("region", a.and_then(|a| a.region.as_deref()));
    d.field("country", a.and_then(|a| a.country_code.as_deref()).and_then(country_name));
    if let Some(a) = a {
        d.field("country_code", &a.country_code);
    }
    d.field("postcode", a.and_then(|a| a.postcode.as_deref()));
    d.end("address");
}

/// One contact as a list item, rendered on its own (for the rendered-contact cache).
pub fn list_item(format: Format, c: &Contact, custom_fields: &[CustomField]) -> Vec<u8> {
    let mut d = Doc::fragment(format);
    d.begin_item("contact");
    fields(&mut d, c, custom_fields);
    d.end_item("contact");
    d.into_bytes()
}

/// `GET /contacts`, the items already rendered by `list_item`.
pub fn rendered_list(d: &mut Doc, items: &[std::sync::Arc<[u8]>], meta: Option<Meta>) {
    d.begin_array("contacts", meta);
    for item in items {
        d.raw_item(item);
    }
    d.end_array("contacts");
}

/// `GET /contacts/:id` and the 201 body of a create.
pub fn contact(d: &mut Doc, c: &Contact, custom_fields: &[CustomField], includes: &Includes) {
    d.begin("contact");
    fields(d, c, custom_fields);
    reference_list(d, "projects", "project", &c.projects);
    if let Some(notes) = &includes.notes {
        super::notes::embedded_notes(d, notes);
    }
    if let Some(contacts) = &includes.contacts {
        reference_list(d, "contacts", "contact", contacts);
    }
    if let Some(deals) = includes.deals.as_ref().filter(|n| !n.is_empty()) {
        d.begin_array("deals", None);
        for deal in deals {
            super::deals::embedded_deal(d, deal);
        }
        d.end_array("deals");
    }
    d.end("contact");
}

/// `GET /contacts`: items 1–11 (and `projects` with `include=projects`).
pub fn contact_list(
    d: &mut Doc,
    contacts: &[Contact],
    custom_fields: &[CustomField],
    meta: Option<Meta>,
    with_projects: bool,
) {
    d.begin_array("contacts", meta);
    for c in contacts {
        d.begin_item("contact");
        fields(d, c, custom_fields);
        if with_projects {
            reference_list(d, "projects", "project", &c.projects);
        }
        d.end_item("contact");
    }
    d.end_array("contacts");
}

/// `GET /contacts_tags`.
pub fn tag_list(d: &mut Doc, tags: &[(i64, String)], with_meta: bool) {
    d.begin_array("tags", with_meta.then_some(Meta { total_count: tags.len() as i64, offset_limit: None }));
    for (id, name) in tags {
        d.begin_item("tag");
        d.field("id", *id);
        d.field("name", name.as_str());
        d.field("color", tag_color(name).as_str());
        d.end_item("tag");
    }
    d.end_array("tags");
}
