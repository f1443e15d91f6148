//! XML read the way `replay.py` reads it with ElementTree (`ET.fromstring`): a tree of elements,
//! each with its name, its attributes in document order and its text, i.e. the character data
//! before its first child element (entities resolved, CDATA included, comments and processing
//! instructions skipped). Text after a child (ElementTree's `tail`) is not kept: replay.py does
//! not compare it. Namespace declarations are not attributes, as in ElementTree; names are kept
//! as written (`prefix:name`, where ElementTree would write `{uri}name`).
//!
//! Built on `quick-xml`, with the checks of a conforming parser that replay.py relies on to tell
//! XML from other text: one root element, matching end tags, no text outside the root, known
//! entities only, no duplicate attribute, the declaration only at the very start. Line breaks
//! are normalised as XML says (`\r\n` and `\r` become `\n`; in an attribute value, a literal
//! line break or tab becomes a space).

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

/// The XML declaration that starts `text` after optional white space (`^\s*(<\?xml[^>]*\?>)`),
/// exactly as written.
pub fn declaration(text: &str) -> Option<&str> {
    let rest = text.trim_start();
    let after = rest.strip_prefix("<?xml")?;
    let end = after.find('>')?;
    after[..end].ends_with('?').then(|| &rest[..5 + end + 1])
}

/// The root element of a document, or why it is not well-formed XML.
pub fn parse(text: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_comments = true;
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| format!("{e} (at byte {})", reader.error_position()))?;
        match event {
            Event::Decl(_) if at == 0 => {}
            Event::Decl(_) => return Err(format!("XML declaration not at the start (byte {at})")),
            Event::Start(e) => {
                if open.is_empty() && root.is_some() {
                    return Err(format!("junk after the root element (byte {at})"));
                }
                open.push(element(&e)?);
            }
            Event::Empty(e) => {
                if open.is_empty() && root.is_some() {
                    return Err(format!("junk after the root element (byte {at})"));
                }
                close(element(&e)?, &mut open, &mut root);
            }
            Event::End(_) => {
                let done = open.pop().ok_or_else(|| format!("end tag without a start (byte {at})"))?;
                close(done, &mut open, &mut root);
            }
            Event::Text(t) => {
                let raw = std::str::from_utf8(&t).map_err(|e| e.to_string())?;
                let text = quick_xml::escape::unescape(&line_breaks(raw))
                    .map_err(|e| format!("{e} (near byte {at})"))?
                    .into_owned();
                add_text(&text, &mut open, at)?;
            }
            Event::CData(c) => {
                let raw = std::str::from_utf8(&c).map_err(|e| e.to_string())?;
                add_text(&line_breaks(raw), &mut open, at)?;
            }
            Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(format!("unclosed element <{}>", unclosed.name));
    }
    root.ok_or_else(|| "no element found".to_string())
}

fn element(start: &BytesStart) -> Result<Element, String> {
    let name = utf8(start.name().as_ref())?;
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| format!("<{name}>: {e}"))?;
        let key = utf8(attr.key.as_ref())?;
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let raw = line_breaks(&utf8(&attr.value)?).replace(['\n', '\t'], " ");
        let value = quick_xml::escape::unescape(&raw).map_err(|e| format!("<{name} {key}>: {e}"))?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Element { name, attrs, ..Element::default() })
}

fn close(done: Element, open: &mut [Element], root: &mut Option<Element>) {
    match open.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

/// Character data counts as the open element's text until its first child; outside the root
/// only white space may appear.
fn add_text(text: &str, open: &mut [Element], at: u64) -> Result<(), String> {
    match open.last_mut() {
        Some(parent) if parent.children.is_empty() => parent.text.push_str(text),
        Some(_) => {}
        None if text.trim().is_empty() => {}
        None => return Err(format!("text outside the root element (byte {at})")),
    }
    Ok(())
}

fn line_breaks(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())
}
