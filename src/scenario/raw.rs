//! The scenario file schema as written: serde structs with unknown fields
//! denied and externally tagged enums. Validation turns these into the
//! model's types; serialising them back gives the normalised scenario.

use super::duration::Dur;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Name used for the output folder; defaults to the file's stem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text: the question this scenario answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seed of every random stream.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time during which producers publish.
    pub horizon: Dur,
    /// Initial period excluded from latency and rate statistics.
    #[serde(default)]
    pub warmup: Dur,
    /// Independent runs with derived seeds.
    #[serde(default = "default_replications")]
    #[schemars(range(min = 1))]
    pub replications: u32,
    /// Time-series interval; defaults to horizon / 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_interval: Option<Dur>,
    /// Keep running after the horizon, without new arrivals, until empty.
    #[serde(default)]
    pub drain: bool,
    /// `queued` (producers → topic → groups) or `sync` (producers call the
    /// group's service directly, no broker).
    #[serde(default)]
    pub mode: RawMode,
    /// Callers in sync mode.
    #[serde(default)]
    pub sync: RawSync,
    /// Safety limits.
    #[serde(default)]
    pub limits: RawLimits,
    /// The topic every producer publishes to (a single-topic file).
    /// Absent in a file that names its topics (`topics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<RawTopic>,
    /// Topics by name, for an architecture of several topics: producers
    /// and groups name the topic they publish to or read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub topics: BTreeMap<String, RawTopic>,
    /// Producers by name.
    pub producers: BTreeMap<String, RawProducer>,
    /// Consumer groups by name; each receives every message.
    pub groups: BTreeMap<String, RawGroup>,
    /// Alert rules by name, evaluated inside the simulation at every
    /// sample: when each fires, how often, and whether before the damage.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alerts: BTreeMap<String, RawAlert>,
    /// The JSON Schema the file follows (`mqsim schema`), for editors;
    /// mqsim ignores it.
    #[serde(rename = "$schema", default, skip_serializing)]
    pub schema: Option<String>,
}

fn default_seed() -> u64 {
    1
}

/// An alert rule: a metric of one group, service or topic, a threshold,
/// and how long the condition must hold before it fires (Prometheus's
/// `for`).
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlert {
    /// What it watches.
    pub metric: crate::model::alert::AlertMetric,
    /// The group or service it watches; the only one when there is one
    /// and no `topic` is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The topic it watches instead of a group (by its name: the key of
    /// `[topics.<name>]`, or `[topic]`'s `name`): `depth` and
    /// `oldest_age` of its readers' deepest buffer and oldest message,
    /// `drop_rate` of the publishes it refused or lost, `arrival_rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Fires while the metric is above this: a count, a rate per second,
    /// or for `oldest_age` and `e2e_p99` a duration ("60s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<RawThreshold>,
    /// Fires while the metric is below this (e.g. workers up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<RawThreshold>,
    /// How long the condition must hold, sample after sample, before the
    /// alert fires; 0 fires at the first sample that meets it.
    #[serde(default, rename = "for")]
    pub hold: Dur,
}

/// A threshold: a number, or a duration for the metrics in seconds.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(untagged)]
pub enum RawThreshold {
    /// A count, a rate per second, or seconds.
    Number(f64),
    /// A duration such as "60s".
    Duration(Dur),
}

fn default_replications() -> u32 {
    1
}

/// How producers reach the consumer group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawMode {
    /// Through the topic.
    #[default]
    Queued,
    /// A direct call that holds the caller until the answer.
    Sync,
}

/// Callers in sync mode.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSync {
    /// A caller gives up on an attempt after this long.
    #[serde(default = "default_sync_timeout")]
    pub timeout: Dur,
    /// Retries after an error or a timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RawRetry>,
    /// The caller's patience, drawn for each attempt (replaces `timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience: Option<RawDist<Dur>>,
    /// Most requests the producers have waiting at once; one more is
    /// refused at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<u32>,
    /// A retry budget: retries stop while too many attempts fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_budget: Option<RawRetryBudget>,
    /// A circuit breaker over the attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<RawBreaker>,
    /// Hedged attempts (instead of retries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hedge: Option<RawHedge>,
    /// Each attempt carries the caller's deadline to the service.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub propagate_deadline: bool,
    /// The accept queue of every downstream without one of its own (the
    /// groups that read a topic, called in sync mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_queue: Option<RawAcceptQueue>,
}

fn default_sync_timeout() -> Dur {
    Dur(crate::engine::SimDuration::from_secs(30))
}

impl Default for RawSync {
    fn default() -> Self {
        RawSync {
            timeout: default_sync_timeout(),
            retry: None,
            patience: None,
            pool: None,
            retry_budget: None,
            breaker: None,
            hedge: None,
            propagate_deadline: false,
            accept_queue: None,
        }
    }
}

/// Guards against runaway growth.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Stop the run when queued plus blocked messages exceed this.
    #[serde(default = "default_max_queued")]
    pub max_queued: u64,
    /// With `drain`, stop at most this long after the horizon (a message
    /// that fails forever would otherwise never drain).
    #[serde(default = "default_max_drain")]
    pub max_drain: Dur,
    /// Stop a replication after this many events (a run that would take
    /// hours is refused before it starts when its arrivals alone exceed it).
    #[serde(default = "default_max_events")]
    pub max_events: u64,
}

fn default_max_events() -> u64 {
    1_000_000_000
}

fn default_max_drain() -> Dur {
    Dur(crate::engine::SimDuration::from_secs(86_400))
}

fn default_max_queued() -> u64 {
    5_000_000
}

impl Default for RawLimits {
    fn default() -> Self {
        RawLimits {
            max_queued: default_max_queued(),
            max_drain: default_max_drain(),
            max_events: default_max_events(),
        }
    }
}

/// The topic: bounded buffer, backpressure policy, publish latency, TTL.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    /// Name shown in reports.
    #[serde(default = "default_topic_name")]
    pub name: String,
    /// A real broker's semantics and defaults (kafka, rabbitmq, sqs, …):
    /// fields not set in the file take the preset's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Messages survive a producer crash (a broker). False for a buffer
    /// inside the producer's process: a producer crash loses its content.
    #[serde(default = "yes")]
    pub durable: bool,
    /// Ordered lanes; a key always maps to the same partition.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 100_000))]
    pub partitions: u32,
    /// A priority queue with priorities 0 to this (RabbitMQ's
    /// `x-max-priority`): workers take the highest priority first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_priority: Option<u32>,
    /// How messages are spread over partitions.
    #[serde(default)]
    pub partitioner: RawPartitioner,
    /// Ready messages each group's buffer holds; unbounded when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    /// Bytes of ready messages each group's buffer holds; unbounded when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_bytes: Option<u64>,
    /// What happens to a publish when the buffer is full, with the
    /// policy's own options: `"reject"`, `"drop_oldest"`,
    /// `{ block = { max_block = "2s" } }`, `{ spill = { disk_capacity = … } }`.
    #[serde(default)]
    pub policy: RawPolicy,
    /// Time from send until the topic has accepted a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_latency: Option<RawDist<Dur>>,
    /// Time from accepted until deliverable (the broker's own hand-off:
    /// replication, a commit, a fetch that sees it). Order of acceptance
    /// is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_latency: Option<RawDelay>,
    /// Messages older than this (since creation) are dropped as expired;
    /// a distribution draws each message's own (its patience).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<RawDelay>,
    /// What happens to expired messages.
    #[serde(default)]
    pub ttl_action: RawTtlAction,
    /// When deliveries are acknowledged.
    #[serde(default)]
    pub delivery: RawDeliveryMode,
    /// Visibility timeout: a delivery not acked within it is delivered
    /// again; absent: only a nack or a crash returns a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_timeout: Option<Dur>,
    /// Wait before a nacked message is delivered again (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redelivery_backoff: Option<RawBackoff>,
    /// Where a returned message goes: the head (default) or the tail.
    #[serde(default)]
    pub requeue: RawRequeue,
    /// Dead-letter a message after this many deliveries (with `dlq`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deliveries: Option<u32>,
    /// Whether there is a dead-letter queue (default true); without one a
    /// failing message is retried forever.
    #[serde(default = "yes")]
    pub dlq: bool,
}

/// What happens to a message whose TTL has passed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawTtlAction {
    /// Dropped with reason `expired`.
    #[default]
    Drop,
    /// Moved to the dead-letter queue.
    DeadLetter,
}

/// When deliveries are acknowledged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawDeliveryMode {
    /// Ack after processing.
    #[default]
    AtLeastOnce,
    /// Ack on receipt.
    AtMostOnce,
}

/// Where a returned message goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawRequeue {
    /// Next to be delivered.
    #[default]
    Head,
    /// Behind everything waiting.
    Tail,
}

/// Delay between attempts.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawBackoff {
    /// The same delay every time.
    Fixed {
        /// The delay.
        delay: Dur,
    },
    /// `initial · multiplierⁿ⁻¹` capped at `max`, minus up to `jitter` of it.
    Exponential {
        /// First delay.
        initial: Dur,
        /// Growth per attempt.
        #[serde(default = "two")]
        multiplier: f64,
        /// Largest delay.
        max: Dur,
        /// Share of each delay removed at random (0 to 1).
        #[serde(default)]
        #[schemars(range(min = 0.0, max = 1.0))]
        jitter: f64,
    },
}

fn two() -> f64 {
    2.0
}

fn one() -> u32 {
    1
}

/// How messages are spread over partitions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawPartitioner {
    /// By a hash of the key: a key always lands on the same partition.
    #[default]
    KeyHash,
    /// In turn, whatever the key.
    RoundRobin,
}

/// How a group's workers share the partitions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawConsumption {
    /// Any worker takes the oldest ready message of any partition.
    #[default]
    Competing,
    /// Each partition is owned by one worker and processed strictly in
    /// order: one message in flight per partition.
    Partitioned,
    /// Any worker takes the oldest message whose key has nothing in
    /// flight: one message per key at a time, in order per key (SQS FIFO
    /// message groups, Pulsar Key_Shared).
    KeyOrdered,
}

fn default_topic_name() -> String {
    "topic".to_owned()
}

impl Default for RawTopic {
    fn default() -> Self {
        RawTopic {
            name: default_topic_name(),
            preset: None,
            durable: true,
            partitions: 1,
            max_priority: None,
            partitioner: RawPartitioner::default(),
            capacity: None,
            capacity_bytes: None,
            policy: RawPolicy::default(),
            publish_latency: None,
            handoff_latency: None,
            ttl: None,
            ttl_action: RawTtlAction::default(),
            delivery: RawDeliveryMode::default(),
            ack_timeout: None,
            redelivery_backoff: None,
            requeue: RawRequeue::default(),
            max_deliveries: None,
            dlq: true,
        }
    }
}

/// Backpressure policy when a buffer is full, externally tagged with its
/// own options, so an option of another policy cannot be written. A policy
/// without options may be written by name alone (`policy = "block"`).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawPolicy {
    /// Drop the newest: the publish fails with reason `rejected`.
    #[default]
    Reject,
    /// Evict the oldest ready message (reason `evicted`) to make room.
    DropOldest,
    /// The publish waits for room, up to `max_block`.
    Block(RawBlock),
    /// Overflow to a slower disk tier; reject when that is full too.
    Spill(RawSpill),
}

/// The options of `policy = { block = { … } }`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBlock {
    /// How long a publish may wait before it fails; forever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_block: Option<Dur>,
}

/// The policy as written: a table naming the policy and holding its
/// options.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum TaggedPolicy {
    Reject {},
    DropOldest {},
    Block(RawBlock),
    Spill(RawSpill),
}

/// The policy as written: its name alone.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum NamedPolicy {
    Reject,
    DropOldest,
    Block,
    Spill,
}

impl<'de> Deserialize<'de> for RawPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawPolicy, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawPolicy;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a policy: \"reject\", \"drop_oldest\", \"block\", \"spill\", or a table such as { block = { max_block = \"2s\" } }")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<RawPolicy, E> {
                let named =
                    NamedPolicy::deserialize(serde::de::value::StrDeserializer::<E>::new(name))?;
                Ok(match named {
                    NamedPolicy::Reject => RawPolicy::Reject,
                    NamedPolicy::DropOldest => RawPolicy::DropOldest,
                    NamedPolicy::Block => RawPolicy::Block(RawBlock::default()),
                    NamedPolicy::Spill => RawPolicy::Spill(RawSpill::default()),
                })
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawPolicy, A::Error> {
                let tagged =
                    TaggedPolicy::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(match tagged {
                    TaggedPolicy::Reject {} => RawPolicy::Reject,
                    TaggedPolicy::DropOldest {} => RawPolicy::DropOldest,
                    TaggedPolicy::Block(b) => RawPolicy::Block(b),
                    TaggedPolicy::Spill(s) => RawPolicy::Spill(s),
                })
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The options of `policy = { spill = { … } }`: the disk tier.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpill {
    /// Messages the disk tier holds; unbounded when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_capacity: Option<u64>,
    /// Bytes the disk tier holds; unbounded when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_capacity_bytes: Option<u64>,
    /// Extra time to read a spilled message back before its delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_latency: Option<RawDist<Dur>>,
}

impl RawScenario {
    /// The services a call link names (of a group or a producer): the
    /// groups called directly, and any name no group has.
    pub fn called_services(&self) -> std::collections::BTreeSet<&String> {
        let by_groups = self
            .groups
            .values()
            .flat_map(|g| g.call.iter().map(|l| &l.service));
        let by_producers =
            (self.producers.values()).filter_map(|p| Some(&p.call.as_ref()?.service));
        by_groups.chain(by_producers).collect()
    }
}

/// A producer: arrival process, keys and sizes.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawProducer {
    /// The topic it publishes to, by name (with several `topics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The service it calls directly instead (each message a request that
    /// holds its caller until the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<RawCall>,
    /// When messages are created.
    pub arrival: RawArrival,
    /// How keys are chosen.
    #[serde(default)]
    pub keys: RawKeys,
    /// Message size in bytes; 1024 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<RawDist<f64>>,
    /// The producer starts publishing at this time.
    #[serde(default)]
    pub start: Dur,
    /// The producer stops publishing at this time (default: the horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Dur>,
    /// Whether the publish waits for the broker's answer (default true);
    /// `false` is fire-and-forget (core NATS, Kafka's `acks=0`): a refused
    /// publish is never reported to the producer, so it is no
    /// caller-visible error and is never retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acks: Option<bool>,
    /// Probability that an accepted publish's ack is lost.
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub ack_loss: f64,
    /// How long the producer waits for an ack before retrying (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_timeout: Option<Dur>,
    /// The broker discards retried publishes it already has.
    #[serde(default)]
    pub idempotent: bool,
    /// Retries after a rejected or unacknowledged publish (`attempts` is
    /// required unless the topic's preset gives it: kafka, outbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::preset_retry")]
    pub retry: Option<RawRetry>,
    /// Crashes, which lose what the producer has not yet handed over.
    #[serde(default)]
    pub crashes: Vec<RawProducerCrash>,
    /// Every message this producer sends is malformed: it fails on every
    /// delivery in every group (a poison message).
    #[serde(default)]
    pub poison: bool,
    /// The priority of every message it sends (0 when absent, as a
    /// message without one in RabbitMQ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// Or priorities by share of its messages (the rest: 0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<RawPriorityShare>,
}

/// A share of a producer's messages with one priority.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPriorityShare {
    /// The priority.
    pub priority: u32,
    /// The share of the producer's messages (0-1).
    pub share: f64,
}

/// A producer's retry policy.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    /// Retries after the first attempt.
    pub attempts: u32,
    /// Wait before each retry (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<RawBackoff>,
}

/// A scheduled producer crash.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawProducerCrash {
    /// When the producer crashes.
    pub at: Dur,
    /// How long it stays down (its arrivals are lost meanwhile).
    #[serde(default)]
    pub down: Dur,
}

/// A consumer group: workers and their service time.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// The topic it reads, by name (with several `topics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Units of concurrency; each processes one message at a time.
    pub workers: u32,
    /// Time to process one message.
    pub service: RawDist<Dur>,
    /// Competing consumers, or partitions owned by workers (in order).
    #[serde(default)]
    pub consumption: RawConsumption,
    /// With partitioned consumption: when workers come or go, partitions
    /// are reassigned after this pause, during which none is consumed.
    #[serde(default)]
    pub rebalance_pause: Dur,
    /// Idle workers poll for messages this often (0s: they are pushed
    /// messages at once). Workers' polls are staggered over the interval.
    #[serde(default)]
    pub poll_interval: Dur,
    /// What the broker and its client add to each delivery on the worker
    /// (fetch, ack, serialisation), beside the service time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_overhead: Option<RawDelay>,
    /// Messages a worker holds at once, the one it runs included
    /// (RabbitMQ's `basic.qos` prefetch, Kafka's `max.poll.records`, an
    /// SQS receive of up to 10); 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefetch: Option<u32>,
    /// The round trip to the broker a worker pays for a delivery it did
    /// not hold already (with polling: once per poll that brings
    /// messages), beside `delivery_overhead`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_overhead: Option<RawDelay>,
    /// Most deliveries per second to this group, over the whole topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rate_per_s: Option<f64>,
    /// Most deliveries per second to this group from one partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_max_rate_per_s: Option<f64>,
    /// Most deliveries per second to this group of one key (an ordering
    /// group); competing or key-ordered consumption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_max_rate_per_s: Option<f64>,
    /// Scale the number of workers with the backlog or the utilisation
    /// (`workers` is the starting count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<RawAutoscale>,
    /// Probability that a delivery fails (transient, independent).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub failure_probability: f64,
    /// Share of messages that fail on every delivery (poison).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub poison_share: f64,
    /// A delivery still running after this long fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_timeout: Option<Dur>,
    /// Windows during which the whole group is down.
    #[serde(default)]
    pub outages: Vec<RawOutage>,
    /// Windows during which the service degrades (slower, failing more).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brownouts: Vec<RawBrownout>,
    /// Random crash and restart of each worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<RawCrash>,
    /// Share of crashes between the side effect and the ack.
    #[serde(default)]
    pub crash_after_side_effect: f64,
    /// Idempotent consumer: duplicates within this window are suppressed
    /// ("forever" for no expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_window: Option<Dur>,
    /// What it publishes onward each time it processes a message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publish: Vec<RawPublish>,
    /// The services it calls directly, in order, once its own work is
    /// done (a group named here is called, and reads no topic).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub call: Vec<RawCall>,
    /// A service called directly: the queue of requests it accepted and
    /// has not started (unbounded FIFO when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_queue: Option<RawAcceptQueue>,
}

/// A called service's accept queue: at most `capacity` requests wait for a
/// worker (0: a request that finds every worker busy is refused at once,
/// as a saturated thread pool answers 503), taken in `discipline` order.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAcceptQueue {
    /// Most requests waiting; unbounded when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    /// Which waiting request a free worker takes.
    #[serde(default)]
    pub discipline: RawDiscipline,
    /// A waiting request whose caller gave up on it is dropped before it
    /// runs (the server hears of the cancellation); by default it still
    /// runs, its work wasted.
    #[serde(default)]
    pub cancel: bool,
    /// CoDel's target wait (5 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Dur>,
    /// CoDel's and adaptive LIFO's interval (100 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Dur>,
    /// Priorities 0 to this: the highest waiting request is taken first
    /// (in sync mode, the topic's `max_priority` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_priority: Option<u32>,
}

/// Which waiting request a free worker takes.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawDiscipline {
    /// The oldest.
    #[default]
    Fifo,
    /// The newest.
    Lifo,
    /// The oldest, or the newest once the queue stayed non-empty for an
    /// interval (Facebook's adaptive LIFO).
    AdaptiveLifo,
    /// The oldest, shedding as RFC 8289's CoDel.
    Codel,
}

/// A call link: each processing calls `service` with probability
/// `probability`, holding its worker until the answer.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCall {
    /// The service called, by its group name.
    pub service: String,
    /// Chance that a processing makes this call.
    #[serde(default = "certain")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub probability: f64,
    /// The caller gives up on an attempt after this long (as `sync.timeout`).
    #[serde(default = "default_sync_timeout")]
    pub timeout: Dur,
    /// Retries after an error or a timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RawRetry>,
    /// The caller's patience, drawn for each attempt (replaces `timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience: Option<RawDist<Dur>>,
    /// Most requests waiting at once on this link (a bulkhead); one more
    /// is refused at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<u32>,
    /// A retry budget: retries stop while too many attempts fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_budget: Option<RawRetryBudget>,
    /// A circuit breaker over the attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<RawBreaker>,
    /// Hedged attempts (instead of retries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hedge: Option<RawHedge>,
    /// Each attempt carries the caller's deadline to the service.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub propagate_deadline: bool,
}

/// A circuit breaker (Resilience4j's, count-based): every field defaults
/// to Resilience4j's default.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBreaker {
    /// Share of failed attempts that opens it (0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_rate: Option<f64>,
    /// Share of slow attempts that opens it (1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_call_rate: Option<f64>,
    /// An attempt longer than this is slow (60 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_call: Option<Dur>,
    /// The sliding window: the last N attempts (100), or a span such as
    /// "60s" (Resilience4j's TIME_BASED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<RawWindow>,
    /// Failures in a row that open it whatever the rates (none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_failures: Option<u32>,
    /// Attempts recorded before a rate is judged (100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_calls: Option<u32>,
    /// How long it stays open (60 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_for: Option<Dur>,
    /// Attempts let through half-open (10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_open_calls: Option<u32>,
    /// What a refused caller gets.
    #[serde(default)]
    pub fallback: RawFallback,
}

/// What a caller gets when its breaker refuses the call.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawFallback {
    /// An error at once.
    #[default]
    Fail,
    /// A cached or default answer, counted as degraded.
    Degraded,
}

/// Hedged attempts: another after `delay` (or the `quantile` of the link's
/// attempt latencies) without an answer, up to `max_attempts` in all.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHedge {
    /// Attempts in all, the first included.
    #[serde(default = "two_attempts")]
    pub max_attempts: u32,
    /// A fixed delay before each hedge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Dur>,
    /// Or this quantile (0-1) of the attempts' latencies so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f64>,
}

fn two_attempts() -> u32 {
    2
}

/// A retry budget: gRPC's retry throttling (`max_tokens`, `token_ratio`:
/// a token count starting at `max_tokens`, less 1 for each failed
/// attempt, plus `token_ratio` for each success; a retry is sent only
/// while the count is above half of `max_tokens`), or Envoy's
/// (`budget_percent`, `min_retry_concurrency`: retries in progress at
/// most that percent of the requests in progress, and at least that
/// many).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetryBudget {
    /// gRPC: the count's ceiling, and its start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<f64>,
    /// gRPC: tokens a success gives back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_ratio: Option<f64>,
    /// Envoy: retries in progress, in percent of the requests in progress
    /// (Envoy's default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_percent: Option<f64>,
    /// Envoy: retries in progress always allowed (Envoy's default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_retry_concurrency: Option<u32>,
}

/// A publish link: each processed message publishes `count` children to
/// `topic`, with probability `probability`.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPublish {
    /// The topic published to, by name.
    pub topic: String,
    /// Children per processed message (when the draw says publish).
    #[serde(default = "one")]
    pub count: u32,
    /// Chance that a processed message publishes its children.
    #[serde(default = "certain")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub probability: f64,
    /// The children's key: the parent's (`"keep"`), or drawn
    /// (`{ uniform = { n = 100 } }`).
    #[serde(default)]
    pub key: RawChildKey,
    /// The children's size in bytes; the parent's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<RawDist<f64>>,
}

fn certain() -> f64 {
    1.0
}

/// The key of a message a service publishes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawChildKey {
    /// The parent's key.
    #[default]
    Keep,
    /// Uniform over `n` keys.
    Uniform {
        /// Number of keys.
        n: u64,
    },
}

/// Autoscaling of a group's workers, evaluated periodically like
/// Kubernetes' HPA or KEDA.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutoscale {
    /// Fewest workers.
    pub min: u32,
    /// Most workers.
    pub max: u32,
    /// Target ready messages per worker (one of the two targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_backlog_per_worker: Option<f64>,
    /// Target busy share of workers, 0 to 1 (one of the two targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_utilisation: Option<f64>,
    /// How often the metric is evaluated.
    #[serde(default = "fifteen_seconds")]
    pub evaluation_period: Dur,
    /// No scaling while the metric is within this share of its target
    /// (Kubernetes' default tolerance is 0.1).
    #[serde(default = "one_tenth")]
    pub tolerance: f64,
    /// Delay between a decision and the request for workers (metrics
    /// pipeline, controller lag).
    #[serde(default)]
    pub reaction_delay: Dur,
    /// Time a new worker takes to start before it takes messages.
    #[serde(default)]
    pub startup_delay: Dur,
    /// Scale-down stabilisation window: the group scales down only to the
    /// highest count recommended within this long (Kubernetes' default is
    /// 5 minutes).
    #[serde(default = "five_minutes")]
    pub cooldown: Dur,
}

fn fifteen_seconds() -> Dur {
    Dur(crate::engine::SimDuration::from_secs(15))
}

fn one_tenth() -> f64 {
    0.1
}

fn five_minutes() -> Dur {
    Dur(crate::engine::SimDuration::from_secs(300))
}

/// A window during which a service degrades.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBrownout {
    /// When it starts.
    pub start: Dur,
    /// When it ends.
    pub end: Dur,
    /// Service times are multiplied by this.
    #[serde(default = "certain")]
    pub latency_factor: f64,
    /// Extra chance that a processing fails.
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub failure_probability: f64,
}

/// A window during which a whole group is down.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutage {
    /// When the outage starts.
    pub start: Dur,
    /// When it ends.
    pub end: Dur,
}

/// Random crashes of each worker.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCrash {
    /// Time between failures.
    pub mtbf: RawDist<Dur>,
    /// Time to repair.
    pub mttr: RawDist<Dur>,
}

/// Arrival processes (rates in messages per second).
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawArrival {
    /// Exponential gaps.
    Poisson {
        /// Mean rate.
        #[schemars(extend("exclusiveMinimum" = 0))]
        rate_per_s: f64,
    },
    /// Evenly spaced.
    Constant {
        /// Rate.
        #[schemars(extend("exclusiveMinimum" = 0))]
        rate_per_s: f64,
    },
    /// Alternating on and off periods with exponential lengths.
    OnOff {
        /// Poisson rate while on.
        #[schemars(extend("exclusiveMinimum" = 0))]
        rate_per_s: f64,
        /// Mean length of an on period.
        mean_on: Dur,
        /// Mean length of an off period.
        mean_off: Dur,
        /// Whether the run starts in an on period.
        #[serde(default = "yes")]
        start_on: bool,
    },
    /// Markov-modulated Poisson: states visited cyclically.
    Mmpp {
        /// The states, starting with the first.
        states: Vec<RawMmppState>,
    },
    /// Piecewise-constant rate.
    Schedule {
        /// Rate changes, the first at 0s.
        steps: Vec<RawStep>,
        /// Poisson arrivals within each step (else evenly spaced).
        #[serde(default = "yes")]
        poisson: bool,
    },
    /// One-shot burst of `count` messages spread evenly over `over`.
    Burst {
        /// Messages in the burst.
        count: u64,
        /// When the burst starts.
        #[serde(default)]
        at: Dur,
        /// How long the burst lasts (0s: all at once).
        #[serde(default)]
        over: Dur,
    },
    /// Diurnal: mean + amplitude · sin(2π(t + phase)/period), Poisson.
    Sinusoidal {
        /// Mean rate.
        mean_rate_per_s: f64,
        /// Peak deviation from the mean.
        amplitude_per_s: f64,
        /// Length of one cycle.
        period: Dur,
        /// Shift of the cycle.
        #[serde(default)]
        phase: Dur,
    },
    /// Poisson batches of several messages.
    Batch {
        /// Batches per second.
        rate_per_s: f64,
        /// Messages per batch (rounded, at least 1).
        size: RawDist<f64>,
    },
    /// Replay of a CSV trace: `timestamp[,key][,size]`.
    Trace {
        /// Path of the CSV file, relative to the scenario file.
        csv: String,
        /// Multiplies every timestamp (2.0 replays at half speed).
        #[serde(default = "unit_scale")]
        time_scale: f64,
    },
}

fn yes() -> bool {
    true
}

fn unit_scale() -> f64 {
    1.0
}

/// One MMPP state.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawMmppState {
    /// Poisson rate in this state.
    pub rate_per_s: f64,
    /// Mean (exponential) time spent in this state.
    pub mean_sojourn: Dur,
}

/// One step of a rate schedule.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// When this rate starts.
    pub at: Dur,
    /// Rate from then on.
    pub rate_per_s: f64,
}

/// How message keys are chosen.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawKeys {
    /// No key: messages spread over partitions (the default).
    #[default]
    None,
    /// Every message has the same key.
    Single,
    /// Uniform over `n` keys.
    Uniform {
        /// Number of keys.
        n: u64,
    },
    /// Zipf over `n` keys with exponent `s`.
    Zipf {
        /// Number of keys.
        n: u64,
        /// Exponent (0 = uniform).
        s: f64,
    },
    /// One hot key takes `share` of messages, the rest are uniform.
    Hot {
        /// Number of keys, the hot one included.
        n: u64,
        /// Share of messages with the hot key.
        #[schemars(range(min = 0.0, max = 1.0))]
        share: f64,
    },
}

/// A distribution of durations (`V = Dur`) or of plain numbers (`V = f64`).
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[schemars(rename = "{V}Distribution")]
pub enum RawDist<V> {
    /// Always `value`.
    Constant {
        /// The value.
        value: V,
    },
    /// Uniform on [low, high].
    Uniform {
        /// Lower bound.
        low: V,
        /// Upper bound.
        high: V,
    },
    /// Exponential with this mean.
    Exponential {
        /// Mean.
        mean: V,
    },
    /// Sum of `k` exponential phases with total mean `mean`.
    Erlang {
        /// Number of phases.
        k: u32,
        /// Mean.
        mean: V,
    },
    /// Gamma with this shape and mean.
    Gamma {
        /// Shape (1 = exponential).
        shape: f64,
        /// Mean.
        mean: V,
    },
    /// Lognormal by `mean` and `cv`, or by `p50` and `p99`.
    Lognormal {
        /// Mean (with `cv`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean: Option<V>,
        /// Coefficient of variation (with `mean`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cv: Option<f64>,
        /// Median (with `p99`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        p50: Option<V>,
        /// 99th percentile (with `p50`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        p99: Option<V>,
    },
    /// A mixture of exponentials.
    Hyperexponential {
        /// The phases; probabilities sum to 1.
        phases: Vec<RawPhase<V>>,
    },
    /// Resampling of observed values, listed or read from a CSV column.
    Empirical {
        /// The observed values.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        samples: Option<Vec<V>>,
        /// A CSV file (relative to the scenario file) holding the values.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        csv: Option<String>,
        /// The CSV column's header.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<String>,
        /// Multiplies each CSV value to get seconds (or bytes): 0.001 for ms.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scale: Option<f64>,
    },
}

/// One phase of a hyperexponential distribution.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "{V}Phase")]
pub struct RawPhase<V> {
    /// Probability of this phase.
    pub probability: f64,
    /// Mean of this phase.
    pub mean: V,
}

/// The caller's settings a call link and `[sync]` share, borrowed.
#[derive(Clone, Copy, Debug)]
pub struct CallPolicy<'a> {
    /// The timeout of each attempt.
    pub timeout: Dur,
    /// Retries after an error or a timeout.
    pub retry: Option<&'a RawRetry>,
    /// Patience drawn per attempt.
    pub patience: Option<&'a RawDist<Dur>>,
    /// The callers' pool.
    pub pool: Option<u32>,
    /// The retry budget.
    pub retry_budget: Option<&'a RawRetryBudget>,
    /// The circuit breaker.
    pub breaker: Option<&'a RawBreaker>,
    /// Hedged attempts.
    pub hedge: Option<&'a RawHedge>,
    /// Deadlines travel with the attempts.
    pub propagate_deadline: bool,
}

impl RawCall {
    /// The caller's settings.
    pub fn policy(&self) -> CallPolicy<'_> {
        CallPolicy {
            timeout: self.timeout,
            retry: self.retry.as_ref(),
            patience: self.patience.as_ref(),
            pool: self.pool,
            retry_budget: self.retry_budget.as_ref(),
            breaker: self.breaker.as_ref(),
            hedge: self.hedge.as_ref(),
            propagate_deadline: self.propagate_deadline,
        }
    }
}

impl RawSync {
    /// The caller's settings.
    pub fn policy(&self) -> CallPolicy<'_> {
        CallPolicy {
            timeout: self.timeout,
            retry: self.retry.as_ref(),
            patience: self.patience.as_ref(),
            pool: self.pool,
            retry_budget: self.retry_budget.as_ref(),
            breaker: self.breaker.as_ref(),
            hedge: self.hedge.as_ref(),
            propagate_deadline: self.propagate_deadline,
        }
    }
}

/// One duration (`"30s"`), or a distribution each draw comes from
/// (`{ exponential = { mean = "30s" } }`): a topic's TTL (each message's
/// own is drawn), and the broker's hand-off and overheads.
#[derive(Clone, Debug)]
pub enum RawDelay {
    /// Always this.
    Fixed(Dur),
    /// Drawn each time.
    Drawn(RawDist<Dur>),
}

impl Serialize for RawDelay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RawDelay::Fixed(d) => d.serialize(serializer),
            RawDelay::Drawn(d) => d.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for RawDelay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RawDelay, D::Error> {
        deserializer.deserialize_any(DelayVisitor)
    }
}

struct DelayVisitor;

impl<'de> serde::de::Visitor<'de> for DelayVisitor {
    type Value = RawDelay;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a duration such as \"30s\", or a distribution such as { exponential = { mean = \"30s\" } }")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawDelay, E> {
        Dur::parse(v).map(RawDelay::Fixed).map_err(E::custom)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawDelay, E> {
        let d: Result<Dur, E> =
            serde::Deserialize::deserialize(serde::de::value::F64Deserializer::new(v));
        d.map(RawDelay::Fixed)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawDelay, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawDelay, E> {
        self.visit_f64(v as f64)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawDelay, A::Error> {
        let de = serde::de::value::MapAccessDeserializer::new(map);
        RawDist::deserialize(de).map(RawDelay::Drawn)
    }
}

/// A breaker's sliding window: a number of attempts (`100`) or a span
/// (`"60s"`).
#[derive(Clone, Copy, Debug)]
pub enum RawWindow {
    /// The last N attempts.
    Calls(u64),
    /// The attempts of the last span.
    Span(Dur),
}

impl Serialize for RawWindow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RawWindow::Calls(n) => serializer.serialize_u64(*n),
            RawWindow::Span(d) => d.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for RawWindow {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RawWindow, D::Error> {
        deserializer.deserialize_any(WindowVisitor)
    }
}

struct WindowVisitor;

impl serde::de::Visitor<'_> for WindowVisitor {
    type Value = RawWindow;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number of attempts such as 100, or a span such as \"60s\"")
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawWindow, E> {
        Ok(RawWindow::Calls(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawWindow, E> {
        u64::try_from(v)
            .map(RawWindow::Calls)
            .map_err(|_| E::custom(format!("expected a number of attempts >= 0 (got {v})")))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawWindow, E> {
        Dur::parse(v).map(RawWindow::Span).map_err(E::custom)
    }
}
