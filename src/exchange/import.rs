//! The import pipeline: a file read once on a blocking thread, each record validated as
//! `POST /contacts` validates (Redmine's messages), the valid ones streamed to the store's
//! single writer (or to `store::bulk` for an empty file) in one transaction. The default is
//! all or nothing: the first refused record stops the writes (the rest is still read, so that
//! the report names every refused record) and the transaction is rolled back.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

use crate::domain::exchange::{Origin, Record, Rejection};
use crate::domain::CustomField;
use crate::error::{Error, Result};
use crate::formats::csv::{Rows, Target};
use crate::formats::vcard::Cards;
use crate::formats::{scan, FormatError, Kind};
use crate::store::{bulk, ImportCounts, ImportItem, Store};

/// Refused records listed in a report at most (the rest are counted).
pub const MAX_LISTED: usize = 10_000;
/// Records in flight between the reader and the writer: batches of `BATCH`.
const QUEUE: usize = 4096;
const BATCH: usize = 256;

/// Opens the file anew (it is read more than once: its encoding first).
pub type Opener = Arc<dyn Fn() -> std::io::Result<Box<dyn BufRead + Send>> + Send + Sync>;
/// Told the line reached and the file's number of lines.
pub type Progress = Box<dyn Fn(u64, u64) + Send>;

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// None: from the file's name, else its first bytes.
    pub kind: Option<Kind>,
    pub file_name: Option<String>,
    pub skip_invalid: bool,
    pub dry_run: bool,
    pub update_existing: bool,
    /// Header → field (None: ignore the column), over the recognised names.
    pub map: HashMap<String, Option<Target>>,
}

/// What the imported contacts get besides their file's fields.
#[derive(Clone)]
pub struct Context {
    pub fields: Arc<Vec<CustomField>>,
    /// Lower-case login → user id.
    pub users: HashMap<String, i64>,
    pub project_id: i64,
    pub author_id: i64,
}

/// Where valid records go.
pub enum Sink {
    Store(Store),
    /// A file that holds no contacts, through `store::bulk` (no service may have it open).
    Bulk(PathBuf),
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Records read.
    pub total: u64,
    pub created: u64,
    pub updated: u64,
    /// Refused records (the first [`MAX_LISTED`]).
    pub rejected: Vec<Rejection>,
    pub rejected_count: u64,
    /// Photos read and dropped (there is no photo storage).
    pub photos_dropped: u64,
    /// The file is not what it claims: nothing was written.
    pub failure: Option<FormatError>,
    /// Whether the store committed anything.
    pub written: bool,
    pub dry_run: bool,
}

impl Report {
    /// Whether the import went as asked (nothing refused, or refusals skipped).
    pub fn succeeded(&self, skip_invalid: bool) -> bool {
        self.failure.is_none() && (skip_invalid || self.rejected_count == 0)
    }
}

/// The records of a file of `kind`.
fn records(
    open: &Opener,
    kind: Kind,
    utf8: bool,
    fields: &[CustomField],
    map: &HashMap<String, Option<Target>>,
) -> std::result::Result<Box<dyn Iterator<Item = std::result::Result<(Origin, Record), FormatError>>>, FormatError> {
    let io = |e: std::io::Error| FormatError::new(0, format!("cannot read the file: {e}"));
    match kind {
        Kind::Vcard => Ok(Box::new(Cards::new(open().map_err(io)?))),
        Kind::Csv => {
            let mut head = Vec::new();
            open().map_err(io)?.take(64 * 1024).read_until(b'\n', &mut head).map_err(io)?;
            let scan = crate::formats::Scan { utf8, bom: false, lines: 0, bytes: 0 };
            Ok(Box::new(Rows::new(open().map_err(io)?, &scan, &head, fields, map)?))
        }
    }
}

/// Reads every record, sends the valid ones while the import may still write, and ends the
/// stream with `Done` or `Abort`.
fn read_all(
    open: Opener,
    context: Context,
    options: Options,
    progress: Option<Progress>,
    send: Option<std::sync::mpsc::SyncSender<ImportItem>>,
) -> Report {
    let mut report = Report { dry_run: options.dry_run, ..Default::default() };
    let mut batch = Vec::with_capacity(BATCH);
    let finish = |report: &Report, send: &Option<std::sync::mpsc::SyncSender<ImportItem>>, batch: Vec<_>| {
        if let Some(send) = send {
            let item = match (&report.failure, report.rejected_count) {
                (Some(e), _) => ImportItem::Abort(e.to_string()),
                (None, n) if n > 0 && !options.skip_invalid => ImportItem::Abort(format!("{n} records were refused")),
                _ if batch.is_empty() => ImportItem::Done,
                _ => match send.send(ImportItem::Contacts(batch)) {
                    Ok(()) => ImportItem::Done,
                    Err(_) => return,
                },
            };
            let _ = send.send(item);
        }
    };
    let scanned = match open() {
        Ok(input) => scan(input),
        Err(e) => Err(FormatError::new(0, format!("cannot read the file: {e}"))),
    };
    let scanned = match scanned {
        Ok(s) => s,
        Err(e) => {
            report.failure = Some(e);
            finish(&report, &send, batch);
            return report;
        }
    };
    let kind = options.kind.unwrap_or_else(|| {
        let mut head = Vec::new();
        if let Ok(input) = open() {
            let _ = input.take(256).read_to_end(&mut head);
        }
        Kind::guess(options.file_name.as_deref(), &head)
    });
    let iter = match records(&open, kind, scanned.utf8, &context.fields, &options.map) {
        Ok(iter) => iter,
        Err(e) => {
            report.failure = Some(e);
            finish(&report, &send, batch);
            return report;
        }
    };
    for item in iter {
        let (origin, record) = match item {
            Ok(read) => read,
            Err(e) => {
                report.failure = Some(e);
                break;
            }
        };
        report.total += 1;
        if let Some(progress) = &progress {
            if report.total % 1024 == 0 {
                progress(origin.line, scanned.lines);
            }
        }
        if record.had_photo {
            report.photos_dropped += 1;
        }
        match record.validated(&context.fields, &context.users, context.project_id) {
            Ok(mut changes) => {
                changes.author_id = Some(context.author_id);
                let writing = options.skip_invalid || report.rejected_count == 0;
                if let (Some(send), true) = (&send, writing) {
                    batch.push(changes);
                    if batch.len() == BATCH
                        && send
                            .send(ImportItem::Contacts(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))
                            .is_err()
                    {
                        // The writer failed: its error is the import's.
                        return report;
                    }
                }
            }
            Err(problems) => {
                report.rejected_count += 1;
                if report.rejected.len() < MAX_LISTED {
                    report.rejected.push(Rejection { origin, problems });
                }
            }
        }
    }
    if let Some(progress) = &progress {
        progress(scanned.lines, scanned.lines);
    }
    finish(&report, &send, batch);
    report
}

/// A dry run on the calling thread: every record read and validated as [`run`] does, nothing
/// written. For the fuzz targets, which have no runtime and must reach the reader directly.
pub fn check(open: Opener, context: Context, options: Options) -> Report {
    read_all(open, context, Options { dry_run: true, ..options }, None, None)
}

/// Imports the file `open` reads into `sink` (or nowhere for a dry run) and reports.
pub async fn run(
    open: Opener,
    context: Context,
    options: Options,
    sink: Sink,
    progress: Option<Progress>,
) -> Result<Report> {
    let join = |e: tokio::task::JoinError| Error::Internal(format!("the import stopped: {e}"));
    if options.dry_run {
        let read = tokio::task::spawn_blocking(move || read_all(open, context, options, progress, None));
        return read.await.map_err(join);
    }
    let (send, receive) = sync_channel::<ImportItem>(QUEUE / BATCH);
    let update_existing = options.update_existing;
    let reader = tokio::task::spawn_blocking(move || read_all(open, context, options, progress, Some(send)));
    let written: Result<ImportCounts> = match sink {
        Sink::Store(store) => store.import_contacts(receive, update_existing).await,
        Sink::Bulk(path) => tokio::task::spawn_blocking(move || bulk::import_contacts(&path, receive))
            .await
            .map_err(join)
            .and_then(|r| r),
    };
    let mut report = reader.await.map_err(join)?;
    match written {
        Ok(counts) => {
            report.created = counts.created;
            report.updated = counts.updated;
            report.written = true;
        }
        // Rolled back as the reader asked: the report says why.
        Err(Error::Validation(_)) if report.failure.is_some() || report.rejected_count > 0 => {}
        Err(e) => return Err(e),
    }
    Ok(report)
}
