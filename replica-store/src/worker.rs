//! The store's threads: one writer that groups concurrent writes into one commit, a pool of readers
//! for interactive reads and one reader of its own for long work (statistics, sweeps, rebuilds).
//!
//! rusqlite is synchronous, so it never runs on the async runtime. The writer owns the read-write
//! connection; it takes every job waiting in its queue, runs each inside its own SAVEPOINT of one
//! transaction (a failed job rolls back alone), commits once, and only then answers each job. So a
//! write is acknowledged only after its commit, and concurrent writers share one fsync.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use automerge::ActorId;
use hotline_model::hlc::Hlc;
use rusqlite::Connection;
use tokio::sync::watch;

use crate::error::{Result, StoreError};

/// What every thread of the store shares beyond the database.
pub struct Shared {
    /// This node's code.
    pub node: String,
    /// The automerge actor id of this process's changes (new at every open).
    pub actor: ActorId,
    /// The hybrid logical clock of this node's events.
    pub clock: Mutex<Hlc>,
    /// The last ticket sequence number issued per local date (`YYYYMMDD`); persisted in `counters`
    /// with each ticket, so numbers can be issued before the write that stores them.
    pub numbers: Mutex<BTreeMap<String, i64>>,
    /// Writer counters, for health reports and benchmarks.
    pub stats: WriterStats,
}

/// What the writer has done since the store opened.
#[derive(Default, Debug)]
pub struct WriterStats {
    /// Commits (batches).
    pub batches: AtomicU64,
    /// Jobs run.
    pub jobs: AtomicU64,
    /// Microseconds spent running jobs.
    pub job_micros: AtomicU64,
    /// Microseconds spent in COMMIT (the fsync).
    pub commit_micros: AtomicU64,
}

impl Shared {
    /// Ticks the clock for a new local event after observing `seen`.
    pub fn tick(&self, seen: Hlc, now_ms: i64) -> Hlc {
        let mut c = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        *c = c.observe(seen).tick(now_ms);
        *c
    }

    /// Issues the next ticket sequence number of a day.
    pub fn next_number(&self, day: &str) -> i64 {
        let mut m = self.numbers.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(day.to_string()).or_insert(0);
        *n += 1;
        *n
    }
}

/// A write job's view of the open transaction.
pub struct Ctx<'a> {
    /// The connection, inside the batch's transaction and the job's savepoint.
    pub conn: &'a Connection,
    /// Shared node state.
    pub node: &'a Shared,
    /// Highest sequence number drawn in this batch (set by jobs that change documents).
    pub seq: &'a mut i64,
}

/// Called once the batch's commit is known: `Ok` if it committed.
pub type Done = Box<dyn FnOnce(std::result::Result<(), Arc<StoreError>>) + Send>;
/// A write job: runs in the transaction, says whether it succeeded, and what to do after commit.
pub type WriteJob = Box<dyn FnOnce(&mut Ctx<'_>) -> (bool, Done) + Send>;
/// A read job.
pub type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// Most jobs grouped into one commit.
const MAX_BATCH: usize = 512;

/// Runs the writer loop until every sender is dropped.
pub fn run_writer(
    mut conn: Connection,
    node: Arc<Shared>,
    jobs: mpsc::Receiver<WriteJob>,
    committed: watch::Sender<i64>,
) {
    let mut last_seq = *committed.borrow();
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let mut seq = last_seq;
        let outcome = run_batch(&mut conn, &node, batch, &mut seq);
        let (result, dones) = outcome;
        if result.is_ok() && seq > last_seq {
            last_seq = seq;
            committed.send_replace(seq);
        }
        let shared = result.map_err(Arc::new);
        for d in dones {
            d(shared.clone());
        }
    }
    tracing::debug!("store writer stopped");
}

fn run_batch(
    conn: &mut Connection,
    node: &Shared,
    batch: Vec<WriteJob>,
    seq: &mut i64,
) -> (Result<()>, Vec<Done>) {
    let mut dones = Vec::with_capacity(batch.len());
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Nothing ran: every job learns the failure.
        let err = Arc::new(StoreError::from(e));
        for job in batch {
            let _ = job; // dropping a job drops its reply channel: the caller sees Closed
        }
        tracing::error!(error = %err, "cannot begin a write transaction");
        return (Err(StoreError::Closed), dones);
    }
    let started = Instant::now();
    let batch_start = *seq;
    node.stats.batches.fetch_add(1, Ordering::Relaxed);
    node.stats
        .jobs
        .fetch_add(batch.len() as u64, Ordering::Relaxed);
    for job in batch {
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            tracing::error!(error = %e, "savepoint failed");
            continue;
        }
        let before = *seq;
        let (ok, done) = {
            let mut ctx = Ctx { conn, node, seq };
            job(&mut ctx)
        };
        let sp = if ok {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        if !ok {
            *seq = before;
        }
        if let Err(e) = conn.execute_batch(sp) {
            tracing::error!(error = %e, "savepoint release failed");
        }
        dones.push(done);
    }
    if *seq > batch_start {
        // Every projection is written in the same transaction as its document, so they are
        // current up to here: the next open checks only what comes after.
        if let Err(e) = conn
            .prepare_cached(
                "INSERT INTO meta(key, value) VALUES('projections_checked_seq', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = ?1",
            )
            .and_then(|mut stmt| stmt.execute([seq.to_string()]))
        {
            tracing::error!(error = %e, "cannot record the projection checkpoint");
        }
    }
    let committing = Instant::now();
    node.stats
        .job_micros
        .fetch_add((committing - started).as_micros() as u64, Ordering::Relaxed);
    let commit = conn.execute_batch("COMMIT");
    node.stats
        .commit_micros
        .fetch_add(committing.elapsed().as_micros() as u64, Ordering::Relaxed);
    match commit {
        Ok(()) => (Ok(()), dones),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            tracing::error!(error = %e, "commit failed");
            (Err(StoreError::from(e)), dones)
        }
    }
}

/// Runs a reader loop until every sender is dropped. Several readers may share one queue: each takes
/// the next job when it is free, so a slow job holds up only the reader running it.
pub fn run_reader(conn: Connection, jobs: Arc<Mutex<mpsc::Receiver<ReadJob>>>) {
    loop {
        let job = {
            let queue = jobs.lock().unwrap_or_else(|p| p.into_inner());
            queue.recv()
        };
        match job {
            // A job that panics (a bug) fails alone: its caller sees its answer dropped, and the
            // reader goes on serving the others. Reads change nothing, so nothing is left half done.
            Ok(job) => {
                let run = std::panic::AssertUnwindSafe(|| job(&conn));
                if std::panic::catch_unwind(run).is_err() {
                    tracing::error!("a read job panicked; the reader goes on");
                }
            }
            Err(_) => break,
        }
    }
}
