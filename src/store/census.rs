//! The trigram census: how many contacts hold each trigram of the search index, read whole from
//! FTS5's vocabulary table on a background thread. Counting one trigram reads its whole doclist
//! (28 ms for `.co` at a million contacts), so without it a first-time search for an e-mail
//! address pays for every common trigram in it; the whole vocabulary (17,000 trigrams at a
//! million contacts) takes about 5 s of one core to read once. It is taken at start-up and
//! again when the data has changed and [`RECOUNT_AFTER`] has passed. With the trigrams the
//! writer notes as it indexes (`TrigramCache::record_written`) it also lists the trigrams that
//! begin with a two-letter search word, which the vocabulary table takes as long to list.

use std::collections::BTreeMap;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Weak;
use std::time::{Duration, Instant};

use rusqlite::OpenFlags;

use super::cache::TrigramCache;
use super::locking::DbFile;

/// How long a census stands before a changed database is counted again.
const RECOUNT_AFTER: Duration = Duration::from_secs(600);

/// How often the thread looks whether its store is gone (then it ends).
const LIVENESS_CHECK: Duration = Duration::from_millis(500);

/// Starts the census thread of a store; it ends soon after the store is dropped.
pub fn spawn(file: DbFile, cache: Weak<TrigramCache>, data_version: Weak<AtomicU64>) {
    let started = std::thread::Builder::new().name("trigram-census".into()).spawn(move || {
        yield_to_requests();
        let mut counted_version = None;
        loop {
            let Some(version) = data_version.upgrade().map(|v| v.load(Ordering::Acquire)) else { return };
            if counted_version != Some(version) {
                match count_trigrams(&file) {
                    Ok(census) => {
                        let Some(cache) = cache.upgrade() else { return };
                        cache.replace_census(census, version);
                        counted_version = Some(version);
                    }
                    Err(e) => tracing::warn!("trigram census of {} failed: {e}", file.path.display()),
                }
            }
            let next = Instant::now() + RECOUNT_AFTER;
            while Instant::now() < next {
                std::thread::sleep(LIVENESS_CHECK);
                if cache.strong_count() == 0 {
                    return;
                }
            }
        }
    });
    if let Err(e) = started {
        // Searches still work: they count trigrams one by one.
        tracing::warn!("cannot start the trigram census: {e}");
    }
}

/// Background work (seconds of one core at a million contacts) takes the lowest CPU priority
/// of its thread, so that requests served meanwhile keep the cores.
pub(super) fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread (on Linux a thread id is a process id
    // for setpriority, so this lowers this thread only).
    unsafe {
        let thread = libc::syscall(libc::SYS_gettid) as libc::id_t;
        if libc::setpriority(libc::PRIO_PROCESS, thread, 19) != 0 {
            tracing::debug!("cannot lower a background thread's priority");
        }
    }
}

fn count_trigrams(file: &DbFile) -> rusqlite::Result<BTreeMap<String, i64>> {
    let conn = file.open(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let mut statement = conn.prepare("SELECT term, doc FROM contacts_search_terms")?;
    let rows = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    rows.collect()
}
