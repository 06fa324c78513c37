//! Batch arrivals: Poisson batches, each of several messages at once.

use super::poisson;
use crate::engine::{RngStream, SimTime};
use crate::model::ParamError;
use crate::model::distribution::Distribution;

/// Batches arrive as a Poisson process; a batch holds
/// max(1, round(size.sample())) messages, capped at a largest batch
/// (2³² − 1 unless [`Batch::cap`] lowers it).
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    rate_per_s: f64,
    size: Distribution,
    largest: u32,
}

impl Batch {
    /// `rate_per_s` batches per second, each of `size` messages.
    ///
    /// # Errors
    /// If `rate_per_s` is not a finite number > 0.
    pub fn new(rate_per_s: f64, size: Distribution) -> Result<Batch, ParamError> {
        Ok(Batch {
            rate_per_s: poisson::validate(rate_per_s)?,
            size,
            largest: u32::MAX,
        })
    }

    /// No batch holds more than `largest` messages (a draw above it is cut).
    pub fn cap(&mut self, largest: u32) {
        self.largest = largest.max(1);
    }

    /// Batches per second.
    pub fn rate_per_s(&self) -> f64 {
        self.rate_per_s
    }

    /// The batch size distribution.
    pub fn size(&self) -> &Distribution {
        &self.size
    }

    /// The next batch after the previous one at `now`: its time and count.
    pub(super) fn next(&self, now: SimTime, rng: &mut RngStream) -> Option<(SimTime, u32)> {
        let time = poisson::next_after(self.rate_per_s, now, rng)?;
        // `as` saturates: huge draws give u32::MAX, NaN gives 0, then 1.
        let count = (self.size.sample(rng).round() as u32).clamp(1, self.largest);
        Some((time, count))
    }

    /// The long-run mean rate in messages per second: batches per second
    /// times the mean batch size. Exact for a constant size; otherwise uses
    /// max(1, E\[size\]), which ignores the rounding of each draw.
    pub fn mean_rate(&self) -> f64 {
        let mean_count = match self.size {
            Distribution::Constant(v) => v.round().clamp(1.0, f64::from(u32::MAX)),
            _ => self.size.mean().max(1.0),
        };
        self.rate_per_s * mean_count
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, testkit};
    use super::*;

    /// Sizes uniform on [0.5, 10.5) round to 1..=10 equally often: mean
    /// 5.5, variance (10² − 1)/12.
    #[test]
    fn batch_counts_and_rate_match() {
        let size = Distribution::uniform(0.5, 10.5).unwrap();
        let mut p = ArrivalProcess::batch(50.0, size).unwrap();
        assert_eq!(p.mean_rate(), Some(275.0));
        let mut rng = testkit::rng("batch");
        let (mut now, mut batches, mut messages) = (SimTime::ZERO, 0u64, 0u64);
        while let Some(tick) = p.next(now, &mut rng) {
            if tick.time.as_secs_f64() > 4000.0 {
                break;
            }
            assert!((1..=10).contains(&tick.count));
            (now, batches, messages) = (tick.time, batches + 1, messages + u64::from(tick.count));
        }
        testkit::assert_poisson_count(batches, 50.0 * 4000.0, "batches");
        let n = batches as f64;
        let tol = testkit::Z * (99.0 / 12.0 / n).sqrt();
        let mean = messages as f64 / n;
        assert!(
            (mean - 5.5).abs() <= tol,
            "mean batch {mean} vs 5.5 ± {tol}"
        );
    }

    #[test]
    fn small_sizes_count_at_least_one() {
        let mut p = ArrivalProcess::batch(10.0, Distribution::constant(0.2).unwrap()).unwrap();
        let mut rng = testkit::rng("batch/one");
        assert_eq!(p.next(SimTime::ZERO, &mut rng).map(|t| t.count), Some(1));
        assert_eq!(p.mean_rate(), Some(10.0));
    }

    #[test]
    fn rejects_bad_rate() {
        let size = Distribution::constant(2.0).unwrap();
        assert_eq!(Batch::new(-1.0, size).unwrap_err().field, "rate_per_s");
    }
}
