//! Validation of contacts, deals, notes and custom fields with Redmine's messages: each reads a
//! record's attribute hash into its write command (`changes.rs`), collecting every problem so
//! that one 422 reports them all. Checks that need stored data (does this project exist, is this
//! category the project's) are the caller's, passed in where their message order matters.

use serde_json::{Map, Value};

use super::attributes::{as_bool, as_int, as_text, check_length, opt_bool, opt_int, opt_int_list, opt_text, Problems};
use super::changes::{AddressChanges, ContactChanges, DealChanges, NoteChanges};
use super::time::{parse_date, parse_datetime, parse_timestamp, with_time_of_day};
use super::{emails_valid, normalize_decimal, parse_tag_list, CustomField, DealStatus};
use crate::error::Result;

/// The custom field parts: values checked against their fields, and field definitions.
pub use super::custom_fields::{custom_field, custom_values};

/// Longest value of a short text column (the plugin's varchar(255)).
const SHORT_TEXT: usize = 255;
/// Longest `background` or note content (the plugin's TEXT columns).
const LONG_TEXT: usize = 65_535;

// ---------------------------------------------------------------------------------------------
// Contacts

/// A short text attribute: read, length-checked.
fn text_attr(
    attrs: &Map<String, Value>,
    key: &str,
    label: &str,
    max: usize,
    problems: &mut Problems,
) -> Option<Option<String>> {
    let value = opt_text(attrs, key, label, problems);
    check_length(&value, label, max, problems);
    value
}

/// Reads and validates the `contact` hash of a create (`creating`) or update. Whether the
/// projects of `project_ids` exist is the caller's to check (it adds "Project is invalid" last).
pub fn contact(attrs: &Map<String, Value>, fields: &[CustomField], creating: bool) -> (ContactChanges, Problems) {
    let mut pr = Problems::default();
    let mut c = ContactChanges::default();
    match text_attr(attrs, "first_name", "First Name", SHORT_TEXT, &mut pr) {
        Some(Some(s)) if !s.trim().is_empty() => c.first_name = Some(s),
        Some(_) => pr.add("First Name", "cannot be blank"),
        None if creating && !attrs.contains_key("first_name") => pr.add("First Name", "cannot be blank"),
        None => {}
    }
    c.last_name = text_attr(attrs, "last_name", "Last Name", SHORT_TEXT, &mut pr);
    c.middle_name = text_attr(attrs, "middle_name", "Middle Name", SHORT_TEXT, &mut pr);
    c.company = text_attr(attrs, "company", "Company", SHORT_TEXT, &mut pr);
    c.phone = text_attr(attrs, "phone", "Phone", SHORT_TEXT, &mut pr);
    c.website = text_attr(attrs, "website", "Website", SHORT_TEXT, &mut pr);
    c.skype_name = text_attr(attrs, "skype_name", "Skype", SHORT_TEXT, &mut pr);
    c.job_title = text_attr(attrs, "job_title", "Job title", SHORT_TEXT, &mut pr);
    c.background = text_attr(attrs, "background", "Background", LONG_TEXT, &mut pr);
    c.email = opt_text(attrs, "email", "Email", &mut pr)
        .map(|e| e.map(|s| s.chars().filter(|ch| !ch.is_whitespace()).collect::<String>()));
    check_length(&c.email, "Email", SHORT_TEXT, &mut pr);
    if let Some(Some(email)) = &c.email {
        if !emails_valid(email) {
            pr.add("Email", "have incorrect format");
        }
    }
    // An unparseable birthday is dropped silently, as the plugin does.
    c.birthday = opt_text(attrs, "birthday", "Birthday", &mut pr).map(|b| b.as_deref().and_then(parse_date));
    c.is_company = opt_bool(attrs, "is_company", "Company", &mut pr);
    if let Some(v) = attrs.get("visibility") {
        match as_int(v) {
            Some(level @ 0..=2) => c.visibility = Some(level),
            _ => pr.add("Visibility", "is not included in the list"),
        }
    }
    c.assigned_to_id = opt_int(attrs, "assigned_to_id", "Assignee", &mut pr);
    c.author_id = opt_int(attrs, "author_id", "Author", &mut pr).flatten();
    c.tags = tag_list(attrs.get("tag_list"), &mut pr);
    if let Some(v) = attrs.get("address_attributes") {
        c.address = address_changes(v, &mut pr);
    }
    c.custom_values = custom_values(attrs, fields, creating, &mut pr);
    if let Some(ids) = opt_int_list(attrs, "project_ids", "Project", &mut pr) {
        if ids.is_empty() {
            pr.add("Project", "cannot be blank");
        } else {
            c.project_ids = Some(ids);
        }
    }
    (c, pr)
}

fn tag_list(value: Option<&Value>, pr: &mut Problems) -> Option<Vec<String>> {
    let tags = match value? {
        Value::Null => Vec::new(),
        Value::Array(items) => {
            let joined: Vec<String> =
                items.iter().filter_map(as_text).map(|t| format!("\"{}\"", t.replace('"', ""))).collect();
            parse_tag_list(&joined.join(","))
        }
        v => match as_text(v) {
            Some(s) => parse_tag_list(&s),
            None => {
                pr.add("Tags", "is invalid");
                return None;
            }
        },
    };
    if tags.iter().any(|t| t.chars().count() > SHORT_TEXT) {
        pr.add("Tags", &format!("is too long (maximum is {SHORT_TEXT} characters)"));
    }
    Some(tags)
}

fn address_changes(value: &Value, pr: &mut Problems) -> Option<AddressChanges> {
    let Value::Object(a) = value else {
        if !value.is_null() {
            pr.add("Address", "is invalid");
        }
        return None;
    };
    let mut part = |key: &str, label: &str| text_attr(a, key, label, SHORT_TEXT, pr);
    Some(AddressChanges {
        street1: part("street1", "Street"),
        street2: part("street2", "Street 2"),
        city: part("city", "City"),
        region: part("region", "Region"),
        postcode: part("postcode", "Postcode"),
        country_code: part("country_code", "Country"),
        destroy: a.get("_destroy").and_then(as_bool).unwrap_or(false),
    })
}

// ---------------------------------------------------------------------------------------------
// Deals

/// Reads and validates the `deal` hash of a create (`creating`) or update (API.md §6.5). The
/// price may be a string or a JSON number (product decision 3). What needs stored data is the
/// caller's to check and add: the project (`project_id`, an id or identifier, is left in the
/// hash), the status, the category's project, the contacts.
pub fn deal(attrs: &Map<String, Value>, fields: &[CustomField], creating: bool) -> (DealChanges, Problems) {
    let mut pr = Problems::default();
    let mut c = DealChanges::default();
    match text_attr(attrs, "name", "Name", SHORT_TEXT, &mut pr) {
        Some(Some(n)) if !n.trim().is_empty() => c.name = Some(n),
        Some(_) => pr.add("Name", "cannot be blank"),
        None if creating && !attrs.contains_key("name") => pr.add("Name", "cannot be blank"),
        None => {}
    }
    c.background = text_attr(attrs, "background", "Background", LONG_TEXT, &mut pr);
    c.currency = text_attr(attrs, "currency", "Currency", SHORT_TEXT, &mut pr);
    c.price = match attrs.get("price") {
        None => None,
        Some(Value::Null) => Some(None),
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
    c.price_type = opt_int(attrs, "price_type", "Price type", &mut pr);
    c.duration = opt_int(attrs, "duration", "Duration", &mut pr);
    c.probability = opt_int(attrs, "probability", "Probability", &mut pr);
    c.contact_id = opt_int(attrs, "contact_id", "Contact", &mut pr);
    c.category_id = opt_int(attrs, "category_id", "Category", &mut pr);
    c.assigned_to_id = opt_int(attrs, "assigned_to_id", "Assignee", &mut pr);
    c.author_id = opt_int(attrs, "author_id", "Author", &mut pr).flatten();
    c.status_id = opt_int(attrs, "status_id", "Status", &mut pr).flatten();
    match attrs.get("due_date") {
        None => {}
        Some(Value::Null) => c.due_date = Some(None),
        Some(Value::String(s)) if s.trim().is_empty() => c.due_date = Some(None),
        Some(v) => match as_text(v).as_deref().and_then(parse_datetime) {
            Some(ms) => c.due_date = Some(Some(ms)),
            None => pr.add("Due date", "is invalid"),
        },
    }
    c.related_contact_ids = opt_int_list(attrs, "related_contact_ids", "Related contacts", &mut pr);
    c.custom_values = custom_values(attrs, fields, creating, &mut pr);
    (c, pr)
}

/// Reads and validates a `deal_status` hash (admin extension).
pub fn deal_status(attrs: &Map<String, Value>) -> Result<DealStatus> {
    let mut pr = Problems::default();
    let name = match opt_text(attrs, "name", "Name", &mut pr) {
        Some(Some(n)) if !n.trim().is_empty() => n,
        _ => {
            pr.add("Name", "cannot be blank");
            String::new()
        }
    };
    if name.chars().count() > 30 {
        pr.add("Name", "is too long (maximum is 30 characters)");
    }
    let status_type = opt_int(attrs, "status_type", "Status type", &mut pr).flatten().unwrap_or(0);
    if !(0..=2).contains(&status_type) {
        pr.add("Status type", "is not included in the list");
    }
    let status = DealStatus {
        id: 0,
        name,
        position: opt_int(attrs, "position", "Position", &mut pr).flatten().unwrap_or(0),
        is_default: opt_bool(attrs, "is_default", "Default", &mut pr).unwrap_or(false),
        status_type,
        color: opt_int(attrs, "color", "Color", &mut pr).flatten().unwrap_or(11_184_810),
    };
    pr.into_result()?;
    Ok(status)
}

// ---------------------------------------------------------------------------------------------
// Notes

/// The note types of the plugin (`Note.note_types`): none is a plain note.
const NOTE_TYPE_EMAIL: i64 = 0;
const NOTE_TYPE_MEETING: i64 = 2;

/// Reads and validates the `note` hash of a create (`current_created_on` None) or of an update
/// of a note created at `current_created_on`. `fields` are the custom fields the note takes
/// (none for a deal note).
pub fn note(
    attrs: &Map<String, Value>,
    fields: &[CustomField],
    current_created_on: Option<i64>,
) -> Result<NoteChanges> {
    let creating = current_created_on.is_none();
    let mut pr = Problems::default();
    let mut c = NoteChanges::default();
    match opt_text(attrs, "content", "Content", &mut pr) {
        Some(Some(s)) if !s.trim().is_empty() => c.content = Some(s),
        Some(_) => pr.add("Content", "cannot be blank"),
        None if creating => pr.add("Content", "cannot be blank"),
        None => {}
    }
    check_length(&c.content.clone().map(Some), "Content", LONG_TEXT, &mut pr);
    c.subject = opt_text(attrs, "subject", "Subject", &mut pr);
    check_length(&c.subject, "Subject", SHORT_TEXT, &mut pr);
    c.type_id = opt_int(attrs, "type_id", "Type", &mut pr);
    if let Some(Some(t)) = c.type_id {
        if !(NOTE_TYPE_EMAIL..=NOTE_TYPE_MEETING).contains(&t) {
            pr.add("Type", "is not included in the list");
        }
    }
    if let Some(v) = attrs.get("created_on").filter(|v| !is_blank(v)) {
        match as_text(v).as_deref().and_then(parse_timestamp) {
            Some(ms) => c.created_on = Some(ms),
            None => pr.add("Created", "is invalid"),
        }
    }
    // `note_time` sets the hour and minute of the given or current `created_on`; a new note
    // without `created_on` is created now, whatever the time says (as in the plugin).
    if let Some(v) = attrs.get("note_time").filter(|v| !is_blank(v)) {
        match as_text(v).as_deref().and_then(hour_and_minute) {
            Some((hour, minute)) => {
                if let Some(day) = c.created_on.or(current_created_on) {
                    c.created_on = Some(with_time_of_day(day, hour, minute));
                }
            }
            None => pr.add("Time", "is invalid"),
        }
    }
    c.custom_values = custom_values(attrs, fields, creating, &mut pr);
    pr.into_result()?;
    Ok(c)
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// `HH:MM` (white space ignored, one or two digits each) as hour 0–23 and minute 0–59.
fn hour_and_minute(s: &str) -> Option<(u8, u8)> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (h, m) = compact.split_once(':')?;
    let part = |p: &str, max: u8| -> Option<u8> {
        (!p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit()))
            .then(|| p.parse().ok())?
            .filter(|n| *n <= max)
    };
    Some((part(h, 23)?, part(m, 59)?))
}

// ---------------------------------------------------------------------------------------------
// Passwords

/// Shortest password Redmine accepts (its default `password_min_length`).
pub const PASSWORD_MIN_LENGTH: usize = 8;

/// A new password: at least `PASSWORD_MIN_LENGTH` characters.
pub fn password(password: &str, pr: &mut Problems) {
    if password.chars().count() < PASSWORD_MIN_LENGTH {
        pr.add("Password", &format!("is too short (minimum is {PASSWORD_MIN_LENGTH} characters)"));
    }
}

// ---------------------------------------------------------------------------------------------
// Names of deal categories and tags

/// The `name` of a deal category (`category[name]`, at most 30 characters as in the plugin) or
/// a tag (`tag[name]`, 255): required, trimmed. Whether it is taken is the store's to say.
pub fn catalog_name(attrs: &Map<String, Value>, max: usize) -> Result<String> {
    let mut pr = Problems::default();
    let name = opt_text(attrs, "name", "Name", &mut pr).flatten().map(|n| n.trim().to_string()).unwrap_or_default();
    if name.is_empty() {
        pr.add("Name", "cannot be blank");
    } else if name.chars().count() > max {
        pr.add("Name", &format!("is too long (maximum is {max} characters)"));
    }
    pr.into_result()?;
    Ok(name)
}
