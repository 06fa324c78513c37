//! A group's copy of a message: the message, when it entered the group's
//! buffer, and its delivery history (deliveries, side effects, failures).

use crate::engine::SimTime;
use crate::model::message::Message;
use crate::model::sim::state::FailKind;

/// Where a ready message is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// In memory: delivered without delay.
    Memory,
    /// Spilled to disk: read back before delivery.
    Disk,
}

/// A group's copy of a message, with its delivery history. The buffer
/// keeps it packed in 48 bytes ([`super::packed`]).
#[derive(Clone, Copy, Debug)]
pub(in crate::model::sim) struct Item {
    pub message: Message,
    /// When it first entered this group's buffer.
    pub enqueued: SimTime,
    /// Order of entry into the buffer (breaks ties between partitions;
    /// below 2³², see [`Buffer`]).
    pub seq: u64,
    /// When its latest side effect happened (for dedup windows).
    pub last_side_effect: SimTime,
    pub deliveries: u16,
    pub side_effects: u16,
    /// Failed deliveries, by kind.
    pub failures: FailureTally,
    /// The last failure, for dead-letter summaries.
    pub last_failure: Option<FailKind>,
    pub tier: Tier,
    /// Side effects are counted in the group's track map, shared with
    /// other live copies of the same message.
    pub tracked: bool,
}

impl Item {
    /// A fresh copy entering a buffer.
    pub(crate) fn new(message: Message, enqueued: SimTime, tier: Tier, tracked: bool) -> Item {
        Item {
            message,
            enqueued,
            seq: 0,
            last_side_effect: SimTime::ZERO,
            deliveries: 0,
            side_effects: 0,
            failures: FailureTally::default(),
            last_failure: None,
            tier,
            tracked,
        }
    }

    /// Counts a failed delivery.
    pub(crate) fn fail(&mut self, kind: FailKind) {
        let t = &mut self.failures;
        let count = match kind {
            FailKind::Failed => &mut t.failed,
            FailKind::TimedOut => &mut t.timed_out,
            FailKind::Crashed => &mut t.crashed,
            FailKind::AckTimeout | FailKind::Expired => &mut t.ack_timeouts,
        };
        *count = count.saturating_add(1);
        self.last_failure = Some(kind);
    }
}

/// A message's failed deliveries, by kind (saturating at 65,535).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FailureTally {
    /// Nacked (transient failure or poison).
    pub failed: u16,
    /// Past the processing timeout.
    pub timed_out: u16,
    /// Interrupted by a crash or an outage.
    pub crashed: u16,
    /// Not acked within the ack timeout.
    pub ack_timeouts: u16,
}
