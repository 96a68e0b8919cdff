//! Query latency percentiles.

use serde::Serialize;

/// The `p`-th percentile (0 < p <= 100) of `samples` by the nearest-rank method: the smallest
/// sample such that at least `p`% of the samples are less or equal, i.e. the
/// `ceil(p / 100 * n)`-th smallest. Always one of the samples (no interpolation); 0 when there
/// are none.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The reported latency percentiles, milliseconds (nearest rank, see [`percentile`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

impl Latency {
    /// Summarizes per-query latencies in milliseconds.
    pub fn of(samples_ms: &[f64]) -> Latency {
        Latency {
            p50_ms: percentile(samples_ms, 50.0),
            p95_ms: percentile(samples_ms, 95.0),
            p99_ms: percentile(samples_ms, 99.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_by_hand() {
        // 1..=20 shuffled: p50 is the 10th smallest, p95 the 19th, p99 the 20th.
        let samples: Vec<f64> = (1..=20).map(|i| f64::from((i * 7) % 20 + 1)).collect();
        assert_eq!(Latency::of(&samples), Latency { p50_ms: 10.0, p95_ms: 19.0, p99_ms: 20.0 });
        // Five samples: ceil(2.5) = 3rd, ceil(4.75) = ceil(4.95) = 5th.
        let five = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(Latency::of(&five), Latency { p50_ms: 3.0, p95_ms: 5.0, p99_ms: 5.0 });
        assert_eq!(percentile(&five, 20.0), 1.0);
        assert_eq!(percentile(&five, 21.0), 2.0);
    }

    #[test]
    fn one_or_no_sample() {
        assert_eq!(Latency::of(&[0.7]), Latency { p50_ms: 0.7, p95_ms: 0.7, p99_ms: 0.7 });
        assert_eq!(Latency::of(&[]), Latency::default());
    }
}
