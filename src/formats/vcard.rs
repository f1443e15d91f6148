//! vCard files (RFC 2426 3.0, RFC 6350 4.0; 2.1 read): writing a [`Record`] as one card and
//! reading the cards of a file one by one. Parsing and writing are calcard's; this file maps
//! properties to the record's fields and cuts a file into cards itself, so that each card's
//! first line and number are known (errors name them), a truncated card is caught, and memory
//! holds one card at a time.
//!
//! What calcard cannot do, done here: it parses `&str` only, so lines that carry raw 8-bit text
//! in another charset (`N;CHARSET=ISO-8859-1:Müller` written in Latin-1, no encoding) are
//! transcoded to UTF-8 with encoding_rs before the card is handed over (quoted-printable and
//! base64 values with `CHARSET=` are calcard's own); its writer escapes a CR as `\r`, so CRLF
//! in values is written as LF.

use std::io::BufRead;

use calcard::common::PartialDateTime;
use calcard::vcard::{
    VCard, VCardEntry, VCardKind, VCardParameter, VCardProperty, VCardType, VCardValue, VCardVersion,
};

use super::{FormatError, MAX_LINE};
use crate::domain::exchange::{normalize_birthday, vcard_property_of, Origin, Record};

/// The longest card accepted (an inline photo makes a card large).
const MAX_CARD: usize = 32 * 1024 * 1024;

/// The version of the cards written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V3,
    V4,
}

fn text(s: &str) -> VCardValue {
    if s.contains('\r') {
        VCardValue::Text(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        VCardValue::Text(s.to_string())
    }
}

fn entry(name: VCardProperty, values: Vec<VCardValue>) -> VCardEntry {
    VCardEntry::new(name).with_values(values)
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// Appends the card of `r` to `out` (CRLF line ends, lines folded at 75 octets).
pub fn write(r: &Record, version: Version, out: &mut String) {
    let v4 = version == Version::V4;
    let mut card = VCard::default();
    let mut push = |e: VCardEntry| card.entries.push(e);
    let first = opt(&r.first_name);
    if r.is_company {
        if v4 {
            push(VCardEntry::new(VCardProperty::Kind).with_value(VCardKind::Org));
        }
        push(entry(VCardProperty::Fn, vec![text(first)]));
        push(entry(VCardProperty::N, vec![text(""), text(""), text(""), text(""), text("")]));
        push(entry(VCardProperty::Org, vec![text(first)]));
        if !v4 {
            push(entry(VCardProperty::Other("X-ABSHOWAS".into()), vec![text("COMPANY")]));
        }
    } else {
        let full: Vec<&str> =
            [first, opt(&r.middle_name), opt(&r.last_name)].into_iter().filter(|s| !s.is_empty()).collect();
        push(entry(VCardProperty::Fn, vec![text(&full.join(" "))]));
        push(entry(
            VCardProperty::N,
            vec![text(opt(&r.last_name)), text(first), text(opt(&r.middle_name)), text(""), text("")],
        ));
        if let Some(company) = r.company.as_deref().filter(|c| !c.is_empty()) {
            push(entry(VCardProperty::Org, vec![text(company)]));
        }
    }
    if let Some(t) = r.job_title.as_deref().filter(|t| !t.is_empty()) {
        push(entry(VCardProperty::Title, vec![text(t)]));
    }
    for phone in &r.phones {
        push(entry(VCardProperty::Tel, vec![text(phone)]).with_param(VCardParameter::typ(VCardType::Work)));
    }
    for email in &r.emails {
        let e = entry(VCardProperty::Email, vec![text(email)]);
        push(if v4 { e } else { e.with_param(VCardParameter::typ("INTERNET".to_string())) });
    }
    let address = [&r.street1, &r.street2, &r.city, &r.region, &r.postcode, &r.country];
    if address.iter().any(|p| p.as_deref().is_some_and(|s| !s.is_empty())) {
        let country = r.country_display().unwrap_or_default();
        push(
            entry(
                VCardProperty::Adr,
                vec![
                    text(""),
                    text(opt(&r.street2)),
                    text(opt(&r.street1)),
                    text(opt(&r.city)),
                    text(opt(&r.region)),
                    text(opt(&r.postcode)),
                    text(&country),
                ],
            )
            .with_param(VCardParameter::typ(VCardType::Work)),
        );
    }
    if let Some(b) = r.birthday.as_deref().and_then(date_of) {
        push(entry(VCardProperty::Bday, vec![VCardValue::PartialDateTime(b)]));
    }
    if let Some(n) = r.background.as_deref().filter(|n| !n.is_empty()) {
        push(entry(VCardProperty::Note, vec![text(n)]));
    }
    if let Some(u) = r.website.as_deref().filter(|u| !u.is_empty()) {
        push(entry(VCardProperty::Url, vec![text(u)]));
    }
    if let Some(s) = r.skype_name.as_deref().filter(|s| !s.is_empty()) {
        push(entry(VCardProperty::Other("X-SKYPE".into()), vec![text(s)]));
    }
    if !r.tags.is_empty() {
        push(entry(VCardProperty::Categories, r.tags.iter().map(|t| text(t)).collect()));
    }
    if let Some(login) = r.assignee.as_deref() {
        push(entry(VCardProperty::Other("X-REDMINE-ASSIGNEE".into()), vec![text(login)]));
    }
    for (name, values) in &r.custom {
        for v in values {
            push(entry(VCardProperty::Other(vcard_property_of(name)), vec![text(v)]));
        }
    }
    let version = if v4 { VCardVersion::V4_0 } else { VCardVersion::V3_0 };
    // Writing into a String cannot fail.
    let _ = card.write_to(out, version);
}

/// `YYYY-MM-DD` as a vCard date.
fn date_of(s: &str) -> Option<PartialDateTime> {
    let mut parts = s.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.get(..2)?.parse().ok()?;
    Some(PartialDateTime { year: Some(year), month: Some(month), day: Some(day), ..Default::default() })
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The cards of a vCard file, one at a time, with their origin.
pub struct Cards<R> {
    input: R,
    line: u64,
    cards: u64,
    failed: bool,
}

impl<R: BufRead> Cards<R> {
    pub fn new(input: R) -> Cards<R> {
        Cards { input, line: 0, cards: 0, failed: false }
    }

    /// The next physical line (CR/LF stripped, transcoded to UTF-8 when it is not), or None
    /// at the end of the file.
    fn next_line(&mut self, charset: &mut Option<String>) -> Result<Option<String>, FormatError> {
        let mut buf = Vec::new();
        let read = std::io::Read::take(&mut self.input, MAX_LINE as u64 + 1).read_until(b'\n', &mut buf);
        let n = read.map_err(|e| FormatError::new(self.line + 1, format!("cannot read the file: {e}")))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
            return Err(FormatError::new(self.line, format!("the line is longer than {} MiB", MAX_LINE >> 20)));
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.contains(&0) {
            return Err(FormatError::new(self.line, "binary data, not a vCard file"));
        }
        let continued = matches!(buf.first(), Some(b' ' | b'\t'));
        if !continued {
            *charset = charset_of(&buf);
        }
        Ok(Some(match String::from_utf8(buf) {
            Ok(s) => s,
            Err(e) => {
                let bytes = e.into_bytes();
                let encoding = charset
                    .as_deref()
                    .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
                    .unwrap_or(encoding_rs::WINDOWS_1252);
                encoding.decode_without_bom_handling(&bytes).0.into_owned()
            }
        }))
    }

    fn next_card(&mut self) -> Result<Option<(Origin, Record)>, FormatError> {
        let mut charset = None;
        // Skip blank lines to the card's BEGIN.
        let begin_line = loop {
            let Some(line) = self.next_line(&mut charset)? else { return Ok(None) };
            let t = line.trim_start_matches('\u{feff}').trim();
            if t.is_empty() {
                continue;
            }
            if t.eq_ignore_ascii_case("BEGIN:VCARD") {
                break self.line;
            }
            return Err(FormatError::new(self.line, "expected BEGIN:VCARD: this is not a vCard file"));
        };
        self.cards += 1;
        let mut card = String::from("BEGIN:VCARD\r\n");
        loop {
            let Some(line) = self.next_line(&mut charset)? else {
                return Err(FormatError::new(
                    begin_line,
                    format!("card {} has no END:VCARD: the file is truncated", self.cards),
                ));
            };
            let t = line.trim();
            if t.eq_ignore_ascii_case("BEGIN:VCARD") {
                return Err(FormatError::new(
                    self.line,
                    format!("card {} has no END:VCARD before the next card", self.cards),
                ));
            }
            card.push_str(&line);
            card.push_str("\r\n");
            if card.len() > MAX_CARD {
                return Err(FormatError::new(
                    begin_line,
                    format!("card {} is larger than {} MiB", self.cards, MAX_CARD >> 20),
                ));
            }
            if t.eq_ignore_ascii_case("END:VCARD") {
                break;
            }
        }
        let parsed = VCard::parse(&card)
            .map_err(|e| FormatError::new(begin_line, format!("card {} is not a valid vCard: {e:?}", self.cards)))?;
        Ok(Some((Origin { line: begin_line, card: Some(self.cards) }, record_of(&parsed))))
    }
}

impl<R: BufRead> Iterator for Cards<R> {
    type Item = Result<(Origin, Record), FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = self.next_card().transpose();
        if matches!(next, Some(Err(_))) {
            self.failed = true;
        }
        next
    }
}

/// The `CHARSET=` parameter of a property line (before its first colon).
fn charset_of(line: &[u8]) -> Option<String> {
    let head = &line[..line.iter().position(|b| *b == b':').unwrap_or(line.len())];
    let head = String::from_utf8_lossy(head);
    head.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"').to_string())
    })
}

fn value_text(v: &VCardValue) -> Option<String> {
    match v {
        VCardValue::Text(s) => Some(s.clone()),
        VCardValue::Component(items) => Some(items.join(",")),
        VCardValue::Integer(i) => Some(i.to_string()),
        VCardValue::Float(f) => Some(f.to_string()),
        VCardValue::Boolean(b) => Some(b.to_string()),
        VCardValue::PartialDateTime(d) => match (d.year, d.month, d.day) {
            (Some(y), Some(m), Some(d)) => Some(format!("{y:04}-{m:02}-{d:02}")),
            _ => None,
        },
        _ => None,
    }
}

/// The n-th value of a structured property (`N`, `ADR`, `ORG`), trimmed; "" when absent.
fn component(e: &VCardEntry, n: usize) -> String {
    e.values.get(n).and_then(value_text).map(|s| s.trim().to_string()).unwrap_or_default()
}

fn nonempty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn is_work(e: &VCardEntry) -> bool {
    e.params.iter().any(|p| format!("{:?}", p.value).to_ascii_lowercase().contains("work"))
}

/// The record a parsed card describes.
pub fn record_of(card: &VCard) -> Record {
    let mut r = Record::default();
    let mut full_name = None;
    let mut org = None;
    let mut address: Option<&VCardEntry> = None;
    let mut notes: Vec<String> = Vec::new();
    for e in &card.entries {
        let first_text =
            || e.values.first().and_then(value_text).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        match &e.name {
            VCardProperty::N => {
                r.last_name = nonempty(component(e, 0));
                r.first_name = nonempty(component(e, 1));
                r.middle_name = nonempty(component(e, 2));
            }
            VCardProperty::Fn => full_name = first_text(),
            VCardProperty::Org => org = nonempty(component(e, 0)),
            VCardProperty::Title => r.job_title = r.job_title.take().or_else(first_text),
            VCardProperty::Role => r.job_title = r.job_title.take().or_else(first_text),
            VCardProperty::Tel => {
                if let Some(t) = first_text() {
                    r.phones.push(t.trim_start_matches("tel:").to_string());
                }
            }
            VCardProperty::Email => {
                if let Some(t) = first_text() {
                    r.emails.push(t.trim_start_matches("mailto:").to_string());
                }
            }
            VCardProperty::Adr => {
                if address.is_none() || (is_work(e) && !address.is_some_and(is_work)) {
                    address = Some(e);
                }
            }
            VCardProperty::Bday => r.birthday = first_text().and_then(|b| normalize_birthday(&b)),
            VCardProperty::Note => notes.extend(first_text()),
            VCardProperty::Url => r.website = r.website.take().or_else(first_text),
            VCardProperty::Categories => {
                for v in &e.values {
                    if let Some(t) = value_text(v).map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
                        r.tags.push(t);
                    }
                }
            }
            VCardProperty::Photo => r.had_photo = true,
            VCardProperty::Kind => {
                if matches!(e.values.first(), Some(VCardValue::Kind(VCardKind::Org))) {
                    r.is_company = true;
                }
            }
            VCardProperty::Impp => {
                if let Some(s) = first_text().and_then(|t| t.strip_prefix("skype:").map(str::to_string)) {
                    r.skype_name = Some(s);
                }
            }
            VCardProperty::Other(name) => {
                let upper = name.to_ascii_uppercase();
                match upper.as_str() {
                    "X-ABSHOWAS" => r.is_company |= first_text().is_some_and(|t| t.eq_ignore_ascii_case("company")),
                    "X-SKYPE" | "X-SKYPE-USERNAME" => r.skype_name = first_text(),
                    "X-REDMINE-ASSIGNEE" => r.assignee = first_text(),
                    // Apple's item labels and the like are no custom fields.
                    _ if upper.starts_with("X-AB")
                        || upper.starts_with("X-ANDROID")
                        || upper.starts_with("X-PHONETIC") => {}
                    _ => {
                        if let (Some(field), Some(v)) = (upper.strip_prefix("X-"), first_text()) {
                            match r.custom.iter_mut().find(|(n, _)| n == field) {
                                Some((_, values)) => values.push(v),
                                None => r.custom.push((field.to_string(), vec![v])),
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(a) = address {
        let street = component(a, 2);
        let (street1, more) = match street.split_once('\n') {
            Some((one, rest)) => (one.trim().to_string(), rest.trim().replace('\n', ", ")),
            None => (street, String::new()),
        };
        r.street1 = nonempty(street1);
        r.street2 = nonempty(component(a, 1)).or_else(|| nonempty(more));
        r.city = nonempty(component(a, 3));
        r.region = nonempty(component(a, 4));
        r.postcode = nonempty(component(a, 5));
        r.country = nonempty(component(a, 6));
    }
    if !notes.is_empty() {
        r.background = Some(notes.join("\n"));
    }
    if r.is_company {
        r.first_name = org.or(full_name);
        r.last_name = None;
        r.middle_name = None;
    } else {
        r.company = org;
        if r.first_name.is_none() && r.last_name.is_some() {
            // `N:Smith;;;;`: the plugin requires a first name, so the only name moves there.
            r.first_name = r.last_name.take();
        }
        if r.first_name.is_none() && r.last_name.is_none() {
            // No N: the formatted name, its last word as the last name.
            if let Some(full) = full_name {
                match full.rsplit_once(' ') {
                    Some((first, last)) => {
                        r.first_name = Some(first.trim().to_string());
                        r.last_name = Some(last.trim().to_string());
                    }
                    None => r.first_name = Some(full),
                }
            }
        }
    }
    r
}
