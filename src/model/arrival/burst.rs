//! A one-shot burst: `count` messages spread evenly over a span.

use super::instant;
use crate::engine::SimTime;
use crate::model::ParamError;
use crate::model::distribution::check;

/// `count` messages, message `i` (from 0) at `at + i · over / count`; when
/// `over` is 0 all of them arrive at `at` as a single tick.
#[derive(Clone, Debug, PartialEq)]
pub struct Burst {
    count: u32,
    at: f64,
    over: f64,
    sent: u32,
}

impl Burst {
    /// When it starts, in seconds.
    pub fn at(&self) -> f64 {
        self.at
    }

    /// A burst of `count` messages starting `at` seconds into the run and
    /// lasting `over` seconds.
    ///
    /// # Errors
    /// If `count` is 0 or above 2³² − 1, or `at` or `over` is negative or
    /// not finite.
    pub fn new(count: u64, at: f64, over: f64) -> Result<Burst, ParamError> {
        let count = match u32::try_from(count) {
            Ok(0) => return Err(ParamError::new("count", "must be >= 1 (got 0)")),
            Ok(n) => n,
            Err(_) => {
                let message = format!("must be at most {} (got {count})", u32::MAX);
                return Err(ParamError::new("count", message));
            }
        };
        Ok(Burst {
            count,
            at: check::non_negative("at", at)?,
            over: check::non_negative("over", over)?,
            sent: 0,
        })
    }

    /// The messages sent in `[0, t)` seconds.
    pub fn expected_count(&self, t: f64) -> f64 {
        let count = f64::from(self.count);
        if t <= self.at {
            0.0
        } else if self.over == 0.0 {
            count
        } else {
            count * ((t - self.at) / self.over).min(1.0)
        }
    }

    /// The most messages one tick holds: all of them when `over` is 0.
    pub fn largest_tick(&self) -> u32 {
        if self.over == 0.0 { self.count } else { 1 }
    }

    /// The next tick's time and message count.
    pub(super) fn next(&mut self) -> Option<(SimTime, u32)> {
        if self.sent >= self.count {
            return None;
        }
        if self.over == 0.0 {
            self.sent = self.count;
            return instant(self.at).map(|t| (t, self.count));
        }
        let offset = f64::from(self.sent) * self.over / f64::from(self.count);
        self.sent += 1;
        instant(self.at + offset).map(|t| (t, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, Tick, testkit};
    use super::*;

    #[test]
    fn spread_burst_times_are_exact() {
        let mut p = ArrivalProcess::burst(5, 2.0, 1.0).unwrap();
        let times = testkit::times(&mut p, 100);
        let ms = [2000, 2200, 2400, 2600, 2800];
        let expected: Vec<SimTime> = ms.iter().map(|m| SimTime(m * 1_000_000)).collect();
        assert_eq!(times, expected);
        assert_eq!(p.mean_rate(), None);
    }

    #[test]
    fn instant_burst_is_one_tick() {
        let mut p = ArrivalProcess::burst(70_000, 3.0, 0.0).unwrap();
        let mut rng = testkit::rng("burst");
        let tick = Tick {
            time: SimTime(3_000_000_000),
            count: 70_000,
            key: None,
            size: None,
        };
        assert_eq!(p.next(SimTime::ZERO, &mut rng), Some(tick));
        assert_eq!(p.next(tick.time, &mut rng), None);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert_eq!(
            Burst::new(0, 0.0, 1.0).unwrap_err(),
            ParamError::new("count", "must be >= 1 (got 0)")
        );
        let err = Burst::new(5_000_000_000, 0.0, 1.0).unwrap_err();
        assert_eq!(err.message, "must be at most 4294967295 (got 5000000000)");
        assert_eq!(Burst::new(1, -1.0, 1.0).unwrap_err().field, "at");
        assert_eq!(Burst::new(1, 0.0, f64::INFINITY).unwrap_err().field, "over");
    }
}
