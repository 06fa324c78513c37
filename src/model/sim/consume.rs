//! Consumer groups' side: enqueue, delivery to idle workers, and what a
//! worker decides when it finishes.

use super::buffer::{Item, Tier};
use super::state::{FailKind, InService};
use super::{Event, LogKind, Simulation};
use crate::engine::{SimDuration, SimTime, hash_uniform};
use crate::model::message::Message;
use crate::model::topic::DeliveryMode;
use rand::RngExt;

impl Simulation<'_> {
    /// Adds an accepted message to group `g`'s buffer and delivers it at
    /// once if a worker is idle.
    pub(super) fn enqueue(&mut self, g: usize, message: Message, tier: Tier) {
        let now = self.now;
        if message.tracked && !message.holds_refs {
            self.groups[g]
                .tracks
                .entry(message.origin.0)
                .or_default()
                .refs += 1;
        }
        self.note(LogKind::Enqueued, message.id.0, g as u32);
        let group = &mut self.groups[g];
        group
            .buffer
            .push_back(Item::new(message, now, tier, message.tracked));
        group.counters.accepted += 1;
        self.total_ready += 1;
        group.max_depth = group.max_depth.max(group.buffer.len());
        group.note_partition_depth(message.partition as usize);
        group.note_levels(now);
        self.notify(g, message.partition as usize);
        if self.total_ready > self.scenario.max_queued {
            self.check_growth();
        }
    }

    /// Hands ready messages to idle workers of group `g` (unless the group
    /// is down), dropping the expired ones it meets at the head.
    pub(super) fn dispatch(&mut self, g: usize) {
        if self.groups[g].down > 0 {
            return;
        }
        if self.groups[g].assignment.is_some() {
            self.dispatch_partitioned(g);
            self.groups[g].note_levels(self.now);
            return;
        }
        if self.groups[g].keys.is_some() {
            self.dispatch_by_key(g);
            return;
        }
        let capped = !self.groups[g].partition_caps.is_empty();
        while !self.groups[g].idle.is_empty() {
            if let Some(at) = self.group_throttled(g) {
                self.wake_at(g, at);
                break;
            }
            let item = if capped {
                self.pop_open(g)
            } else {
                self.groups[g].buffer.pop()
            };
            let Some(item) = item else {
                break;
            };
            self.total_ready -= 1;
            if self.is_expired(&item.message) {
                self.expire(g, item);
                continue;
            }
            let w = self.groups[g]
                .idle
                .pop()
                .expect("the loop checked for an idle worker");
            self.spend_tokens(g, item.message.partition as usize);
            self.deliver_to(g, w, item);
        }
        self.groups[g].note_levels(self.now);
    }

    /// The oldest head among partitions whose cap has a token; if all with
    /// messages are capped, wakes up when the first opens.
    pub(super) fn pop_open(&mut self, g: usize) -> Option<Item> {
        let now = self.now;
        let group = &mut self.groups[g];
        let caps = &group.partition_caps;
        let open = |p: usize| caps.get(p).is_none_or(|b| b.ready_at(now) <= now);
        match group.buffer.oldest_partition_among(open) {
            Some(p) => group.buffer.pop_from(p),
            None => {
                if let Some(at) = self.next_partition_opening(g) {
                    self.wake_at(g, at);
                }
                None
            }
        }
    }

    /// Hands `item` to worker `w` (no longer in the idle list).
    pub(super) fn deliver_to(&mut self, g: usize, w: u32, mut item: Item) {
        self.note(LogKind::Delivered, item.message.id.0, g as u32);
        let now = self.now;
        let first = item.deliveries == 0;
        let duplicate = if item.tracked {
            self.is_duplicate_delivery(g, &item)
        } else {
            item.side_effects > 0
        };
        item.deliveries = item.deliveries.saturating_add(1);
        let (busy_for, failure) = self.decide(g, &item);
        let group = &mut self.groups[g];
        let c = &mut group.counters;
        c.deliveries += 1;
        c.redeliveries += u64::from(!first);
        c.duplicate_deliveries += u64::from(duplicate);
        if first && self.in_window {
            group
                .window
                .queue_wait
                .record(now.since(item.enqueued).as_nanos());
        }
        let worker = &mut group.workers[w as usize];
        worker.current = Some(InService {
            item,
            failure,
            started: now,
            zombie: false,
        });
        worker.started = worker.started.wrapping_add(1);
        let (epoch, delivery) = (worker.epoch, worker.started);
        group.busy += 1;
        group.note_busy(now);
        let (group_ix, worker_ix) = (g as u32, w);
        let delivery_spec = &self.scenario.topic.delivery;
        if delivery_spec.mode == DeliveryMode::AtLeastOnce
            && let Some(timeout) = delivery_spec.ack_timeout
            && busy_for > timeout
        {
            let event = Event::AckTimeout {
                group: group_ix,
                worker: worker_ix,
                epoch,
                delivery,
            };
            self.events.schedule(now + timeout, event);
        }
        let done = Event::Done {
            group: group_ix,
            worker: worker_ix,
            epoch,
        };
        self.events.schedule(now + busy_for, done);
    }

    /// How long a delivery takes and whether it fails, decided as it starts.
    /// Poison is a fixed draw per message (by origin), so a poison message
    /// fails on every delivery.
    fn decide(&mut self, g: usize, item: &Item) -> (SimDuration, Option<FailKind>) {
        let spec = &self.scenario.groups[g];
        let group = &mut self.groups[g];
        let mut service = spec.service.sample(&mut group.service_rng);
        let read = match (&group.read_latency, item.tier) {
            (Some(read), Tier::Disk) => read.sample(&mut group.read_rng),
            _ => 0.0,
        };
        let faults = &spec.faults;
        if !group.faulty && !item.message.poison {
            return (SimDuration::from_secs_f64(read + service), None);
        }
        let poison = item.message.poison
            || hash_uniform(group.poison_salt, item.message.origin.0) < faults.poison_share;
        // The transient draw is made only for messages that are not poison.
        let fails = poison
            || (faults.failure_probability > 0.0
                && group.fault_rng.random::<f64>() < faults.failure_probability);
        let mut failure = fails.then_some(FailKind::Failed);
        if let Some(limit) = faults.processing_timeout
            && service > limit.as_secs_f64()
        {
            service = limit.as_secs_f64();
            failure = Some(FailKind::TimedOut);
        }
        (SimDuration::from_secs_f64(read + service), failure)
    }

    /// Worker `w` of group `g` finished a delivery (unless it crashed since).
    pub(super) fn on_done(&mut self, g: usize, w: usize, epoch: u32) {
        let group = &mut self.groups[g];
        let worker = &mut group.workers[w];
        if worker.epoch != epoch {
            return;
        }
        let Some(mut done) = worker.current.take() else {
            return;
        };
        group.busy -= 1;
        let leaving = std::mem::take(&mut worker.leaving);
        if leaving {
            group
                .census
                .shift(&mut worker.phase, super::state::Phase::Parked);
        } else {
            group.idle.push(w as u32);
        }
        group.note_busy(self.now);
        if done.zombie {
            // Its ack is stale; its side effect still happens.
            group.zombies -= 1;
            group.note_faults(self.now);
            if done.failure.is_none() {
                self.side_effect(g, &mut done.item);
            }
            self.end_zombie(g, &done.item);
        } else if let Some(kind) = done.failure {
            self.fail(g, done.item, kind, None);
        } else {
            self.side_effect(g, &mut done.item);
            self.processed(g, done.item);
        }
        if leaving {
            // Scaled down while busy: it leaves now its delivery is over.
            self.groups[g].note_workers(self.now);
            self.rebalance(g);
        }
        if self.groups[g].assignment.is_some() {
            // Deliverable now: this worker's partitions, and the partition
            // just freed, whose owner may have changed while it was busy.
            self.dispatch_worker(g, w);
            self.dispatch_partition(g, done.item.message.partition as usize);
        } else {
            self.dispatch(g);
        }
    }

    pub(super) fn is_expired(&self, message: &Message) -> bool {
        self.scenario
            .topic
            .ttl
            .is_some_and(|ttl| self.now.since(message.created) > ttl)
    }

    /// Drops the oldest ready message of group `g` (drop_oldest policy).
    pub(super) fn evict_head(&mut self, g: usize) {
        if let Some(item) = self.groups[g].buffer.pop_oldest() {
            self.total_ready -= 1;
            self.evicted(g, item);
            self.groups[g].note_levels(self.now);
        }
    }

    /// Drops expired messages at the head of every buffer (expiry is seen
    /// at the head, as in RabbitMQ's classic queues).
    pub(super) fn expire_heads(&mut self) {
        if self.scenario.topic.ttl.is_none() {
            return;
        }
        for g in 0..self.groups.len() {
            for p in 0..self.groups[g].buffer.partitions() {
                while let Some(head) = self.groups[g].buffer.head_of(p) {
                    if !self.is_expired(&head.message) {
                        break;
                    }
                    let item = self.groups[g].buffer.pop_from(p).expect("head exists");
                    self.total_ready -= 1;
                    self.expire(g, item);
                }
            }
            self.groups[g].note_levels(self.now);
        }
    }

    /// When a message last entered a buffer, for Little's law.
    pub(super) fn leave(&mut self, g: usize, enqueued: SimTime) {
        let window = &mut self.groups[g].window;
        if self.in_window && enqueued >= self.window_start {
            window.left += 1;
            window.sojourn_ns += u128::from(self.now.since(enqueued).as_nanos());
        }
    }
}
