//! Headline metrics: every number a run reports, flattened under stable
//! names such as `groups.email.e2e.p99_s`, with intervals across
//! replications.

use crate::model::sim::{PartitionOutcome, RunOutcome, TopicOutcome, fields};
use crate::stats::{ConfidenceInterval, LatencySummary};
use serde::{Deserialize, Serialize};

/// One metric across replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Stable name, e.g. `groups.email.e2e.p99_s`.
    pub name: String,
    /// Mean and interval across replications.
    pub ci: ConfidenceInterval,
}

impl Metric {
    /// Metrics of every outcome, aggregated name by name (all outcomes
    /// of one scenario share the same names, in the same order).
    pub fn across(outcomes: &[RunOutcome], level: f64) -> Vec<Metric> {
        let per_run: Vec<Vec<(String, f64)>> = outcomes.iter().map(metrics_of).collect();
        let Some(first) = per_run.first() else {
            return Vec::new();
        };
        first
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let values: Vec<f64> = per_run.iter().map(|m| m[i].1).collect();
                Metric {
                    name: name.clone(),
                    ci: ConfidenceInterval::of(&values, level),
                }
            })
            .collect()
    }
}

/// Partitions per group above which `summary.json` gives the extremes
/// across partitions (`partitions.max.*`, `partitions.min.processed`)
/// instead of each partition's metrics; `partitions.csv` has them all.
pub const MAX_PARTITION_METRICS: usize = 256;

/// The metrics of one replication, in a fixed order, named from the
/// outcome's field list (`model::sim::fields`).
pub fn metrics_of(o: &RunOutcome) -> Vec<(String, f64)> {
    let mut m: Vec<(String, f64)> = Vec::with_capacity(32 + 64 * o.groups.len());
    let mut put = |name: String, value: f64| m.push((name, value));
    // A file that names its topics has `topics.<name>.*`; else `topic.*`.
    let named: Vec<(String, &TopicOutcome)> = if o.topics.is_empty() {
        vec![("topic".to_owned(), &o.topic)]
    } else {
        (o.topics.iter())
            .map(|t| (format!("topics.{}", t.name), t))
            .collect()
    };
    for (p, t) in named {
        for f in fields::TOPIC {
            put(format!("{p}.{}", f.name), (f.read)(t));
        }
        for (field, v) in t.producer_latency.fields() {
            put(format!("{p}.{}.{field}", fields::TOPIC_LATENCY), v);
        }
    }
    let groups =
        (o.groups.iter().map(|g| ("groups", g))).chain(o.services.iter().map(|s| ("services", s)));
    for (kind, g) in groups {
        let p = format!("{kind}.{}", g.name);
        for f in fields::GROUP {
            put(format!("{p}.{}", f.name), (f.read)(g));
        }
        if let Some(d) = g.drain_s {
            put(format!("{p}.drain_s"), d);
        }
        for (prefix, summary) in fields::GROUP_LATENCIES {
            for (field, v) in summary(g).fields() {
                put(format!("{p}.{prefix}.{field}"), v);
            }
        }
        partition_metrics(&p, &g.partitions, &mut put);
        for class in &g.classes {
            let c = format!("{p}.classes.{}", class.priority);
            put(format!("{c}.processed"), class.processed as f64);
            for (part, summary) in [
                ("queue_wait", &class.queue_wait),
                ("e2e", &class.end_to_end),
            ] {
                for (field, v) in summary.fields() {
                    put(format!("{c}.{part}.{field}"), v);
                }
            }
        }
    }
    for path in &o.paths {
        let p = format!("paths.{}", path.name);
        put(format!("{p}.processed"), path.processed as f64);
        for (field, v) in path.e2e.fields() {
            put(format!("{p}.e2e.{field}"), v);
        }
        if let Some(means) = path.processing_parts {
            for (part, mean) in ["service", "calls", "publish_wait"].iter().zip(means) {
                put(format!("{p}.{part}.mean_s"), mean);
            }
        }
        let parts = [
            ("queue_wait", &path.queue_wait),
            ("processing", &path.processing),
        ];
        for (part, summary) in parts {
            for (field, v) in summary.iter().flat_map(LatencySummary::fields) {
                put(format!("{p}.{part}.{field}"), v);
            }
        }
    }
    for link in &o.links {
        let p = format!("links.{}", link.name);
        put(format!("{p}.sent"), link.sent as f64);
        put(format!("{p}.accepted"), link.accepted as f64);
        put(format!("{p}.refused"), link.refused as f64);
    }
    for alert in &o.alerts {
        let p = format!("alerts.{}", alert.name);
        put(format!("{p}.fired"), alert.fired as f64);
        put(format!("{p}.flaps"), alert.fired.saturating_sub(1) as f64);
        put(format!("{p}.first_fired_s"), alert.first_fired_s);
        put(format!("{p}.firing_s"), alert.firing_s);
        put(
            format!("{p}.before_damage"),
            f64::from(u8::from(alert.before_damage)),
        );
        // Against the scheduled faults, when the scenario has any (all
        // its replications have the same).
        if !alert.faults.is_empty() {
            put(
                format!("{p}.after_fault_s"),
                alert.after_fault_s.unwrap_or(f64::NAN),
            );
            put(
                format!("{p}.fired_before_fault"),
                alert.fired_before_fault as f64,
            );
        }
    }
    for call in &o.calls {
        let p = format!("calls.{}", call.name);
        put(format!("{p}.requests"), call.requests as f64);
        put(format!("{p}.succeeded"), call.succeeded as f64);
        put(format!("{p}.errors"), call.errors as f64);
        put(format!("{p}.error_rate"), share(call.errors, call.requests));
        put(format!("{p}.timeouts"), call.timeouts as f64);
        put(format!("{p}.attempts"), call.attempts as f64);
        put(format!("{p}.refused"), call.refused as f64);
        put(format!("{p}.shed"), call.shed as f64);
        put(format!("{p}.throttled"), call.throttled as f64);
        put(format!("{p}.short_circuited"), call.short_circuited as f64);
        put(format!("{p}.degraded"), call.degraded as f64);
        put(format!("{p}.breaker_opened"), call.breaker_opened as f64);
        put(format!("{p}.hedges"), call.hedges as f64);
        put(format!("{p}.hedges_won"), call.hedges_won as f64);
        put(format!("{p}.wasted"), call.wasted as f64);
        for (field, v) in call.latency.fields() {
            put(format!("{p}.latency.{field}"), v);
        }
    }
    m
}

/// `part / whole`, 0 when `whole` is 0.
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Each partition's metrics, or with too many partitions their extremes.
fn partition_metrics(p: &str, parts: &[PartitionOutcome], put: &mut impl FnMut(String, f64)) {
    if parts.len() <= MAX_PARTITION_METRICS {
        for (i, part) in parts.iter().enumerate() {
            for f in fields::PARTITION {
                put(format!("{p}.partitions.{i}.{}", f.name), (f.read)(part));
            }
        }
        return;
    }
    // Too many to name each: the extremes across partitions.
    for f in fields::PARTITION {
        let most = parts.iter().map(f.read).fold(f64::MIN, f64::max);
        put(format!("{p}.partitions.max.{}", f.name), most);
    }
    let least = parts
        .iter()
        .map(|x| x.processed as f64)
        .fold(f64::MAX, f64::min);
    put(format!("{p}.partitions.min.processed"), least);
}
