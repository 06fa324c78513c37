//! The topic: a component that routes each publish to a partition, holds
//! publishes in transit, waiting to retry and blocked, decides on each
//! publish by its backpressure policy, and keeps the producer-side counts.

use super::ctx::Ctx;
use super::group::Group;
use super::state::{Publish, RetryCause};
use super::{Event, LogKind, TOPIC};
use crate::engine::{RngStream, SimDuration, SimTime, Slab, hash_uniform};
use crate::model::message::Message;
use crate::model::topic::{Partitioner, TopicSpec, WhenFull};
use crate::stats::{LatencyHistogram, TimeAverage};
use std::collections::VecDeque;
use std::ops::Range;

/// What the topic does with a publish arriving now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Admission {
    /// Into every group's buffer.
    Accept,
    /// Refused (drop reason `rejected`).
    Refuse,
    /// Into every buffer once the oldest ready messages make room (or
    /// refused if it cannot fit even then).
    Evict,
    /// Held until there is room, behind earlier blocked publishes.
    Wait,
}

/// The topic's running state and producer-side counts.
pub(super) struct Topic<'s> {
    pub spec: &'s TopicSpec,
    /// Its index among the system's topics.
    pub index: u16,
    /// The groups that read it, as a range of the simulation's groups.
    pub readers: Range<usize>,
    /// `published` at the last time-series row.
    pub last_published: u64,
    /// Drops at the last time-series row.
    pub last_dropped: u64,
    /// The largest message (bytes) a group's buffer could hold empty; a
    /// larger one is refused at once. `None`: no buffer holds anything.
    largest: Option<u64>,
    /// A full buffer refuses a publish the instant it arrives: the policy
    /// refuses, there is no publish latency, and a buffer can be full by
    /// count (its capacity is not unbounded).
    pub rejects_at_once: bool,
    /// What the policy does with a publish that does not fit.
    when_full: WhenFull,
    pub created: u64,
    pub published: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub publish_timeouts: u64,
    /// Refusals of fire-and-forget publishes (`acks = false`), among
    /// `rejected` and `publish_timeouts`: no caller heard of them.
    pub unreported: u64,
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
    publish_rng: RngStream,
    handoff_rng: RngStream,
    /// When the last message accepted becomes deliverable (hand-off keeps
    /// the order of acceptance).
    last_ready: SimTime,
    /// The last partition the round-robin partitioner used.
    round_robin: u32,
}

impl<'s> Topic<'s> {
    /// Topic `index` of `spec`, read by the groups in `readers`, drawing
    /// publish latencies from the first stream, hand-off latencies from
    /// the second.
    pub(super) fn new(
        spec: &'s TopicSpec,
        index: usize,
        readers: Range<usize>,
        [publish_rng, handoff_rng]: [RngStream; 2],
    ) -> Topic<'s> {
        // With no room at all (a loss system), a message is only ever
        // handed straight to a worker: any size goes.
        let memory = match spec.capacity {
            0 => Some(u64::MAX),
            _ => Some(spec.capacity_bytes),
        };
        let disk = (spec.policy.disk())
            .filter(|d| d.capacity > 0)
            .map(|d| d.capacity_bytes);
        Topic {
            spec,
            index: u16::try_from(index).expect("fewer than 65,536 topics"),
            readers,
            last_published: 0,
            last_dropped: 0,
            largest: memory.max(disk),
            rejects_at_once: spec.policy.when_full() == WhenFull::Refuse
                && spec.publish_latency.is_none()
                && spec.capacity != u64::MAX,
            when_full: spec.policy.when_full(),
            created: 0,
            published: 0,
            accepted: 0,
            rejected: 0,
            publish_timeouts: 0,
            unreported: 0,
            retries_exhausted: 0,
            lost: 0,
            retries: 0,
            acks_lost: 0,
            duplicate_publishes: 0,
            duplicates_suppressed: 0,
            in_transit: Slab::default(),
            retrying: Slab::default(),
            blocked: VecDeque::new(),
            max_blocked: 0,
            producer_latency: LatencyHistogram::new(),
            blocked_level: TimeAverage::default(),
            publish_rng,
            handoff_rng,
            last_ready: SimTime::ZERO,
            round_robin: u32::MAX,
        }
    }

    /// The partition of a new message with `key` and `priority`: on a
    /// priority queue, the lane of its priority (at most the maximum).
    pub(super) fn route(&mut self, key: u64, priority: u8) -> u32 {
        if let Some(max) = self.spec.max_priority {
            return u32::from(priority.min(max));
        }
        let partitions = self.spec.partitions;
        if partitions == 1 {
            return 0;
        }
        match self.spec.partitioner {
            Partitioner::KeyHash => {
                (hash_uniform(0x6b65_795f_6861_7368, key) * f64::from(partitions)) as u32
            }
            Partitioner::RoundRobin => {
                self.round_robin = self.round_robin.wrapping_add(1) % partitions;
                self.round_robin
            }
        }
    }

    /// Routes `n` messages without looking at them (round robin moves on
    /// by `n`; key hashing needs no state).
    pub(super) fn skip_routes(&mut self, n: u64) {
        let partitions = u64::from(self.spec.partitions);
        if partitions > 1 && self.spec.partitioner == Partitioner::RoundRobin && n > 0 {
            let at = (u64::from(self.round_robin.wrapping_add(1)) + n - 1) % partitions;
            self.round_robin = at as u32;
        }
    }

    /// Whether a publish arrives at once (there is no publish latency).
    #[inline]
    pub(super) fn is_instant(&self) -> bool {
        self.spec.publish_latency.is_none()
    }

    /// Sends one attempt that arrives after the publish latency: it is held
    /// in transit until its `Accept` event.
    pub(super) fn send_later(&mut self, ctx: &mut Ctx, publish: Publish) {
        let latency = self.spec.publish_latency.as_ref();
        let latency = latency.expect("a publish latency (else the publish is instant)");
        let delay = latency.sample(&mut self.publish_rng);
        let slot = self.in_transit.insert(publish);
        ctx.schedule(
            ctx.now + SimDuration::from_secs_f64(delay),
            Event::Accept {
                topic: self.index,
                slot,
            },
        );
    }

    /// When a message accepted now becomes deliverable: after its drawn
    /// hand-off latency, and never before one accepted earlier (the
    /// broker hands off in order). `None`: at once.
    #[inline]
    pub(super) fn ready_at(&mut self, now: SimTime) -> Option<SimTime> {
        let latency = self.spec.handoff_latency.as_ref()?;
        let drawn = now + SimDuration::from_secs_f64(latency.sample(&mut self.handoff_rng));
        self.last_ready = self.last_ready.max(drawn);
        Some(self.last_ready)
    }

    /// The one decision on a publish of `size` bytes arriving now, by the
    /// policy and the groups' buffers.
    pub(super) fn decide(&self, size: u32, groups: &[Group]) -> Admission {
        if self.largest.is_none_or(|largest| u64::from(size) > largest) {
            // Larger than a buffer can ever hold: refused at once, so it
            // neither blocks the publishes behind it nor evicts anything.
            return Admission::Refuse;
        }
        let when_full = self.when_full;
        if when_full == WhenFull::Wait && !self.blocked.is_empty() {
            // Publishes are admitted in order: wait behind earlier ones.
            return Admission::Wait;
        }
        if Topic::fits(size, groups) {
            return Admission::Accept;
        }
        match when_full {
            WhenFull::Refuse => Admission::Refuse,
            WhenFull::EvictOldest => Admission::Evict,
            WhenFull::Wait => Admission::Wait,
        }
    }

    /// True when every group's buffer can take `size` bytes, or hand it
    /// to an idle worker at once.
    pub(super) fn fits(size: u32, groups: &[Group]) -> bool {
        groups
            .iter()
            .all(|g| g.buffer.room(size).is_some() || g.takes_at_once())
    }

    /// Holds `publish` until there is room; it fails at `max_block`.
    pub(super) fn block(&mut self, ctx: &mut Ctx, publish: Publish) {
        ctx.note(LogKind::Blocked, publish.message.id.0, TOPIC);
        self.blocked.push_back(publish);
        self.note_blocked(ctx.now);
        if let Some(max) = self.spec.policy.max_block() {
            ctx.schedule(ctx.now + max, Event::BlockDeadline);
        }
    }

    /// The oldest blocked publish, if it may leave now: it fits (`false`)
    /// or it waited `max_block` (`true`, timed out).
    pub(super) fn next_unblocked(
        &mut self,
        now: SimTime,
        groups: &[Group],
    ) -> Option<(Publish, bool)> {
        let head = self.blocked.front().copied()?;
        let max_block = self.spec.policy.max_block();
        let timed_out = max_block.is_some_and(|m| now.since(head.since) >= m);
        if !timed_out && !Topic::fits(head.message.size, groups) {
            return None;
        }
        self.blocked.pop_front();
        self.note_blocked(now);
        Some((head, timed_out))
    }

    /// Records the number of blocked publishes.
    pub(super) fn note_blocked(&mut self, now: SimTime) {
        let level = self.blocked.len() as u64;
        self.blocked_level.set(now.0, level);
        self.max_blocked = self.max_blocked.max(level);
    }

    /// Producer-visible latency: creation to the ack that ends the publish,
    /// retries and blocking included.
    #[inline(always)]
    pub(super) fn record_latency(&mut self, ctx: &Ctx, message: &Message) {
        if ctx.in_window {
            match ctx.now.since(message.created).as_nanos() {
                0 => self.producer_latency.record_zero(),
                ns => self.producer_latency.record(ns),
            }
        }
    }

    /// Drops of every reason so far.
    pub(super) fn drops(&self) -> u64 {
        self.rejected + self.publish_timeouts + self.retries_exhausted + self.lost
    }

    /// Producer `p` crashed: the publishes it still held, waiting to retry
    /// (with why) and blocked, leave the topic, oldest first.
    pub(super) fn take_from(
        &mut self,
        now: SimTime,
        p: usize,
    ) -> (Vec<(Publish, RetryCause)>, Vec<Publish>) {
        let slots: Vec<u32> = (self.retrying.iter())
            .filter(|(_, (publish, _))| publish.message.producer as usize == p)
            .map(|(slot, _)| slot)
            .collect();
        let retrying = slots
            .into_iter()
            .filter_map(|slot| self.retrying.remove(slot))
            .collect();
        let (lost, kept): (VecDeque<Publish>, VecDeque<Publish>) =
            std::mem::take(&mut self.blocked)
                .into_iter()
                .partition(|b| b.message.producer as usize == p);
        self.blocked = kept;
        self.note_blocked(now);
        (retrying, lost.into())
    }
}
