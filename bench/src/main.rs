//! `yunwei-load`: drives a running `yunwei serve` on this machine's loopback interface with N
//! concurrent clients, one operation after the other, and reports throughput and latency
//! percentiles per operation as a table and as JSON.
//!
//! It talks to the server over HTTP only (the JSON API with an admin token, and the web UI
//! with a form login for the dashboard); it never links the server's crates. Everything it
//! needs to fill requests with (tenants, groups, users, categories, ticket numbers) it
//! discovers from the server first, untimed.

mod http;
mod ops;
mod report;
mod rng;
mod runner;
mod stats;
mod target;
mod world;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

use crate::http::{Http, parse, send_raw};
use crate::ops::OpKind;
use crate::report::{Machine, OpResult, Report, Server};
use crate::runner::Budget;
use crate::world::Me;

/// Load generator for a running `yunwei serve` (loopback only).
///
/// Each operation runs in its own phase, one after the other, with the same number of
/// clients: a short untimed warm-up, then the measured run for --duration (default 10s) or
/// --requests timed requests.
#[derive(Parser, Debug)]
#[command(name = "yunwei-load", version)]
struct Args {
    /// The server: http:// on 127.0.0.1, localhost or [::1] only.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An administrator's API token (`yunwei token create admin`).
    #[arg(long, env = "YUNWEI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    concurrency: u64,
    /// How long each operation's measured run lasts (30s, 2m, 500ms) [default: 10s].
    #[arg(long, value_parser = target::parse_duration, conflicts_with = "requests")]
    duration: Option<Duration>,
    /// Timed requests per operation instead of a time.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    requests: Option<u64>,
    /// Untimed warm-up before each operation (0s for none).
    #[arg(long, value_parser = target::parse_duration, default_value = "1s")]
    warmup: Duration,
    /// Operations to run, in this order (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = ops::ALL_OPS)]
    ops: Vec<OpKind>,
    /// Words for the search operation (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = ops::DEFAULT_TERMS)]
    search_terms: Vec<String>,
    /// Web UI login for the dashboard operation (a group lead, e.g. liu.yang in the demo).
    #[arg(long)]
    ui_login: Option<String>,
    /// Password of --ui-login.
    #[arg(long, env = "YUNWEI_UI_PASSWORD", hide_env_values = true)]
    ui_password: Option<String>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The server's process id: report its resident memory (VmRSS) before and after the load.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Exit with status 1 when any request failed (for smoke runs in CI).
    #[arg(long)]
    fail_on_errors: bool,
}

fn now() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}

/// Is the server there and healthy?
async fn preflight(http: &Http) -> Result<(), String> {
    let (status, _, body) = send_raw(http.client.get(http.url("healthz"))).await.map_err(|f| {
        format!("cannot reach Yunwei at {}: {}\n  Is `yunwei serve` running there? (see --url)", http.base, f.message)
    })?;
    if !status.is_success() {
        return Err(format!(
            "{}healthz answered HTTP {}: {} — the server is up but not healthy",
            http.base,
            status.as_u16(),
            String::from_utf8_lossy(&body).trim()
        ));
    }
    Ok(())
}

/// Whose token is it? Refuses a missing or rejected one.
async fn whoami(http: &Http) -> Result<Me, String> {
    if http.token.is_none() {
        return Err("the API operations need an administrator's token: pass --token or set YUNWEI_TOKEN \
                    (`yunwei token create admin --data-dir …`; `yunwei serve --demo` prints one)"
            .into());
    }
    let (status, _, body) = send_raw(http.get("me")).await.map_err(|f| format!("GET /api/v1/me failed: {f}"))?;
    match status.as_u16() {
        200 => parse::<Me>(&body).map_err(|f| format!("GET /api/v1/me: {f}")),
        401 | 403 => Err(format!(
            "the server refused the token (HTTP {}: {}).\n  Pass a valid administrator's API token with --token or YUNWEI_TOKEN.",
            status.as_u16(),
            String::from_utf8_lossy(&body).trim()
        )),
        s => Err(format!("GET /api/v1/me answered HTTP {s}: {}", String::from_utf8_lossy(&body).trim())),
    }
}

fn rss(pid: Option<u32>) -> Option<u64> {
    pid.and_then(report::memory_of).map(|(rss, _)| rss)
}

async fn run(args: Args) -> Result<bool, String> {
    let base = target::loopback_base(&args.url)?;
    let concurrency = args.concurrency as usize;
    let duration = args.duration.unwrap_or(Duration::from_secs(10));
    let mut kinds: Vec<OpKind> = Vec::new();
    for k in &args.ops {
        if !kinds.contains(k) {
            kinds.push(*k);
        }
    }
    if let Some(pid) = args.server_pid
        && report::memory_of(pid).is_none()
    {
        return Err(format!("--server-pid {pid}: no such process (cannot read /proc/{pid}/status)"));
    }
    let token = args.token.clone().map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let http = Http::new(base, token, concurrency)?;
    preflight(&http).await?;

    let needs_api = kinds.iter().any(|k| k.needs_api());
    let world = if needs_api || http.token.is_some() {
        let me = whoami(&http).await?;
        if me.role != "admin" {
            eprintln!(
                "yunwei-load: warning: the token belongs to {} ({}), not an administrator; figures cover only \
                 what it may see, and some operations may be refused",
                me.login, me.role
            );
        }
        world::discover(&http, &me).await?
    } else {
        world::World::default()
    };
    let world = Arc::new(world);
    let opts = ops::Options {
        terms: args.search_terms.clone(),
        ui_login: args.ui_login.clone(),
        ui_password: args.ui_password.clone(),
    };

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nyunwei-load: interrupted; finishing the requests in flight and reporting");
                stop.store(true, Ordering::Relaxed);
            }
        });
    }

    let started_at = now();
    let rss_before = rss(args.server_pid);
    let mut results = Vec::new();
    let mut rng = rng::Rng::seeded(0);
    for kind in kinds {
        if stop.load(Ordering::Relaxed) {
            results.push(OpResult::skipped(kind, "interrupted".into()));
            continue;
        }
        let prepared = match ops::prepare(kind, &http, &world, &opts, &mut rng).await {
            Ok(p) => Arc::new(p),
            Err(why) => {
                eprintln!("▷ {:<15} skipped: {why}", kind.name());
                results.push(OpResult::skipped(kind, why));
                continue;
            }
        };
        let description = prepared.describe();
        eprintln!("▶ {:<15} {description}", kind.name());
        if !args.warmup.is_zero() {
            let budget = Budget::Until(Instant::now() + args.warmup);
            runner::run(prepared.clone(), concurrency, budget, stop.clone()).await;
        }
        let budget = match args.requests {
            Some(n) => Budget::Count(AtomicU64::new(n)),
            None => Budget::Until(Instant::now() + duration),
        };
        let cpu = |pid: Option<String>| pid.and_then(|p| report::cpu_secs(&p));
        let server_pid = args.server_pid.map(|p| p.to_string());
        let (client0, server0) = (cpu(Some("self".into())), cpu(server_pid.clone()));
        let out = runner::run(prepared, concurrency, budget, stop.clone()).await;
        let wall = out.wall.as_secs_f64().max(1e-9);
        let busy = |a: Option<f64>, b: Option<f64>| Some(report::round((b? - a?) / wall, 2));
        let mut r = OpResult::from_outcome(kind, description, out, rss(args.server_pid));
        r.client_cpu_cores = busy(client0, cpu(Some("self".into())));
        r.server_cpu_cores = busy(server0, cpu(server_pid));
        eprintln!(
            "  {} ok, {} errors in {:.1} s: {:.1} req/s, p99 {} ms",
            r.requests,
            r.errors,
            r.elapsed_secs,
            r.throughput_rps,
            r.latency_ms.map(|l| format!("{:.2}", l.p99)).unwrap_or_else(|| "-".into())
        );
        results.push(r);
    }

    let server = args.server_pid.map(|pid| {
        let after = report::memory_of(pid);
        Server { pid, rss_before_kb: rss_before, rss_after_kb: after.map(|m| m.0), rss_peak_kb: after.map(|m| m.1) }
    });
    let report = Report {
        tool: "yunwei-load".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        finished_at: now(),
        url: http.base.to_string(),
        concurrency,
        duration_secs: args.requests.is_none().then_some(duration.as_secs_f64()),
        requests_per_op: args.requests,
        warmup_secs: args.warmup.as_secs_f64(),
        machine: Machine {
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            memory_kb: report::machine_memory_kb(),
        },
        server,
        data: needs_api.then(|| world.facts()),
        ops: results,
    };
    print!("{}", report::table(&report));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| format!("cannot encode the report: {e}"))?;
        std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("results written to {}", path.display());
    }
    Ok(report.ops.iter().all(|o| o.errors == 0))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let fail_on_errors = args.fail_on_errors;
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("yunwei-load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(clean) if clean || !fail_on_errors => ExitCode::SUCCESS,
        Ok(_) => {
            eprintln!("yunwei-load: some requests failed (--fail-on-errors)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("yunwei-load: {e}");
            ExitCode::from(2)
        }
    }
}
