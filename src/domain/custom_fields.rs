//! Custom fields of contacts, deals and notes: the formats Redmine knows (string, text, int,
//! float, date, bool, list single or multiple, link), the checks of a value against its field
//! with Redmine's messages (`is not a number`, `is not a valid date`, `is not included in the
//! list`, `is invalid`, `is too long/short`, `cannot be blank`), reading the values a record's
//! attributes give (`custom_fields: [{id, value}]` or `custom_field_values: {id: value}`), and
//! the validation of a definition (the admin extension `POST /custom_fields`).

use serde_json::{Map, Value};

use super::attributes::{as_int, as_text, opt_bool, opt_int, opt_text, required_text, Problems};
use super::time::parse_date;
use super::CustomField;
use crate::error::Result;

/// Longest custom value (the TEXT column of custom_values).
const LONGEST_VALUE: usize = 65_535;

const FIELD_FORMATS: &[&str] = &["string", "text", "int", "float", "date", "list", "bool", "link"];

/// `custom_fields: [{id, value}]` or `custom_field_values: {id: value}`, checked against the
/// field definitions; on create, fields not given take their default value. A multi-value
/// field takes an array (blanks dropped, duplicates once); a single-value field one value.
pub fn custom_values(
    attrs: &Map<String, Value>,
    fields: &[CustomField],
    creating: bool,
    pr: &mut Problems,
) -> Vec<(i64, Vec<String>)> {
    let mut given: Vec<(i64, &Value)> = Vec::new();
    match attrs.get("custom_fields") {
        Some(Value::Array(items)) => {
            for item in items {
                if let Value::Object(o) = item {
                    if let (Some(id), Some(value)) = (o.get("id").and_then(as_int), o.get("value")) {
                        given.push((id, value));
                    }
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => pr.add("Custom fields", "is invalid"),
    }
    if let Some(Value::Object(o)) = attrs.get("custom_field_values") {
        for (k, v) in o {
            if let Ok(id) = k.parse() {
                given.push((id, v));
            }
        }
    }
    let mut out = Vec::new();
    for f in fields {
        let value = given.iter().rev().find(|(id, _)| *id == f.id).map(|(_, v)| *v);
        let one = |v: &Value| match v {
            // A JSON boolean for a yes/no field is its stored "1"/"0".
            Value::Bool(b) if f.field_format == "bool" => Some(if *b { "1" } else { "0" }.to_string()),
            v => as_text(v),
        };
        let values: Vec<String> = match value {
            Some(Value::Array(items)) => {
                match items.iter().map(|v| if v.is_null() { Some(String::new()) } else { one(v) }).collect() {
                    Some(values) => values,
                    None => {
                        pr.add(&f.name, "is invalid");
                        continue;
                    }
                }
            }
            Some(Value::Null) => Vec::new(),
            Some(v) => match one(v) {
                Some(s) => vec![s],
                None => {
                    pr.add(&f.name, "is invalid");
                    continue;
                }
            },
            None if creating => f.default_value.iter().filter(|d| !d.is_empty()).cloned().collect(),
            None => continue,
        };
        let mut kept: Vec<String> = Vec::new();
        for v in values.into_iter().filter(|v| !v.trim().is_empty()) {
            if !kept.contains(&v) {
                kept.push(v);
            }
        }
        if !f.multiple && kept.len() > 1 {
            pr.add(&f.name, "is invalid");
            continue;
        }
        if f.is_required && kept.is_empty() && (creating || value.is_some()) {
            pr.add(&f.name, "cannot be blank");
        }
        for v in &kept {
            for message in value_problems(f, v) {
                pr.add(&f.name, &message);
            }
        }
        if value.is_some() || !kept.is_empty() {
            out.push((f.id, kept));
        }
    }
    out
}

/// Redmine's checks of one non-blank value of a field, in its order: the regular expression,
/// the minimum and maximum length (formats with free input), then the format itself.
pub fn value_problems(f: &CustomField, v: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let format = f.field_format.as_str();
    let length = v.chars().count();
    if !matches!(format, "list" | "bool") {
        if let Some(pattern) = &f.regexp {
            // A pattern that does not compile was refused with its definition; one stored
            // before that check tests nothing.
            if regex::Regex::new(pattern).is_ok_and(|r| !r.is_match(v)) {
                problems.push("is invalid".to_string());
            }
        }
        if let Some(min) = f.min_length.filter(|m| *m > 0) {
            if (length as i64) < min {
                problems.push(format!("is too short (minimum is {min} characters)"));
            }
        }
        if let Some(max) = f.max_length.filter(|m| *m > 0) {
            if length as i64 > max {
                problems.push(format!("is too long (maximum is {max} characters)"));
            }
        }
    }
    if length > LONGEST_VALUE {
        problems.push(format!("is too long (maximum is {LONGEST_VALUE} characters)"));
    }
    let trimmed = v.trim();
    let format_problem = match format {
        "int" if !is_integer(trimmed) => Some("is not a number"),
        "float" if !trimmed.parse::<f64>().is_ok_and(f64::is_finite) => Some("is invalid"),
        "date" if v.len() != 10 || parse_date(v).is_none() => Some("is not a valid date"),
        "list" if !f.possible_values.iter().any(|p| p == v) => Some("is not included in the list"),
        "bool" if !matches!(v, "0" | "1") => Some("is not included in the list"),
        "link" if v.chars().any(|c| c.is_whitespace() || c.is_control()) => Some("is invalid"),
        _ => None,
    };
    problems.extend(format_problem.map(String::from));
    problems
}

/// Redmine's integer rule: `/^[+-]?\d+$/`.
fn is_integer(v: &str) -> bool {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// Reads and validates a `custom_field` hash (admin extension: fields of contacts, deals and
/// notes): a known format, possible values for a list, a regular expression that compiles, a
/// default value the field itself accepts. `multiple` is kept for lists only (the one format
/// whose values Redmine lets repeat).
pub fn custom_field(attrs: &Map<String, Value>) -> Result<CustomField> {
    let mut pr = Problems::default();
    let name = required_text(attrs, "name", "Name", true, &mut pr).unwrap_or_default();
    let customized_type = match attrs.get("customized_type").and_then(as_text).map(|t| t.to_ascii_lowercase()) {
        Some(t) if ["contact", "deal", "note"].contains(&t.as_str()) => t,
        _ => {
            pr.add("Type", "is not included in the list");
            String::new()
        }
    };
    let field_format = attrs.get("field_format").and_then(as_text).unwrap_or_else(|| "string".into());
    if !FIELD_FORMATS.contains(&field_format.as_str()) {
        pr.add("Format", "is not included in the list");
    }
    let possible_values: Vec<String> = match attrs.get("possible_values") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::Object(o) => o.get("value").and_then(as_text),
                v => as_text(v),
            })
            .filter(|v| !v.trim().is_empty())
            .collect(),
        Some(Value::String(s)) => s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect(),
        _ => Vec::new(),
    };
    if field_format == "list" && possible_values.is_empty() {
        pr.add("Possible values", "cannot be blank");
    }
    let regexp = opt_text(attrs, "regexp", "Regular expression", &mut pr).flatten().filter(|r| !r.is_empty());
    if regexp.as_deref().is_some_and(|r| regex::Regex::new(r).is_err()) {
        pr.add("Regular expression", "is invalid");
    }
    let flag = |key: &str, label: &str, pr: &mut Problems| opt_bool(attrs, key, label, pr).unwrap_or(false);
    let length = |key: &str, label: &str, pr: &mut Problems| {
        let n = opt_int(attrs, key, label, pr).flatten();
        if n.is_some_and(|n| n < 0) {
            pr.add(label, "must be greater than or equal to 0");
        }
        n
    };
    let field = CustomField {
        id: 0,
        name,
        customized_type,
        multiple: flag("multiple", "Multiple values", &mut pr) && field_format == "list",
        field_format,
        possible_values,
        regexp,
        min_length: length("min_length", "Minimum length", &mut pr),
        max_length: length("max_length", "Maximum length", &mut pr),
        is_required: flag("is_required", "Required", &mut pr),
        is_for_all: opt_bool(attrs, "is_for_all", "For all projects", &mut pr).unwrap_or(true),
        is_filter: flag("is_filter", "Used as a filter", &mut pr),
        searchable: flag("searchable", "Searchable", &mut pr),
        default_value: opt_text(attrs, "default_value", "Default value", &mut pr).flatten().filter(|d| !d.is_empty()),
        visible: opt_bool(attrs, "visible", "Visible", &mut pr).unwrap_or(true),
    };
    if let Some(default) = &field.default_value {
        for message in value_problems(&field, default) {
            pr.add("Default value", &message);
        }
    }
    pr.into_result()?;
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(format: &str, extra: Value) -> CustomField {
        let mut attrs = json!({"name": "F", "field_format": format, "customized_type": "contact"});
        attrs.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        custom_field(attrs.as_object().unwrap()).unwrap()
    }

    #[test]
    fn values_are_checked_by_format_with_redmines_messages() {
        let int = field("int", json!({}));
        assert!(value_problems(&int, " -12 ").is_empty());
        assert_eq!(value_problems(&int, "1.5"), ["is not a number"]);
        assert_eq!(value_problems(&field("float", json!({})), "abc"), ["is invalid"]);
        assert!(value_problems(&field("float", json!({})), "-1.25e3").is_empty());
        assert_eq!(value_problems(&field("date", json!({})), "2024-02-30"), ["is not a valid date"]);
        assert_eq!(value_problems(&field("date", json!({})), "2024-02-01x"), ["is not a valid date"]);
        assert_eq!(value_problems(&field("bool", json!({})), "yes"), ["is not included in the list"]);
        assert_eq!(value_problems(&field("link", json!({})), "http://a b"), ["is invalid"]);
        let code = field("string", json!({"regexp": "^[A-Z]{2}\\d+$", "min_length": 3, "max_length": 5}));
        assert!(value_problems(&code, "AB12").is_empty());
        assert_eq!(value_problems(&code, "a"), ["is invalid", "is too short (minimum is 3 characters)"]);
        assert_eq!(value_problems(&code, "AB1234"), ["is too long (maximum is 5 characters)"]);
    }

    #[test]
    fn definitions_are_checked() {
        let refused = |attrs: Value| match custom_field(attrs.as_object().unwrap()) {
            Err(crate::error::Error::Validation(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused(json!({"name": "L", "field_format": "list", "customized_type": "deal", "default_value": "x"})),
            ["Possible values cannot be blank", "Default value is not included in the list"]
        );
        assert_eq!(
            refused(json!({"name": "R", "customized_type": "note", "regexp": "(", "field_format": "int",
                           "default_value": "x"})),
            ["Regular expression is invalid", "Default value is not a number"]
        );
        assert!(!field("int", json!({"multiple": true})).multiple, "only lists take several values");
        assert!(field("list", json!({"multiple": true, "possible_values": ["a"]})).multiple);
    }
}
