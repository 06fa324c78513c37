//! Producers' side: ticks of the arrival processes, publishes, and the
//! topic's admission decision under its backpressure policy.

use super::group::Tier;
use super::held::NOT_HELD;
use super::state::Publish;
use super::topic::{Admission, Topic};
use super::{LogKind, RunError, Simulation, TOPIC};
use crate::engine::SimTime;
use crate::model::message::Message;

/// Why the topic refused a publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The buffer was full (drop reason `rejected`).
    Rejected,
    /// It waited longer than `max_block` (`publish_timeout`).
    TimedOut,
}

impl Simulation<'_> {
    /// Draws producer `p`'s next tick after `after` and schedules it.
    #[inline]
    pub(super) fn schedule_next_tick(&mut self, p: usize, after: SimTime) {
        if let Err(err) = self.producers[p].schedule_next_tick(&mut self.ctx, after) {
            self.failure.get_or_insert(err);
        }
    }

    /// Producer `p`'s tick: its messages are published.
    pub(super) fn on_arrival(&mut self, p: usize) {
        let Some(tick) = self.producers[p].take_tick() else {
            return;
        };
        let producer = &self.producers[p];
        let (id, poison) = (producer.id, producer.spec.faults.poison);
        let t = producer.spec.topic;
        for i in 0..tick.count {
            if self.failure.is_some() {
                // The runaway guard fired inside this tick: stop here.
                return;
            }
            if self.rejects_all(t, p) {
                // Full by count: the rest of the tick is refused whatever
                // its keys and sizes, which are not drawn (a batch of any
                // size into a full buffer costs one step).
                self.reject_in_bulk(t, u64::from(tick.count - i));
                break;
            }
            let producer = &mut self.producers[p];
            let (key, size) = producer.draw(&tick);
            let key = crate::model::key::own_key(key, self.next_id);
            let down = producer.is_down(self.ctx.now);
            let priority = producer.priority(self.next_id);
            let mut message = Message::new(self.next_id, key, size, id.0, self.ctx.now);
            message.poison = poison;
            let topic = &mut self.topics[t];
            message.partition = topic.route(key, priority);
            self.next_id += 1;
            topic.created += 1;
            topic.published += 1;
            self.ctx.note(LogKind::Published, message.id.0, TOPIC);
            if down {
                // The producer is down: the request never reaches a buffer.
                self.lose_publish(message);
            } else {
                self.send(
                    t,
                    Publish {
                        message,
                        attempt: 0,
                        since: self.ctx.now,
                        holder: NOT_HELD,
                        link: 0,
                    },
                );
            }
        }
        self.schedule_next_tick(p, tick.time);
    }

    /// Sends one attempt to topic `t`; it arrives after the publish
    /// latency.
    #[inline]
    pub(super) fn send(&mut self, t: usize, publish: Publish) {
        if self.topics[t].is_instant() {
            self.admit(t, publish);
        } else {
            self.topics[t].send_later(&mut self.ctx, publish);
            self.check_growth();
        }
    }

    pub(super) fn on_accept(&mut self, t: usize, slot: u32) {
        if let Some(publish) = self.topics[t].in_transit.remove(slot) {
            self.admit(t, publish);
        }
    }

    /// Topic `t` decides on a publish attempt arriving now.
    pub(super) fn admit(&mut self, t: usize, mut publish: Publish) {
        publish.since = self.ctx.now;
        let size = publish.message.size;
        match self.decide(t, size) {
            Admission::Accept => self.accept(t, publish),
            Admission::Refuse => self.refuse(t, publish, Refusal::Rejected),
            Admission::Evict if self.evict_for(t, size) => self.accept(t, publish),
            Admission::Evict => self.refuse(t, publish, Refusal::Rejected),
            Admission::Wait => {
                self.topics[t].block(&mut self.ctx, publish);
                self.check_growth();
            }
        }
    }

    /// Topic `t`'s decision on a publish of `size` bytes arriving now.
    #[inline]
    pub(super) fn decide(&self, t: usize, size: u32) -> Admission {
        let topic = &self.topics[t];
        topic.decide(size, &self.groups[topic.readers.clone()])
    }

    /// True when every message producer `p` publishes now is rejected at
    /// once, whatever its key and size: the policy rejects, a group's
    /// buffer is full by count, and neither a publish latency, a retry nor
    /// a crash can tell one message from the next.
    #[inline]
    pub(super) fn rejects_all(&self, t: usize, p: usize) -> bool {
        let topic = &self.topics[t];
        topic.rejects_at_once
            && self.groups[topic.readers.clone()]
                .iter()
                .any(|g| g.buffer.full_by_count() && !g.takes_at_once())
            && self.producers[p].faults().retry_attempts == 0
            && !self.producers[p].is_down(self.ctx.now)
    }

    /// Rejects the next `n` messages at once, in O(1) unless the log is
    /// kept. They draw no key or size.
    pub(super) fn reject_in_bulk(&mut self, t: usize, n: u64) {
        if self.ctx.log.is_some() {
            for id in self.next_id..self.next_id + n {
                self.ctx.note(LogKind::Published, id, TOPIC);
                self.ctx.note(LogKind::Rejected, id, TOPIC);
            }
        }
        self.bulk_rejected += n;
        self.next_id += n;
        let topic = &mut self.topics[t];
        topic.created += n;
        topic.published += n;
        topic.rejected += n;
        topic.skip_routes(n);
        if self.ctx.in_window {
            topic.producer_latency.record_n(0, n);
        }
    }

    /// Evicts the oldest ready messages of each full reader of topic `t`
    /// until a message of `size` fits everywhere; false if it cannot fit
    /// even when empty.
    pub(super) fn evict_for(&mut self, t: usize, size: u32) -> bool {
        for g in self.topics[t].readers.clone() {
            while self.groups[g].buffer.room(size).is_none() {
                if self.groups[g].buffer.is_empty() {
                    return false;
                }
                self.groups[g].evict_head(&mut self.ctx);
            }
        }
        true
    }

    /// Topic `t` accepts a producer's publish: into every reader's buffer,
    /// and acked.
    fn accept(&mut self, t: usize, mut publish: Publish) {
        if publish.holder != NOT_HELD {
            // A child: its processing hears the ack.
            self.enqueue_in_readers(t, publish.message);
            return self.settle_child(&publish, true);
        }
        let ack_lost = self.decide_ack(&mut publish);
        self.enqueue_in_readers(t, publish.message);
        if !ack_lost {
            self.topics[t].record_latency(&self.ctx, &publish.message);
        }
    }

    /// Puts a message topic `t` accepted in every reader's buffer.
    #[inline]
    pub(super) fn enqueue_in_readers(&mut self, t: usize, message: Message) {
        self.topics[t].accepted += 1;
        let ready_at = self.topics[t].ready_at(self.ctx.now);
        for g in self.topics[t].readers.clone() {
            if let Some(at) = ready_at {
                self.groups[g].hand_off(&mut self.ctx, message, at);
                continue;
            }
            let tier = self.groups[g]
                .buffer
                .room(message.size)
                .unwrap_or(Tier::Memory);
            self.groups[g].enqueue(&mut self.ctx, message, tier);
            if self.ready() > self.scenario.max_queued {
                self.check_growth();
            }
        }
    }

    /// Admits blocked publishes of every topic, oldest first, while they
    /// fit; those that waited `max_block` fail with `publish_timeout`.
    pub(super) fn unblock(&mut self) {
        for t in 0..self.topics.len() {
            loop {
                let topic = &mut self.topics[t];
                let readers = &self.groups[topic.readers.clone()];
                let Some((head, timed_out)) = topic.next_unblocked(self.ctx.now, readers) else {
                    break;
                };
                if timed_out {
                    self.refuse(t, head, Refusal::TimedOut);
                } else {
                    self.accept(t, head);
                }
            }
        }
    }

    /// Ready messages across groups.
    pub(super) fn ready(&self) -> u64 {
        self.groups.iter().map(|g| g.depth()).sum()
    }

    /// Messages held anywhere: ready, blocked, in transit, waiting to retry
    /// or to be redelivered.
    fn held(&self) -> u64 {
        let delayed: usize = self.groups.iter().map(|g| g.delayed.len()).sum();
        let publishes: usize = (self.topics.iter())
            .map(|t| t.blocked.len() + t.in_transit.len() + t.retrying.len())
            .sum();
        self.ready() + (publishes + delayed) as u64
    }

    /// The runaway guard: messages held anywhere (ready, blocked, in
    /// transit, waiting to retry or to be redelivered) above the limit stop
    /// the run with an explanation.
    pub(super) fn check_growth(&mut self) {
        if self.held() <= self.scenario.max_queued || self.failure.is_some() {
            return;
        }
        let elapsed = self.ctx.now.as_secs_f64().max(1e-9);
        let (g, group) = self
            .groups
            .iter()
            .enumerate()
            .max_by_key(|(_, g)| g.depth())
            .expect("a scenario has at least one group");
        let spec = &self.scenario.groups[g];
        // An autoscaled group is judged at its most workers.
        let workers = spec.worker_slots();
        let capacity = f64::from(workers) / spec.service.mean().max(1e-12);
        let delayed: usize = self.groups.iter().map(|g| g.delayed.len()).sum();
        let count = |f: fn(&Topic) -> usize| self.topics.iter().map(f).sum::<usize>();
        let elsewhere: Vec<String> = [
            (count(|t| t.blocked.len()), "blocked publishes"),
            (count(|t| t.in_transit.len()), "publishes in transit"),
            (count(|t| t.retrying.len()), "publishes waiting to retry"),
            (delayed, "messages waiting to be redelivered"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        let why = format!(
            "group `{}` received {:.1} msg/s but its {} workers complete at most {:.1} msg/s \
             (workers / mean service time); {} ready messages{}",
            spec.name,
            group.counters.accepted as f64 / elapsed,
            workers,
            capacity,
            self.ready(),
            if elsewhere.is_empty() {
                String::new()
            } else {
                format!(", {}", elsewhere.join(", "))
            }
        );
        self.failure = Some(RunError::Runaway {
            topic: self.scenario.topics[spec.topic].name.clone(),
            limit: self.scenario.max_queued,
            at_s: self.ctx.now.as_secs_f64(),
            why,
        });
    }
}
