//! The web interface (API.md product decision 9): page requests over real HTTP
//! (`web/pages.rs`: sessions, CSRF, the page/API decision, permissions).

#[allow(dead_code)]
#[path = "api/common.rs"]
mod common;

#[allow(dead_code)]
#[path = "crash/process.rs"]
mod process;

#[path = "web/client.rs"]
mod client;
#[path = "web/pages.rs"]
mod pages;
