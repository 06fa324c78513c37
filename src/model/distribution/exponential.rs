//! Exponential distribution given by its mean.

use rand::RngExt;
use rand_distr::Exp1;

use super::check;
use crate::engine::RngStream;
use crate::model::ParamError;

/// Exponential with a given mean (seconds or bytes): memoryless, cv = 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Exponential {
    mean: f64,
}

impl Exponential {
    /// An exponential distribution with mean `mean`.
    ///
    /// # Errors
    /// If `mean` is not a finite number > 0.
    pub fn new(mean: f64) -> Result<Exponential, ParamError> {
        Ok(Exponential {
            mean: check::positive("mean", mean)?,
        })
    }

    /// Draws one value: `mean` times a unit exponential (ziggurat).
    #[inline(always)]
    pub fn sample(&self, rng: &mut RngStream) -> f64 {
        let unit: f64 = rng.sample(Exp1);
        self.mean * unit
    }

    /// The exact mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The exact variance, mean².
    pub fn variance(&self) -> f64 {
        self.mean * self.mean
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Distribution, testkit};
    use super::*;

    #[test]
    fn moments_match() {
        let d = Distribution::exponential(0.25).unwrap();
        assert_eq!(d.scv(), 1.0);
        // Kurtosis of the exponential: 9.
        testkit::assert_moments(&d, 9.0, "exponential");
    }

    #[test]
    fn rejects_non_positive_mean() {
        let err = Exponential::new(0.0).unwrap_err();
        assert_eq!(err, ParamError::new("mean", "must be > 0 (got 0)"));
        assert_eq!(Exponential::new(f64::NAN).unwrap_err().field, "mean");
    }
}
