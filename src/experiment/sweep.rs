//! Sweeps: the cartesian product of `--vary` lists, every point validated
//! up front, then run in parallel on a pool of `jobs` threads.
//!
//! Every point uses the scenario's seed unchanged (common random numbers):
//! two points differ only by their parameters, never by luck, which makes
//! the curves smooth and the comparisons between points sharp. A point's
//! result depends on nothing but its scenario, so results are identical at
//! any `jobs`, shard split or resume.

use super::shard::Shard;
use super::vary::Vary;
use super::{Experiment, Metric};
use crate::input::InputFile;
use crate::scenario::name::{check_name, check_scenario_names};
use crate::scenario::{FieldPath, Override, Scenario, ScenarioError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Most points one sweep may have.
pub const MAX_POINTS: usize = 1_000_000;
/// Most points run at once (`--jobs`): more threads than that only cost
/// memory on any machine mqsim runs on.
pub const MAX_JOBS: usize = 256;

/// Why a sweep could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The base scenario is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// One point's overrides make the scenario invalid.
    #[error("sweep point {index} ({params}):\n{source}")]
    Point {
        /// The point's index.
        index: usize,
        /// Its parameters, `path=value, …`.
        params: String,
        /// What is wrong with it.
        source: ScenarioError,
    },
    /// The `--vary` list itself is unusable.
    #[error("{0}")]
    Definition(String),
    /// The thread pool could not be built.
    #[error("cannot start {jobs} worker threads: {reason}")]
    Pool {
        /// Threads asked for.
        jobs: usize,
        /// What rayon said.
        reason: String,
    },
}

/// One point: its index and the value of each varied field, in `--vary`
/// order.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Position in the sweep (the last `--vary` changes fastest).
    pub index: usize,
    /// `(path, value)` per varied field.
    pub params: Vec<(String, Value)>,
}

impl Point {
    /// `path=value, …` for messages.
    pub fn label(&self) -> String {
        let parts: Vec<String> = self
            .params
            .iter()
            .map(|(p, v)| format!("{p}={}", value_text(v)))
            .collect();
        parts.join(", ")
    }

    /// The parameters as a map from path to value.
    pub fn param_map(&self) -> BTreeMap<String, Value> {
        self.params.iter().cloned().collect()
    }
}

/// A value as a user would type it: strings without quotes.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every point of the product of `values` (one list per varied field,
/// paths in `paths`), last list fastest.
pub fn points_of(paths: &[String], values: &[Vec<Value>]) -> Vec<Point> {
    let total: usize = values.iter().map(Vec::len).product();
    (0..total)
        .map(|index| {
            let mut rest = index;
            let mut params = vec![(String::new(), Value::Null); values.len()];
            for (k, list) in values.iter().enumerate().rev() {
                params[k] = (paths[k].clone(), list[rest % list.len()].clone());
                rest /= list.len();
            }
            Point { index, params }
        })
        .collect()
}

/// A metric's mean and 95% half-width at one point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    /// Mean across replications (`null` in files when not a number).
    #[serde(with = "nan_as_null")]
    pub mean: f64,
    /// Half-width of the 95% interval (0 with one replication).
    #[serde(with = "nan_as_null")]
    pub ci95_half_width: f64,
}

/// What one point gave: every metric, or the reason its run failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointResult {
    /// The point's index.
    pub index: usize,
    /// Its parameters by path.
    pub params: BTreeMap<String, Value>,
    /// Why the run failed (e.g. the queue grew past `limits.max_queued`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every metric by name (empty when the run failed).
    #[serde(default)]
    pub metrics: BTreeMap<String, MetricValue>,
}

/// Each metric's mean and 95% half-width, by name.
pub fn metric_values(metrics: &[Metric]) -> BTreeMap<String, MetricValue> {
    metrics.iter().map(metric_value).collect()
}

impl PointResult {
    /// Checks a result read back from a file: either metrics (with plain
    /// names) or an error, never both nor neither.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn check(&self) -> Result<(), String> {
        match (&self.error, self.metrics.is_empty()) {
            (None, true) => {
                return Err(
                    "a point needs its \"metrics\" or its \"error\" (it has neither)".into(),
                );
            }
            (Some(_), false) => {
                return Err("a failed point (\"error\") has no \"metrics\"".into());
            }
            _ => {}
        }
        for name in self.metrics.keys() {
            check_metric_name(name)?;
        }
        Ok(())
    }

    /// The result of an experiment at `point`.
    pub fn of(point: &Point, result: Result<&[Metric], String>) -> PointResult {
        let (error, metrics) = match result {
            Ok(metrics) => (None, metric_values(metrics)),
            Err(e) => (Some(e), BTreeMap::new()),
        };
        PointResult {
            index: point.index,
            params: point.param_map(),
            error,
            metrics,
        }
    }
}

/// Checks a metric name read back from a file: dot-separated parts of
/// letters, digits, `_` and `-`.
///
/// # Errors
/// A message naming the metric.
pub fn check_metric_name(name: &str) -> Result<(), String> {
    let plain = name.len() <= 300
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
    if plain {
        Ok(())
    } else {
        Err(format!(
            "metric {}: expected dot-separated names of letters, digits, '_' and '-'",
            Value::from(name)
        ))
    }
}

fn metric_value(m: &Metric) -> (String, MetricValue) {
    let value = MetricValue {
        mean: m.ci.mean,
        ci95_half_width: m.ci.half_width,
    };
    (m.name.clone(), value)
}

/// The definition of a sweep, as stored in `sweep.json`: two result sets
/// belong to the same sweep when these agree (apart from `shard`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    /// mqsim's version (results of other versions are not comparable).
    pub mqsim_version: String,
    /// The scenario's name.
    pub scenario_name: String,
    /// The varied fields, in `--vary` order.
    pub vary: Vec<VaryManifest>,
    /// Points in the whole sweep.
    pub points: usize,
    /// The shard these results cover, if not the whole sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The base scenario (with `--set` applied) with every default written out.
    pub scenario: Value,
    /// The files the sweep's scenarios read (traces, empirical samples),
    /// with their digests: results are kept or merged only while these are
    /// unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputFile>,
    /// The objectives given with `--slo`: the heatmaps and the report mark
    /// the points that meet them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<super::Slo>,
}

/// One varied field in `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaryManifest {
    /// The field.
    pub path: String,
    /// VALUES as written.
    pub spec: String,
    /// The values.
    pub values: Vec<Value>,
}

impl SweepManifest {
    /// True when `other` describes the same sweep (any shard).
    pub fn same_sweep(&self, other: &SweepManifest) -> bool {
        SweepManifest {
            shard: None,
            ..self.clone()
        } == SweepManifest {
            shard: None,
            ..other.clone()
        }
    }

    /// Checks a manifest read back from a file: names follow the rules,
    /// the shard is one of N, and the points are the product of the values
    /// (at most [`MAX_POINTS`]).
    ///
    /// # Errors
    /// A message naming the field that is wrong.
    pub fn check(&self) -> Result<(), String> {
        check_name(&self.scenario_name).map_err(|e| format!("scenario_name: {e}"))?;
        let raw: crate::scenario::RawScenario =
            serde_json::from_value(self.scenario.clone()).map_err(|e| format!("scenario: {e}"))?;
        check_scenario_names(&raw).map_err(|e| format!("scenario: {e}"))?;
        if let Some(s) = self.shard
            && !(1 <= s.k && s.k <= s.n)
        {
            return Err(format!("shard: expected K/N with 1 <= K <= N (got {s})"));
        }
        for v in &self.vary {
            FieldPath::parse(&v.path).map_err(|e| format!("vary: {e}"))?;
        }
        let product = self
            .vary
            .iter()
            .try_fold(1usize, |acc, v| acc.checked_mul(v.values.len()))
            .filter(|&n| n <= MAX_POINTS);
        match product {
            Some(n) if n == self.points && !self.vary.is_empty() => Ok(()),
            _ => Err(format!(
                "points: {} is not the product of the --vary lists (at most {MAX_POINTS})",
                self.points
            )),
        }
    }

    /// Point `index` of the whole sweep, if there is one.
    pub fn point(&self, index: usize) -> Option<Point> {
        if index >= self.points {
            return None;
        }
        let mut rest = index;
        let mut params = vec![(String::new(), Value::Null); self.vary.len()];
        for (k, v) in self.vary.iter().enumerate().rev() {
            let n = v.values.len().max(1);
            params[k] = (v.path.clone(), v.values.get(rest % n)?.clone());
            rest /= n;
        }
        Some(Point { index, params })
    }

    /// Checks a saved result against this sweep: its point exists and has
    /// its parameters.
    ///
    /// # Errors
    /// A message naming the point.
    pub fn check_point(&self, r: &PointResult) -> Result<(), String> {
        let point = self.point(r.index).ok_or_else(|| {
            format!(
                "point {} is past the sweep's {} points",
                r.index, self.points
            )
        })?;
        if point.param_map() != r.params {
            return Err(format!(
                "point {} has parameters {} in the results but {} in the sweep: the sweep definition changed",
                r.index,
                serde_json::to_string(&r.params).unwrap_or_default(),
                point.label()
            ));
        }
        Ok(())
    }

    /// Every point of the whole sweep.
    pub fn all_points(&self) -> Vec<Point> {
        let paths: Vec<String> = self.vary.iter().map(|v| v.path.clone()).collect();
        let values: Vec<Vec<Value>> = self.vary.iter().map(|v| v.values.clone()).collect();
        points_of(&paths, &values)
    }
}

/// A validated sweep: the base scenario and every point's scenario.
#[derive(Debug)]
pub struct Sweep {
    /// The base scenario (with `--set` overrides).
    pub base: Scenario,
    /// The varied fields.
    pub varies: Vec<Vary>,
    /// Every point, by index.
    pub points: Vec<Point>,
    scenarios: Vec<Scenario>,
}

impl Sweep {
    /// Loads `file` with `overrides`, then every point with its own
    /// overrides on top, so that a bad path or value is reported before
    /// anything runs.
    ///
    /// # Errors
    /// [`SweepError::Scenario`] for the base scenario,
    /// [`SweepError::Point`] for the first point that is invalid,
    /// [`SweepError::Definition`] for no, repeated or too many `--vary`s.
    pub fn new(
        file: &Path,
        overrides: &[Override],
        varies: Vec<Vary>,
    ) -> Result<Sweep, SweepError> {
        check_varies(&varies)?;
        let base = Scenario::load(file, overrides)?;
        let paths: Vec<String> = varies.iter().map(|v| v.path.to_string()).collect();
        let values: Vec<Vec<Value>> = varies.iter().map(|v| v.values.clone()).collect();
        let points = points_of(&paths, &values);
        let scenarios = points
            .par_iter()
            .map(|p| load_point(file, overrides, &varies, p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sweep {
            base,
            varies,
            points,
            scenarios,
        })
    }

    /// The manifest of this sweep (or of one shard of it).
    pub fn manifest(&self, shard: Option<Shard>) -> SweepManifest {
        SweepManifest {
            mqsim_version: env!("CARGO_PKG_VERSION").to_owned(),
            scenario_name: self.base.name.clone(),
            vary: self
                .varies
                .iter()
                .map(|v| VaryManifest {
                    path: v.path.to_string(),
                    spec: v.spec.clone(),
                    values: v.values.clone(),
                })
                .collect(),
            points: self.points.len(),
            shard,
            scenario: serde_json::to_value(&self.base.normalised).unwrap_or(Value::Null),
            inputs: self.inputs(),
            slo: Vec::new(),
        }
    }

    /// The files every point's scenario reads, once each, in field order.
    fn inputs(&self) -> Vec<InputFile> {
        let mut all: Vec<InputFile> = std::iter::once(&self.base)
            .chain(&self.scenarios)
            .flat_map(|s| s.inputs.iter().cloned())
            .collect();
        all.sort_by(|a, b| {
            (&a.field, &a.path, &a.digest.sha256).cmp(&(&b.field, &b.path, &b.digest.sha256))
        });
        all.dedup();
        all
    }

    /// The validated scenario of point `index`.
    pub fn scenario(&self, index: usize) -> Option<&Scenario> {
        self.scenarios.get(index)
    }

    /// Runs every replication of point `index` (on the current rayon pool).
    pub fn evaluate(&self, index: usize) -> PointResult {
        let point = &self.points[index];
        match Experiment::run(&self.scenarios[index]) {
            Ok(e) => PointResult::of(point, Ok(&e.metrics)),
            Err(e) => PointResult::of(point, Err(e.to_string())),
        }
    }

    /// Runs the points `indices` in parallel, calling `done` as each
    /// finishes (in completion order), and returns the results sorted by
    /// index. Call it inside [`with_jobs`] to choose the thread count.
    pub fn run(&self, indices: &[usize], done: &(dyn Fn(&PointResult) + Sync)) -> Vec<PointResult> {
        let mut results: Vec<PointResult> = indices
            .par_iter()
            .with_max_len(1)
            .map(|&i| {
                let result = self.evaluate(i);
                done(&result);
                result
            })
            .collect();
        results.sort_by_key(|r| r.index);
        results
    }
}

/// Runs `work` on a pool of `jobs` threads (0: one per core).
///
/// # Errors
/// [`SweepError::Pool`] if the threads cannot be started.
pub fn with_jobs<T: Send>(jobs: usize, work: impl FnOnce() -> T + Send) -> Result<T, SweepError> {
    if jobs > MAX_JOBS {
        return Err(SweepError::Definition(format!(
            "--jobs must be between 0 (one per core) and {MAX_JOBS} (got {jobs})"
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| SweepError::Pool {
            jobs,
            reason: e.to_string(),
        })?;
    Ok(pool.install(work))
}

fn check_varies(varies: &[Vary]) -> Result<(), SweepError> {
    if varies.is_empty() {
        return Err(SweepError::Definition(
            "nothing to vary: give at least one --vary path=VALUES".into(),
        ));
    }
    for (i, v) in varies.iter().enumerate() {
        if varies[..i].iter().any(|w| w.path == v.path) {
            return Err(SweepError::Definition(format!(
                "--vary {} is given twice; list all its values in one --vary",
                v.path
            )));
        }
        if v.values.is_empty() {
            return Err(SweepError::Definition(format!(
                "--vary {}: no values",
                v.path
            )));
        }
    }
    let total = varies
        .iter()
        .try_fold(1usize, |acc, v| acc.checked_mul(v.values.len()))
        .filter(|&n| n <= MAX_POINTS);
    match total {
        Some(_) => Ok(()),
        None => Err(SweepError::Definition(format!(
            "the --vary lists multiply to more than {MAX_POINTS} points; vary fewer values"
        ))),
    }
}

fn load_point(
    file: &Path,
    overrides: &[Override],
    varies: &[Vary],
    point: &Point,
) -> Result<Scenario, SweepError> {
    let mut all = overrides.to_vec();
    all.extend(
        varies
            .iter()
            .zip(&point.params)
            .map(|(v, (_, value))| Override {
                path: v.path.clone(),
                value: value.clone(),
            }),
    );
    Scenario::load(file, &all).map_err(|source| SweepError::Point {
        index: point.index,
        params: point.label(),
        source,
    })
}

/// Serde helper: NaN (and infinities) as `null`, `null` back as NaN, so a
/// result file always round-trips.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}
