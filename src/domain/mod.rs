//! Plain domain types, free of HTTP and SQL, and the rules that belong to the data itself
//! (country names, address joining, tag list parsing, e-mail format).

pub mod attributes;
pub mod changes;
pub mod custom_fields;
pub mod deal_query;
pub mod exchange;
pub mod filters;
pub mod permission;
pub mod principal;
pub mod query;
pub mod saved_query;
pub mod time;
pub mod validate;

use std::collections::HashMap;
use std::sync::OnceLock;

/// A user (or the author/assignee of a record) as references show it: `{id, name}`.
#[derive(Clone, Debug)]
pub struct UserRef {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub firstname: String,
    pub lastname: String,
    pub mail: Option<String>,
    pub admin: bool,
    pub status: i64,
    pub api_key: Option<String>,
    pub created_on: i64,
    pub updated_on: i64,
    pub last_login_on: Option<i64>,
}

impl User {
    /// Redmine's default user display format: "Firstname Lastname".
    pub fn name(&self) -> String {
        display_name(&self.firstname, &self.lastname)
    }
}

pub fn display_name(first: &str, last: &str) -> String {
    match (first.is_empty(), last.is_empty()) {
        (false, false) => [first, last].join(" "),
        (false, true) => first.to_string(),
        _ => last.to_string(),
    }
}

#[derive(Clone, Debug)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub identifier: String,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub is_public: bool,
    pub parent: Option<(i64, String)>,
    pub status: i64,
    pub created_on: i64,
    pub updated_on: i64,
    pub modules: Vec<String>,
}

pub const PROJECT_ACTIVE: i64 = 1;
/// `users.status` of an active user (Redmine: 1 active, 2 registered, 3 locked).
pub const USER_ACTIVE: i64 = 1;
pub const PROJECT_MODULES: &[&str] = &["contacts", "deals"];

#[derive(Debug, Clone)]
pub struct Membership {
    pub id: i64,
    pub project: (i64, String),
    pub user: (i64, String),
    pub roles: Vec<(i64, String)>,
}

#[derive(Clone, Debug)]
pub struct Role {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub assignable: bool,
    pub builtin: i64,
    pub permissions: permission::PermSet,
}

#[derive(Clone, Debug)]
pub struct CustomField {
    pub id: i64,
    pub name: String,
    pub customized_type: String,
    pub field_format: String,
    pub possible_values: Vec<String>,
    pub regexp: Option<String>,
    pub min_length: Option<i64>,
    pub max_length: Option<i64>,
    pub is_required: bool,
    pub is_for_all: bool,
    pub is_filter: bool,
    pub searchable: bool,
    pub multiple: bool,
    pub default_value: Option<String>,
    pub visible: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Address {
    pub id: i64,
    pub contact_id: i64,
    pub street1: Option<String>,
    pub street2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postcode: Option<String>,
    pub country_code: Option<String>,
    pub full_address: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Address {
    /// The joined string Redmine stores and prints: street1, street2, city, postcode, region,
    /// country name; blanks skipped.
    pub fn joined(&self) -> String {
        let country = self.country_code.as_deref().and_then(country_name);
        [
            self.street1.as_deref(),
            self.street2.as_deref(),
            self.city.as_deref(),
            self.postcode.as_deref(),
            self.region.as_deref(),
            country,
        ]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }

    pub fn is_blank(&self) -> bool {
        [&self.street1, &self.street2, &self.city, &self.region, &self.postcode, &self.country_code]
            .iter()
            .all(|v| v.as_deref().map_or(true, |s| s.trim().is_empty()))
    }
}

#[derive(Clone, Debug)]
pub struct Contact {
    pub id: i64,
    pub is_company: bool,
    pub first_name: String,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub skype_name: Option<String>,
    pub birthday: Option<String>,
    pub job_title: Option<String>,
    pub background: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub author: Option<UserRef>,
    pub assigned_to: Option<UserRef>,
    pub author_id: i64,
    pub assigned_to_id: Option<i64>,
    pub visibility: i64,
    pub created_on: i64,
    pub updated_on: i64,
    pub address: Option<Address>,
    pub tags: Vec<String>,
    /// (custom field id, value) rows in storage order.
    pub custom_values: Vec<(i64, String)>,
    /// (project id, project name), filled where the view needs them.
    pub projects: Vec<(i64, String)>,
}

pub const VISIBILITY_PROJECT: i64 = 0;
pub const VISIBILITY_PUBLIC: i64 = 1;
pub const VISIBILITY_PRIVATE: i64 = 2;

impl Contact {
    /// The plugin's contact name in references (`contacts`, deal `contact`, note `source`):
    /// a company is its first name, a person "First Last".
    pub fn reference_name(&self) -> String {
        contact_name(self.is_company, &self.first_name, self.last_name.as_deref())
    }

    pub fn phones(&self) -> Vec<&str> {
        split_list(self.phone.as_deref())
    }

    pub fn emails(&self) -> Vec<&str> {
        split_list(self.email.as_deref())
    }
}

pub fn contact_name(is_company: bool, first: &str, last: Option<&str>) -> String {
    if is_company {
        first.to_string()
    } else {
        display_name(first, last.unwrap_or(""))
    }
}

/// Splits the stored comma lists of phones and e-mails for output.
pub fn split_list(raw: Option<&str>) -> Vec<&str> {
    raw.map(|s| s.split(',').map(str::trim).filter(|p| !p.is_empty()).collect()).unwrap_or_default()
}

#[derive(Clone, Debug)]
pub struct Note {
    pub id: i64,
    pub subject: Option<String>,
    pub content: String,
    pub source_type: String,
    pub source_id: i64,
    /// (id, name) of the source record, None when it is gone.
    pub source: Option<(i64, String)>,
    pub author: Option<UserRef>,
    pub type_id: Option<i64>,
    pub created_on: i64,
    pub updated_on: i64,
    pub custom_values: Vec<(i64, String)>,
}

#[derive(Clone, Debug)]
pub struct Deal {
    pub id: i64,
    pub name: String,
    pub background: Option<String>,
    pub currency: Option<String>,
    pub duration: Option<i64>,
    pub price: Option<String>,
    pub price_type: Option<i64>,
    pub project: (i64, String),
    pub author: Option<UserRef>,
    pub assigned_to: Option<UserRef>,
    pub status: Option<(i64, String)>,
    pub contact: Option<(i64, String)>,
    pub category: Option<(i64, String)>,
    pub due_date: Option<i64>,
    pub probability: Option<i64>,
    pub created_on: i64,
    pub updated_on: i64,
    pub related_contacts: Vec<(i64, String)>,
    pub custom_values: Vec<(i64, String)>,
}

#[derive(Clone, Debug)]
pub struct DealStatus {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub is_default: bool,
    pub status_type: i64,
    pub color: i64,
}

/// English country name for an ISO code (the plugin's list, `countries.tsv`).
pub fn country_name(code: &str) -> Option<&'static str> {
    static COUNTRIES: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    COUNTRIES
        .get_or_init(|| {
            include_str!("countries.tsv").lines().skip(1).filter_map(|line| line.split_once('\t')).collect()
        })
        .get(code.to_ascii_uppercase().as_str())
        .copied()
}

/// The ISO code of a country given by its code or its English name (as exchange files
/// spell it, any case); None when it names no country of the plugin's list.
pub fn country_code(code_or_name: &str) -> Option<&'static str> {
    static BY_NAME: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let s = code_or_name.trim();
    if s.len() == 2 {
        if let Some((code, _)) = include_str!("countries.tsv")
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once('\t'))
            .find(|(code, _)| code.eq_ignore_ascii_case(s))
        {
            return Some(code);
        }
    }
    BY_NAME
        .get_or_init(|| {
            include_str!("countries.tsv")
                .lines()
                .skip(1)
                .filter_map(|line| line.split_once('\t'))
                .map(|(code, name)| (name.to_lowercase(), code))
                .collect()
        })
        .get(&s.to_lowercase())
        .copied()
}

/// Every (ISO code, English name) of the plugin's country list, by name (for a form's select).
pub fn countries() -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<(&'static str, &'static str)> =
        include_str!("countries.tsv").lines().skip(1).filter_map(|line| line.split_once('\t')).collect();
    all.sort_by_key(|(_, name)| *name);
    all
}

/// Parses a tag list the way redmine_crm does: comma separated, double-quoted items may hold
/// commas, trimmed, blanks dropped, duplicates (case-insensitive) dropped, order kept.
pub fn parse_tag_list(raw: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let push = |item: &mut String, tags: &mut Vec<String>| {
        let t = item.trim().to_string();
        item.clear();
        if !t.is_empty() && !tags.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
            tags.push(t);
        }
    };
    for c in raw.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => push(&mut current, &mut tags),
            c => current.push(c),
        }
    }
    push(&mut current, &mut tags);
    tags
}

/// The XML form of a tag list: "vip, cold call", a tag holding a comma in double quotes.
pub fn join_tag_list(tags: &[String]) -> String {
    tags.iter().map(|t| if t.contains(',') { format!("\"{t}\"") } else { t.clone() }).collect::<Vec<_>>().join(", ")
}

/// The plugin's e-mail rule: every comma-separated piece has one `@` with text on both sides;
/// the empty string is fine, a trailing comma is tolerated.
pub fn emails_valid(email: &str) -> bool {
    if email.is_empty() {
        return true;
    }
    let pieces: Vec<&str> = email.split(',').collect();
    let last = pieces.len() - 1;
    pieces.iter().enumerate().all(|(i, p)| {
        if p.is_empty() {
            return i == last && i > 0;
        }
        let mut parts = p.split('@');
        matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty())
    })
}

/// The tag colour of `GET /contacts_tags`: the name's bytes as a big-endian integer mod 0xFFFFFF.
pub fn tag_color(name: &str) -> String {
    let modulus: u64 = 0xFFFFFF;
    let rem = name.bytes().fold(0u64, |acc, b| (acc * 256 + b as u64) % modulus);
    format!("#{rem:06x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_lists_parse_like_redmine_crm() {
        assert_eq!(parse_tag_list("vip, referral,  cold call,,VIP"), vec!["vip", "referral", "cold call"]);
        assert_eq!(parse_tag_list("\"a, b\", c"), vec!["a, b", "c"]);
        assert_eq!(join_tag_list(&["a, b".into(), "c".into()]), "\"a, b\", c");
    }

    #[test]
    fn email_rule() {
        assert!(emails_valid("a@b.c,d@e.f"));
        assert!(emails_valid("a@b.c,"));
        assert!(!emails_valid(",a@b.c"));
        assert!(!emails_valid("a@b.c,,d@e.f"));
        assert!(!emails_valid("nobody"));
        assert!(!emails_valid("a@b@c"));
    }

    #[test]
    fn tag_colours_match_the_plugin() {
        assert_eq!(tag_color("vip"), "#766970");
        assert_eq!(tag_color("customer"), "#e13d56");
    }

    #[test]
    fn addresses_join_with_country_names() {
        let a = Address {
            street1: Some("1 Infinite Loop".into()),
            city: Some("Cupertino".into()),
            region: Some("CA".into()),
            postcode: Some("95014".into()),
            country_code: Some("US".into()),
            ..Default::default()
        };
        assert_eq!(a.joined(), "1 Infinite Loop, Cupertino, 95014, CA, United States");
    }
}

/// A deal price as the plugin keeps it (decimal(20,2)) and Rails prints it: thousands spaces
/// dropped, a lone decimal comma read as a point, rounded to cents, then written with at
/// least one decimal (`12000` → `12000.0`, `3000.50` → `3000.5`). None when not a number.
pub fn normalize_decimal(raw: &str) -> Option<String> {
    let mut s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if s.contains(',') && !s.contains('.') {
        s = s.replace(',', ".");
    }
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    let valid = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !valid(int_part) || !valid(frac_part) || int_part.len() > 18 {
        return None;
    }
    let int: i128 = if int_part.is_empty() { 0 } else { int_part.parse().ok()? };
    let mut frac = frac_part.chars().chain(std::iter::repeat('0')).take(3);
    let tenths = frac.next()?.to_digit(10)? as i128;
    let hundredths = frac.next()?.to_digit(10)? as i128;
    let round_up = frac.next()?.to_digit(10)? >= 5;
    let cents = int * 100 + tenths * 10 + hundredths + round_up as i128;
    let whole = cents / 100;
    let rest = cents % 100;
    let fraction = if rest % 10 == 0 { format!("{}", rest / 10) } else { format!("{rest:02}") };
    let sign = if negative && cents != 0 { "-" } else { "" };
    Some(format!("{sign}{whole}.{fraction}"))
}

#[cfg(test)]
mod decimal_tests {
    use super::normalize_decimal;

    #[test]
    fn prices_print_like_bigdecimal() {
        assert_eq!(normalize_decimal("12000").as_deref(), Some("12000.0"));
        assert_eq!(normalize_decimal("3000.5").as_deref(), Some("3000.5"));
        assert_eq!(normalize_decimal("3000.50").as_deref(), Some("3000.5"));
        assert_eq!(normalize_decimal("1 000,55").as_deref(), Some("1000.55"));
        assert_eq!(normalize_decimal("0.005").as_deref(), Some("0.01"));
        assert_eq!(normalize_decimal("abc"), None);
        assert_eq!(normalize_decimal(""), None);
    }
}
