//! `summary.json`: the normalised scenario, seed, version, every metric with
//! its 95% interval, and each replication's full outcome.

use super::ReportError;
use crate::experiment::{CONFIDENCE, Experiment};
use crate::model::sim::RunOutcome;
use crate::scenario::{RawScenario, Scenario};
use serde::Serialize;
use std::collections::BTreeMap;

/// The structure of `summary.json`.
#[derive(Serialize)]
pub struct Summary<'a> {
    /// mqsim's version.
    pub mqsim_version: &'static str,
    /// Scenario name.
    pub scenario_name: &'a str,
    /// Base seed.
    pub seed: u64,
    /// Number of replications.
    pub replications: u32,
    /// Confidence level of `ci95_half_width`.
    pub confidence: f64,
    /// `published = processed + dropped + queued + in_flight + blocked + publishing`
    /// held in every replication (a run that breaks it writes no summary).
    pub conservation: &'static str,
    /// Metrics by name.
    pub metrics: BTreeMap<&'a str, MetricJson>,
    /// How the time series were sampled.
    pub time_series: TimeSeries,
    /// The files the scenario reads, with their digests.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub inputs: &'a [crate::input::InputFile],
    /// The scenario with every default written out.
    pub scenario: &'a RawScenario,
    /// Each replication's outcome.
    pub outcomes: &'a [RunOutcome],
}

/// How `timeseries.csv` and `partitions.csv` were sampled.
#[derive(Serialize)]
pub struct TimeSeries {
    /// The scenario's sample interval, in seconds.
    pub sample_interval_s: f64,
    /// After the horizon, rows every this many seconds: longer than the
    /// sample interval when a long drain was thinned to stay within the
    /// budget of rows.
    pub drain_sample_interval_s: f64,
    /// `partitions.csv` rows every this many seconds over the horizon
    /// (several partitions only; longer with many partitions, to stay
    /// within the budget of rows; `null` when there are too many partitions
    /// to record at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_sample_interval_s: Option<Option<f64>>,
}

/// One metric in `summary.json`.
#[derive(Serialize)]
pub struct MetricJson {
    /// Mean across replications.
    pub mean: f64,
    /// Half-width of the 95% interval (0 with one replication).
    pub ci95_half_width: f64,
    /// Standard deviation across replications.
    pub std_dev: f64,
}

/// The summary as pretty JSON.
///
/// # Errors
/// Only if encoding fails, which the types rule out.
pub fn summary_json(scenario: &Scenario, experiment: &Experiment) -> Result<String, ReportError> {
    let metrics = experiment
        .metrics
        .iter()
        .map(|m| {
            let json = MetricJson {
                mean: m.ci.mean,
                ci95_half_width: m.ci.half_width,
                std_dev: m.ci.std_dev,
            };
            (m.name.as_str(), json)
        })
        .collect();
    let interval = scenario.system.sample_interval.as_secs_f64();
    let sampling = experiment.outcomes[0].sampling;
    let time_series = TimeSeries {
        sample_interval_s: interval,
        drain_sample_interval_s: interval * sampling.every as f64,
        partition_sample_interval_s: (scenario.system.topic().partitions > 1).then(|| {
            (scenario.system.partition_every > 0)
                .then_some(interval * scenario.system.partition_every as f64)
        }),
    };
    let summary = Summary {
        mqsim_version: env!("CARGO_PKG_VERSION"),
        scenario_name: &scenario.name,
        seed: scenario.system.seed,
        replications: scenario.replications,
        confidence: CONFIDENCE,
        conservation: "ok",
        metrics,
        time_series,
        inputs: &scenario.inputs,
        scenario: &scenario.normalised,
        outcomes: &experiment.outcomes,
    };
    let mut text = serde_json::to_string_pretty(&summary)?;
    text.push('\n');
    Ok(text)
}
