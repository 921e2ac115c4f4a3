//! Background jobs for every module, on the `jobs` table (crates.io's worker is the model).
//!
//! - A job is written with [`enqueue`] in the transaction of the change that calls for it, so it
//!   exists exactly when the change does.
//! - A runner ([`run_due`], started by the server on every instance) claims a due job with a
//!   lease — on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two instances never take the same
//!   one; on SQLite through the one writer — then runs its handler in a transaction of its own
//!   that also marks the job done, guarded by the claim. A handler's writes therefore take
//!   effect exactly once: if a runner outlived its lease and another took the job over, the
//!   late runner's transaction changes nothing.
//! - A failed run is retried later with growing back-off ([`retry_delay_secs`]); after
//!   `max_attempts` the job is kept as failed with the reason, for an administrator to see.
//!
//! Handlers that write much work in batches and enqueue their own continuation, so no run
//! holds SQLite's writer for long.

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use serde_json::Value;
use tokio::sync::Notify;

use crate::db::{Conn, Sql};
use crate::{Backend, Result, Store, StoreError, Tx, now_micros};

/// How long a claimed job is the claimer's before another runner may take it over.
pub const LEASE_MICROS: i64 = 5 * 60 * 1_000_000;

/// How many times a job runs before it is kept as failed.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;

/// What a job handler returns: its run, borrowing the transaction.
pub type BoxedRun<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// A job handler: runs `payload` in the transaction it is given, which also marks the job done.
pub type Handler = for<'a> fn(&'a mut Tx, Value) -> BoxedRun<'a>;

/// A kind of job and the handler that runs it (a module lists the kinds it runs).
#[derive(Clone, Copy)]
pub struct JobKind {
    pub kind: &'static str,
    pub run: Handler,
}

/// Seconds to wait before attempt `attempts + 1` after `attempts` failed runs: 10 s, 20 s,
/// 40 s, … doubling, at most an hour.
pub fn retry_delay_secs(attempts: i64) -> i64 {
    let doublings = attempts.clamp(1, 20) - 1;
    (10_i64 << doublings).min(3600)
}

static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Tells this process's runner that a job was committed, so it need not wait for its next
/// look. Runners also look on their own every second, so forgetting this only delays a job.
pub fn wake() {
    WAKE.notify_one();
}

/// The platform's own job kinds, which every runner runs beside the modules' kinds.
pub const PLATFORM: &[JobKind] = &[JobKind { kind: crate::notify::DELIVER, run: crate::notify::deliver }];

/// Waits for [`wake`] or `timeout`, whichever comes first.
pub async fn woken_or(timeout: std::time::Duration) {
    let _ = tokio::time::timeout(timeout, WAKE.notified()).await;
}

/// Adds a job due at `run_at` (microseconds). With a `dedupe_key`, a job of the same kind and
/// key that is still pending makes this a no-op (`None`).
pub async fn enqueue_at(
    tx: &mut Tx,
    kind: &str,
    payload: &Value,
    dedupe_key: Option<&str>,
    run_at: i64,
) -> Result<Option<i64>> {
    let sql = "INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL
               DO NOTHING RETURNING id";
    let id =
        fetch_opt!(tx, (i64,), sql, kind, payload.to_string(), dedupe_key, run_at, DEFAULT_MAX_ATTEMPTS, now_micros())?;
    Ok(id.map(|(id,)| id))
}

/// Adds a job due now.
pub async fn enqueue(tx: &mut Tx, kind: &str, payload: &Value, dedupe_key: Option<&str>) -> Result<Option<i64>> {
    enqueue_at(tx, kind, payload, dedupe_key, now_micros()).await
}

/// A job as stored, for the runner and for the administrator's view.
#[derive(Debug, Clone, sqlx::FromRow, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub done_at: Option<i64>,
    pub failed_at: Option<i64>,
}

const JOB_COLUMNS: &str = "id, kind, payload, run_at, attempts, max_attempts, last_error, done_at, failed_at";

/// Takes the next due job of `kinds` for `worker`, if any, with a lease.
async fn claim(store: &Store, kinds: &[JobKind], worker: &str) -> Result<Option<Job>> {
    let now = now_micros();
    // The runner looks every second on every instance: a read-only look first, so an idle
    // queue never takes SQLite's writer (or a PostgreSQL row lock).
    let due: Option<(i64,)> = {
        let mut c = store.lookup().await?;
        c.fetch_opt(sql!(
            "SELECT id FROM jobs WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $1
               AND (locked_until IS NULL OR locked_until < $1) LIMIT 1",
            now
        ))
        .await?
    };
    if due.is_none() {
        return Ok(None);
    }
    let mut txo = store.write().await?;
    let tx = &mut txo;
    let mut sql =
        Sql::new(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= "));
    sql.arg(crate::db::Arg::Int(now));
    sql.push(" AND (locked_until IS NULL OR locked_until < ").arg(crate::db::Arg::Int(now)).push(") AND ");
    let names: Vec<&str> = kinds.iter().map(|k| k.kind).collect();
    sql.push("kind IN (");
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.arg(crate::db::Arg::Text((*name).to_string()));
    }
    sql.push(") ORDER BY run_at, id LIMIT 1");
    if tx.backend() == Backend::Postgres {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    let Some(mut job) = fetch_sql!(tx, Job, sql, fetch_optional)? else { return Ok(None) };
    execute!(
        tx,
        "UPDATE jobs SET locked_until = $1, locked_by = $2, attempts = attempts + 1 WHERE id = $3",
        now + LEASE_MICROS,
        worker,
        job.id
    )?;
    txo.commit().await?;
    job.attempts += 1;
    Ok(Some(job))
}

/// What one call of [`run_due`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ran {
    pub done: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Ran {
    pub fn total(&self) -> usize {
        self.done + self.retried + self.failed
    }
}

/// Runs due jobs of `kinds` one after another until none is due or `limit` have run.
pub async fn run_due(store: &Store, kinds: &[JobKind], worker: &str, limit: usize) -> Result<Ran> {
    let mut ran = Ran::default();
    let kinds: Vec<JobKind> = PLATFORM.iter().chain(kinds).copied().collect();
    let kinds = kinds.as_slice();
    while ran.total() < limit {
        let Some(job) = claim(store, kinds, worker).await? else { break };
        let Some(kind) = kinds.iter().find(|k| k.kind == job.kind) else { break };
        match run_one(store, kind, &job, worker).await {
            Ok(()) => ran.done += 1,
            Err(e) => {
                let message = e.to_string();
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %message, "job failed");
                if record_failure(store, &job, worker, &message).await? {
                    ran.failed += 1;
                } else {
                    ran.retried += 1;
                }
            }
        }
    }
    Ok(ran)
}

/// Runs the handler and marks the job done in one transaction, only while the claim holds.
async fn run_one(store: &Store, kind: &JobKind, job: &Job, worker: &str) -> Result<()> {
    let payload: Value = serde_json::from_str(&job.payload)
        .map_err(|e| StoreError::Corrupt(format!("job {} has an unreadable payload: {e}", job.id)))?;
    let mut txo = store.write().await?;
    (kind.run)(&mut txo, payload).await?;
    let tx = &mut txo;
    let n = execute!(
        tx,
        "UPDATE jobs SET done_at = $1, locked_until = NULL, last_error = NULL
         WHERE id = $2 AND locked_by = $3 AND attempts = $4 AND done_at IS NULL",
        now_micros(),
        job.id,
        worker,
        job.attempts
    )?;
    if n == 0 {
        // Another runner took the job over after our lease ran out; its run counts, ours not.
        return Err(StoreError::Conflict(format!("job {} was taken over by another runner", job.id)));
    }
    txo.commit().await
}

/// Schedules the next attempt, or keeps the job as failed after its last; `true` if it failed
/// for good.
async fn record_failure(store: &Store, job: &Job, worker: &str, message: &str) -> Result<bool> {
    let now = now_micros();
    let last = job.attempts >= job.max_attempts;
    let mut txo = store.write().await?;
    let tx = &mut txo;
    let error: String = message.chars().take(2000).collect();
    if last {
        execute!(
            tx,
            "UPDATE jobs SET failed_at = $1, locked_until = NULL, last_error = $2
             WHERE id = $3 AND locked_by = $4 AND attempts = $5",
            now,
            &error,
            job.id,
            worker,
            job.attempts
        )?;
    } else {
        execute!(
            tx,
            "UPDATE jobs SET run_at = $1, locked_until = NULL, last_error = $2
             WHERE id = $3 AND locked_by = $4 AND attempts = $5",
            now + retry_delay_secs(job.attempts) * 1_000_000,
            &error,
            job.id,
            worker,
            job.attempts
        )?;
    }
    txo.commit().await?;
    Ok(last)
}

/// Jobs that failed for good, newest first (at most 200), for the administrator.
pub async fn failed(tx: &mut Tx) -> Result<Vec<Job>> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE failed_at IS NOT NULL ORDER BY failed_at DESC LIMIT 200");
    Ok(fetch_all!(tx, Job, &sql)?)
}

/// How many jobs wait to run (for metrics and tests).
pub async fn pending(tx: &mut Tx) -> Result<i64> {
    Ok(scalar!(tx, i64, "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND failed_at IS NULL")?)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn retries_wait_ten_seconds_then_twice_as_long_each_time_up_to_an_hour() {
        assert_eq!([1, 2, 3, 4].map(retry_delay_secs), [10, 20, 40, 80]);
        assert_eq!(retry_delay_secs(30), 3600);
    }

    proptest! {
        #[test]
        fn the_wait_never_shrinks_and_stays_within_an_hour(a in 0_i64..1000) {
            prop_assert!(retry_delay_secs(a) <= retry_delay_secs(a + 1));
            prop_assert!((10..=3600).contains(&retry_delay_secs(a)));
        }
    }
}
