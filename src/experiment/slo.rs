//! Service-level objectives for `plan`: `<metric> <op> <value>`, e.g.
//! `e2e.p99 < 2s` or `dropped == 0`, checked against a metric's mean
//! across replications.
//!
//! A metric is named as in `summary.json` (`groups.email.e2e.p99_s`) or by
//! any unambiguous suffix of that name, with or without the `_s` of
//! seconds: `e2e.p99` is `groups.<g>.e2e.p99_s` when the scenario has one
//! group. Durations take units (`250ms`, `2s`, `1m`); `80%` is 0.8.

use super::sweep::PointResult;
use crate::engine::SimDuration;
use crate::scenario::{Dur, Scenario};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A comparison (in files, its symbol).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
}

const OPS: [(&str, Op); 6] = [
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("==", Op::Eq),
    ("!=", Op::Ne),
    ("<", Op::Lt),
    (">", Op::Gt),
];

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = OPS
            .iter()
            .find(|(_, op)| op == self)
            .map_or("?", |(t, _)| t);
        f.write_str(text)
    }
}

/// An objective, its metric resolved to a full name (as saved in a
/// sweep's `sweep.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// As written.
    pub text: String,
    /// The full metric name.
    pub metric: String,
    /// The comparison.
    pub op: Op,
    /// The threshold, in the metric's unit (seconds for `_s` metrics).
    pub threshold: f64,
    /// Judged at the worse end of the metric's 95% confidence interval
    /// (mean + half-width for `<` and `<=`, mean − half-width for `>` and
    /// `>=`) rather than at its mean: met only when the whole interval
    /// is. `==` and `!=` are judged at the mean either way.
    #[serde(default)]
    pub at_bound: bool,
}

/// How one point fares against one objective.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SloCheck {
    /// The objective holds for the mean.
    pub met: bool,
    /// The metric's mean (NaN when the run failed).
    pub mean: f64,
    /// Its 95% half-width.
    pub half_width: f64,
    /// Room to spare: positive when met, in the metric's unit
    /// (threshold − mean for `<`, mean − threshold for `>`; from the
    /// interval's worse end when the objective is judged there).
    pub margin: f64,
}

impl Slo {
    /// Parses `text` and resolves its metric among `names`.
    ///
    /// # Errors
    /// A message for a malformed objective, or an unknown or ambiguous
    /// metric listing the candidates.
    ///
    /// ```
    /// use mqsim::experiment::{Op, Slo};
    /// let names = ["groups.email.e2e.p99_s".to_string(), "groups.email.dropped".to_string()];
    /// let slo = Slo::parse("e2e.p99 < 250ms", &names).unwrap();
    /// assert_eq!((slo.metric.as_str(), slo.op, slo.threshold), ("groups.email.e2e.p99_s", Op::Lt, 0.25));
    /// ```
    pub fn parse(text: &str, names: &[String]) -> Result<Slo, String> {
        let (at, symbol, op) = OPS
            .iter()
            .filter_map(|(s, op)| text.find(s).map(|at| (at, *s, *op)))
            .min_by_key(|(at, s, _)| (*at, usize::MAX - s.len()))
            .ok_or_else(|| {
                format!("--slo \"{text}\": expected <metric> <op> <value> with op one of < <= > >= == !=, e.g. \"e2e.p99 < 2s\"")
            })?;
        let name = text[..at].trim();
        let value = text[at + symbol.len()..].trim();
        let metric = resolve(name, names).map_err(|e| format!("--slo \"{text}\": {e}"))?;
        let threshold = threshold(value, &metric).map_err(|e| format!("--slo \"{text}\": {e}"))?;
        Ok(Slo {
            text: text.trim().to_owned(),
            metric,
            op,
            threshold,
            at_bound: false,
        })
    }

    /// The same objective, judged at the worse end of the 95% interval.
    pub fn at_bound(self) -> Slo {
        Slo {
            at_bound: true,
            ..self
        }
    }

    /// Checks the objective at one point (a failed run meets nothing).
    pub fn check(&self, result: &PointResult) -> SloCheck {
        let (mean, half_width) = result
            .metrics
            .get(&self.metric)
            .map_or((f64::NAN, f64::NAN), |m| (m.mean, m.ci95_half_width));
        let t = self.threshold;
        // The interval's worse end, when judged there (a single
        // replication has no interval: its half-width is 0).
        let hw = if self.at_bound && half_width.is_finite() {
            half_width
        } else {
            0.0
        };
        let (met, margin) = match self.op {
            Op::Lt => (mean + hw < t, t - (mean + hw)),
            Op::Le => (mean + hw <= t, t - (mean + hw)),
            Op::Gt => (mean - hw > t, (mean - hw) - t),
            Op::Ge => (mean - hw >= t, (mean - hw) - t),
            Op::Eq => (mean == t, -(mean - t).abs()),
            Op::Ne => (mean != t && !mean.is_nan(), (mean - t).abs()),
        };
        SloCheck {
            met: met && result.error.is_none(),
            mean,
            half_width,
            margin,
        }
    }
}

/// Words people use for a metric, and the metric's own name: the lag in
/// time is the oldest message's age at its worst.
const ALIASES: [(&str, &str); 2] = [("lag", "max_age"), ("max_lag", "max_age")];

/// The full metric name that `name` stands for.
fn resolve(name: &str, names: &[String]) -> Result<String, String> {
    if name.is_empty() {
        return Err("no metric before the comparison".into());
    }
    // `lag`, `email.lag`: the alias in the last word.
    let (head, last) = name.rsplit_once('.').map_or(("", name), |(h, l)| (h, l));
    if let Some((_, metric)) = ALIASES.iter().find(|(alias, _)| *alias == last) {
        let name = if head.is_empty() {
            (*metric).to_owned()
        } else {
            format!("{head}.{metric}")
        };
        return resolve(&name, names);
    }
    if last.trim_end_matches("_s") == "drain" && !names.iter().any(|n| n.ends_with(".drain_s")) {
        return Err(format!(
            "\"{name}\" is measured only when the scenario drains: set `drain = true` (the run then goes on after the horizon, without new arrivals, until empty)"
        ));
    }
    if names.iter().any(|n| n == name) {
        return Ok(name.to_owned());
    }
    let matches: Vec<&String> = names
        .iter()
        .filter(|full| {
            [name.to_owned(), format!("{name}_s")]
                .iter()
                .any(|n| *full == n || full.ends_with(&format!(".{n}")))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "unknown metric \"{name}\"; metrics include: {}",
            candidates(name, names)
        )),
        many => Err(format!(
            "\"{name}\" is ambiguous; say which: {}",
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Names sharing a word with `name`, or the first few names.
fn candidates(name: &str, names: &[String]) -> String {
    let words: Vec<&str> = name.split('.').filter(|w| w.len() > 1).collect();
    let mut close: Vec<&str> = names
        .iter()
        .filter(|n| words.iter().any(|w| n.contains(w)))
        .map(String::as_str)
        .collect();
    if close.is_empty() {
        close = names.iter().map(String::as_str).collect();
    }
    let more = close.len().saturating_sub(20);
    close.truncate(20);
    let mut text = close.join(", ");
    if more > 0 {
        text.push_str(&format!(" (and {more} more)"));
    }
    text
}

/// The threshold in the metric's unit.
fn threshold(value: &str, metric: &str) -> Result<f64, String> {
    if let Ok(v) = value.parse::<f64>() {
        if !v.is_finite() {
            return Err(format!("expected a finite threshold (got \"{value}\")"));
        }
        return Ok(v);
    }
    if let Some(Ok(v)) = value.strip_suffix('%').map(|p| p.trim().parse::<f64>()) {
        return Ok(v / 100.0);
    }
    match Dur::parse(value) {
        Ok(d) if metric.ends_with("_s") => Ok(d.secs()),
        Ok(_) => Err(format!(
            "{metric} is not a duration; compare it with a plain number"
        )),
        Err(_) => Err(format!(
            "expected a number, a percentage or a duration such as 250ms or 2s (got \"{value}\")"
        )),
    }
}

/// Every metric name a run of `scenario` reports, found by running one
/// replication for one nanosecond (names depend on the scenario's groups
/// and mode, not on time).
///
/// # Errors
/// The run's error, should even that fail.
pub fn metric_names(scenario: &Scenario) -> Result<Vec<String>, crate::model::sim::RunError> {
    let mut probe = scenario.clone();
    probe.system.horizon = SimDuration(1);
    probe.system.warmup = SimDuration::ZERO;
    // With `drain`, a drain of at most a nanosecond: `drain_s` is named.
    probe.system.max_drain = SimDuration(1);
    probe.replications = 1;
    let experiment = super::Experiment::run(&probe)?;
    Ok(experiment.metrics.into_iter().map(|m| m.name).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        [
            "topic.producer_latency.p99_s",
            "groups.a.e2e.p99_s",
            "groups.a.dropped",
            "groups.a.dropped.rejected",
            "groups.b.e2e.p99_s",
            "groups.b.utilisation",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn parses_ops_units_and_short_names() {
        let n = names();
        let slo = Slo::parse("groups.a.e2e.p99 <= 1.5s", &n).unwrap();
        assert_eq!(
            (slo.metric.as_str(), slo.op, slo.threshold),
            ("groups.a.e2e.p99_s", Op::Le, 1.5)
        );
        let slo = Slo::parse("a.dropped==0", &n).unwrap();
        assert_eq!(
            (slo.metric.as_str(), slo.op, slo.threshold),
            ("groups.a.dropped", Op::Eq, 0.0)
        );
        let slo = Slo::parse("utilisation < 80%", &n).unwrap();
        assert_eq!((slo.op, slo.threshold), (Op::Lt, 0.8));
        assert_eq!(Slo::parse("dropped.rejected != 3", &n).unwrap().op, Op::Ne);
        assert_eq!(
            Slo::parse("p99 > 250ms", &["x.p99_s".to_string()])
                .unwrap()
                .threshold,
            0.25
        );
    }

    #[test]
    fn lag_is_the_worst_age_and_drain_needs_a_draining_scenario() {
        let n: Vec<String> = [
            "groups.a.max_age_s",
            "groups.b.max_age_s",
            "groups.a.queued",
        ]
        .map(String::from)
        .to_vec();
        let slo = Slo::parse("a.lag < 60 s", &n).unwrap();
        assert_eq!(
            (slo.metric.as_str(), slo.threshold),
            ("groups.a.max_age_s", 60.0)
        );
        assert!(
            Slo::parse("lag < 1m", &n)
                .unwrap_err()
                .contains("ambiguous")
        );
        let err = Slo::parse("a.drain < 5m", &n).unwrap_err();
        assert!(err.contains("drain = true"), "{err}");
        let mut n = n;
        n.push("groups.a.drain_s".into());
        let slo = Slo::parse("drain < 5m", &n).unwrap();
        assert_eq!(
            (slo.metric.as_str(), slo.threshold),
            ("groups.a.drain_s", 300.0)
        );
    }

    #[test]
    fn ambiguous_unknown_and_malformed_objectives_are_explained() {
        let n = names();
        let err = Slo::parse("e2e.p99 < 2s", &n).unwrap_err();
        assert!(
            err.contains("ambiguous") && err.contains("groups.b.e2e.p99_s"),
            "{err}"
        );
        let err = Slo::parse("e2e.p98 < 2s", &n).unwrap_err();
        assert!(
            err.contains("unknown metric") && err.contains("groups.a.e2e.p99_s"),
            "{err}"
        );
        assert!(
            Slo::parse("a.dropped 0", &n)
                .unwrap_err()
                .contains("expected <metric> <op>")
        );
        assert!(
            Slo::parse("a.dropped < 2s", &n)
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(
            Slo::parse("a.e2e.p99 < soon", &n)
                .unwrap_err()
                .contains("expected a number")
        );
    }

    #[test]
    fn margins_are_positive_when_met() {
        use super::super::sweep::{MetricValue, PointResult};
        let mut r = PointResult {
            index: 0,
            params: Default::default(),
            error: None,
            metrics: Default::default(),
        };
        let v = MetricValue {
            mean: 1.0,
            ci95_half_width: 0.1,
        };
        r.metrics.insert("groups.a.e2e.p99_s".into(), v);
        let n = names();
        let c = Slo::parse("a.e2e.p99 < 1500ms", &n).unwrap().check(&r);
        assert!(c.met && (c.margin - 0.5).abs() < 1e-12);
        let c = Slo::parse("a.e2e.p99 > 1500ms", &n).unwrap().check(&r);
        assert!(!c.met && (c.margin + 0.5).abs() < 1e-12);
        r.error = Some("runaway".into());
        assert!(!Slo::parse("a.e2e.p99 < 1500ms", &n).unwrap().check(&r).met);
    }

    #[test]
    fn at_the_bound_the_whole_interval_must_meet_the_objective() {
        use super::super::sweep::{MetricValue, PointResult};
        // The issue's case: p99 1.838 s ± 2.163 s against < 2 s.
        let mut r = PointResult {
            index: 0,
            params: Default::default(),
            error: None,
            metrics: Default::default(),
        };
        let v = MetricValue {
            mean: 1.838,
            ci95_half_width: 2.163,
        };
        r.metrics.insert("groups.a.e2e.p99_s".into(), v);
        let n = names();
        let slo = Slo::parse("a.e2e.p99 < 2s", &n).unwrap();
        let at_mean = slo.check(&r);
        assert!(at_mean.met && (at_mean.margin - 0.162).abs() < 1e-9);
        let at_bound = slo.clone().at_bound().check(&r);
        assert!(!at_bound.met && (at_bound.margin + 2.001).abs() < 1e-9);
        // `>` takes the lower end; a tight interval meets it at both.
        r.metrics.insert(
            "groups.b.utilisation".into(),
            MetricValue {
                mean: 0.5,
                ci95_half_width: 0.01,
            },
        );
        let slo = Slo::parse("b.utilisation > 40%", &n).unwrap().at_bound();
        let c = slo.check(&r);
        assert!(c.met && (c.margin - 0.09).abs() < 1e-9);
        // `==` is judged at the mean either way.
        let slo = Slo::parse("a.dropped == 0", &n).unwrap().at_bound();
        r.metrics.insert(
            "groups.a.dropped".into(),
            MetricValue {
                mean: 0.0,
                ci95_half_width: 0.0,
            },
        );
        assert!(slo.check(&r).met);
    }
}
