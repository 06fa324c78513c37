//! The topic's validated settings.

pub mod policy;

pub use policy::{Block, DropOldest, Policy, Reject, Spill, WhenFull};

use super::backoff::Backoff;
use super::distribution::Distribution;
use crate::engine::SimDuration;

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
    /// A priority queue's highest priority: its buffers keep one lane per
    /// priority (`partitions` is that count) and workers take the highest
    /// first (strict, non-preemptive).
    pub max_priority: Option<u8>,
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
    /// Seconds from accepted until deliverable (in order of acceptance);
    /// `None` is instantaneous. A message in hand-off counts against
    /// `capacity` and in the depth.
    pub handoff_latency: Option<Distribution>,
    /// Age (since creation) after which a ready message expires.
    pub ttl: Option<Ttl>,
    /// Acks, redelivery and dead-lettering.
    pub delivery: DeliverySpec,
    /// False: the buffer lives in the producer's process and a producer
    /// crash loses what it holds.
    pub durable: bool,
}

/// A topic's time to live.
#[derive(Clone, Debug, PartialEq)]
pub enum Ttl {
    /// Every message's.
    Fixed(SimDuration),
    /// Each message's own, drawn from this (seconds): impatience.
    Drawn(Distribution),
}

impl Ttl {
    /// The TTL of message `id`: a drawn one comes from a stream seeded by
    /// `salt` and the id, so each reader sees the same for that message.
    pub fn of(&self, salt: u64, id: u64) -> SimDuration {
        match self {
            Ttl::Fixed(d) => *d,
            Ttl::Drawn(dist) => {
                use rand::SeedableRng;
                let seed = crate::engine::hash_uniform(salt, id).to_bits();
                let mut rng = crate::engine::RngStream::seed_from_u64(seed);
                SimDuration::from_secs_f64(dist.sample(&mut rng))
            }
        }
    }
}
