//! What `decide` compares: a few numbers per alternative, each the same
//! thing whatever the design, computed per replication from the run's own
//! metrics and given with its 95% interval across replications.

use crate::experiment::{CONFIDENCE, MetricValue, PointResult, metrics_of};
use crate::model::sim::RunOutcome;
use crate::scenario::workload::{Needs, Workload};
use crate::stats::ConfidenceInterval;
use std::collections::{BTreeMap, HashMap};

/// The measures, by name, with what each means (for `--slo`, the table
/// and the README).
pub const MEASURES: [(&str, &str); 16] = [
    (
        "e2e.p50_s",
        "end-to-end median, created to processed (the worst consumer)",
    ),
    ("e2e.p99_s", "end-to-end p99 (the worst consumer)"),
    (
        "caller.p50_s",
        "what the caller waits, median: the answer (direct, or needs = answer) or the publish ack",
    ),
    ("caller.p99_s", "what the caller waits, p99"),
    ("caller_errors", "requests or publishes the caller saw fail"),
    ("caller_error_share", "caller_errors as a share of requests"),
    (
        "lost",
        "messages whose work was never done (the worst consumer): refused, dropped, lost in a crash, dead-lettered",
    ),
    ("lost_share", "lost as a share of the messages sent"),
    (
        "crash_lost",
        "lost in crashes: what a crashed producer held in memory or had in flight (the worst consumer)",
    ),
    ("dead_lettered", "dead-lettered messages (all consumers)"),
    ("duplicates", "side effects done twice (all consumers)"),
    (
        "out_of_order",
        "messages processed before an earlier one of their key",
    ),
    (
        "peak_backlog",
        "most messages waiting at once (the worst consumer)",
    ),
    (
        "max_age_s",
        "worst age of the oldest waiting message (the lag)",
    ),
    (
        "worker_hours",
        "workers provisioned × hours, over the horizon",
    ),
    (
        "cost_per_month",
        "dollars a month at this load: workers, broker nodes, per-request prices",
    ),
];

/// Names of the measures that depend on a consumer's workers (the ones
/// the sizing searches on), judged consumer by consumer.
pub(super) const PER_CONSUMER: [&str; 6] = [
    "e2e.p50_s",
    "e2e.p99_s",
    "lost",
    "peak_backlog",
    "max_age_s",
    "dead_lettered",
];

/// Every measure's name.
pub(super) fn names() -> Vec<String> {
    MEASURES.iter().map(|(n, _)| (*n).to_owned()).collect()
}

/// Measures of one replication, and of each consumer in it.
struct Replication {
    all: BTreeMap<&'static str, f64>,
    per_consumer: Vec<BTreeMap<&'static str, f64>>,
}

/// The measures of an alternative's replications.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measures {
    /// Every measure across replications.
    pub all: BTreeMap<String, ConfidenceInterval>,
    /// The per-consumer measures of each consumer.
    pub per_consumer: Vec<BTreeMap<String, ConfidenceInterval>>,
}

/// How an alternative is billed, for `cost_per_month`.
#[derive(Clone, Copy, Debug)]
pub struct Billing {
    /// Whether the caller waits for the answer in this design.
    pub direct: bool,
    /// Broker nodes it runs.
    pub broker_nodes: u32,
    /// Requests billed per message and whether at FIFO prices.
    pub billed_requests: Option<(f64, bool)>,
    /// Whether the caller writes to an outbox in its own transaction.
    pub outbox: bool,
}

/// Hours in a month, as cloud bills count them.
pub const HOURS_PER_MONTH: f64 = 730.0;

impl Measures {
    /// The measures of `outcomes` (one per replication).
    pub fn of(outcomes: &[RunOutcome], w: &Workload, billing: Billing) -> Measures {
        let reps: Vec<Replication> = outcomes
            .iter()
            .map(|o| replication(o, w, billing))
            .collect();
        let across = |get: &dyn Fn(&Replication) -> Option<&BTreeMap<&'static str, f64>>| {
            let mut out = BTreeMap::new();
            let Some(first) = reps.first().and_then(get) else {
                return out;
            };
            for name in first.keys() {
                let values: Vec<f64> = reps
                    .iter()
                    .filter_map(|r| get(r)?.get(name).copied())
                    .collect();
                out.insert(
                    (*name).to_owned(),
                    ConfidenceInterval::of(&values, CONFIDENCE),
                );
            }
            out
        };
        Measures {
            all: across(&|r| Some(&r.all)),
            per_consumer: (0..w.consumers.len())
                .map(|i| across(&|r| r.per_consumer.get(i)))
                .collect(),
        }
    }

    /// The measures as a sweep point's metrics, for [`crate::experiment::Slo`].
    pub fn point(&self) -> PointResult {
        point(&self.all)
    }

    /// Consumer `i`'s measures as a point.
    pub fn consumer_point(&self, i: usize) -> PointResult {
        point(&self.per_consumer[i])
    }

    /// The mean of `name` (NaN when not measured).
    pub fn mean(&self, name: &str) -> f64 {
        self.all.get(name).map_or(f64::NAN, |c| c.mean)
    }

    /// `name`'s interval.
    pub fn ci(&self, name: &str) -> Option<&ConfidenceInterval> {
        self.all.get(name)
    }
}

fn point(m: &BTreeMap<String, ConfidenceInterval>) -> PointResult {
    PointResult {
        index: 0,
        params: BTreeMap::new(),
        error: None,
        metrics: m
            .iter()
            .map(|(n, c)| {
                (
                    n.clone(),
                    MetricValue {
                        mean: c.mean,
                        ci95_half_width: c.half_width,
                    },
                )
            })
            .collect(),
    }
}

fn replication(o: &RunOutcome, w: &Workload, billing: Billing) -> Replication {
    let m: HashMap<String, f64> = metrics_of(o).into_iter().collect();
    let get = |name: &str| m.get(name).copied().unwrap_or(0.0);
    let per_consumer: Vec<BTreeMap<&'static str, f64>> = w
        .consumers
        .iter()
        .map(|c| {
            let prefix = if m.contains_key(&format!("groups.{}.processed", c.name)) {
                format!("groups.{}", c.name)
            } else {
                format!("services.{}", c.name)
            };
            let at = |field: &str| get(&format!("{prefix}.{field}"));
            BTreeMap::from([
                ("e2e.p50_s", at("e2e.p50_s")),
                ("e2e.p99_s", at("e2e.p99_s")),
                ("lost", at("work_lost")),
                // Lost in crashes and never done (a caller's retry can
                // still do a request whose first attempt a crash took).
                ("crash_lost", at("dropped.lost").min(at("work_lost"))),
                ("peak_backlog", at("max_depth")),
                ("max_age_s", at("max_age_s")),
                ("dead_lettered", at("dead_lettered")),
                ("duplicates", at("duplicate_side_effects")),
                ("out_of_order", at("out_of_order")),
                ("workers_mean", at("workers_mean")),
                ("processed", at("processed")),
            ])
        })
        .collect();
    let max = |name: &str| per_consumer.iter().map(|c| c[name]).fold(0.0_f64, f64::max);
    let sum = |name: &str| per_consumer.iter().map(|c| c[name]).sum::<f64>();
    let answer_now = billing.direct || w.needs == Needs::Answer;
    // A direct caller's requests are call links from the producers (with
    // a breaker or a pool, sync mode writes them so); else the topic's
    // producer side holds them.
    let calls: Vec<&str> = m
        .keys()
        .filter(|k| k.starts_with("calls.app.") || k.starts_with("calls.burst."))
        .filter_map(|k| k.strip_suffix(".requests"))
        .collect();
    let from_calls = |field: &str, fold: fn(f64, f64) -> f64| {
        calls
            .iter()
            .map(|c| get(&format!("{c}.{field}")))
            .fold(0.0, fold)
    };
    let (mut caller_errors, requests, caller_p50, caller_p99) = if !calls.is_empty() {
        (
            from_calls("errors", |a, b| a + b),
            from_calls("requests", |a, b| a + b),
            from_calls("latency.p50_s", f64::max),
            from_calls("latency.p99_s", f64::max),
        )
    } else if billing.direct || w.needs == Needs::Ack {
        (
            get("topic.caller_errors"),
            get("topic.created"),
            get("topic.producer_latency.p50_s"),
            get("topic.producer_latency.p99_s"),
        )
    } else {
        (
            get("topic.caller_errors"),
            get("topic.created"),
            max("e2e.p50_s"),
            max("e2e.p99_s"),
        )
    };
    // The outbox row is written in the caller's own transaction: the
    // relay's wait for its sweep (the preset's publish latency) is not
    // the caller's.
    let (caller_p50, caller_p99) = if billing.outbox && w.needs == Needs::Ack {
        (0.0, 0.0)
    } else {
        (caller_p50, caller_p99)
    };
    // A caller that needs the answer sees lost work as an error too.
    if answer_now && !billing.direct {
        caller_errors += max("lost");
    }
    let created = requests.max(1.0);
    let hours = w.horizon.0.as_secs_f64() / 3600.0;
    let worker_hours = sum("workers_mean") * hours;
    let p = w.prices;
    let per_hour = sum("workers_mean") * p.worker_hour
        + f64::from(billing.broker_nodes) * p.broker_node_hour
        + billing.billed_requests.map_or(0.0, |(requests, fifo)| {
            let price = if fifo {
                p.sqs_fifo_per_million_requests
            } else {
                p.sqs_per_million_requests
            };
            // Every consumer reads and deletes each message itself.
            let per_message = 1.0 + (requests - 1.0) * w.consumers.len() as f64;
            created / hours.max(f64::MIN_POSITIVE) * per_message * price / 1e6
        });
    let all = BTreeMap::from([
        ("e2e.p50_s", max("e2e.p50_s")),
        ("e2e.p99_s", max("e2e.p99_s")),
        ("caller.p50_s", caller_p50),
        ("caller.p99_s", caller_p99),
        ("caller_errors", caller_errors),
        ("caller_error_share", caller_errors / created),
        ("lost", max("lost")),
        ("lost_share", max("lost") / created),
        ("crash_lost", max("crash_lost")),
        ("dead_lettered", sum("dead_lettered")),
        ("duplicates", sum("duplicates")),
        // A direct caller's concurrent requests of one key race: the
        // design cannot promise order, whatever a run shows.
        (
            "out_of_order",
            if billing.direct && w.ordering == crate::scenario::workload::Ordering::PerKey {
                f64::NAN
            } else {
                sum("out_of_order")
            },
        ),
        ("peak_backlog", max("peak_backlog")),
        ("max_age_s", max("max_age_s")),
        ("worker_hours", worker_hours),
        ("cost_per_month", per_hour * HOURS_PER_MONTH),
    ]);
    let per_consumer = per_consumer
        .into_iter()
        .map(|c| {
            c.into_iter()
                .filter(|(n, _)| PER_CONSUMER.contains(n))
                .collect()
        })
        .collect();
    Replication { all, per_consumer }
}
