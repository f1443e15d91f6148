//! The real `contacts serve` as a child process: started on a database file with
//! `--listen 127.0.0.1:0`, its bound address read from its "serving … on http://ADDR" log line,
//! stopped with SIGKILL (a crash) or SIGTERM (a service manager's stop).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::ADMIN_KEY;

/// Lines of the server's log kept for a failure message.
const LOG_TAIL: usize = 40;

pub struct Served {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl Served {
    /// Starts the binary on `db` (created when missing) with the tests' admin key and waits
    /// until it listens.
    #[track_caller]
    pub fn start(db: &Path) -> Served {
        Served::start_with(db, &[])
    }

    /// `start`, with more arguments for `serve` (`--shared-lock`, say).
    #[track_caller]
    pub fn start_with(db: &Path, args: &[&str]) -> Served {
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_contacts"))
            .args(["serve", "--listen", "127.0.0.1:0", "--admin-key", ADMIN_KEY, "--db"])
            .arg(db)
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start contacts serve");
        let log: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("the server's stderr");
        let kept = log.clone();
        // Reads the log to its end (a full pipe would stall the server), keeping its tail.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split(" on http://").nth(1).and_then(|a| a.trim().parse::<SocketAddr>().ok()) {
                    let _ = addr_tx.send(addr);
                }
                let mut kept = kept.lock().unwrap();
                if kept.len() == LOG_TAIL {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
        let addr = match addr_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                let tail = log.lock().unwrap().iter().cloned().collect::<Vec<_>>().join("\n");
                panic!("the server did not listen ({status:?}); its log:\n{tail}");
            }
        };
        println!("  server {} listening on {addr} after {:?}", child.id(), started.elapsed());
        Served { child, addr, log }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGKILL: the process ends at once, whatever it was doing.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }

    /// Sends SIGTERM (the process should finish what it is doing and exit).
    pub fn terminate(&self) {
        // SAFETY: kill(2) with a valid signal number on our own child's pid.
        let sent = unsafe { libc::kill(self.pid(), libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM the server");
    }

    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `limit` for the process to exit; None when it is still running (then it is
    /// killed, so that no test leaves it behind).
    pub fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the server") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                self.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGTERM, then the exit status (which must come within `limit`).
    #[track_caller]
    pub fn stop(&mut self, limit: Duration) -> ExitStatus {
        self.terminate();
        let status = self.wait(limit);
        status
            .unwrap_or_else(|| panic!("the server did not exit within {limit:?} of SIGTERM; log:\n{}", self.log_tail()))
    }

    /// The last lines the server logged.
    pub fn log_tail(&self) -> String {
        self.log.lock().unwrap().iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
