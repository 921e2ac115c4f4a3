//! Latency figures from the raw samples: a sorted `Vec` and nearest-rank percentiles.

use std::time::Duration;

use serde::Serialize;

/// The latency of one sample set, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// The nearest-rank percentile `p` (0–100) of an ascending slice: the smallest sample with at
/// least `p` % of all samples at or below it. An empty slice gives zero.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// Milliseconds, to the microsecond.
fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// Sorts the samples and summarises them; `None` when there are none.
pub fn summarize(samples: &mut [Duration]) -> Option<Latency> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    Some(Latency {
        min: ms(samples[0]),
        mean: (ms(total) / samples.len() as f64 * 1000.0).round() / 1000.0,
        p50: ms(percentile(samples, 50.0)),
        p95: ms(percentile(samples, 95.0)),
        p99: ms(percentile(samples, 99.0)),
        max: ms(samples[samples.len() - 1]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(v: impl IntoIterator<Item = u64>) -> Vec<Duration> {
        v.into_iter().map(Duration::from_millis).collect()
    }

    #[test]
    fn percentiles_of_one_to_a_hundred_are_the_ranks_themselves() {
        // Shuffled on purpose: summarize sorts.
        let mut v = millis((1..=100).rev());
        v.swap(3, 70);
        let l = summarize(&mut v).unwrap();
        assert_eq!((l.min, l.p50, l.p95, l.p99, l.max), (1.0, 50.0, 95.0, 99.0, 100.0));
        assert!((l.mean - 50.5).abs() < 1e-9);
    }

    #[test]
    fn a_single_slow_request_in_a_thousand_shows_in_the_max_but_not_the_p99() {
        let mut v = millis(std::iter::repeat_n(2, 999).chain([500]));
        let l = summarize(&mut v).unwrap();
        assert_eq!((l.p50, l.p99, l.max), (2.0, 2.0, 500.0));
        // Eleven slow ones out of a thousand reach the p99.
        let mut v = millis(std::iter::repeat_n(2, 989).chain(std::iter::repeat_n(500, 11)));
        assert_eq!(summarize(&mut v).unwrap().p99, 500.0);
    }

    #[test]
    fn small_sets_round_up_to_a_real_sample() {
        let v = millis([10, 20, 30]);
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(20));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(30));
        assert_eq!(percentile(&v, 0.0), Duration::from_millis(10));
        assert_eq!(percentile(&[], 99.0), Duration::ZERO);
        assert_eq!(summarize(&mut []), None);
    }
}
