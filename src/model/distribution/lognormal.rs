//! Log-normal distribution, given by mean and cv or by median and p99.

use rand::RngExt;
use rand_distr::LogNormal as LogNormalSampler;

use super::check;
use crate::engine::RngStream;
use crate::model::ParamError;

/// The standard normal's 0.99 quantile, z₀.₉₉.
pub const Z_99: f64 = 2.326_347_874_040_841;

/// Log-normal: `exp(μ + σ·Z)` for a standard normal `Z` (seconds or bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct LogNormal {
    mean: f64,
    variance: f64,
    sampler: LogNormalSampler<f64>,
}

impl LogNormal {
    /// A log-normal with mean `mean` and coefficient of variation `cv`
    /// (standard deviation / mean): σ² = ln(1 + cv²), μ = ln(mean) − σ²/2.
    ///
    /// # Errors
    /// If `mean` or `cv` is not a finite number > 0.
    pub fn from_mean_cv(mean: f64, cv: f64) -> Result<LogNormal, ParamError> {
        let mean = check::positive("mean", mean)?;
        let cv = check::positive("cv", cv)?;
        let sigma2 = cv.mul_add(cv, 1.0).ln();
        let mu = mean.ln() - sigma2 / 2.0;
        let sd = cv * mean;
        LogNormal::build(mu, sigma2.sqrt(), mean, sd * sd, "cv")
    }

    /// A log-normal with median `p50` and 99th percentile `p99`:
    /// μ = ln(p50), σ = ln(p99 / p50) / z₀.₉₉.
    ///
    /// # Errors
    /// If `p50` is not a finite number > 0, or `p99` is not finite and
    /// greater than `p50`.
    pub fn from_p50_p99(p50: f64, p99: f64) -> Result<LogNormal, ParamError> {
        let p50 = check::positive("p50", p50)?;
        let p99 = check::positive("p99", p99)?;
        if p99 <= p50 {
            return Err(ParamError::new(
                "p99",
                format!("must be > p50 (got {p99} <= {p50})"),
            ));
        }
        let mu = p50.ln();
        let sigma = (p99 / p50).ln() / Z_99;
        let mean = (mu + sigma * sigma / 2.0).exp();
        let variance = mean * mean * (sigma * sigma).exp_m1();
        LogNormal::build(mu, sigma, mean, variance, "p99")
    }

    /// Builds the sampler once (`field` names the parameter to blame if the
    /// numbers overflow).
    fn build(
        mu: f64,
        sigma: f64,
        mean: f64,
        variance: f64,
        field: &str,
    ) -> Result<LogNormal, ParamError> {
        let too_wide = || ParamError::new(field, "gives a distribution too wide to represent");
        if !(mean.is_finite() && variance.is_finite()) {
            return Err(too_wide());
        }
        let sampler = LogNormalSampler::new(mu, sigma).map_err(|_| too_wide())?;
        Ok(LogNormal {
            mean,
            variance,
            sampler,
        })
    }

    /// Draws one value.
    #[inline]
    pub fn sample(&self, rng: &mut RngStream) -> f64 {
        rng.sample(self.sampler)
    }

    /// The exact mean, exp(μ + σ²/2).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The exact variance, mean²·(exp(σ²) − 1).
    pub fn variance(&self) -> f64 {
        self.variance
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Distribution, testkit};
    use super::*;

    /// μ4/σ⁴ of a log-normal with shape σ².
    fn kurtosis(sigma2: f64) -> f64 {
        (4.0 * sigma2).exp() + 2.0 * (3.0 * sigma2).exp() + 3.0 * (2.0 * sigma2).exp() - 3.0
    }

    #[test]
    fn mean_cv_moments_match() {
        let d = Distribution::lognormal_mean_cv(0.02, 0.5).unwrap();
        assert!((d.scv() - 0.25).abs() < 1e-12);
        testkit::assert_moments(&d, kurtosis(1.25f64.ln()), "lognormal/cv");
    }

    #[test]
    fn p50_p99_moments_match() {
        let d = Distribution::lognormal_p50_p99(0.010, 0.030).unwrap();
        let sigma = 3.0f64.ln() / Z_99;
        testkit::assert_moments(&d, kurtosis(sigma * sigma), "lognormal/p99-moments");
    }

    /// The empirical q-quantile must lie between the order statistics of
    /// ranks n·(q ∓ δ), δ = Z·√(q(1 − q)/n): the number of draws below the
    /// true quantile is Binomial(n, q).
    #[test]
    fn p50_p99_quantiles_match() {
        let (p50, p99) = (0.010, 0.100);
        let d = Distribution::lognormal_p50_p99(p50, p99).unwrap();
        let mut xs = testkit::draws(&d, "lognormal/p99");
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        for (q, truth) in [(0.5, p50), (0.99, p99)] {
            let delta = testkit::Z * (q * (1.0 - q) / n).sqrt();
            let lo = xs[((q - delta) * n).floor() as usize];
            let hi = xs[((q + delta) * n).ceil() as usize];
            assert!(lo <= truth && truth <= hi, "q={q}: {lo} <= {truth} <= {hi}");
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let err = LogNormal::from_mean_cv(1.0, -1.0).unwrap_err();
        assert_eq!(err, ParamError::new("cv", "must be > 0 (got -1)"));
        assert_eq!(LogNormal::from_mean_cv(0.0, 1.0).unwrap_err().field, "mean");
        assert_eq!(LogNormal::from_p50_p99(0.0, 1.0).unwrap_err().field, "p50");
        let err = LogNormal::from_p50_p99(0.01, 0.005).unwrap_err();
        assert_eq!(
            err,
            ParamError::new("p99", "must be > p50 (got 0.005 <= 0.01)")
        );
        let err = LogNormal::from_mean_cv(1.0, 1e200).unwrap_err();
        assert_eq!(err.field, "cv");
    }
}
