//! A load generator for the real server: `cargo bench --bench load` drives it at full size, and
//! `tests/load_smoke.rs` runs every scenario for a fraction of a second ([`smoke_options`]) from
//! `cargo test`. It is a tool, not part of the product: the library knows nothing of it.
//!
//! The engine ([`driver`]) opens C keep-alive HTTP/1.1 connections (hyper's low-level client),
//! each in its own task sending requests back to back until a deadline, and keeps every latency
//! (in microseconds, one `Vec` per connection, merged and sorted at the end). A
//! [`Scenario`](scenarios::Scenario) is a name and a request factory; the factory gets a
//! per-connection [`ConnState`](scenarios::ConnState) (a counter and a deterministic PRNG) so
//! ids and search words vary the same way on every run.
//!
//! Each scenario is compared with a **baseline**: a bare hyper server (no routing, no SQLite)
//! answering every request with a fixed body as long as the scenario's typical answer, driven
//! by the same requests, connections and duration. The ratio says how much of the bare HTTP
//! throughput the real work leaves. The gets are also run against a **floor**
//! ([`start_floor`](bare::start_floor)): the baseline plus one SQLite read of the asked
//! contact's row, which says how much of that ratio reading the file alone takes.
//!
//! [`bench`] runs the server under test in a process of its own ([`server`]), and the
//! baseline server and the client in two runtimes of this process, so they never share
//! workers (they do share the machine's CPUs).
//!
//! Files by job: [`scenarios`] (what is sent), [`discover`] (what the data holds), [`driver`]
//! (sending, statistics), [`bare`] (baseline and floor servers), [`server`] (the real server's
//! process), [`database`] (the benchmark file), [`procfs`] (CPU and memory from /proc),
//! [`report`] (the result and its Markdown); this file runs them in order.

pub mod bare;
pub mod database;
pub mod discover;
pub mod driver;
pub mod hard;
pub mod procfs;
pub mod report;
pub mod scenarios;
pub mod server;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;

use bare::{start_baseline, start_floor};
use database::{prepare_database, remove_database, scratch_copy};
use discover::{discover, Probe};
use driver::{run_load, show_answer, RunStats};
use procfs::{proc_status_kib, wait_until_idle, with_cpu, CpuOf, BASELINE_THREADS};
pub use report::{Report, ScenarioReport};
use scenarios::{scenarios, seed_of, ConnState, Scenario};
use server::start_timed;

/// The administrator's API key the benchmark sets at start-up (40 hex digits, like Redmine's).
pub const BENCH_ADMIN_KEY: &str = "b0a7c4e1d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7";

/// The seed handed to `demo::generate` unless told otherwise.
pub const DEFAULT_SEED: u64 = 20240301;

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub db: PathBuf,
    pub contacts: usize,
    pub seed: u64,
    pub duration: Duration,
    pub connections: usize,
    /// Runs only the scenarios whose name contains this.
    pub scenario: Option<String>,
    /// Duration of each baseline run (normally the same as `duration`); `None` skips them.
    pub baseline: Option<Duration>,
    /// Worker threads of the baseline server (the real server's runtime sizes itself to the
    /// machine, as it does in production).
    pub server_workers: usize,
    pub client_workers: usize,
    /// The `contacts` executable the benchmark starts as the server under test.
    pub server_binary: PathBuf,
    /// How many times the server is started on the scratch copy (the last one is measured
    /// under load): each start-up is timed, so that one slow start shows as such.
    pub starts: usize,
    /// Before each scenario, wait up to this long for the server's background work (the
    /// start-up trigram census, index merges after writes) to finish; `None` does not wait.
    pub settle: Option<Duration>,
}

impl BenchOptions {
    pub fn new(db: impl Into<PathBuf>, contacts: usize, server_binary: impl Into<PathBuf>) -> BenchOptions {
        let duration = Duration::from_secs(5);
        BenchOptions {
            db: db.into(),
            contacts,
            seed: DEFAULT_SEED,
            duration,
            connections: 32,
            scenario: None,
            baseline: Some(duration),
            server_workers: 2,
            client_workers: 2,
            server_binary: server_binary.into(),
            starts: 5,
            settle: Some(Duration::from_secs(60)),
        }
    }
}

/// The options of a smoke run: 300 contacts, 2 connections, ~0.1 s per scenario. An `Err` of
/// [`bench`] is then a set-up failure; check [`Report::problems`] for scenarios that failed.
pub fn smoke_options(db: impl Into<PathBuf>, server_binary: impl Into<PathBuf>) -> BenchOptions {
    let mut o = BenchOptions::new(db, 300, server_binary);
    o.duration = Duration::from_millis(100);
    o.baseline = Some(Duration::from_millis(50));
    o.settle = None;
    o.connections = 2;
    o.starts = 2;
    o
}

/// Prepares the database (see [`prepare_database`]), starts the real server (the `contacts`
/// executable) on a scratch copy of it, and runs the scenarios against it and the baseline.
pub fn bench(o: &BenchOptions) -> Result<Report, String> {
    // Before this process opens any database, so that the floor's connections are set up as
    // the server's are (see `start_floor`).
    contacts::store::bulk::init_sqlite();
    let prepared = prepare_database(&o.db, o.contacts, o.seed)?;
    let drawn = hard::draw(&o.db)?;
    let run_db = scratch_copy(&o.db)?;
    let mut startups = Vec::new();
    let outcome = start_timed(o, &run_db, &mut startups).and_then(|mut server| {
        let baseline_rt = runtime(o.server_workers, BASELINE_THREADS)?;
        let client_rt = runtime(o.client_workers, "client")?;
        let result =
            client_rt.block_on(drive((server.addr, server.child.id(), &run_db), o, &drawn, baseline_rt.handle()));
        let rss_kib = proc_status_kib(server.child.id(), "VmRSS:");
        let peak_rss_kib = proc_status_kib(server.child.id(), "VmHWM:");
        server.stop();
        client_rt.shutdown_timeout(Duration::from_secs(1));
        baseline_rt.shutdown_timeout(Duration::from_secs(1));
        Ok(Report { options: o.clone(), prepared, startups, scenarios: result?, rss_kib, peak_rss_kib })
    });
    let _ = remove_database(&run_db);
    outcome
}

fn runtime(workers: usize, name: &str) -> Result<Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name(name)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the {name} runtime: {e}"))
}

/// Rounds a body size to two significant digits, so that scenarios with nearly the same
/// answer length share one baseline run.
pub(crate) fn baseline_size(n: usize) -> usize {
    let mut scale = 1;
    while n / scale >= 100 {
        scale *= 10;
    }
    ((n + scale / 2) / scale) * scale
}

/// Runs a scenario against a bare server (baseline or floor, in the baseline runtime) once the
/// real server is idle — its leftovers (index merges after writes) would slow the bare one —
/// and stops it; answers the run and the bare server's CPU per request.
async fn run_bare(
    start: impl Future<Output = Result<(SocketAddr, oneshot::Sender<()>), String>>,
    server_pid: u32,
    sc: &Scenario,
    o: &BenchOptions,
    duration: Duration,
) -> Result<(RunStats, Option<f64>), String> {
    if let Some(limit) = o.settle {
        wait_until_idle(server_pid, limit).await;
    }
    let (addr, stop) = start.await?;
    // A bare server answers the reads only: the writing client is the real server's load.
    let reads_only = Scenario { writes: None, ..sc.clone() };
    let load = run_load(addr, Some(BENCH_ADMIN_KEY), &reads_only, o.connections, duration);
    let measured = with_cpu(CpuOf::OwnThreads(BASELINE_THREADS), load).await;
    let _ = stop.send(());
    Ok(measured)
}

async fn drive(
    server: (SocketAddr, u32, &Path),
    o: &BenchOptions,
    drawn: &hard::Drawn,
    baseline_rt: &Handle,
) -> Result<Vec<ScenarioReport>, String> {
    let (addr, server_pid, server_db) = server;
    let mut probe = Probe::new(addr);
    let facts = discover(&mut probe).await?;
    let mut baselines: HashMap<usize, (RunStats, Option<f64>)> = HashMap::new();
    let mut out = Vec::new();
    for sc in scenarios(&facts, drawn) {
        if o.scenario.as_deref().is_some_and(|f| !sc.name.contains(f)) {
            continue;
        }
        let settled_after = match o.settle {
            Some(limit) => Some(wait_until_idle(server_pid, limit).await),
            None => None,
        };
        // One real answer first: its length sizes the baseline; a failure is reported as is.
        let mut first = ConnState::new(seed_of(&sc.name) ^ 0x5eed, usize::MAX);
        let spec = (sc.factory)(&mut first);
        let what = spec.describe();
        let (answer_bytes, probe_error) = match probe.send(spec).await {
            Ok((status, body)) if (200..300).contains(&status) => (body.len(), None),
            Ok((status, body)) => (body.len(), Some(format!("{what} → {}", show_answer(status, &body)))),
            Err(e) => (0, Some(e)),
        };
        // Progress on stderr (the report goes to stdout), also what a profiler attaches by.
        eprintln!("running {} for {:.1} s…", sc.name, o.duration.as_secs_f64());
        let (stats, server_cpu_us) =
            with_cpu(CpuOf::Process(server_pid), run_load(addr, Some(BENCH_ADMIN_KEY), &sc, o.connections, o.duration))
                .await;
        let size = baseline_size(answer_bytes);
        let baseline = match o.baseline {
            None => None,
            Some(_) if baselines.contains_key(&size) => baselines.get(&size).cloned(),
            Some(duration) => {
                let b = run_bare(start_baseline(baseline_rt, size), server_pid, &sc, o, duration).await?;
                baselines.insert(size, b.clone());
                Some(b)
            }
        };
        let (baseline, baseline_cpu_us) = match baseline {
            Some((stats, cpu)) => (Some(stats), cpu),
            None => (None, None),
        };
        let (floor, floor_cpu_us) = match o.baseline {
            Some(duration) if sc.name.starts_with("get_") => {
                let (stats, cpu) =
                    run_bare(start_floor(baseline_rt, server_db, size), server_pid, &sc, o, duration).await?;
                (Some(stats), cpu)
            }
            _ => (None, None),
        };
        out.push(ScenarioReport {
            name: sc.name,
            description: sc.description,
            answer_bytes,
            probe_error,
            stats,
            baseline,
            server_cpu_us,
            baseline_cpu_us,
            floor,
            floor_cpu_us,
            settled_after,
        });
    }
    if out.is_empty() {
        return Err(format!("no scenario matches {:?}", o.scenario.as_deref().unwrap_or("")));
    }
    Ok(out)
}
