//! Rendering arbitrary text: a document built through `render::Doc` with the input's pieces
//! (split at 0xFF, which UTF-8 never holds) as field values, list items, reference attributes
//! and decimals, in JSON and XML. The JSON must parse with serde_json and give the texts back
//! exactly; the XML must be well-formed for quick-xml and give them back as XML 1.0 can carry
//! them (control characters other than tab, newline and carriage return, and U+FFFE/U+FFFF,
//! dropped).
#![no_main]

use contacts::render::{Doc, Format, Meta, Val};
use libfuzzer_sys::fuzz_target;
use quick_xml::events::Event;
use serde_json::Value;

fn build(format: Format, texts: &[String]) -> Vec<u8> {
    let first = texts.first().map(String::as_str).unwrap_or("");
    let mut d = Doc::new(format);
    d.begin("root");
    d.field("text", first);
    d.reference("author", &[("id", Val::Int(7)), ("name", Val::Str(first))]);
    d.begin_array("items", Some(Meta { total_count: texts.len() as i64, offset_limit: Some((0, 25)) }));
    for t in texts {
        d.item_value("item", t);
    }
    d.end_array("items");
    d.begin_array("refs", None);
    for t in texts {
        d.reference_item("ref", &[("name", Val::Str(t))]);
    }
    d.end_array("refs");
    d.begin_array("fields", None);
    for t in texts {
        d.begin_with_attrs("field", &[("id", Val::Int(1)), ("name", Val::Str(t))]);
        d.field("value", Val::Decimal(t));
        d.field("none", Val::Null);
        d.end("field");
    }
    d.end_array("fields");
    d.end("root");
    d.finish()
}

fn check_json(texts: &[String]) {
    let out = build(Format::Json, texts);
    let doc: Value = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("rendered JSON does not parse ({e}): {}", String::from_utf8_lossy(&out)));
    let root = &doc["root"];
    let first = texts.first().map(String::as_str).unwrap_or("");
    assert_eq!(root["text"], first);
    assert_eq!(root["author"]["name"], first);
    let items: Vec<&str> = root["items"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(items, texts);
    assert_eq!(root["total_count"], texts.len());
    for (i, t) in texts.iter().enumerate() {
        assert_eq!(root["refs"][i]["name"], t.as_str());
        assert_eq!(root["fields"][i]["name"], t.as_str());
        assert_eq!(root["fields"][i]["value"], t.as_str());
    }
}

/// What XML 1.0 keeps of a text.
fn xml_kept(s: &str) -> String {
    s.chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r') || (*c >= ' ' && *c != '\u{FFFE}' && *c != '\u{FFFF}'))
        .collect()
}

/// The `name` attribute of an element, unescaped.
fn name_attribute(e: &quick_xml::events::BytesStart) -> Option<String> {
    e.attributes()
        .map(|a| a.expect("well-formed attribute"))
        .find(|a| a.key.as_ref() == b"name")
        .map(|a| a.unescape_value().expect("attribute value").into_owned())
}

fn check_xml(texts: &[String]) {
    let out = build(Format::Xml, texts);
    let text = std::str::from_utf8(&out).expect("rendered XML is UTF-8");
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut open: Option<String> = None; // the text of the element being read
    let mut item_texts = Vec::new(); // <item>, <value> and <text> contents in order
    let mut names = Vec::new(); // every name="…" attribute in order
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("rendered XML is malformed ({e}) at {}: {text}", reader.buffer_position()));
        match event {
            Event::Start(e) => {
                depth += 1;
                names.extend(name_attribute(&e));
                open = matches!(e.name().as_ref(), b"item" | b"value" | b"text").then(String::new);
            }
            Event::Empty(e) => names.extend(name_attribute(&e)),
            Event::Text(t) => {
                let s = t.unescape().expect("text");
                match open.as_mut() {
                    Some(o) => o.push_str(&s),
                    None => panic!("text {s:?} outside a text element: {text}"),
                }
            }
            Event::End(_) => {
                depth = depth.checked_sub(1).expect("balanced");
                if let Some(o) = open.take() {
                    item_texts.push(o);
                }
            }
            Event::Eof => break,
            Event::Decl(_) => {}
            other => panic!("unexpected {other:?} in {text}"),
        }
    }
    assert_eq!(depth, 0);
    let first = xml_kept(texts.first().map(String::as_str).unwrap_or(""));
    let mut expected_texts = vec![first.clone()];
    expected_texts.extend(texts.iter().map(|t| xml_kept(t)));
    expected_texts.extend(texts.iter().map(|t| xml_kept(t)));
    assert_eq!(item_texts, expected_texts);
    let mut expected_names = vec![first];
    expected_names.extend(texts.iter().map(|t| xml_kept(t)));
    expected_names.extend(texts.iter().map(|t| xml_kept(t)));
    assert_eq!(names, expected_names);
}

fuzz_target!(|data: &[u8]| {
    let texts: Vec<String> = data.split(|b| *b == 0xFF).map(|p| String::from_utf8_lossy(p).into_owned()).collect();
    check_json(&texts);
    check_xml(&texts);
});
