//! A deal list request in typed form (API.md §4.6): who sees which deals, the filters of the
//! request read through `filters.rs` (short and long form) into typed conditions, the search
//! words and the sort. No SQL: `store/deals/list.rs` turns a [`DealQuery`] into statements.

use serde_json::{Map, Value};

use super::attributes::{as_text, Problems};
use super::filters::{self, DateRange, Filter, FilterType};
use super::principal::Principal;
pub use super::query::{IdFilter, TextOp};
use super::CustomField;
use crate::error::Result;

/// Which deals a principal may see: those of the projects where it has view_deals.
#[derive(Clone, Debug, PartialEq)]
pub enum DealVisibility {
    /// view_deals in every project.
    Everything,
    Projects(Vec<i64>),
}

/// The status filter; `Open` (status type 0) is the short form's default.
#[derive(Clone, Debug, PartialEq)]
pub enum StatusFilter {
    Open,
    /// Won or lost (status types 1 and 2).
    Closed,
    Any,
    In(Vec<i64>),
    NotIn(Vec<i64>),
}

/// What a filter tests: a column of the deal, of its primary contact's address, or a deal
/// custom field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Column {
    Id,
    Project,
    Author,
    AssignedTo,
    Contact,
    Category,
    Name,
    Background,
    Currency,
    Price,
    Probability,
    DueDate,
    CreatedOn,
    UpdatedOn,
    ContactCountry,
    ContactCity,
    Custom(i64),
}

/// Numeric operators: `=` (any of), `>=`, `<=`, `><` (both bounds included).
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    In(Vec<f64>),
    AtLeast(f64),
    AtMost(f64),
    Between(f64, f64),
    Any,
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// Ids (`=`, `!`, `*` any, `!*` none).
    Ids(IdFilter),
    /// Text operators; `Is`/`IsNot` also serve list filters of text values (currency, country).
    Text(TextOp),
    Number(Number),
    Date(DateRange),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub column: Column,
    pub test: Test,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SortKey {
    Id,
    Name,
    Price,
    Currency,
    Probability,
    DueDate,
    Status,
    CreatedOn,
    UpdatedOn,
    AssignedTo,
    Author,
    Contact,
    Category,
    Project,
}

impl SortKey {
    pub fn from_name(name: &str) -> Option<SortKey> {
        use SortKey::*;
        Some(match name {
            "id" => Id,
            "name" => Name,
            "price" => Price,
            "currency" => Currency,
            "probability" => Probability,
            "due_date" => DueDate,
            "status" | "status_id" => Status,
            "created_on" => CreatedOn,
            "updated_on" => UpdatedOn,
            "assigned_to" | "assigned_to_id" => AssignedTo,
            "author" | "author_id" => Author,
            "contact" | "contact_id" => Contact,
            "category" | "category_id" => Category,
            "project" | "project_id" => Project,
            _ => return None,
        })
    }
}

/// A deal list request in typed form.
#[derive(Clone, Debug)]
pub struct DealQuery {
    pub visibility: DealVisibility,
    /// Deals of these projects (a project and its subprojects).
    pub projects: Option<Vec<i64>>,
    pub status: StatusFilter,
    pub conditions: Vec<Condition>,
    /// Lower-cased words, each a substring of the name or the background.
    pub search_words: Vec<String>,
    /// Sort keys with "descending"; empty means the default, newest first.
    pub sort: Vec<(SortKey, bool)>,
}

impl DealQuery {
    pub fn new(visibility: DealVisibility) -> DealQuery {
        DealQuery {
            visibility,
            projects: None,
            status: StatusFilter::Any,
            conditions: Vec::new(),
            search_words: Vec::new(),
            sort: Vec::new(),
        }
    }

    /// The query of a list request: `projects` is the scope of a project route or
    /// `project_id` (then `project_id` is no filter of the short form), `fields` the deal custom
    /// fields. Every malformed filter is reported in one 422, with Redmine's messages.
    pub fn from_params(
        params: &Map<String, Value>,
        visibility: DealVisibility,
        projects: Option<Vec<i64>>,
        p: &Principal,
        fields: &[CustomField],
    ) -> Result<DealQuery> {
        let long_form = params.contains_key("f") || params.contains_key("fields");
        let scoped = projects.is_some();
        let kind_of = |name: &str| match name {
            "project_id" if scoped && !long_form => None,
            name => filter_type(name, fields),
        };
        let mut problems = Problems::default();
        let read = filters::read(params, kind_of, &mut problems);
        let mut q = DealQuery::new(visibility);
        q.projects = projects;
        // As Redmine's DealQuery: open deals unless the request names its filters (long form).
        if !long_form {
            q.status = StatusFilter::Open;
        }
        for f in &read {
            let label = label(&f.field, fields);
            if f.field == "status_id" {
                if let Some(status) = status_filter(f, &label, &mut problems) {
                    q.status = status;
                }
                continue;
            }
            let (Some(column), Some(kind)) = (column(&f.field), filter_type(&f.field, fields)) else { continue };
            if let Some(test) = test(f, kind, column, &label, p, &mut problems) {
                q.conditions.push(Condition { column, test });
            }
        }
        if let Some(search) = params.get("search").and_then(as_text) {
            q.search_words = words(&search);
        }
        if let Some(sort) = params.get("sort").and_then(as_text) {
            q.sort = sort
                .split(',')
                .filter_map(|part| {
                    let (name, dir) = part.trim().split_once(':').unwrap_or((part.trim(), "asc"));
                    SortKey::from_name(name.trim()).map(|k| (k, dir.trim().eq_ignore_ascii_case("desc")))
                })
                .collect();
        }
        problems.into_result()?;
        Ok(q)
    }
}

/// The words of a search string, lower-cased.
pub fn words(search: &str) -> Vec<String> {
    search.split_whitespace().map(str::to_lowercase).collect()
}

/// The filters of a deal list and their types (Redmine's DealQuery); `cf_N` for the deal custom
/// fields by format.
/// The deal list's filters (API.md §4.6) and their types; None for a name that is no filter.
pub fn filter_type(name: &str, fields: &[CustomField]) -> Option<FilterType> {
    use FilterType::*;
    Some(match name {
        "status_id" => ListStatus,
        "ids" | "author_id" | "project_id" | "currency" | "contact_country" => List,
        "assigned_to_id" | "contact_id" | "category_id" => ListOptional,
        "name" | "contact_city" => String,
        "background" => Text,
        "price" => Float,
        "probability" => Integer,
        "due_date" => Date,
        "created_on" | "updated_on" => DatePast,
        _ => {
            let field = custom_field(name, fields)?;
            match field.field_format.as_str() {
                "text" => Text,
                "int" => Integer,
                "float" => Float,
                "date" => Date,
                "list" | "bool" => List,
                _ => String,
            }
        }
    })
}

fn custom_field<'f>(name: &str, fields: &'f [CustomField]) -> Option<&'f CustomField> {
    let id: i64 = name.strip_prefix("cf_")?.parse().ok()?;
    fields.iter().find(|f| f.id == id)
}

fn column(name: &str) -> Option<Column> {
    use Column::*;
    Some(match name {
        "ids" => Id,
        "project_id" => Project,
        "author_id" => Author,
        "assigned_to_id" => AssignedTo,
        "contact_id" => Contact,
        "category_id" => Category,
        "name" => Name,
        "background" => Background,
        "currency" => Currency,
        "price" => Price,
        "probability" => Probability,
        "due_date" => DueDate,
        "created_on" => CreatedOn,
        "updated_on" => UpdatedOn,
        "contact_country" => ContactCountry,
        "contact_city" => ContactCity,
        other => Custom(other.strip_prefix("cf_")?.parse().ok()?),
    })
}

/// The label of a filter in messages (`Sum is invalid`).
fn label(name: &str, fields: &[CustomField]) -> String {
    let builtin = match name {
        "status_id" => "Status",
        "ids" => "Deal",
        "project_id" => "Project",
        "author_id" => "Author",
        "assigned_to_id" => "Assignee",
        "contact_id" => "Contact",
        "category_id" => "Category",
        "name" => "Name",
        "background" => "Background",
        "currency" => "Currency",
        "price" => "Sum",
        "probability" => "Probability",
        "due_date" => "Due date",
        "created_on" => "Created",
        "updated_on" => "Updated",
        "contact_country" => "Contact country",
        "contact_city" => "Contact city",
        other => return custom_field(other, fields).map_or_else(|| other.to_string(), |f| f.name.clone()),
    };
    builtin.to_string()
}

fn status_filter(f: &Filter, label: &str, problems: &mut Problems) -> Option<StatusFilter> {
    match f.op.as_str() {
        "o" => Some(StatusFilter::Open),
        "c" => Some(StatusFilter::Closed),
        "*" => Some(StatusFilter::Any),
        "=" => id_values(f, label, None, problems).map(StatusFilter::In),
        _ => id_values(f, label, None, problems).map(StatusFilter::NotIn),
    }
}

/// The ids of a list filter (`1|2`, `1,2`; `me` for user filters when `me` is given); blank
/// or non-numeric values are reported.
fn id_values(f: &Filter, label: &str, me: Option<i64>, problems: &mut Problems) -> Option<Vec<i64>> {
    let values = f.required_values(label, problems)?;
    let mut ids = Vec::new();
    for v in values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()) {
        match (v, me) {
            ("me", Some(me)) => ids.push(me),
            _ => match v.parse() {
                Ok(id) => ids.push(id),
                Err(_) => {
                    problems.add(label, "is invalid");
                    return None;
                }
            },
        }
    }
    Some(ids)
}

/// One filter as a typed test, or None with its problem reported.
fn test(
    f: &Filter,
    kind: FilterType,
    column: Column,
    label: &str,
    p: &Principal,
    problems: &mut Problems,
) -> Option<Test> {
    use FilterType::*;
    let text_valued = matches!(column, Column::Currency | Column::ContactCountry | Column::Custom(_));
    match kind {
        List | ListOptional if !text_valued => {
            let me = matches!(column, Column::Author | Column::AssignedTo).then(|| {
                if p.is_anonymous() {
                    -1
                } else {
                    p.user_id()
                }
            });
            Some(Test::Ids(match f.op.as_str() {
                "*" => IdFilter::Any,
                "!*" => IdFilter::None,
                "=" => IdFilter::In(id_values(f, label, me, problems)?),
                _ => IdFilter::NotIn(id_values(f, label, me, problems)?),
            }))
        }
        List | ListOptional | String | Text => text_test(f, column, label, problems).map(Test::Text),
        Integer | Float => number_test(f, kind, label, problems).map(Test::Number),
        Date | DatePast => f.date_range(label, problems).map(Test::Date),
        ListStatus => None,
    }
}

fn text_test(f: &Filter, column: Column, label: &str, problems: &mut Problems) -> Option<TextOp> {
    let mut values = f.required_values(label, problems)?;
    if column == Column::ContactCountry {
        values.iter_mut().for_each(|v| *v = v.to_ascii_uppercase());
    }
    let first = || values.first().cloned().unwrap_or_default();
    Some(match f.op.as_str() {
        "*" => TextOp::Any,
        "!*" => TextOp::None,
        "~" => TextOp::Contains(first()),
        "!~" => TextOp::NotContains(first()),
        "^" => TextOp::StartsWith(first()),
        "$" => TextOp::EndsWith(first()),
        "!" => TextOp::IsNot(values),
        _ => TextOp::Is(values),
    })
}

/// A numeric filter; values must be integers (`Integer`) or decimals (`Float`), as Redmine's
/// query validation requires, else `<label> is invalid`.
fn number_test(f: &Filter, kind: FilterType, label: &str, problems: &mut Problems) -> Option<Number> {
    let values = f.required_values(label, problems)?;
    let parse = |v: &str| -> Option<f64> {
        let v = v.trim();
        let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let integral = !int.is_empty() && int.chars().all(|c| c.is_ascii_digit());
        let ok =
            integral && frac.chars().all(|c| c.is_ascii_digit()) && (kind == FilterType::Float || !v.contains('.'));
        ok.then(|| v.parse().ok()).flatten()
    };
    let mut numbers = Vec::new();
    for v in values.iter().flat_map(|v| v.split(',')) {
        match parse(v) {
            Some(n) => numbers.push(n),
            None => {
                problems.add(label, "is invalid");
                return None;
            }
        }
    }
    let first = numbers.first().copied();
    let found = match f.op.as_str() {
        "*" => Some(Number::Any),
        "!*" => Some(Number::None),
        ">=" => first.map(Number::AtLeast),
        "<=" => first.map(Number::AtMost),
        "><" => match numbers[..] {
            [a, b, ..] => Some(Number::Between(a, b)),
            _ => None,
        },
        _ => (!numbers.is_empty()).then_some(Number::In(numbers)),
    };
    if found.is_none() {
        problems.add(label, "is invalid");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn admin() -> Principal {
        let mut p = Principal::anonymous();
        p.user = Some(crate::domain::User {
            id: 7,
            login: "a".into(),
            firstname: "A".into(),
            lastname: "B".into(),
            mail: None,
            admin: true,
            status: 1,
            api_key: None,
            created_on: 0,
            updated_on: 0,
            last_login_on: None,
        });
        p
    }

    fn field(id: i64, format: &str) -> CustomField {
        CustomField {
            id,
            name: format!("F{id}"),
            customized_type: "deal".into(),
            field_format: format.into(),
            possible_values: vec![],
            regexp: None,
            min_length: None,
            max_length: None,
            is_required: false,
            is_for_all: true,
            is_filter: true,
            searchable: false,
            multiple: false,
            default_value: None,
            visible: true,
        }
    }

    fn query(params: Value) -> Result<DealQuery> {
        let fields = [field(3, "int"), field(4, "list"), field(5, "date")];
        DealQuery::from_params(params.as_object().unwrap(), DealVisibility::Everything, None, &admin(), &fields)
    }

    fn problems(params: Value) -> Vec<String> {
        match query(params) {
            Err(crate::error::Error::Validation(m)) => m,
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn the_short_form_defaults_to_open_deals_and_reads_each_filter() {
        let q = query(json!({"assigned_to_id": "me", "price": ">=100.5", "cf_3": "><1|5", "currency": "USD|EUR",
                             "search": "Big  Deal", "sort": "price:desc,nope,name"}))
        .unwrap();
        assert_eq!(q.status, StatusFilter::Open);
        let test_of = |c: Column| q.conditions.iter().find(|x| x.column == c).map(|x| x.test.clone());
        assert_eq!(test_of(Column::AssignedTo), Some(Test::Ids(IdFilter::In(vec![7]))));
        assert_eq!(test_of(Column::Price), Some(Test::Number(Number::AtLeast(100.5))));
        assert_eq!(test_of(Column::Custom(3)), Some(Test::Number(Number::Between(1.0, 5.0))));
        assert_eq!(test_of(Column::Currency), Some(Test::Text(TextOp::Is(vec!["USD".into(), "EUR".into()]))));
        assert_eq!(q.search_words, ["big", "deal"]);
        assert_eq!(q.sort, [(SortKey::Price, true), (SortKey::Name, false)]);
        assert_eq!(query(json!({"status_id": "c"})).unwrap().status, StatusFilter::Closed);
        assert_eq!(query(json!({"status_id": "!2|3"})).unwrap().status, StatusFilter::NotIn(vec![2, 3]));
    }

    #[test]
    fn the_long_form_names_its_filters_and_shows_every_status_unless_told() {
        let q = query(json!({"f": ["name", "cf_4"], "op": {"name": "~", "cf_4": "!"},
                             "v": {"name": ["web"], "cf_4": ["a"]}, "status_id": "c"}))
        .unwrap();
        assert_eq!(q.status, StatusFilter::Any);
        assert_eq!(q.conditions.len(), 2);
        assert_eq!(q.conditions[1].test, Test::Text(TextOp::IsNot(vec!["a".into()])));
    }

    #[test]
    fn malformed_filters_are_reported_with_redmines_messages() {
        assert_eq!(problems(json!({"price": "abc"})), ["Sum is invalid"]);
        assert_eq!(problems(json!({"probability": "1.5", "due_date": "2024-13-01"})).len(), 2);
        assert_eq!(problems(json!({"f": ["nope"]})), ["Filter name is invalid"]);
        assert_eq!(problems(json!({"f": ["price"], "op": {"price": "~"}})), ["Operator is invalid"]);
        assert_eq!(problems(json!({"f": ["author_id"], "op": {"author_id": "="}})), ["Author cannot be blank"]);
        assert_eq!(problems(json!({"status_id": "x"})), ["Status is invalid"]);
        assert_eq!(problems(json!({"cf_5": ">=soon"})), ["F5 is invalid"]);
    }
}
