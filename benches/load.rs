//! `cargo bench --bench load -- [--contacts N] [--db PATH] [--duration SECS] [--connections C]
//! [--scenario NAME] [--seed S] [--server PATH] [--smoke]`
//!
//! Benchmarks the real server (the `contacts` executable, in its own process; see
//! `loadgen/`) and prints a Markdown table.
//! Without `--bench` on the command line (i.e. under `cargo test --benches`), and with
//! `--smoke`, it runs the smoke check instead: every scenario for ~0.1 s at 2 connections on
//! 300 contacts, failing when any scenario had errors or no requests.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod loadgen;

use loadgen::BenchOptions;

const USAGE: &str = "usage: cargo bench --bench load -- [--contacts N] [--db PATH] [--duration SECS] \
[--connections C] [--scenario NAME] [--seed S] [--server PATH] [--smoke]";

struct Args {
    contacts: Option<usize>,
    db: Option<PathBuf>,
    duration: Option<f64>,
    connections: Option<usize>,
    scenario: Option<String>,
    seed: Option<u64>,
    /// Another `contacts` executable to measure (an earlier build, for an A/B comparison).
    server: Option<PathBuf>,
    smoke: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        contacts: None,
        db: None,
        duration: None,
        connections: None,
        scenario: None,
        seed: None,
        server: None,
        smoke: false,
    };
    // `cargo bench` adds `--bench`; the bench profile is what tells a real run from a test run.
    let bench = args.iter().any(|x| x == "--bench");
    a.smoke = !bench;
    let mut it = args.iter();
    fn value<'a>(it: &mut std::slice::Iter<'a, String>, flag: &str) -> Result<&'a String, String> {
        it.next().ok_or_else(|| format!("{flag} needs a value"))
    }
    fn number<T: std::str::FromStr>(v: &str, flag: &str) -> Result<T, String> {
        v.parse().map_err(|_| format!("{flag}: not a number: {v}"))
    }
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let take = |it: &mut std::slice::Iter<'_, String>| -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => value(it, flag).cloned(),
            }
        };
        match flag {
            "--contacts" => a.contacts = Some(number(&take(&mut it)?, flag)?),
            "--db" => a.db = Some(PathBuf::from(take(&mut it)?)),
            "--duration" => a.duration = Some(number(&take(&mut it)?, flag)?),
            "--connections" => a.connections = Some(number(&take(&mut it)?, flag)?),
            "--scenario" => a.scenario = Some(take(&mut it)?),
            "--seed" => a.seed = Some(number(&take(&mut it)?, flag)?),
            "--server" => a.server = Some(PathBuf::from(take(&mut it)?)),
            "--smoke" => a.smoke = true,
            "--bench" => {}
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let args = match parse(&argv[1..]) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let contacts = args.contacts.unwrap_or(if args.smoke { 300 } else { 10_000 });
    let db = args.db.clone().unwrap_or_else(|| PathBuf::from(format!("target/bench-{contacts}.db")));
    // Cargo builds the service's executable for benches and names it here.
    let server = args.server.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_contacts")));
    let mut o = if args.smoke {
        let mut o = loadgen::smoke_options(db, server);
        o.contacts = contacts;
        o
    } else {
        BenchOptions::new(db, contacts, server)
    };
    if let Some(secs) = args.duration {
        if !(secs > 0.0 && secs.is_finite()) {
            eprintln!("--duration must be positive");
            return ExitCode::from(2);
        }
        o.duration = Duration::from_secs_f64(secs);
        if !args.smoke {
            o.baseline = Some(o.duration);
        }
    }
    if let Some(c) = args.connections {
        o.connections = c.max(1);
    }
    if let Some(s) = args.seed {
        o.seed = s;
    }
    o.scenario = args.scenario.clone();

    let shown: Vec<&str> = argv[1..].iter().map(String::as_str).filter(|a| *a != "--bench").collect();
    if !args.smoke {
        eprintln!(
            "preparing {} ({} contacts), then {} scenarios × {:.1} s (+ baseline) at {} connections…",
            o.db.display(),
            o.contacts,
            o.scenario.as_deref().map_or("all".to_string(), |s| format!("the `{s}`")),
            o.duration.as_secs_f64(),
            o.connections
        );
    }
    let report = match loadgen::bench(&o) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("load benchmark failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("## Load benchmark{}", if args.smoke { " (smoke)" } else { "" });
    println!();
    if argv.iter().any(|a| a == "--bench") {
        println!("Command: `cargo bench --bench load -- {}`", shown.join(" "));
    }
    println!("Binary: `{}`", argv.join(" "));
    print!("{}", report.markdown());
    let problems = report.problems();
    if args.smoke && !problems.is_empty() {
        eprintln!("smoke run failed:");
        for p in &problems {
            eprintln!("  {p}");
        }
        return ExitCode::FAILURE;
    }
    if !problems.is_empty() {
        eprintln!("{} scenario(s) had errors (see Failures above)", problems.len());
    }
    ExitCode::SUCCESS
}
