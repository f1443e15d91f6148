//! What /proc says: the machine, a process's resident memory, and the CPU time of the server
//! process or of this process's baseline threads; waiting until the server is idle.

use std::future::Future;
use std::time::{Duration, Instant};

use super::driver::RunStats;

/// `nproc` and the CPU model.
pub fn machine() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("nproc {nproc}, {model}")
}

pub(crate) fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The name of the baseline server's runtime threads (their CPU time is found by it).
pub(crate) const BASELINE_THREADS: &str = "baseline";

/// Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux build in use).
const PROC_TICKS_PER_SECOND: f64 = 100.0;

/// User + system CPU ticks from a /proc `stat` file, and the command name it gives.
fn proc_stat_ticks(path: &str) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(path).ok()?;
    // "pid (comm) state ppid …": the name may hold spaces; fields are counted after ')'.
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_string();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((comm, ticks))
}

/// CPU ticks used so far by what `of` names.
fn cpu_ticks(of: CpuOf) -> Option<u64> {
    match of {
        CpuOf::Process(pid) => proc_stat_ticks(&format!("/proc/{pid}/stat")).map(|(_, t)| t),
        CpuOf::OwnThreads(name) => {
            let tasks = std::fs::read_dir("/proc/self/task").ok()?;
            let ticks = tasks
                .filter_map(|t| proc_stat_ticks(&format!("{}/stat", t.ok()?.path().display())))
                .filter(|(comm, _)| comm == name)
                .map(|(_, t)| t)
                .sum();
            Some(ticks)
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) enum CpuOf {
    Process(u32),
    OwnThreads(&'static str),
}

/// Runs `load` and returns its result with the CPU microseconds per request that `of` spent.
pub(crate) async fn with_cpu<F: Future<Output = RunStats>>(of: CpuOf, load: F) -> (RunStats, Option<f64>) {
    let before = cpu_ticks(of);
    let stats = load.await;
    let per_request = match (before, cpu_ticks(of)) {
        (Some(b), Some(a)) if stats.requests > 0 => {
            Some((a.saturating_sub(b)) as f64 / PROC_TICKS_PER_SECOND * 1e6 / stats.requests as f64)
        }
        _ => None,
    };
    (stats, per_request)
}

/// Waits until the server process spends (almost) no CPU for a while, or `limit` has passed;
/// returns how long that took. The scenarios measure serving requests, not the background
/// work that start-up or the previous scenario's writes left.
pub(crate) async fn wait_until_idle(server_pid: u32, limit: Duration) -> Duration {
    const WINDOW: Duration = Duration::from_millis(200);
    let started = Instant::now();
    let mut before = cpu_ticks(CpuOf::Process(server_pid));
    while started.elapsed() < limit {
        tokio::time::sleep(WINDOW).await;
        let now = cpu_ticks(CpuOf::Process(server_pid));
        match (before, now) {
            // At most one tick (10 ms) in 200 ms: idle.
            (Some(b), Some(a)) if a.saturating_sub(b) <= 1 => break,
            (None, _) | (_, None) => break,
            _ => before = now,
        }
    }
    started.elapsed()
}
