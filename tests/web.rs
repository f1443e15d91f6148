//! The web interface (API.md product decision 9): page requests over real HTTP
//! (`web/pages.rs`: sessions, CSRF, the page/API decision, permissions) and the whole of it
//! in a real browser (`web/browser.rs`: Debian's Chromium driven by Playwright for Python,
//! `web/test_browser.py`, against the real binary; skipped with a notice when either is
//! missing — `.ci/run` installs them).

#[allow(dead_code)]
#[path = "api/common.rs"]
mod common;

#[allow(dead_code)]
#[path = "crash/process.rs"]
mod process;

#[path = "web/browser.rs"]
mod browser;
#[path = "web/client.rs"]
mod client;
#[path = "web/crm.rs"]
mod crm;
#[path = "web/exchange.rs"]
mod exchange;
#[path = "web/pages.rs"]
mod pages;
