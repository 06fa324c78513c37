//! A piecewise-constant rate schedule, e.g. a baseline of 200/s, then
//! 20,000/s for 5 s, then the baseline again.

use rand::RngExt;
use rand_distr::Exp1;

use super::instant;
use crate::engine::{RngStream, SimTime};
use crate::model::ParamError;
use crate::model::distribution::check;

/// Arrivals whose rate steps at given times; the last rate holds forever
/// (end with rate 0 to stop).
///
/// Both modes invert the cumulative rate Λ(t) = ∫₀ᵗ rate, which is
/// piecewise linear: arrival `k` comes when Λ reaches a target that grows by
/// a unit exponential per arrival (`poisson`: an exact non-homogeneous
/// Poisson process, no thinning) or by exactly 1 (evenly spaced at the
/// current rate; a step of `rate` for `d` seconds holds `rate · d` arrivals,
/// the last one at its end, and fractional progress carries into the next
/// step).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// (start in seconds, rate per second, Λ at the start) per step.
    steps: Box<[(f64, f64, f64)]>,
    poisson: bool,
    /// The step holding the last arrival.
    cursor: usize,
    /// Λ at the last arrival.
    reached: f64,
}

impl Schedule {
    /// A schedule of (start in seconds, rate per second) steps; the first
    /// starts at 0 and starts strictly increase. Poisson arrivals if
    /// `poisson`, else evenly spaced.
    ///
    /// # Errors
    /// If there are no steps, the first does not start at 0, starts do not
    /// strictly increase or are not finite, or a rate is negative or not
    /// finite.
    pub fn new(steps: Vec<(f64, f64)>, poisson: bool) -> Result<Schedule, ParamError> {
        match steps.first() {
            None => {
                return Err(ParamError::new(
                    "steps",
                    "must list at least 1 step (got 0)",
                ));
            }
            Some(&(at, _)) if at != 0.0 => {
                let message = format!("must be 0: the first step starts the schedule (got {at})");
                return Err(ParamError::new("steps[0].at", message));
            }
            Some(_) => {}
        }
        let mut table = Vec::with_capacity(steps.len());
        let mut cumulative = 0.0;
        for (i, &(at, rate)) in steps.iter().enumerate() {
            check::non_negative(&format!("steps[{i}].at"), at)?;
            check::non_negative(&format!("steps[{i}].rate_per_s"), rate)?;
            if let Some(&(prev_at, prev_rate, _)) = table.last() {
                if at <= prev_at {
                    let message =
                        format!("must be after steps[{}].at (got {at} <= {prev_at})", i - 1);
                    return Err(ParamError::new(format!("steps[{i}].at"), message));
                }
                cumulative += prev_rate * (at - prev_at);
            }
            table.push((at, rate, cumulative));
        }
        Ok(Schedule {
            steps: table.into_boxed_slice(),
            poisson,
            cursor: 0,
            reached: 0.0,
        })
    }

    /// The starts (seconds) of the steps that raise the rate above the
    /// first step's (the baseline) from at or below it: where surges begin.
    pub fn surges(&self) -> impl Iterator<Item = f64> + '_ {
        let baseline = self.steps[0].1;
        (self.steps.windows(2))
            .filter(move |w| w[0].1 <= baseline && w[1].1 > baseline)
            .map(|w| w[1].0)
    }

    /// The index of the step starting at `at` seconds (the last one
    /// starting at or before it).
    pub fn step_at(&self, at: f64) -> usize {
        self.steps
            .partition_point(|&(start, _, _)| start <= at)
            .max(1)
            - 1
    }

    /// The expected number of arrivals in `[0, t)` seconds: Λ(t).
    pub fn expected_count(&self, t: f64) -> f64 {
        let i = self.steps.partition_point(|&(at, _, _)| at <= t).max(1) - 1;
        let (at, rate, start) = self.steps[i];
        start + rate * (t - at).max(0.0)
    }

    /// The next arrival time, `None` once the rate is 0 for good.
    pub(super) fn next(&mut self, rng: &mut RngStream) -> Option<SimTime> {
        let increment: f64 = if self.poisson { rng.sample(Exp1) } else { 1.0 };
        let target = self.reached + increment;
        // Move to the step whose span of Λ holds the target; zero-rate steps
        // span nothing and are skipped.
        while let Some(&(_, _, next_start)) = self.steps.get(self.cursor + 1) {
            if target <= next_start {
                break;
            }
            self.cursor += 1;
        }
        let (at, rate, start) = self.steps[self.cursor];
        if rate <= 0.0 {
            return None;
        }
        self.reached = target;
        instant(at + (target - start) / rate)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, testkit};
    use super::*;

    fn counts_per_step(p: &mut ArrivalProcess, bounds: &[f64], name: &str) -> Vec<u64> {
        let mut counts = vec![0; bounds.len()];
        for t in testkit::times_until(p, *bounds.last().unwrap_or(&0.0), name) {
            let secs = t.as_secs_f64();
            counts[bounds.iter().position(|&end| secs <= end).unwrap_or(0)] += 1;
        }
        counts
    }

    #[test]
    fn evenly_spaced_counts_per_step_are_exact() {
        let steps = vec![(0.0, 5.0), (10.0, 100.0), (12.0, 0.0), (20.0, 0.5)];
        let mut p = ArrivalProcess::schedule(steps, false).unwrap();
        // Steps hold (0, 10], (10, 12], (12, 20], (20, 40].
        let counts = counts_per_step(&mut p, &[10.0, 12.0, 20.0, 40.0], "schedule/even");
        assert_eq!(counts, [50, 200, 0, 10]);
        let ArrivalProcess::Schedule(s) = &p else {
            unreachable!()
        };
        assert_eq!(s.expected_count(12.0), 250.0);
        assert_eq!(s.expected_count(40.0), 260.0);
        assert_eq!(p.mean_rate(), None);
    }

    #[test]
    fn evenly_spaced_times_are_exact_and_stop_at_rate_zero() {
        let mut p = ArrivalProcess::schedule(vec![(0.0, 2.0), (1.5, 0.0)], false).unwrap();
        let times = testkit::times(&mut p, 10);
        assert_eq!(
            times,
            [
                SimTime(500_000_000),
                SimTime(1_000_000_000),
                SimTime(1_500_000_000)
            ]
        );
    }

    #[test]
    fn poisson_counts_per_step_match() {
        let steps = vec![
            (0.0, 200.0),
            (100.0, 20_000.0),
            (105.0, 0.0),
            (110.0, 200.0),
        ];
        let mut p = ArrivalProcess::schedule(steps, true).unwrap();
        let counts = counts_per_step(&mut p, &[100.0, 105.0, 110.0, 210.0], "schedule/poisson");
        for (count, expected) in counts.iter().zip([20_000.0, 100_000.0, 0.0, 20_000.0]) {
            testkit::assert_poisson_count(*count, expected, "schedule/poisson");
        }
    }

    #[test]
    fn rejects_bad_steps() {
        let err = Schedule::new(vec![], true).unwrap_err();
        assert_eq!(err.field, "steps");
        let err = Schedule::new(vec![(1.0, 5.0)], true).unwrap_err();
        assert_eq!(
            err,
            ParamError::new(
                "steps[0].at",
                "must be 0: the first step starts the schedule (got 1)"
            )
        );
        let err = Schedule::new(vec![(0.0, 5.0), (2.0, 1.0), (2.0, 3.0)], true).unwrap_err();
        assert_eq!(
            err,
            ParamError::new("steps[2].at", "must be after steps[1].at (got 2 <= 2)")
        );
        let err = Schedule::new(vec![(0.0, 5.0), (2.0, -1.0)], true).unwrap_err();
        assert_eq!(err.field, "steps[1].rate_per_s");
    }
}
