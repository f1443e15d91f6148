//! Reading a record's attributes as Rails does. Values arrive as JSON values (JSON bodies keep
//! their types; forms, query strings and XML give strings), so each reader accepts the spellings
//! Rails accepts and reports a wrong type as the 422 message Redmine would use for the field,
//! collected in [`Problems`].

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Collects validation messages so that one 422 reports every problem of a request.
#[derive(Default, Debug)]
pub struct Problems(pub Vec<String>);

impl Problems {
    pub fn add(&mut self, label: &str, message: &str) {
        let m = format!("{label} {message}");
        if !self.0.contains(&m) {
            self.0.push(m);
        }
    }

    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }
}

/// A scalar as text: strings as they are, numbers and booleans spelled out.
pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An integer from a JSON number or a numeric string.
pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Rails' boolean cast: false for `false 0 f off no` (any case), true for other non-blank text.
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64() != Some(0.0)),
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            Some(!matches!(s.as_str(), "false" | "0" | "f" | "off" | "no" | "n" | ""))
        }
        _ => None,
    }
}

/// A text attribute of a record: absent → None; null → Some(None); else Some(Some(text)).
/// Objects and arrays are reported as invalid.
pub fn opt_text(obj: &Map<String, Value>, key: &str, label: &str, problems: &mut Problems) -> Option<Option<String>> {
    match obj.get(key)? {
        Value::Null => Some(None),
        v => match as_text(v) {
            // NUL is refused: no field has a use for it and C consumers of the file stop at it.
            Some(s) if !s.contains('\0') => Some(Some(s)),
            _ => {
                problems.add(label, "is invalid");
                None
            }
        },
    }
}

/// An integer attribute: absent → None; null or "" → Some(None); non-integer → invalid.
pub fn opt_int(obj: &Map<String, Value>, key: &str, label: &str, problems: &mut Problems) -> Option<Option<i64>> {
    match obj.get(key)? {
        Value::Null => Some(None),
        Value::String(s) if s.trim().is_empty() => Some(None),
        v => match as_int(v) {
            Some(i) => Some(Some(i)),
            None => {
                problems.add(label, "is invalid");
                None
            }
        },
    }
}

pub fn opt_bool(obj: &Map<String, Value>, key: &str, label: &str, problems: &mut Problems) -> Option<bool> {
    match obj.get(key)? {
        Value::Null => Some(false),
        v => {
            let b = as_bool(v);
            if b.is_none() {
                problems.add(label, "is invalid");
            }
            b
        }
    }
}

/// A list of integers given as an array (or one value); None when absent.
pub fn opt_int_list(obj: &Map<String, Value>, key: &str, label: &str, problems: &mut Problems) -> Option<Vec<i64>> {
    let items: Vec<&Value> = match obj.get(key)? {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    let mut ids = Vec::new();
    for item in items {
        match item {
            Value::String(s) if s.trim().is_empty() => {}
            v => match as_int(v) {
                Some(i) => ids.push(i),
                None => {
                    problems.add(label, "is invalid");
                    return None;
                }
            },
        }
    }
    Some(ids)
}

/// A required, non-blank text attribute (create) or an optional one (update).
pub fn required_text(
    attrs: &Map<String, Value>,
    key: &str,
    label: &str,
    creating: bool,
    pr: &mut Problems,
) -> Option<String> {
    match opt_text(attrs, key, label, pr) {
        Some(Some(s)) if !s.trim().is_empty() => {
            if s.chars().count() > 255 {
                pr.add(label, "is too long (maximum is 255 characters)");
            }
            Some(s)
        }
        Some(_) => {
            pr.add(label, "cannot be blank");
            None
        }
        None => {
            if creating {
                pr.add(label, "cannot be blank");
            }
            None
        }
    }
}

/// Checks the length of a stored text: over `max` characters is refused, never truncated.
pub fn check_length(value: &Option<Option<String>>, label: &str, max: usize, problems: &mut Problems) {
    if let Some(Some(s)) = value {
        if s.chars().count() > max {
            problems.add(label, &format!("is too long (maximum is {max} characters)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn booleans_cast_like_rails() {
        assert_eq!(as_bool(&json!("0")), Some(false));
        assert_eq!(as_bool(&json!("true")), Some(true));
        assert_eq!(as_bool(&json!(1)), Some(true));
        assert_eq!(as_bool(&json!({})), None);
    }
}
