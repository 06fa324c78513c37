//! Constant-rate arrivals: evenly spaced, the first one gap after the start.

use super::instant;
use crate::engine::SimTime;
use crate::model::ParamError;
use crate::model::distribution::check;

/// Arrival `k` (from 1) at exactly `k / rate` seconds, computed from `k` so
/// that rounding to nanoseconds never accumulates.
#[derive(Clone, Debug, PartialEq)]
pub struct Constant {
    rate_per_s: f64,
    sent: u64,
}

impl Constant {
    /// Evenly spaced arrivals, `rate_per_s` per second.
    ///
    /// # Errors
    /// If `rate_per_s` is not a finite number > 0.
    pub fn new(rate_per_s: f64) -> Result<Constant, ParamError> {
        Ok(Constant {
            rate_per_s: check::positive("rate_per_s", rate_per_s)?,
            sent: 0,
        })
    }

    /// The next arrival time.
    pub(super) fn next(&mut self) -> Option<SimTime> {
        self.sent += 1;
        instant(self.sent as f64 / self.rate_per_s)
    }

    /// The rate, per second.
    pub fn rate_per_s(&self) -> f64 {
        self.rate_per_s
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, testkit};
    use super::*;

    #[test]
    fn spacing_is_exact() {
        let mut p = ArrivalProcess::constant(3.0).unwrap();
        let times = testkit::times(&mut p, 3001);
        for (k, t) in times.iter().enumerate() {
            let expected = ((k as f64 + 1.0) * 1e9 / 3.0).round() as u64;
            assert_eq!(t.0, expected);
        }
        assert_eq!(times[2999], SimTime(1_000_000_000_000));
        assert_eq!(p.mean_rate(), Some(3.0));
    }

    #[test]
    fn rejects_bad_rate() {
        let err = ArrivalProcess::constant(-2.0).unwrap_err();
        assert_eq!(err, ParamError::new("rate_per_s", "must be > 0 (got -2)"));
    }
}
