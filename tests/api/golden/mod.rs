//! The golden cases: answers of the reference system (Redmine 5.0.4 with redmine_contacts
//! 4.2.6) kept in `tests/golden/` (its `ORIGIN.md` says where they come from, its `README.md`
//! what they hold), replayed against a fresh server as the team's `replay.py` replays them with
//! `--seed --strict-timestamps`. Every case must pass; a failure names each failing case with
//! its first difference (path, expected, got).
//!
//! `json` and `xml` read bodies as replay.py reads them, `compare` compares one answer with
//! the expected one, `replay` seeds a server and replays a folder, `checks` shows that the
//! comparison catches differences.
//!
//! To set this replay beside replay.py's, start a server on a fresh database and run
//! `GOLDEN_URL=http://127.0.0.1:PORT cargo test --test api golden::against_url -- --ignored
//! --nocapture`; `GOLDEN_DIR` names another golden folder, `GOLDEN_CASES` another cases folder,
//! `GOLDEN_ADMIN_KEY` the server's admin key when it is not the fixture's, `GOLDEN_STRICT=0`
//! turns strict timestamps off.

mod checks;
mod compare;
mod json;
mod replay;
mod xml;

use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};

use self::json::Json;
use self::replay::{read_json, Options};
use super::common::{Server, ADMIN_KEY};

/// The golden folder kept in the repository.
const REPO_GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
/// The team's shared golden folder beside the repository, where new cases arrive.
const SHARED_GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/golden");

#[test]
fn every_golden_case_in_the_repository_passes() {
    assert_passes(&Options::folder(Path::new(REPO_GOLDEN)));
}

/// The shared cases too, when shared/ is beside the repository, so that a case the team adds
/// there is checked before it is copied in.
#[test]
fn every_golden_case_in_shared_passes_when_present() {
    let dir = Path::new(SHARED_GOLDEN);
    if !dir.join("cases").is_dir() {
        println!("skipped: no shared golden cases at {}", dir.display());
        return;
    }
    assert_passes(&Options::folder(dir));
}

/// Replays against a server started by hand (see the module's doc); not part of `cargo test`.
#[test]
#[ignore]
fn against_url() {
    let url = std::env::var("GOLDEN_URL").expect("GOLDEN_URL=http://127.0.0.1:PORT");
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let addr = host.to_socket_addrs().expect("a host:port").next().expect("an address");
    let dir = std::env::var("GOLDEN_DIR").map_or(PathBuf::from(REPO_GOLDEN), PathBuf::from);
    let mut opts = Options::folder(&dir);
    if let Ok(cases) = std::env::var("GOLDEN_CASES") {
        opts.cases = cases.into();
    }
    opts.admin_key = std::env::var("GOLDEN_ADMIN_KEY").ok();
    opts.strict_timestamps = std::env::var("GOLDEN_STRICT").map_or(true, |v| v != "0");
    let report = replay::run(addr, &opts).unwrap_or_else(|e| panic!("{e}"));
    println!("{}", report.text());
}

/// Seeds a fresh server and replays; panics with the failing cases.
fn assert_passes(opts: &Options) -> replay::Report {
    let server = Server::start();
    // The server's key: the cases' copy of the fixture's key is replaced should the two differ.
    let opts = Options { admin_key: Some(ADMIN_KEY.to_string()), ..opts.clone() };
    let report = replay::run(server.addr, &opts).unwrap_or_else(|e| panic!("{}: {e}", opts.cases.display()));
    println!("{}", report.text());
    assert!(report.ok(), "golden replay of {}:\n{}", opts.cases.display(), report.failures());
    // Every case file ran and passed: counted apart from the replay's own loading, so that a
    // case it skipped (a misnamed file, say) cannot go unnoticed.
    let cases = case_files(&opts.cases);
    let passed = report.lines.iter().filter(|l| l.starts_with("PASS ")).count();
    assert!(cases > 0, "no cases in {}", opts.cases.display());
    assert_eq!((passed, report.passed), (cases, cases), "{cases} case files, PASS lines:\n{}", report.text());
    assert_eq!(report.lines.last(), Some(&format!("{cases} passed, 0 failed")));
    report
}

/// How many case files `dir` holds: every `.json` file but the settings (`_suite.json`).
fn case_files(dir: &Path) -> usize {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json") && !name.starts_with('_'))
        .count()
}

/// A case file that the replay does not load (its name lacks the number) fails the count.
#[test]
fn a_case_file_the_replay_skips_fails_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = tmp.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    let case = edited_case("16-show-json.json", str::to_string);
    std::fs::write(cases.join("01-show.json"), &case).unwrap();
    std::fs::write(cases.join("show-again.json"), &case).unwrap();
    let opts = Options { cases, ..Options::folder(Path::new(REPO_GOLDEN)) };
    let failed = std::panic::catch_unwind(|| assert_passes(&opts)).expect_err("a skipped case file went unnoticed");
    let message = failed.downcast_ref::<String>().map_or("", String::as_str);
    assert!(message.contains("2 case files"), "{message}");
}

/// A copy of a repository case with `edit` applied to its expected body.
fn edited_case(from: &str, edit: impl Fn(&str) -> String) -> String {
    let mut case = read_json(&Path::new(REPO_GOLDEN).join("cases").join(from)).unwrap();
    let body = case.get_mut("expect").and_then(|e| e.get_mut("body")).expect("an expected body");
    *body = Json::Str(edit(body.as_str().unwrap()));
    case.dumps(false)
}

#[test]
fn an_edited_expected_answer_fails_with_its_first_difference() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = tmp.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    let edits: [(&str, &str, &str, &str); 6] = [
        ("01-same-json", "16-show-json.json", "", ""),
        ("02-value-json", "16-show-json.json", r#""first_name":"Tom""#, r#""first_name":"Thomas""#),
        (
            "03-order-json",
            "16-show-json.json",
            r#""first_name":"Tom","last_name":"Smith""#,
            r#""last_name":"Smith","first_name":"Tom""#,
        ),
        ("04-missing-json", "16-show-json.json", r#""middle_name":"J","#, ""),
        (
            "05-attribute-order-xml",
            "15-show-xml.json",
            r#"<author id="1" name="Redmine Admin"/>"#,
            r#"<author name="Redmine Admin" id="1"/>"#,
        ),
        (
            "06-fraction-xml",
            "15-show-xml.json",
            "<created_on>2026-11-27T19:54:31Z",
            "<created_on>2026-11-27T19:54:31.000Z",
        ),
    ];
    for (name, from, old, new) in edits {
        let text = edited_case(from, |b| if old.is_empty() { b.to_string() } else { b.replacen(old, new, 1) });
        std::fs::write(cases.join(format!("{name}.json")), text).unwrap();
    }
    let server = Server::start();
    let opts = Options { cases, ..Options::folder(Path::new(REPO_GOLDEN)) };
    let report = replay::run(server.addr, &opts).unwrap();
    let expected = [
        "PASS 01-same-json",
        "FAIL 02-value-json",
        r#"    body $.contact.first_name: expected "Thomas", got "Tom""#,
        "FAIL 03-order-json",
        "    body $.contact: key order differs at key 3: expected 'last_name', got 'first_name' (expected order id, is_company, \
         last_name, first_name, middle_name, company, website, skype_name, birthday, job_title, background, autho...)",
        "FAIL 04-missing-json",
        "    body $.contact: keys differ: missing [], unexpected ['middle_name']",
        "FAIL 05-attribute-order-xml",
        "    body /contact/author[1]: attributes: expected ['name', 'id'], got ['id', 'name']",
        "FAIL 06-fraction-xml",
        "    body /contact/created_on[1] text: expected '<timestamp.fffZ>', got '<timestampZ>'",
        "1 passed, 5 failed",
    ];
    assert_eq!(report.lines, expected, "{}", report.text());
}

/// A cases folder whose `_suite.json` says `"starts_after": "shared"` continues from the state
/// the shared cases leave: here a copy of the last list, which only matches after them.
#[test]
fn a_suite_after_shared_replays_the_shared_cases_first() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = tmp.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    std::fs::write(cases.join("_suite.json"), r#"{"starts_after": "shared"}"#).unwrap();
    let case = edited_case("55-list-after-delete-json.json", str::to_string);
    std::fs::write(cases.join("01-list-after-all.json"), case).unwrap();
    let opts = Options { cases, ..Options::folder(Path::new(REPO_GOLDEN)) };
    let report = assert_passes(&opts);
    let shared = replay::load_cases(&opts.shared_cases).unwrap().len();
    assert_eq!(report.lines[0], format!("# replayed the {shared} shared cases first (0 of them differed)"));
    assert_eq!(report.lines[1..], ["PASS 01-list-after-all", "1 passed, 0 failed"]);
}
