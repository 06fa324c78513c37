//! Simulated time as integer nanoseconds, so equal instants compare equal
//! without epsilons.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds in one second.
const NANOS_PER_S: f64 = 1e9;

/// 2⁶³: below it, a non-negative `f64` converts through `i64` in one
/// instruction each way.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// An instant of simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// An instant later than any reachable one.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Seconds since the start of the run.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_S
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// Longer than any run.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// Converts seconds to a duration, rounding to the nearest nanosecond.
    /// Negative and NaN inputs give zero; huge ones saturate.
    #[inline]
    pub fn from_secs_f64(secs: f64) -> SimDuration {
        let nanos = secs * NANOS_PER_S;
        // Below 2⁶³ (every duration up to 292
        // years) the rounding goes straight through `i64`, as in
        // `round_positive`, without its range test again.
        if nanos > 0.0 && nanos < I64_LIMIT {
            let whole = nanos as i64;
            SimDuration((whole + i64::from(nanos - whole as f64 >= 0.5)) as u64)
        } else if nanos >= u64::MAX as f64 {
            SimDuration::MAX
        } else if nanos >= I64_LIMIT {
            SimDuration(round_positive(nanos))
        } else {
            SimDuration::ZERO // zero, negative or NaN
        }
    }

    /// A whole number of seconds.
    pub const fn from_secs(secs: u64) -> SimDuration {
        SimDuration(secs.saturating_mul(1_000_000_000))
    }

    /// A whole number of milliseconds.
    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms.saturating_mul(1_000_000))
    }

    /// The duration in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_S
    }

    /// The duration in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
}

/// `x.round() as u64`: to the nearest integer, half away from zero,
/// saturating (negative and NaN give 0), without the library call
/// `f64::round` costs where the CPU has no rounding instruction.
/// Truncation is one instruction, and `x - trunc(x)` is exact (Sterbenz),
/// so the result is the same as `round`'s for every input.
/// Below 2⁶³ (every duration up to 292 years in nanoseconds) it goes
/// through `i64`, whose conversions to and from `f64` are one instruction
/// each, where `u64`'s are several.
#[inline]
pub fn round_positive(x: f64) -> u64 {
    if (0.0..I64_LIMIT).contains(&x) {
        let whole = x as i64;
        return (whole + i64::from(x - whole as f64 >= 0.5)) as u64;
    }
    let whole = x as u64;
    whole.saturating_add(u64::from(x - whole as f64 >= 0.5))
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.since(rhs)
    }
}

impl fmt::Display for SimDuration {
    /// Shortest exact form among `ns`, `us`, `ms`, `s`, `m`, `h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 6] = [
            (3_600_000_000_000, "h"),
            (60_000_000_000, "m"),
            (1_000_000_000, "s"),
            (1_000_000, "ms"),
            (1_000, "us"),
            (1, "ns"),
        ];
        if self.0 == 0 {
            return write!(f, "0s");
        }
        for (unit, name) in UNITS {
            if self.0.is_multiple_of(unit) {
                return write!(f, "{}{}", self.0 / unit, name);
            }
        }
        unreachable!("every duration is a whole number of nanoseconds")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.9}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn rounding_is_f64_round_for_every_kind_of_input() {
        let edges = [
            1e-300,
            0.25,
            0.5,
            0.5000000000000001,
            0.49999999999999994,
            1.5,
            2.5,
            3.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            // Either side of 2^63, where the conversion changes path.
            9_223_372_036_854_774_784.0,
            9_223_372_036_854_775_808.0,
            9_223_372_036_854_777_856.0,
            18_446_744_073_709_549_568.0,
            -0.0,
        ];
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let random = (0..200_000).map(|i| {
            let scale = 10f64.powi(i % 20 - 2);
            rng.random::<f64>() * scale
        });
        let halves = (0..10_000).map(|k| f64::from(k) + 0.5);
        let odd = [
            -0.3,
            -0.5,
            -7.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e30,
        ];
        for x in edges.into_iter().chain(random).chain(halves).chain(odd) {
            assert_eq!(round_positive(x), x.round() as u64, "{x:e}");
            // The conversion's own path below 2^63 gives what rounding
            // the product in nanoseconds gave.
            let nanos = x * NANOS_PER_S;
            let expected = if nanos.is_nan() || nanos <= 0.0 {
                0
            } else {
                nanos.round() as u64
            };
            assert_eq!(SimDuration::from_secs_f64(x).0, expected, "{x:e}");
            let secs = x / NANOS_PER_S;
            let expected = if x.is_nan() || secs * NANOS_PER_S <= 0.0 {
                0
            } else {
                (secs * NANOS_PER_S).round() as u64
            };
            assert_eq!(SimDuration::from_secs_f64(secs).0, expected, "{x:e}");
        }
    }

    #[test]
    fn seconds_round_to_nearest_nanosecond() {
        assert_eq!(SimDuration::from_secs_f64(0.25), SimDuration(250_000_000));
        assert_eq!(SimDuration::from_secs_f64(1e-9 * 0.6), SimDuration(1));
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e30), SimDuration::MAX);
    }

    #[test]
    fn durations_display_in_their_shortest_exact_unit() {
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_secs(300).to_string(), "5m");
        assert_eq!(SimDuration::from_secs(90).to_string(), "90s");
        assert_eq!(SimDuration(1500).to_string(), "1500ns");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
    }

    #[test]
    fn time_arithmetic_saturates() {
        assert_eq!(SimTime::MAX + SimDuration(5), SimTime::MAX);
        assert_eq!(SimTime(3) - SimTime(5), SimDuration::ZERO);
    }
}
