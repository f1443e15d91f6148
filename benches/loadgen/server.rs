//! The server under test, as a user runs it: `contacts serve` in a process of its own.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use super::BenchOptions;

/// Starts the server `o.starts` times on `db`, noting each start-up in `startups`, and answers
/// the last one still running (the others only measure the start-up: one start can be slowed
/// by what the machine is still doing with the fresh copy, writing it back, say).
pub(crate) fn start_timed(o: &BenchOptions, db: &Path, startups: &mut Vec<Duration>) -> Result<ServerProcess, String> {
    for _ in 1..o.starts.max(1) {
        let mut server = ServerProcess::start(&o.server_binary, db)?;
        startups.push(server.startup);
        server.stop();
    }
    let server = ServerProcess::start(&o.server_binary, db)?;
    startups.push(server.startup);
    Ok(server)
}

/// The server under test, as a user runs it: `contacts serve` in a process of its own, so that
/// its memory and its profile are its own.
pub(crate) struct ServerProcess {
    pub(crate) child: std::process::Child,
    pub(crate) addr: SocketAddr,
    startup: Duration,
}

impl ServerProcess {
    fn start(binary: &Path, db: &Path) -> Result<ServerProcess, String> {
        // A free port: bound and released here, then given to the server.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("cannot find a free port: {e}"))?;
        let started = Instant::now();
        let child = std::process::Command::new(binary)
            .args(["serve", "--listen", &addr.to_string(), "--db"])
            .arg(db)
            // One log line per request would measure the terminal, not the server.
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = ServerProcess { child, addr, startup: Duration::ZERO };
        while std::net::TcpStream::connect(addr).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("{} serve exited before listening: {status}", binary.display()));
            }
            if started.elapsed() > Duration::from_secs(30) {
                server.stop();
                return Err(format!("{} serve did not listen on {addr} within 30 s", binary.display()));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        server.startup = started.elapsed();
        Ok(server)
    }

    /// Ends the server (its scratch database is removed afterwards, so nothing needs saving).
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}
