//! The platform's job queue on SQLite and PostgreSQL: a job exists only if the change that
//! queued it committed, runs exactly once even with two instances taking jobs at the same
//! time, is retried with back-off, and is kept with its reason once it has failed for good.

use serde_json::{Value, json};
use yunwei_db::jobs::{self, BoxedRun, JobKind};
use yunwei_db::{Store, StoreError, Tx, both_backends};

/// Records its `n` in the settings table: a second run of the same job would break the key.
fn record(tx: &mut Tx, payload: Value) -> BoxedRun<'_> {
    Box::pin(async move {
        let n = payload["n"].as_i64().ok_or_else(|| StoreError::Corrupt("no n".into()))?;
        yunwei_db::execute!(
            tx,
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, '1', 0)",
            format!("job.test.{n}")
        )?;
        Ok(())
    })
}

fn always_fails(_: &mut Tx, _: Value) -> BoxedRun<'_> {
    Box::pin(async move { Err(StoreError::Config("the peer is down".into())) })
}

const KINDS: &[JobKind] =
    &[JobKind { kind: "test.record", run: record }, JobKind { kind: "test.fail", run: always_fails }];

async fn enqueue(store: &Store, kind: &str, n: i64, key: Option<&str>) -> Option<i64> {
    let mut tx = store.write().await.unwrap();
    let id = jobs::enqueue(&mut tx, kind, &json!({ "n": n }), key).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn recorded(store: &Store) -> i64 {
    let mut tx = store.read().await.unwrap();
    yunwei_db::scalar!(&mut tx, i64, "SELECT COUNT(*) FROM settings WHERE key LIKE 'job.test.%'").unwrap()
}

async fn sql(store: &Store, text: &str) {
    let mut tx = store.write().await.unwrap();
    yunwei_db::execute!(&mut tx, text).unwrap();
    tx.commit().await.unwrap();
}

async fn row(store: &Store, id: i64) -> (i64, i64, Option<String>, Option<i64>, Option<i64>) {
    let mut tx = store.read().await.unwrap();
    yunwei_db::fetch_one!(
        &mut tx,
        (i64, i64, Option<String>, Option<i64>, Option<i64>),
        "SELECT attempts, run_at, last_error, done_at, failed_at FROM jobs WHERE id = $1",
        id
    )
    .unwrap()
}

both_backends!(a_job_exists_only_if_its_transaction_commits_and_then_runs_once, |store| async move {
    let mut tx = store.write().await.unwrap();
    jobs::enqueue(&mut tx, "test.record", &json!({ "n": 1 }), None).await.unwrap();
    drop(tx);
    assert_eq!(jobs::run_due(&store, KINDS, "w", 10).await.unwrap().total(), 0, "rolled back, so no job");
    let id = enqueue(&store, "test.record", 2, None).await.unwrap();
    let ran = jobs::run_due(&store, KINDS, "w", 10).await.unwrap();
    assert_eq!((ran.done, ran.retried, ran.failed), (1, 0, 0));
    assert_eq!(recorded(&store).await, 1);
    let (attempts, _, error, done, failed) = row(&store, id).await;
    assert_eq!((attempts, error, done.is_some(), failed), (1, None, true, None));
    assert_eq!(jobs::run_due(&store, KINDS, "w", 10).await.unwrap().total(), 0, "done jobs do not run again");
});

both_backends!(two_instances_taking_jobs_at_once_run_each_exactly_once, |store| async move {
    for n in 0..60 {
        enqueue(&store, "test.record", n, None).await;
    }
    // A second instance: its own connections to the same database.
    let other = Store::connect(&store.url).await.unwrap();
    let (a, b) = tokio::join!(
        jobs::run_due(&store, KINDS, "instance-a", 1000),
        jobs::run_due(&other, KINDS, "instance-b", 1000)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.done + b.done, 60, "{a:?} {b:?}");
    assert_eq!((a.retried + b.retried, a.failed + b.failed), (0, 0), "no job ran twice: a second run breaks its key");
    assert_eq!(recorded(&store).await, 60);
    let mut tx = store.read().await.unwrap();
    assert_eq!(jobs::pending(&mut tx).await.unwrap(), 0);
    drop(tx);
    other.close().await;
});

both_backends!(a_failing_job_is_retried_later_and_kept_with_its_reason_when_it_gives_up, |store| async move {
    let id = enqueue(&store, "test.fail", 0, None).await.unwrap();
    let before = yunwei_db::now_micros();
    let ran = jobs::run_due(&store, KINDS, "w", 10).await.unwrap();
    assert_eq!((ran.done, ran.retried, ran.failed), (0, 1, 0));
    let (attempts, run_at, error, _, failed) = row(&store, id).await;
    assert_eq!((attempts, error.as_deref(), failed), (1, Some("the peer is down"), None));
    assert!(run_at >= before + 10_000_000, "the next attempt waits its back-off");
    assert_eq!(jobs::run_due(&store, KINDS, "w", 10).await.unwrap().total(), 0, "not due before then");
    // Let the clock catch up with each back-off until the last attempt.
    for attempt in 2..=jobs::DEFAULT_MAX_ATTEMPTS {
        sql(&store, "UPDATE jobs SET run_at = 0").await;
        let ran = jobs::run_due(&store, KINDS, "w", 10).await.unwrap();
        let gave_up = attempt == jobs::DEFAULT_MAX_ATTEMPTS;
        assert_eq!((ran.retried, ran.failed), (usize::from(!gave_up), usize::from(gave_up)), "attempt {attempt}");
    }
    let mut tx = store.read().await.unwrap();
    let failed = jobs::failed(&mut tx).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id, failed[0].attempts), (id, jobs::DEFAULT_MAX_ATTEMPTS));
    assert_eq!(failed[0].last_error.as_deref(), Some("the peer is down"));
    drop(tx);
    sql(&store, "UPDATE jobs SET run_at = 0").await;
    assert_eq!(jobs::run_due(&store, KINDS, "w", 10).await.unwrap().total(), 0, "a failed job stays failed");
});

both_backends!(a_job_with_a_key_is_queued_once_while_it_waits, |store| async move {
    assert!(enqueue(&store, "test.record", 1, Some("report:2026-11")).await.is_some());
    assert!(enqueue(&store, "test.record", 2, Some("report:2026-11")).await.is_none(), "already waiting");
    assert!(enqueue(&store, "test.record", 3, Some("report:2026-12")).await.is_some(), "another key");
    assert_eq!(jobs::run_due(&store, KINDS, "w", 10).await.unwrap().done, 2);
    assert!(enqueue(&store, "test.record", 4, Some("report:2026-11")).await.is_some(), "done, so it may come again");
});

both_backends!(a_job_held_by_a_runner_that_died_is_taken_over_when_its_lease_ends, |store| async move {
    let id = enqueue(&store, "test.record", 7, None).await.unwrap();
    let far = yunwei_db::now_micros() + 3_600_000_000;
    sql(&store, &format!("UPDATE jobs SET locked_by = 'gone', locked_until = {far}, attempts = 1")).await;
    assert_eq!(jobs::run_due(&store, KINDS, "w", 10).await.unwrap().total(), 0, "still leased");
    sql(&store, "UPDATE jobs SET locked_until = 1").await;
    assert_eq!(jobs::run_due(&store, KINDS, "w", 10).await.unwrap().done, 1);
    let (attempts, _, _, done, _) = row(&store, id).await;
    assert_eq!((attempts, done.is_some()), (2, true));
    assert_eq!(recorded(&store).await, 1);
});
