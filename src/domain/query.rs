//! A contact list request in typed form (API.md §4): who may see what, the filters, the sort,
//! and the parsing of Redmine's short filter form (`tags=vip|lead`, `created_on=>=2024-01-01`,
//! `assigned_to_id=me`). No SQL: the store turns these into statements.

use serde_json::{Map, Value};

use super::attributes::{as_bool, as_text, Problems};
use super::principal::Principal;
use super::time::{day_start_ms, now_ms};
use crate::error::Result;

/// Who may see what (API.md §5.3), reduced to project id lists.
#[derive(Clone, Debug)]
pub enum Visibility {
    /// Every contact (an admin when all projects have the contacts module).
    Everything,
    Restricted {
        /// -1 for anonymous, so that it never matches an author or assignee.
        user_id: i64,
        /// Public contacts are visible (the user has view_contacts somewhere).
        public_ok: bool,
        /// Projects with view_contacts: their non-private contacts (and own private ones).
        view: Vec<i64>,
        /// Projects with view_private_contacts (and view_contacts): all their contacts.
        private: Vec<i64>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum IdFilter {
    In(Vec<i64>),
    NotIn(Vec<i64>),
    Any,
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TagFilter {
    /// Tagged with every one of these.
    All(Vec<String>),
    /// Not tagged with all of these.
    NotAll(Vec<String>),
    Any,
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TextOp {
    Is(Vec<String>),
    IsNot(Vec<String>),
    Contains(String),
    NotContains(String),
    StartsWith(String),
    EndsWith(String),
    Any,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TextColumn {
    FirstName,
    LastName,
    MiddleName,
    JobTitle,
    Company,
    Phone,
    Email,
    Website,
    SkypeName,
    Street1,
    Street2,
    City,
    Region,
    Postcode,
    FullAddress,
    Country,
}

impl TextColumn {
    pub fn from_filter_name(name: &str) -> Option<TextColumn> {
        use TextColumn::*;
        Some(match name {
            "first_name" => FirstName,
            "last_name" => LastName,
            "middle_name" => MiddleName,
            "job_title" => JobTitle,
            "company" => Company,
            "phone" => Phone,
            "email" => Email,
            "website" => Website,
            "skype_name" => SkypeName,
            "street1" => Street1,
            "street2" => Street2,
            "city" => City,
            "region" => Region,
            "postcode" => Postcode,
            "full_address" => FullAddress,
            "country" => Country,
            _ => return None,
        })
    }
}

/// Millisecond bounds of a date filter (inclusive start, exclusive end).
#[derive(Clone, Debug, PartialEq)]
pub enum DateFilter {
    Range(Option<i64>, Option<i64>),
    Any,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SortKey {
    Id,
    Name,
    FirstName,
    LastName,
    MiddleName,
    JobTitle,
    Company,
    Phones,
    Emails,
    Website,
    Street1,
    Street2,
    City,
    Region,
    Postcode,
    Country,
    Address,
    CreatedOn,
    UpdatedOn,
    AssignedTo,
    Author,
}

impl SortKey {
    pub fn from_name(name: &str) -> Option<SortKey> {
        use SortKey::*;
        Some(match name {
            "id" => Id,
            "name" => Name,
            "first_name" => FirstName,
            "last_name" => LastName,
            "middle_name" => MiddleName,
            "job_title" => JobTitle,
            "company" => Company,
            "phones" | "phone" => Phones,
            "emails" | "email" => Emails,
            "website" => Website,
            "street1" => Street1,
            "street2" => Street2,
            "city" => City,
            "region" => Region,
            "postcode" => Postcode,
            "country" => Country,
            "address" | "full_address" => Address,
            "created_on" => CreatedOn,
            "updated_on" => UpdatedOn,
            "assigned_to" => AssignedTo,
            "author" => Author,
            _ => return None,
        })
    }
}

/// A contact list request in typed form.
#[derive(Clone, Debug)]
pub struct ContactQuery {
    pub visibility: Visibility,
    /// Contacts of these projects (a project and its subprojects).
    pub projects: Option<Vec<i64>>,
    pub ids: Option<IdFilter>,
    pub search_words: Vec<String>,
    pub tags: Option<TagFilter>,
    pub assigned_to: Option<IdFilter>,
    pub author: Option<IdFilter>,
    pub is_company: Option<bool>,
    pub text: Vec<(TextColumn, TextOp)>,
    pub created_on: Option<DateFilter>,
    pub updated_on: Option<DateFilter>,
    /// Sort keys with "descending"; empty means the default (last name, first name).
    pub sort: Vec<(SortKey, bool)>,
}

impl ContactQuery {
    pub fn new(visibility: Visibility) -> ContactQuery {
        ContactQuery {
            visibility,
            projects: None,
            ids: None,
            search_words: Vec::new(),
            tags: None,
            assigned_to: None,
            author: None,
            is_company: None,
            text: Vec::new(),
            created_on: None,
            updated_on: None,
            sort: Vec::new(),
        }
    }
}

/// The words of a search string, lower-cased.
pub fn words(search: &str) -> Vec<String> {
    search.split(char::is_whitespace).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Splits Redmine's short filter form `<op><values>` into operator and value.
fn split_operator(raw: &str) -> (&str, &str) {
    for op in ["!*", "!~", "><", ">=", "<=", "!", "*", "~", "^", "$", "="] {
        if let Some(rest) = raw.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("=", raw)
}

fn values(rest: &str) -> Vec<String> {
    rest.split('|').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
}

fn id_filter(raw: &str, label: &str, p: &Principal, problems: &mut Problems) -> Option<IdFilter> {
    let (op, rest) = split_operator(raw.trim());
    let mut ids = Vec::new();
    for v in rest.split(['|', ',']).map(str::trim).filter(|v| !v.is_empty()) {
        match v {
            "me" => ids.push(if p.is_anonymous() { -1 } else { p.user_id() }),
            v => match v.parse() {
                Ok(id) => ids.push(id),
                Err(_) => {
                    problems.add(label, "is invalid");
                    return None;
                }
            },
        }
    }
    match op {
        "*" => Some(IdFilter::Any),
        "!*" => Some(IdFilter::None),
        "!" => Some(IdFilter::NotIn(ids)),
        "=" if !ids.is_empty() => Some(IdFilter::In(ids)),
        _ => {
            problems.add(label, "is invalid");
            None
        }
    }
}

fn text_op(raw: &str) -> TextOp {
    let (op, rest) = split_operator(raw);
    let rest = rest.to_string();
    match op {
        "!*" => TextOp::None,
        "*" => TextOp::Any,
        "~" => TextOp::Contains(rest),
        "!~" => TextOp::NotContains(rest),
        "^" => TextOp::StartsWith(rest),
        "$" => TextOp::EndsWith(rest),
        "!" => TextOp::IsNot(values(&rest)),
        _ => TextOp::Is(values(&rest)),
    }
}

fn date_filter(raw: &str, label: &str, problems: &mut Problems) -> Option<DateFilter> {
    const DAY: i64 = 86_400_000;
    let (op, rest) = split_operator(raw.trim());
    let day = |s: &str| day_start_ms(s);
    let today = now_ms() - now_ms().rem_euclid(DAY);
    let filter = match (op, rest) {
        ("*", _) => Some(DateFilter::Any),
        ("!*", _) => Some(DateFilter::None),
        (">=", d) => day(d).map(|f| DateFilter::Range(Some(f), None)),
        ("<=", d) => day(d).map(|t| DateFilter::Range(None, Some(t + DAY))),
        ("><", d) => {
            let parts = values(d);
            match (parts.first().and_then(|a| day(a)), parts.get(1).and_then(|b| day(b))) {
                (Some(a), Some(b)) => Some(DateFilter::Range(Some(a), Some(b + DAY))),
                _ => None,
            }
        }
        ("=", "t") => Some(DateFilter::Range(Some(today), Some(today + DAY))),
        ("=", "ld") => Some(DateFilter::Range(Some(today - DAY), Some(today))),
        ("=", d) => day(d).map(|f| DateFilter::Range(Some(f), Some(f + DAY))),
        _ => None,
    };
    if filter.is_none() {
        problems.add(label, "is invalid");
    }
    filter
}

fn tag_filter(raw: &str, problems: &mut Problems) -> Option<TagFilter> {
    let (op, rest) = split_operator(raw.trim());
    let names = values(rest);
    match op {
        "*" => Some(TagFilter::Any),
        "!*" => Some(TagFilter::None),
        _ if names.is_empty() => {
            problems.add("Tags", "cannot be blank");
            None
        }
        "!" => Some(TagFilter::NotAll(names)),
        _ => Some(TagFilter::All(names)),
    }
}

impl ContactQuery {
    /// Adds the filters and sort of a list request (short form, API.md §4); every malformed
    /// filter is reported in one 422.
    pub fn apply_params(&mut self, params: &Map<String, Value>, p: &Principal) -> Result<()> {
        let q = self;
        let mut problems = Problems::default();
        let text = |key: &str| params.get(key).and_then(as_text);
        if let Some(s) = text("search") {
            q.search_words = words(&s);
        }
        if let Some(t) = text("tags").filter(|t| !t.is_empty()) {
            q.tags = tag_filter(&t, &mut problems);
        }
        if let Some(v) = text("assigned_to_id").filter(|v| !v.is_empty()) {
            q.assigned_to = id_filter(&v, "Assignee", p, &mut problems);
        }
        if let Some(v) = text("author_id").filter(|v| !v.is_empty()) {
            q.author = id_filter(&v, "Author", p, &mut problems);
        }
        if let Some(v) = text("ids").filter(|v| !v.is_empty()) {
            q.ids = id_filter(&v, "Contact", p, &mut problems);
        }
        if let Some(v) = text("is_company").filter(|v| !v.is_empty()) {
            let (_, rest) = split_operator(&v);
            match as_bool(&Value::String(rest.to_string())) {
                Some(b) if !rest.is_empty() => q.is_company = Some(b),
                _ => problems.add("Company", "is invalid"),
            }
        }
        for (key, value) in params {
            if let (Some(column), Some(raw)) = (TextColumn::from_filter_name(key), as_text(value)) {
                if !raw.is_empty() {
                    q.text.push((column, text_op(&raw)));
                }
            }
        }
        if let Some(v) = text("created_on").filter(|v| !v.is_empty()) {
            q.created_on = date_filter(&v, "Created", &mut problems);
        }
        if let Some(v) = text("updated_on").filter(|v| !v.is_empty()) {
            q.updated_on = date_filter(&v, "Updated", &mut problems);
        }
        if let Some(sort) = text("sort") {
            q.sort = sort
                .split(',')
                .filter_map(|part| {
                    let (name, dir) = part.trim().split_once(':').unwrap_or((part.trim(), "asc"));
                    SortKey::from_name(name).map(|k| (k, dir.eq_ignore_ascii_case("desc")))
                })
                .collect();
        }
        problems.into_result()
    }
}
