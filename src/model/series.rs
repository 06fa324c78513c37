//! Time-series rows within a budget. Over the horizon a log keeps every
//! sample it is due for (validation bounds their number); after it, while
//! the run drains for as long as it takes, the drain gets as many samples
//! as the horizon had (at least [`MIN_DRAIN_SAMPLES`]): past that, the
//! drain's samples merge in pairs and the log records half as often from
//! then on. So a run's time series never exceeds its budget, however long
//! the drain, and the drain keeps even coverage at a coarser interval.

use crate::engine::{SimDuration, SimTime};

/// Rows of `timeseries.csv` a run may produce (samples × groups): the
/// horizon's samples must fit (validation refuses a shorter interval), and
/// the drain is thinned to stay within it.
pub(crate) const MAX_SERIES_ROWS: u64 = 1_000_000;
/// Rows of `partitions.csv` a run may produce (samples × groups ×
/// partitions): with many partitions, they are sampled every k-th interval.
pub(crate) const MAX_PARTITION_ROWS: u64 = 1_000_000;
/// Samples a drain may have before it is thinned, if the horizon had
/// fewer.
pub(crate) const MIN_DRAIN_SAMPLES: usize = 1_000;

/// A time-series row that can absorb the row before it when two samples
/// are merged into one.
pub(crate) trait Row {
    /// The row's time in seconds.
    fn time_s(&self) -> f64;
    /// Takes in `earlier`, the same row one sample before: counts per
    /// interval add up, rates become the time-weighted mean over both spans
    /// (`earlier_span_s`, then `own_span_s`), levels stay this row's.
    fn absorb(&mut self, earlier: &Self, earlier_span_s: f64, own_span_s: f64);
}

/// The rows of one time series, thinned during the drain to stay within a
/// budget.
#[derive(Clone, Debug)]
pub(crate) struct SeriesLog<R> {
    rows: Vec<R>,
    /// Keep the rows (false: count them only, so that a replication that
    /// records no series samples at the same instants as one that does).
    keep: bool,
    /// Rows recorded, kept or not.
    len: usize,
    /// Rows per sample (one per group, or per group and partition).
    per_sample: usize,
    /// Most rows kept.
    budget: usize,
    /// Index of the first row recorded after the horizon.
    drain_from: Option<usize>,
    /// Most rows the drain keeps.
    drain_budget: usize,
    /// Fewest samples the drain keeps.
    min_drain: usize,
    /// Records samples whose index is a multiple of this (a power of two).
    every: u64,
}

impl<R: Row + Clone> SeriesLog<R> {
    /// A log of `per_sample` rows per sample that records every `every`-th
    /// sample (rounded up to a power of two) and keeps at most about
    /// `budget` rows.
    pub(crate) fn new(per_sample: usize, every: u64, budget: usize, keep: bool) -> SeriesLog<R> {
        SeriesLog {
            rows: Vec::new(),
            keep,
            len: 0,
            per_sample: per_sample.max(1),
            budget: budget.max(4 * per_sample.max(1)),
            drain_from: None,
            drain_budget: 0,
            min_drain: MIN_DRAIN_SAMPLES,
            every: every.max(1).next_power_of_two(),
        }
    }

    /// The drain keeps at least `samples` samples (tests use few).
    #[cfg(test)]
    fn with_min_drain(mut self, samples: usize) -> SeriesLog<R> {
        self.min_drain = samples;
        self
    }

    /// Whether sample `index` (the number of intervals since time 0) is to
    /// be recorded.
    #[inline]
    pub(crate) fn due(&self, index: u64) -> bool {
        index.is_multiple_of(self.every)
    }

    /// Records the samples of this log every this many intervals.
    pub(crate) fn every(&self) -> u64 {
        self.every
    }

    /// The rows so far.
    #[cfg(test)]
    pub(crate) fn rows(&self) -> &[R] {
        &self.rows
    }

    /// Adds one row of the current sample.
    pub(crate) fn push(&mut self, row: R) {
        self.len += 1;
        if self.keep {
            self.rows.push(row);
        }
    }

    /// The rows recorded from now on are after the horizon: the drain
    /// keeps as many as the horizon has, within what is left of the budget,
    /// and never fewer than [`MIN_DRAIN_SAMPLES`] samples.
    pub(crate) fn start_drain(&mut self) {
        if self.drain_from.is_none() {
            let n = self.per_sample;
            let room = self.budget.saturating_sub(self.len);
            self.drain_budget = self.len.min(room).max(self.min_drain * n);
            self.drain_from = Some(self.len);
        }
    }

    /// Ends a sample: past the budget, the drain's samples merge in pairs
    /// and the log records half as often.
    pub(crate) fn end_sample(&mut self) {
        let Some(from) = self.drain_from else {
            return;
        };
        if self.len - from <= self.drain_budget {
            return;
        }
        if self.keep {
            self.merge_pairs(from);
        } else {
            let samples = (self.len - from) / self.per_sample;
            self.len = from + samples.div_ceil(2) * self.per_sample;
        }
        self.every = self.every.saturating_mul(2);
    }

    /// Merges drain samples two by two, each pair into its later sample
    /// (an odd last sample stays as it is).
    fn merge_pairs(&mut self, from: usize) {
        let n = self.per_sample;
        let samples = (self.rows.len() - from) / n;
        let time = |rows: &[R], s: usize| rows[from + s * n].time_s();
        // The time of the sample before the one being merged.
        let mut previous = if from >= n {
            self.rows[from - n].time_s()
        } else {
            time(&self.rows, 0)
        };
        let (mut s, mut kept) = (0, 0);
        while s < samples {
            let take = if s + 1 < samples {
                let (t0, t1) = (time(&self.rows, s), time(&self.rows, s + 1));
                for j in 0..n {
                    let earlier = self.rows[from + s * n + j].clone();
                    self.rows[from + (s + 1) * n + j].absorb(&earlier, t0 - previous, t1 - t0);
                }
                s += 2;
                s - 1
            } else {
                s += 1;
                s - 1
            };
            previous = time(&self.rows, take);
            for j in 0..n {
                self.rows.swap(from + kept * n + j, from + take * n + j);
            }
            kept += 1;
        }
        self.rows.truncate(from + kept * n);
        self.len = self.rows.len();
    }

    /// Takes the rows out.
    pub(crate) fn into_rows(self) -> Vec<R> {
        self.rows
    }
}

/// Which sample an instant is: the number of whole intervals since time 0.
#[inline]
pub(crate) fn sample_index(now: SimTime, interval: SimDuration) -> u64 {
    now.0 / interval.as_nanos().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row with a count per interval, a rate and a level.
    #[derive(Clone, Debug, PartialEq)]
    struct R {
        t: f64,
        count: u64,
        rate: f64,
        level: u64,
    }

    impl Row for R {
        fn time_s(&self) -> f64 {
            self.t
        }
        fn absorb(&mut self, e: &Self, es: f64, os: f64) {
            self.count += e.count;
            self.rate = (e.rate * es + self.rate * os) / (es + os);
        }
    }

    #[test]
    fn the_horizon_is_never_thinned() {
        let mut log = SeriesLog::new(1, 1, 4, true);
        for i in 0..10 {
            log.push(R {
                t: f64::from(i),
                count: 1,
                rate: 1.0,
                level: 0,
            });
            log.end_sample();
        }
        assert_eq!(log.rows().len(), 10);
    }

    #[test]
    fn the_drain_merges_in_pairs_keeping_totals_and_mean_rates() {
        let mut log = SeriesLog::new(2, 1, 8, true).with_min_drain(2);
        let mut total = [0u64; 2];
        for step in 0..1000u64 {
            let (index, t) = (step, step as f64);
            if step == 3 {
                log.start_drain();
            }
            if log.due(index) {
                for g in 0..2u64 {
                    let row = R {
                        t,
                        count: step + g,
                        rate: 2.0,
                        level: step,
                    };
                    total[g as usize] += row.count;
                    log.push(row);
                }
                log.end_sample();
            }
        }
        let rows = log.rows();
        // The horizon's 6 rows, then at most the drain's budget plus one sample.
        assert!(rows.len() <= 6 + 8 + 2, "{} rows", rows.len());
        // Every count is still there, and a constant rate stays constant.
        for (g, total) in total.iter().enumerate() {
            let sum: u64 = rows.iter().skip(g).step_by(2).map(|r| r.count).sum();
            let last = &rows[rows.len() - 2 + g];
            assert_eq!(sum, *total);
            assert!(rows.iter().all(|r| (r.rate - 2.0).abs() < 1e-12));
            assert!(last.t >= 999.0 - log.every() as f64);
        }
        // Times increase, and the horizon's three samples are untouched.
        assert!(rows.windows(2).all(|w| w[0].t <= w[1].t));
        assert_eq!(rows[0].t, 0.0);
        assert_eq!(rows[4].t, 2.0);
        assert!(log.every() >= 128);
        // A log that only counts samples at the same instants.
        let mut counted: SeriesLog<R> = SeriesLog::new(2, 1, 8, false).with_min_drain(2);
        for index in 0..1000u64 {
            if index == 3 {
                counted.start_drain();
            }
            if counted.due(index) {
                for _ in 0..2 {
                    counted.push(rows[0].clone());
                }
                counted.end_sample();
            }
        }
        assert_eq!(counted.every(), log.every());
        assert!(counted.rows().is_empty());
    }

    #[test]
    fn merging_sums_counts_exactly() {
        let mut log = SeriesLog::new(1, 1, 4, true).with_min_drain(4);
        log.start_drain();
        for i in 1..=5 {
            log.push(R {
                t: f64::from(i),
                count: u64::from(i as u8),
                rate: f64::from(i),
                level: u64::from(i as u8),
            });
        }
        log.end_sample();
        let rows = log.rows();
        // (1,2) → 2, (3,4) → 4, 5 alone.
        assert_eq!(
            rows.iter()
                .map(|r| (r.t, r.count, r.level))
                .collect::<Vec<_>>(),
            [(2.0, 3, 2), (4.0, 7, 4), (5.0, 5, 5)]
        );
        // Rates: the first pair weighs the first row by its own span (no
        // earlier row: 0), so it keeps the second's; then (3·1 + 4·1)/2.
        assert_eq!(rows[1].rate, 3.5);
        assert_eq!(log.every(), 2);
    }
}
