//! The exchange commands (issue 15): `contacts export`, `contacts import` and
//! `contacts duplicates`. Each works on a database file that no server has open (a running
//! server locks its file: the command then says so and points to `--url`), or, for export and
//! import, through a running server's HTTP API (`--url http://host:port --key KEY`).
//!
//! An import into a file without contacts goes through `store::bulk` (fastest); otherwise
//! through the store's writer, in one transaction either way. A progress bar shows on a
//! terminal (indicatif hides it elsewhere); a one-line summary ends every import.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;

use crate::domain::principal::{Credentials, Principal};
use crate::domain::query::ContactQuery;
use crate::error::{Error, Result};
use crate::exchange::import::{self, Context, Options, Report, Sink};
use crate::exchange::{Export, ExportFormat};
use crate::formats::csv::{columns, target_named};
use crate::formats::vcard::Version;
use crate::formats::Kind;
use crate::store::{Store, Tuning};

/// Where the contacts are: a database file, or a running server.
#[derive(Args, Clone, Debug)]
pub struct Target {
    /// The database file (no server may have it open).
    #[arg(long, env = "CONTACTS_DB", default_value = "contacts.db")]
    pub db: PathBuf,
    /// A running server instead (`http://127.0.0.1:3000`); needs --key.
    #[arg(long)]
    pub url: Option<String>,
    /// The API key for --url.
    #[arg(long, env = "CONTACTS_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// vcf or csv.
    #[arg(long, default_value = "vcf")]
    pub format: String,
    /// Only the contacts of this project (id or identifier) and its subprojects.
    #[arg(long)]
    pub project: Option<String>,
    /// List filters as the API takes them: `tags=vip&search=ann`, `set_filter=1&f[]=…`.
    #[arg(long)]
    pub query: Option<String>,
    /// CSV columns (`first_name,email,cf_1` or `all_inline`); the plugin's defaults otherwise.
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// vCard version: 3.0 or 4.0.
    #[arg(long, default_value = "3.0")]
    pub version: String,
    /// The file to write (standard output otherwise).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The vCard or CSV file.
    pub file: PathBuf,
    /// The project the contacts go to (id or identifier).
    #[arg(long)]
    pub project: String,
    /// vcf or csv (from the file's name or first bytes otherwise).
    #[arg(long)]
    pub format: Option<String>,
    /// Import the valid records and report the others (default: one invalid record aborts).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Validate and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Update contacts whose primary e-mail matches instead of adding duplicates.
    #[arg(long)]
    pub update_existing: bool,
    /// A CSV column's field: `--map "Vorname=first_name"` (`ignore` skips the column).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Args, Debug)]
pub struct DuplicatesArgs {
    /// Only the contacts of this project (id or identifier) and its subprojects.
    #[arg(long)]
    pub project: Option<String>,
    /// The database file (no server may have it open).
    #[arg(long, env = "CONTACTS_DB", default_value = "contacts.db")]
    pub db: PathBuf,
}

fn open_store(db: &Path) -> Result<Store> {
    if !db.exists() {
        return Err(Error::Internal(format!("{} does not exist", db.display())));
    }
    // No list index or trigram census: each list is read once here (`Tuning::background_indexes`).
    Store::open_tuned(db, 2, Tuning { background_indexes: false, ..Tuning::default() }).map_err(|e| match e {
        Error::Internal(m) if m.contains("in use") => {
            Error::Internal(format!("{m}; stop it, or go through it with --url and --key"))
        }
        other => other,
    })
}

/// The administrator (the local commands act as `admin`).
fn admin(store: &Store) -> Result<Arc<Principal>> {
    let user = store.user_by_login("admin")?.ok_or_else(|| Error::Internal("the database has no admin".into()))?;
    store.principal(&Credentials { api_key: user.api_key, fingerprint: 0x5eed_c0de, ..Default::default() })
}

/// The contacts of a project subtree, or all: the project's ids.
fn project_subtree(store: &Store, project: Option<&str>) -> Result<Option<(i64, Vec<i64>)>> {
    match project {
        Some(p) => {
            let project = store.project(p).map_err(|_| Error::Internal(format!("there is no project {p}")))?;
            Ok(Some((project.id, store.project_subtree(project.id)?.to_vec())))
        }
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------------------------
// export

pub async fn export(args: ExportArgs) -> Result<()> {
    let kind = Kind::from_name(&args.format).ok_or_else(|| Error::Internal("--format is vcf or csv".into()))?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Error::Internal(format!("cannot write {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let write_err = |e: std::io::Error| Error::Internal(format!("cannot write: {e}"));
    if let Some(url) = &args.target.url {
        let mut query = args.query.clone().unwrap_or_default();
        let mut add = |k: &str, v: &str| {
            query.push_str(&format!("{}{}={}", if query.is_empty() { "" } else { "&" }, k, encode(v)));
        };
        if kind == Kind::Vcard {
            add("version", &args.version);
        }
        for c in &args.columns {
            add("c[]", c);
        }
        let path = match &args.project {
            Some(p) => format!("/projects/{}/contacts.{}", encode(p), args.format),
            None => format!("/contacts.{}", args.format),
        };
        let (status, body) = http(url, args.target.key.as_deref(), "GET", &format!("{path}?{query}"), None, &[])?;
        if status != 200 {
            return Err(Error::Internal(format!("the server answered {status}: {}", String::from_utf8_lossy(&body))));
        }
        out.write_all(&body).map_err(write_err)?;
        return out.flush().map_err(write_err);
    }
    let store = open_store(&args.target.db)?;
    let principal = admin(&store)?;
    let fields = store.custom_fields("contact")?;
    let mut query = ContactQuery::new(principal.contact_visibility());
    query.projects = project_subtree(&store, args.project.as_deref())?.map(|(_, tree)| tree);
    if let Some(q) = &args.query {
        let params = crate::http::params::parse_urlencoded(q.as_bytes())?;
        query.apply_params(&params, &principal, &fields)?;
    }
    let format = match kind {
        Kind::Vcard => ExportFormat::Vcard(if args.version.starts_with('4') { Version::V4 } else { Version::V3 }),
        Kind::Csv => ExportFormat::Csv(columns(&args.columns, &fields)),
    };
    let started = Instant::now();
    let ids = store.contact_list_ids(&query)?;
    let count = ids.len();
    for chunk in Export::new(&store, ids, format)? {
        out.write_all(&chunk?).map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    eprintln!("Exported {count} contacts in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// import

fn file_opener(path: &Path) -> import::Opener {
    let path = path.to_path_buf();
    Arc::new(move || {
        let file = std::fs::File::open(&path)?;
        Ok(Box::new(BufReader::with_capacity(256 * 1024, file)) as Box<dyn BufRead + Send>)
    })
}

fn progress_bar() -> Option<import::Progress> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} lines {per_sec} eta {eta}") {
        bar.set_style(style);
    }
    Some(Box::new(move |line, total| {
        bar.set_length(total);
        bar.set_position(line);
        if line >= total {
            bar.finish_and_clear();
        }
    }))
}

/// The one-line summary, and the refused records (on standard error).
fn summarize(file: &Path, report: &Report, elapsed: f64) {
    for r in &report.rejected {
        let at = match r.origin.card {
            Some(card) => format!("line {} (card {card})", r.origin.line),
            None => format!("line {}", r.origin.line),
        };
        for (field, message) in &r.problems {
            eprintln!("{}: {at}: {field} {message}", file.display());
        }
    }
    if let Some(e) = &report.failure {
        eprintln!("{}: {e}", file.display());
    }
    let verb = if report.dry_run {
        "Checked"
    } else if report.written {
        "Imported"
    } else {
        "Imported nothing of"
    };
    println!(
        "{verb} {} records from {}: {} created, {} updated, {} refused, {} photos dropped, in {elapsed:.1} s ({:.0} records/s)",
        report.total,
        file.display(),
        report.created,
        report.updated,
        report.rejected_count,
        report.photos_dropped,
        report.total as f64 / elapsed.max(1e-9)
    );
}

pub async fn import(args: ImportArgs) -> Result<bool> {
    let started = Instant::now();
    let kind = match &args.format {
        Some(f) => Some(Kind::from_name(f).ok_or_else(|| Error::Internal("--format is vcf or csv".into()))?),
        None => None,
    };
    if let Some(url) = &args.target.url {
        return import_remote(&args, url, kind);
    }
    let store = open_store(&args.target.db)?;
    let project =
        store.project(&args.project).map_err(|_| Error::Internal(format!("there is no project {}", args.project)))?;
    let fields = store.custom_fields("contact")?;
    let mut map = HashMap::new();
    for m in &args.map {
        let (column, field) =
            m.split_once('=').ok_or_else(|| Error::Internal(format!("--map {m:?} is not COLUMN=FIELD")))?;
        map.insert(
            column.trim().to_string(),
            target_named(field, &fields).map_err(|e| Error::Internal(format!("--map: {e}")))?,
        );
    }
    let author = store.user_by_login("admin")?.map_or(1, |u| u.id);
    let context = Context { fields, users: store.user_ids_by_login()?, project_id: project.id, author_id: author };
    let options = Options {
        kind,
        file_name: args.file.file_name().map(|n| n.to_string_lossy().into_owned()),
        skip_invalid: args.skip_invalid,
        dry_run: args.dry_run,
        update_existing: args.update_existing,
        map,
    };
    let sink = if store.has_no_contacts()? && !args.update_existing && !args.dry_run {
        // The bulk load writes on a connection of its own: close the store first.
        drop(store);
        Sink::Bulk(args.target.db.clone())
    } else {
        Sink::Store(store)
    };
    let report = import::run(file_opener(&args.file), context, options, sink, progress_bar()).await?;
    summarize(&args.file, &report, started.elapsed().as_secs_f64());
    Ok(report.succeeded(args.skip_invalid))
}

fn import_remote(args: &ImportArgs, url: &str, kind: Option<Kind>) -> Result<bool> {
    let started = Instant::now();
    let body =
        std::fs::read(&args.file).map_err(|e| Error::Internal(format!("cannot read {}: {e}", args.file.display())))?;
    let kind = kind.unwrap_or_else(|| Kind::guess(args.file.to_str(), &body));
    let content_type = if kind == Kind::Vcard { "text/vcard" } else { "text/csv" };
    let mut query = format!("project_id={}", encode(&args.project));
    for (flag, on) in
        [("skip_invalid", args.skip_invalid), ("dry_run", args.dry_run), ("update_existing", args.update_existing)]
    {
        if on {
            query.push_str(&format!("&{flag}=1"));
        }
    }
    for m in &args.map {
        query.push_str(&format!("&map[]={}", encode(m)));
    }
    let path = format!("/contacts/import.json?{query}");
    let (status, answer) =
        http(url, args.target.key.as_deref(), "POST", &path, Some(&body), &[("Content-Type", content_type)])?;
    let json: serde_json::Value = serde_json::from_slice(&answer)
        .map_err(|_| Error::Internal(format!("the server answered {status}: {}", String::from_utf8_lossy(&answer))))?;
    let r = &json["import"];
    if r.is_null() {
        return Err(Error::Internal(format!("the server answered {status}: {json}")));
    }
    for e in r["errors"].as_array().into_iter().flatten() {
        eprintln!(
            "{}: line {}: {} {}",
            args.file.display(),
            e["line"],
            e["field"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("")
        );
    }
    let n = |k: &str| r[k].as_u64().unwrap_or(0);
    println!(
        "{} {} records from {} through {url}: {} created, {} updated, {} refused, in {:.1} s",
        if r["written"] == true { "Imported" } else { "Imported nothing of" },
        n("total"),
        args.file.display(),
        n("created"),
        n("updated"),
        n("rejected"),
        started.elapsed().as_secs_f64()
    );
    Ok(status == 200)
}

// ---------------------------------------------------------------------------------------------
// duplicates

pub async fn duplicates(args: DuplicatesArgs) -> Result<()> {
    let store = open_store(&args.db)?;
    let scope = project_subtree(&store, args.project.as_deref())?;
    let groups = store.duplicate_groups(scope.as_ref().map(|(_, tree)| tree.as_slice()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for group in &groups {
        let contacts = store.contacts(group)?;
        let line: Vec<String> = contacts
            .iter()
            .map(|c| {
                let email = c.emails().first().map(|e| format!(" <{e}>")).unwrap_or_default();
                format!("#{} {}{email}", c.id, c.reference_name())
            })
            .collect();
        let _ = writeln!(out, "{}", line.join(", "));
    }
    eprintln!("{} groups of likely duplicates", groups.len());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 client for --url (plain http)

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One request; (status, body).
fn http(
    url: &str,
    key: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> Result<(u16, Vec<u8>)> {
    let fail = |what: String| Error::Internal(what);
    let host =
        url.strip_prefix("http://").ok_or_else(|| fail("--url must start with http://".into()))?.trim_end_matches('/');
    let key = key.ok_or_else(|| fail("--url needs --key".into()))?;
    let mut stream = std::net::TcpStream::connect(host).map_err(|e| fail(format!("cannot connect to {host}: {e}")))?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Redmine-API-Key: {key}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.map_or(0, <[u8]>::len)));
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body.unwrap_or_default()))
        .map_err(|e| fail(format!("cannot send: {e}")))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| fail(format!("cannot read the answer: {e}")))?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| fail("not an HTTP answer".into()))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status =
        head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| fail("not an HTTP answer".into()))?;
    let mut body = raw[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        let stop = (start + size).min(data.len());
        out.extend_from_slice(&data[start..stop]);
        data = data.get(stop + 2..).unwrap_or_default();
    }
    out
}
