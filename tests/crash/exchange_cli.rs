//! `contacts import`, `contacts export` and `contacts duplicates` as the real binary runs
//! them: on a stopped server's file (the bulk path into an empty file, the writer's path into
//! one with contacts), refused clearly while a server holds the file, and through `--url`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::json;

use crate::client::expect;
use crate::common::ADMIN_KEY;
use crate::process::Served;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn contacts(args: &[&str], db: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_contacts"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run contacts");
    println!(
        "  contacts {args:?}: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn import_export_and_duplicates_on_a_stopped_servers_file_and_through_its_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("contacts.db");
    let mut served = Served::start(&db);
    let body = json!({"project": {"name": "Sales", "identifier": "sales"}});
    expect(served.addr, "POST", "/projects.json", Some(&body), 201);
    // The server owns its file: the command says so and points to --url.
    let refused = contacts(&["import", &data("google-contacts.csv"), "--project", "sales"], &db);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("in use by another process"), "{refused:?}");
    // Through the API instead.
    let url = format!("http://{}", served.addr);
    let through =
        contacts(&["import", &data("apple-3.0.vcf"), "--project", "sales", "--url", &url, "--key", ADMIN_KEY], &db);
    assert!(through.status.success());
    assert!(stdout(&through).starts_with("Imported 2 records"), "{}", stdout(&through));
    let exported = contacts(
        &["export", "--format", "csv", "--columns", "first_name,email", "--url", &url, "--key", ADMIN_KEY],
        &db,
    );
    assert_eq!(stdout(&exported), "\u{feff}First Name,Email\r\nOrchard Supplies,sales@orchard.example\r\nJohnny,\"johnny@orchard.example, j.appleseed@orchard.example\"\r\n");
    served.stop(Duration::from_secs(10));

    // On the stopped server's file: all or nothing, then with the rest.
    let strict = contacts(&["import", &data("outlook.csv"), "--project", "sales", "--map", "Web Page=website"], &db);
    assert!(strict.status.success(), "both Outlook rows are valid");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "First Name,Email\r\nAnn,ann@example.com\r\nBob,broken\r\n").unwrap();
    let refused = contacts(&["import", bad.to_str().unwrap(), "--project", "sales"], &db);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("line 3: Email have incorrect format"));
    assert!(stdout(&refused).starts_with("Imported nothing of 2 records"), "{}", stdout(&refused));
    let skipped = contacts(&["import", bad.to_str().unwrap(), "--project", "sales", "--skip-invalid"], &db);
    assert!(skipped.status.success());
    assert!(stdout(&skipped).contains("1 created, 0 updated, 1 refused"), "{}", stdout(&skipped));
    let vcf = dir.path().join("out.vcf");
    let out = contacts(
        &["export", "--format", "vcf", "--project", "sales", "--query", "search=orchard", "-o", vcf.to_str().unwrap()],
        &db,
    );
    assert!(out.status.success());
    let text = std::fs::read_to_string(&vcf).unwrap();
    assert_eq!(text.matches("BEGIN:VCARD").count(), 2, "{text}");
    // The same card again makes a duplicate; an update by e-mail does not.
    let again = contacts(&["import", &data("apple-3.0.vcf"), "--project", "sales", "--update-existing"], &db);
    assert!(stdout(&again).contains("0 created, 2 updated"), "{}", stdout(&again));
    let again = contacts(&["import", &data("apple-3.0.vcf"), "--project", "sales"], &db);
    assert!(stdout(&again).contains("2 created"), "{}", stdout(&again));
    let groups = contacts(&["duplicates", "--project", "sales"], &db);
    let lines: Vec<&str> = std::str::from_utf8(&groups.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("Johnny Appleseed <johnny@orchard.example>")), "{lines:?}");

    // The file serves what the commands wrote: search and counts agree.
    let served = Served::start(&db);
    let list = expect(served.addr, "GET", "/contacts.json?search=appleseed", None, 200);
    assert_eq!(list["total_count"], 2);
    let all = expect(served.addr, "GET", "/contacts.json", None, 200);
    assert_eq!(all["total_count"], 7, "2 + 2 Outlook + 1 + 2");
}

#[test]
fn an_import_into_an_empty_file_takes_the_bulk_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("contacts.db");
    let mut served = Served::start(&db);
    expect(
        served.addr,
        "POST",
        "/projects.json",
        Some(&json!({"project": {"name": "Sales", "identifier": "sales"}})),
        201,
    );
    served.stop(Duration::from_secs(10));
    let out = contacts(&["import", &data("android-2.1.vcf"), "--project", "sales"], &db);
    assert!(out.status.success());
    assert!(stdout(&out).contains("3 created"), "{}", stdout(&out));
    let served = Served::start(&db);
    let found = expect(served.addr, "GET", "/contacts.json?search=Иванов", None, 200);
    assert_eq!(found["total_count"], 1);
    let id = found["contacts"][0]["id"].as_i64().unwrap();
    let ivan = expect(served.addr, "GET", &format!("/contacts/{id}.json"), None, 200);
    assert_eq!(ivan["contact"]["company"], "ООО «Ромашка»");
    assert_eq!(ivan["contact"]["projects"], json!([{"id": 1, "name": "Sales"}]));
}
