//! `mqsim decide`: the decision rule, measured on a workload. Each
//! alternative (a direct call, an autoscaled service, an in-process pool,
//! the database as a queue, the outbox, the brokers) is written as a
//! scenario with the same arrivals, consumers and story, sized as `plan`
//! sizes (the fewest workers meeting the objectives), run, measured and
//! ranked; the articles' flowchart is answered from the measurements, and
//! the winner gets its six lines and alert thresholds checked in a run.

mod alternative;
mod drawing;
mod flowchart;
mod measure;
mod monitor;
mod rank;
pub mod report;
mod six;
mod size;

pub use alternative::{Alternative, Kind, names as alternative_names};
pub use flowchart::{Answer, Question, conclusion, count, rate, secs};
pub use measure::{Billing, HOURS_PER_MONTH, MEASURES, Measures};
pub use monitor::{Detection, FaultDetected, Proposal, Verified};
pub use rank::{Row, rank};
pub use six::SixLines;

use crate::experiment::{Experiment, Slo};
use crate::model::sim::RunError;
use crate::scenario::workload::Workload;
use crate::scenario::{Format, Scenario, ScenarioError};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Why `decide` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// The workload (or an objective) is wrong: exit status 2.
    #[error("{0}")]
    Input(#[from] ScenarioError),
    /// An objective given with `--slo` is wrong: exit status 2.
    #[error("{0}")]
    Objective(String),
    /// An alternative's run failed.
    #[error("alternative {0}: {1}")]
    Run(String, RunError),
}

/// Everything `decide` found.
#[derive(Clone, Debug)]
pub struct Decision {
    /// The workload.
    pub workload: Workload,
    /// The objectives, resolved to measures.
    pub objectives: Vec<Slo>,
    /// Every alternative, best first.
    pub rows: Vec<Row>,
    /// The flowchart, answered.
    pub flowchart: Vec<Answer>,
    /// The six lines for the winner (`rows[0]`).
    pub six: SixLines,
    /// Alert rules proposed for the winner, and what they did in a run.
    pub monitoring: Verified,
}

/// Upper bound of the simulated nanoseconds `decide` runs for `w`, for a
/// progress bar: every alternative's sizing runs and its final run, and
/// the monitoring run.
pub fn work_bound(w: &Workload) -> u64 {
    let most = w.consumers.iter().map(|c| c.max_workers).max().unwrap_or(1);
    let steps = u64::from(32 - (most + 1).leading_zeros()) + 3;
    let alternatives = Alternative::all(w).len() as u64;
    (alternatives * steps + 4) * u64::from(w.replications) * w.horizon.0.as_nanos()
}

/// Weighs every alternative of `w` against its objectives and `extra`
/// ones (`--slo`), judged at the worse end of their 95% intervals when
/// `at_bound`, adding simulated time to `progress` as runs go.
///
/// # Errors
/// A bad objective or alternative name (input), or a failed run.
pub fn decide(
    w: &Workload,
    extra: &[String],
    at_bound: bool,
    progress: &Arc<AtomicU64>,
) -> Result<Decision, DecideError> {
    let objectives: Vec<Slo> = objectives(w, extra)?
        .into_iter()
        .map(|s| if at_bound { s.at_bound() } else { s })
        .collect();
    let alternatives = Alternative::all(w);
    if let Some(list) = &w.alternatives
        && let Some((i, bad)) = list
            .iter()
            .enumerate()
            .find(|(_, n)| Alternative::named(n).is_none())
    {
        return Err(w
            .error(
                &format!("alternatives[{i}]"),
                format!(
                    "unknown alternative \"{bad}\": expected one of {}",
                    alternative_names().join(", ")
                ),
            )
            .into());
    }
    if alternatives.is_empty() {
        return Err(w
            .error(
                "alternatives",
                format!("expected names among {}", alternative_names().join(", ")),
            )
            .into());
    }
    // Every alternative's scenario must be valid before anything runs.
    let base = build(w, alternatives[0], &today(w), &Map::new())?;
    let load = offered_load(w, &base);
    let rows: Vec<Row> = alternatives
        .par_iter()
        .with_max_len(1)
        .map(|&alt| weigh(w, alt, &objectives, &load, progress))
        .collect::<Result<_, _>>()?;
    let rows = rank(rows);
    let flowchart = flowchart::answer(w, &rows, &objectives);
    let monitoring = monitor::verify(w, &rows[0], progress)?;
    let six = six::lines(w, &rows, &flowchart, &monitoring);
    Ok(Decision {
        workload: w.clone(),
        objectives,
        rows,
        flowchart,
        six,
        monitoring,
    })
}

/// The objectives of the file and of `--slo`, resolved to measures; with
/// ordering per key, `out_of_order == 0` is one of them.
fn objectives(w: &Workload, extra: &[String]) -> Result<Vec<Slo>, DecideError> {
    let names = measure::names();
    let mut out = Vec::new();
    for (i, text) in w.objectives.iter().enumerate() {
        let slo = Slo::parse(text, &names)
            .map_err(|e| w.error(&format!("objectives[{i}]"), measure_hint(&e)))?;
        out.push(slo);
    }
    for text in extra {
        out.push(Slo::parse(text, &names).map_err(|e| DecideError::Objective(measure_hint(&e)))?);
    }
    if w.ordering == crate::scenario::workload::Ordering::PerKey
        && !out.iter().any(|s| s.metric == "out_of_order")
    {
        out.push(Slo::parse("out_of_order == 0", &names).map_err(DecideError::Objective)?);
    }
    if out.is_empty() {
        return Err(w
            .error(
                "objectives",
                "expected at least one objective, e.g. objectives = [\"e2e.p99 < 30s\", \"lost == 0\"] \
                 (or --slo): the sizing and the ranking judge by them"
                    .into(),
            )
            .into());
    }
    Ok(out)
}

fn measure_hint(e: &str) -> String {
    let names: Vec<&str> = MEASURES.iter().map(|(n, _)| *n).collect();
    format!("{e} (decide measures: {})", names.join(", "))
}

/// Today's workers of every consumer.
fn today(w: &Workload) -> Vec<u32> {
    w.consumers.iter().map(|c| c.workers).collect()
}

/// The scenario of `alt` with `workers` and `alerts`, validated. An
/// invalid one is reported against the workload's field it came from.
pub fn build(
    w: &Workload,
    alt: Alternative,
    workers: &[u32],
    alerts: &Map<String, Value>,
) -> Result<Scenario, ScenarioError> {
    load(w, alt, &alt.scenario(w, workers, alerts))
}

/// The scenario `value` of `alt`, validated (errors as [`build`]'s).
pub fn load(w: &Workload, alt: Alternative, value: &Value) -> Result<Scenario, ScenarioError> {
    let text = toml::to_string(value).unwrap_or_default();
    let file = w
        .file
        .with_file_name(format!("{}-{}.toml", w.name, alt.name()));
    Scenario::from_text(&text, Format::Toml, &file, &[]).map_err(|e| {
        let issues = e
            .issues
            .into_iter()
            .map(|i| {
                let path = workload_path(&i.path);
                crate::scenario::Issue {
                    origin: w.locate(&path),
                    message: format!("{} (in the {} alternative)", i.message, alt.name()),
                    path,
                }
            })
            .collect();
        ScenarioError::new(w.file.clone(), issues)
    })
}

/// The workload field a scenario field came from.
fn workload_path(scenario_path: &str) -> String {
    let parts: Vec<&str> = scenario_path.splitn(3, '.').collect();
    match parts.as_slice() {
        ["producers", _, rest] => format!("arrivals.{rest}"),
        ["groups" | "services", name, rest] => format!("consumers.{name}.{rest}"),
        _ => String::new(),
    }
}

/// Mean arrivals per second over the horizon, and each consumer's mean
/// service time.
#[derive(Clone, Debug)]
struct Load {
    rate: f64,
    service_s: Vec<f64>,
}

fn offered_load(w: &Workload, base: &Scenario) -> Load {
    let horizon = base.system.horizon.as_secs_f64();
    let count: f64 = (base.system.producers.iter())
        .map(|p| p.arrival.expected_count(horizon))
        .sum();
    let groups = base.system.groups.iter().chain(&base.system.services);
    let service_s = w
        .consumers
        .iter()
        .map(|c| {
            groups
                .clone()
                .find(|g| g.name == c.name)
                .map_or(f64::NAN, |g| g.service.mean())
        })
        .collect();
    Load {
        rate: count / horizon.max(f64::MIN_POSITIVE),
        service_s,
    }
}

/// Runs `alt`: sized when queued, at today's workers when direct.
fn weigh(
    w: &Workload,
    alt: Alternative,
    slos: &[Slo],
    load: &Load,
    progress: &Arc<AtomicU64>,
) -> Result<Row, DecideError> {
    let billing = Billing {
        direct: alt.is_direct(),
        broker_nodes: alt.broker_nodes(),
        billed_requests: alt.billed_requests(),
        outbox: alt.kind == Kind::Outbox,
    };
    let run = |workers: &[u32]| -> Result<(Scenario, Experiment, Measures), DecideError> {
        let scenario = build(w, alt, workers, &Map::new())?;
        let experiment = Experiment::run_watched(&scenario, progress)
            .map_err(|e| DecideError::Run(alt.name().to_owned(), e))?;
        let measures = Measures::of(&experiment.outcomes, w, billing);
        Ok((scenario, experiment, measures))
    };
    let workers = if alt.is_sized() {
        let (floor, carry): (Vec<u32>, Vec<u32>) = w
            .consumers
            .iter()
            .zip(&load.service_s)
            .map(|(c, s)| {
                let erlangs = load.rate * s;
                let at = |u: f64| ((erlangs / u).ceil() as u32).clamp(1, c.max_workers);
                (at(1.0), at(0.8))
            })
            .unzip();
        let caller_waits = alt.is_direct() || w.needs == crate::scenario::workload::Needs::Answer;
        let (own, whole) = size::sizing_objectives(slos, caller_waits);
        size::size(w, &floor, &own, &whole, |workers| run(workers).map(|r| r.2))?.unwrap_or(carry)
    } else {
        today(w)
    };
    let (scenario, experiment, measures) = run(&workers)?;
    Ok(Row::new(alt, workers, scenario, experiment, measures, slos))
}

#[cfg(test)]
mod tests {
    #[test]
    fn scenario_fields_map_back_to_the_workload() {
        let cases = [
            (
                "producers.app.arrival.poisson.rate_per_s",
                "arrivals.arrival.poisson.rate_per_s",
            ),
            ("producers.burst.keys", "arrivals.keys"),
            ("groups.email.service", "consumers.email.service"),
            ("services.email.workers", "consumers.email.workers"),
            ("topic.partitions", ""),
        ];
        for (from, to) in cases {
            assert_eq!(super::workload_path(from), to, "{from}");
        }
    }
}
