//! Empirical distribution: resampling from observed values.

use std::path::Path;
use std::sync::Arc;

use rand::RngExt;
use rand::distr::Uniform as UniformIndex;

use super::check;
use crate::engine::RngStream;
use crate::input::FileDigest;
use crate::model::ParamError;
use crate::model::arrival::csv::Csv;

/// Most samples an empirical distribution holds (400 MB at 8 bytes each).
pub(super) const MAX_SAMPLES: usize = 50_000_000;

/// Each draw is one of the listed samples, chosen uniformly (seconds or
/// bytes). The samples are shared, so cloning is cheap.
#[derive(Clone, Debug, PartialEq)]
pub struct Empirical {
    data: Arc<Samples>,
    index: UniformIndex<usize>,
}

/// The samples and their moments, shared by every clone and by every load
/// of the same unchanged file.
#[derive(Debug, PartialEq)]
struct Samples {
    values: Vec<f64>,
    mean: f64,
    variance: f64,
    /// The file they came from, if any.
    digest: FileDigest,
}

impl Empirical {
    /// Resamples uniformly from `samples`.
    ///
    /// # Errors
    /// If `samples` is empty or one of them is negative or not finite
    /// (field `samples[i]`).
    pub fn new(samples: Vec<f64>) -> Result<Empirical, ParamError> {
        for (i, &x) in samples.iter().enumerate() {
            check::non_negative(&format!("samples[{i}]"), x)?;
        }
        Empirical::of(Arc::new(Samples::new(samples, FileDigest::default())))
    }

    fn of(data: Arc<Samples>) -> Result<Empirical, ParamError> {
        let index = UniformIndex::new(0, data.values.len())
            .map_err(|_| ParamError::new("samples", "must list at least 1 value (got 0)"))?;
        Ok(Empirical { data, index })
    }

    /// Resamples the values of column `column` (found by its header name)
    /// of the CSV file at `path`, each multiplied by `scale` (e.g. 0.001 for
    /// a column in milliseconds). The file is read as a stream; the samples
    /// take 8 bytes each, and there may be at most 50 million; loads of
    /// the same unchanged file share them (see [`crate::input::shared`]).
    /// Returns the distribution and the file's digest.
    ///
    /// # Errors
    /// If `scale` is not a finite number > 0 (field `scale`), or the file
    /// is not a regular file or cannot be read, has no such column, no rows,
    /// too many rows, or a value that is not a number >= 0; file errors have
    /// an empty field and a message naming the file and line, e.g.
    /// `latencies.csv:14: column "ms": expected a number >= 0 (got "abc")`.
    pub fn from_csv(
        path: &Path,
        column: &str,
        scale: f64,
    ) -> Result<(Empirical, FileDigest), ParamError> {
        let scale = check::positive("scale", scale)?;
        let kind = format!("empirical column {column:?} scale {scale}");
        let data = crate::input::shared(&kind, path, || {
            let mut csv = Csv::read(path)?;
            let values = read_column(&mut csv, column, scale)?;
            let digest = csv.finish()?.map(FileDigest::from).unwrap_or_default();
            Ok::<_, ParamError>(Samples::new(values, digest))
        })?;
        let digest = data.digest.clone();
        Ok((Empirical::of(data)?, digest))
    }

    /// Like [`Empirical::from_csv`] on a CSV being read.
    #[cfg(test)]
    pub(crate) fn from_table(
        csv: &mut Csv,
        column: &str,
        scale: f64,
    ) -> Result<Empirical, ParamError> {
        Empirical::new(read_column(csv, column, scale)?)
    }

    /// Draws one value: one of the samples, each with probability 1/n.
    #[inline]
    pub fn sample(&self, rng: &mut RngStream) -> f64 {
        let i = rng.sample(self.index);
        self.data.values.get(i).copied().unwrap_or(self.data.mean)
    }

    /// The exact mean of the resampling distribution (the samples' mean).
    pub fn mean(&self) -> f64 {
        self.data.mean
    }

    /// The exact variance of the resampling distribution: the samples'
    /// population variance (divided by n, not n − 1).
    pub fn variance(&self) -> f64 {
        self.data.variance
    }

    /// The samples resampled from.
    pub fn samples(&self) -> &[f64] {
        &self.data.values
    }
}

impl Samples {
    fn new(values: Vec<f64>, digest: FileDigest) -> Samples {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        Samples {
            values,
            mean,
            variance,
            digest,
        }
    }
}

/// The values of column `column` of `csv`, times `scale`, checked.
fn read_column(csv: &mut Csv, column: &str, scale: f64) -> Result<Vec<f64>, ParamError> {
    let at = csv.column(column)?;
    let mut samples = Vec::new();
    while csv.advance()? {
        let record = csv.record();
        let text = &record.fields[at];
        let line = record.line;
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 && (x * scale).is_finite() => {
                samples.push(x * scale);
            }
            _ => {
                let message =
                    format!("column \"{column}\": expected a number >= 0 (got \"{text}\")");
                return Err(csv.error(Some(line), message).into());
            }
        }
        if samples.len() > MAX_SAMPLES {
            let message = format!(
                "more than {MAX_SAMPLES} rows: an empirical distribution holds at most that many samples \
                 (8 bytes each); sample the file down, or fit a distribution to it"
            );
            return Err(csv.error(Some(line), message).into());
        }
    }
    if samples.is_empty() {
        let message = format!("column \"{column}\" has no values (the file has no data rows)");
        return Err(csv.error(None, message).into());
    }
    samples.shrink_to_fit();
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::super::{Distribution, testkit};
    use super::*;

    #[test]
    fn moments_match() {
        let samples = vec![0.001, 0.002, 0.002, 0.004, 0.05, 0.0];
        let d = Distribution::empirical(samples.clone()).unwrap();
        let (m, n) = (d.mean(), samples.len() as f64);
        let mu2: f64 = samples.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
        let mu4: f64 = samples.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
        assert!((d.variance() - mu2).abs() < 1e-18);
        testkit::assert_moments(&d, mu4 / (mu2 * mu2), "empirical");
        let mut rng = testkit::rng("empirical/values");
        assert!((0..1000).all(|_| samples.contains(&d.sample(&mut rng))));
    }

    #[test]
    fn rejects_bad_samples() {
        let err = Empirical::new(vec![]).unwrap_err();
        assert_eq!(
            err,
            ParamError::new("samples", "must list at least 1 value (got 0)")
        );
        let err = Empirical::new(vec![1.0, f64::NAN]).unwrap_err();
        assert_eq!(err.field, "samples[1]");
        assert_eq!(Empirical::new(vec![-1.0]).unwrap_err().field, "samples[0]");
    }

    #[test]
    fn reads_a_csv_column_with_scale() {
        let mut csv = Csv::parse("lat.csv", "id,ms\n1,2\n2,4\n").unwrap();
        let d = Empirical::from_table(&mut csv, "ms", 0.001).unwrap();
        assert_eq!(d.samples(), [0.002, 0.004]);
    }

    #[test]
    fn csv_errors_name_file_line_and_column() {
        let text = "id,ms\n1,2\n\n2,abc\n";
        let mut csv = Csv::parse("latencies.csv", text).unwrap();
        let err = Empirical::from_table(&mut csv, "ms", 1.0).unwrap_err();
        assert_eq!(err.field, "");
        assert_eq!(
            err.message,
            "latencies.csv:4: column \"ms\": expected a number >= 0 (got \"abc\")"
        );
        let mut csv = Csv::parse("latencies.csv", text).unwrap();
        let err = Empirical::from_table(&mut csv, "us", 1.0).unwrap_err();
        assert!(
            err.message
                .starts_with("latencies.csv:1: no column named \"us\"")
        );
        let mut empty = Csv::parse("e.csv", "ms\n").unwrap();
        let err = Empirical::from_table(&mut empty, "ms", 1.0).unwrap_err();
        assert!(
            err.message
                .starts_with("e.csv: column \"ms\" has no values")
        );
    }

    #[test]
    fn reads_from_a_file() {
        let path = std::env::temp_dir().join(format!("mqsim-empirical-{}.csv", std::process::id()));
        std::fs::write(&path, "ms\n1\n-3\n").unwrap();
        let err = Empirical::from_csv(&path, "ms", 1.0).unwrap_err();
        assert_eq!(
            err.message,
            format!(
                "{}:3: column \"ms\": expected a number >= 0 (got \"-3\")",
                path.display()
            )
        );
        std::fs::write(&path, "ms\n1\n3\n").unwrap();
        let (d, digest) = Empirical::from_csv(&path, "ms", 2.0).unwrap();
        assert_eq!(d.mean(), 4.0);
        assert_eq!(digest.bytes, 7);
        assert_eq!(digest.sha256, crate::input::digest_file(&path).unwrap());
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            Empirical::from_csv(&path, "ms", 0.0).unwrap_err().field,
            "scale"
        );
    }
}
