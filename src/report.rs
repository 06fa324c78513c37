//! Outputs: `summary.json`, `timeseries.csv`, the terminal table, charts
//! (PNG and SVG), `report.html`, and sweep results. Draws numbers already
//! computed; every file is written atomically.

mod atomic;
pub mod chart;
mod compare_report;
mod html;
mod run_report;
mod series;
mod summary;
pub mod sweep_file;
mod sweep_report;
mod table;
mod text;
mod timeseries;

pub use atomic::write_atomic;
pub use compare_report::{CompareColumn, CompareView};
pub use html::{Page, escape};
pub use run_report::RunView;
pub use series::SeriesTable;
pub use summary::{Summary, summary_json};
pub use sweep_report::{SweepView, write_sweep};
pub use table::table;
pub use text::{amount, columns, wrote};
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
    /// A chart could not be drawn.
    #[error("cannot draw the {chart} chart: {reason}")]
    Chart {
        /// The chart's name.
        chart: String,
        /// What went wrong.
        reason: String,
    },
    /// A saved result (summary, series, sweep results) is missing or
    /// malformed.
    #[error("{path}: {reason}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The summary could not be encoded (never expected).
    #[error("cannot encode the summary: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Writes `summary.json`, `timeseries.csv`, the charts (PNG and SVG) and
/// `report.html` into `dir`; returns the paths.
///
/// # Errors
/// [`ReportError::Write`] naming the file that could not be written, or
/// [`ReportError::Chart`].
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    experiment: &Experiment,
) -> Result<Vec<PathBuf>, ReportError> {
    let summary = dir.join("summary.json");
    write_atomic(&summary, summary_json(scenario, experiment)?.as_bytes())?;
    let series = dir.join("timeseries.csv");
    let csv = timeseries_csv(scenario, &experiment.outcomes[0].series);
    write_atomic(&series, csv.as_bytes())?;
    let mut written = vec![summary, series];
    let partitions = &experiment.outcomes[0].partition_series;
    if !partitions.is_empty() {
        let path = dir.join("partitions.csv");
        write_atomic(
            &path,
            timeseries::partitions_csv(scenario, partitions).as_bytes(),
        )?;
        written.push(path);
    }
    let view = RunView::of_run(scenario, experiment, &csv)?;
    written.extend(write_run_report(dir, &view)?);
    Ok(written)
}

/// Writes the charts and `report.html` of a run view into `dir`.
///
/// # Errors
/// [`ReportError::Write`] or [`ReportError::Chart`].
pub fn write_run_report(dir: &Path, view: &RunView) -> Result<Vec<PathBuf>, ReportError> {
    let charts = view.charts()?;
    write_page(dir, &charts, &view.html(&charts))
}

/// Writes each chart as `<name>.png` and `<name>.svg`, then `report.html`.
///
/// # Errors
/// [`ReportError::Write`] naming the file.
pub fn write_page(
    dir: &Path,
    charts: &[chart::Rendered],
    html: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    for c in charts {
        for (ext, bytes) in [("png", c.png.as_slice()), ("svg", c.svg.as_bytes())] {
            let path = dir.join(format!("{}.{ext}", c.name));
            write_atomic(&path, bytes)?;
            written.push(path);
        }
    }
    let report = dir.join("report.html");
    write_atomic(&report, html.as_bytes())?;
    written.push(report);
    Ok(written)
}

/// The text of a saved result file.
///
/// # Errors
/// [`ReportError::Input`] if it cannot be read.
pub(crate) fn read_input(path: &Path) -> Result<String, ReportError> {
    std::fs::read_to_string(path).map_err(|e| ReportError::Input {
        path: path.to_owned(),
        reason: format!("cannot read it: {e}"),
    })
}
