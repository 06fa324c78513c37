//! Poisson arrivals: exponential gaps at a constant rate. Memoryless, so
//! the process needs no state beyond its rate: the next arrival is drawn
//! from the time of the previous one.

use rand::RngExt;
use rand_distr::Exp1;

use super::after;
use crate::engine::{RngStream, SimTime};
use crate::model::ParamError;
use crate::model::distribution::check;

/// Validates a Poisson rate, in messages (or batches) per second.
pub(crate) fn validate(rate_per_s: f64) -> Result<f64, ParamError> {
    check::positive("rate_per_s", rate_per_s)
}

/// The next arrival of a Poisson process with rate `rate_per_s` after the
/// previous one at `now`; `None` past the end of simulated time (or for a
/// rate that is not finite and > 0).
#[inline]
pub(crate) fn next_after(rate_per_s: f64, now: SimTime, rng: &mut RngStream) -> Option<SimTime> {
    // `> 0` is false for NaN; below infinity is finite then.
    if !(rate_per_s > 0.0 && rate_per_s < f64::INFINITY) {
        return None;
    }
    let unit: f64 = rng.sample(Exp1);
    after(now, unit / rate_per_s)
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, testkit};
    use super::*;

    #[test]
    fn count_over_a_long_window_matches_rate() {
        let mut p = ArrivalProcess::poisson(1000.0).unwrap();
        let count = testkit::count_until(&mut p, 200.0, "poisson");
        testkit::assert_poisson_count(count, 1000.0 * 200.0, "poisson");
        assert_eq!(p.mean_rate(), Some(1000.0));
    }

    #[test]
    fn rejects_bad_rate() {
        let err = ArrivalProcess::poisson(0.0).unwrap_err();
        assert_eq!(err, ParamError::new("rate_per_s", "must be > 0 (got 0)"));
        let mut rng = testkit::rng("poisson/bad");
        assert_eq!(next_after(f64::INFINITY, SimTime::ZERO, &mut rng), None);
    }
}
