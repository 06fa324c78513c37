//! The alternatives `decide` weighs, and each one written as a scenario:
//! the same producers, arrivals, consumers and story, reached in a
//! different way.

use crate::scenario::workload::{Ordering, Workload};
use serde_json::{Map, Value, json};

/// How the producers reach the consumers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A direct call (sync mode) with resilience defaults, at today's
    /// workers.
    Direct,
    /// A direct call to a service autoscaled like Kubernetes' HPA.
    Autoscaled,
    /// A bounded worker pool inside the producer (`in_process` preset).
    InProcess,
    /// The database as a queue (`postgres_queue` preset).
    PostgresQueue,
    /// A transactional outbox and its relay (`outbox` preset).
    Outbox,
    /// A broker preset.
    Broker(&'static str),
}

/// The brokers weighed when the answer is a queue.
const BROKERS: [&str; 7] = [
    "kafka",
    "rabbitmq",
    "sqs",
    "sqs_fifo",
    "nats_jetstream",
    "redis_streams",
    "pulsar",
];

/// One alternative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alternative {
    /// What it is.
    pub kind: Kind,
}

/// Every alternative's name, in the order they are weighed.
pub fn names() -> Vec<&'static str> {
    let mut all = vec![
        "direct",
        "autoscaled",
        "in_process",
        "postgres_queue",
        "outbox",
    ];
    all.extend(BROKERS);
    all
}

/// Resilience defaults of the direct caller: Resilience4j's `Retry`
/// (`maxAttempts` 3, `waitDuration` 500 ms) and `CircuitBreaker` (every
/// field at its default), and Tomcat's `acceptCount` (100) on the service.
const RETRY_ATTEMPTS: u32 = 2;
const RETRY_WAIT: &str = "500ms";
const ACCEPT_QUEUE: u64 = 100;
/// The in-process pool's queue bound.
pub(super) const POOL_QUEUE: u64 = 1000;

impl Alternative {
    /// The one named `name`.
    pub fn named(name: &str) -> Option<Alternative> {
        let kind = match name {
            "direct" => Kind::Direct,
            "autoscaled" => Kind::Autoscaled,
            "in_process" => Kind::InProcess,
            "postgres_queue" => Kind::PostgresQueue,
            "outbox" => Kind::Outbox,
            other => Kind::Broker(BROKERS.into_iter().find(|b| *b == other)?),
        };
        Some(Alternative { kind })
    }

    /// The alternatives that apply to `w`: every one, or those it lists;
    /// `sqs_fifo` only when ordering per key is asked for.
    pub fn all(w: &Workload) -> Vec<Alternative> {
        names()
            .into_iter()
            .filter(|n| match &w.alternatives {
                Some(list) => list.iter().any(|l| l == n),
                None => *n != "sqs_fifo" || w.ordering == Ordering::PerKey,
            })
            .filter_map(Alternative::named)
            .collect()
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self.kind {
            Kind::Direct => "direct",
            Kind::Autoscaled => "autoscaled",
            Kind::InProcess => "in_process",
            Kind::PostgresQueue => "postgres_queue",
            Kind::Outbox => "outbox",
            Kind::Broker(b) => b,
        }
    }

    /// Whether the caller waits for the work (no queue between).
    pub fn is_direct(self) -> bool {
        matches!(self.kind, Kind::Direct | Kind::Autoscaled)
    }

    /// Whether `plan` sizes its workers: every design but the autoscaled
    /// one, which runs between today's workers and the most.
    pub fn is_sized(self) -> bool {
        self.kind != Kind::Autoscaled
    }

    /// Whether it is a broker (or the outbox in front of one).
    pub fn is_broker(self) -> bool {
        matches!(self.kind, Kind::Broker(_) | Kind::Outbox)
    }

    /// Operational weight, 0 (nothing to run) to 4 (a cluster), and why,
    /// as the articles rank it.
    pub fn weight(self) -> (u8, &'static str) {
        match self.kind {
            Kind::Direct => (0, "nothing new to run"),
            Kind::InProcess => (0, "a pool inside the process"),
            Kind::Autoscaled => (1, "an autoscaler on a stateless service"),
            Kind::PostgresQueue => (1, "a table in the database you already run"),
            Kind::Outbox => (2, "an outbox table and a relay, in front of a broker"),
            Kind::Broker("sqs" | "sqs_fifo") => (1, "managed: ~zero operations, vendor lock-in"),
            Kind::Broker("nats_jetstream" | "redis_streams") => {
                (2, "lighter weight: one more small service")
            }
            Kind::Broker("rabbitmq") => (3, "medium: a broker to run, monitor, upgrade"),
            Kind::Broker(_) => (4, "high: a cluster, as heavy as a Postgres cluster"),
        }
    }

    /// Broker nodes it adds to run (and pay for): a cluster of three for a
    /// replicated broker, three brokers and three bookies for Pulsar.
    pub fn broker_nodes(self) -> u32 {
        match self.kind {
            Kind::Broker("kafka" | "rabbitmq" | "nats_jetstream") => 3,
            Kind::Broker("pulsar") => 6,
            Kind::Broker("redis_streams") => 1,
            _ => 0,
        }
    }

    /// Per-message requests billed by a managed broker, and whether FIFO.
    pub fn billed_requests(self) -> Option<(f64, bool)> {
        match self.kind {
            Kind::Broker("sqs") => Some((3.0, false)),
            Kind::Broker("sqs_fifo") => Some((3.0, true)),
            _ => None,
        }
    }

    /// Whether a producer crash loses nothing the producer accepted: the
    /// work is in durable storage before the caller is answered.
    pub fn durable(self) -> bool {
        !matches!(self.kind, Kind::Direct | Kind::Autoscaled | Kind::InProcess)
    }

    /// Its partitions, when it has them (a Kafka topic: one consumer per
    /// partition at most, so as many as the most workers any consumer
    /// may get).
    pub fn partitions(self, w: &Workload) -> Option<u32> {
        matches!(self.kind, Kind::Broker("kafka"))
            .then(|| w.consumers.iter().map(|c| c.max_workers).max().unwrap_or(1))
    }

    /// The scenario of this alternative with `workers[i]` workers for
    /// consumer `i`, and `alerts` (scenario `[alerts]` tables) added.
    pub fn scenario(self, w: &Workload, workers: &[u32], alerts: &Map<String, Value>) -> Value {
        let mut s = Map::new();
        s.insert("name".into(), format!("{}-{}", w.name, self.name()).into());
        if let Some(d) = &w.description {
            s.insert("description".into(), d.clone().into());
        }
        s.insert("seed".into(), w.seed.into());
        s.insert("horizon".into(), w.horizon.to_string().into());
        if let Some(i) = w.sample_interval {
            s.insert("sample_interval".into(), i.to_string().into());
        }
        s.insert("replications".into(), w.replications.into());
        s.insert("drain".into(), true.into());
        s.insert("producers".into(), Value::Object(producers(w)));
        let mut topic = Map::new();
        topic.insert("name".into(), "events".into());
        match self.kind {
            Kind::Direct | Kind::Autoscaled => {
                s.insert("mode".into(), "sync".into());
                s.insert(
                    "sync".into(),
                    json!({
                        "timeout": w.timeout.to_string(),
                        "retry": { "attempts": RETRY_ATTEMPTS,
                                   "backoff": { "fixed": { "delay": RETRY_WAIT } } },
                        "breaker": {},
                        "accept_queue": { "capacity": ACCEPT_QUEUE },
                    }),
                );
            }
            Kind::InProcess => {
                topic.insert("preset".into(), "in_process".into());
                topic.insert("capacity".into(), POOL_QUEUE.into());
            }
            Kind::PostgresQueue => {
                topic.insert("preset".into(), "postgres_queue".into());
            }
            Kind::Outbox => {
                topic.insert("preset".into(), "outbox".into());
            }
            Kind::Broker(b) => {
                topic.insert("preset".into(), b.into());
            }
        }
        if let Some(p) = self.partitions(w) {
            topic.insert("partitions".into(), p.into());
        }
        s.insert("topic".into(), Value::Object(topic));
        s.insert("groups".into(), Value::Object(self.groups(w, workers)));
        if !alerts.is_empty() {
            s.insert("alerts".into(), Value::Object(alerts.clone()));
        }
        Value::Object(s)
    }

    fn groups(self, w: &Workload, workers: &[u32]) -> Map<String, Value> {
        let mut groups = Map::new();
        for (c, &n) in w.consumers.iter().zip(workers) {
            let mut g = Map::new();
            g.insert("workers".into(), n.into());
            g.insert("service".into(), c.service.clone());
            if c.failure_probability > 0.0 {
                g.insert("failure_probability".into(), c.failure_probability.into());
            }
            if c.poison_share > 0.0 {
                g.insert("poison_share".into(), c.poison_share.into());
            }
            // Pulsar keeps order per key with a Key_Shared subscription.
            if w.ordering == Ordering::PerKey && self.kind == Kind::Broker("pulsar") {
                g.insert("consumption".into(), "key_ordered".into());
            }
            if let Some(o) = w
                .outage
                .as_ref()
                .filter(|o| o.consumers.is_empty() || o.consumers.contains(&c.name))
            {
                let end = crate::scenario::Dur(o.at.0 + o.lasts.0);
                g.insert(
                    "outages".into(),
                    json!([{ "start": o.at.to_string(), "end": end.to_string() }]),
                );
            }
            if let Some(k) = w.consumer_crash {
                g.insert(
                    "crash".into(),
                    json!({ "mtbf": { "exponential": { "mean": k.every.to_string() } },
                            "mttr": { "constant": { "value": k.down.to_string() } } }),
                );
                g.insert("crash_after_side_effect".into(), k.after_side_effect.into());
            }
            if self.kind == Kind::Autoscaled {
                // Kubernetes' HPA: 15 s evaluations, 10% tolerance, a
                // 5-minute scale-down stabilisation; a pod ready 45 s after
                // the decision, which metrics see 30 s late.
                g.insert(
                    "autoscale".into(),
                    json!({ "min": c.workers, "max": c.max_workers,
                            "target_backlog_per_worker": 1,
                            "evaluation_period": "15s", "reaction_delay": "30s",
                            "startup_delay": "45s", "cooldown": "5m" }),
                );
            }
            groups.insert(c.name.clone(), Value::Object(g));
        }
        groups
    }
}

/// The producers: the arrivals, and the burst as a second producer of
/// the same keys and sizes; both crash when the story says so.
fn producers(w: &Workload) -> Map<String, Value> {
    let base = |arrival: Value| {
        let mut p = Map::new();
        p.insert("arrival".into(), arrival);
        p.insert("keys".into(), w.keys.clone());
        if let Some(size) = &w.size {
            p.insert("size".into(), size.clone());
        }
        if let Some(c) = w.producer_crash {
            p.insert(
                "crashes".into(),
                json!([{ "at": c.at.to_string(), "down": c.down.to_string() }]),
            );
        }
        Value::Object(p)
    };
    let mut producers = Map::new();
    producers.insert("app".into(), base(w.arrival.clone()));
    if let Some(b) = w.burst {
        producers.insert(
            "burst".into(),
            base(json!({ "burst": { "count": b.count, "at": b.at.to_string(),
                                    "over": b.over.to_string() } })),
        );
    }
    producers
}
