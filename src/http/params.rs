//! Request parameters, decoded the way Rails decodes them, into one JSON-like tree: the query
//! string, then the body (JSON, XML, url-encoded or multipart form) merged over it. Form keys
//! nest the Rack way (`contact[address_attributes][city]`, `contact[custom_fields][][id]`);
//! an XML body becomes `{root element: …}` as actionpack-xml_parser makes it.

use bytes::Bytes;
use quick_xml::events::Event;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Deepest nesting accepted in any body or key (deeper input is refused, not recursed into).
const MAX_DEPTH: usize = 32;

pub fn bad(msg: impl Into<String>) -> Error {
    Error::BadRequest(msg.into())
}

// ---------------------------------------------------------------------------------------------
// Query strings and url-encoded forms

/// Parses `a=1&b[c]=2&d[]=3` into nested values.
pub fn parse_urlencoded(input: &[u8]) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (key, value) in form_urlencoded::parse(input) {
        if key.is_empty() {
            continue;
        }
        insert_nested(&mut out, &key, Value::String(value.into_owned()))?;
    }
    Ok(out)
}

/// Rack's `normalize_params`: places `value` at the path spelled by `key`.
pub fn insert_nested(target: &mut Map<String, Value>, key: &str, value: Value) -> Result<()> {
    insert_at(target, key, value, 0)
}

fn insert_at(target: &mut Map<String, Value>, key: &str, value: Value, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(bad("parameter nesting is too deep"));
    }
    let (head, rest) = match key.find('[') {
        Some(0) => {
            // "[x]..." at the top: Rack treats the bracketed name as the head.
            let end = key.find(']').ok_or_else(|| bad(format!("malformed parameter name {key:?}")))?;
            (&key[1..end], &key[end + 1..])
        }
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if rest.is_empty() {
        target.insert(head.to_string(), value);
        return Ok(());
    }
    if rest == "[]" {
        let slot = target.entry(head.to_string()).or_insert_with(|| Value::Array(Vec::new()));
        match slot {
            Value::Array(items) => items.push(value),
            _ => return Err(bad(format!("parameter {head:?} mixes a list and a value"))),
        }
        return Ok(());
    }
    if let Some(child) = rest.strip_prefix("[]") {
        // "a[][b]": add to the last hash of the list unless it already has this key.
        let child = unbracket(child)?;
        let slot = target.entry(head.to_string()).or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(items) = slot else {
            return Err(bad(format!("parameter {head:?} mixes a list and a value")));
        };
        let reuse = matches!(items.last(), Some(Value::Object(last)) if !has_path(last, &child));
        if !reuse {
            items.push(Value::Object(Map::new()));
        }
        match items.last_mut() {
            Some(Value::Object(last)) => return insert_at(last, &child, value, depth + 1),
            _ => return Err(bad(format!("parameter {head:?} mixes a list and a value"))),
        }
    }
    let child = unbracket(rest)?;
    let slot = target.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
    match slot {
        Value::Object(inner) => insert_at(inner, &child, value, depth + 1),
        _ => Err(bad(format!("parameter {head:?} mixes a hash and a value"))),
    }
}

/// "[b][c]" → "b[c]"; "[b]" → "b".
fn unbracket(rest: &str) -> Result<String> {
    let inner = rest.strip_prefix('[').ok_or_else(|| bad(format!("malformed parameter name part {rest:?}")))?;
    let end = inner.find(']').ok_or_else(|| bad(format!("malformed parameter name part {rest:?}")))?;
    Ok(format!("{}{}", &inner[..end], &inner[end + 1..]))
}

/// Rack's `params_hash_has_key?`: whether `key` is already set in `obj`. A key that ends in a
/// list (`value[]`, a multi-value custom field in a form) is never "set": its items go to the
/// same hash.
fn has_path(obj: &Map<String, Value>, key: &str) -> bool {
    if key.contains("[]") {
        return false;
    }
    let head = key.split('[').next().unwrap_or(key);
    obj.contains_key(head)
}

// ---------------------------------------------------------------------------------------------
// Bodies

/// The body's media type, lower-cased, without parameters.
pub fn media_type(content_type: Option<&str>) -> String {
    content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Decodes a body by its content type into parameters. An empty body yields none.
pub async fn parse_body(content_type: Option<&str>, body: Bytes) -> Result<Map<String, Value>> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    let media = media_type(content_type);
    match media.as_str() {
        "application/json" | "text/json" | "application/vnd.api+json" => parse_json(&body),
        "application/xml" | "text/xml" => parse_xml(&body),
        "application/x-www-form-urlencoded" => parse_urlencoded(&body),
        "multipart/form-data" => parse_multipart(content_type.unwrap_or(""), body).await,
        // No or another content type: guess from the first byte, as lenient clients expect.
        _ => match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => parse_json(&body),
            Some(b'<') => parse_xml(&body),
            _ => parse_urlencoded(&body),
        },
    }
}

fn parse_json(body: &[u8]) -> Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("the JSON body must be an object")),
        Err(e) => Err(bad(format!("malformed JSON: {e}"))),
    }
}

async fn parse_multipart(content_type: &str, body: Bytes) -> Result<Map<String, Value>> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| bad(format!("multipart: {e}")))?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut out = Map::new();
    while let Some(field) = form.next_field().await.map_err(|e| bad(format!("multipart: {e}")))? {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        if field.file_name().is_some() {
            continue; // file uploads (avatars) are not part of this API yet
        }
        let text = field.text().await.map_err(|e| bad(format!("multipart: {e}")))?;
        insert_nested(&mut out, &name, Value::String(text))?;
    }
    Ok(out)
}

/// One XML element while the document is read.
#[derive(Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
}

fn parse_xml(body: &[u8]) -> Result<Map<String, Value>> {
    let text = std::str::from_utf8(body).map_err(|_| bad("the XML body is not valid UTF-8"))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let event = reader.read_event().map_err(|e| bad(format!("malformed XML: {e}")))?;
        match event {
            Event::Start(_) | Event::Empty(_) if stack.len() > MAX_DEPTH => {
                return Err(bad("XML nesting is too deep"));
            }
            Event::Start(e) => stack.push(xml_node(&e)?),
            Event::Empty(e) => {
                let node = xml_node(&e)?;
                stack.last_mut().ok_or_else(|| bad("malformed XML"))?.children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| bad("malformed XML"))?;
                stack.last_mut().ok_or_else(|| bad("malformed XML: unbalanced tags"))?.children.push(node);
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| bad(format!("malformed XML: {e}")))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(&c).map_err(|_| bad("malformed XML: CDATA is not UTF-8"))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(s);
                }
            }
            Event::DocType(_) => return Err(bad("XML document types are not accepted")),
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(bad("malformed XML: unclosed element"));
    }
    let document = stack.pop().unwrap_or_default();
    let mut roots = document.children.into_iter();
    let root = roots.next().ok_or_else(|| bad("the XML body has no root element"))?;
    if roots.next().is_some() {
        return Err(bad("malformed XML: more than one root element"));
    }
    let mut out = Map::new();
    let name = root.name.clone();
    out.insert(name, xml_value(root));
    Ok(out)
}

fn xml_node(e: &quick_xml::events::BytesStart) -> Result<Node> {
    let name = std::str::from_utf8(e.name().as_ref()).map_err(|_| bad("malformed XML name"))?.to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| bad(format!("malformed XML attribute: {err}")))?;
        let key = std::str::from_utf8(a.key.as_ref()).map_err(|_| bad("malformed XML attribute"))?.to_string();
        let value = a.unescape_value().map_err(|err| bad(format!("malformed XML attribute: {err}")))?.into_owned();
        attrs.push((key, value));
    }
    Ok(Node { name, attrs, children: Vec::new(), text: String::new() })
}

/// ActiveSupport's XmlMini rules: `type="array"` lists its children, `nil="true"` is null,
/// typed scalars are converted, other attributes become keys beside the children, repeated
/// child names become lists, and an empty element is null.
fn xml_value(node: Node) -> Value {
    let attr = |k: &str| node.attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if attr("nil").as_deref() == Some("true") {
        return Value::Null;
    }
    let kind = attr("type");
    if kind.as_deref() == Some("array") {
        return Value::Array(node.children.into_iter().map(xml_value).collect());
    }
    let other_attrs: Vec<(String, String)> =
        node.attrs.iter().filter(|(k, _)| k != "type" && k != "nil").cloned().collect();
    if node.children.is_empty() && other_attrs.is_empty() {
        let text = node.text;
        if text.trim().is_empty() {
            return match kind.as_deref() {
                Some("string") => Value::String(String::new()),
                _ => Value::Null,
            };
        }
        return match kind.as_deref() {
            Some("integer") => text.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(text)),
            Some("boolean") => Value::Bool(matches!(text.trim(), "true" | "1")),
            _ => Value::String(text),
        };
    }
    let mut map = Map::new();
    for (k, v) in other_attrs {
        map.insert(k, Value::String(v));
    }
    for child in node.children {
        let name = child.name.clone();
        let value = xml_value(child);
        match map.get_mut(&name) {
            Some(existing) => {
                let previous = std::mem::take(existing);
                *existing = match previous {
                    Value::Array(mut items) => {
                        items.push(value);
                        Value::Array(items)
                    }
                    other => Value::Array(vec![other, value]),
                };
            }
            None => {
                map.insert(name, value);
            }
        }
    }
    if map.is_empty() {
        return Value::Null;
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rack_nesting() {
        let p = parse_urlencoded(
            b"key=k&contact[first_name]=A&contact[address_attributes][city]=X\
              &contact[custom_fields][][id]=1&contact[custom_fields][][value]=a\
              &contact[custom_fields][][id]=2&contact[custom_fields][][value]=b&include[]=notes\
              &contact[custom_fields][][id]=3&contact[custom_fields][][value][]=x&contact[custom_fields][][value][]=y",
        )
        .unwrap();
        assert_eq!(
            Value::Object(p),
            json!({"key":"k","contact":{"first_name":"A","address_attributes":{"city":"X"},
                   "custom_fields":[{"id":"1","value":"a"},{"id":"2","value":"b"},{"id":"3","value":["x","y"]}]},
                   "include":["notes"]})
        );
    }

    #[test]
    fn xml_like_rails() {
        let p = parse_xml(
            br#"<?xml version="1.0"?><contact><first_name>Ivan</first_name><last_name></last_name>
                <custom_fields type="array"><custom_field id="1"><value>foo</value></custom_field></custom_fields>
                <project_ids type="array"><project_id>1</project_id><project_id>2</project_id></project_ids>
                <is_company type="boolean">true</is_company></contact>"#,
        )
        .unwrap();
        assert_eq!(
            Value::Object(p),
            json!({"contact":{"first_name":"Ivan","last_name":null,
                   "custom_fields":[{"id":"1","value":"foo"}],"project_ids":["1","2"],"is_company":true}})
        );
    }

    #[test]
    fn malformed_xml_is_a_bad_request() {
        assert!(parse_xml(b"<contact><first_name>x</contact>").is_err());
        assert!(parse_xml(b"<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>").is_err());
        assert!(parse_xml(b"").is_err());
    }
}
