//! The web interface in a real browser: `test_browser.py` (Playwright for Python driving
//! Debian's Chromium, never a downloaded browser) against the real binary on a fresh database.
//! Skipped with a notice when `chromium` or the `playwright` module is missing. With
//! `WEB_SCREENSHOTS=DIR` the script also saves screenshots of the main pages (desktop and phone
//! width) there; `docs/screenshots/` holds the ones the README shows.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::ADMIN_KEY;
use crate::process::Served;

fn available() -> Result<(), String> {
    let chromium = Command::new("sh").args(["-c", "command -v chromium"]).output();
    if !chromium.is_ok_and(|o| o.status.success()) {
        return Err("chromium (Debian's package) not found".into());
    }
    let playwright = Command::new("python3").args(["-c", "import playwright.sync_api"]).output();
    if !playwright.is_ok_and(|o| o.status.success()) {
        return Err("python3 with playwright (PyPI) not found".into());
    }
    Ok(())
}

#[test]
fn the_web_interface_works_in_a_real_browser() {
    if let Err(missing) = available() {
        println!("NOTICE: {missing}; the browser test of the web interface is skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("contacts.db"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/web/test_browser.py");
    let started = Instant::now();
    let mut command = Command::new("python3");
    command.arg(script).arg(format!("http://{}", served.addr)).arg(ADMIN_KEY);
    if let Ok(shots) = std::env::var("WEB_SCREENSHOTS") {
        command.arg(shots);
    }
    let out = command.output().expect("run python3");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{stdout}");
    assert!(out.status.success(), "the browser test failed:\n{stdout}\n{stderr}\nserver log:\n{}", served.log_tail());
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    assert!(started.elapsed() < Duration::from_secs(180), "the browser test took {:?}", started.elapsed());
}
