//! Statistical checks shared by the distribution tests.
//!
//! Tolerances are `Z` standard errors. For a normally distributed estimator a
//! two-sided 4.5σ band is left with probability ~6.8e-6, so a test with a
//! fixed seed has a ~7e-6 chance of being unlucky when its seed is chosen;
//! once it passes for a seed it passes forever (the streams are
//! value-stable).

use super::Distribution;
use crate::engine::{RngStream, StreamId};

/// Draws per statistical test.
pub(crate) const N: usize = 200_000;
/// Standard errors allowed: two-sided false-failure rate ~7e-6.
pub(crate) const Z: f64 = 4.5;

/// A seeded stream for tests.
pub(crate) fn rng(name: &str) -> RngStream {
    StreamId::named(name).rng(1, 0)
}

/// `N` draws from `dist`, each checked to be finite and non-negative.
pub(crate) fn draws(dist: &Distribution, name: &str) -> Vec<f64> {
    let mut rng = rng(name);
    let xs: Vec<f64> = (0..N).map(|_| dist.sample(&mut rng)).collect();
    assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0));
    xs
}

/// Sample mean and (unbiased) sample variance.
pub(crate) fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Asserts that the sample mean and variance of `N` draws agree with
/// `dist.mean()` and `dist.variance()`. `kurtosis` is the exact
/// μ4/σ⁴ of the distribution: the sample variance has standard error
/// σ²·√((κ − 1)/n), the sample mean σ/√n.
pub(crate) fn assert_moments(dist: &Distribution, kurtosis: f64, name: &str) {
    let xs = draws(dist, name);
    let (mean_hat, var_hat) = mean_var(&xs);
    let (mean, var) = (dist.mean(), dist.variance());
    let n = N as f64;
    let mean_tol = Z * var.sqrt() / n.sqrt();
    assert!(
        (mean_hat - mean).abs() <= mean_tol,
        "{name}: mean {mean_hat} vs {mean} (tolerance {mean_tol})"
    );
    let var_tol = Z * var * ((kurtosis - 1.0) / n).sqrt();
    assert!(
        (var_hat - var).abs() <= var_tol,
        "{name}: variance {var_hat} vs {var} (tolerance {var_tol})"
    );
}

/// The fourth central moment over σ⁴ from raw moments E[X], …, E[X⁴].
pub(crate) fn kurtosis_from_raw(m1: f64, m2: f64, m3: f64, m4: f64) -> f64 {
    let var = m2 - m1 * m1;
    let mu4 = m4 - 4.0 * m1 * m3 + 6.0 * m1 * m1 * m2 - 3.0 * m1.powi(4);
    mu4 / (var * var)
}
