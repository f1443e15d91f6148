//! The operator's commands against the real binary: `contacts backup` from a running server,
//! `contacts restore` into a stopped server's place (and refused while one runs), and
//! replication with Litestream (`serve --shared-lock`), when the `litestream` binary is found.

#[allow(dead_code)]
#[path = "../api/common.rs"]
mod common;

#[allow(dead_code)]
#[path = "../crash/client.rs"]
mod client;

#[allow(dead_code)]
#[path = "../crash/process.rs"]
mod process;

mod backup_restore;
mod replication;
mod shared_lock;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

use client::{expect, total_count};

/// Runs `contacts ARGS…` to its end.
pub fn contacts(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_contacts"));
    command.args(args).env("RUST_LOG", "warn").env_remove("CONTACTS_API_KEY").env_remove("CONTACTS_DB");
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().expect("run contacts")
}

/// The exit code, standard output and standard error of a run.
pub fn outcome(output: &Output) -> (Option<i32>, String, String) {
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The project the tests' contacts go in.
pub fn setup(addr: std::net::SocketAddr) {
    let body = json!({"project": {"name": "Ops", "identifier": "ops"}});
    expect(addr, "POST", "/projects.json", Some(&body), 201);
}

/// Creates a contact whose last name is `name`; answers after the server acknowledged it.
pub fn create(addr: std::net::SocketAddr, name: &str) {
    let body = json!({"contact": {"project_id": "ops", "first_name": "Op", "last_name": name}});
    expect(addr, "POST", "/contacts.json", Some(&body), 201);
}

/// How many contacts named `name` the server knows.
pub fn found(addr: std::net::SocketAddr, name: &str) -> i64 {
    total_count(addr, &format!("/contacts.json?search={name}&limit=1"))
}

/// The last names of the contacts in a database file (no server may run on it).
pub fn names_in(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open the file");
    let mut s = conn.prepare("SELECT last_name FROM contacts ORDER BY last_name").unwrap();
    let names = s.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap();
    names
}
