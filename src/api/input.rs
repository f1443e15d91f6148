//! Typed reading of decoded parameters. Values arrive as JSON values (JSON bodies keep their
//! types; forms, query strings and XML give strings), so each reader accepts the spellings
//! Rails accepts and reports a wrong type as the 422 message Redmine would use for the field.

use serde_json::{Map, Value};

use crate::domain::attributes::{as_int, as_text};
use crate::error::{Error, Result};

/// The record hash of a create/update (`contact`, `note`, …): absent → empty; not a hash → 422.
pub fn record<'a>(
    params: &'a Map<String, Value>,
    key: &str,
    label: &str,
) -> Result<std::borrow::Cow<'a, Map<String, Value>>> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(std::borrow::Cow::Owned(Map::new())),
        Some(Value::Object(m)) => Ok(std::borrow::Cow::Borrowed(m)),
        Some(_) => Err(Error::invalid(format!("{label} is invalid"))),
    }
}

/// Paging as Redmine's `api_offset_and_limit`: limit 1..100 (default 25), offset ≥ 0, `page`
/// only when no offset is given.
pub fn paging(params: &Map<String, Value>) -> (i64, i64) {
    let int = |k: &str| params.get(k).and_then(as_int);
    let limit = match int("limit") {
        Some(l) if l >= 1 => l.min(100),
        _ => 25,
    };
    let offset = match (params.get("offset"), int("page")) {
        (Some(v), _) => as_int(v).unwrap_or(0).max(0),
        (None, Some(page)) => ((page.saturating_sub(1)).saturating_mul(limit)).max(0),
        (None, None) => 0,
    };
    (offset, limit)
}

/// A comma list or array parameter (`include=notes,deals` or `include[]=notes`).
pub fn word_list(params: &Map<String, Value>, key: &str) -> Vec<String> {
    match params.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(as_text).flat_map(|s| split_commas(&s)).collect(),
        Some(v) => as_text(v).map(|s| split_commas(&s)).unwrap_or_default(),
        None => Vec::new(),
    }
}

fn split_commas(s: &str) -> Vec<String> {
    s.split(',').map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn paging_follows_redmine() {
        assert_eq!(paging(&obj(json!({}))), (0, 25));
        assert_eq!(paging(&obj(json!({"limit": "1000"}))), (0, 100));
        assert_eq!(paging(&obj(json!({"limit": "0", "page": "2"}))), (25, 25));
        assert_eq!(paging(&obj(json!({"limit": 5, "offset": "-3", "page": 9}))), (0, 5));
        assert_eq!(paging(&obj(json!({"limit": "abc", "offset": "x"}))), (0, 25));
    }
}
