//! Markov-modulated Poisson process: a hidden state with exponential
//! sojourns sets the Poisson rate.

use rand::RngExt;
use rand_distr::Exp1;

use super::{HORIZON_S, instant};
use crate::engine::{RngStream, SimTime};
use crate::model::ParamError;
use crate::model::distribution::check;

/// An MMPP whose states are visited **cyclically**: on leaving state `i` the
/// process enters state `(i + 1) mod n`, starting in state 0 at time 0.
/// Sojourns are exponential with each state's mean; arrivals are Poisson at
/// the current state's rate. Sampling is exact: both clocks are memoryless,
/// so at every state change the next arrival is simply redrawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Mmpp {
    /// (rate per second, mean sojourn in seconds) per state.
    states: Box<[(f64, f64)]>,
    state: usize,
    /// Seconds since the start: the last arrival or state change.
    clock: f64,
    /// When the current state ends, once drawn.
    state_end: Option<f64>,
}

impl Mmpp {
    /// An MMPP over `states`, each (rate_per_s >= 0, mean_sojourn > 0 in
    /// seconds), starting in state 0.
    ///
    /// # Errors
    /// If there are no states, a rate is negative, a mean sojourn is not > 0,
    /// or every rate is 0 (nothing would ever arrive).
    pub fn new(states: Vec<(f64, f64)>) -> Result<Mmpp, ParamError> {
        if states.is_empty() {
            return Err(ParamError::new(
                "states",
                "must list at least 1 state (got 0)",
            ));
        }
        for (i, &(rate, mean)) in states.iter().enumerate() {
            check::non_negative(&format!("states[{i}].rate_per_s"), rate)?;
            check::positive(&format!("states[{i}].mean_sojourn"), mean)?;
        }
        if states.iter().all(|&(rate, _)| rate == 0.0) {
            return Err(ParamError::new(
                "states",
                "at least one state needs a rate_per_s > 0",
            ));
        }
        Ok(Mmpp::starting_in(states, 0))
    }

    /// An already validated MMPP starting in state `initial`.
    pub(super) fn starting_in(states: Vec<(f64, f64)>, initial: usize) -> Mmpp {
        Mmpp {
            states: states.into_boxed_slice(),
            state: initial,
            clock: 0.0,
            state_end: None,
        }
    }

    /// The next arrival time.
    pub(super) fn next(&mut self, rng: &mut RngStream) -> Option<SimTime> {
        let mut end = match self.state_end {
            Some(end) => end,
            None => self.clock + self.sojourn(rng),
        };
        loop {
            let rate = self.states[self.state].0;
            if rate > 0.0 {
                let unit: f64 = rng.sample(Exp1);
                let t = self.clock + unit / rate;
                if t < end {
                    self.clock = t;
                    self.state_end = Some(end);
                    return instant(t);
                }
            }
            // No arrival before the state ends: move on and redraw.
            self.clock = end;
            if end >= HORIZON_S || end.is_nan() {
                self.state_end = Some(end);
                return None;
            }
            self.state = (self.state + 1) % self.states.len();
            end = self.clock + self.sojourn(rng);
        }
    }

    /// A sojourn in the current state, in seconds.
    fn sojourn(&self, rng: &mut RngStream) -> f64 {
        let unit: f64 = rng.sample(Exp1);
        self.states[self.state].1 * unit
    }

    /// The long-run mean rate per second: with cyclic transitions each state
    /// is visited once per cycle, so its stationary probability is its mean
    /// sojourn over the cycle's mean length: Σ rᵢ·mᵢ / Σ mᵢ.
    pub fn mean_rate(&self) -> f64 {
        let weighted: f64 = self.states.iter().map(|(r, m)| r * m).sum();
        let cycle: f64 = self.states.iter().map(|(_, m)| m).sum();
        weighted / cycle
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, testkit};
    use super::*;

    #[test]
    fn long_run_rate_is_the_stationary_mean() {
        let states = vec![(100.0, 1.0), (0.0, 1.0), (500.0, 0.5)];
        let mut p = ArrivalProcess::mmpp(states).unwrap();
        let rate = p.mean_rate().unwrap();
        assert!((rate - 140.0).abs() < 1e-12);
        // 200 batches of 50 s, each 20 mean cycles long.
        testkit::assert_long_run_rate(&mut p, rate, 50.0, "mmpp");
    }

    #[test]
    fn one_state_is_poisson() {
        let mut p = ArrivalProcess::mmpp(vec![(50.0, 0.01)]).unwrap();
        let count = testkit::count_until(&mut p, 1000.0, "mmpp/one");
        testkit::assert_poisson_count(count, 50.0 * 1000.0, "mmpp/one");
    }

    #[test]
    fn rejects_bad_states() {
        let err = Mmpp::new(vec![]).unwrap_err();
        assert_eq!(
            err,
            ParamError::new("states", "must list at least 1 state (got 0)")
        );
        let err = Mmpp::new(vec![(1.0, 1.0), (-1.0, 1.0)]).unwrap_err();
        assert_eq!(err.field, "states[1].rate_per_s");
        let err = Mmpp::new(vec![(1.0, 0.0)]).unwrap_err();
        assert_eq!(
            err,
            ParamError::new("states[0].mean_sojourn", "must be > 0 (got 0)")
        );
        let err = Mmpp::new(vec![(0.0, 1.0), (0.0, 2.0)]).unwrap_err();
        assert_eq!(err.field, "states");
    }
}
