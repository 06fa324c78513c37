//! `mqsim plot`: redraws charts and report.html from saved results.

use super::merge::folder;
use super::sweep::input_error;
use super::{BadInput, print};
use mqsim::experiment::check_metric_name;
use mqsim::report::{
    CompareView, Mode, OutputSet, RunView, SweepView, sweep_file, write_page, write_run_report,
    wrote,
};
use std::path::{Path, PathBuf};

/// Arguments of `mqsim plot`.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// A run's output folder (summary.json, timeseries.csv), a sweep's
    /// (sweep.json, sweep.jsonl) or a comparison's (compare.json).
    results: PathBuf,
    /// Where to write the charts and report.html (default: the results folder).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Sweeps: chart this metric (repeatable; default: each group's e2e.p99_s, dropped, max_depth).
    #[arg(long = "metric", value_name = "NAME")]
    metrics: Vec<String>,
}

pub fn plot(args: PlotArgs) -> anyhow::Result<()> {
    let dir = folder(&args.results);
    let out = args.out.clone().unwrap_or_else(|| dir.clone());
    mqsim::report::output::check_readable(&dir)?;
    let in_place = same_folder(&dir, &out);
    let mode = if in_place {
        Mode::Redraw
    } else {
        Mode::Replace
    };
    // In place, the lock also keeps a running command from changing what is read.
    let mut set = OutputSet::open(&out, "plot", mode)?;
    if dir.join(sweep_file::MANIFEST).exists() {
        let manifest = sweep_file::read_manifest(&dir).map_err(input_error)?;
        let results = sweep_file::read_results(&dir, &manifest).map_err(input_error)?;
        let view = SweepView {
            manifest: &manifest,
            results: &results,
        };
        for m in &args.metrics {
            check_metric_name(m).map_err(|e| BadInput(format!("--metric: {e}")))?;
        }
        let metrics = if args.metrics.is_empty() {
            view.default_metrics()
        } else {
            args.metrics.clone()
        };
        if let Some(unknown) = metrics
            .iter()
            .find(|m| !results.iter().any(|r| r.metrics.contains_key(*m)))
        {
            return Err(BadInput(format!("--metric {unknown}: no point of this sweep has it (names as in sweep.csv, without .mean)")).into());
        }
        let charts = view.charts(&metrics)?;
        write_page(&mut set, &charts, &view.html(&charts, &metrics))?;
    } else if dir.join("compare.json").exists() {
        let view = CompareView::load(&dir).map_err(input_error)?;
        let charts = view.charts()?;
        write_page(&mut set, &charts, &view.html(&charts))?;
    } else if dir.join("summary.json").exists() {
        write_run_report(&mut set, &RunView::load(&dir).map_err(input_error)?)?;
    } else {
        return Err(BadInput(format!(
            "{}: no summary.json, sweep.json or compare.json to plot from",
            args.results.display()
        ))
        .into());
    }
    print(&wrote(&set.commit()?))
}

/// Whether two paths name the same folder.
fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
