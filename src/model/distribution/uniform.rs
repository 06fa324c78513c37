//! Uniform distribution on `[low, high)`.

use rand::RngExt;

use super::check;
use crate::engine::RngStream;
use crate::model::ParamError;

/// Uniform on `[low, high)` (in the caller's unit: seconds or bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct Uniform {
    low: f64,
    width: f64,
}

impl Uniform {
    /// A uniform distribution from `low` to `high`; `low == high` is allowed
    /// and always yields `low`.
    ///
    /// # Errors
    /// If `low` is negative or not finite, or `high` is below `low` or not
    /// finite.
    pub fn new(low: f64, high: f64) -> Result<Uniform, ParamError> {
        let low = check::non_negative("low", low)?;
        let high = check::non_negative("high", high)?;
        if high < low {
            return Err(ParamError::new(
                "high",
                format!("must be >= low (got {high} < {low})"),
            ));
        }
        Ok(Uniform {
            low,
            width: high - low,
        })
    }

    /// Draws one value.
    #[inline]
    pub fn sample(&self, rng: &mut RngStream) -> f64 {
        self.low + self.width * rng.random::<f64>()
    }

    /// The exact mean, (low + high) / 2.
    pub fn mean(&self) -> f64 {
        self.low + self.width / 2.0
    }

    /// The exact variance, (high − low)² / 12.
    pub fn variance(&self) -> f64 {
        self.width * self.width / 12.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Distribution, testkit};
    use super::*;

    #[test]
    fn moments_match() {
        let d = Distribution::uniform(0.002, 0.010).unwrap();
        assert!((d.mean() - 0.006).abs() < 1e-15);
        testkit::assert_moments(&d, 1.8, "uniform");
    }

    #[test]
    fn low_equal_to_high_is_constant() {
        let d = Distribution::uniform(3.0, 3.0).unwrap();
        let mut rng = testkit::rng("uniform/degenerate");
        assert_eq!(d.sample(&mut rng), 3.0);
        assert_eq!(d.variance(), 0.0);
    }

    #[test]
    fn rejects_bad_bounds() {
        let err = Uniform::new(-1.0, 2.0).unwrap_err();
        assert_eq!(err.field, "low");
        assert_eq!(err.message, "must be a finite number >= 0 (got -1)");
        let err = Uniform::new(2.0, 1.0).unwrap_err();
        assert_eq!(err, ParamError::new("high", "must be >= low (got 1 < 2)"));
        assert_eq!(Uniform::new(0.0, f64::NAN).unwrap_err().field, "high");
    }
}
