//! Replications of a scenario, run in parallel with results collected in
//! index order, so the output never depends on the thread count; sweeps,
//! shards, SLO search and comparisons built on them.

mod analytic;
mod compare;
mod metric;
mod plan;
mod results;
mod shard;
mod slo;
mod sweep;
mod vary;

pub use analytic::{AnalyticRow, analytic_rows};
pub use compare::{Entry, compare, compare_watched, unique_labels};
pub use metric::{MAX_PARTITION_METRICS, Metric, metrics_of};
pub use plan::{PlanOutcome, bisect, checks, meets_all, plan};
pub use results::{check_resume, differences, merge};
pub use shard::Shard;
pub use slo::{Op, Slo, SloCheck, metric_names};
pub use sweep::{
    MAX_JOBS, MAX_POINTS, MetricValue, Point, PointResult, Sweep, SweepError, SweepManifest,
    VaryManifest, check_metric_name, metric_values, points_of, value_text, with_jobs,
};
pub use vary::{MAX_VALUES, Vary, parse_values};

use crate::model::sim::{RunError, RunOutcome};
use crate::scenario::Scenario;
use rayon::prelude::*;

/// Confidence level of every reported interval.
pub const CONFIDENCE: f64 = 0.95;

/// The results of all replications of one scenario.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// Per-replication outcomes, by replication index.
    pub outcomes: Vec<RunOutcome>,
    /// Every headline metric across replications, with its interval.
    pub metrics: Vec<Metric>,
}

impl Experiment {
    /// Runs every replication of `scenario` (in parallel on rayon's pool);
    /// replication 0 keeps its time series.
    ///
    /// # Errors
    /// The error of the lowest-numbered replication that failed.
    ///
    /// ```
    /// use mqsim::{experiment::Experiment, scenario::{Format, Scenario}};
    /// let text = r#"
    ///     horizon = "10s"
    ///     [producers.web]
    ///     arrival = { constant = { rate_per_s = 10 } }
    ///     [groups.workers]
    ///     workers = 1
    ///     service = { constant = { value = "50ms" } }
    /// "#;
    /// let scenario = Scenario::from_text(text, Format::Toml, "doc.toml".as_ref(), &[]).unwrap();
    /// let experiment = Experiment::run(&scenario).unwrap();
    /// assert_eq!(experiment.outcomes[0].groups[0].processed, 99);
    /// ```
    pub fn run(scenario: &Scenario) -> Result<Experiment, RunError> {
        Experiment::run_with(scenario, None)
    }

    /// Runs every replication as [`Experiment::run`] does, each adding the
    /// simulated time it covers (up to the horizon) to `progress` as it
    /// goes: it reaches replications × horizon when all are done. The
    /// results are those of [`Experiment::run`].
    ///
    /// # Errors
    /// As [`Experiment::run`].
    pub fn run_watched(
        scenario: &Scenario,
        progress: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> Result<Experiment, RunError> {
        Experiment::run_with(scenario, Some(progress))
    }

    fn run_with(
        scenario: &Scenario,
        progress: Option<&std::sync::Arc<std::sync::atomic::AtomicU64>>,
    ) -> Result<Experiment, RunError> {
        let results: Vec<Result<RunOutcome, RunError>> = (0..u64::from(scenario.replications))
            .into_par_iter()
            .map(|r| {
                let sim = crate::model::sim::Simulation::new(&scenario.system, r, r == 0);
                match progress {
                    Some(p) => sim.with_progress(p.clone()).run(),
                    None => sim.run(),
                }
            })
            .collect();
        let outcomes = results.into_iter().collect::<Result<Vec<_>, _>>()?;
        let metrics = Metric::across(&outcomes, CONFIDENCE);
        Ok(Experiment { outcomes, metrics })
    }

    /// The metric named `name`, if any.
    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

#[cfg(test)]
mod plain_path_tests {
    use crate::model::sim::Simulation;
    use crate::scenario::{Override, Scenario};
    use std::path::{Path, PathBuf};

    /// Every scenario file under `dir`.
    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        out.sort();
        out
    }

    /// A plain group's shortcuts (a message that finds the buffer empty and
    /// a worker idle is delivered without entering it; dispatch without the
    /// cap, partition and key checks) give exactly what the general
    /// dispatch gives, on every shipped scenario, preset and golden stress
    /// case (60 s of each, two replications).
    #[test]
    fn plain_paths_change_no_outcome() {
        let short = [
            Override::parse("horizon=60s").unwrap(),
            Override::parse("warmup=0s").unwrap(),
        ];
        let dirs = ["scenarios", "scenarios/presets", "tests/golden/scenarios"];
        let mut compared = 0;
        for file in dirs.iter().flat_map(|d| files(Path::new(d))) {
            let Ok(scenario) = Scenario::load(&file, &short) else {
                continue; // Some need their own horizon; the golden test has them.
            };
            for replication in 0..2 {
                let system = &scenario.system;
                let general = Simulation::new(system, replication, true).without_plain_paths();
                let plain = Simulation::new(system, replication, true);
                assert_eq!(
                    plain.run(),
                    general.run(),
                    "{} replication {replication}",
                    file.display()
                );
            }
            compared += 1;
        }
        assert!(compared >= 20, "compared {compared} scenarios");
    }
}
