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
    /// Processed by a worker (and acked).
    Processed,
    /// Lost: producer down or crashed, or a failed delivery at most once.
    Lost,
    /// Moved to the dead-letter queue.
    DeadLettered,
    /// Failed; waits for its redelivery backoff.
    Delayed,
    /// Back in the buffer for another delivery.
    Requeued,
    /// A side effect happened (`message` is the origin id).
    SideEffect,
    /// An idempotent consumer suppressed a duplicate (`message` is the origin id).
    DuplicateSuppressed,
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
