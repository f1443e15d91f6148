//! Contacts in exchange files (vCard, CSV; issue 15): the [`Record`] both formats read and
//! write, made from a stored [`Contact`] for an export and turned into a validated
//! [`ContactChanges`] for an import (through `validate::contact`, so an imported contact
//! passes exactly the checks of the API, with Redmine's messages). Also the duplicate rule of
//! the plugin (API.md §9). No file format, SQL or HTTP here.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::changes::ContactChanges;
use super::{country_code, country_name, validate, Contact, CustomField};

/// One contact as an exchange file carries it. Custom fields are named, the assignee is a
/// login and the country a name or ISO code, so that a file moves between databases.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    pub is_company: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub website: Option<String>,
    pub skype_name: Option<String>,
    /// `YYYY-MM-DD` on export; whatever the file says on import (unparseable is dropped, as the
    /// API drops it).
    pub birthday: Option<String>,
    pub background: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub street1: Option<String>,
    pub street2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postcode: Option<String>,
    /// An ISO code or an English country name.
    pub country: Option<String>,
    pub tags: Vec<String>,
    /// (field name, values).
    pub custom: Vec<(String, Vec<String>)>,
    /// The assignee's login.
    pub assignee: Option<String>,
    /// The file carried a photo (imports drop it: there is no photo storage).
    pub had_photo: bool,
}

/// Where a record came from: its first line and, in a vCard file, its card number (from 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub line: u64,
    pub card: Option<u64>,
}

/// A record an import refuses: where it is, and each field with Redmine's message.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    pub origin: Origin,
    /// (field label, message) as Redmine words them: ("First Name", "cannot be blank").
    pub problems: Vec<(String, String)>,
}

/// Names a custom field's values in a file: `X-LICENSE` in a vCard for `License`.
pub fn vcard_property_of(field_name: &str) -> String {
    let mut s = String::from("X-");
    for c in field_name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_uppercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}

/// A header or property name reduced to lower-case letters and digits: how names from files
/// are compared.
pub fn fold_name(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl Record {
    /// The record of a stored contact; `fields` name its custom values, `logins` its assignee.
    pub fn of_contact(c: &Contact, fields: &[CustomField], logins: &HashMap<i64, String>) -> Record {
        let a = c.address.clone().unwrap_or_default();
        let mut custom: Vec<(String, Vec<String>)> = Vec::new();
        for f in fields {
            let values: Vec<String> =
                c.custom_values.iter().filter(|(id, v)| *id == f.id && !v.is_empty()).map(|(_, v)| v.clone()).collect();
            if !values.is_empty() {
                custom.push((f.name.clone(), values));
            }
        }
        Record {
            is_company: c.is_company,
            first_name: Some(c.first_name.clone()),
            last_name: c.last_name.clone(),
            middle_name: c.middle_name.clone(),
            company: c.company.clone(),
            job_title: c.job_title.clone(),
            website: c.website.clone(),
            skype_name: c.skype_name.clone(),
            birthday: c.birthday.clone(),
            background: c.background.clone(),
            phones: c.phones().into_iter().map(str::to_string).collect(),
            emails: c.emails().into_iter().map(str::to_string).collect(),
            street1: a.street1,
            street2: a.street2,
            city: a.city,
            region: a.region,
            postcode: a.postcode,
            country: a.country_code,
            tags: c.tags.clone(),
            custom,
            assignee: c.assigned_to_id.and_then(|id| logins.get(&id).cloned()),
            had_photo: false,
        }
    }

    /// The country as a display name (exports write names, as the plugin's vCard does).
    pub fn country_display(&self) -> Option<String> {
        let c = some(&self.country)?;
        Some(country_name(&c).map(str::to_string).unwrap_or(c))
    }

    /// The plugin's attribute hash of this record (as `POST /contacts` takes it), and the
    /// problems of what has no attribute: an unknown assignee login or custom field value
    /// for a field that is not there is reported, an unknown country refused.
    pub fn attributes(
        &self,
        fields: &[CustomField],
        users: &HashMap<String, i64>,
    ) -> (Map<String, Value>, Vec<(String, String)>) {
        let mut problems = Vec::new();
        let mut a = Map::new();
        let mut put = |key: &str, v: &Option<String>| {
            if let Some(v) = some(v) {
                a.insert(key.into(), Value::String(v));
            }
        };
        put("first_name", &self.first_name);
        put("last_name", &self.last_name);
        put("middle_name", &self.middle_name);
        put("company", &self.company);
        put("job_title", &self.job_title);
        put("website", &self.website);
        put("skype_name", &self.skype_name);
        put("birthday", &self.birthday.as_deref().and_then(normalize_birthday));
        // Background keeps its inner white space (a note's paragraphs).
        if let Some(b) = self.background.as_deref().filter(|b| !b.trim().is_empty()) {
            a.insert("background".into(), Value::String(b.replace("\r\n", "\n")));
        }
        let list = |items: &[String]| {
            let kept: Vec<&str> = items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
            (!kept.is_empty()).then(|| kept.join(", "))
        };
        if let Some(p) = list(&self.phones) {
            a.insert("phone".into(), Value::String(p));
        }
        if let Some(e) = list(&self.emails) {
            a.insert("email".into(), Value::String(e.replace(' ', "")));
        }
        if self.is_company {
            a.insert("is_company".into(), Value::Bool(true));
        }
        if !self.tags.is_empty() {
            a.insert("tag_list".into(), json!(self.tags));
        }
        let mut address = Map::new();
        for (key, v) in [
            ("street1", &self.street1),
            ("street2", &self.street2),
            ("city", &self.city),
            ("region", &self.region),
            ("postcode", &self.postcode),
        ] {
            if let Some(v) = some(v) {
                address.insert(key.into(), Value::String(v));
            }
        }
        if let Some(country) = some(&self.country) {
            match country_code(&country) {
                Some(code) => {
                    address.insert("country_code".into(), Value::String(code.to_string()));
                }
                None => problems.push(("Country".to_string(), "is not included in the list".to_string())),
            }
        }
        if !address.is_empty() {
            a.insert("address_attributes".into(), Value::Object(address));
        }
        if let Some(login) = some(&self.assignee) {
            match users.get(&login.to_lowercase()) {
                Some(id) => {
                    a.insert("assigned_to_id".into(), json!(id));
                }
                None => problems.push(("Assignee".to_string(), "is invalid".to_string())),
            }
        }
        let mut custom = Vec::new();
        for (name, values) in &self.custom {
            let folded = fold_name(name);
            let Some(f) = fields.iter().find(|f| fold_name(&f.name) == folded) else { continue };
            let values: Vec<&str> = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
            if values.is_empty() {
                continue;
            }
            let value = if f.multiple { json!(values) } else { json!(values.join(", ")) };
            custom.push(json!({"id": f.id, "value": value}));
        }
        if !custom.is_empty() {
            a.insert("custom_fields".into(), Value::Array(custom));
        }
        (a, problems)
    }

    /// Validates the record as `POST /contacts` would (Redmine's messages) into the changes
    /// that create it, in `project_id`.
    pub fn validated(
        &self,
        fields: &[CustomField],
        users: &HashMap<String, i64>,
        project_id: i64,
    ) -> Result<ContactChanges, Vec<(String, String)>> {
        let (mut attrs, mut problems) = self.attributes(fields, users);
        if !attrs.contains_key("first_name") && self.is_company {
            // A company named by its company column only: that is its name.
            if let Some(company) = attrs.get("company").cloned() {
                attrs.insert("first_name".into(), company);
            }
        }
        let (mut changes, found) = validate::contact(&attrs, fields, true);
        for message in found.0 {
            problems.push(split_message(&message));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        changes.project_ids = Some(vec![project_id]);
        Ok(changes)
    }
}

/// Splits "First Name cannot be blank" into its label and message at the verb Redmine's
/// messages start with.
fn split_message(message: &str) -> (String, String) {
    for verb in [" cannot ", " is ", " have ", " has ", " must "] {
        if let Some(i) = message.find(verb) {
            return (message[..i].to_string(), message[i + 1..].to_string());
        }
    }
    (String::new(), message.to_string())
}

/// A birthday as `YYYY-MM-DD` from the spellings files use: `1980-10-21`, `19801021`,
/// `1980-10-21T00:00:00Z`, `--1021` (no year: dropped), `21.10.1980`, `10/21/1980`.
pub fn normalize_birthday(s: &str) -> Option<String> {
    let s = s.trim();
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() == 8 {
        return Some(format!("{}-{}-{}", &digits[..4], &digits[4..6], &digits[6..8]));
    }
    if s.as_bytes().get(4) == Some(&b'-') {
        if let Some(date) = s.get(..10) {
            return Some(date.to_string());
        }
    }
    let parts: Vec<&str> = s.split(['.', '/']).collect();
    if let [a, b, y] = parts[..] {
        if y.len() == 4 {
            let (d, m) = if s.contains('.') { (a, b) } else { (b, a) };
            let (d, m): (u32, u32) = (d.parse().ok()?, m.parse().ok()?);
            return Some(format!("{y}-{m:02}-{d:02}"));
        }
    }
    Some(s.to_string())
}

/// The plugin's duplicate rule (API.md §9): the same first and last name (and the same middle
/// name, or one of them without), compared without case, or the same primary e-mail.
pub fn is_duplicate(a: &Contact, b: &Contact) -> bool {
    if a.id == b.id {
        return false;
    }
    let low = |s: Option<&str>| s.map(str::trim).unwrap_or("").to_lowercase();
    let same_name = low(Some(&a.first_name)) == low(Some(&b.first_name))
        && low(a.last_name.as_deref()) == low(b.last_name.as_deref())
        && {
            let (x, y) = (low(a.middle_name.as_deref()), low(b.middle_name.as_deref()));
            x == y || x.is_empty() || y.is_empty()
        };
    let primary = |c: &Contact| c.emails().first().map(|e| e.to_lowercase());
    same_name || primary(a).is_some_and(|e| Some(e) == primary(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_into_field_and_message() {
        assert_eq!(split_message("First Name cannot be blank"), ("First Name".into(), "cannot be blank".into()));
        assert_eq!(split_message("Email have incorrect format"), ("Email".into(), "have incorrect format".into()));
    }

    #[test]
    fn birthdays_in_the_spellings_of_files() {
        assert_eq!(normalize_birthday("19801021").as_deref(), Some("1980-10-21"));
        assert_eq!(normalize_birthday("1980-10-21T00:00:00Z").as_deref(), Some("1980-10-21"));
        assert_eq!(normalize_birthday("21.10.1980").as_deref(), Some("1980-10-21"));
        assert_eq!(normalize_birthday("10/21/1980").as_deref(), Some("1980-10-21"));
        assert_eq!(normalize_birthday("1980-10-2é").as_deref(), Some("1980-10-2é"), "no panic on a cut character");
    }

    #[test]
    fn custom_fields_become_x_properties() {
        assert_eq!(vcard_property_of("License"), "X-LICENSE");
        assert_eq!(vcard_property_of("Preferred language (spoken)"), "X-PREFERRED-LANGUAGE-SPOKEN");
        assert_eq!(fold_name("X-LICENSE").trim_start_matches('x'), "license");
    }
}
