//! Hyperexponential distribution: a probabilistic mix of exponentials.

use rand::RngExt;
use rand_distr::Exp1;

use super::check;
use crate::engine::RngStream;
use crate::model::ParamError;

/// How far the phase probabilities may sum from 1.
const SUM_TOLERANCE: f64 = 1e-9;

/// With probability `pᵢ` an exponential of mean `mᵢ` (seconds or bytes):
/// cv ≥ 1, the usual model of "mostly fast, sometimes slow".
#[derive(Clone, Debug, PartialEq)]
pub struct Hyperexponential {
    /// (cumulative probability, mean) per phase with `p > 0`; the last
    /// cumulative probability is +∞ so rounding never falls off the end.
    table: Box<[(f64, f64)]>,
    mean: f64,
    variance: f64,
}

impl Hyperexponential {
    /// A mix of exponentials: `phases` lists (probability, mean) pairs.
    ///
    /// # Errors
    /// If there are no phases, a probability is negative or not finite, a
    /// mean is not a finite number > 0, or the probabilities do not sum to 1
    /// within 1e-9.
    pub fn new(phases: Vec<(f64, f64)>) -> Result<Hyperexponential, ParamError> {
        if phases.is_empty() {
            return Err(ParamError::new(
                "phases",
                "must list at least 1 phase (got 0)",
            ));
        }
        for (i, &(p, m)) in phases.iter().enumerate() {
            check::non_negative(&format!("phases[{i}].probability"), p)?;
            check::positive(&format!("phases[{i}].mean"), m)?;
        }
        let total: f64 = phases.iter().map(|(p, _)| p).sum();
        if (total - 1.0).abs() > SUM_TOLERANCE {
            return Err(ParamError::new(
                "phases",
                format!("probabilities must sum to 1 (got {total})"),
            ));
        }
        let (mut mean, mut second) = (0.0, 0.0);
        let mut cumulative = 0.0;
        let mut table = Vec::with_capacity(phases.len());
        for &(p, m) in phases.iter().filter(|(p, _)| *p > 0.0) {
            let p = p / total;
            mean += p * m;
            second += 2.0 * p * m * m;
            cumulative += p;
            table.push((cumulative, m));
        }
        if let Some(last) = table.last_mut() {
            last.0 = f64::INFINITY;
        }
        Ok(Hyperexponential {
            table: table.into_boxed_slice(),
            mean,
            variance: (second - mean * mean).max(0.0),
        })
    }

    /// Draws one value: one uniform picks the phase (a scan of a few
    /// cumulative probabilities), one unit exponential scales its mean.
    #[inline]
    pub fn sample(&self, rng: &mut RngStream) -> f64 {
        let u: f64 = rng.random();
        let mut mean = 0.0;
        for &(cumulative, m) in self.table.iter() {
            if u < cumulative {
                mean = m;
                break;
            }
        }
        let unit: f64 = rng.sample(Exp1);
        mean * unit
    }

    /// The exact mean, Σ pᵢ·mᵢ.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The exact variance, 2·Σ pᵢ·mᵢ² − mean².
    pub fn variance(&self) -> f64 {
        self.variance
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Distribution, testkit};
    use super::*;

    #[test]
    fn moments_match() {
        let phases = vec![(0.9, 0.001), (0.0, 5.0), (0.1, 0.02)];
        let d = Distribution::hyperexponential(phases.clone()).unwrap();
        // Raw moments of a mix of exponentials: E[Xʲ] = Σ pᵢ·j!·mᵢʲ.
        let raw =
            |j: i32, fact: f64| -> f64 { phases.iter().map(|(p, m)| p * fact * m.powi(j)).sum() };
        let (m1, m2, m3, m4) = (raw(1, 1.0), raw(2, 2.0), raw(3, 6.0), raw(4, 24.0));
        assert!((d.mean() - m1).abs() < 1e-15);
        assert!((d.variance() - (m2 - m1 * m1)).abs() < 1e-15);
        assert!(d.scv() > 1.0);
        let kurtosis = testkit::kurtosis_from_raw(m1, m2, m3, m4);
        testkit::assert_moments(&d, kurtosis, "hyperexponential");
    }

    #[test]
    fn one_phase_is_exponential() {
        let d = Distribution::hyperexponential(vec![(1.0, 2.0)]).unwrap();
        assert_eq!((d.mean(), d.variance()), (2.0, 4.0));
    }

    #[test]
    fn rejects_bad_phases() {
        let err = Hyperexponential::new(vec![]).unwrap_err();
        assert_eq!(
            err,
            ParamError::new("phases", "must list at least 1 phase (got 0)")
        );
        let err = Hyperexponential::new(vec![(1.1, 1.0), (-0.1, 1.0)]).unwrap_err();
        assert_eq!(err.field, "phases[1].probability");
        let err = Hyperexponential::new(vec![(0.5, 1.0), (0.5, 0.0)]).unwrap_err();
        assert_eq!(
            err,
            ParamError::new("phases[1].mean", "must be > 0 (got 0)")
        );
        let err = Hyperexponential::new(vec![(0.5, 1.0), (0.4, 1.0)]).unwrap_err();
        assert_eq!(
            err,
            ParamError::new("phases", "probabilities must sum to 1 (got 0.9)")
        );
    }
}
