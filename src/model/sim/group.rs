//! A consumer group: a component that owns its buffer, its workers and
//! their faults and autoscaler, its dispatch and settling, and its
//! counters. It works through the shared context; the simulation routes to
//! it the events that name it.

mod buffer;
mod deliver;
mod deliverable;
mod faults;
mod handoff;
mod item;
mod keys;
mod lean;
mod packed;
mod partition;
mod prefetch;
mod scale;
mod settle;
mod throttle;

use buffer::Buffer;
pub(super) use item::Item;
pub use item::Tier;
use partition::Assignment;

use super::ctx::Ctx;
use super::ids::GroupId;
use super::outcome::SeriesRow;
use super::state::{
    ClassWindow, DeadLetters, GroupCounters, GroupWindow, InService, KeyMap, PartitionStats, Track,
};
use super::workers::Workers;
use crate::engine::{RngStream, SimTime, Slab, StreamId};
use crate::model::distribution::Distribution;
use crate::model::group::GroupSpec;
use crate::model::message::Message;
use crate::model::system::System;
use crate::model::topic::{Policy, TopicSpec};
use crate::stats::LatencyHistogram;
use rand::Rng;
use std::collections::{BTreeMap, VecDeque};

/// What the topic adds to each group's time-series row.
pub(super) struct TopicRow {
    /// Publishes per second since the previous row.
    pub published_per_s: f64,
    /// Publishes the topic dropped since the previous row.
    pub dropped: u64,
    /// Publishes blocked now.
    pub blocked: u64,
}

/// A consumer group's running state.
pub(super) struct Group<'s> {
    /// Its index in the system.
    pub index: GroupId,
    pub spec: &'s GroupSpec,
    pub topic: &'s TopicSpec,
    /// Count out-of-order completions per key (some producer has keys).
    pub track_order: bool,
    pub buffer: Buffer,
    /// Accepted copies in the broker's hand-off, oldest first, with when
    /// each becomes deliverable (their room is reserved in the buffer).
    pub landing: VecDeque<(SimTime, Item)>,
    /// What workers hold beyond the job each runs (prefetch above 1).
    pub prefetch: Option<prefetch::Prefetch>,
    /// Its workers (busy ones count zombies).
    pub workers: Workers<InService>,
    pub zombies: u32,
    pub delayed: Slab<Item>,
    pub tracks: BTreeMap<u64, Track>,
    pub service_rng: RngStream,
    pub read_rng: RngStream,
    /// Draws each delivery's overhead (its own stream: others unchanged).
    pub overhead_rng: RngStream,
    pub fault_rng: RngStream,
    pub read_latency: Option<Distribution>,
    /// Fixes which messages are poison for this group.
    pub poison_salt: u64,
    /// Deliveries can fail (consumer faults are configured).
    pub faulty: bool,
    /// A delivery takes its service time alone: no fault, read latency
    /// or overhead to draw or add (poison messages aside).
    pub service_only: bool,
    /// Cap on deliveries over the whole topic.
    pub rate_cap: Option<throttle::Bucket>,
    /// Caps on deliveries per partition (empty: none).
    pub partition_caps: Vec<throttle::Bucket>,
    /// Polling: each worker's next poll, if one is scheduled (`MAX`: none:
    /// it slept after an empty poll and is woken only by work), and the
    /// instant its polls count from (its last empty poll).
    pub polls: Vec<(SimTime, SimTime)>,
    /// When a Resume event is already scheduled.
    pub wake_at: Option<SimTime>,
    /// Partition ownership, for partitioned (in-order) consumption.
    pub assignment: Option<partition::Assignment>,
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
    /// When a message last left the group (processed, dropped or
    /// dead-lettered): when it emptied, if it holds nothing now.
    pub last_left: SimTime,
    /// End-to-end latencies since the previous time-series row (cleared
    /// at each row: its memory depends on the largest latency, never on
    /// how many messages passed).
    pub row_e2e: LatencyHistogram,
    /// Per-key ordering and caps, if the group has either.
    pub keys: Option<keys::KeyGate>,
    /// A plain group (competing consumers pushed to, no cap, no per-key
    /// rule): it dispatches without those checks, and a message that finds
    /// its buffer empty and a worker idle is delivered without entering it.
    pub plain: bool,
    /// Salts each message's drawn TTL (the topic's: every reader sees the
    /// same for one message).
    pub ttl_salt: u64,
    /// The simulation settles its finished deliveries (it publishes what
    /// they publish onward and records their paths).
    pub linked: bool,
    /// Messages whose side effect happened in a delivery that a crash or
    /// an outage then interrupted (linked groups only): the simulation
    /// publishes their children, as the processing did before it crashed.
    pub interrupted_effects: Vec<Message>,
}

impl<'s> Group<'s> {
    /// Group `index` of `system` at the start of replication `replication`.
    pub(super) fn new(
        system: &'s System,
        index: usize,
        replication: u64,
        track_order: bool,
    ) -> Group<'s> {
        let g = &system.groups[index];
        let topic = &system.topics[g.topic];
        let rng = |what: &str| {
            StreamId::named(&format!("group/{}/{what}", g.name)).rng(system.seed, replication)
        };
        let partitions = topic.partitions as usize;
        let mut group = Group {
            // Pollers start staggered over the interval: worker w's polls
            // count from w·interval/workers.
            polls: if g.poll_interval.as_nanos() > 0 {
                let slots = u64::from(g.worker_slots().max(1));
                (0..slots)
                    .map(|w| {
                        let phase = w * g.poll_interval.as_nanos() / slots;
                        (SimTime::MAX, SimTime(phase))
                    })
                    .collect()
            } else {
                Vec::new()
            },
            ttl_salt: StreamId::named(&format!("topic/{}/ttl", topic.name))
                .rng(system.seed, replication)
                .next_u64(),
            index: GroupId(index as u32),
            spec: g,
            topic,
            track_order,
            buffer: Buffer::new(topic, g.partitioned),
            landing: VecDeque::new(),
            workers: Workers::new(g, GroupId(index as u32)),
            prefetch: prefetch::Prefetch::new(g.prefetch, g.worker_slots() as usize),
            zombies: 0,
            delayed: Slab::default(),
            tracks: BTreeMap::new(),
            service_rng: rng("service"),
            read_rng: rng("read"),
            overhead_rng: rng("overhead"),
            fault_rng: rng("faults"),
            read_latency: match &topic.policy {
                Policy::Spill(spill) => spill.read_latency.clone(),
                _ => None,
            },
            poison_salt: rng("poison").next_u64(),
            faulty: !g.faults.is_none(),
            service_only: false,
            assignment: None,
            rate_cap: g.max_rate_per_s.map(throttle::Bucket::new),
            partition_caps: g
                .partition_max_rate_per_s
                .map(|r| vec![throttle::Bucket::new(r); partitions])
                .unwrap_or_default(),
            wake_at: None,
            rebalances: 0,
            partitions: vec![PartitionStats::default(); partitions],
            last_by_key: KeyMap::default(),
            order_sweep_at: settle::ORDER_SWEEP_MIN,
            out_of_order: 0,
            counters: GroupCounters::default(),
            window: GroupWindow {
                classes: vec![
                    ClassWindow::default();
                    topic.max_priority.map_or(0, |m| usize::from(m) + 1)
                ],
                ..GroupWindow::default()
            },
            dead_letters: DeadLetters::default(),
            max_depth: 0,
            last_row: GroupCounters::default(),
            last_left: SimTime::ZERO,
            row_e2e: LatencyHistogram::new(),
            keys: keys::KeyGate::new(g.key_ordered, g.key_max_rate_per_s),
            plain: false,
            linked: system.tracks_paths(),
            interrupted_effects: Vec::new(),
        };
        group.plain = !g.partitioned
            && group.keys.is_none()
            && group.rate_cap.is_none()
            && group.partition_caps.is_empty()
            && g.poll_interval.as_nanos() == 0
            && g.prefetch == 1;
        group.service_only = !group.faulty
            && group.read_latency.is_none()
            && g.fetch_overhead.is_none()
            && g.delivery_overhead.is_none();
        if g.partitioned {
            let assignment = Assignment::new(partitions, group.workers.slots(), &mut group.buffer);
            group.assignment = Some(assignment);
        }
        group
    }

    /// Its running bookkeeping against a recount: the worker pool, the
    /// buffer's indexes, and the partitions' owners as the buffer knows
    /// them. The error says what disagrees.
    pub(super) fn check(&self) -> Result<(), String> {
        self.workers.check()?;
        self.buffer.check()?;
        match &self.assignment {
            Some(a) => a.check(&self.buffer),
            None => Ok(()),
        }
    }

    /// When the buffer's entry numbers run out: renumbers every message
    /// the group holds (queued, in flight, waiting to be redelivered) in
    /// order, before the next entry takes a number.
    #[inline]
    pub(super) fn renumber_if_due(&mut self) {
        if self.buffer.seq_due() {
            let in_flight = self.workers.jobs_mut().map(|job| &mut job.item.seq);
            let delayed = self.delayed.values_mut().map(|item| &mut item.seq);
            let held = (self.prefetch.iter_mut())
                .flat_map(|p| p.items_mut())
                .map(|item| &mut item.seq);
            self.buffer.renumber(in_flight.chain(delayed).chain(held));
        }
    }

    /// Deliveries that own their message (zombies excluded), and
    /// messages workers hold behind them.
    pub(super) fn in_flight(&self) -> u64 {
        let held = self.prefetch.as_ref().map_or(0, |p| p.count());
        u64::from(self.workers.busy() - self.zombies) + held
    }

    /// Messages queued: ready in the buffer, or in the broker's hand-off.
    #[inline]
    pub(super) fn depth(&self) -> u64 {
        self.buffer.len() + self.landing.len() as u64
    }

    /// Records the current depth at `now` (busy workers are recorded
    /// where they change; zombies and delayed messages by `note_faults`).
    #[inline]
    pub(super) fn note_levels(&mut self, now: SimTime) {
        self.window.depth.set(now.0, self.depth());
    }

    /// Records a partition's peak depth (only with several partitions).
    #[inline]
    pub(super) fn note_partition_depth(&mut self, p: usize) {
        if self.partitions.len() > 1 {
            let depth = self.buffer.partition_len(p);
            let stats = &mut self.partitions[p];
            stats.max_depth = stats.max_depth.max(depth);
        }
    }

    /// Records that partition `p` held one message for an instant (a
    /// message handed over from an empty buffer).
    #[inline]
    pub(super) fn note_partition_depth_of_one(&mut self, p: usize) {
        if self.partitions.len() > 1 {
            let stats = &mut self.partitions[p];
            stats.max_depth = stats.max_depth.max(1);
        }
    }

    /// Forgets order tracking of keys whose latest processed message is
    /// older than every copy still in the group: no completion can be out
    /// of order against them any more. The next sweep waits until the map
    /// has doubled and outgrown the group's copies, so sweeps cost O(1) per
    /// message and the map stays bounded by what the group holds.
    pub(super) fn sweep_order(&mut self) {
        let in_flight = self.workers.jobs().map(|s| s.item.message.id.0);
        let delayed = self.delayed.iter().map(|(_, i)| i.message.id.0);
        let landing = self.landing.iter().map(|(_, i)| i.message.id.0);
        let held = (self.prefetch.iter())
            .flat_map(|p| p.items())
            .map(|i| i.message.id.0);
        let oldest = self
            .buffer
            .min_id()
            .into_iter()
            .chain(in_flight)
            .chain(delayed)
            .chain(landing)
            .chain(held)
            .min()
            .unwrap_or(u64::MAX);
        self.last_by_key.retain(|_, last| *last >= oldest);
        let held = self.depth() as usize + self.delayed.len() + self.workers.busy() as usize;
        self.order_sweep_at = (2 * self.last_by_key.len())
            .max(held)
            .max(settle::ORDER_SWEEP_MIN);
    }

    /// Producer `p` crashed and the buffers live in its process: its
    /// messages that wait here, ready or for a redelivery, are lost.
    pub(super) fn lose_from(&mut self, ctx: &mut Ctx, p: usize) {
        let mine = |item: &Item| item.message.producer as usize == p;
        for item in self.buffer.take_where(mine) {
            self.note_age(ctx, item.enqueued);
            self.lost(ctx, item);
        }
        for item in self.take_landing_where(mine) {
            self.note_age(ctx, item.enqueued);
            self.lost(ctx, item);
        }
        let delayed: Vec<u32> = (self.delayed.iter())
            .filter(|(_, i)| mine(i))
            .map(|(k, _)| k)
            .collect();
        for slot in delayed {
            if let Some(item) = self.delayed.remove(slot) {
                self.lost(ctx, item);
            }
        }
        self.note_levels(ctx.now);
        self.note_faults(ctx.now);
    }

    /// Whether a message arriving now goes straight to an idle worker
    /// without entering the buffer (a plain group with an empty buffer,
    /// and no hand-off): all a topic with no room (`capacity = 0`) accepts.
    #[inline]
    pub(super) fn takes_at_once(&self) -> bool {
        self.plain
            && self.buffer.is_empty()
            && self.workers.has_idle()
            && !self.workers.is_down()
            && self.topic.handoff_latency.is_none()
    }

    /// When the longest-waiting ready message entered the group (held
    /// and landing ones included).
    pub(super) fn oldest_ready(&self) -> Option<SimTime> {
        (self.buffer.oldest_enqueued().into_iter())
            .chain(self.landing.front().map(|(_, item)| item.enqueued))
            .min()
    }

    /// [`Self::oldest_ready`], looking at every ready message (for the
    /// end of a run).
    pub(super) fn oldest_ready_of_all(&self) -> Option<SimTime> {
        (self.buffer.oldest_of_all().into_iter())
            .chain(self.landing.iter().map(|(_, item)| item.enqueued))
            .min()
    }

    /// Statistics restart at the end of warm-up.
    pub(super) fn restart_window(&mut self, now: SimTime) {
        let w = &mut self.window;
        w.queue_wait.clear();
        w.end_to_end.clear();
        w.depth.restart(now.0);
        w.zombies.restart(now.0);
        w.delayed.restart(now.0);
        w.processed = 0;
        w.left = 0;
        w.sojourn_ns = 0;
        w.max_age_ns = 0;
        for class in &mut w.classes {
            *class = ClassWindow::default();
        }
        self.workers.restart_window(now);
    }

    /// The group's time-series row at `now`: its state, and its rates over
    /// the time since the previous row (`per_s` turns a count into one),
    /// beside what the topic adds.
    pub(super) fn row(
        &mut self,
        now: SimTime,
        topic: &TopicRow,
        per_s: &impl Fn(u64) -> f64,
    ) -> SeriesRow {
        let c = self.counters;
        let last = std::mem::replace(&mut self.last_row, c);
        let dropped = (c.evicted + c.expired + c.lost) - (last.evicted + last.expired + last.lost);
        SeriesRow {
            time_s: now.as_secs_f64(),
            group: self.index.0,
            depth: self.depth(),
            depth_bytes: self.buffer.bytes(),
            disk_depth: self.buffer.disk_len(),
            oldest_age_s: self
                .oldest_ready()
                .map_or(0.0, |t| now.since(t).as_secs_f64()),
            e2e_p99_s: self.row_e2e.take_quantile_s(0.99),
            in_flight: self.in_flight(),
            published_per_s: topic.published_per_s,
            accepted_per_s: per_s(c.accepted - last.accepted),
            completed_per_s: per_s(c.processed - last.processed),
            dropped: dropped + topic.dropped,
            blocked: topic.blocked,
            delayed: self.delayed.len() as u64,
            dead_lettered: c.dead_lettered,
            redelivered_per_s: per_s(c.redeliveries - last.redeliveries),
            duplicate_side_effects: c.duplicate_side_effects,
            wasted: 0,
            workers_up: self.workers.up_now(),
            workers: self.workers.levels().provisioned.level(),
        }
    }

    /// Records zombie deliveries and delayed messages at `now`.
    pub(super) fn note_faults(&mut self, now: SimTime) {
        self.window.zombies.set(now.0, u64::from(self.zombies));
        self.window.delayed.set(now.0, self.delayed.len() as u64);
    }
}
