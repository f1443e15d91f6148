//! Import and export pipelines (issue 15), shared by the API (`api/exchange.rs`) and the
//! command line (`cli.rs`): files (`formats`) ↔ records and validation (`domain::exchange`)
//! ↔ storage (`Store`, or `store::bulk` for an empty file). Nothing here knows HTTP.
//!
//! An export loads its list's contacts a page at a time and hands out the file in chunks, so
//! a million contacts are never in memory. An import reads the file once on a thread of its
//! own, validating each record as `POST /contacts` would, while the store writes what it sends
//! in one transaction; a refused record (unless `skip_invalid`) or a broken file makes it roll
//! back, so nothing is ever half imported.

pub mod import;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;

use crate::domain::exchange::Record;
use crate::domain::time::iso;
use crate::domain::CustomField;
use crate::error::Result;
use crate::formats::csv::{self as csv_format, Column, Extras};
use crate::formats::vcard::{self, Version};
use crate::store::Store;

/// Contacts loaded (and written out) at a time.
const EXPORT_PAGE: usize = 500;

/// What an export writes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportFormat {
    Vcard(Version),
    Csv(Vec<Column>),
}

impl ExportFormat {
    pub fn content_type(&self) -> &'static str {
        match self {
            ExportFormat::Vcard(_) => "text/vcard; charset=utf-8",
            ExportFormat::Csv(_) => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(&self) -> &'static str {
        match self {
            ExportFormat::Vcard(_) => "vcf",
            ExportFormat::Csv(_) => "csv",
        }
    }
}

/// An export of the contacts `ids` (in that order), as chunks of the file.
pub struct Export {
    store: Store,
    ids: Vec<i64>,
    next: usize,
    format: ExportFormat,
    fields: Arc<Vec<CustomField>>,
    logins: HashMap<i64, String>,
    header_done: bool,
}

impl Export {
    pub fn new(store: &Store, ids: Vec<i64>, format: ExportFormat) -> Result<Export> {
        Ok(Export {
            fields: store.custom_fields("contact")?,
            logins: store.user_logins()?,
            store: store.clone(),
            ids,
            next: 0,
            format,
            header_done: false,
        })
    }

    /// The next chunk of the file; None after the last.
    pub fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        let mut out = String::new();
        if !self.header_done {
            self.header_done = true;
            if let ExportFormat::Csv(columns) = &self.format {
                csv_format::write_header(columns, &mut out);
            }
        }
        if self.next >= self.ids.len() {
            return Ok((!out.is_empty()).then(|| Bytes::from(out)));
        }
        let end = (self.next + EXPORT_PAGE).min(self.ids.len());
        let page = self.store.contacts(&self.ids[self.next..end])?;
        self.next = end;
        out.reserve(page.len() * 400);
        for contact in &page {
            let record = Record::of_contact(contact, &self.fields, &self.logins);
            match &self.format {
                ExportFormat::Vcard(version) => vcard::write(&record, *version, &mut out),
                ExportFormat::Csv(columns) => {
                    let extras = Extras {
                        id: contact.id,
                        author: contact.author.as_ref().map(|a| a.name.clone()),
                        created_on: iso(contact.created_on),
                        updated_on: iso(contact.updated_on),
                    };
                    csv_format::write_row(columns, &record, &extras, &mut out);
                }
            }
        }
        Ok(Some(Bytes::from(out)))
    }

    /// The whole file at once (one contact's card).
    pub fn whole(mut self) -> Result<Vec<u8>> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next_chunk()? {
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }
}

impl Iterator for Export {
    type Item = Result<Bytes>;

    fn next(&mut self) -> Option<Result<Bytes>> {
        self.next_chunk().transpose()
    }
}
