//! `mqsim sweep`.

use super::{BadInput, ScenarioArgs, print, progress};
use crate::experiment::{
    PointResult, Shard, Sweep, SweepError, Vary, check_resume, metric_names, with_jobs,
};
use crate::report::{self, SweepView, amount, columns, sweep_file, write_page};
use std::path::{Path, PathBuf};

/// Arguments of `mqsim sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// A field and its values: path=1,2,4 | 1..32 | 1..32:4 | log:1..1024 | a,b,c (repeatable; the sweep is the product).
    #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
    vary: Vec<String>,
    /// Points run at once (default: one per core).
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Run only shard K of N: the points whose index mod N is K-1.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Keep the points already in the output folder and run the rest.
    #[arg(long)]
    resume: bool,
    /// Output folder (default: output/<scenario>-sweep, or …-sweep-shard-K-of-N).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Parses every `--vary`.
pub(super) fn varies(texts: &[String]) -> Result<Vec<Vary>, BadInput> {
    texts
        .iter()
        .map(|t| Vary::parse(t).map_err(|e| BadInput(format!("--vary {t}: {e}"))))
        .collect()
}

/// Input errors exit with 2, the rest with 1.
pub(super) fn sweep_error(e: SweepError) -> anyhow::Error {
    match e {
        SweepError::Scenario(e) => e.into(),
        SweepError::Point { .. } | SweepError::Definition(_) => BadInput(e.to_string()).into(),
        SweepError::Pool { .. } => e.into(),
    }
}

/// Saved results that cannot be read are bad input.
pub(super) fn input_error(e: report::ReportError) -> anyhow::Error {
    match e {
        report::ReportError::Input { .. } => BadInput(e.to_string()).into(),
        other => other.into(),
    }
}

pub fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(BadInput)?;
    let sweep = Sweep::new(
        &args.scenario.scenario,
        &args.scenario.overrides()?,
        varies(&args.vary)?,
    )
    .map_err(sweep_error)?;
    let manifest = sweep.manifest(shard);
    let dir = args.out.unwrap_or_else(|| {
        let suffix = shard.map_or(String::new(), |s| format!("-shard-{}-of-{}", s.k, s.n));
        PathBuf::from("output").join(format!("{}-sweep{suffix}", sweep.base.name))
    });
    let existing = previous(&dir, &manifest, args.resume)?;
    let done: Vec<bool> = (0..sweep.points.len())
        .map(|i| existing.iter().any(|r| r.index == i))
        .collect();
    let todo: Vec<usize> = (0..sweep.points.len())
        .filter(|&i| shard.is_none_or(|s| s.contains(i)) && !done[i])
        .collect();
    let names = metric_names(&sweep.base)?;
    let appender = sweep_file::Appender::start(&dir, &manifest, &existing, &names)?;
    let bar = progress::bar(todo.len(), &format!("sweep {}", sweep.base.name));
    let fresh = with_jobs(args.jobs, || {
        sweep.run(&todo, &|r| {
            appender.append(r);
            bar.inc(1);
        })
    })
    .map_err(sweep_error)?;
    bar.finish_and_clear();
    appender.finish()?;
    let resumed = existing.len();
    let mut all = existing;
    all.extend(fresh);
    all.sort_by_key(|r| r.index);
    let mut written = sweep_file::write_results(&dir, &manifest, &all)?;
    let view = SweepView {
        manifest: &manifest,
        results: &all,
    };
    let metrics = view.default_metrics();
    if shard.is_none() {
        let charts = view.charts(&metrics)?;
        written.extend(write_page(&dir, &charts, &view.html(&charts, &metrics))?);
    }
    print(&summary(&sweep, &all, resumed, &metrics, &written))
}

/// The results already in `dir` that a resumed sweep keeps.
fn previous(
    dir: &Path,
    manifest: &crate::experiment::SweepManifest,
    resume: bool,
) -> anyhow::Result<Vec<PointResult>> {
    if !dir.join(sweep_file::MANIFEST).exists() {
        return Ok(Vec::new());
    }
    if !resume {
        return Err(BadInput(format!(
            "{} already holds sweep results; pass --resume to continue that sweep, or choose another --out",
            dir.display()
        ))
        .into());
    }
    let saved = sweep_file::read_manifest(dir).map_err(input_error)?;
    let results = sweep_file::read_results(dir).map_err(input_error)?;
    check_resume(manifest, &saved, &results)
        .map_err(|e| BadInput(format!("{}: {e}", dir.display())))?;
    Ok(results)
}

/// The terminal summary: counts, a table of the points, the files.
fn summary(
    sweep: &Sweep,
    all: &[PointResult],
    resumed: usize,
    metrics: &[String],
    written: &[PathBuf],
) -> String {
    let failed = all.iter().filter(|r| r.error.is_some()).count();
    let mut out = format!(
        "sweep {}: {} of {} points ({} run now, {resumed} kept from before), {failed} failed\n",
        sweep.base.name,
        all.len(),
        sweep.points.len(),
        all.len() - resumed
    );
    let mut header = vec!["point".to_owned()];
    header.extend(sweep.varies.iter().map(|v| v.path.to_string()));
    header.extend(metrics.iter().cloned());
    let mut rows = vec![header];
    for r in all.iter().take(100) {
        let mut row = vec![r.index.to_string()];
        row.extend(
            sweep.points[r.index]
                .params
                .iter()
                .map(|(_, v)| crate::experiment::value_text(v)),
        );
        row.extend(metrics.iter().map(|m| match (&r.error, r.metrics.get(m)) {
            (Some(_), _) => "failed".to_owned(),
            (None, Some(v)) => amount(m, v.mean),
            (None, None) => "-".to_owned(),
        }));
        rows.push(row);
    }
    out.push_str(&columns(&rows));
    if all.len() > 100 {
        out.push_str(&format!("… {} more points in sweep.csv\n", all.len() - 100));
    }
    for r in all.iter().filter(|r| r.error.is_some()).take(3) {
        out.push_str(&format!(
            "point {} failed: {}\n",
            r.index,
            r.error.as_deref().unwrap_or("")
        ));
    }
    for path in written
        .iter()
        .filter(|p| !p.extension().is_some_and(|e| e == "png" || e == "svg"))
    {
        out.push_str(&format!("wrote {}\n", path.display()));
    }
    let charts = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .count();
    if charts > 0 {
        out.push_str(&format!("wrote {charts} charts (PNG and SVG)\n"));
    }
    out
}
