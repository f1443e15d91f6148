//! `cargo bench --bench exchange -- [--contacts N] [--keep]`
//!
//! Export and import speed (issue 15), measured on the real `contacts` executable in its own
//! process, each run on fresh copies of demo databases (`contacts demo`, seed 42):
//!
//! 1. export: `contacts export` of the whole source database (N contacts) as CSV
//!    (`--columns all_inline`) and as vCard 3.0;
//! 2. import into an empty database: the CSV into a copy of a demo database with no contacts
//!    (its projects and custom fields, so that every column but the assignee maps: the
//!    `Assignee` column is mapped to `ignore`, the smaller demo has fewer users): the bulk path;
//! 3. import into a full one: the same CSV into a copy of the source database, which holds N
//!    contacts already: the writer's path, one transaction.
//!
//! Each line gives contacts per second (wall time of the process, start-up included) and the
//! process's peak resident memory (VmHWM from /proc, read until it exits). Without `--bench`
//! (`cargo test --benches`) it runs once on 500 contacts as a smoke check.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cargo bench --bench exchange -- [--contacts N] [--keep]";

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_contacts"))
}

/// Peak resident memory of a process in KiB (VmHWM), None once it is gone.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `contacts ARGS`; (wall time, peak RSS in MiB). Panics when it fails.
fn run(args: &[&str]) -> (Duration, f64) {
    // What the steps before wrote (a 1.2 GB copy, the exported files) is flushed first, so
    // that a run is not charged with their writeback.
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let started = Instant::now();
    let mut child = Command::new(exe())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start contacts");
    let pid = child.id();
    // Read both pipes while it runs: a full pipe would stall it.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if let Some(kib) = peak_kib(pid) {
            peak = peak.max(kib);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let (stdout, stderr) = (stdout.join().unwrap_or_default(), stderr.join().unwrap_or_default());
    if !status.success() {
        panic!("contacts {args:?} failed: {status:?}\n{stdout}{}", &stderr[..stderr.len().min(4000)]);
    }
    eprint!("{stdout}");
    (elapsed, peak as f64 / 1024.0)
}

fn copy(from: &Path, to: &Path) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
    }
    std::fs::copy(from, to).expect("copy the database");
}

fn demo(path: &Path, contacts: usize) {
    if path.exists() {
        return;
    }
    let started = Instant::now();
    run(&["demo", "--contacts", &contacts.to_string(), "--db", path.to_str().unwrap()]);
    eprintln!("generated {} ({contacts} contacts) in {:.1} s", path.display(), started.elapsed().as_secs_f64());
}

fn line(what: &str, contacts: usize, (elapsed, peak): (Duration, f64)) -> String {
    let rate = contacts as f64 / elapsed.as_secs_f64();
    format!("| {what} | {contacts} | {:.2} | {rate:.0} | {peak:.0} |", elapsed.as_secs_f64())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let mut contacts = if bench { 100_000 } else { 500 };
    let mut keep = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--contacts" => match it.next().and_then(|n| n.parse().ok()) {
                Some(n) => contacts = n,
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::FAILURE;
                }
            },
            "--keep" => keep = true,
            "--bench" => {}
            other => {
                eprintln!("unknown argument {other}\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let source = target.join(format!("bench-exchange-{contacts}.db"));
    let reference = target.join("bench-exchange-0.db");
    demo(&source, contacts);
    demo(&reference, 0);
    let scratch = tempfile::tempdir_in(&target).expect("scratch dir");
    let dir = scratch.path();
    let (csv, vcf) = (dir.join("contacts.csv"), dir.join("contacts.vcf"));
    let (empty, full) = (dir.join("empty.db"), dir.join("full.db"));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    copy(&source, &full);
    let mut rows = Vec::new();
    let export_csv = run(&["export", "--format", "csv", "--columns", "all_inline", "--db", &s(&full), "-o", &s(&csv)]);
    rows.push(line("export CSV (all columns)", contacts, export_csv));
    let export_vcf = run(&["export", "--format", "vcf", "--db", &s(&full), "-o", &s(&vcf)]);
    rows.push(line("export vCard 3.0", contacts, export_vcf));
    copy(&reference, &empty);
    // The reference database has the projects, custom fields and tags, not all the users.
    let ignore = ["--map", "Assignee=ignore"];
    let into_empty = run(&["import", &s(&csv), "--project", "1", ignore[0], ignore[1], "--db", &s(&empty)]);
    rows.push(line("import CSV into an empty database (bulk)", contacts, into_empty));
    let into_full = run(&["import", &s(&csv), "--project", "1", ignore[0], ignore[1], "--db", &s(&full)]);
    rows.push(line(&format!("import CSV into one holding {contacts} (writer)"), contacts, into_full));
    let mb = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1048576.0);
    println!("CSV {:.0} MB, vCard {:.0} MB", mb(&csv), mb(&vcf));
    println!("| run | contacts | seconds | contacts/s | peak RSS MB |");
    println!("|---|---:|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
    if keep {
        let kept = scratch.keep();
        println!("files kept in {}", kept.display());
    }
    ExitCode::SUCCESS
}
