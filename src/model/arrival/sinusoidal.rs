//! Sinusoidal (diurnal) arrivals: a non-homogeneous Poisson process.

use std::f64::consts::TAU;

use rand::RngExt;
use rand_distr::Exp1;

use super::{HORIZON_S, instant};
use crate::engine::{RngStream, SimTime};
use crate::model::ParamError;
use crate::model::distribution::check;

/// Poisson arrivals at rate(t) = mean + amplitude · sin(2π(t + phase) /
/// period), sampled exactly by thinning a Poisson process of rate
/// mean + amplitude.
#[derive(Clone, Debug, PartialEq)]
pub struct Sinusoidal {
    mean: f64,
    amplitude: f64,
    /// 2π / period, per second.
    omega: f64,
    phase: f64,
    /// Seconds since the start of the last candidate arrival.
    clock: f64,
}

impl Sinusoidal {
    /// Rate `mean_rate_per_s` ± `amplitude_per_s` over a cycle of `period`
    /// seconds, shifted by `phase` seconds.
    ///
    /// # Errors
    /// If `mean_rate_per_s` or `period` is not a finite number > 0,
    /// `amplitude_per_s` is not in `[0, mean_rate_per_s]`, or `phase` is not
    /// finite.
    pub fn new(
        mean_rate_per_s: f64,
        amplitude_per_s: f64,
        period: f64,
        phase: f64,
    ) -> Result<Sinusoidal, ParamError> {
        let mean = check::positive("mean_rate_per_s", mean_rate_per_s)?;
        let amplitude = check::non_negative("amplitude_per_s", amplitude_per_s)?;
        if amplitude > mean {
            let message = format!("must be <= mean_rate_per_s (got {amplitude} > {mean})");
            return Err(ParamError::new("amplitude_per_s", message));
        }
        let period = check::positive("period", period)?;
        Ok(Sinusoidal {
            mean,
            amplitude,
            omega: TAU / period,
            phase: check::finite("phase", phase)?,
            clock: 0.0,
        })
    }

    /// The rate at `t` seconds, per second.
    fn rate_at(&self, t: f64) -> f64 {
        self.mean + self.amplitude * (self.omega * (t + self.phase)).sin()
    }

    /// The next arrival time.
    pub(super) fn next(&mut self, rng: &mut RngStream) -> Option<SimTime> {
        let peak = self.mean + self.amplitude;
        // Accepts a candidate with probability rate/peak >= 0 and on
        // average mean/peak >= 1/2, so this ends quickly.
        while self.clock < HORIZON_S {
            let unit: f64 = rng.sample(Exp1);
            self.clock += unit / peak;
            let u: f64 = rng.random();
            if u * peak < self.rate_at(self.clock) {
                return instant(self.clock);
            }
        }
        None
    }

    /// The long-run mean rate per second.
    pub fn mean_rate(&self) -> f64 {
        self.mean
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, testkit};
    use super::*;

    /// Over whole periods the sine integrates to 0, so the count is Poisson
    /// with mean `mean · T`; over the rising half-periods (phase 0) it is
    /// Poisson with mean `k · (mean · P/2 + amplitude · P/π)`.
    #[test]
    fn counts_over_whole_and_half_periods_match() {
        let (mean, amp, period, periods) = (1000.0, 800.0, 2.0, 100.0);
        let mut p = ArrivalProcess::sinusoidal(mean, amp, period, 0.0).unwrap();
        let times = testkit::times_until(&mut p, period * periods, "sinusoidal");
        testkit::assert_poisson_count(times.len() as u64, mean * period * periods, "whole");
        let rising = times
            .iter()
            .filter(|t| t.as_secs_f64() % period < period / 2.0)
            .count();
        let expected = periods * (mean * period / 2.0 + amp * period / std::f64::consts::PI);
        testkit::assert_poisson_count(rising as u64, expected, "rising halves");
        assert_eq!(p.mean_rate(), Some(mean));
    }

    #[test]
    fn phase_shifts_the_cycle() {
        // A quarter-period phase makes the rate 500 + 500·cos(πt/2): peaks
        // at t = 0 mod 4.
        let mut p = ArrivalProcess::sinusoidal(500.0, 500.0, 4.0, 1.0).unwrap();
        let times = testkit::times_until(&mut p, 400.0, "sinusoidal/phase");
        let near_peak = |t: f64| t % 4.0 < 1.0 || t % 4.0 >= 3.0;
        let near_zero = times.iter().filter(|t| near_peak(t.as_secs_f64())).count();
        // ∫ from −1 to 1 of the rate, for each of 100 cycles.
        let expected = 100.0 * (500.0 * 2.0 + 500.0 * 4.0 / std::f64::consts::PI);
        testkit::assert_poisson_count(near_zero as u64, expected, "phase");
    }

    #[test]
    fn rejects_bad_parameters() {
        let err = Sinusoidal::new(10.0, 11.0, 1.0, 0.0).unwrap_err();
        assert_eq!(
            err,
            ParamError::new(
                "amplitude_per_s",
                "must be <= mean_rate_per_s (got 11 > 10)"
            )
        );
        assert_eq!(
            Sinusoidal::new(0.0, 0.0, 1.0, 0.0).unwrap_err().field,
            "mean_rate_per_s"
        );
        assert_eq!(
            Sinusoidal::new(1.0, -1.0, 1.0, 0.0).unwrap_err().field,
            "amplitude_per_s"
        );
        assert_eq!(
            Sinusoidal::new(1.0, 0.0, 0.0, 0.0).unwrap_err().field,
            "period"
        );
        assert_eq!(
            Sinusoidal::new(1.0, 0.0, 1.0, f64::NAN).unwrap_err().field,
            "phase"
        );
    }
}
