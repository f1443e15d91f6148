//! JSON read the way `replay.py` reads it (`json.loads(..., object_pairs_hook=Obj)`): an object
//! keeps its keys in document order, repeated keys included, and an integer stays apart from a
//! fraction (Python's `int` and `float`), so that key order and number kind can be compared.
//!
//! `serde_json`'s own `Value` cannot do this without its `preserve_order` feature, which would
//! reach the server under test through feature unification; hence this value with its own
//! `Deserialize`. Also here: Python's text of values (`json.dumps`, `repr`, `str`) for the
//! messages, so that a difference reads as replay.py prints it, and for the fixture's request
//! bodies.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    /// Key/value pairs in document order.
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(text: &str) -> Result<Json, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The value of `key` in an object: the last one when a key repeats, as in a Python dict.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(pairs) => pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(pairs) => pairs.iter_mut().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `get`, with JSON `null` read as absent (Python's `dict.get` gives None for both).
    pub fn get_some(&self, key: &str) -> Option<&Json> {
        self.get(key).filter(|v| **v != Json::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Python's truth value: false for null, false, 0, "", [] and {}.
    pub fn truthy(&self) -> bool {
        match self {
            Json::Null => false,
            Json::Bool(b) => *b,
            Json::Int(i) => *i != 0,
            Json::Float(f) => *f != 0.0,
            Json::Str(s) => !s.is_empty(),
            Json::Array(a) => !a.is_empty(),
            Json::Object(o) => !o.is_empty(),
        }
    }

    /// The kind replay.py names in a message (`object`, `array`, `null`, or the Python type).
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Int(_) => "int",
            Json::Float(_) => "float",
            Json::Str(_) => "str",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// `json.dumps(value, ensure_ascii=ascii)`: separators `", "` and `": "`.
    pub fn dumps(&self, ascii: bool) -> String {
        let mut out = String::new();
        self.write_dumps(&mut out, ascii);
        out
    }

    fn write_dumps(&self, out: &mut String, ascii: bool) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => out.push_str(&i.to_string()),
            Json::Float(f) => out.push_str(&py_float(*f)),
            Json::Str(s) => dumps_str(out, s, ascii),
            Json::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_dumps(out, ascii);
                }
                out.push(']');
            }
            Json::Object(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    dumps_str(out, k, ascii);
                    out.push_str(": ");
                    v.write_dumps(out, ascii);
                }
                out.push('}');
            }
        }
    }

    /// Python's `str(value)` for a scalar (a string is itself), None for the rest.
    pub fn py_str(&self) -> Option<String> {
        match self {
            Json::Str(s) => Some(s.clone()),
            Json::Int(i) => Some(i.to_string()),
            Json::Float(f) => Some(py_float(*f)),
            Json::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            _ => None,
        }
    }

    /// Python's `repr(value)` as `%r` prints it: a quoted string, a number as such.
    pub fn py_repr(&self) -> String {
        match self {
            Json::Str(s) => py_repr(s),
            Json::Null => "None".to_string(),
            other => other.py_str().unwrap_or_else(|| other.dumps(false)),
        }
    }
}

/// A JSON string literal as `json.dumps` writes it (lower-case `\u00XX`; with `ascii`, every
/// character outside printable ASCII escaped, beyond U+FFFF as a surrogate pair).
fn dumps_str(out: &mut String, s: &str, ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ascii && !(' '..='~').contains(&c)) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `repr` of a float: the shortest digits that read back, positional from 1e-4 up to
/// 1e16 (with `.0` when whole), else `d.ddde+XX`.
pub fn py_float(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "nan"
        } else if f > 0.0 {
            "inf"
        } else {
            "-inf"
        }
        .to_string();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let body = if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else if digits.len() <= exp as usize + 1 {
            format!("{digits}{}.0", "0".repeat(exp as usize + 1 - digits.len()))
        } else {
            format!("{}.{}", &digits[..exp as usize + 1], &digits[exp as usize + 1..])
        };
        format!("{sign}{body}")
    } else {
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{esign}{:02}", exp.abs())
    }
}

/// Python's `repr` of a string: single quotes unless it holds `'` and no `"`; backslash, quote,
/// `\n`, `\r`, `\t` and other control characters escaped.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..=0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a list of strings: `['a', 'b']`.
pub fn py_list(items: &[&str]) -> String {
    format!("[{}]", items.iter().map(|s| py_repr(s)).collect::<Vec<_>>().join(", "))
}

/// replay.py's `short`: a string as it is, any other value as `json.dumps`; line breaks shown
/// as `\r`/`\n`; cut after `n` characters with `...`.
pub fn short(text: &str, n: usize) -> String {
    let s = text.replace('\r', "\\r").replace('\n', "\\n");
    match s.char_indices().nth(n) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s,
    }
}

/// `short` of a JSON value (a string is shown unquoted).
pub fn short_value(v: &Json, n: usize) -> String {
    match v {
        Json::Str(s) => short(s, n),
        other => short(&other.dumps(false), n),
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Int(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut pairs = Vec::new();
        while let Some(pair) = map.next_entry::<String, Json>()? {
            pairs.push(pair);
        }
        Ok(Json::Object(pairs))
    }
}
