//! On/off arrivals: Poisson while on, silent while off, with exponential
//! on and off periods: a two-state MMPP.

use super::Mmpp;
use crate::engine::{RngStream, SimTime};
use crate::model::ParamError;
use crate::model::distribution::check;

/// Poisson arrivals at a rate during exponential on periods, none during
/// exponential off periods; on and off alternate.
#[derive(Clone, Debug, PartialEq)]
pub struct OnOff {
    mmpp: Mmpp,
}

impl OnOff {
    /// Arrivals at `rate_per_s` while on; on and off periods last
    /// `mean_on` and `mean_off` seconds on average; the first period is on
    /// if `start_on`.
    ///
    /// # Errors
    /// If `rate_per_s`, `mean_on` or `mean_off` is not a finite number > 0.
    pub fn new(
        rate_per_s: f64,
        mean_on: f64,
        mean_off: f64,
        start_on: bool,
    ) -> Result<OnOff, ParamError> {
        let rate = check::positive("rate_per_s", rate_per_s)?;
        let on = check::positive("mean_on", mean_on)?;
        let off = check::positive("mean_off", mean_off)?;
        let initial = if start_on { 0 } else { 1 };
        Ok(OnOff {
            mmpp: Mmpp::starting_in(vec![(rate, on), (0.0, off)], initial),
        })
    }

    /// The next arrival time.
    pub(super) fn next(&mut self, rng: &mut RngStream) -> Option<SimTime> {
        self.mmpp.next(rng)
    }

    /// The long-run mean rate per second: rate · mean_on / (mean_on + mean_off).
    pub fn mean_rate(&self) -> f64 {
        self.mmpp.mean_rate()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, testkit};
    use super::*;

    #[test]
    fn long_run_rate_is_the_on_fraction() {
        for start_on in [true, false] {
            let mut p = ArrivalProcess::on_off(400.0, 0.5, 1.5, start_on).unwrap();
            let rate = p.mean_rate().unwrap();
            assert!((rate - 100.0).abs() < 1e-12);
            // 200 batches of 40 s, each 20 mean cycles long.
            testkit::assert_long_run_rate(&mut p, rate, 40.0, &format!("on_off/{start_on}"));
        }
    }

    /// Starting off delays the first arrival by the first off period: over
    /// many seeds the first arrival comes later on average.
    #[test]
    fn start_off_waits_for_the_first_on_period() {
        let mean_first = |start_on: bool| -> f64 {
            let total: f64 = (0..2000)
                .map(|seed| {
                    let mut p = ArrivalProcess::on_off(1000.0, 1.0, 1.0, start_on).unwrap();
                    let mut rng = crate::engine::StreamId::named("first").rng(seed, 0);
                    p.next(SimTime::ZERO, &mut rng).unwrap().time.as_secs_f64()
                })
                .sum();
            total / 2000.0
        };
        // About 1 ms versus about 1 s + 1 ms on average.
        assert!(mean_first(true) < 0.01);
        assert!(mean_first(false) > 0.8);
    }

    #[test]
    fn rejects_bad_parameters() {
        let err = OnOff::new(0.0, 1.0, 1.0, true).unwrap_err();
        assert_eq!(err, ParamError::new("rate_per_s", "must be > 0 (got 0)"));
        assert_eq!(
            OnOff::new(1.0, -1.0, 1.0, true).unwrap_err().field,
            "mean_on"
        );
        assert_eq!(
            OnOff::new(1.0, 1.0, f64::NAN, true).unwrap_err().field,
            "mean_off"
        );
    }
}
