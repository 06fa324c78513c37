//! The running state of producers, groups and workers, and the counters
//! they keep.

use super::buffer::{Buffer, Item};
use crate::engine::{RngStream, SimTime, Slab};
use crate::model::distribution::Distribution;
use crate::model::message::Message;
use crate::stats::{LatencyHistogram, TimeAverage};
use std::collections::{BTreeMap, VecDeque};

/// A producer's running state.
pub(super) struct Producer {
    pub source: crate::model::source::Source,
    /// Down after a crash, until this instant.
    pub down_until: SimTime,
    pub fault_rng: RngStream,
}

/// A publish on its way: in transit, waiting to retry, or blocked.
#[derive(Clone, Copy, Debug)]
pub(super) struct Publish {
    pub message: Message,
    /// Attempts made before this one.
    pub attempt: u32,
    /// When this attempt was sent (for max_block).
    pub since: SimTime,
}

/// Why a publish is being retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RetryCause {
    /// The topic refused it (full, or blocked too long).
    Refused,
    /// It was accepted but its ack never came.
    AckLost,
}

/// Topic-level and producer-side counts.
#[derive(Clone, Debug, Default)]
pub(super) struct TopicState {
    pub created: u64,
    pub published: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub publish_timeouts: u64,
    pub retries_exhausted: u64,
    pub lost: u64,
    pub retries: u64,
    pub acks_lost: u64,
    pub duplicate_publishes: u64,
    pub duplicates_suppressed: u64,
    pub in_transit: Slab<Publish>,
    pub retrying: Slab<(Publish, RetryCause)>,
    pub blocked: VecDeque<Publish>,
    pub max_blocked: u64,
    pub producer_latency: LatencyHistogram,
    pub blocked_level: TimeAverage,
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
}

pub(super) use crate::model::autoscale::Phase;
use crate::model::autoscale::Slot;

/// One unit of consumer concurrency.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Worker {
    pub current: Option<InService>,
    pub phase: Phase,
    /// Scaled down while busy: leaves when its delivery ends.
    pub leaving: bool,
    /// Bumped by every crash, so events of interrupted deliveries are stale.
    pub epoch: u32,
    /// Deliveries started, to match ack-timeout events to their delivery.
    pub started: u32,
    /// Bumped each time the slot joins the group, so crash, restart and
    /// start-up events of an earlier life are stale.
    pub life: u32,
}

impl Worker {
    /// A worker that is up from the start.
    pub fn up() -> Worker {
        Worker {
            phase: Phase::Up,
            ..Worker::default()
        }
    }

    /// Taking messages (or finishing its last one before it leaves).
    #[inline]
    pub fn is_up(&self) -> bool {
        self.phase == Phase::Up
    }

    /// What the autoscaler sees of it.
    pub fn slot(&self) -> Slot {
        Slot {
            phase: self.phase,
            leaving: self.leaving,
            busy: self.current.is_some(),
        }
    }
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
    pub busy: TimeAverage,
    /// Workers up (taking messages or finishing before they leave).
    pub up: TimeAverage,
    /// Workers paid for: starting, up, crashed or leaving.
    pub provisioned: TimeAverage,
    pub processed: u64,
    pub left: u64,
    pub sojourn_ns: u128,
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

/// What dead letters looked like.
#[derive(Clone, Debug, Default)]
pub(super) struct DeadLetters {
    pub by_reason: [u64; 5],
    pub deliveries: u64,
    pub age: LatencyHistogram,
    pub samples: Vec<super::outcome::DeadLetterSample>,
}

/// A map keyed by message keys, hashed by one multiplication (SipHash's
/// resistance to chosen keys is not needed for simulated keys).
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

/// A consumer group's running state.
pub(super) struct Group {
    pub buffer: Buffer,
    pub workers: Vec<Worker>,
    pub idle: Vec<u32>,
    /// Workers running a delivery, zombies included.
    pub busy: u32,
    pub zombies: u32,
    /// Outages in progress.
    pub down: u32,
    pub delayed: Slab<Item>,
    pub tracks: BTreeMap<u64, Track>,
    pub service_rng: RngStream,
    pub read_rng: RngStream,
    pub fault_rng: RngStream,
    pub read_latency: Option<Distribution>,
    /// Fixes which messages are poison for this group.
    pub poison_salt: u64,
    /// Deliveries can fail (consumer faults are configured).
    pub faulty: bool,
    /// Cap on deliveries over the whole topic.
    pub rate_cap: Option<super::throttle::Bucket>,
    /// Caps on deliveries per partition (empty: none).
    pub partition_caps: Vec<super::throttle::Bucket>,
    /// When a Resume event is already scheduled.
    pub wake_at: Option<SimTime>,
    /// Partition ownership, for partitioned (in-order) consumption.
    pub assignment: Option<super::partition::Assignment>,
    /// Rebalances so far.
    pub rebalances: u64,
    /// Per-partition counts.
    pub partitions: Vec<PartitionStats>,
    /// Key → id of its latest processed message (order tracking).
    pub last_by_key: KeyMap<u64>,
    /// Sweep `last_by_key` when it grows past this size.
    pub order_sweep_at: usize,
    /// Completions of a message older than one already processed with the same key.
    pub out_of_order: u64,
    pub counters: GroupCounters,
    pub window: GroupWindow,
    pub dead_letters: DeadLetters,
    pub max_depth: u64,
    /// Counters at the previous time-series row.
    pub last_row: GroupCounters,
    /// Scales the number of workers, if the group autoscales.
    pub scaler: Option<crate::model::autoscale::Scaler>,
    /// Per-key ordering and caps, if the group has either.
    pub keys: Option<super::keys::KeyGate>,
    /// Workers up and paid for.
    pub census: crate::model::autoscale::Census,
}

impl Group {
    /// Deliveries that own their message (zombies excluded).
    pub fn in_flight(&self) -> u64 {
        u64::from(self.busy - self.zombies)
    }

    /// Records the current depth at `now` (busy workers are recorded
    /// where they change; zombies and delayed messages by `note_faults`).
    #[inline]
    pub fn note_levels(&mut self, now: SimTime) {
        self.window.depth.set(now.0, self.buffer.len());
    }

    /// Records a partition's peak depth (only with several partitions).
    #[inline]
    pub fn note_partition_depth(&mut self, p: usize) {
        if self.partitions.len() > 1 {
            let depth = self.buffer.partition_len(p);
            let stats = &mut self.partitions[p];
            stats.max_depth = stats.max_depth.max(depth);
        }
    }

    /// Workers the autoscaler counts: starting, up or crashed, not leaving.
    pub fn members(&self) -> u32 {
        crate::model::autoscale::members(self.workers.iter().map(Worker::slot))
    }

    /// Records the number of busy workers at `now`.
    #[inline]
    pub fn note_busy(&mut self, now: SimTime) {
        let busy = u64::from(self.busy);
        self.window.busy.set(now.0, busy);
        if let Some(scaler) = self.scaler.as_mut() {
            scaler.note_busy(now, busy);
        }
    }

    /// Records how many workers are up and provisioned at `now`.
    pub fn note_workers(&mut self, now: SimTime) {
        let crate::model::autoscale::Census { up, paid } = self.census;
        self.window.up.set(now.0, up);
        self.window.provisioned.set(now.0, paid);
    }

    /// Forgets order tracking of keys whose latest processed message is
    /// older than every copy still in the group: no completion can be out
    /// of order against them any more. The next sweep waits until the map
    /// has doubled and outgrown the group's copies, so sweeps cost O(1) per
    /// message and the map stays bounded by what the group holds.
    pub fn sweep_order(&mut self) {
        let in_flight = self
            .workers
            .iter()
            .filter_map(|w| w.current.map(|s| s.item.message.id.0));
        let delayed = self.delayed.iter().map(|(_, i)| i.message.id.0);
        let oldest = self
            .buffer
            .min_id()
            .into_iter()
            .chain(in_flight)
            .chain(delayed)
            .min()
            .unwrap_or(u64::MAX);
        self.last_by_key.retain(|_, last| *last >= oldest);
        let held = self.buffer.len() as usize + self.delayed.len() + self.busy as usize;
        self.order_sweep_at = (2 * self.last_by_key.len())
            .max(held)
            .max(super::settle::ORDER_SWEEP_MIN);
    }

    /// Records zombie deliveries and delayed messages at `now`.
    pub fn note_faults(&mut self, now: SimTime) {
        self.window.zombies.set(now.0, u64::from(self.zombies));
        self.window.delayed.set(now.0, self.delayed.len() as u64);
    }
}
