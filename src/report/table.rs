//! The short human table `mqsim run` prints.

use super::duration::{DURATION, human, human_ci};
use crate::experiment::Experiment;
use crate::scenario::Scenario;
use std::fmt::Write;

/// The partition fields the table shows, in its column order.
const PARTITION_COLUMNS: [&str; 4] = ["max_depth", "queued", "oldest_age_s", "processed"];

/// Topic rows of a queued run: label, metric.
const TOPIC_ROWS: [(&str, &str); 5] = [
    ("published", "topic.published"),
    ("rejected", "topic.rejected"),
    ("publish timeouts", "topic.publish_timeouts"),
    ("max blocked publishes", "topic.max_blocked"),
    ("caller-visible errors", "topic.caller_errors"),
];

/// Producer faults, shown only when they happened.
const PRODUCER_FAULT_ROWS: [(&str, &str); 7] = [
    ("refused, publisher not told", "topic.unreported"),
    ("producer retries", "topic.retries"),
    ("retries exhausted", "topic.retries_exhausted"),
    ("lost in producer crashes", "topic.lost"),
    ("acks lost", "topic.acks_lost"),
    ("duplicate publishes", "topic.duplicate_publishes"),
    (
        "duplicates suppressed (idempotent)",
        "topic.duplicates_suppressed",
    ),
];

/// The callers' rows of a sync-mode run.
const SYNC_ROWS: [(&str, &str); 6] = [
    ("requests", "topic.created"),
    ("attempts", "topic.published"),
    ("refused (downstream down)", "topic.rejected"),
    ("caller timeouts", "topic.caller_timeouts"),
    ("caller-visible errors", "topic.caller_errors"),
    ("wasted work (answered too late)", "topic.wasted"),
];

/// Every group's rows: label, field (after `groups.<g>.`), scale, digits.
const GROUP_ROWS: [(&str, &str, f64, usize); 22] = [
    ("processed", "processed", 1.0, 0),
    ("dropped (all reasons)", "dropped", 1.0, 0),
    ("  evicted", "dropped.evicted", 1.0, 0),
    ("  expired", "dropped.expired", 1.0, 0),
    ("  lost", "dropped.lost", 1.0, 0),
    ("dead-lettered", "dead_lettered", 1.0, 0),
    ("work lost", "work_lost", 1.0, 0),
    ("still queued", "queued", 1.0, 0),
    ("waiting to be redelivered", "delayed", 1.0, 0),
    ("in flight", "in_flight", 1.0, 0),
    ("max depth", "max_depth", 1.0, 0),
    ("oldest message, worst age", "max_age_s", 1.0, DURATION),
    ("mean depth", "mean_depth", 1.0, 2),
    ("utilisation (%)", "utilisation", 100.0, 1),
    ("throughput (msg/s)", "throughput_per_s", 1.0, 2),
    ("queue wait p50", "queue_wait.p50_s", 1.0, DURATION),
    ("queue wait p99", "queue_wait.p99_s", 1.0, DURATION),
    ("end-to-end mean", "e2e.mean_s", 1.0, DURATION),
    ("end-to-end p50", "e2e.p50_s", 1.0, DURATION),
    ("end-to-end p99", "e2e.p99_s", 1.0, DURATION),
    ("end-to-end p99.9", "e2e.p999_s", 1.0, DURATION),
    ("end-to-end max", "e2e.max_s", 1.0, DURATION),
];

/// A group's events, shown only when they happened: label, field.
const GROUP_EVENT_ROWS: [(&str, &str); 13] = [
    ("redeliveries", "redeliveries"),
    ("duplicate deliveries", "duplicate_deliveries"),
    ("duplicate side effects", "duplicate_side_effects"),
    ("duplicates suppressed", "suppressed_duplicates"),
    ("failed deliveries", "failures.failed"),
    ("timed-out deliveries", "failures.timed_out"),
    ("crashed deliveries", "failures.crashed"),
    ("ack timeouts", "failures.ack_timeouts"),
    ("out-of-order completions", "out_of_order"),
    ("rebalances", "rebalances"),
    ("workers owning no partition", "workers_without_partitions"),
    ("scale-ups", "scale_ups"),
    ("scale-downs", "scale_downs"),
];

/// Group fields the table names one by one.
const GROUP_FIELDS: [&str; 4] = [
    "workers_mean",
    "workers_max",
    "littles_law.l",
    "littles_law.lambda_w",
];

/// Formats a metric's mean with its interval, e.g. `1.234 ± 0.010`.
fn cell(experiment: &Experiment, name: &str, scale: f64, digits: usize) -> String {
    if digits == DURATION {
        return match experiment.metric(name) {
            Some(m) if m.ci.n > 1 => human_ci(m.ci.mean, m.ci.half_width),
            Some(m) => human_ci(m.ci.mean, 0.0),
            None => "-".into(),
        };
    }
    match experiment.metric(name) {
        Some(m) if m.ci.n > 1 => format!(
            "{:.digits$} ± {:.digits$}",
            m.ci.mean * scale,
            m.ci.half_width * scale
        ),
        Some(m) => format!("{:.digits$}", m.ci.mean * scale),
        None => "-".into(),
    }
}

/// The terminal summary: topic counts, then one block per group.
pub fn table(scenario: &Scenario, experiment: &Experiment) -> String {
    let mut out = String::new();
    let reps = scenario.replications;
    let _ = writeln!(
        out,
        "scenario {}  seed {}  replications {}{}",
        scenario.name,
        scenario.system.seed,
        reps,
        if reps > 1 { "  (mean ± 95% CI)" } else { "" }
    );
    let row = |out: &mut String, label: &str, value: String| {
        let _ = writeln!(out, "  {label:<28} {value}");
    };
    let system = &scenario.system;
    if system.call().is_some() {
        sync_rows(&mut out, experiment);
    }
    for t in (0..system.topics.len()).filter(|&t| system.graph || system.is_fed(t)) {
        // Each topic's rows under its own name (`topic.*` when it is the
        // only one, `topics.<name>.*` in a file that names its topics).
        let place = system.topic_place(t);
        let named = |name: &str| name.replacen("topic", &place, 1);
        if system.call().is_none() {
            let _ = writeln!(out, "topic {}", system.topics[t].name);
            for (label, name) in TOPIC_ROWS {
                row(&mut out, label, cell(experiment, &named(name), 1.0, 0));
            }
        }
        // Producer faults, shown only when they happened.
        for (label, name) in PRODUCER_FAULT_ROWS {
            let name = named(name);
            if experiment.metric(&name).is_some_and(|m| m.ci.mean > 0.0) {
                row(&mut out, label, cell(experiment, &name, 1.0, 0));
            }
        }
        let caller = |q: &str| {
            cell(
                experiment,
                &format!("{place}.producer_latency.{q}_s"),
                1.0,
                DURATION,
            )
        };
        row(&mut out, "caller latency p50", caller("p50"));
        row(&mut out, "caller latency p99", caller("p99"));
    }
    let n = system.groups.len();
    for (i, g) in system.groups.iter().chain(&system.services).enumerate() {
        // Groups read a topic; services (past them) are called directly.
        let (kind, called) = if i < n {
            ("group", "")
        } else {
            ("service", ", called directly")
        };
        match &g.autoscale {
            Some(a) => {
                let _ = writeln!(
                    out,
                    "{kind} {} ({} workers at the start, autoscaled {} to {}{called})",
                    g.name, g.workers, a.min, a.max
                );
            }
            None => {
                let _ = writeln!(out, "{kind} {} ({} workers{called})", g.name, g.workers);
            }
        }
        let p = format!("{kind}s.{}", g.name);
        for (label, field, scale, digits) in GROUP_ROWS {
            row(
                &mut out,
                label,
                cell(experiment, &format!("{p}.{field}"), scale, digits),
            );
        }
        let drain = format!("{p}.drain_s");
        if experiment.metric(&drain).is_some() {
            row(
                &mut out,
                "drained after the horizon",
                cell(experiment, &drain, 1.0, DURATION),
            );
        }
        for (label, field) in GROUP_EVENT_ROWS {
            let name = format!("{p}.{field}");
            if experiment.metric(&name).is_some_and(|m| m.ci.mean > 0.0) {
                row(&mut out, label, cell(experiment, &name, 1.0, 0));
            }
        }
        if g.autoscale.is_some() {
            let mean = cell(experiment, &format!("{p}.{}", GROUP_FIELDS[0]), 1.0, 1);
            row(&mut out, "workers, mean paid for", mean);
            let most = cell(experiment, &format!("{p}.{}", GROUP_FIELDS[1]), 1.0, 0);
            row(&mut out, "workers, most at once", most);
        }
        if i < n {
            partition_rows(&mut out, experiment, &p, system.topics[g.topic].partitions);
        }
        let l = cell(experiment, &format!("{p}.{}", GROUP_FIELDS[2]), 1.0, 3);
        let lw = cell(experiment, &format!("{p}.{}", GROUP_FIELDS[3]), 1.0, 3);
        row(&mut out, "Little's law L vs λW", format!("{l} vs {lw}"));
        let mean = |field: &str| {
            experiment
                .metric(&format!("{p}.{field}"))
                .map(|m| m.ci.mean)
        };
        if let Some(line) = super::verdict::verdict(mean) {
            let _ = writeln!(out, "  verdict: {line}");
        }
    }
    alert_rows(&mut out, scenario, experiment);
    path_rows(&mut out, experiment);
    out
}

/// Each alert rule: how often it fired, when first, for how long, and
/// whether before its group's first loss.
fn alert_rows(out: &mut String, scenario: &Scenario, experiment: &Experiment) {
    let system = &scenario.system;
    let places: Vec<String> = (system.groups.iter().chain(&system.services))
        .map(|g| g.name.clone())
        .chain(system.topics.iter().map(|t| format!("topic {}", t.name)))
        .collect();
    for rule in &system.alerts {
        let watched = places.get(rule.place as usize).map_or("", String::as_str);
        let threshold = if rule.metric.is_duration() {
            human(rule.threshold)
        } else {
            rule.threshold.to_string()
        };
        let _ = writeln!(
            out,
            "alert {} ({watched}: {} {} {threshold}, for {})",
            rule.name,
            rule.metric.name(),
            if rule.above { "above" } else { "below" },
            human(rule.hold.as_secs_f64())
        );
        let p = format!("alerts.{}", rule.name);
        let cell =
            |field: &str, digits: usize| cell(experiment, &format!("{p}.{field}"), 1.0, digits);
        for (label, field, digits) in super::run_report::ALERT_HEADLINE {
            if experiment.metric(&format!("{p}.{field}")).is_some() {
                let _ = writeln!(out, "  {label:<32} {}", cell(field, digits));
            }
        }
    }
}

/// The caller's side of a sync-mode run.
fn sync_rows(out: &mut String, experiment: &Experiment) {
    let _ = writeln!(out, "sync callers (no broker)");
    for (label, name) in SYNC_ROWS {
        let _ = writeln!(out, "  {label:<28} {}", cell(experiment, name, 1.0, 0));
    }
    let share = cell(experiment, "topic.caller_error_share", 100.0, 2);
    let _ = writeln!(out, "  {:<28} {share}", "caller-visible errors (%)");
}

/// Per-partition peak depth and final lag, so a hot partition stands out:
/// the partitions with the highest peak, as means across replications
/// (or, with too many partitions for per-partition metrics, replication
/// 0's own numbers).
fn partition_rows(out: &mut String, experiment: &Experiment, group: &str, partitions: u32) {
    if partitions < 2 {
        return;
    }
    let name = group.strip_prefix("groups.").unwrap_or(group);
    let per_partition = partitions as usize <= crate::experiment::MAX_PARTITION_METRICS;
    let _ = writeln!(
        out,
        "  {:<28} {:>12} {:>12} {:>14} {:>12}",
        if per_partition {
            "partition"
        } else {
            "partition (rep. 0)"
        },
        "peak depth",
        "lag (msgs)",
        "lag (oldest s)",
        "processed"
    );
    let rows: Vec<(u32, [f64; 4])> = if per_partition {
        let shown = super::run_report::hottest_partitions(
            experiment
                .metrics
                .iter()
                .filter(|m| m.name.starts_with(group))
                .map(|m| (m.name.clone(), m.ci.mean)),
            super::run_report::MAX_PARTITIONS_SHOWN,
        );
        shown
            .iter()
            .filter(|(g, _)| g == name)
            .map(|&(_, p)| {
                let m = |f: &str| {
                    experiment
                        .metric(&format!("{group}.partitions.{p}.{f}"))
                        .map_or(0.0, |m| m.ci.mean)
                };
                (p, PARTITION_COLUMNS.map(m))
            })
            .collect()
    } else {
        let parts = experiment
            .outcomes
            .first()
            .and_then(|o| o.groups.iter().find(|g| g.name == name))
            .map(|g| g.partitions.as_slice())
            .unwrap_or_default();
        let mut order: Vec<usize> = (0..parts.len()).collect();
        order.sort_by(|&a, &b| parts[b].max_depth.cmp(&parts[a].max_depth).then(a.cmp(&b)));
        order.truncate(super::run_report::MAX_PARTITIONS_SHOWN);
        order.sort_unstable();
        order
            .into_iter()
            .map(|i| {
                let x = &parts[i];
                let row = [
                    x.max_depth as f64,
                    x.queued as f64,
                    x.oldest_age_s,
                    x.processed as f64,
                ];
                (i as u32, row)
            })
            .collect()
    };
    for (p, [peak, lag, age, processed]) in &rows {
        let _ = writeln!(
            out,
            "  {p:<28} {peak:>12.0} {lag:>12.0} {age:>14.3} {processed:>12.0}"
        );
    }
    let more = partitions as usize - rows.len();
    if more > 0 {
        let csv = experiment
            .outcomes
            .first()
            .is_some_and(|o| !o.partition_series.is_empty());
        let where_ = match (csv, per_partition) {
            (true, _) => "; partitions.csv has every partition over time",
            (false, true) => "; summary.json has every partition",
            (false, false) => "",
        };
        let _ = writeln!(
            out,
            "  … {more} more partitions (those with the highest peak are shown){where_}"
        );
    }
}

/// Each path's time from the root (with links or several topics),
/// then each publish link's counts, then each call link's.
fn path_rows(out: &mut String, experiment: &Experiment) {
    let names: Vec<&str> = (experiment.metrics.iter())
        .filter_map(|m| m.name.strip_prefix("paths.")?.strip_suffix(".processed"))
        .collect();
    for name in names {
        let label = if name == "all" {
            "paths: ends of chains".to_owned()
        } else {
            format!("path {name}")
        };
        let _ = writeln!(out, "{label}");
        let p = format!("paths.{name}");
        let put = |out: &mut String, label: &str, value: String| {
            let _ = writeln!(out, "  {label:<28} {value}");
        };
        put(
            out,
            "processed",
            cell(experiment, &format!("{p}.processed"), 1.0, 0),
        );
        for q in ["mean", "p50", "p99"] {
            let value = cell(experiment, &format!("{p}.e2e.{q}_s"), 1.0, DURATION);
            put(out, &format!("from the root {q}"), value);
        }
        // At its last group: the wait for the delivery that succeeded, and
        // that delivery's processing.
        for (part, label) in [
            ("queue_wait", "last hop's wait"),
            ("processing", "last hop's work"),
        ] {
            let name = format!("{p}.{part}.mean_s");
            if experiment.metric(&name).is_some() {
                put(
                    out,
                    &format!("{label} mean"),
                    cell(experiment, &name, 1.0, DURATION),
                );
            }
        }
    }
    let links: Vec<&str> = (experiment.metrics.iter())
        .filter_map(|m| m.name.strip_prefix("links.")?.strip_suffix(".sent"))
        .collect();
    for name in links {
        let p = format!("links.{name}");
        let c = |f: &str| cell(experiment, &format!("{p}.{f}"), 1.0, 0);
        let _ = writeln!(
            out,
            "link {}  sent {}  accepted {}  refused {}",
            name.replacen('.', " -> ", 1),
            c("sent"),
            c("accepted"),
            c("refused")
        );
    }
    let calls: Vec<&str> = (experiment.metrics.iter())
        .filter_map(|m| m.name.strip_prefix("calls.")?.strip_suffix(".requests"))
        .collect();
    for name in calls {
        let p = format!("calls.{name}");
        let c = |f: &str, scale: f64, digits: usize| {
            cell(experiment, &format!("{p}.{f}"), scale, digits)
        };
        let _ = writeln!(
            out,
            "call {}  requests {}  errors {} ({}%)  timeouts {}  latency p50 {}  p99 {}",
            name.replacen('.', " -> ", 1),
            c("requests", 1.0, 0),
            c("errors", 1.0, 0),
            c("error_rate", 100.0, 2),
            c("timeouts", 1.0, 0),
            c("latency.p50_s", 1.0, DURATION),
            c("latency.p99_s", 1.0, DURATION),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sim::fields::{is_group_field, is_metric};

    /// Every metric the table names is one a run reports.
    #[test]
    fn every_named_metric_exists() {
        for field in PARTITION_COLUMNS {
            assert!(is_group_field(&format!("partitions.0.{field}")), "{field}");
        }
        let topic = TOPIC_ROWS
            .iter()
            .chain(&PRODUCER_FAULT_ROWS)
            .chain(&SYNC_ROWS);
        for (_, name) in topic {
            assert!(is_metric(name), "{name}");
        }
        assert!(is_metric("topic.caller_error_share"));
        let groups = GROUP_ROWS.iter().map(|r| r.1);
        let events = GROUP_EVENT_ROWS.iter().map(|r| r.1);
        for field in groups.chain(events).chain(GROUP_FIELDS) {
            assert!(is_group_field(field), "{field}");
        }
    }
}
