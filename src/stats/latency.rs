//! Bounded-memory latency histograms: HdrHistogram (3 significant digits)
//! for percentiles, plus an exact count, sum and max.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Significant decimal digits kept by the histogram (relative error 0.1%).
const SIGFIG: u8 = 3;
/// Largest value recorded: about 31.7 years in nanoseconds; larger saturates.
const MAX_NS: u64 = 1_000_000_000_000_000_000;

/// Latencies in nanoseconds. Memory depends on the value range, never on
/// how many values were recorded.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
    count: u64,
    sum_ns: u128,
    max_ns: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> LatencyHistogram {
        LatencyHistogram {
            histogram: Histogram::new_with_bounds(1, MAX_NS, SIGFIG)
                .expect("constant bounds are valid"),
            count: 0,
            sum_ns: 0,
            max_ns: 0,
        }
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        let ns = ns.min(MAX_NS);
        self.histogram.saturating_record(ns.max(1));
        self.count += 1;
        self.sum_ns += u128::from(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Forgets everything recorded (end of warm-up).
    pub fn clear(&mut self) {
        self.histogram.reset();
        self.count = 0;
        self.sum_ns = 0;
        self.max_ns = 0;
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact mean in seconds (0 when empty).
    pub fn mean_s(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_ns as f64 / self.count as f64 / 1e9
        }
    }

    /// The value at quantile `q` in seconds (within 0.1%), 0 when empty.
    pub fn quantile_s(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        // Never report above the exact maximum.
        let v = self.histogram.value_at_quantile(q).min(self.max_ns);
        v as f64 / 1e9
    }

    /// Exact mean, p50, p90, p99, p99.9 and exact max.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.count,
            mean_s: self.mean_s(),
            p50_s: self.quantile_s(0.5),
            p90_s: self.quantile_s(0.9),
            p99_s: self.quantile_s(0.99),
            p999_s: self.quantile_s(0.999),
            max_s: self.max_ns as f64 / 1e9,
        }
    }
}

/// The headline figures of a latency histogram, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Exact mean.
    pub mean_s: f64,
    /// Median.
    pub p50_s: f64,
    /// 90th percentile.
    pub p90_s: f64,
    /// 99th percentile.
    pub p99_s: f64,
    /// 99.9th percentile.
    pub p999_s: f64,
    /// Exact maximum.
    pub max_s: f64,
}

impl LatencySummary {
    /// The figures by name, for flattening into metrics.
    pub fn fields(&self) -> [(&'static str, f64); 6] {
        [
            ("mean_s", self.mean_s),
            ("p50_s", self.p50_s),
            ("p90_s", self.p90_s),
            ("p99_s", self.p99_s),
            ("p999_s", self.p999_s),
            ("max_s", self.max_s),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_mean_and_max_with_percentiles_within_a_tenth_of_a_percent() {
        let mut h = LatencyHistogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1000);
        }
        let s = h.summary();
        assert_eq!(s.count, 100_000);
        assert!((s.mean_s - 50_000.5e-6).abs() < 1e-12);
        assert_eq!(s.max_s, 0.1);
        for (q, got) in [(0.5, s.p50_s), (0.99, s.p99_s), (0.999, s.p999_s)] {
            let exact = q * 0.1;
            assert!(
                (got - exact).abs() <= exact * 1e-3 + 1e-6,
                "q={q}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn clear_forgets_and_empty_is_zero() {
        let mut h = LatencyHistogram::new();
        h.record(5);
        h.clear();
        assert_eq!(h.summary(), LatencySummary::default());
        h.record(0);
        assert_eq!(h.summary().max_s, 0.0);
        assert_eq!(h.quantile_s(0.5), 0.0);
    }
}
