//! Confidence intervals across replications (Student t).

use super::welford::Welford;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean of independent replications with a two-sided confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceInterval {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the interval (0 with one replication).
    pub half_width: f64,
    /// Sample standard deviation.
    pub std_dev: f64,
    /// Number of replications.
    pub n: u64,
}

impl ConfidenceInterval {
    /// The `level` (e.g. 0.95) interval for the mean of `values`.
    pub fn of(values: &[f64], level: f64) -> ConfidenceInterval {
        let mut w = Welford::default();
        values.iter().for_each(|&v| w.push(v));
        let n = w.count();
        let half_width = if n < 2 {
            0.0
        } else {
            student_t_quantile(0.5 + level / 2.0, (n - 1) as f64) * w.std_dev() / (n as f64).sqrt()
        };
        ConfidenceInterval {
            mean: w.mean(),
            half_width,
            std_dev: w.std_dev(),
            n,
        }
    }

    /// True when `value` lies inside the interval.
    pub fn contains(&self, value: f64) -> bool {
        (value - self.mean).abs() <= self.half_width
    }
}

/// The `p` quantile of Student's t with `dof` degrees of freedom.
pub fn student_t_quantile(p: f64, dof: f64) -> f64 {
    StudentsT::new(0.0, 1.0, dof).map_or(f64::NAN, |t| t.inverse_cdf(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Standard table values, three decimals.
        for (dof, expected) in [(1.0, 12.706), (4.0, 2.776), (9.0, 2.262), (29.0, 2.045)] {
            let got = student_t_quantile(0.975, dof);
            assert!((got - expected).abs() < 5e-4, "dof {dof}: {got}");
        }
    }

    #[test]
    fn interval_of_known_values() {
        let ci = ConfidenceInterval::of(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95);
        assert_eq!(ci.mean, 3.0);
        // s = sqrt(2.5), t(0.975, 4) = 2.7764
        assert!((ci.half_width - 2.7764 * 2.5f64.sqrt() / 5f64.sqrt()).abs() < 1e-3);
        assert!(ci.contains(4.9) && !ci.contains(5.0));
        assert_eq!(ConfidenceInterval::of(&[7.0], 0.95).half_width, 0.0);
    }
}
