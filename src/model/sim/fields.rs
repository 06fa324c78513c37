//! The one field list of the outcome schema: every metric of a run (under
//! `topic.` and `groups.<g>.`) and every `timeseries.csv` column, each
//! named once here with how to read it. Metric names, CSV columns and the
//! rows of tables are derived from these lists; a name used elsewhere that
//! is not in them fails a test.

use super::outcome::{GroupOutcome, PartitionOutcome, SeriesRow, TopicOutcome};
use crate::stats::LatencySummary;

/// One field: its name and how to read it from `T`.
pub(crate) struct Field<T> {
    /// The name, after `topic.` or `groups.<g>.`.
    pub name: &'static str,
    /// Its value in one outcome.
    pub read: fn(&T) -> f64,
}

/// The figures of a latency summary, after its prefix (`e2e.p99_s`).
#[cfg(test)]
pub(crate) const LATENCY: [&str; 6] = crate::stats::LatencySummary::FIELDS;

/// Where a group keeps one of its latency summaries.
pub(crate) type Latency = fn(&GroupOutcome) -> &LatencySummary;

/// Latency summaries of a group, by prefix, and where each is.
pub(crate) const GROUP_LATENCIES: [(&str, Latency); 2] = [
    ("queue_wait", |g| &g.queue_wait),
    ("e2e", |g| &g.end_to_end),
];

/// The topic's latency summary: what producers (callers) see.
pub(crate) const TOPIC_LATENCY: &str = "producer_latency";

/// Per-partition fields (`partitions.<p>.<field>`; with many partitions,
/// `partitions.max.<field>` and `partitions.min.processed`).
pub(crate) const PARTITION: [Field<PartitionOutcome>; 4] = [
    Field {
        name: "queued",
        read: |p| p.queued as f64,
    },
    Field {
        name: "max_depth",
        read: |p| p.max_depth as f64,
    },
    Field {
        name: "oldest_age_s",
        read: |p| p.oldest_age_s,
    },
    Field {
        name: "processed",
        read: |p| p.processed as f64,
    },
];

/// Topic-level metrics (`topic.<name>`), producer latency aside.
pub(crate) const TOPIC: &[Field<TopicOutcome>] = &[
    Field {
        name: "created",
        read: |t| t.created as f64,
    },
    Field {
        name: "published",
        read: |t| t.published as f64,
    },
    Field {
        name: "accepted",
        read: |t| t.accepted as f64,
    },
    Field {
        name: "rejected",
        read: |t| t.rejected as f64,
    },
    Field {
        name: "publish_timeouts",
        read: |t| t.publish_timeouts as f64,
    },
    Field {
        name: "retries",
        read: |t| t.retries as f64,
    },
    Field {
        name: "retries_exhausted",
        read: |t| t.retries_exhausted as f64,
    },
    Field {
        name: "lost",
        read: |t| t.lost as f64,
    },
    Field {
        name: "acks_lost",
        read: |t| t.acks_lost as f64,
    },
    Field {
        name: "duplicate_publishes",
        read: |t| t.duplicate_publishes as f64,
    },
    Field {
        name: "duplicates_suppressed",
        read: |t| t.duplicates_suppressed as f64,
    },
    Field {
        name: "caller_errors",
        read: |t| t.caller_errors as f64,
    },
    Field {
        name: "unreported",
        read: |t| t.unreported as f64,
    },
    Field {
        name: "caller_error_share",
        read: caller_error_share,
    },
    Field {
        name: "caller_timeouts",
        read: |t| t.caller_timeouts as f64,
    },
    Field {
        name: "wasted",
        read: |t| t.wasted as f64,
    },
    Field {
        name: "max_blocked",
        read: |t| t.max_blocked as f64,
    },
    Field {
        name: "mean_blocked",
        read: |t| t.mean_blocked,
    },
];

fn caller_error_share(t: &TopicOutcome) -> f64 {
    if t.created > 0 {
        t.caller_errors as f64 / t.created as f64
    } else {
        0.0
    }
}

/// Group-level metrics (`groups.<g>.<name>`), latencies and partitions
/// aside.
pub(crate) const GROUP: &[Field<GroupOutcome>] = &[
    Field {
        name: "processed",
        read: |g| g.processed as f64,
    },
    Field {
        name: "dropped",
        read: |g| g.dropped.total() as f64,
    },
    Field {
        name: "dropped.rejected",
        read: |g| g.dropped.rejected as f64,
    },
    Field {
        name: "dropped.publish_timeout",
        read: |g| g.dropped.publish_timeout as f64,
    },
    Field {
        name: "dropped.retries_exhausted",
        read: |g| g.dropped.retries_exhausted as f64,
    },
    Field {
        name: "dropped.lost",
        read: |g| g.dropped.lost as f64,
    },
    Field {
        name: "dropped.evicted",
        read: |g| g.dropped.evicted as f64,
    },
    Field {
        name: "dropped.expired",
        read: |g| g.dropped.expired as f64,
    },
    Field {
        name: "dead_lettered",
        read: |g| g.dead_lettered as f64,
    },
    Field {
        name: "work_lost",
        read: |g| g.work_lost as f64,
    },
    Field {
        name: "out_of_order",
        read: |g| g.out_of_order as f64,
    },
    Field {
        name: "rebalances",
        read: |g| g.rebalances as f64,
    },
    Field {
        name: "workers_without_partitions",
        read: |g| g.workers_without_partitions as f64,
    },
    Field {
        name: "delayed",
        read: |g| g.delayed as f64,
    },
    Field {
        name: "deliveries",
        read: |g| g.deliveries as f64,
    },
    Field {
        name: "redeliveries",
        read: |g| g.redeliveries as f64,
    },
    Field {
        name: "duplicate_deliveries",
        read: |g| g.duplicate_deliveries as f64,
    },
    Field {
        name: "side_effects",
        read: |g| g.side_effects as f64,
    },
    Field {
        name: "duplicate_side_effects",
        read: |g| g.duplicate_side_effects as f64,
    },
    Field {
        name: "suppressed_duplicates",
        read: |g| g.suppressed_duplicates as f64,
    },
    Field {
        name: "failures.failed",
        read: |g| g.failures.failed as f64,
    },
    Field {
        name: "failures.timed_out",
        read: |g| g.failures.timed_out as f64,
    },
    Field {
        name: "failures.crashed",
        read: |g| g.failures.crashed as f64,
    },
    Field {
        name: "failures.ack_timeouts",
        read: |g| g.failures.ack_timeouts as f64,
    },
    Field {
        name: "queued",
        read: |g| g.queued as f64,
    },
    Field {
        name: "in_flight",
        read: |g| g.in_flight as f64,
    },
    Field {
        name: "max_depth",
        read: |g| g.max_depth as f64,
    },
    Field {
        name: "max_age_s",
        read: |g| g.max_age_s,
    },
    Field {
        name: "mean_depth",
        read: |g| g.mean_depth,
    },
    Field {
        name: "utilisation",
        read: |g| g.utilisation,
    },
    Field {
        name: "workers_mean",
        read: |g| g.workers_mean,
    },
    Field {
        name: "workers_max",
        read: |g| g.workers_max as f64,
    },
    Field {
        name: "scale_ups",
        read: |g| g.scale_ups as f64,
    },
    Field {
        name: "scale_downs",
        read: |g| g.scale_downs as f64,
    },
    Field {
        name: "throughput_per_s",
        read: |g| g.throughput_per_s,
    },
    Field {
        name: "littles_law.l",
        read: |g| g.littles_law.l,
    },
    Field {
        name: "littles_law.lambda_w",
        read: |g| g.littles_law.lambda_per_s * g.littles_law.w_s,
    },
];

/// Whether `field` (after `groups.<g>.`) names a group metric.
#[cfg(test)]
pub(crate) fn is_group_field(field: &str) -> bool {
    if GROUP.iter().any(|f| f.name == field) {
        return true;
    }
    let latency = GROUP_LATENCIES.iter().any(|(prefix, _)| {
        field
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| LATENCY.contains(&rest))
    });
    let partition = field
        .strip_prefix("partitions.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(_, f)| PARTITION.iter().any(|p| p.name == f));
    // A priority queue's classes: `classes.<p>.processed` and their
    // queue wait and end-to-end latency.
    let class = field
        .strip_prefix("classes.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(_, f)| {
            f == "processed" || (f != "classes" && is_group_field(f) && f.contains('.'))
        });
    latency || partition || class
}

/// Whether `name` names a metric: `topic.<field>`, `groups.<g>.<field>`
/// or `calls.<caller>.<service>.<field>`.
#[cfg(test)]
pub(crate) fn is_metric(name: &str) -> bool {
    const CALL: [&str; 15] = [
        "wasted",
        "shed",
        "throttled",
        "short_circuited",
        "degraded",
        "breaker_opened",
        "hedges",
        "hedges_won",
        "requests",
        "succeeded",
        "errors",
        "error_rate",
        "timeouts",
        "attempts",
        "refused",
    ];
    if let Some(rest) = name.strip_prefix("calls.") {
        let field = rest.splitn(3, '.').nth(2).unwrap_or_default();
        let latency = (field.strip_prefix("latency.")).is_some_and(|rest| LATENCY.contains(&rest));
        return latency || CALL.contains(&field);
    }
    if let Some(field) = name.strip_prefix("topic.") {
        let latency = field
            .strip_prefix(TOPIC_LATENCY)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| LATENCY.contains(&rest));
        return latency || TOPIC.iter().any(|f| f.name == field);
    }
    name.strip_prefix("groups.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(_, field)| is_group_field(field))
}

/// A value in `timeseries.csv`: a count, written as an integer, or a
/// measure.
pub(crate) enum Cell {
    /// Written as an integer.
    Count(u64),
    /// Written as the shortest decimal that reads back the same.
    Real(f64),
}

/// One `timeseries.csv` column after `time_s` and `group`.
pub(crate) struct Column {
    /// The header name, units in the name.
    pub name: &'static str,
    /// Its value in one row.
    pub read: fn(&SeriesRow) -> Cell,
}

/// The `timeseries.csv` columns after `time_s` and `group`, in order.
pub(crate) const SERIES: &[Column] = &[
    Column {
        name: "depth",
        read: |r| Cell::Count(r.depth),
    },
    Column {
        name: "depth_bytes",
        read: |r| Cell::Count(r.depth_bytes),
    },
    Column {
        name: "disk_depth",
        read: |r| Cell::Count(r.disk_depth),
    },
    Column {
        name: "oldest_age_s",
        read: |r| Cell::Real(r.oldest_age_s),
    },
    Column {
        name: "e2e_p99_s",
        read: |r| Cell::Real(r.e2e_p99_s),
    },
    Column {
        name: "in_flight",
        read: |r| Cell::Count(r.in_flight),
    },
    Column {
        name: "published_per_s",
        read: |r| Cell::Real(r.published_per_s),
    },
    Column {
        name: "accepted_per_s",
        read: |r| Cell::Real(r.accepted_per_s),
    },
    Column {
        name: "completed_per_s",
        read: |r| Cell::Real(r.completed_per_s),
    },
    Column {
        name: "dropped",
        read: |r| Cell::Count(r.dropped),
    },
    Column {
        name: "blocked",
        read: |r| Cell::Count(r.blocked),
    },
    Column {
        name: "delayed",
        read: |r| Cell::Count(r.delayed),
    },
    Column {
        name: "dead_lettered",
        read: |r| Cell::Count(r.dead_lettered),
    },
    Column {
        name: "redelivered_per_s",
        read: |r| Cell::Real(r.redelivered_per_s),
    },
    Column {
        name: "duplicate_side_effects",
        read: |r| Cell::Count(r.duplicate_side_effects),
    },
    Column {
        name: "wasted",
        read: |r| Cell::Count(r.wasted),
    },
    Column {
        name: "workers_up",
        read: |r| Cell::Count(r.workers_up),
    },
    Column {
        name: "workers",
        read: |r| Cell::Count(r.workers),
    },
];

/// Whether `name` is a `timeseries.csv` column.
#[cfg(test)]
pub(crate) fn is_column(name: &str) -> bool {
    name == "time_s" || name == "group" || SERIES.iter().any(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_recognised() {
        let mut names: Vec<&str> = GROUP.iter().map(|f| f.name).collect();
        names.sort_unstable();
        assert!(names.windows(2).all(|w| w[0] != w[1]));
        assert!(is_metric("groups.email.e2e.p99_s"));
        assert!(is_metric("groups.email.partitions.3.max_depth"));
        assert!(is_metric("groups.email.partitions.max.max_depth"));
        assert!(is_metric("topic.producer_latency.p50_s"));
        assert!(is_metric("topic.caller_error_share"));
        assert!(!is_metric("groups.email.end_to_end.p99_s"));
        assert!(!is_metric("topic.e2e.p99_s"));
        assert!(is_metric("calls.shop.checkout.latency.p99_s"));
        assert!(!is_metric("calls.shop.checkout.latency"));
        assert!(is_column("workers_up") && !is_column("workers_down"));
    }
}
