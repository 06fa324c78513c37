//! `mqsim sweep`.

use super::{BadInput, ScenarioArgs, jobs_parser, print, progress};
use mqsim::experiment::{
    PointResult, Shard, Slo, Sweep, SweepError, SweepManifest, Vary, check_resume, meets_all,
    metric_names, value_text, with_jobs,
};
use mqsim::report::{self, Mode, OutputSet, amount, columns, sweep_file, write_sweep, wrote};
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
    #[arg(long, default_value_t = 0, value_parser = jobs_parser())]
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
    /// An objective, as in plan: "e2e.p99 < 2s", "lag < 60s" (repeatable);
    /// the heatmaps frame and the tables mark the points that meet every one.
    #[arg(long = "slo", value_name = "OBJECTIVE")]
    slo: Vec<String>,
    /// Judge each --slo at the worse end of the metric's 95% interval.
    #[arg(long, requires = "slo")]
    at_bound: bool,
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
    let overrides = args.scenario.overrides()?;
    let sweep = Sweep::new(&args.scenario.scenario, &overrides, varies(&args.vary)?)
        .map_err(sweep_error)?;
    let names = metric_names(&sweep.base)?;
    let mut manifest = sweep.manifest(shard);
    manifest.slo = (args.slo.iter())
        .map(|s| Slo::parse(s, &names).map(|s| if args.at_bound { s.at_bound() } else { s }))
        .collect::<Result<_, _>>()
        .map_err(BadInput)?;
    let dir = args.out.unwrap_or_else(|| {
        let suffix = shard.map_or(String::new(), |s| format!("-shard-{}-of-{}", s.k, s.n));
        PathBuf::from("output").join(format!("{}-sweep{suffix}", sweep.base.name))
    });
    let existing = previous(&dir, &manifest, args.resume)?;
    let mode = if args.resume {
        Mode::Resume
    } else {
        Mode::Replace
    };
    let mut set = OutputSet::open(&dir, "sweep", mode)?;
    let resumed = existing.len();
    let fresh = run_rest(&sweep, &manifest, &names, &mut set, &existing, args.jobs)?;
    let mut all = existing;
    all.extend(fresh);
    all.sort_by_key(|r| r.index);
    // A shard's page would show partial curves: only whole sweeps get one.
    let metrics = write_sweep(&mut set, &manifest, &all, shard.is_none())?;
    let written = set.commit()?;
    print(&(summary(&sweep, &manifest.slo, &all, resumed, &metrics) + &wrote(&written)))
}

/// Runs the points of the manifest's shard that `existing` lacks,
/// appending each to the results files as it finishes.
fn run_rest(
    sweep: &Sweep,
    manifest: &SweepManifest,
    names: &[String],
    set: &mut OutputSet,
    existing: &[PointResult],
    jobs: usize,
) -> anyhow::Result<Vec<PointResult>> {
    let in_shard = |i: usize| manifest.shard.is_none_or(|s| s.contains(i));
    let todo: Vec<usize> = (0..sweep.points.len())
        .filter(|&i| in_shard(i) && !existing.iter().any(|r| r.index == i))
        .collect();
    let appender = sweep_file::Appender::start(set, manifest, existing, names)?;
    let bar = progress::bar(todo.len(), &format!("sweep {}", sweep.base.name));
    let done = |r: &PointResult| {
        appender.append(r);
        bar.inc(1);
    };
    let fresh = with_jobs(jobs, || sweep.run(&todo, &done)).map_err(sweep_error)?;
    bar.finish_and_clear();
    appender.finish()?;
    Ok(fresh)
}

/// The results already in `dir` that a resumed sweep keeps.
fn previous(
    dir: &Path,
    manifest: &SweepManifest,
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
    let results = sweep_file::read_results(dir, &saved).map_err(input_error)?;
    check_resume(manifest, &saved, &results)
        .map_err(|e| BadInput(format!("{}: {e}", dir.display())))?;
    Ok(results)
}

/// The terminal summary: counts, a table of the points (with objectives,
/// whether each meets them all), failures.
fn summary(
    sweep: &Sweep,
    slos: &[Slo],
    all: &[PointResult],
    resumed: usize,
    metrics: &[String],
) -> String {
    let failed: Vec<&PointResult> = all.iter().filter(|r| r.error.is_some()).collect();
    let mut out = format!(
        "sweep {}: {} of {} points ({} run now, {resumed} kept from before), {} failed\n",
        sweep.base.name,
        all.len(),
        sweep.points.len(),
        all.len() - resumed,
        failed.len()
    );
    let mut header = vec!["point".to_owned()];
    header.extend(sweep.varies.iter().map(|v| v.path.to_string()));
    header.extend(metrics.iter().cloned());
    if !slos.is_empty() {
        header.push("meets every --slo".to_owned());
    }
    let rows = all.iter().take(100).map(|r| {
        let params = sweep.points[r.index]
            .params
            .iter()
            .map(|(_, v)| value_text(v));
        let values = metrics.iter().map(|m| match (&r.error, r.metrics.get(m)) {
            (Some(_), _) => "failed".to_owned(),
            (None, Some(v)) => amount(m, v.mean),
            (None, None) => "-".to_owned(),
        });
        let met = (!slos.is_empty()).then(|| {
            let yes = r.error.is_none() && meets_all(slos, r);
            if yes { "yes" } else { "no" }.to_owned()
        });
        std::iter::once(r.index.to_string())
            .chain(params)
            .chain(values)
            .chain(met)
            .collect()
    });
    out.push_str(&columns(
        &std::iter::once(header).chain(rows).collect::<Vec<_>>(),
    ));
    if all.len() > 100 {
        out.push_str(&format!("… {} more points in sweep.csv\n", all.len() - 100));
    }
    if !slos.is_empty() {
        let met = all
            .iter()
            .filter(|r| r.error.is_none() && meets_all(slos, r));
        out.push_str(&format!(
            "{} of {} points meet every --slo ({})\n",
            met.count(),
            all.len(),
            slos.iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    for r in failed.iter().take(3) {
        out.push_str(&format!(
            "point {} failed: {}\n",
            r.index,
            r.error.as_deref().unwrap_or("")
        ));
    }
    out
}
