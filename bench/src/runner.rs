//! One phase: N workers repeat an operation until the time or the request budget runs out,
//! each keeping its own samples; the phase merges them at the end.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::RequestBuilder;
use serde::de::DeserializeOwned;

use crate::http::{Failure, parse, send};
use crate::ops::{self, Prepared};
use crate::rng::Rng;

/// How many error messages a phase keeps for the report.
pub const ERROR_SAMPLES: usize = 5;

/// The pause after a transport error.
const TRANSPORT_BACKOFF: Duration = Duration::from_millis(20);

pub enum Budget {
    /// Start no iteration after this instant.
    Until(Instant),
    /// Timed requests left to start.
    Count(AtomicU64),
}

impl Budget {
    /// Takes `n` timed requests from the budget; `false` when it is spent. The last
    /// iteration may overrun a count by less than `n`.
    fn take(&self, n: u64) -> bool {
        match self {
            Budget::Until(t) => Instant::now() < *t,
            Budget::Count(left) => left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| (l > 0).then(|| l.saturating_sub(n)))
                .is_ok(),
        }
    }
}

struct Phase {
    budget: Budget,
    stop: Arc<AtomicBool>,
    errors: Mutex<Vec<String>>,
}

/// What one worker (and, merged, the phase) saw.
#[derive(Default)]
pub struct Tally {
    /// Latencies of the successful timed requests, per part.
    pub ok: Vec<Vec<Duration>>,
    /// Failed timed requests, per part.
    pub err: Vec<u64>,
    /// Failed untimed requests (the set-up of an action chain).
    pub setup_err: u64,
    /// Time spent in untimed requests.
    pub untimed: Duration,
}

impl Tally {
    fn new(parts: usize) -> Tally {
        Tally { ok: vec![Vec::new(); parts], err: vec![0; parts], ..Tally::default() }
    }

    fn merge(&mut self, other: Tally) {
        for (a, b) in self.ok.iter_mut().zip(other.ok) {
            a.extend(b);
        }
        for (a, b) in self.err.iter_mut().zip(other.err) {
            *a += b;
        }
        self.setup_err += other.setup_err;
        self.untimed += other.untimed;
    }
}

pub struct Worker {
    phase: Arc<Phase>,
    parts: &'static [&'static str],
    pub rng: Rng,
    pub tally: Tally,
    /// Iterations so far (started at the worker's index, so workers rotate out of step).
    pub turn: usize,
}

impl Worker {
    /// Records a failure; after a transport error (a server gone away) waits a moment, so
    /// that the phase counts the failure instead of spinning on refused connections.
    async fn failed(&self, label: &str, f: &Failure) {
        self.note(label, f);
        if f.status.is_none() {
            tokio::time::sleep(TRANSPORT_BACKOFF).await;
        }
    }

    fn note(&self, label: &str, f: &Failure) {
        if let Ok(mut e) = self.phase.errors.lock()
            && e.len() < ERROR_SAMPLES
        {
            e.push(if label.is_empty() { f.to_string() } else { format!("[{label}] {f}") });
        }
    }

    /// Sends a request and counts its latency (to the last byte of the answer) under `part`.
    pub async fn timed(&mut self, part: usize, rb: RequestBuilder) -> Option<Vec<u8>> {
        let start = Instant::now();
        let out = send(rb).await;
        let took = start.elapsed();
        match out {
            Ok(body) => {
                self.tally.ok[part].push(took);
                Some(body)
            }
            Err(f) => {
                self.tally.err[part] += 1;
                self.failed(self.parts[part], &f).await;
                None
            }
        }
    }

    /// Sends a request that is not part of the figures (its time is taken out of the rate).
    pub async fn untimed(&mut self, label: &str, rb: RequestBuilder) -> Option<Vec<u8>> {
        let start = Instant::now();
        let out = send(rb).await;
        self.tally.untimed += start.elapsed();
        match out {
            Ok(body) => Some(body),
            Err(f) => {
                self.tally.setup_err += 1;
                self.failed(label, &f).await;
                None
            }
        }
    }

    /// Reads a JSON answer a later step depends on; a surprise counts as a set-up error.
    pub fn read<T: DeserializeOwned>(&mut self, label: &str, body: &[u8]) -> Option<T> {
        match parse(body) {
            Ok(v) => Some(v),
            Err(f) => {
                self.tally.setup_err += 1;
                self.note(label, &f);
                None
            }
        }
    }
}

pub struct Outcome {
    pub tally: Tally,
    pub wall: Duration,
    pub errors: Vec<String>,
    pub concurrency: usize,
}

impl Outcome {
    /// The time the workers spent on timed requests and the pauses between them: the wall
    /// time less each worker's average share of untimed set-up.
    pub fn timed_secs(&self) -> f64 {
        let setup = self.tally.untimed.as_secs_f64() / self.concurrency.max(1) as f64;
        (self.wall.as_secs_f64() - setup).max(1e-9)
    }
}

/// Runs `p` with `concurrency` workers until `budget` is spent or `stop` is set.
pub async fn run(p: Arc<Prepared>, concurrency: usize, budget: Budget, stop: Arc<AtomicBool>) -> Outcome {
    let parts = p.kind.parts();
    let phase = Arc::new(Phase { budget, stop, errors: Mutex::new(Vec::new()) });
    let start = Instant::now();
    let mut handles = Vec::with_capacity(concurrency);
    for i in 0..concurrency {
        let p = p.clone();
        let mut w = Worker {
            phase: phase.clone(),
            parts,
            rng: Rng::seeded(i as u64 + 1),
            tally: Tally::new(parts.len()),
            turn: i,
        };
        handles.push(tokio::spawn(async move {
            let cost = p.cost();
            while !w.phase.stop.load(Ordering::Relaxed) && w.phase.budget.take(cost) {
                ops::once(&p, &mut w).await;
            }
            w.tally
        }));
    }
    let mut tally = Tally::new(parts.len());
    for h in handles {
        // A worker only ends by returning its tally; a panic would be a bug worth seeing.
        match h.await {
            Ok(t) => tally.merge(t),
            Err(e) => eprintln!("yunwei-load: a worker failed: {e}"),
        }
    }
    let wall = start.elapsed();
    let errors = phase.errors.lock().map(|e| e.clone()).unwrap_or_default();
    Outcome { tally, wall, errors, concurrency }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_budget_is_shared_and_never_goes_below_zero() {
        let b = Budget::Count(AtomicU64::new(10));
        let mut taken = 0;
        while b.take(4) {
            taken += 1;
        }
        // 10 → 6 → 2 → 0: three chains of four start (the last one overruns by two).
        assert_eq!(taken, 3);
        assert!(!b.take(1));
        let b = Budget::Until(Instant::now());
        assert!(!b.take(1));
    }
}
