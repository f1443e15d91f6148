//! The report: one line per scenario (the run, its baseline and floor, CPU per request), the
//! start-ups and memory of the server, and its Markdown rendering.

use std::fmt::Write as _;
use std::time::Duration;

use super::database::Prepared;
use super::driver::RunStats;
use super::procfs::machine;
use super::BenchOptions;

/// One scenario's line of the report.
#[derive(Clone, Debug)]
pub struct ScenarioReport {
    pub name: String,
    pub description: String,
    /// The length of one real answer (measured before the run); the baseline answers as much.
    pub answer_bytes: usize,
    /// The answer to that first request, when it was not a 2xx.
    pub probe_error: Option<String>,
    pub stats: RunStats,
    pub baseline: Option<RunStats>,
    /// CPU time (user + system) the server process spent per request during the run: unlike
    /// req/s it hardly depends on what else the two cores were doing.
    pub server_cpu_us: Option<f64>,
    /// The same for the baseline server's threads.
    pub baseline_cpu_us: Option<f64>,
    /// Gets only: the floor server's run (see [`start_floor`](super::bare::start_floor)) and its CPU per request.
    pub floor: Option<RunStats>,
    pub floor_cpu_us: Option<f64>,
    /// How long the server took to become idle before this scenario (see `wait_until_idle`).
    pub settled_after: Option<Duration>,
}

impl ScenarioReport {
    pub fn ratio(&self) -> Option<f64> {
        self.stats.share_of(self.baseline.as_ref()?)
    }
}

#[derive(Clone, Debug)]
pub struct Report {
    pub options: BenchOptions,
    pub prepared: Prepared,
    /// From starting the server process until it accepts connections, for each start in
    /// order (the last is the server the scenarios ran against).
    pub startups: Vec<Duration>,
    pub scenarios: Vec<ScenarioReport>,
    /// VmRSS and VmHWM of the server process after the runs, in KiB.
    pub rss_kib: Option<u64>,
    pub peak_rss_kib: Option<u64>,
}

impl Report {
    /// Scenarios that failed: errors, or no request completed.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.scenarios {
            if s.stats.requests == 0 {
                out.push(format!("{}: no request was sent", s.name));
            }
            if s.stats.errors > 0 {
                out.push(format!(
                    "{}: {} errors of {} requests; first: {}",
                    s.name,
                    s.stats.errors,
                    s.stats.requests,
                    s.stats.first_error.as_deref().unwrap_or("?")
                ));
            }
            // A floor whose reads failed would measure less than it claims.
            if let Some(floor) = s.floor.as_ref().filter(|f| f.errors > 0 || f.requests == 0) {
                out.push(format!("{} floor: {} failed reads of {} requests", s.name, floor.errors, floor.requests));
            }
        }
        out
    }

    /// The gets against their floor (see [`start_floor`](super::bare::start_floor)): what reading one row of the file
    /// costs on its own, next to the whole get and the bare baseline.
    fn floor_markdown(&self, m: &mut String) {
        let with_floor: Vec<(&ScenarioReport, &RunStats, &RunStats)> =
            self.scenarios.iter().filter_map(|s| Some((s, s.floor.as_ref()?, s.baseline.as_ref()?))).collect();
        if with_floor.is_empty() {
            return;
        }
        let _ = writeln!(
            m,
            "Floor of a get: the baseline server plus one SQLite read of the contact's card row per request \
             (same requests, in the client's process like the baseline):"
        );
        let _ = writeln!(m);
        let _ = writeln!(
            m,
            "| scenario | server req/s | floor req/s | baseline req/s | server ÷ baseline | floor ÷ baseline \
             | server CPU µs/req | floor CPU µs/req | baseline CPU µs/req |"
        );
        let _ = writeln!(m, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        let share = |a: &RunStats, b: &RunStats| a.share_of(b).map_or("–".to_string(), |r| format!("{r:.2}"));
        for (s, floor, base) in with_floor {
            let _ = writeln!(
                m,
                "| {} | {:.0} | {:.0} | {:.0} | {} | {} | {} | {} | {} |",
                s.name,
                s.stats.rps(),
                floor.rps(),
                base.rps(),
                share(&s.stats, base),
                share(floor, base),
                cpu_cell(s.server_cpu_us),
                cpu_cell(s.floor_cpu_us),
                cpu_cell(s.baseline_cpu_us)
            );
        }
        let _ = writeln!(m);
    }

    /// The result table and what it ran on, in Markdown.
    pub fn markdown(&self) -> String {
        let o = &self.options;
        let mut m = String::new();
        let _ = writeln!(m, "Machine: {}", machine());
        let _ = writeln!(
            m,
            "Database: {} ({} contacts, {} in {:.1} s); each run writes to a scratch copy",
            self.prepared.path.display(),
            self.prepared.contacts,
            if self.prepared.reused { "reused" } else { "generated" },
            self.prepared.took.as_secs_f64()
        );
        let _ = writeln!(
            m,
            "Server: `{} serve` in its own process (logging at `warn`); client: tokio runtime with {} workers; \
             baseline: bare hyper server in a {}-worker runtime in the client's process",
            o.server_binary.display(),
            o.client_workers,
            o.server_workers
        );
        let _ = writeln!(
            m,
            "Load: {} keep-alive connections, {:.1} s per scenario; start-up (process start → accepting connections): {}",
            o.connections,
            o.duration.as_secs_f64(),
            startup_summary(&self.startups)
        );
        let _ = writeln!(m);
        let _ = writeln!(
            m,
            "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | ratio to baseline | answer bytes \
             | baseline req/s | server CPU µs/req | baseline CPU µs/req |"
        );
        let _ = writeln!(m, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let ms = |us: u64| us as f64 / 1000.0;
        for s in &self.scenarios {
            let st = &s.stats;
            let ratio = s.ratio().map_or("–".to_string(), |r| format!("{r:.2}"));
            let base = s.baseline.as_ref().map_or("–".to_string(), |b| format!("{:.0}", b.rps()));
            let _ = writeln!(
                m,
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} | {} | {} | {} | {} |",
                s.name,
                st.rps(),
                ms(st.p50_us),
                ms(st.p99_us),
                ms(st.p999_us),
                ms(st.max_us),
                st.errors,
                ratio,
                s.answer_bytes,
                base,
                cpu_cell(s.server_cpu_us),
                cpu_cell(s.baseline_cpu_us)
            );
        }
        let _ = writeln!(m);
        self.floor_markdown(&mut m);
        let mib = |k: u64| k as f64 / 1024.0;
        match (self.rss_kib, self.peak_rss_kib) {
            (Some(r), Some(p)) => {
                let _ = writeln!(
                    m,
                    "Resident memory of the server process after the runs: {:.1} MiB (VmRSS; peak VmHWM {:.1} MiB)",
                    mib(r),
                    mib(p)
                );
            }
            _ => {
                let _ = writeln!(m, "Resident memory: unavailable (no /proc/<pid>/status)");
            }
        }
        let _ = writeln!(m);
        let _ = writeln!(m, "Scenarios:");
        for s in &self.scenarios {
            let settle = match s.settled_after {
                Some(t) if t > Duration::from_millis(500) => {
                    format!(
                        " (started after the server had been busy for {:.1} s with background work)",
                        t.as_secs_f64()
                    )
                }
                _ => String::new(),
            };
            let _ = writeln!(m, "- `{}`: {}; {} requests{settle}", s.name, s.description, s.stats.requests);
        }
        let failures: Vec<&ScenarioReport> =
            self.scenarios.iter().filter(|s| s.stats.errors > 0 || s.probe_error.is_some()).collect();
        if !failures.is_empty() {
            let _ = writeln!(m);
            let _ = writeln!(m, "Failures:");
            for s in failures {
                if let Some(p) = &s.probe_error {
                    let _ = writeln!(m, "- `{}` first request: {p}", s.name);
                }
                if let Some(e) = &s.stats.first_error {
                    let _ = writeln!(m, "- `{}` ({} errors): {e}", s.name, s.stats.errors);
                }
            }
        }
        m
    }
}

/// A table cell of CPU microseconds per request.
fn cpu_cell(us: Option<f64>) -> String {
    us.map_or("–".to_string(), |us| format!("{us:.1}"))
}

/// The start-up times in words: the first, the median and the slowest (in milliseconds).
pub(crate) fn startup_summary(startups: &[Duration]) -> String {
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let mut sorted: Vec<f64> = startups.iter().map(ms).collect();
    sorted.sort_by(f64::total_cmp);
    match (startups.first(), sorted.last()) {
        (Some(first), Some(max)) if startups.len() > 1 => format!(
            "first {:.1} ms, median {:.1} ms, slowest {max:.1} ms of {} starts",
            ms(first),
            sorted[sorted.len() / 2],
            startups.len()
        ),
        (Some(first), _) => format!("{:.1} ms", ms(first)),
        _ => "not measured".to_string(),
    }
}
