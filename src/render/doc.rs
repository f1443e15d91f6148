//! `Doc` writes one API document in JSON or XML with Redmine's shapes, the way Redmine's own
//! `api` builder does: each resource is rendered once (in `render::*`) against this interface,
//! and the format only decides the punctuation. Output goes straight into a byte buffer, with
//! no intermediate tree, because rendering is on the hot path of every read.

use std::io::Write;

/// The two wire formats of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "application/xml; charset=utf-8",
        }
    }
}

/// A scalar value in a document.
#[derive(Clone, Copy, Debug)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(&'a str),
    /// A decimal written as a string in JSON and as text in XML (Rails' BigDecimal).
    Decimal(&'a str),
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(s: &'a str) -> Val<'a> {
        Val::Str(s)
    }
}
impl<'a> From<&'a String> for Val<'a> {
    fn from(s: &'a String) -> Val<'a> {
        Val::Str(s)
    }
}
impl<'a> From<Option<&'a str>> for Val<'a> {
    fn from(s: Option<&'a str>) -> Val<'a> {
        s.map_or(Val::Null, Val::Str)
    }
}
impl<'a> From<&'a Option<String>> for Val<'a> {
    fn from(s: &'a Option<String>) -> Val<'a> {
        s.as_deref().map_or(Val::Null, Val::Str)
    }
}
impl From<i64> for Val<'_> {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<Option<i64>> for Val<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Val::Null, Val::Int)
    }
}
impl From<bool> for Val<'_> {
    fn from(v: bool) -> Self {
        Val::Bool(v)
    }
}

/// The counters of a list (`api_meta`): XML puts them on the array element, JSON after it.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    pub total_count: i64,
    /// None for lists that only report `total_count` (deal statuses, tags, …).
    pub offset_limit: Option<(i64, i64)>,
}

pub struct Doc {
    format: Format,
    out: Vec<u8>,
    /// JSON only: per open container, whether nothing was written in it yet (comma placement).
    first: Vec<bool>,
    /// JSON only: per open array, the list counters to write after it closes.
    pending_meta: Vec<Option<Meta>>,
}

impl Doc {
    pub fn new(format: Format) -> Doc {
        let mut out = Vec::with_capacity(1024);
        match format {
            Format::Json => out.push(b'{'),
            Format::Xml => out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        }
        Doc { format, out, first: vec![true], pending_meta: Vec::new() }
    }

    /// A document piece without prologue, to render one list item on its own (see `raw_item`).
    pub fn fragment(format: Format) -> Doc {
        Doc { format, out: Vec::with_capacity(1024), first: vec![true], pending_meta: Vec::new() }
    }

    /// The bytes written so far, as they are (for a fragment).
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// An item rendered earlier by a fragment `Doc` of the same format.
    pub fn raw_item(&mut self, bytes: &[u8]) {
        if self.format == Format::Json {
            self.comma();
        }
        self.out.extend_from_slice(bytes);
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn is_xml(&self) -> bool {
        self.format == Format::Xml
    }

    pub fn finish(mut self) -> Vec<u8> {
        if self.format == Format::Json {
            self.out.push(b'}');
        }
        self.out
    }

    fn comma(&mut self) {
        if let Some(first) = self.first.last_mut() {
            if !*first {
                self.out.push(b',');
            }
            *first = false;
        }
    }

    fn json_key(&mut self, name: &str) {
        self.comma();
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// A nested block: JSON `"name":{`, XML `<name>`.
    pub fn begin(&mut self, name: &str) {
        match self.format {
            Format::Json => {
                self.json_key(name);
                self.out.push(b'{');
                self.first.push(true);
            }
            Format::Xml => self.open_tag(name, &[]),
        }
    }

    pub fn end(&mut self, name: &str) {
        match self.format {
            Format::Json => {
                self.out.push(b'}');
                self.first.pop();
            }
            Format::Xml => self.close_tag(name),
        }
    }

    /// An array: JSON `"name":[`, XML `<name type="array">` (with the list counters first).
    pub fn begin_array(&mut self, name: &str, meta: Option<Meta>) {
        match self.format {
            Format::Json => {
                self.json_key(name);
                self.out.push(b'[');
                self.first.push(true);
                self.pending_meta.push(meta);
            }
            Format::Xml => {
                self.out.push(b'<');
                self.out.extend_from_slice(name.as_bytes());
                if let Some(m) = meta {
                    let _ = write!(self.out, " total_count=\"{}\"", m.total_count);
                    if let Some((offset, limit)) = m.offset_limit {
                        let _ = write!(self.out, " offset=\"{offset}\" limit=\"{limit}\"");
                    }
                }
                self.out.extend_from_slice(b" type=\"array\">");
            }
        }
    }

    pub fn end_array(&mut self, name: &str) {
        match self.format {
            Format::Json => {
                self.out.push(b']');
                self.first.pop();
                if let Some(m) = self.pending_meta.pop().flatten() {
                    self.field("total_count", m.total_count);
                    if let Some((offset, limit)) = m.offset_limit {
                        self.field("offset", offset);
                        self.field("limit", limit);
                    }
                }
            }
            Format::Xml => self.close_tag(name),
        }
    }

    /// An object inside an array: JSON `{`, XML `<name>`.
    pub fn begin_item(&mut self, name: &str) {
        match self.format {
            Format::Json => {
                self.comma();
                self.out.push(b'{');
                self.first.push(true);
            }
            Format::Xml => self.open_tag(name, &[]),
        }
    }

    /// A record that is either the document's root (`begin`) or an item of a list.
    pub fn begin_record(&mut self, name: &str, in_list: bool) {
        if in_list {
            self.begin_item(name)
        } else {
            self.begin(name)
        }
    }

    pub fn end_item(&mut self, name: &str) {
        self.end(name)
    }

    /// A scalar inside an array: JSON `"v"`, XML `<name>v</name>`.
    pub fn item_value<'v>(&mut self, name: &str, v: impl Into<Val<'v>>) {
        match self.format {
            Format::Json => {
                self.comma();
                self.json_value(v.into());
            }
            Format::Xml => self.xml_field(name, v.into()),
        }
    }

    /// A scalar field: JSON `"name":v`, XML `<name>v</name>` (or `<name/>` for null).
    pub fn field<'v>(&mut self, name: &str, v: impl Into<Val<'v>>) {
        match self.format {
            Format::Json => {
                self.json_key(name);
                self.json_value(v.into());
            }
            Format::Xml => self.xml_field(name, v.into()),
        }
    }

    /// A reference written with attributes only: XML `<name id="1" name="x"/>`, JSON an object.
    pub fn reference(&mut self, name: &str, attrs: &[(&str, Val)]) {
        match self.format {
            Format::Json => {
                self.json_key(name);
                self.json_object(attrs);
            }
            Format::Xml => self.empty_tag(name, attrs),
        }
    }

    /// A reference inside an array.
    pub fn reference_item(&mut self, name: &str, attrs: &[(&str, Val)]) {
        match self.format {
            Format::Json => {
                self.comma();
                self.json_object(attrs);
            }
            Format::Xml => self.empty_tag(name, attrs),
        }
    }

    /// XML only: an element with attributes and children (`<custom_field id=".." name="..">`).
    /// JSON: an object whose first keys are the attributes.
    pub fn begin_with_attrs(&mut self, name: &str, attrs: &[(&str, Val)]) {
        match self.format {
            Format::Json => {
                self.comma();
                self.out.push(b'{');
                self.first.push(true);
                for (k, v) in attrs {
                    self.field(k, *v);
                }
            }
            Format::Xml => self.open_tag(name, attrs),
        }
    }

    fn json_object(&mut self, attrs: &[(&str, Val)]) {
        self.out.push(b'{');
        self.first.push(true);
        for (k, v) in attrs {
            self.field(k, *v);
        }
        self.first.pop();
        self.out.push(b'}');
    }

    fn json_value(&mut self, v: Val) {
        match v {
            Val::Null => self.out.extend_from_slice(b"null"),
            Val::Bool(true) => self.out.extend_from_slice(b"true"),
            Val::Bool(false) => self.out.extend_from_slice(b"false"),
            Val::Int(i) => self.out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
            Val::Str(s) | Val::Decimal(s) => json_string_into(&mut self.out, s),
        }
    }

    fn open_tag(&mut self, name: &str, attrs: &[(&str, Val)]) {
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        self.xml_attrs(attrs);
        self.out.push(b'>');
    }

    fn empty_tag(&mut self, name: &str, attrs: &[(&str, Val)]) {
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        self.xml_attrs(attrs);
        self.out.extend_from_slice(b"/>");
    }

    fn close_tag(&mut self, name: &str) {
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
    }

    fn xml_attrs(&mut self, attrs: &[(&str, Val)]) {
        for (k, v) in attrs {
            self.out.push(b' ');
            self.out.extend_from_slice(k.as_bytes());
            self.out.extend_from_slice(b"=\"");
            self.xml_scalar(*v, true);
            self.out.push(b'"');
        }
    }

    fn xml_field(&mut self, name: &str, v: Val) {
        if let Val::Null = v {
            self.empty_tag(name, &[]);
            return;
        }
        self.open_tag(name, &[]);
        self.xml_scalar(v, false);
        self.close_tag(name);
    }

    fn xml_scalar(&mut self, v: Val, in_attribute: bool) {
        match v {
            Val::Null => {}
            Val::Bool(b) => self.out.extend_from_slice(if b { b"true" } else { b"false" }),
            Val::Int(i) => self.out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
            Val::Str(s) | Val::Decimal(s) => xml_escape_into(&mut self.out, s, in_attribute),
        }
    }
}

/// `s` as a JSON string, escaped exactly as serde_json escapes it (`"`, `\\` and the control
/// characters; `\u00xx` in lower case where there is no short form). Runs of plain bytes are
/// copied whole, found with one table look-up per byte: rendering is on every read's path.
fn json_string_into(out: &mut Vec<u8>, s: &str) {
    /// Per byte: 0 for a plain byte, else the letter of its short escape, or `u` for `\u00xx`.
    static ESCAPE: [u8; 256] = {
        let mut table = [0u8; 256];
        let mut b = 0;
        while b < 0x20 {
            table[b] = b'u';
            b += 1;
        }
        table[0x08] = b'b';
        table[0x0c] = b'f';
        table[b'\n' as usize] = b'n';
        table[b'\r' as usize] = b'r';
        table[b'\t' as usize] = b't';
        table[b'"' as usize] = b'"';
        table[b'\\' as usize] = b'\\';
        table
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut plain_from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[b as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[plain_from..i]);
        match escape {
            b'u' => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]),
            letter => out.extend_from_slice(&[b'\\', letter]),
        }
        plain_from = i + 1;
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
}

/// Escapes `& < >` (and `"` in attributes) and drops the characters XML 1.0 cannot carry
/// (control characters other than tab, newline and carriage return; U+FFFE and U+FFFF), so
/// that any stored text yields a well-formed document. Runs of plain bytes are copied whole.
fn xml_escape_into(out: &mut Vec<u8>, s: &str, in_attribute: bool) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len());
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let (replacement, skipped): (&[u8], usize) = match bytes[i] {
            b'&' => (b"&amp;", 1),
            b'<' => (b"&lt;", 1),
            b'>' => (b"&gt;", 1),
            b'"' if in_attribute => (b"&quot;", 1),
            b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            0x00..=0x1f => (b"", 1),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xef if matches!(bytes.get(i + 1..i + 3), Some([0xbf, 0xbe | 0xbf])) => (b"", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[plain_from..i]);
        out.extend_from_slice(replacement);
        i += skipped;
        plain_from = i;
    }
    out.extend_from_slice(&bytes[plain_from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(format: Format) -> String {
        let mut d = Doc::new(format);
        d.begin_array("contacts", Some(Meta { total_count: 2, offset_limit: Some((0, 25)) }));
        d.begin_item("contact");
        d.field("id", 1);
        d.field("name", "a<b");
        d.field("none", Val::Null);
        d.reference("author", &[("id", Val::Int(1)), ("name", Val::Str("A \"q\""))]);
        d.end_item("contact");
        d.end_array("contacts");
        String::from_utf8(d.finish()).unwrap()
    }

    /// Texts that exercise every escaping rule: quotes, backslashes, each control character,
    /// multi-byte UTF-8 (including the neighbours of U+FFFE/U+FFFF, which share their lead byte).
    fn tricky_texts() -> Vec<String> {
        let mut texts: Vec<String> = (0u8..0x80).map(|b| format!("a{}b", b as char)).collect();
        texts.extend(
            [
                "",
                "plain",
                "\"q\" & <t> \\ /",
                "Jürgen Müller",
                "東京 😀",
                "\u{FFFD}\u{FFFE}\u{FFFF}\u{F000}\u{EFFF}x",
                "\u{7f}\u{80}",
            ]
            .map(String::from),
        );
        texts
    }

    #[test]
    fn json_strings_are_escaped_as_serde_json_escapes_them() {
        for text in tricky_texts() {
            let mut out = Vec::new();
            json_string_into(&mut out, &text);
            assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&text).unwrap(), "{text:?}");
        }
    }

    /// The rules of `xml_escape_into`, one character at a time.
    fn xml_escaped_by_chars(s: &str, in_attribute: bool) -> String {
        s.chars()
            .filter_map(|c| match c {
                '&' => Some("&amp;".to_string()),
                '<' => Some("&lt;".to_string()),
                '>' => Some("&gt;".to_string()),
                '"' if in_attribute => Some("&quot;".to_string()),
                '\t' | '\n' | '\r' => Some(c.to_string()),
                c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => None,
                c => Some(c.to_string()),
            })
            .collect()
    }

    #[test]
    fn xml_text_is_escaped_and_cleaned_character_by_character() {
        for text in tricky_texts() {
            for in_attribute in [false, true] {
                let mut out = Vec::new();
                xml_escape_into(&mut out, &text, in_attribute);
                assert_eq!(String::from_utf8(out).unwrap(), xml_escaped_by_chars(&text, in_attribute), "{text:?}");
            }
        }
    }

    #[test]
    fn json_list_puts_counters_after_the_array() {
        assert_eq!(
            sample(Format::Json),
            r#"{"contacts":[{"id":1,"name":"a<b","none":null,"author":{"id":1,"name":"A \"q\""}}],"total_count":2,"offset":0,"limit":25}"#
        );
    }

    #[test]
    fn xml_list_puts_counters_on_the_array_element() {
        assert_eq!(
            sample(Format::Xml),
            r#"<?xml version="1.0" encoding="UTF-8"?><contacts total_count="2" offset="0" limit="25" type="array"><contact><id>1</id><name>a&lt;b</name><none/><author id="1" name="A &quot;q&quot;"/></contact></contacts>"#
        );
    }
}
