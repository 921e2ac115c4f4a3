//! The figures: one row per operation (and per part where an operation has several), as a
//! table for people and as JSON for scripts.

use std::fmt::Write as _;

use serde::Serialize;

use crate::ops::OpKind;
use crate::runner::Outcome;
use crate::stats::{Latency, summarize};
use crate::world::WorldFacts;

#[derive(Serialize)]
pub struct PartResult {
    pub name: String,
    /// Successful timed requests.
    pub requests: u64,
    pub errors: u64,
    pub throughput_rps: f64,
    pub latency_ms: Option<Latency>,
}

#[derive(Serialize)]
pub struct OpResult {
    pub op: String,
    /// Why the operation did not run; everything below is zero then.
    pub skipped: Option<String>,
    /// What was sent, in words.
    pub description: String,
    pub requests: u64,
    /// Failed timed requests plus failed untimed set-up requests.
    pub errors: u64,
    /// Wall-clock length of the measured phase.
    pub elapsed_secs: f64,
    /// `elapsed_secs` less the workers' untimed set-up (only `action` has any).
    pub timed_secs: f64,
    /// Successful timed requests per second of `timed_secs`.
    pub throughput_rps: f64,
    pub latency_ms: Option<Latency>,
    /// The first few failures (status and the start of the answer).
    pub error_samples: Vec<String>,
    /// The server's resident memory right after this phase (with `--server-pid`).
    pub server_rss_kb: Option<u64>,
    /// Cores kept busy on average during the phase (CPU seconds / wall seconds) by this
    /// load generator and by the server (with `--server-pid`): on a small machine both share
    /// the same cores.
    pub client_cpu_cores: Option<f64>,
    pub server_cpu_cores: Option<f64>,
    /// Per-part figures when the operation has several (queue shapes, search languages,
    /// action steps); empty otherwise.
    pub parts: Vec<PartResult>,
}

impl OpResult {
    pub fn skipped(kind: OpKind, reason: String) -> OpResult {
        OpResult {
            op: kind.name().into(),
            skipped: Some(reason),
            description: String::new(),
            requests: 0,
            errors: 0,
            elapsed_secs: 0.0,
            timed_secs: 0.0,
            throughput_rps: 0.0,
            latency_ms: None,
            error_samples: Vec::new(),
            server_rss_kb: None,
            client_cpu_cores: None,
            server_cpu_cores: None,
            parts: Vec::new(),
        }
    }

    pub fn from_outcome(kind: OpKind, description: String, out: Outcome, server_rss_kb: Option<u64>) -> OpResult {
        let secs = out.timed_secs();
        let names = kind.parts();
        let mut parts = Vec::new();
        let mut all = Vec::new();
        let mut errors = out.tally.setup_err;
        for (i, mut samples) in out.tally.ok.into_iter().enumerate() {
            let err = out.tally.err[i];
            errors += err;
            if names.len() > 1 && (!samples.is_empty() || err > 0) {
                parts.push(PartResult {
                    name: names[i].into(),
                    requests: samples.len() as u64,
                    errors: err,
                    throughput_rps: round(samples.len() as f64 / secs, 1),
                    latency_ms: summarize(&mut samples),
                });
            }
            all.extend(samples);
        }
        OpResult {
            op: kind.name().into(),
            skipped: None,
            description,
            requests: all.len() as u64,
            errors,
            elapsed_secs: round(out.wall.as_secs_f64(), 3),
            timed_secs: round(secs, 3),
            throughput_rps: round(all.len() as f64 / secs, 1),
            latency_ms: summarize(&mut all),
            error_samples: out.errors,
            server_rss_kb,
            client_cpu_cores: None,
            server_cpu_cores: None,
            parts,
        }
    }
}

#[derive(Serialize)]
pub struct Server {
    pub pid: u32,
    pub rss_before_kb: Option<u64>,
    pub rss_after_kb: Option<u64>,
    /// The peak resident memory since the server started (`VmHWM`), read after the load.
    pub rss_peak_kb: Option<u64>,
}

#[derive(Serialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_kb: Option<u64>,
}

#[derive(Serialize)]
pub struct Report {
    pub tool: String,
    pub version: String,
    pub started_at: String,
    pub finished_at: String,
    pub url: String,
    pub concurrency: usize,
    /// Per operation: either a time (`duration_secs`) or a count of timed requests.
    pub duration_secs: Option<f64>,
    pub requests_per_op: Option<u64>,
    pub warmup_secs: f64,
    pub machine: Machine,
    pub server: Option<Server>,
    pub data: Option<WorldFacts>,
    pub ops: Vec<OpResult>,
}

pub fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn mb(kb: Option<u64>) -> String {
    kb.map(|k| format!("{:.1} MB", k as f64 / 1024.0)).unwrap_or_else(|| "?".into())
}

fn row(out: &mut String, name: &str, requests: u64, errors: u64, rps: f64, l: Option<&Latency>) {
    let lat = |f: fn(&Latency) -> f64| l.map(|l| format!("{:.2}", f(l))).unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "{name:<22} {requests:>9} {errors:>7} {rps:>10.1} {:>9} {:>9} {:>9} {:>9}",
        lat(|l| l.p50),
        lat(|l| l.p95),
        lat(|l| l.p99),
        lat(|l| l.max),
    );
}

/// The table, the errors seen and the server's memory, as printed at the end of a run.
pub fn table(r: &Report) -> String {
    let mut out = String::new();
    let mode = match (r.duration_secs, r.requests_per_op) {
        (_, Some(n)) => format!("{n} requests per op"),
        (Some(s), None) => format!("{s} s per op"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "\nyunwei-load {} → {}  ·  {} clients  ·  {mode} (warm-up {} s)  ·  {} cores",
        r.version, r.url, r.concurrency, r.warmup_secs, r.machine.cores
    );
    let _ = writeln!(
        out,
        "{:<22} {:>9} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9}",
        "operation", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let _ = writeln!(out, "{}", "-".repeat(22 + 10 + 8 + 11 + 40));
    for op in &r.ops {
        if let Some(why) = &op.skipped {
            let _ = writeln!(out, "{:<22} skipped: {why}", op.op);
            continue;
        }
        row(&mut out, &op.op, op.requests, op.errors, op.throughput_rps, op.latency_ms.as_ref());
        for p in &op.parts {
            row(&mut out, &format!("  · {}", p.name), p.requests, p.errors, p.throughput_rps, p.latency_ms.as_ref());
        }
    }
    for op in r.ops.iter().filter(|o| !o.error_samples.is_empty()) {
        let _ = writeln!(out, "\nerrors in {} ({} in all; the first {}):", op.op, op.errors, op.error_samples.len());
        for e in &op.error_samples {
            let _ = writeln!(out, "  {e}");
        }
    }
    let cpu: Vec<String> = r
        .ops
        .iter()
        .filter_map(|o| {
            let c = o.client_cpu_cores?;
            Some(match o.server_cpu_cores {
                Some(s) => format!("{} {c:.2}/{s:.2}", o.op),
                None => format!("{} {c:.2}", o.op),
            })
        })
        .collect();
    if !cpu.is_empty() {
        let who = if r.server.is_some() { "this tool/server" } else { "this tool" };
        let _ = writeln!(out, "\ncores busy ({who}, of {}): {}", r.machine.cores, cpu.join(", "));
    }
    if let Some(s) = &r.server {
        let _ = writeln!(
            out,
            "\nserver memory (pid {}): {} resident before, {} after, peak {}",
            s.pid,
            mb(s.rss_before_kb),
            mb(s.rss_after_kb),
            mb(s.rss_peak_kb)
        );
        let per_op: Vec<String> =
            r.ops.iter().filter_map(|o| o.server_rss_kb.map(|k| format!("{} {}", o.op, mb(Some(k))))).collect();
        if !per_op.is_empty() {
            let _ = writeln!(out, "  after each op: {}", per_op.join(", "));
        }
    }
    out
}

/// `VmRSS` and `VmHWM` of a process, in kB, from `/proc/PID/status`.
pub fn memory_of(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some((status_kb(&status, "VmRSS")?, status_kb(&status, "VmHWM").unwrap_or(0)))
}

fn status_kb(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time (user and system, all threads) a process has used, in seconds; `pid` may be
/// `self`.
pub fn cpu_secs(pid: &str) -> Option<f64> {
    stat_cpu_secs(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn stat_cpu_secs(stat: &str) -> Option<f64> {
    // After "pid (comm) ", field 3 (state) comes first: utime and stime are fields 14 and 15,
    // in clock ticks of 1/100 s (USER_HZ on Linux).
    let rest: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    let ticks: u64 = rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Total memory of the machine, in kB.
pub fn machine_memory_kb() -> Option<u64> {
    status_kb(&std::fs::read_to_string("/proc/meminfo").ok()?, "MemTotal")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_is_read_from_proc_status() {
        let status = "Name:\tyunwei\nVmPeak:\t  900000 kB\nVmHWM:\t   41234 kB\nVmRSS:\t   23456 kB\nThreads:\t5\n";
        assert_eq!(status_kb(status, "VmRSS"), Some(23456));
        assert_eq!(status_kb(status, "VmHWM"), Some(41234));
        assert_eq!(status_kb(status, "VmSwap"), None);
        // Our own process is always there.
        let (rss, peak) = memory_of(std::process::id()).unwrap();
        assert!(rss > 0 && peak >= rss);
    }

    #[test]
    fn cpu_time_is_read_from_proc_stat_even_with_odd_process_names() {
        let stat = "4242 (yunwei (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 75 0 0 20 0 9 0 123 0 0";
        assert_eq!(stat_cpu_secs(stat), Some(3.25));
        assert!(cpu_secs("self").is_some());
    }
}
