//! An optional record of what happened to every message, for tests and
//! debugging. Off by default; when on, memory grows with the run.

use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogKind {
    /// A producer sent the message.
    Published,
    /// The message entered a group's buffer.
    Enqueued,
    /// The topic refused the publish (full).
    Rejected,
    /// The publish waits for room.
    Blocked,
    /// The blocked publish waited past `max_block`.
    PublishTimedOut,
    /// Evicted by drop_oldest.
    Evicted,
    /// Expired (TTL) at the head.
    Expired,
    /// Handed to a worker.
    Delivered,
    /// Processed by a worker.
    Processed,
}

/// One entry of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Simulated time in nanoseconds.
    pub time_ns: u64,
    /// What happened.
    pub kind: LogKind,
    /// The message.
    pub message: u64,
    /// The group, for group-level entries; `u32::MAX` for topic-level ones.
    pub group: u32,
}

/// Group value of topic-level entries.
pub const TOPIC: u32 = u32::MAX;
