//! The single writer: one connection on one thread owns every write. Requests hand it a closure
//! through a channel; it runs whatever is waiting in one transaction (group commit), each job in
//! its own savepoint so one failing job never undoes another, brings batch-wide derived data in
//! step (the search index), commits once (one fsync for the whole batch), brings the in-memory
//! list index in step, and only then answers each request. There is never SQLITE_BUSY between our own
//! writers, and nothing is acknowledged before it is durable. Between batches it does bounded
//! upkeep (merging the search index), less of it while writes keep coming and the rest once
//! they pause.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};

/// How many queued jobs one transaction takes at most (bounds the latency of the first one).
const MAX_BATCH: usize = 256;
/// While writes keep coming, upkeep runs after every this many batches only; what is put off is
/// caught up once no job has arrived for [`IDLE_BEFORE_UPKEEP`]. (A merge step after every
/// batch was two thirds of a create's cost at a million contacts.)
const BATCHES_PER_UPKEEP: u32 = 4;
/// How long the writer waits for a job before it counts as idle. Clients that wait for their
/// answer send their next write a moment after it, so "the queue is empty" alone is not idle.
const IDLE_BEFORE_UPKEEP: std::time::Duration = std::time::Duration::from_millis(20);
/// Upkeep steps taken at most in one idle spell (bounds a catch-up that never finds its end).
const IDLE_UPKEEP_STEPS: u32 = 256;

/// Called after the batch's COMMIT (or its failure) to answer the waiting request.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A job: runs in the batch's transaction; answers its completion and whether it succeeded.
type Job = Box<dyn FnOnce(&Connection) -> (Completion, bool) + Send>;
/// A job and whether it runs alone (see [`Writer::run_alone`]).
struct Queued {
    job: Job,
    alone: bool,
}
/// One bounded step of upkeep in its own transaction; answers whether there was work to do.
pub type Maintenance = Box<dyn FnMut(&Connection) -> bool + Send>;
/// Runs at the end of every successful job, inside its savepoint: derived rows that must agree
/// with the job's changes when it commits (the contact cards).
pub type Epilogue = fn(&Connection) -> Result<()>;
/// Derived data that is cheaper to update once per batch (the search index, the list index).
pub trait BatchHooks: Send {
    /// After the batch's jobs, before COMMIT. When it fails the batch is rolled back.
    fn before_commit(&mut self, conn: &Connection) -> Result<()>;
    /// After the COMMIT (`committed`) or the rollback, before the data version is bumped.
    fn after_commit(&mut self, conn: &Connection, committed: bool);
}

/// Two sets of hooks, one after the other.
impl<A: BatchHooks, B: BatchHooks> BatchHooks for (A, B) {
    fn before_commit(&mut self, conn: &Connection) -> Result<()> {
        self.0.before_commit(conn)?;
        self.1.before_commit(conn)
    }

    fn after_commit(&mut self, conn: &Connection, committed: bool) {
        self.0.after_commit(conn, committed);
        self.1.after_commit(conn, committed);
    }
}

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Queued>,
    epilogue: Epilogue,
}

impl Writer {
    /// Starts the writer thread. `data_version` is bumped after every commit so that caches of
    /// derived data (counts, principals) know they are stale.
    ///
    /// `maintenance` runs between batches, in its own transaction: bounded upkeep (the search
    /// index's incremental merging) that must not land inside a request's commit. It yields to
    /// writes: while they keep coming it runs after every few batches, and once none has come
    /// for a moment it runs step after step until it has nothing left to do or a job arrives.
    pub fn start(
        conn: Connection,
        data_version: Arc<AtomicU64>,
        (epilogue, hooks): (Epilogue, Box<dyn BatchHooks>),
        maintenance: Maintenance,
    ) -> Writer {
        let (tx, rx) = mpsc::channel::<Queued>(4096);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, data_version, hooks, maintenance))
            .expect("spawn the writer thread");
        Writer { jobs: tx, epilogue }
    }

    /// Runs `f` inside the next write transaction and answers once that transaction committed.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.queue(f, false).await
    }

    /// Runs `f` in a transaction of its own, after the jobs queued before it have committed and
    /// before those queued after it run: for a job that writes so much (an import) that the
    /// savepoint every batched job runs in would copy each page it touches once more. A failure
    /// rolls back the transaction, which holds this job alone.
    pub async fn run_alone<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.queue(f, true).await
    }

    async fn queue<T, F>(&self, f: F, alone: bool) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply_tx, reply_rx) = oneshot::channel::<Result<T>>();
        let epilogue = self.epilogue;
        let job: Job = Box::new(move |conn: &Connection| {
            let work = |conn: &Connection| {
                let value = f(conn)?;
                epilogue(conn)?;
                Ok(value)
            };
            let outcome = if alone {
                catch_unwind(AssertUnwindSafe(|| work(conn)))
                    .unwrap_or_else(|_| Err(Error::Internal("a write job panicked".into())))
            } else {
                run_in_savepoint(conn, work)
            };
            let ok = outcome.is_ok();
            let done: Completion = Box::new(move |commit: Result<(), String>| {
                let answer = match commit {
                    Ok(()) => outcome,
                    Err(e) => Err(Error::Internal(format!("commit failed: {e}"))),
                };
                let _ = reply_tx.send(answer);
            });
            (done, ok)
        });
        let queued = Queued { job, alone };
        self.jobs.send(queued).await.map_err(|_| Error::Internal("the writer has stopped".into()))?;
        reply_rx.await.map_err(|_| Error::Internal("the writer dropped a job".into()))?
    }
}

fn run_in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    conn.execute_batch("SAVEPOINT job")?;
    let outcome = catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(Error::Internal("a write job panicked".into())));
    let end = if outcome.is_ok() { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
    conn.execute_batch(end)?;
    outcome
}

/// Upkeep steps, one after another, until one finds nothing to do or a job is waiting;
/// answers whether upkeep is still owed.
fn catch_up(rx: &mpsc::Receiver<Queued>, maintenance: &mut Maintenance, conn: &Connection) -> bool {
    for _ in 0..IDLE_UPKEEP_STEPS {
        if !maintenance(conn) {
            return false;
        }
        if !rx.is_empty() {
            return true;
        }
    }
    true
}

fn writer_loop(
    conn: Connection,
    mut rx: mpsc::Receiver<Queued>,
    data_version: Arc<AtomicU64>,
    mut hooks: Box<dyn BatchHooks>,
    mut maintenance: Maintenance,
) {
    let mut batches_since_upkeep = 0;
    // Whether the last upkeep step found work (more may be left).
    let mut upkeep_owed = false;
    // A job that ended a wait for idleness: the first of the next batch.
    let mut arrived: Option<Queued> = None;
    let timer = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a timer for the writer");
    loop {
        let Some(first) = arrived.take().or_else(|| rx.blocking_recv()) else { break };
        // A job that runs alone is a batch of its own; one queued behind others waits for them.
        let alone = first.alone;
        let mut batch = vec![first.job];
        while !alone && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(queued) if queued.alone => {
                    arrived = Some(queued);
                    break;
                }
                Ok(queued) => batch.push(queued.job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let msg = e.to_string();
            for job in batch {
                // The job never ran; answer it with the failure to start the transaction.
                drop(job);
                tracing::error!("cannot begin a write transaction: {msg}");
            }
            continue;
        }
        let (completions, succeeded): (Vec<Completion>, Vec<bool>) = batch.into_iter().map(|job| job(&conn)).unzip();
        if alone && !succeeded.iter().all(|ok| *ok) {
            // The job failed outside any savepoint: its whole transaction goes.
            let _ = conn.execute_batch("ROLLBACK");
            hooks.after_commit(&conn, false);
            for done in completions {
                done(Ok(()));
            }
            continue;
        }
        let commit = hooks
            .before_commit(&conn)
            .map_err(|e| e.to_string())
            .and_then(|()| conn.execute_batch("COMMIT").map_err(|e| e.to_string()))
            .inspect_err(|_| {
                let _ = conn.execute_batch("ROLLBACK");
            });
        hooks.after_commit(&conn, commit.is_ok());
        data_version.fetch_add(1, Ordering::Release);
        for done in completions {
            done(commit.clone());
        }
        batches_since_upkeep += 1;
        if batches_since_upkeep >= BATCHES_PER_UPKEEP {
            upkeep_owed = maintenance(&conn);
            batches_since_upkeep = 0;
        }
        if upkeep_owed || batches_since_upkeep > 0 {
            // (The timeout is made inside `block_on`: a timer needs the runtime it runs on.)
            if arrived.is_some() {
                continue;
            }
            match timer.block_on(async { tokio::time::timeout(IDLE_BEFORE_UPKEEP, rx.recv()).await }) {
                Ok(Some(job)) => arrived = Some(job),
                Ok(None) => break,
                Err(_idle) => {
                    upkeep_owed = catch_up(&rx, &mut maintenance, &conn);
                    batches_since_upkeep = 0;
                }
            }
        }
    }
}
