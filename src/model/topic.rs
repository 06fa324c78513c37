//! The topic's validated settings.

use super::backoff::Backoff;
use super::distribution::Distribution;
use crate::engine::SimDuration;

/// What a full buffer does to a publish.
#[derive(Clone, Debug)]
pub enum Policy {
    /// The publish fails (drop reason `rejected`).
    Reject,
    /// The oldest ready message is evicted (drop reason `evicted`).
    DropOldest,
    /// The publish waits for room; after `max_block`, if set, it fails
    /// (drop reason `publish_timeout`).
    Block {
        /// Longest wait before the publish fails.
        max_block: Option<SimDuration>,
    },
    /// Overflow goes to a disk tier; a publish that fits in neither is
    /// rejected.
    Spill(Spill),
}

/// The disk tier of the spill policy.
#[derive(Clone, Debug)]
pub struct Spill {
    /// Messages the disk tier holds.
    pub capacity: u64,
    /// Bytes the disk tier holds.
    pub capacity_bytes: u64,
    /// Extra time (seconds) before a spilled message can be delivered.
    pub read_latency: Option<Distribution>,
}

/// When a delivery is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryMode {
    /// Ack after processing: a failure or crash means redelivery.
    AtLeastOnce,
    /// Ack on receipt: a failure or crash loses the message (`lost`).
    AtMostOnce,
}

/// Where a returned (nacked or timed-out) message goes in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requeue {
    /// Back at the head, next to be delivered (RabbitMQ's requeue).
    Head,
    /// Behind everything already waiting.
    Tail,
}

/// Acks, redelivery and dead-lettering.
#[derive(Clone, Debug)]
pub struct DeliverySpec {
    /// When deliveries are acknowledged.
    pub mode: DeliveryMode,
    /// A delivery not acked within this time is delivered again (the
    /// visibility timeout); `None`: only a crash or nack returns it.
    pub ack_timeout: Option<SimDuration>,
    /// Wait before a nacked message is delivered again.
    pub redelivery_backoff: Backoff,
    /// Where returned messages go.
    pub requeue: Requeue,
    /// Dead-letter after this many deliveries (only with `dlq`).
    pub max_deliveries: Option<u32>,
    /// Whether there is a dead-letter queue; without one, messages are
    /// retried forever.
    pub dlq: bool,
    /// Expired messages go to the DLQ instead of being dropped.
    pub ttl_dead_letter: bool,
}

impl Default for DeliverySpec {
    fn default() -> Self {
        DeliverySpec {
            mode: DeliveryMode::AtLeastOnce,
            ack_timeout: None,
            redelivery_backoff: Backoff::NONE,
            requeue: Requeue::Head,
            max_deliveries: None,
            dlq: true,
            ttl_dead_letter: false,
        }
    }
}

/// How messages are spread over partitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partitioner {
    /// By a hash of the key.
    KeyHash,
    /// In turn.
    RoundRobin,
}

/// A topic: every group gets its own copy of each accepted message, in a
/// buffer bounded by `capacity` ready messages and `capacity_bytes` bytes.
#[derive(Clone, Debug)]
pub struct TopicSpec {
    /// Name shown in reports.
    pub name: String,
    /// Number of partitions (at least 1).
    pub partitions: u32,
    /// How messages are spread over partitions.
    pub partitioner: Partitioner,
    /// Ready messages per group buffer (`u64::MAX`: unbounded).
    pub capacity: u64,
    /// Ready bytes per group buffer (`u64::MAX`: unbounded).
    pub capacity_bytes: u64,
    /// Backpressure policy.
    pub policy: Policy,
    /// Seconds from send until accepted; `None` is instantaneous.
    pub publish_latency: Option<Distribution>,
    /// Age (since creation) after which a ready message expires.
    pub ttl: Option<SimDuration>,
    /// Acks, redelivery and dead-lettering.
    pub delivery: DeliverySpec,
    /// False: the buffer lives in the producer's process and a producer
    /// crash loses what it holds.
    pub durable: bool,
}
