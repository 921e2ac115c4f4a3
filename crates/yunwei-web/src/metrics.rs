//! Prometheus metrics at `/metrics`: request counts and latencies per route and status, and
//! the SLA escalation scans (how long each took, how many thresholds fired).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Method, route template and status.
type Key = (String, String, u16);

/// The SLA escalation scans since start. A scan reads the clocks whose next threshold is due,
/// so its time follows the thresholds due, not the tickets open.
#[derive(Default)]
struct Scans {
    count: u64,
    seconds: f64,
    max_seconds: f64,
    fired: u64,
    failed: u64,
}

#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<BTreeMap<Key, Series>>>,
    started: Arc<Mutex<Option<Instant>>>,
    scans: Arc<Mutex<Scans>>,
    jobs: Arc<Mutex<yunwei_db::jobs::Ran>>,
}

impl Metrics {
    pub fn new() -> Self {
        let m = Metrics::default();
        if let Ok(mut s) = m.started.lock() {
            *s = Some(Instant::now());
        }
        m
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut map) = self.inner.lock() else { return };
        let s = map.entry((method.to_string(), route.to_string(), status)).or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                s.buckets[i] += 1;
            }
        }
    }

    /// Counts an SLA escalation scan that took `seconds` and fired `fired` thresholds.
    pub fn observe_scan(&self, seconds: f64, fired: usize) {
        let Ok(mut s) = self.scans.lock() else { return };
        s.count += 1;
        s.seconds += seconds;
        s.max_seconds = s.max_seconds.max(seconds);
        s.fired += u64::try_from(fired).unwrap_or(u64::MAX);
    }

    /// Counts what a run of the job runner did.
    pub fn observe_jobs(&self, ran: yunwei_db::jobs::Ran) {
        if let Ok(mut j) = self.jobs.lock() {
            j.done += ran.done;
            j.retried += ran.retried;
            j.failed += ran.failed;
        }
    }

    /// Counts an SLA escalation scan that failed.
    pub fn scan_failed(&self) {
        if let Ok(mut s) = self.scans.lock() {
            s.failed += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let uptime = self.started.lock().ok().and_then(|s| *s).map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0);
        out.push_str("# HELP yunwei_up Whether Yunwei is serving.\n# TYPE yunwei_up gauge\nyunwei_up 1\n");
        out.push_str(&format!(
            "# HELP yunwei_uptime_seconds Seconds since start.\n# TYPE yunwei_uptime_seconds gauge\nyunwei_uptime_seconds {uptime:.3}\n"
        ));
        out.push_str(&format!(
            "# HELP yunwei_build_info Version of this build.\n# TYPE yunwei_build_info gauge\nyunwei_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        ));
        if let Ok(scans) = self.scans.lock() {
            out.push_str(&format!(
                "# HELP yunwei_sla_scan_duration_seconds Time each SLA escalation scan took.\n\
                 # TYPE yunwei_sla_scan_duration_seconds summary\n\
                 yunwei_sla_scan_duration_seconds_sum {:.6}\nyunwei_sla_scan_duration_seconds_count {}\n\
                 # HELP yunwei_sla_scan_duration_max_seconds The longest SLA escalation scan since start.\n\
                 # TYPE yunwei_sla_scan_duration_max_seconds gauge\nyunwei_sla_scan_duration_max_seconds {:.6}\n\
                 # HELP yunwei_sla_thresholds_fired_total SLA thresholds fired by the escalation scans.\n\
                 # TYPE yunwei_sla_thresholds_fired_total counter\nyunwei_sla_thresholds_fired_total {}\n\
                 # HELP yunwei_sla_scan_failures_total SLA escalation scans that failed (retried at the next tick).\n\
                 # TYPE yunwei_sla_scan_failures_total counter\nyunwei_sla_scan_failures_total {}\n",
                scans.seconds, scans.count, scans.max_seconds, scans.fired, scans.failed
            ));
        }
        if let Ok(j) = self.jobs.lock() {
            out.push_str(&format!(
                "# HELP yunwei_jobs_total Queued jobs run on this instance, by outcome.\n\
                 # TYPE yunwei_jobs_total counter\n\
                 yunwei_jobs_total{{outcome=\"done\"}} {}\nyunwei_jobs_total{{outcome=\"retried\"}} {}\n\
                 yunwei_jobs_total{{outcome=\"failed\"}} {}\n",
                j.done, j.retried, j.failed
            ));
        }
        let Ok(map) = self.inner.lock() else { return out };
        out.push_str(
            "# HELP yunwei_http_requests_total HTTP requests answered.\n# TYPE yunwei_http_requests_total counter\n",
        );
        for ((m, r, st), s) in map.iter() {
            out.push_str(&format!(
                "yunwei_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {}\n",
                s.count
            ));
        }
        out.push_str(
            "# HELP yunwei_http_request_duration_seconds Time to answer.\n# TYPE yunwei_http_request_duration_seconds histogram\n",
        );
        for ((m, r, st), s) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{r}\",status=\"{st}\"");
            for (i, bound) in BUCKETS.iter().enumerate() {
                out.push_str(&format!(
                    "yunwei_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}\n",
                    s.buckets[i]
                ));
            }
            out.push_str(&format!("yunwei_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n", s.count));
            out.push_str(&format!("yunwei_http_request_duration_seconds_sum{{{labels}}} {:.6}\n", s.sum));
            out.push_str(&format!("yunwei_http_request_duration_seconds_count{{{labels}}} {}\n", s.count));
        }
        out
    }
}

/// Middleware: times each request under its route template (never the raw path, so ids do not
/// explode the number of series).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    state.metrics.observe(&method, &route, res.status().as_u16(), start.elapsed().as_secs_f64());
    res
}

pub async fn endpoint(State(state): State<AppState>) -> impl IntoResponse {
    let mut body = state.metrics.render();
    let pending = async {
        let mut tx = state.store.read().await?;
        yunwei_db::jobs::pending(&mut tx).await
    };
    match pending.await {
        Ok(n) => body.push_str(&format!(
            "# HELP yunwei_jobs_queued Queued jobs waiting to run (all instances).\n# TYPE yunwei_jobs_queued gauge\nyunwei_jobs_queued {n}\n"
        )),
        Err(e) => tracing::warn!(error = %e, "queued jobs could not be counted"),
    }
    if let Some(n) = state.store.background_checkpoints() {
        body.push_str(&format!(
            "# HELP yunwei_sqlite_background_checkpoints_total Background checkpoints of the SQLite log (copies into the database file) run.\n# TYPE yunwei_sqlite_background_checkpoints_total counter\nyunwei_sqlite_background_checkpoints_total {n}\n"
        ));
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
