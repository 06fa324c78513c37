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
    use crate::scenario::{Format, Override, Scenario};
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

    /// One producer of a random plain scenario: its arrival process, its
    /// start, its sizes.
    fn producer(name: usize, (kind, rate, start, sized): (u8, f64, u32, bool)) -> String {
        let arrival = match kind {
            0 => format!("{{ poisson = {{ rate_per_s = {rate} }} }}"),
            1 => format!("{{ constant = {{ rate_per_s = {rate} }} }}"),
            2 => format!(
                "{{ batch = {{ rate_per_s = {}, size = {{ uniform = {{ low = 1, high = 5 }} }} }} }}",
                rate / 3.0
            ),
            _ => format!(
                "{{ on_off = {{ rate_per_s = {}, mean_on = \"5s\", mean_off = \"5s\" }} }}",
                rate * 2.0
            ),
        };
        let size = if sized {
            "{ uniform = { low = 100, high = 5000 } }"
        } else {
            "{ constant = { value = 512 } }"
        };
        format!("[producers.p{name}]\narrival = {arrival}\nstart = \"{start}s\"\nsize = {size}\n")
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// The lean path (one topic, unbounded or bounded in messages and
        /// bytes with `reject` or `drop_oldest`; one plain group; nothing
        /// that fails) gives exactly what the general path gives, with or
        /// without warm-up and drain, for any arrivals, sizes, workers and
        /// service times, at loads from light to overload.
        #[test]
        fn the_lean_path_changes_no_outcome(
            producers in proptest::collection::vec(
                (0u8..4, 0.2f64..20.0, 0u32..20, proptest::bool::ANY), 1..4),
            workers in 1u32..7,
            service in 0u8..4,
            mean_ms in 50u32..1500,
            warmup in 0u32..30,
            horizon in 40u32..160,
            drain in proptest::bool::ANY,
            seed in 0u64..1000,
            capacity in proptest::option::of((5u64..40, proptest::option::of(30_000u64..100_000))),
            drop_oldest in proptest::bool::ANY,
        ) {
            let service = match service {
                0 => format!("{{ exponential = {{ mean = \"{mean_ms}ms\" }} }}"),
                1 => format!("{{ constant = {{ value = \"{mean_ms}ms\" }} }}"),
                2 => format!("{{ lognormal = {{ mean = \"{mean_ms}ms\", cv = 2.0 }} }}"),
                _ => format!("{{ uniform = {{ low = \"0ms\", high = \"{}ms\" }} }}", 2 * mean_ms),
            };
            let mut text = format!(
                "seed = {seed}\nhorizon = \"{horizon}s\"\nwarmup = \"{warmup}s\"\n\
                 drain = {drain}\nreplications = 1\n\
                 [groups.g]\nworkers = {workers}\nservice = {service}\n"
            );
            if let Some((messages, bytes)) = capacity {
                let policy = if drop_oldest { "drop_oldest" } else { "reject" };
                text += &format!("[topic]\ncapacity = {messages}\npolicy = \"{policy}\"\n");
                if let Some(bytes) = bytes {
                    text += &format!("capacity_bytes = {bytes}\n");
                }
            }
            for (i, p) in producers.iter().enumerate() {
                text += &producer(i, *p);
            }
            let scenario = Scenario::from_text(&text, Format::Toml, Path::new("lean.toml"), &[])
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
            let system = &scenario.system;
            let lean = Simulation::new(system, 0, true);
            proptest::prop_assert!(lean.takes_lean_path(), "not lean:\n{}", text);
            let general = Simulation::new(system, 0, true).without_plain_paths();
            proptest::prop_assert!(!general.takes_lean_path());
            proptest::prop_assert_eq!(lean.run(), general.run(), "{}", text);
        }
    }
}
