//! CSV files: the plugin's contact export (columns chosen with `c[]`, a header row, UTF-8 with
//! a byte order mark) and imports with a header row, whose columns are recognised by name: the
//! plugin's captions and attribute names, and the header sets of Google Contacts, Outlook and
//! Apple/iCloud exports (a `--map column=field` overrides). `;` or `,` separated; UTF-8 with or
//! without BOM, or Windows-1252 (see `formats::scan`).

use std::collections::HashMap;
use std::io::Read;

use super::{decode, FormatError, Scan};
use crate::domain::exchange::{fold_name, normalize_birthday, Origin, Record};
use crate::domain::{join_tag_list, parse_tag_list, CustomField};

// ---------------------------------------------------------------------------------------------
// Writing

/// A column of an export.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    Field(&'static str),
    /// A custom field: id and name.
    Custom(i64, String),
}

/// Column keys (as `c[]=` names them) and their captions, in the order of `all_inline`.
const FIELDS: &[(&str, &str)] = &[
    ("id", "#"),
    ("is_company", "Is company"),
    ("first_name", "First Name"),
    ("middle_name", "Middle Name"),
    ("last_name", "Last Name"),
    ("company", "Company"),
    ("job_title", "Job title"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("website", "Website"),
    ("skype_name", "Skype"),
    ("birthday", "Birthday"),
    ("background", "Background"),
    ("tags", "Tags"),
    ("street1", "Street"),
    ("street2", "Street 2"),
    ("city", "City"),
    ("region", "Region"),
    ("postcode", "Postcode"),
    ("country", "Country"),
    ("assigned_to", "Assignee"),
    ("author", "Author"),
    ("created_on", "Created"),
    ("updated_on", "Updated"),
];

/// The columns when the request chooses none (the plugin's default list columns, with the
/// ways to reach the contact).
const DEFAULT_COLUMNS: &[&str] =
    &["id", "first_name", "last_name", "middle_name", "company", "job_title", "phone", "email", "tags"];

/// The columns `c[]` asks for: keys of [`FIELDS`], `cf_<id>`, the plugin's `name` (first,
/// middle and last name) and `address` (its parts), or `all_inline` for all of them and every
/// custom field; unknown names are skipped, as the plugin does.
pub fn columns(chosen: &[String], fields: &[CustomField]) -> Vec<Column> {
    let mut out = Vec::new();
    let add = |c: Column, out: &mut Vec<Column>| {
        if !out.contains(&c) {
            out.push(c);
        }
    };
    let names: Vec<&str> =
        if chosen.is_empty() { DEFAULT_COLUMNS.to_vec() } else { chosen.iter().map(String::as_str).collect() };
    for name in names {
        match name {
            "all_inline" | "all" => {
                for (key, _) in FIELDS {
                    add(Column::Field(key), &mut out);
                }
                for f in fields {
                    add(Column::Custom(f.id, f.name.clone()), &mut out);
                }
            }
            "name" => {
                for key in ["first_name", "middle_name", "last_name"] {
                    add(Column::Field(key), &mut out);
                }
            }
            "address" | "full_address" => {
                for key in ["street1", "street2", "city", "region", "postcode", "country"] {
                    add(Column::Field(key), &mut out);
                }
            }
            other => {
                if let Some((key, _)) = FIELDS.iter().find(|(k, _)| *k == other) {
                    add(Column::Field(key), &mut out);
                } else if let Some(f) = other
                    .strip_prefix("cf_")
                    .and_then(|id| id.parse::<i64>().ok())
                    .and_then(|id| fields.iter().find(|f| f.id == id))
                {
                    add(Column::Custom(f.id, f.name.clone()), &mut out);
                }
            }
        }
    }
    out
}

/// What a row shows besides its record.
pub struct Extras {
    pub id: i64,
    pub author: Option<String>,
    pub created_on: String,
    pub updated_on: String,
}

fn push_field(out: &mut String, value: &str) {
    if value.contains([',', ';', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ') {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// The byte order mark and the header row.
pub fn write_header(columns: &[Column], out: &mut String) {
    out.push('\u{feff}');
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let caption = match c {
            Column::Field(key) => FIELDS.iter().find(|(k, _)| k == key).map_or(*key, |(_, caption)| caption),
            Column::Custom(_, name) => name.as_str(),
        };
        push_field(out, caption);
    }
    out.push_str("\r\n");
}

/// One row.
pub fn write_row(columns: &[Column], r: &Record, extras: &Extras, out: &mut String) {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let value = match c {
            Column::Field(key) => match *key {
                "id" => extras.id.to_string(),
                "is_company" => if r.is_company { "1" } else { "0" }.to_string(),
                "first_name" => opt(&r.first_name),
                "middle_name" => opt(&r.middle_name),
                "last_name" => opt(&r.last_name),
                "company" => opt(&r.company),
                "job_title" => opt(&r.job_title),
                "phone" => r.phones.join(", "),
                "email" => r.emails.join(", "),
                "website" => opt(&r.website),
                "skype_name" => opt(&r.skype_name),
                "birthday" => opt(&r.birthday),
                "background" => opt(&r.background),
                "tags" => join_tag_list(&r.tags),
                "street1" => opt(&r.street1),
                "street2" => opt(&r.street2),
                "city" => opt(&r.city),
                "region" => opt(&r.region),
                "postcode" => opt(&r.postcode),
                "country" => r.country_display().unwrap_or_default(),
                "assigned_to" => opt(&r.assignee),
                "author" => opt(&extras.author),
                "created_on" => extras.created_on.clone(),
                "updated_on" => extras.updated_on.clone(),
                _ => String::new(),
            },
            Column::Custom(_, name) => {
                r.custom.iter().find(|(n, _)| n == name).map(|(_, v)| v.join(", ")).unwrap_or_default()
            }
        };
        push_field(out, &value);
    }
    out.push_str("\r\n");
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The field a column of an imported file fills.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    FirstName,
    MiddleName,
    LastName,
    /// A whole name ("Name", "Display Name"): split when no other column names the person.
    FullName,
    Company,
    JobTitle,
    /// Outlook's "Title" is an honorific; the job title only where nothing else gives one.
    TitleWeak,
    Phone,
    Email,
    Website,
    Skype,
    Birthday,
    Background,
    Tags,
    Street1,
    Street2,
    City,
    Region,
    Postcode,
    Country,
    IsCompany,
    Assignee,
    /// A custom field, by name.
    Custom(String),
}

/// The field a `--map` value names: an attribute name (`first_name`, `email`, `tags`,
/// `assigned_to`, …), a custom field's name, or `ignore` (Ok(None)).
pub fn target_named(name: &str, fields: &[CustomField]) -> Result<Option<Target>, String> {
    use Target::*;
    let t = match name.trim() {
        "ignore" | "" => return Ok(None),
        "first_name" => FirstName,
        "middle_name" => MiddleName,
        "last_name" => LastName,
        "name" | "full_name" => FullName,
        "company" => Company,
        "job_title" => JobTitle,
        "phone" => Phone,
        "email" => Email,
        "website" => Website,
        "skype_name" => Skype,
        "birthday" => Birthday,
        "background" => Background,
        "tags" | "tag_list" => Tags,
        "street1" | "street" => Street1,
        "street2" => Street2,
        "city" => City,
        "region" => Region,
        "postcode" => Postcode,
        "country" | "country_code" => Country,
        "is_company" => IsCompany,
        "assigned_to" | "assignee" => Assignee,
        other => {
            let folded = fold_name(other.trim_start_matches("cf:"));
            match fields.iter().find(|f| fold_name(&f.name) == folded) {
                Some(f) => Custom(f.name.clone()),
                None => return Err(format!("{other:?} names no field")),
            }
        }
    };
    Ok(Some(t))
}

/// The field a header names, if any.
pub fn target_of(header: &str, fields: &[CustomField]) -> Option<Target> {
    use Target::*;
    let h = fold_name(header);
    if let Some(f) = fields.iter().find(|f| fold_name(&f.name) == h) {
        return Some(Custom(f.name.clone()));
    }
    let any = |words: &[&str]| words.iter().any(|w| h.contains(w));
    let exact = match h.as_str() {
        "firstname" | "givenname" | "first" => Some(FirstName),
        "middlename" | "additionalname" | "middle" => Some(MiddleName),
        "lastname" | "familyname" | "surname" | "last" => Some(LastName),
        "name" | "fullname" | "displayname" | "fileas" => Some(FullName),
        "company" | "organization" | "organisation" | "organizationname" | "organization1name" | "org"
        | "companyname" => Some(Company),
        "jobtitle" | "organizationtitle" | "organization1title" | "position" => Some(JobTitle),
        "title" => Some(TitleWeak),
        "website" | "webpage" | "url" | "homepage" | "website1value" | "personalwebpage" | "web" => Some(Website),
        "skype" | "skypename" | "skypeusername" => Some(Skype),
        "birthday" | "bday" | "birthdate" | "dateofbirth" => Some(Birthday),
        "background" | "notes" | "note" => Some(Background),
        "tags" | "taglist" | "categories" | "labels" | "groupmembership" | "groups" => Some(Tags),
        "iscompany" => Some(IsCompany),
        "assignee" | "assignedto" | "assigned" => Some(Assignee),
        "countrycode" => Some(Country),
        _ => None,
    };
    if let Some(t) = exact {
        return Some(t);
    }
    // Labels and types of Google's and Outlook's numbered columns carry no value.
    if any(&["label", "type", "yomi", "phonetic", "displayname", "formatted", "pobox"]) {
        return None;
    }
    Some(match h.as_str() {
        _ if any(&["email", "mail"]) => Email,
        _ if any(&["phone", "fax", "mobile", "pager", "telephone"]) => Phone,
        _ if any(&["website", "webpage"]) => Website,
        _ if any(&["street2", "street3", "extendedaddress"]) => Street2,
        _ if any(&["street"]) => Street1,
        _ if any(&["city", "locality"]) => City,
        // "Business Country/Region" is a country.
        _ if any(&["country"]) => Country,
        _ if any(&["region", "state", "province"]) => Region,
        _ if any(&["postalcode", "postcode", "zip"]) => Postcode,
        _ => return None,
    })
}

/// The rows of a CSV file with a header row, as records with their line.
pub struct Rows<R: Read> {
    reader: csv::Reader<R>,
    targets: Vec<Option<Target>>,
    utf8: bool,
    record: csv::ByteRecord,
    failed: bool,
}

/// The separator of a header line: `;` when it has more of them than commas.
fn separator(header: &[u8]) -> u8 {
    let count = |c: u8| header.iter().filter(|b| **b == c).count();
    if count(b';') > count(b',') {
        b';'
    } else if count(b'\t') > count(b',') {
        b'\t'
    } else {
        b','
    }
}

impl<R: Read> Rows<R> {
    /// Reads the header row of `input` (whose bytes `scan` describes; `head` is its first
    /// line, for the separator) and maps its columns; `map` (header → field) overrides.
    pub fn new(
        input: R,
        scan: &Scan,
        head: &[u8],
        fields: &[CustomField],
        map: &HashMap<String, Option<Target>>,
    ) -> Result<Rows<R>, FormatError> {
        // Lines end at LF (a CR before it is cut off each field here): with CRLF as its terminator
        // the reader counts the lines of the rows after the first one short by one.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(separator(head))
            .terminator(csv::Terminator::Any(b'\n'))
            .flexible(true)
            .from_reader(input);
        let mut header = csv::ByteRecord::new();
        match reader.read_byte_record(&mut header) {
            Ok(true) => {}
            Ok(false) => return Err(FormatError::new(1, "the file is empty: a header row is expected")),
            Err(e) => return Err(error_of(e)),
        }
        let mut targets = Vec::new();
        for (i, raw) in header.iter().enumerate() {
            let mut name = decode(cut_cr(raw), scan.utf8);
            if i == 0 {
                name = name.trim_start_matches('\u{feff}').to_string();
            }
            let name = name.trim().to_string();
            let target = match map.get(&name).or_else(|| map.get(&name.to_lowercase())) {
                Some(t) => t.clone(),
                None => target_of(&name, fields),
            };
            targets.push(target);
        }
        if targets.iter().all(Option::is_none) {
            return Err(FormatError::new(1, "the header row names no known column (see --map)"));
        }
        if targets.contains(&Some(Target::JobTitle)) {
            for t in targets.iter_mut().filter(|t| **t == Some(Target::TitleWeak)) {
                *t = None;
            }
        }
        Ok(Rows { reader, targets, utf8: scan.utf8, record: csv::ByteRecord::new(), failed: false })
    }

    /// The columns recognised: (index, field).
    pub fn targets(&self) -> &[Option<Target>] {
        &self.targets
    }

    fn record_of_row(&self) -> Record {
        use Target::*;
        let mut r = Record::default();
        let mut full_name = None;
        let set = |slot: &mut Option<String>, v: &str| {
            if slot.is_none() && !v.is_empty() {
                *slot = Some(v.to_string());
            }
        };
        for (raw, target) in self.record.iter().zip(&self.targets) {
            let Some(target) = target else { continue };
            let value = decode(cut_cr(raw), self.utf8);
            let v = value.trim();
            if v.is_empty() {
                continue;
            }
            match target {
                FirstName => set(&mut r.first_name, v),
                MiddleName => set(&mut r.middle_name, v),
                LastName => set(&mut r.last_name, v),
                FullName => set(&mut full_name, v),
                Company => set(&mut r.company, v),
                JobTitle | TitleWeak => set(&mut r.job_title, v),
                Phone => r.phones.extend(split_multi(v)),
                Email => r.emails.extend(split_multi(v)),
                Website => set(&mut r.website, v),
                Skype => set(&mut r.skype_name, v),
                Birthday => r.birthday = r.birthday.take().or_else(|| normalize_birthday(v)),
                Background => {
                    if r.background.is_none() {
                        r.background = Some(value.replace("\r\n", "\n"));
                    }
                }
                Tags => {
                    for tag in split_tags(v) {
                        if !r.tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
                            r.tags.push(tag);
                        }
                    }
                }
                Street1 => set(&mut r.street1, v),
                Street2 => set(&mut r.street2, v),
                City => set(&mut r.city, v),
                Region => set(&mut r.region, v),
                Postcode => set(&mut r.postcode, v),
                Country => set(&mut r.country, v),
                IsCompany => r.is_company = matches!(v.to_lowercase().as_str(), "1" | "true" | "yes" | "y" | "x"),
                Assignee => set(&mut r.assignee, v),
                Custom(name) => {
                    let values: Vec<String> =
                        v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                    r.custom.push((name.clone(), values));
                }
            }
        }
        if r.first_name.is_none() && r.last_name.is_none() {
            if let Some(full) = full_name {
                match full.rsplit_once(' ').filter(|_| !r.is_company) {
                    Some((first, last)) => {
                        r.first_name = Some(first.trim().to_string());
                        r.last_name = Some(last.trim().to_string());
                    }
                    None => r.first_name = Some(full),
                }
            }
        }
        if r.is_company && r.first_name.is_none() {
            r.first_name = r.company.take();
        }
        r
    }
}

/// Several values in one cell: Google's ` ::: `, else commas (the plugin's lists).
fn split_multi(v: &str) -> Vec<String> {
    let parts: Vec<&str> = if v.contains(":::") { v.split(":::").collect() } else { v.split(',').collect() };
    parts.into_iter().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Tags: Google's ` ::: ` (its system groups, `* myContacts`, dropped), Outlook's `;`, else the
/// plugin's comma list.
fn split_tags(v: &str) -> Vec<String> {
    let parts: Vec<String> = if v.contains(":::") {
        v.split(":::").map(str::to_string).collect()
    } else if v.contains(';') {
        v.split(';').map(str::to_string).collect()
    } else {
        parse_tag_list(v)
    };
    parts
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty() && !t.starts_with("* ") && !t.eq_ignore_ascii_case("myContacts"))
        .collect()
}

/// A field without the CR of a CRLF line end.
fn cut_cr(field: &[u8]) -> &[u8] {
    field.strip_suffix(b"\r").unwrap_or(field)
}

fn error_of(e: csv::Error) -> FormatError {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            FormatError::new(line, format!("the row has {len} fields where the header has {expected_len}"))
        }
        csv::ErrorKind::Io(io) => FormatError::new(line, format!("cannot read the file: {io}")),
        _ => FormatError::new(line, format!("not a CSV file: {e}")),
    }
}

impl<R: Read> Iterator for Rows<R> {
    type Item = Result<(Origin, Record), FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let mut record = std::mem::take(&mut self.record);
            let read = self.reader.read_byte_record(&mut record);
            self.record = record;
            match read {
                Ok(false) => return None,
                Ok(true) => {
                    // A blank line between rows is no record.
                    if self.record.len() == 1 && self.record.get(0).is_some_and(|f| cut_cr(f).is_empty()) {
                        continue;
                    }
                    let line = self.record.position().map_or(0, |p| p.line());
                    if self.record.len() != self.targets.len() {
                        self.failed = true;
                        let (len, expected) = (self.record.len(), self.targets.len());
                        let message = format!("the row has {len} fields where the header has {expected}");
                        return Some(Err(FormatError::new(line, message)));
                    }
                    return Some(Ok((Origin { line, card: None }, self.record_of_row())));
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(error_of(e)));
                }
            }
        }
    }
}
