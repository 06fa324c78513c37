//! State the components share: publishes on their way, why deliveries
//! fail, a delivery in service, and the counters groups keep.

use super::group::Item;
use crate::engine::SimTime;
use crate::model::message::Message;
use crate::stats::{LatencyHistogram, TimeAverage};

/// A publish on its way: in transit, waiting to retry, or blocked.
#[derive(Clone, Copy, Debug)]
pub(super) struct Publish {
    pub message: Message,
    /// Attempts made before this one.
    pub attempt: u32,
    /// When this attempt was sent (for max_block).
    pub since: SimTime,
    /// The hold of the processing that published it (a child), or
    /// [`super::held::NOT_HELD`] for a producer's publish.
    pub holder: u32,
    /// A child's publish link, among its publisher's.
    pub link: u16,
}

/// Why a publish is being retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RetryCause {
    /// The topic refused it (full, or blocked too long).
    Refused,
    /// It was accepted but its ack never came.
    AckLost,
}

/// Why a delivery failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailKind {
    /// The consumer nacked it (transient failure or poison).
    Failed,
    /// It ran past the processing timeout.
    TimedOut,
    /// Its worker crashed or the group went down.
    Crashed,
    /// Its ack did not come within the ack (visibility) timeout.
    AckTimeout,
    /// Its TTL passed (dead-lettered by `ttl_action`).
    Expired,
}

/// A delivery in progress on a worker.
#[derive(Clone, Copy, Debug)]
pub(super) struct InService {
    pub item: Item,
    /// Decided when the delivery starts; `None` is success.
    pub failure: Option<FailKind>,
    pub started: SimTime,
    /// The ack timeout passed: the message was handed out again and this
    /// delivery no longer owns it.
    pub zombie: bool,
    /// Its side effect happened and it waits for its children's publishes
    /// (a crash now interrupts it without a second side effect).
    pub effect_done: bool,
}

/// Lifetime counters of a group (the conservation law uses them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct GroupCounters {
    pub accepted: u64,
    pub processed: u64,
    pub evicted: u64,
    pub expired: u64,
    pub lost: u64,
    pub dead_lettered: u64,
    pub deliveries: u64,
    pub redeliveries: u64,
    pub duplicate_deliveries: u64,
    pub side_effects: u64,
    pub duplicate_side_effects: u64,
    pub suppressed_duplicates: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub crashed: u64,
    pub ack_timeouts: u64,
}

/// Statistics restarted at the end of warm-up.
#[derive(Clone, Debug, Default)]
pub(super) struct GroupWindow {
    pub queue_wait: LatencyHistogram,
    pub end_to_end: LatencyHistogram,
    pub depth: TimeAverage,
    /// Deliveries whose ack timed out but still run (busy − zombies is in flight).
    pub zombies: TimeAverage,
    /// Messages waiting for a redelivery backoff.
    pub delayed: TimeAverage,
    pub processed: u64,
    pub left: u64,
    pub sojourn_ns: u128,
    /// Longest a message had waited ready (since it entered the group)
    /// when a worker started it or it expired or was evicted.
    pub max_age_ns: u64,
    /// Per priority, on a priority queue (empty otherwise).
    pub classes: Vec<ClassWindow>,
}

/// One priority's statistics over the window.
#[derive(Clone, Debug, Default)]
pub(super) struct ClassWindow {
    pub processed: u64,
    pub queue_wait: LatencyHistogram,
    pub end_to_end: LatencyHistogram,
}

/// Side-effect history shared by several live copies of one message (a
/// redelivery while the first delivery still runs, or a duplicate publish).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Track {
    pub side_effects: u16,
    pub last_side_effect: SimTime,
    /// Live copies, running deliveries and expected duplicates that refer
    /// to this entry; it is dropped at zero.
    pub refs: u32,
    /// Deliveries still running after their ack timed out.
    pub running: u32,
}

/// Dead letters by the failure that sent them there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ByReason {
    pub failed: u64,
    pub timed_out: u64,
    pub crashed: u64,
    pub ack_timeout: u64,
    pub expired: u64,
}

impl ByReason {
    /// The count of `kind`.
    pub(super) fn of(&mut self, kind: FailKind) -> &mut u64 {
        match kind {
            FailKind::Failed => &mut self.failed,
            FailKind::TimedOut => &mut self.timed_out,
            FailKind::Crashed => &mut self.crashed,
            FailKind::AckTimeout => &mut self.ack_timeout,
            FailKind::Expired => &mut self.expired,
        }
    }

    /// Each reason's name and count, in a fixed order.
    pub(super) fn named(self) -> [(FailKind, u64); 5] {
        [
            (FailKind::Failed, self.failed),
            (FailKind::TimedOut, self.timed_out),
            (FailKind::Crashed, self.crashed),
            (FailKind::AckTimeout, self.ack_timeout),
            (FailKind::Expired, self.expired),
        ]
    }
}

/// What dead letters looked like.
#[derive(Clone, Debug, Default)]
pub(super) struct DeadLetters {
    pub by_reason: ByReason,
    pub deliveries: u64,
    pub age: LatencyHistogram,
    pub samples: Vec<super::outcome::DeadLetterSample>,
}

/// A map keyed by message keys or ids, hashed by one multiplication
/// (SipHash's resistance to chosen keys is not needed for simulated keys).
pub(super) type KeyMap<V> =
    std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// Fibonacci hashing of a `u64` key.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0 ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// One partition's counts in one group.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct PartitionStats {
    pub processed: u64,
    pub max_depth: u64,
}
