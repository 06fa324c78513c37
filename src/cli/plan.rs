//! `mqsim plan`.

use super::sweep::{sweep_error, varies};
use super::{BadInput, ScenarioArgs, jobs_parser, print, progress};
use mqsim::experiment::{
    PlanOutcome, PointResult, Slo, Sweep, checks, metric_names, plan as search, value_text,
    with_jobs,
};
use mqsim::report::{amount, columns};

/// Arguments of `mqsim plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// A field and its values, cheapest first (repeatable): path=1..32, log:1..1024, 1,2,4.
    #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
    vary: Vec<String>,
    /// An objective on a metric's mean: "e2e.p99 < 2s", "dropped == 0" (repeatable).
    #[arg(long = "slo", value_name = "OBJECTIVE", required = true)]
    slo: Vec<String>,
    /// Require each objective at the worse end of the metric's 95%
    /// confidence interval, not at its mean (so an uncertain point fails).
    #[arg(long)]
    at_bound: bool,
    /// Points run at once (default: one per core).
    #[arg(long, default_value_t = 0, value_parser = jobs_parser())]
    jobs: usize,
}

/// No value in the range meets the objectives (exit status 1).
#[derive(Debug, thiserror::Error)]
#[error(
    "no configuration in the range meets every objective (closest points above); widen the range"
)]
pub struct Unmet;

pub fn plan(args: PlanArgs) -> anyhow::Result<()> {
    let sweep = Sweep::new(
        &args.scenario.scenario,
        &args.scenario.overrides()?,
        varies(&args.vary)?,
    )
    .map_err(sweep_error)?;
    let names = metric_names(&sweep.base)?;
    let slos = args
        .slo
        .iter()
        .map(|s| Slo::parse(s, &names).map(|s| if args.at_bound { s.at_bound() } else { s }))
        .collect::<Result<Vec<_>, _>>()
        .map_err(BadInput)?;
    let bar = progress::bar(sweep.points.len(), &format!("plan {}", sweep.base.name));
    let outcome =
        with_jobs(args.jobs, || search(&sweep, &slos, &|_| bar.inc(1))).map_err(sweep_error)?;
    bar.finish_and_clear();
    print(&report(&sweep, &slos, &outcome))?;
    match outcome.chosen {
        Some(_) => Ok(()),
        None => Err(Unmet.into()),
    }
}

/// What was searched, the objectives, every point run, and the verdict.
fn report(sweep: &Sweep, slos: &[Slo], outcome: &PlanOutcome) -> String {
    let mut out = header(sweep, slos, outcome);
    let mut titles = vec!["point".to_owned()];
    titles.extend(sweep.varies.iter().map(|v| v.path.to_string()));
    titles.extend(slos.iter().map(|s| s.text.clone()));
    titles.push("meets all".into());
    let rows = outcome.evaluated.iter().map(|r| row(sweep, slos, r));
    out.push_str(&columns(
        &std::iter::once(titles).chain(rows).collect::<Vec<_>>(),
    ));
    match outcome.chosen.and_then(|i| outcome.result(i)) {
        Some(r) => {
            let label = sweep.points[r.index].label();
            out.push_str(&format!(
                "cheapest configuration meeting every objective: {label}\n"
            ));
            out.push_str(&margins(slos, r));
        }
        None => {
            out.push_str("nothing in the range meets every objective.\n");
            if let Some(r) = outcome.evaluated.last() {
                let label = sweep.points[r.index].label();
                out.push_str(&format!("the most expensive point run, {label}:\n"));
                out.push_str(&margins(slos, r));
            }
        }
    }
    out
}

/// The search and the objectives, resolved to full metric names.
fn header(sweep: &Sweep, slos: &[Slo], outcome: &PlanOutcome) -> String {
    let (path, n) = sweep
        .varies
        .last()
        .map_or((String::new(), 0), |v| (v.path.to_string(), v.values.len()));
    let mut out = format!(
        "plan {}: bisection over {path} ({n} values) for each of {} combination(s) of the other fields: \
         {} of {} points run\n",
        sweep.base.name,
        sweep.points.len() / n.max(1),
        outcome.evaluated.len(),
        sweep.points.len()
    );
    out.push_str(if slos.iter().any(|s| s.at_bound) {
        "objectives, at the worse end of each metric's 95% confidence interval across \
             replications (--at-bound: the whole interval must meet them):\n"
    } else {
        "objectives, on each metric's mean across replications (--at-bound requires the \
             whole 95% interval):\n"
    });
    for s in slos {
        let threshold = amount(&s.metric, s.threshold);
        out.push_str(&format!(
            "  {:<24} {} {} {threshold}\n",
            s.text, s.metric, s.op
        ));
    }
    out
}

fn row(sweep: &Sweep, slos: &[Slo], r: &PointResult) -> Vec<String> {
    let mut row = vec![r.index.to_string()];
    row.extend(
        sweep.points[r.index]
            .params
            .iter()
            .map(|(_, v)| value_text(v)),
    );
    for (s, c) in slos.iter().zip(checks(slos, r)) {
        row.push(match &r.error {
            Some(_) => "run failed".into(),
            None => format!(
                "{}{}",
                amount(&s.metric, c.mean),
                if c.met { "" } else { " ✗" }
            ),
        });
    }
    let met = r.error.is_none() && checks(slos, r).iter().all(|c| c.met);
    row.push(if met { "yes".into() } else { "no".into() });
    row
}

fn margins(slos: &[Slo], r: &PointResult) -> String {
    if let Some(e) = &r.error {
        return format!("  the run failed: {e}\n");
    }
    let mut out = String::new();
    for (s, c) in slos.iter().zip(checks(slos, r)) {
        let ci = if c.half_width > 0.0 {
            format!(" ± {} (95% CI)", amount(&s.metric, c.half_width))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "  {:<24} mean {}{ci}, margin {}{}{}\n",
            s.text,
            amount(&s.metric, c.mean),
            amount(&s.metric, c.margin),
            if s.at_bound {
                " (from the interval's bound)"
            } else {
                ""
            },
            if c.met { "" } else { "  NOT MET" }
        ));
    }
    out
}
