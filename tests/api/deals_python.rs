//! A real client: python-redmine (`redminelib`) runs a whole deals session against the server
//! (`tests/clients/python_redmine_deals.py`). Skipped, with a notice, where Python or the
//! library is missing (`.ci/run` installs them).

use std::process::Command;

use super::common::{Server, ADMIN_KEY};

fn redminelib_available() -> bool {
    Command::new("python3").args(["-c", "import redminelib"]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn python_redmine_runs_a_whole_deals_session() {
    if !redminelib_available() {
        println!(
            "NOTICE: python3 with redminelib (PyPI python-redmine) not found; the python-redmine session is skipped"
        );
        return;
    }
    let s = Server::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/python_redmine_deals.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(format!("http://{}", s.addr))
        .arg(ADMIN_KEY)
        .output()
        .expect("run python3");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the python-redmine session failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("all as expected"), "{stdout}");
    println!("{stdout}");
}
