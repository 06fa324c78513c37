//! The topic's validated settings.

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

/// A topic: every group gets its own copy of each accepted message, in a
/// buffer bounded by `capacity` ready messages and `capacity_bytes` bytes.
#[derive(Clone, Debug)]
pub struct TopicSpec {
    /// Name shown in reports.
    pub name: String,
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
}
