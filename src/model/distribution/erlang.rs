//! Erlang distribution: the sum of `k` exponentials, given by `k` and mean.

use super::Gamma;
use crate::engine::RngStream;
use crate::model::ParamError;

/// Erlang with `k` phases and a given mean (seconds or bytes): a gamma with
/// integer shape `k`, so cv = 1/√k.
#[derive(Clone, Debug, PartialEq)]
pub struct Erlang {
    k: u32,
    gamma: Gamma,
}

impl Erlang {
    /// An Erlang distribution with `k` phases of mean `mean / k` each.
    ///
    /// # Errors
    /// If `k` is 0 or `mean` is not a finite number > 0.
    pub fn new(k: u32, mean: f64) -> Result<Erlang, ParamError> {
        if k == 0 {
            return Err(ParamError::new("k", "must be >= 1 (got 0)"));
        }
        Ok(Erlang {
            k,
            gamma: Gamma::with_field(f64::from(k), mean, "mean")?,
        })
    }

    /// Draws one value (as a gamma variate: constant cost whatever `k`).
    #[inline]
    pub fn sample(&self, rng: &mut RngStream) -> f64 {
        self.gamma.sample(rng)
    }

    /// The exact mean.
    pub fn mean(&self) -> f64 {
        self.gamma.mean()
    }

    /// The exact variance, mean² / k.
    pub fn variance(&self) -> f64 {
        self.gamma.variance()
    }

    /// The number of phases.
    pub fn k(&self) -> u32 {
        self.k
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Distribution, testkit};
    use super::*;

    #[test]
    fn moments_match() {
        let d = Distribution::erlang(3, 0.006).unwrap();
        assert!((d.variance() - 0.006f64.powi(2) / 3.0).abs() < 1e-18);
        testkit::assert_moments(&d, 3.0 + 6.0 / 3.0, "erlang");
    }

    #[test]
    fn rejects_bad_parameters() {
        assert_eq!(
            Erlang::new(0, 1.0).unwrap_err(),
            ParamError::new("k", "must be >= 1 (got 0)")
        );
        assert_eq!(Erlang::new(2, -1.0).unwrap_err().field, "mean");
    }
}
