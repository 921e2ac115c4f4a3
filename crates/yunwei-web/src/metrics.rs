//! Prometheus metrics at `/metrics`: request counts and latencies per route and status, the
//! job runner's outcomes, and the series modules keep of their own work (counters and
//! durations by name, such as the desk's SLA scans).

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

/// A series a module keeps: a counter, or a summary of durations with its maximum.
enum Own {
    Counter { help: &'static str, total: u64 },
    Summary { help: &'static str, count: u64, seconds: f64, max_seconds: f64 },
}

#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<BTreeMap<Key, Series>>>,
    started: Arc<Mutex<Option<Instant>>>,
    own: Arc<Mutex<BTreeMap<&'static str, Own>>>,
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

    /// Adds `by` to the counter `name` (`yunwei_…_total`), shown from the first call on (call
    /// with 0 at start so it shows before anything happened).
    pub fn count(&self, name: &'static str, help: &'static str, by: u64) {
        let Ok(mut own) = self.own.lock() else { return };
        if let Own::Counter { total, .. } = own.entry(name).or_insert(Own::Counter { help, total: 0 }) {
            *total += by;
        }
    }

    /// Records one run of something that took `seconds` in the summary `name`
    /// (`yunwei_…_seconds`), with its maximum as the gauge `name` with `_max` before `_seconds`.
    pub fn observe_seconds(&self, name: &'static str, help: &'static str, seconds: f64) {
        let Ok(mut own) = self.own.lock() else { return };
        let entry = own.entry(name).or_insert(Own::Summary { help, count: 0, seconds: 0.0, max_seconds: 0.0 });
        if let Own::Summary { count, seconds: sum, max_seconds, .. } = entry {
            *count += 1;
            *sum += seconds;
            *max_seconds = max_seconds.max(seconds);
        }
    }

    /// Counts what a run of the job runner did.
    pub fn observe_jobs(&self, ran: yunwei_db::jobs::Ran) {
        if let Ok(mut j) = self.jobs.lock() {
            j.done += ran.done;
            j.retried += ran.retried;
            j.failed += ran.failed;
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
        if let Ok(own) = self.own.lock() {
            for (name, series) in own.iter() {
                match series {
                    Own::Counter { help, total } => {
                        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {total}\n"));
                    }
                    Own::Summary { help, count, seconds, max_seconds } => {
                        let max = name
                            .strip_suffix("_seconds")
                            .map_or_else(|| format!("{name}_max"), |n| format!("{n}_max_seconds"));
                        out.push_str(&format!(
                            "# HELP {name} {help}\n# TYPE {name} summary\n{name}_sum {seconds:.6}\n{name}_count {count}\n\
                             # HELP {max} The longest since start.\n# TYPE {max} gauge\n{max} {max_seconds:.6}\n"
                        ));
                    }
                }
            }
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
