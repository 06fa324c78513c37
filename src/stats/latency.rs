//! Bounded-memory latency histograms: log-linear buckets with 1,024
//! sub-buckets per power of two (three significant digits, relative error
//! below 0.1%, as HdrHistogram with 3 digits), plus an exact count, sum and
//! max. Recording is a few instructions: it is on the simulator's hot path.

use serde::{Deserialize, Serialize};

/// Values below this are counted exactly, one bucket each.
const LINEAR: u64 = 2048;
/// Sub-buckets per power of two above `LINEAR`.
const SUB: u64 = 1024;
/// log2(SUB).
const SUB_BITS: u32 = 10;
/// Buckets summed at a time while looking for a quantile.
const SCAN_CHUNK: usize = 64;
/// Largest value recorded: about 31.7 years in nanoseconds; larger saturates.
const MAX_NS: u64 = 1_000_000_000_000_000_000;

/// Latencies in nanoseconds. Memory depends on the largest value seen
/// (at most 52,224 buckets, 408 KiB), never on how many values were recorded.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    count: u64,
    sum_ns: u128,
    max_ns: u64,
}

/// The bucket of a value.
#[inline]
fn index(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let shift = 63 - v.leading_zeros() - SUB_BITS; // >= 1
    let sub = v >> shift; // in [SUB, 2 * SUB)
    (LINEAR + u64::from(shift - 1) * SUB + (sub - SUB)) as usize
}

/// The largest value that falls in bucket `i`.
fn highest(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let shift = (i - LINEAR) / SUB + 1;
    let sub = (i - LINEAR) % SUB + SUB;
    ((sub + 1) << shift) - 1
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> LatencyHistogram {
        LatencyHistogram::default()
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        self.record_n(ns, 1);
    }

    /// Records a latency of zero (an instant publish): the common case,
    /// without the bucket arithmetic.
    #[inline]
    pub fn record_zero(&mut self) {
        match self.counts.first_mut() {
            Some(c) => *c += 1,
            None => self.counts.push(1),
        }
        self.count += 1;
    }

    /// Records the same latency `n` times.
    #[inline]
    pub fn record_n(&mut self, ns: u64, n: u64) {
        let ns = ns.min(MAX_NS);
        self.add(index(ns), ns, n);
    }

    /// Counts `n` values of `ns` (at most `MAX_NS`) in bucket `i`.
    #[inline(always)]
    fn add(&mut self, i: usize, ns: u64, n: u64) {
        match self.counts.get_mut(i) {
            Some(c) => *c += n,
            None => self.grow_to(i, n),
        }
        self.count += n;
        self.sum_ns += u128::from(ns) * u128::from(n);
        if n > 0 {
            self.max_ns = self.max_ns.max(ns);
        }
    }

    /// Counts `n` in bucket `i`, past the buckets kept so far (a value
    /// larger than any before).
    #[cold]
    #[inline(never)]
    fn grow_to(&mut self, i: usize, n: u64) {
        self.counts.resize(i + 1, 0);
        self.counts[i] += n;
    }

    /// Records one latency in `first` and in `second` (the bucket is
    /// found once).
    #[inline(always)]
    pub fn record_in_both(first: &mut Self, second: &mut Self, ns: u64) {
        let ns = ns.min(MAX_NS);
        let i = index(ns);
        first.add(i, ns, 1);
        second.add(i, ns, 1);
    }

    /// Forgets everything recorded (end of warm-up). Only the buckets up
    /// to the largest value since the last clear can hold counts.
    pub fn clear(&mut self) {
        let used = (self.counts.len()).min(index(self.max_ns) + 1);
        self.counts[..used].fill(0);
        self.count = 0;
        self.sum_ns = 0;
        self.max_ns = 0;
    }

    /// The value at quantile `q` in seconds (as [`Self::quantile_s`]),
    /// then forgets everything recorded: one window's percentile. Only the
    /// buckets used are visited.
    pub fn take_quantile_s(&mut self, q: f64) -> f64 {
        let value = self.quantile_s(q);
        if self.count > 0 {
            self.clear();
        }
        value
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

    /// The value at quantile `q` in seconds (within 0.1%), 0 when empty:
    /// the top of the bucket holding the ⌈q·n⌉-th smallest value, never
    /// above the exact maximum.
    pub fn quantile_s(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        // The first bucket where the running count reaches the rank,
        // found a chunk of buckets at a time (a chunk's sum is a loop the
        // compiler vectorises), then within the chunk that reaches it.
        let mut seen = 0;
        for (k, chunk) in self.counts.chunks(SCAN_CHUNK).enumerate() {
            let total: u64 = chunk.iter().sum();
            if seen + total >= rank {
                for (j, &c) in chunk.iter().enumerate() {
                    seen += c;
                    if seen >= rank {
                        return highest(k * SCAN_CHUNK + j).min(self.max_ns) as f64 / 1e9;
                    }
                }
            }
            seen += total;
        }
        self.max_ns as f64 / 1e9
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
    /// The names of its figures, as metrics name them.
    pub const FIELDS: [&'static str; 6] = ["mean_s", "p50_s", "p90_s", "p99_s", "p999_s", "max_s"];

    /// The figures by name, for flattening into metrics.
    pub fn fields(&self) -> [(&'static str, f64); 6] {
        let values = [
            self.mean_s,
            self.p50_s,
            self.p90_s,
            self.p99_s,
            self.p999_s,
            self.max_s,
        ];
        std::array::from_fn(|i| (Self::FIELDS[i], values[i]))
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
    fn buckets_tile_the_range_with_under_a_tenth_of_a_percent_width() {
        // Buckets follow the values in order.
        for v in 1..200_000u64 {
            assert!(index(v) >= index(v - 1));
        }
        for v in
            (0..5000)
                .chain((1..60).map(|k| 1u64 << k))
                .chain([MAX_NS, MAX_NS - 1, 123_456_789])
        {
            let i = index(v);
            let top = highest(i);
            assert!(top >= v, "{v} above its bucket's top {top}");
            let bottom = if i == 0 { 0 } else { highest(i - 1) + 1 };
            assert!(bottom <= v, "{v} below its bucket's bottom {bottom}");
            assert!(
                (top - bottom) as f64 <= (v as f64) / 1000.0 + 1.0,
                "bucket of {v} too wide"
            );
        }
        assert!(index(MAX_NS) < 52_224, "at most 52,224 buckets (408 KiB)");
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

    /// The quantile a bucket at a time, as it was found before the
    /// chunked scan.
    fn quantile_plainly(h: &LatencyHistogram, q: f64) -> f64 {
        if h.count == 0 {
            return 0.0;
        }
        let rank = ((q.clamp(0.0, 1.0) * h.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in h.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return highest(i).min(h.max_ns) as f64 / 1e9;
            }
        }
        h.max_ns as f64 / 1e9
    }

    proptest::proptest! {
        /// Over windows of values (a row's histogram, taken and cleared
        /// at each row): the chunked scan finds the bucket a plain scan
        /// finds, each window reads as a fresh histogram of its values,
        /// and a clear of the buckets up to the largest value leaves none
        /// counted.
        #[test]
        fn chunked_quantiles_and_partial_clears_change_nothing(
            windows in proptest::collection::vec(
                proptest::collection::vec(0u64..50_000_000_000, 0..300), 1..5),
            q in 0.0f64..=1.0,
        ) {
            let mut h = LatencyHistogram::new();
            for values in windows {
                let mut fresh = LatencyHistogram::new();
                for &v in &values {
                    h.record(v);
                    fresh.record(v);
                }
                proptest::prop_assert_eq!(h.quantile_s(q), quantile_plainly(&h, q));
                proptest::prop_assert_eq!(h.summary(), fresh.summary());
                let taken = h.take_quantile_s(q);
                proptest::prop_assert_eq!(taken, quantile_plainly(&fresh, q));
                proptest::prop_assert!(h.counts.iter().all(|&c| c == 0));
            }
        }
    }
}
