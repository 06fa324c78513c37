//! Delays between attempts: redelivery after a nack, producer retries.

use super::ParamError;
use crate::engine::{RngStream, SimDuration};
use rand::RngExt;

/// How long to wait before attempt `n + 1` after `n` failures.
#[derive(Clone, Debug, PartialEq)]
pub enum Backoff {
    /// Always the same delay.
    Fixed(SimDuration),
    /// `initial · multiplierⁿ⁻¹`, capped at `max`, then reduced by up to
    /// `jitter` (a share in [0, 1]; 1 is "full jitter").
    Exponential {
        /// Delay after the first failure.
        initial: SimDuration,
        /// Growth per failure (at least 1).
        multiplier: f64,
        /// Largest delay.
        max: SimDuration,
        /// Share of the delay removed at random, in [0, 1].
        jitter: f64,
    },
}

impl Backoff {
    /// No delay at all.
    pub const NONE: Backoff = Backoff::Fixed(SimDuration::ZERO);

    /// An exponential backoff.
    ///
    /// # Errors
    /// If `multiplier < 1`, `jitter` is outside [0, 1], or `max < initial`.
    pub fn exponential(
        initial: SimDuration,
        multiplier: f64,
        max: SimDuration,
        jitter: f64,
    ) -> Result<Backoff, ParamError> {
        if !(multiplier.is_finite() && multiplier >= 1.0) {
            return Err(ParamError::new(
                "multiplier",
                format!("must be >= 1 (got {multiplier})"),
            ));
        }
        if !(0.0..=1.0).contains(&jitter) {
            return Err(ParamError::new(
                "jitter",
                format!("must be between 0 and 1 (got {jitter})"),
            ));
        }
        if max < initial {
            return Err(ParamError::new(
                "max",
                format!("must be >= initial {} (got {})", initial, max),
            ));
        }
        Ok(Backoff::Exponential {
            initial,
            multiplier,
            max,
            jitter,
        })
    }

    /// The delay after `failures` failures (1 for the first); draws from
    /// `rng` only when there is jitter.
    pub fn delay(&self, failures: u32, rng: &mut RngStream) -> SimDuration {
        match *self {
            Backoff::Fixed(d) => d,
            Backoff::Exponential {
                initial,
                multiplier,
                max,
                jitter,
            } => {
                let exponent = f64::from(failures.saturating_sub(1));
                let raw = initial.as_secs_f64() * multiplier.powf(exponent);
                let capped = raw.min(max.as_secs_f64());
                let cut = if jitter > 0.0 {
                    jitter * rng.random::<f64>()
                } else {
                    0.0
                };
                SimDuration::from_secs_f64(capped * (1.0 - cut))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StreamId;

    #[test]
    fn exponential_grows_caps_and_jitters_within_bounds() {
        let mut rng = StreamId::named("t").rng(1, 0);
        let ms = SimDuration::from_millis;
        let b = Backoff::exponential(ms(100), 2.0, ms(1000), 0.0).unwrap();
        let delays: Vec<_> = (1..=6).map(|n| b.delay(n, &mut rng)).collect();
        assert_eq!(
            delays,
            [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]
        );
        let j = Backoff::exponential(ms(100), 2.0, ms(1000), 0.5).unwrap();
        for _ in 0..1000 {
            let d = j.delay(3, &mut rng);
            assert!(d >= ms(200) && d <= ms(400), "{d}");
        }
        assert!(Backoff::exponential(ms(100), 0.5, ms(1000), 0.0).is_err());
        assert!(Backoff::exponential(ms(100), 2.0, ms(10), 0.0).is_err());
        assert!(Backoff::exponential(ms(100), 2.0, ms(1000), 1.5).is_err());
        assert_eq!(Backoff::Fixed(ms(7)).delay(9, &mut rng), ms(7));
    }
}
