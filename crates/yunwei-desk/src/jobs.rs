//! Background work: the SLA escalation scan. Every instance runs it; the store makes each
//! firing happen once however many instances scan at the same time.

use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use yunwei_db::Store;
use yunwei_web::AppState;
use yunwei_web::metrics::Metrics;

use crate::store::sla;

/// The desk's background work, for its [`Module`](yunwei_web::Module).
pub fn spawn(state: &AppState, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    vec![spawn_sla_scan(state.store.clone(), state.metrics.clone(), state.config.sla_scan_every, stop)]
}

/// Scans for due SLA thresholds every `every` until `stop` turns true, counting each scan in
/// `metrics`.
pub fn spawn_sla_scan(
    store: Store,
    metrics: Metrics,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    const FIRED: &str = "yunwei_sla_thresholds_fired_total";
    const FIRED_HELP: &str = "SLA thresholds fired by the escalation scans.";
    const FAILED: &str = "yunwei_sla_scan_failures_total";
    const FAILED_HELP: &str = "SLA escalation scans that failed (retried at the next tick).";
    metrics.count(FIRED, FIRED_HELP, 0);
    metrics.count(FAILED, FAILED_HELP, 0);
    tokio::spawn(async move {
        loop {
            let started = Instant::now();
            match scan_once(&store).await {
                Ok(n) => {
                    let help = "Time each SLA escalation scan took.";
                    metrics.observe_seconds("yunwei_sla_scan_duration_seconds", help, started.elapsed().as_secs_f64());
                    metrics.count(FIRED, FIRED_HELP, u64::try_from(n).unwrap_or(u64::MAX));
                    if n > 0 {
                        tracing::info!(fired = n, "SLA thresholds fired");
                    }
                }
                Err(e) => {
                    metrics.count(FAILED, FAILED_HELP, 1);
                    tracing::warn!(error = %e, "SLA scan failed; retrying at the next tick");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
        }
    })
}

/// Fires what is due now, in batches, and returns how many thresholds fired.
pub async fn scan_once(store: &Store) -> yunwei_db::Result<usize> {
    const BATCH: i64 = 200;
    let mut total = 0;
    loop {
        let mut tx = store.write().await?;
        let n = sla::fire_due(&mut tx, jiff::Timestamp::now(), BATCH).await?;
        tx.commit().await?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
    }
}
