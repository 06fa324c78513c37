//! Time-weighted average of a piecewise-constant level (queue depth, busy
//! workers), kept exactly in integer arithmetic.

/// Integrates a level over time; times are nanoseconds.
#[derive(Clone, Debug, Default)]
pub struct TimeAverage {
    start: u64,
    last: u64,
    level: u64,
    area: u128,
    max: u64,
}

impl TimeAverage {
    /// Starts integrating at `now` from `level`.
    pub fn new(now: u64, level: u64) -> TimeAverage {
        TimeAverage {
            start: now,
            last: now,
            level,
            area: 0,
            max: level,
        }
    }

    /// The level changes to `level` at `now` (not before the last change).
    #[inline]
    pub fn set(&mut self, now: u64, level: u64) {
        self.area += u128::from(self.level) * u128::from(now.saturating_sub(self.last));
        self.last = now;
        self.level = level;
        self.max = self.max.max(level);
    }

    /// The level rises to `level` and falls back to where it was within
    /// one instant: only the maximum can change (a level held for no time
    /// adds nothing to the area), as `set` to `level` then back would give.
    #[inline]
    pub fn peak(&mut self, level: u64) {
        self.max = self.max.max(level);
    }

    /// Restarts the average at `now`, keeping the current level.
    pub fn restart(&mut self, now: u64) {
        *self = TimeAverage::new(now, self.level);
    }

    /// The current level.
    pub fn level(&self) -> u64 {
        self.level
    }

    /// Highest level seen since the start.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The average from the start until `now` (the current level if no time
    /// has passed).
    pub fn mean(&self, now: u64) -> f64 {
        let area = self.area + u128::from(self.level) * u128::from(now.saturating_sub(self.last));
        let span = now.saturating_sub(self.start);
        if span == 0 {
            self.level as f64
        } else {
            area as f64 / span as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_a_step_function_exactly() {
        let mut a = TimeAverage::new(0, 0);
        a.set(10, 4); // 0 for 10
        a.set(20, 1); // 4 for 10
        assert_eq!(a.mean(40), (0.0 * 10.0 + 4.0 * 10.0 + 1.0 * 20.0) / 40.0);
        assert_eq!(a.max(), 4);
        a.restart(40);
        assert_eq!(a.mean(50), 1.0);
        assert_eq!(a.mean(40), 1.0);
    }

    /// A peak is a rise and a fall within one instant: the same mean and
    /// maximum at every later time.
    #[test]
    fn a_peak_is_a_rise_and_fall_at_one_instant() {
        let (mut peaked, mut stepped) = (TimeAverage::new(0, 2), TimeAverage::new(0, 2));
        peaked.peak(7);
        stepped.set(15, 7);
        stepped.set(15, 2);
        for t in [15, 20, 99] {
            assert_eq!(peaked.mean(t), stepped.mean(t));
        }
        peaked.set(30, 1);
        stepped.set(30, 1);
        assert_eq!(
            (peaked.mean(50), peaked.max()),
            (stepped.mean(50), stepped.max())
        );
        assert_eq!(peaked.max(), 7);
    }
}
