//! A contact list request in typed form (API.md §4): who may see what, the filters, the sort.
//! The filters of a request (short or long form) are read by `filters.rs`; this file names the
//! contact filters and their types (§4.4) and turns each into its typed condition. No SQL: the
//! store turns these into statements.

use serde_json::{Map, Value};

use super::attributes::{as_text, Problems};
use super::filters::{self, Filter, FilterType, NumberRange};
use super::principal::Principal;
use super::time::ymd;
use super::CustomField;
use crate::error::Result;

pub use super::filters::DateRange;

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
    /// A single-value custom field, compared as numbers when `numeric` (int and float).
    Custom {
        field_id: i64,
        numeric: bool,
    },
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
    pub created_on: Option<DateRange>,
    pub updated_on: Option<DateRange>,
    /// The date of the contact's newest note.
    pub last_note: Option<DateRange>,
    /// Contacts that are (true) or are not (false) the primary contact of a deal.
    pub has_deals: Option<bool>,
    pub custom: Vec<CustomFilter>,
    /// A filter no contact passes (`has_open_issues=*`: this product keeps no issues).
    pub matches_nothing: bool,
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
            last_note: None,
            has_deals: None,
            custom: Vec::new(),
            matches_nothing: false,
            sort: Vec::new(),
        }
    }
}

/// A filter on one custom field's values.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomFilter {
    pub field_id: i64,
    pub condition: CustomCondition,
}

/// What a custom field's values are tested for. A record matches a positive test when one of
/// its values passes it; `IsNot`, `NotContains` and `None` hold when none of them matches.
#[derive(Clone, Debug, PartialEq)]
pub enum CustomCondition {
    /// string, text, link, list, bool (and "any"/"none" of every format).
    Text(TextOp),
    /// int and float: the stored text as a number.
    Number(NumberRange),
    /// date: `YYYY-MM-DD` bounds, from inclusive, to exclusive.
    Dates(Option<String>, Option<String>),
}

/// The contact filters (API.md §4.4) and their types; `cf_<id>` for the custom fields used as
/// filters, typed by format. None for anything else.
pub fn filter_type(name: &str, fields: &[CustomField]) -> Option<FilterType> {
    use FilterType::*;
    Some(match name {
        "ids" | "is_company" | "country" | "has_deals" => List,
        "assigned_to_id" | "author_id" | "tags" | "has_open_issues" => ListOptional,
        "created_on" => Date,
        "updated_on" | "last_note" => DatePast,
        "phone" | "email" | "full_address" | "street1" | "street2" | "city" | "region" | "postcode" => Text,
        _ if TextColumn::from_filter_name(name).is_some() => String,
        _ => return filter_field(name, fields).map(custom_filter_type),
    })
}

/// The custom field `cf_<id>` names, if it is one used as a filter.
fn filter_field<'f>(name: &str, fields: &'f [CustomField]) -> Option<&'f CustomField> {
    let id: i64 = name.strip_prefix("cf_")?.parse().ok()?;
    fields.iter().find(|f| f.id == id && f.is_filter)
}

/// Redmine's filter type of a custom field format.
fn custom_filter_type(field: &CustomField) -> FilterType {
    match field.field_format.as_str() {
        "text" => FilterType::Text,
        "int" => FilterType::Integer,
        "float" => FilterType::Float,
        "date" => FilterType::Date,
        "list" | "bool" => FilterType::ListOptional,
        _ => FilterType::String,
    }
}

/// The label of a filter in messages (`Created is invalid`).
fn label(name: &str, fields: &[CustomField]) -> String {
    let known = match name {
        "ids" => "Contact",
        "is_company" => "Is company",
        "first_name" => "First Name",
        "last_name" => "Last Name",
        "middle_name" => "Middle Name",
        "job_title" => "Job title",
        "company" => "Company",
        "phone" => "Phone",
        "email" => "Email",
        "website" => "Website",
        "skype_name" => "Skype",
        "full_address" => "Address",
        "street1" => "Street",
        "street2" => "Street 2",
        "city" => "City",
        "region" => "Region",
        "postcode" => "Postcode",
        "country" => "Country",
        "assigned_to_id" => "Assignee",
        "author_id" => "Author",
        "tags" => "Tags",
        "created_on" => "Created",
        "updated_on" => "Updated",
        "last_note" => "Last note",
        "has_deals" => "Has deals",
        "has_open_issues" => "Has open issues",
        _ => return filter_field(name, fields).map_or_else(|| name.to_string(), |f| f.name.clone()),
    };
    known.to_string()
}

/// The words of a search string, lower-cased.
pub fn words(search: &str) -> Vec<String> {
    search.split(char::is_whitespace).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Ids (or `me`, where `me_allowed`), given as values or as `1,2`.
fn id_filter(
    f: &Filter,
    values: &[String],
    me_allowed: bool,
    p: &Principal,
    label: &str,
    pr: &mut Problems,
) -> Option<IdFilter> {
    let mut ids = Vec::new();
    for v in values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()) {
        match v.parse() {
            Ok(id) => ids.push(id),
            Err(_) if v == "me" && me_allowed => ids.push(if p.is_anonymous() { -1 } else { p.user_id() }),
            Err(_) => {
                pr.add(label, "is invalid");
                return None;
            }
        }
    }
    Some(match f.op.as_str() {
        "*" => IdFilter::Any,
        "!*" => IdFilter::None,
        "!" => IdFilter::NotIn(ids),
        _ => IdFilter::In(ids),
    })
}

/// A text operator with its values (`~` and the like test the first one).
fn text_op(op: &str, values: Vec<String>) -> TextOp {
    let first = || values.first().cloned().unwrap_or_default();
    match op {
        "~" => TextOp::Contains(first()),
        "!~" => TextOp::NotContains(first()),
        "^" => TextOp::StartsWith(first()),
        "$" => TextOp::EndsWith(first()),
        "*" => TextOp::Any,
        "!*" => TextOp::None,
        "!" => TextOp::IsNot(values),
        _ => TextOp::Is(values),
    }
}

/// A boolean value as the filters of flags take it (`1`/`0`, `true`/`false`, `t`/`f`).
fn flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" => Some(true),
        "0" | "false" | "f" | "no" => Some(false),
        _ => None,
    }
}

/// `YYYY-MM-DD` of a millisecond timestamp (a custom date field's bound).
fn date_text(ms: i64) -> String {
    let (y, m, d) = ymd(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The condition on a custom field's values.
fn custom_condition(
    field: &CustomField,
    f: &Filter,
    values: Vec<String>,
    label: &str,
    pr: &mut Problems,
) -> Option<CustomCondition> {
    let kind = custom_filter_type(field);
    Some(match kind {
        FilterType::Integer | FilterType::Float => match f.number_range(kind, label, pr)? {
            NumberRange::Any => CustomCondition::Text(TextOp::Any),
            NumberRange::None => CustomCondition::Text(TextOp::None),
            range => CustomCondition::Number(range),
        },
        FilterType::Date => match f.date_range(label, pr)? {
            DateRange::Any => CustomCondition::Text(TextOp::Any),
            DateRange::None => CustomCondition::Text(TextOp::None),
            DateRange::Between(from, to) => CustomCondition::Dates(from.map(date_text), to.map(date_text)),
        },
        _ if field.field_format == "bool" => {
            let mut flags = Vec::new();
            for v in &values {
                match flag(v) {
                    Some(b) => flags.push(if b { "1" } else { "0" }.to_string()),
                    None => {
                        pr.add(label, "is invalid");
                        return None;
                    }
                }
            }
            CustomCondition::Text(text_op(&f.op, flags))
        }
        _ => CustomCondition::Text(text_op(&f.op, values)),
    })
}

impl ContactQuery {
    /// Adds the filters (short or long form, API.md §1.7 and §4.4), the search and the sort of
    /// a list request; `fields` are the contact custom fields. Every unknown long-form filter,
    /// operator the filter's type lacks and malformed value is reported in one 422.
    pub fn apply_params(&mut self, params: &Map<String, Value>, p: &Principal, fields: &[CustomField]) -> Result<()> {
        let mut problems = Problems::default();
        if let Some(s) = params.get("search").and_then(as_text) {
            self.search_words = words(&s);
        }
        for f in filters::read(params, |name| filter_type(name, fields), &mut problems) {
            self.apply_filter(&f, p, fields, &mut problems);
        }
        if let Some(sort) = params.get("sort").and_then(as_text) {
            self.sort = sort_keys(&sort, fields);
        }
        problems.into_result()
    }

    fn apply_filter(&mut self, f: &Filter, p: &Principal, fields: &[CustomField], pr: &mut Problems) {
        let label = label(&f.field, fields);
        let Some(values) = f.required_values(&label, pr) else { return };
        let negated = f.op == "!";
        match f.field.as_str() {
            "ids" => self.ids = id_filter(f, &values, false, p, &label, pr),
            "assigned_to_id" => self.assigned_to = id_filter(f, &values, true, p, &label, pr),
            "author_id" => self.author = id_filter(f, &values, true, p, &label, pr),
            "tags" => {
                self.tags = Some(match f.op.as_str() {
                    "*" => TagFilter::Any,
                    "!*" => TagFilter::None,
                    "!" => TagFilter::NotAll(values),
                    _ => TagFilter::All(values),
                })
            }
            "is_company" => {
                let mut allowed = [false, false];
                for v in &values {
                    match flag(v) {
                        Some(b) => allowed[b as usize] = true,
                        None => return pr.add(&label, "is invalid"),
                    }
                }
                match (allowed[0] != negated, allowed[1] != negated) {
                    (true, true) => {}
                    (false, false) => self.matches_nothing = true,
                    (_, company) => self.is_company = Some(company),
                }
            }
            "has_deals" => self.has_deals = Some(!negated),
            "has_open_issues" => self.matches_nothing |= matches!(f.op.as_str(), "=" | "*"),
            "created_on" => self.created_on = f.date_range(&label, pr),
            "updated_on" => self.updated_on = f.date_range(&label, pr),
            "last_note" => self.last_note = f.date_range(&label, pr),
            "country" => {
                let codes = values.iter().map(|v| v.to_ascii_uppercase()).collect();
                self.text.push((TextColumn::Country, text_op(&f.op, codes)));
            }
            name => {
                if let Some(column) = TextColumn::from_filter_name(name) {
                    self.text.push((column, text_op(&f.op, values)));
                } else if let Some(field) = filter_field(name, fields) {
                    if let Some(condition) = custom_condition(field, f, values, &label, pr) {
                        self.custom.push(CustomFilter { field_id: field.id, condition });
                    }
                }
            }
        }
    }
}

/// `sort=col[:desc],col2`: the sortable columns of API.md §4.5, single-value custom fields as
/// `cf_<id>`; unknown columns are left out.
fn sort_keys(spec: &str, fields: &[CustomField]) -> Vec<(SortKey, bool)> {
    spec.split(',')
        .filter_map(|part| {
            let (name, dir) = part.trim().split_once(':').unwrap_or((part.trim(), "asc"));
            let key = SortKey::from_name(name).or_else(|| {
                let id: i64 = name.strip_prefix("cf_")?.parse().ok()?;
                let field = fields.iter().find(|f| f.id == id && !f.multiple)?;
                Some(SortKey::Custom { field_id: id, numeric: matches!(field.field_format.as_str(), "int" | "float") })
            })?;
            Some((key, dir.eq_ignore_ascii_case("desc")))
        })
        .collect()
}
