//! Outputs: `summary.json`, `timeseries.csv` and the terminal table. Draws
//! numbers already computed; every file is written atomically.

mod atomic;
mod summary;
mod table;
mod timeseries;

pub use atomic::write_atomic;
pub use summary::{Summary, summary_json};
pub use table::table;
pub use timeseries::timeseries_csv;

use crate::experiment::Experiment;
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The summary could not be encoded (never expected).
    #[error("cannot encode the summary: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Writes `summary.json` and `timeseries.csv` into `dir`; returns the paths.
///
/// # Errors
/// [`ReportError::Write`] naming the file that could not be written.
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    experiment: &Experiment,
) -> Result<Vec<PathBuf>, ReportError> {
    let summary = dir.join("summary.json");
    write_atomic(&summary, summary_json(scenario, experiment)?.as_bytes())?;
    let series = dir.join("timeseries.csv");
    write_atomic(
        &series,
        timeseries_csv(scenario, &experiment.outcomes[0].series).as_bytes(),
    )?;
    Ok(vec![summary, series])
}
