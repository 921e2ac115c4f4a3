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
    tokio::spawn(async move {
        loop {
            let started = Instant::now();
            match scan_once(&store).await {
                Ok(n) => {
                    metrics.observe_scan(started.elapsed().as_secs_f64(), n);
                    if n > 0 {
                        tracing::info!(fired = n, "SLA thresholds fired");
                    }
                }
                Err(e) => {
                    metrics.scan_failed();
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
