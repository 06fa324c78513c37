//! Outputs: `summary.json`, `timeseries.csv`, the terminal table, charts
//! (PNG and SVG), `report.html`, and sweep results. Draws numbers already
//! computed; every file is written atomically.

pub(crate) mod chart;
mod compare_report;
mod compare_series;
pub mod duration;
pub(crate) mod html;
pub mod output;
mod run_report;
mod series;
mod summary;
pub mod sweep_file;
mod sweep_report;
mod table;
mod text;
mod timeseries;
pub(crate) mod topology;
mod verdict;

pub use compare_report::{CompareColumn, CompareView};
pub use compare_series::ColumnSeries;
pub use html::{Page, escape};
pub use output::{Mode, OutputSet, check_file_name, write_atomic};
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
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What the system said (not a `source`: the message says it once).
        error: std::io::Error,
    },
    /// A file name that would not stay in its folder.
    #[error("{reason}")]
    Name {
        /// What is wrong with it.
        reason: String,
    },
    /// Another command is writing into the folder.
    #[error(
        "another mqsim command is writing into {dir}; wait for it to finish, or choose another --out"
    )]
    Busy {
        /// The folder.
        dir: PathBuf,
    },
    /// The folder holds outputs that no marker lists.
    #[error(
        "{dir} holds outputs that mqsim did not record ({files}): they come from an earlier \
         version of mqsim or from elsewhere, and mqsim does not mix outputs of two runs. \
         Remove them, or choose another --out"
    )]
    Foreign {
        /// The folder.
        dir: PathBuf,
        /// The files found.
        files: String,
    },
    /// `plot` would replace a set that holds data.
    #[error(
        "{dir} holds the data of a run, comparison or sweep; plot writes charts only and does \
         not replace it: plot into another --out, or into that folder itself to redraw it"
    )]
    HoldsData {
        /// The folder.
        dir: PathBuf,
    },
    /// The folder's outputs were being replaced when a command stopped.
    #[error(
        "{dir} holds outputs whose writing was interrupted (the marker says they are \
         incomplete): run the command again to replace them"
    )]
    Incomplete {
        /// The folder.
        dir: PathBuf,
    },
    /// The folder holds a sweep's results, which are never replaced.
    #[error(
        "{dir} holds the results of a sweep, which mqsim never replaces: continue it with \
         `mqsim sweep … --resume`, redraw it with `mqsim plot`, or choose another --out"
    )]
    Protected {
        /// The folder.
        dir: PathBuf,
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

impl ReportError {
    /// Whether the user must fix the input: a saved result, a file name or
    /// the choice of output folder (exit status 2), rather than the system
    /// failing (1).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ReportError::Input { .. }
                | ReportError::Name { .. }
                | ReportError::Busy { .. }
                | ReportError::Foreign { .. }
                | ReportError::Protected { .. }
                | ReportError::HoldsData { .. }
                | ReportError::Incomplete { .. }
        )
    }
}

/// Stages `summary.json`, `timeseries.csv` (and `partitions.csv` with
/// several partitions), the charts (PNG and SVG) and `report.html` in `set`.
///
/// # Errors
/// [`ReportError::Write`] naming the file that could not be written, or
/// [`ReportError::Chart`].
pub fn write_run(
    set: &mut OutputSet,
    scenario: &Scenario,
    experiment: &Experiment,
) -> Result<(), ReportError> {
    set.write(
        "summary.json",
        summary_json(scenario, experiment)?.as_bytes(),
    )?;
    let csv = timeseries_csv(scenario, &experiment.outcomes[0].series);
    set.write("timeseries.csv", csv.as_bytes())?;
    let partitions = &experiment.outcomes[0].partition_series;
    if !partitions.is_empty() {
        let text = timeseries::partitions_csv(scenario, partitions);
        set.write("partitions.csv", text.as_bytes())?;
    }
    let calls = &experiment.outcomes[0].call_series;
    if !calls.is_empty() {
        let text = timeseries::calls_csv(scenario, calls);
        set.write("calls.csv", text.as_bytes())?;
    }
    let view = RunView::of_run(scenario, experiment, &csv)?;
    write_run_report(set, &view)
}

/// Stages the charts and `report.html` of a run view in `set`.
///
/// # Errors
/// [`ReportError::Write`] or [`ReportError::Chart`].
pub fn write_run_report(set: &mut OutputSet, view: &RunView) -> Result<(), ReportError> {
    let charts = view.charts()?;
    write_page(set, &charts, &view.html(&charts))
}

/// Stages each chart as `<name>.png` and `<name>.svg`, then `report.html`.
///
/// # Errors
/// [`ReportError::Write`] naming the file, or [`ReportError::Name`] for a
/// chart name that is not a plain file name.
pub fn write_page(
    set: &mut OutputSet,
    charts: &[chart::Rendered],
    html: &str,
) -> Result<(), ReportError> {
    for c in charts {
        for (ext, bytes) in [("png", c.png.as_slice()), ("svg", c.svg.as_bytes())] {
            set.write(&format!("{}.{ext}", c.name), bytes)?;
        }
    }
    set.write("report.html", html.as_bytes())
}

/// Where group `g`'s metrics are, given whether a metric name exists:
/// `services.<g>` for a service called directly, else `groups.<g>`.
pub(crate) fn group_place(has: impl Fn(&str) -> bool, g: &str) -> String {
    let service = format!("services.{g}");
    if has(&format!("{service}.processed")) {
        service
    } else {
        format!("groups.{g}")
    }
}

/// The text of a saved result file (a regular file, of bounded size).
///
/// # Errors
/// [`ReportError::Input`] if it cannot be read.
pub(crate) fn read_input(path: &Path) -> Result<String, ReportError> {
    read_bounded(path, crate::input::MAX_TEXT_BYTES)
}

/// The text of a saved result file of at most `max` bytes.
///
/// # Errors
/// [`ReportError::Input`] if it cannot be read.
pub(crate) fn read_bounded(path: &Path, max: u64) -> Result<String, ReportError> {
    crate::input::read_text_at_most(path, max).map_err(|e| ReportError::Input {
        path: path.to_owned(),
        reason: format!("cannot read it: {e}"),
    })
}
