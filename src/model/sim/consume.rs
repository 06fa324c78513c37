//! Consumer groups' side: enqueue, delivery to idle workers, completion,
//! eviction and expiry.

use super::buffer::{Ready, Tier};
use super::{Event, InService, LogKind, Simulation};
use crate::engine::{SimDuration, SimTime};
use crate::model::message::Message;

impl Simulation<'_> {
    /// Adds an accepted message to group `g`'s buffer and delivers it at
    /// once if a worker is idle.
    pub(super) fn enqueue(&mut self, g: usize, message: Message, tier: Tier) {
        let now = self.now;
        let group = &mut self.groups[g];
        group.buffer.push(message, now, tier);
        if self.log.is_some() {
            self.note(LogKind::Enqueued, message.id.0, g as u32);
        }
        let group = &mut self.groups[g];
        group.counters.accepted += 1;
        group.window.entered += 1;
        self.total_ready += 1;
        let depth = group.buffer.len();
        group.max_depth = group.max_depth.max(depth);
        group.window.depth.set(now.0, depth);
        group
            .window
            .in_system
            .set(now.0, depth + u64::from(group.busy));
        if !group.idle.is_empty() {
            self.dispatch(g);
        }
        if self.total_ready > self.scenario.max_queued {
            self.check_growth();
        }
    }

    /// Hands ready messages to idle workers of group `g`, dropping the
    /// expired ones it meets at the head.
    pub(super) fn dispatch(&mut self, g: usize) {
        while !self.groups[g].idle.is_empty() {
            let Some(ready) = self.groups[g].buffer.pop() else {
                break;
            };
            self.total_ready -= 1;
            if self.is_expired(&ready.message) {
                self.note(LogKind::Expired, ready.message.id.0, g as u32);
                self.leave(g, ready.enqueued);
                self.groups[g].counters.expired += 1;
                continue;
            }
            self.deliver(g, ready);
        }
        let group = &mut self.groups[g];
        let depth = group.buffer.len();
        group.window.depth.set(self.now.0, depth);
        group
            .window
            .in_system
            .set(self.now.0, depth + u64::from(group.busy));
    }

    fn deliver(&mut self, g: usize, ready: Ready) {
        self.note(LogKind::Delivered, ready.message.id.0, g as u32);
        let now = self.now;
        let spec = &self.scenario.groups[g];
        let group = &mut self.groups[g];
        let worker = group
            .idle
            .pop()
            .expect("dispatch checked for an idle worker");
        let mut busy_for = spec.service.sample(&mut group.service_rng);
        if ready.tier == Tier::Disk
            && let Some(read) = &group.read_latency
        {
            busy_for += read.sample(&mut group.read_rng);
        }
        group.workers[worker as usize] = Some(InService {
            message: ready.message,
            enqueued: ready.enqueued,
        });
        group.busy += 1;
        group.counters.deliveries += 1;
        group.window.busy.set(now.0, u64::from(group.busy));
        if self.in_window {
            group
                .window
                .queue_wait
                .record(now.since(ready.enqueued).as_nanos());
        }
        let done = now + SimDuration::from_secs_f64(busy_for);
        self.events.schedule(
            done,
            Event::Done {
                group: g as u32,
                worker,
            },
        );
    }

    /// Worker `w` of group `g` has processed its message.
    pub(super) fn on_done(&mut self, g: usize, w: usize) {
        let now = self.now;
        let group = &mut self.groups[g];
        let Some(done) = group.workers[w].take() else {
            return;
        };
        group.busy -= 1;
        group.idle.push(w as u32);
        group.counters.processed += 1;
        let id = done.message.id.0;
        group.window.busy.set(now.0, u64::from(group.busy));
        if self.in_window {
            group.window.processed += 1;
            group
                .window
                .end_to_end
                .record(now.since(done.message.created).as_nanos());
        }
        self.note(LogKind::Processed, id, g as u32);
        self.leave(g, done.enqueued);
        self.dispatch(g);
    }

    /// A message that entered group `g` at `enqueued` leaves it now
    /// (processed or dropped): Little's-law bookkeeping.
    fn leave(&mut self, g: usize, enqueued: SimTime) {
        let window = &mut self.groups[g].window;
        if self.in_window && enqueued >= self.window_start {
            window.left += 1;
            window.sojourn_ns += u128::from(self.now.since(enqueued).as_nanos());
        }
    }

    fn is_expired(&self, message: &Message) -> bool {
        self.scenario
            .topic
            .ttl
            .is_some_and(|ttl| self.now.since(message.created) > ttl)
    }

    /// Drops the oldest ready message of group `g` (drop_oldest policy).
    pub(super) fn evict_head(&mut self, g: usize) {
        if let Some(ready) = self.groups[g].buffer.pop() {
            self.total_ready -= 1;
            self.groups[g].counters.evicted += 1;
            self.note(LogKind::Evicted, ready.message.id.0, g as u32);
            self.leave(g, ready.enqueued);
            let group = &mut self.groups[g];
            let depth = group.buffer.len();
            group.window.depth.set(self.now.0, depth);
            group
                .window
                .in_system
                .set(self.now.0, depth + u64::from(group.busy));
        }
    }

    /// Drops expired messages at the head of every buffer (expiry is seen
    /// at the head, as in RabbitMQ's classic queues).
    pub(super) fn expire_heads(&mut self) {
        if self.scenario.topic.ttl.is_none() {
            return;
        }
        for g in 0..self.groups.len() {
            while let Some(head) = self.groups[g].buffer.head() {
                if !self.is_expired(&head.message) {
                    break;
                }
                let ready = self.groups[g].buffer.pop().expect("head exists");
                self.total_ready -= 1;
                self.groups[g].counters.expired += 1;
                self.note(LogKind::Expired, ready.message.id.0, g as u32);
                self.leave(g, ready.enqueued);
            }
            let group = &mut self.groups[g];
            let depth = group.buffer.len();
            group.window.depth.set(self.now.0, depth);
            group
                .window
                .in_system
                .set(self.now.0, depth + u64::from(group.busy));
        }
    }
}
