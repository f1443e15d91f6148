//! The load generator's smoke run: every benchmark scenario against the real server for a
//! fraction of a second (300 demo contacts, 2 connections), with no errors allowed; and the
//! load generator's own unit tests (it is compiled here and into the bench).

use std::time::Duration;

// The load generator lives with the bench (it is no part of the product); its unit tests run
// here too.
#[path = "../benches/loadgen/mod.rs"]
mod loadgen;

#[test]
fn every_load_scenario_answers_without_errors() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let options = loadgen::smoke_options(dir.path().join("smoke.db"), env!("CARGO_BIN_EXE_contacts"));
    let report = loadgen::bench(&options).expect("the smoke run starts");
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
}

#[test]
fn percentiles_and_baseline_sizes() {
    use loadgen::driver::percentile;
    let v: Vec<u32> = (1..=1000).collect();
    assert_eq!((percentile(&v, 50.0), percentile(&v, 99.0), percentile(&v, 99.9)), (500, 990, 999));
    assert_eq!(percentile(&[], 50.0), 0);
    use loadgen::baseline_size;
    assert_eq!(
        (baseline_size(0), baseline_size(87), baseline_size(1234), baseline_size(31_560)),
        (0, 87, 1200, 32_000)
    );
}

#[test]
fn start_ups_are_summed_up_by_first_median_and_slowest() {
    use loadgen::report::startup_summary;
    let ms = Duration::from_millis;
    assert_eq!(
        startup_summary(&[ms(90), ms(5), ms(7), ms(6), ms(8)]),
        "first 90.0 ms, median 7.0 ms, slowest 90.0 ms of 5 starts"
    );
    assert_eq!(startup_summary(&[ms(12)]), "12.0 ms");
    assert_eq!(startup_summary(&[]), "not measured");
}

#[test]
fn the_floor_reads_the_contact_a_get_names() {
    use loadgen::bare::contact_id_in;
    assert_eq!(contact_id_in("/contacts/42.json"), Some(42));
    assert_eq!(contact_id_in("/contacts/7.xml"), Some(7));
    assert_eq!(contact_id_in("/contacts/9"), Some(9));
    assert_eq!(contact_id_in("/contacts.json"), None);
    assert_eq!(contact_id_in("/contacts/x.json"), None);
}

#[test]
fn the_prng_is_deterministic_per_connection() {
    use loadgen::scenarios::ConnState;
    let (mut a, mut b, mut c) = (ConnState::new(7, 0), ConnState::new(7, 0), ConnState::new(7, 1));
    let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
    assert_eq!(xs, (0..4).map(|_| b.next_u64()).collect::<Vec<_>>());
    assert_ne!(xs, (0..4).map(|_| c.next_u64()).collect::<Vec<_>>());
    assert!((0..100).all(|_| a.below(7) < 7));
}
