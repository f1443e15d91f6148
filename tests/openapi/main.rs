//! The API against its OpenAPI description (`openapi.json`), by schemathesis (PyPI
//! `schemathesis`, installed by `.ci/run`): the real binary on a fresh database, seeded with a
//! little of everything (`seed.rs`), then a bounded, reproducible schemathesis run over every
//! operation with the checks
//! - `not_a_server_error`: no 5xx, whatever is sent;
//! - `response_schema_conformance`: every answer matches its documented schema;
//! - `negative_data_rejection`: a request the schema forbids is refused (4xx);
//! - `positive_data_acceptance`: a request the schema allows is accepted (see
//!   `schemathesis.toml` for the 422s a schema cannot rule out).
//!
//! `hooks.py` keeps the run's own login and the seed's rich records from being destroyed
//! midway. Skipped, with a notice, where schemathesis is not installed. `OPENAPI_SEED` and
//! `OPENAPI_MAX_EXAMPLES` change the run, `OPENAPI_USER=jsmith` sends the seed's non-admin
//! member of `alpha` instead of the administrator (docs/RELIABILITY.md records what runs found).
//!
//! `openapi_json_is_built_from_its_source` checks that the committed document is what
//! `scripts/openapi/build.py` writes (skipped without python3).

#[allow(dead_code)]
#[path = "../api/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../crash/process.rs"]
mod process;
mod seed;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use process::Served;

const DEFAULT_SEED: &str = "20261";
const DEFAULT_MAX_EXAMPLES: &str = "8";
/// A run that takes longer than this is stopped and fails the test.
const RUN_LIMIT: Duration = Duration::from_secs(900);
const CHECKS: &str = "not_a_server_error,response_schema_conformance,negative_data_rejection,positive_data_acceptance";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn here() -> PathBuf {
    repo().join("tests/openapi")
}

fn available(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).output().is_ok_and(|o| o.status.success())
}

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[test]
fn openapi_json_is_built_from_its_source() {
    if !available("python3", "--version") {
        println!("NOTICE: python3 not found; openapi.json is not compared with scripts/openapi/");
        return;
    }
    let out = Command::new("python3")
        .arg(repo().join("scripts/openapi/build.py"))
        .arg("--check")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn schemathesis_finds_nothing() {
    if !available("schemathesis", "--version") {
        println!("NOTICE: schemathesis (PyPI) not found; the OpenAPI contract run is skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let served = Served::start(&dir.path().join("contacts.db"));
    seed::seed(served.addr);

    let seed = setting("OPENAPI_SEED", DEFAULT_SEED);
    let max_examples = setting("OPENAPI_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES);
    let url = format!("http://{}", served.addr);
    let api_key = match setting("OPENAPI_USER", "admin").as_str() {
        "admin" => common::ADMIN_KEY,
        "jsmith" => common::JSMITH_KEY,
        other => panic!("OPENAPI_USER: admin or jsmith, not {other}"),
    };
    let key = format!("X-Redmine-API-Key: {api_key}");
    let config = here().join("schemathesis.toml");
    let document = repo().join("openapi.json");
    let args: Vec<&str> = vec![
        "--config-file",
        config.to_str().unwrap(),
        "run",
        document.to_str().unwrap(),
        "--url",
        &url,
        "-H",
        &key,
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        &max_examples,
        "--seed",
        &seed,
        "--workers",
        "1",
        "--no-color",
    ];
    println!("schemathesis {}", args.join(" ").replace(api_key, "<key>"));
    let started = Instant::now();
    let mut child = Command::new("schemathesis")
        .args(&args)
        .current_dir(dir.path())
        .env("SCHEMATHESIS_HOOKS", here().join("hooks.py"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start schemathesis");
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll schemathesis") {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("schemathesis ran longer than {RUN_LIMIT:?}; stopped");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (out, err) = (out_reader.join().unwrap(), err_reader.join().unwrap());
    println!("{out}\n{err}\nschemathesis finished in {:.0?} ({status})", started.elapsed());
    assert!(
        status.success(),
        "schemathesis found problems (report above); the server's log ends:\n{}",
        served.log_tail()
    );
}
