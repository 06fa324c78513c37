//! Headline metrics: every number a run reports, flattened under stable
//! names such as `groups.email.e2e.p99_s`, with intervals across
//! replications.

use crate::model::sim::RunOutcome;
use crate::stats::ConfidenceInterval;
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

/// The metrics of one replication, in a fixed order.
pub fn metrics_of(o: &RunOutcome) -> Vec<(String, f64)> {
    let mut m: Vec<(String, f64)> = Vec::with_capacity(16 + 40 * o.groups.len());
    let mut put = |name: String, value: f64| m.push((name, value));
    let t = &o.topic;
    put("topic.created".into(), t.created as f64);
    put("topic.published".into(), t.published as f64);
    put("topic.accepted".into(), t.accepted as f64);
    put("topic.rejected".into(), t.rejected as f64);
    put("topic.publish_timeouts".into(), t.publish_timeouts as f64);
    put("topic.retries".into(), t.retries as f64);
    put("topic.retries_exhausted".into(), t.retries_exhausted as f64);
    put("topic.lost".into(), t.lost as f64);
    put("topic.acks_lost".into(), t.acks_lost as f64);
    put(
        "topic.duplicate_publishes".into(),
        t.duplicate_publishes as f64,
    );
    put(
        "topic.duplicates_suppressed".into(),
        t.duplicates_suppressed as f64,
    );
    put("topic.caller_errors".into(), t.caller_errors as f64);
    let error_share = if t.created > 0 {
        t.caller_errors as f64 / t.created as f64
    } else {
        0.0
    };
    put("topic.caller_error_share".into(), error_share);
    put("topic.caller_timeouts".into(), t.caller_timeouts as f64);
    put("topic.wasted".into(), t.wasted as f64);
    put("topic.max_blocked".into(), t.max_blocked as f64);
    put("topic.mean_blocked".into(), t.mean_blocked);
    for (field, v) in t.producer_latency.fields() {
        put(format!("topic.producer_latency.{field}"), v);
    }
    for g in &o.groups {
        let p = format!("groups.{}", g.name);
        put(format!("{p}.processed"), g.processed as f64);
        put(format!("{p}.dropped"), g.dropped.total() as f64);
        put(format!("{p}.dropped.rejected"), g.dropped.rejected as f64);
        put(
            format!("{p}.dropped.publish_timeout"),
            g.dropped.publish_timeout as f64,
        );
        put(
            format!("{p}.dropped.retries_exhausted"),
            g.dropped.retries_exhausted as f64,
        );
        put(format!("{p}.dropped.lost"), g.dropped.lost as f64);
        put(format!("{p}.dropped.evicted"), g.dropped.evicted as f64);
        put(format!("{p}.dropped.expired"), g.dropped.expired as f64);
        put(format!("{p}.dead_lettered"), g.dead_lettered as f64);
        put(format!("{p}.work_lost"), g.work_lost as f64);
        put(format!("{p}.out_of_order"), g.out_of_order as f64);
        put(format!("{p}.rebalances"), g.rebalances as f64);
        put(
            format!("{p}.workers_without_partitions"),
            g.workers_without_partitions as f64,
        );
        if g.partitions.len() <= MAX_PARTITION_METRICS {
            for (i, part) in g.partitions.iter().enumerate() {
                put(format!("{p}.partitions.{i}.queued"), part.queued as f64);
                put(
                    format!("{p}.partitions.{i}.max_depth"),
                    part.max_depth as f64,
                );
                put(
                    format!("{p}.partitions.{i}.oldest_age_s"),
                    part.oldest_age_s,
                );
                put(
                    format!("{p}.partitions.{i}.processed"),
                    part.processed as f64,
                );
            }
        } else {
            // Too many to name each: the extremes across partitions.
            let parts = &g.partitions;
            let most = |f: &dyn Fn(&crate::model::sim::PartitionOutcome) -> f64| {
                parts.iter().map(f).fold(f64::MIN, f64::max)
            };
            let least = |f: &dyn Fn(&crate::model::sim::PartitionOutcome) -> f64| {
                parts.iter().map(f).fold(f64::MAX, f64::min)
            };
            put(
                format!("{p}.partitions.max.queued"),
                most(&|x| x.queued as f64),
            );
            put(
                format!("{p}.partitions.max.max_depth"),
                most(&|x| x.max_depth as f64),
            );
            put(
                format!("{p}.partitions.max.oldest_age_s"),
                most(&|x| x.oldest_age_s),
            );
            put(
                format!("{p}.partitions.max.processed"),
                most(&|x| x.processed as f64),
            );
            put(
                format!("{p}.partitions.min.processed"),
                least(&|x| x.processed as f64),
            );
        }
        put(format!("{p}.delayed"), g.delayed as f64);
        put(format!("{p}.deliveries"), g.deliveries as f64);
        put(format!("{p}.redeliveries"), g.redeliveries as f64);
        put(
            format!("{p}.duplicate_deliveries"),
            g.duplicate_deliveries as f64,
        );
        put(format!("{p}.side_effects"), g.side_effects as f64);
        put(
            format!("{p}.duplicate_side_effects"),
            g.duplicate_side_effects as f64,
        );
        put(
            format!("{p}.suppressed_duplicates"),
            g.suppressed_duplicates as f64,
        );
        put(format!("{p}.failures.failed"), g.failures.failed as f64);
        put(
            format!("{p}.failures.timed_out"),
            g.failures.timed_out as f64,
        );
        put(format!("{p}.failures.crashed"), g.failures.crashed as f64);
        put(
            format!("{p}.failures.ack_timeouts"),
            g.failures.ack_timeouts as f64,
        );
        put(format!("{p}.queued"), g.queued as f64);
        put(format!("{p}.in_flight"), g.in_flight as f64);
        put(format!("{p}.max_depth"), g.max_depth as f64);
        put(format!("{p}.mean_depth"), g.mean_depth);
        put(format!("{p}.utilisation"), g.utilisation);
        put(format!("{p}.workers_mean"), g.workers_mean);
        put(format!("{p}.workers_max"), g.workers_max as f64);
        put(format!("{p}.scale_ups"), g.scale_ups as f64);
        put(format!("{p}.scale_downs"), g.scale_downs as f64);
        put(format!("{p}.throughput_per_s"), g.throughput_per_s);
        for (field, v) in g.queue_wait.fields() {
            put(format!("{p}.queue_wait.{field}"), v);
        }
        for (field, v) in g.end_to_end.fields() {
            put(format!("{p}.e2e.{field}"), v);
        }
        put(format!("{p}.littles_law.l"), g.littles_law.l);
        put(
            format!("{p}.littles_law.lambda_w"),
            g.littles_law.lambda_per_s * g.littles_law.w_s,
        );
    }
    m
}
