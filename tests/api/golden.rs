//! The shared golden cases: real answers of Redmine CRM, replayed against our server by the
//! project's `replay.py`. Every case must pass.

use std::process::Command;

use super::common::Server;

#[test]
fn every_golden_case_passes() {
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/golden/replay.py");
    assert!(std::path::Path::new(shared).exists(), "the golden cases are expected at {shared}");
    let server = Server::start();
    let out = Command::new("python3")
        .args([shared, "--url", &server.url(), "--seed", "--strict-timestamps"])
        .output()
        .expect("python3 runs replay.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failures: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("PASS")).collect();
    assert!(
        out.status.success(),
        "golden replay failed:\n{}\n{}",
        failures.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
