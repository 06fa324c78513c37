//! Gamma distribution given by its shape and mean.

use rand::RngExt;
use rand_distr::Gamma as GammaSampler;

use super::check;
use crate::engine::RngStream;
use crate::model::ParamError;

/// Gamma with shape `k` and a given mean (scale = mean / k): cv = 1/√k.
#[derive(Clone, Debug, PartialEq)]
pub struct Gamma {
    shape: f64,
    mean: f64,
    sampler: GammaSampler<f64>,
}

impl Gamma {
    /// A gamma distribution with shape `shape` and mean `mean`.
    ///
    /// # Errors
    /// If `shape` or `mean` is not a finite number > 0.
    pub fn new(shape: f64, mean: f64) -> Result<Gamma, ParamError> {
        let shape = check::positive("shape", shape)?;
        Gamma::with_field(shape, mean, "mean")
    }

    /// Builds the sampler once `shape` is known to be valid.
    pub(super) fn with_field(shape: f64, mean: f64, field: &str) -> Result<Gamma, ParamError> {
        let mean = check::positive(field, mean)?;
        let sampler = GammaSampler::new(shape, mean / shape).map_err(|e| {
            ParamError::new(field, format!("gives no valid gamma distribution ({e})"))
        })?;
        Ok(Gamma {
            shape,
            mean,
            sampler,
        })
    }

    /// Draws one value (Marsaglia–Tsang).
    #[inline]
    pub fn sample(&self, rng: &mut RngStream) -> f64 {
        rng.sample(self.sampler)
    }

    /// The exact mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The exact variance, mean² / shape.
    pub fn variance(&self) -> f64 {
        self.mean * self.mean / self.shape
    }

    /// The shape parameter.
    pub fn shape(&self) -> f64 {
        self.shape
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Distribution, testkit};
    use super::*;

    #[test]
    fn moments_match_for_small_and_large_shapes() {
        for (shape, name) in [(0.5, "gamma/0.5"), (2.5, "gamma/2.5")] {
            let d = Distribution::gamma(shape, 0.004).unwrap();
            assert!((d.scv() - 1.0 / shape).abs() < 1e-12);
            // Excess kurtosis of the gamma: 6 / shape.
            testkit::assert_moments(&d, 3.0 + 6.0 / shape, name);
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let err = Gamma::new(-2.0, 1.0).unwrap_err();
        assert_eq!(err, ParamError::new("shape", "must be > 0 (got -2)"));
        let err = Gamma::new(2.0, 0.0).unwrap_err();
        assert_eq!(err, ParamError::new("mean", "must be > 0 (got 0)"));
    }
}
