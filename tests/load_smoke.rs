//! The load generator's smoke run: every benchmark scenario against the real server for a
//! fraction of a second (300 demo contacts, 2 connections), with no errors allowed.

use std::time::{Duration, Instant};

#[test]
fn every_load_scenario_answers_without_errors() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let report = contacts::loadgen::smoke(&dir.path().join("smoke.db"), env!("CARGO_BIN_EXE_contacts").as_ref())
        .expect("the smoke run starts");
    let took = started.elapsed();
    println!("{}", report.markdown());

    assert!(report.scenarios.len() >= 14, "only {} scenarios ran", report.scenarios.len());
    for s in &report.scenarios {
        assert!(s.stats.requests >= 1, "{}: no request completed", s.name);
        assert_eq!(
            s.stats.errors,
            0,
            "{}: {} errors of {} requests; first: {}",
            s.name,
            s.stats.errors,
            s.stats.requests,
            s.stats.first_error.as_deref().unwrap_or("?")
        );
        assert!(s.probe_error.is_none(), "{}: {}", s.name, s.probe_error.as_deref().unwrap_or(""));
    }
    // The gets are also run against their floor (bare server + one SQLite read per request).
    for s in report.scenarios.iter().filter(|s| s.name.starts_with("get_")) {
        let floor = s.floor.as_ref().unwrap_or_else(|| panic!("{}: no floor run", s.name));
        assert!(floor.requests >= 1 && floor.errors == 0, "{}: floor {floor:?}", s.name);
    }
    assert!(report.markdown().contains("Floor of a get"), "the report shows the floor");
    assert_eq!(report.startups.len(), 2, "each start of the server is timed");
    assert!(report.problems().is_empty(), "{:?}", report.problems());
    assert!(took < Duration::from_secs(5), "the smoke run took {took:?}");
}
