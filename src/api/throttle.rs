//! Failed logins slow down: an address whose recent credentials (API key or Basic login and
//! password) matched nobody waits before each further attempt is checked, longer with every
//! failure, so that guessing keys or passwords over HTTP gets nowhere. The wait is asynchronous
//! (no thread is held) and a success clears the address's record.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures forgiven before waits begin (a user mistyping a password a few times).
const FREE_FAILURES: u32 = 5;
/// The first wait; each further failure doubles it, up to `MAX_WAIT`.
const FIRST_WAIT: Duration = Duration::from_millis(250);
const MAX_WAIT: Duration = Duration::from_secs(8);
/// Failures older than this are forgotten.
const WINDOW: Duration = Duration::from_secs(600);
/// Addresses remembered at most; past it the oldest records go.
const MAX_ADDRESSES: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<IpAddr, Record>>,
    /// Whether any failure is remembered: every authenticated request asks, and nearly always
    /// the answer is no, without taking the lock.
    any: AtomicBool,
}

#[derive(Clone, Copy)]
struct Record {
    count: u32,
    last: Instant,
}

impl LoginThrottle {
    /// How long a login attempt from `peer` waits before its credentials are checked.
    pub fn wait_for(&self, peer: IpAddr) -> Duration {
        if !self.any.load(Ordering::Acquire) {
            return Duration::ZERO;
        }
        let failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match failures.get(&peer) {
            Some(r) if r.last.elapsed() < WINDOW && r.count >= FREE_FAILURES => {
                let doublings = (r.count - FREE_FAILURES).min(16);
                (FIRST_WAIT * 2u32.pow(doublings)).min(MAX_WAIT)
            }
            _ => Duration::ZERO,
        }
    }

    /// Notes the outcome of a login attempt from `peer`.
    pub fn record(&self, peer: IpAddr, succeeded: bool) {
        if succeeded && !self.any.load(Ordering::Acquire) {
            return;
        }
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if succeeded {
            failures.remove(&peer);
            self.any.store(!failures.is_empty(), Ordering::Release);
            return;
        }
        self.any.store(true, Ordering::Release);
        if failures.len() >= MAX_ADDRESSES && !failures.contains_key(&peer) {
            failures.retain(|_, r| r.last.elapsed() < WINDOW);
            if failures.len() >= MAX_ADDRESSES {
                let oldest = failures.iter().min_by_key(|(_, r)| r.last).map(|(ip, _)| *ip);
                oldest.map(|ip| failures.remove(&ip));
            }
        }
        let record = failures.entry(peer).or_insert(Record { count: 0, last: Instant::now() });
        if record.last.elapsed() >= WINDOW {
            record.count = 0;
        }
        record.count += 1;
        record.last = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_begin_after_a_few_failures_grow_and_end_with_a_success() {
        let throttle = LoginThrottle::default();
        let (attacker, other): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..FREE_FAILURES {
            assert_eq!(throttle.wait_for(attacker), Duration::ZERO);
            throttle.record(attacker, false);
        }
        assert_eq!(throttle.wait_for(attacker), FIRST_WAIT);
        throttle.record(attacker, false);
        assert_eq!(throttle.wait_for(attacker), FIRST_WAIT * 2);
        for _ in 0..20 {
            throttle.record(attacker, false);
        }
        assert_eq!(throttle.wait_for(attacker), MAX_WAIT);
        assert_eq!(throttle.wait_for(other), Duration::ZERO, "other addresses are not slowed");
        throttle.record(attacker, true);
        assert_eq!(throttle.wait_for(attacker), Duration::ZERO);
    }
}
