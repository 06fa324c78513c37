//! Producers' side: ticks of the arrival processes, publishes, and the
//! topic's admission decision under its backpressure policy.

use super::buffer::Tier;
use super::{Blocked, Event, LogKind, Simulation, TOPIC};
use crate::engine::{SimDuration, SimTime};
use crate::model::message::{Message, MessageId};
use crate::model::topic::Policy;

impl Simulation<'_> {
    /// Draws producer `p`'s next tick after `after` and schedules it, unless
    /// the process is exhausted or the tick falls at or after the stop.
    pub(super) fn schedule_next_tick(&mut self, p: usize, after: SimTime) {
        let producer = &mut self.producers[p];
        let local = SimTime(after.0.saturating_sub(producer.offset.0));
        let tick = producer.arrival.next(local, &mut producer.arrival_rng);
        if let Some(mut tick) = tick {
            tick.time += producer.offset;
            if tick.time < producer.stop {
                producer.pending = Some(tick);
                self.events
                    .schedule(tick.time, Event::Arrival { producer: p as u32 });
            }
        }
    }

    pub(super) fn on_arrival(&mut self, p: usize) {
        let Some(tick) = self.producers[p].pending.take() else {
            return;
        };
        for _ in 0..tick.count {
            let producer = &mut self.producers[p];
            let spec = &self.scenario.producers[p];
            let key = tick
                .key
                .unwrap_or_else(|| spec.keys.sample(&mut producer.key_rng));
            let size = tick.size.unwrap_or_else(|| {
                spec.size
                    .sample(&mut producer.size_rng)
                    .round()
                    .min(f64::from(u32::MAX)) as u32
            });
            let message = Message {
                id: MessageId(self.next_id),
                key,
                size,
                producer: p as u32,
                created: self.now,
            };
            self.next_id += 1;
            self.note(LogKind::Published, message.id.0, TOPIC);
            self.publish(message);
        }
        self.schedule_next_tick(p, tick.time);
    }

    /// The producer sends `message`; it reaches the topic after the publish
    /// latency.
    fn publish(&mut self, message: Message) {
        self.topic.published += 1;
        match &self.scenario.topic.publish_latency {
            Some(latency) => {
                let delay = SimDuration::from_secs_f64(latency.sample(&mut self.publish_rng));
                self.topic.publishing += 1;
                let sent = self.now;
                self.events
                    .schedule(self.now + delay, Event::Accept { message, sent });
            }
            None => self.admit(message, self.now),
        }
    }

    /// The topic decides on a publish sent at `sent`.
    pub(super) fn admit(&mut self, message: Message, sent: SimTime) {
        let blocking = matches!(self.scenario.topic.policy, Policy::Block { .. });
        if blocking && !self.topic.blocked.is_empty() {
            // Publishes are admitted in order: wait behind earlier ones.
            self.block(message, sent);
            return;
        }
        if self.has_room(message.size) {
            self.accept(message, sent);
            return;
        }
        match self.scenario.topic.policy {
            Policy::Reject | Policy::Spill(_) => self.reject(message),
            Policy::DropOldest => {
                if self.evict_for(message.size) {
                    self.accept(message, sent);
                } else {
                    self.reject(message);
                }
            }
            Policy::Block { .. } => self.block(message, sent),
        }
    }

    fn reject(&mut self, message: Message) {
        self.topic.rejected += 1;
        self.note(LogKind::Rejected, message.id.0, TOPIC);
    }

    /// True when every group's buffer can take `size` bytes.
    fn has_room(&self, size: u32) -> bool {
        self.groups.iter().all(|g| g.buffer.room(size).is_some())
    }

    /// Evicts the oldest ready messages of each full group until a message
    /// of `size` fits everywhere; false if it cannot fit even when empty.
    fn evict_for(&mut self, size: u32) -> bool {
        for g in 0..self.groups.len() {
            while self.groups[g].buffer.room(size).is_none() {
                if self.groups[g].buffer.is_empty() {
                    return false;
                }
                self.evict_head(g);
            }
        }
        true
    }

    /// Puts an accepted message in every group's buffer.
    fn accept(&mut self, message: Message, sent: SimTime) {
        self.topic.accepted += 1;
        if self.in_window {
            self.topic
                .producer_latency
                .record(self.now.since(sent).as_nanos());
        }
        for g in 0..self.groups.len() {
            let tier = self.groups[g]
                .buffer
                .room(message.size)
                .unwrap_or(Tier::Memory);
            self.enqueue(g, message, tier);
        }
    }

    fn block(&mut self, message: Message, sent: SimTime) {
        let since = self.now;
        self.note(LogKind::Blocked, message.id.0, TOPIC);
        self.topic.blocked.push_back(Blocked {
            message,
            sent,
            since,
        });
        let level = self.topic.blocked.len() as u64;
        self.topic.blocked_level.set(self.now.0, level);
        self.topic.max_blocked = self.topic.max_blocked.max(level);
        if let Policy::Block {
            max_block: Some(max),
        } = self.scenario.topic.policy
        {
            self.events.schedule(since + max, Event::BlockDeadline);
        }
        self.check_growth();
    }

    /// Admits blocked publishes, oldest first, while they fit; those that
    /// waited longer than `max_block` fail with `publish_timeout`.
    pub(super) fn unblock(&mut self) {
        let max_block = match self.scenario.topic.policy {
            Policy::Block { max_block } => max_block,
            _ => None,
        };
        while let Some(head) = self.topic.blocked.front().copied() {
            let timed_out = max_block.is_some_and(|m| self.now.since(head.since) >= m);
            if !timed_out && !self.has_room(head.message.size) {
                break;
            }
            self.topic.blocked.pop_front();
            self.topic
                .blocked_level
                .set(self.now.0, self.topic.blocked.len() as u64);
            if timed_out {
                self.topic.publish_timeouts += 1;
                self.note(LogKind::PublishTimedOut, head.message.id.0, TOPIC);
            } else {
                self.accept(head.message, head.sent);
            }
        }
    }

    /// The runaway guard: queued plus blocked messages above the limit stop
    /// the run with an explanation.
    pub(super) fn check_growth(&mut self) {
        let held = self.total_ready + self.topic.blocked.len() as u64;
        if held <= self.scenario.max_queued || self.failure.is_some() {
            return;
        }
        let elapsed = self.now.as_secs_f64().max(1e-9);
        let (g, group) = self
            .groups
            .iter()
            .enumerate()
            .max_by_key(|(_, g)| g.buffer.len())
            .expect("a scenario has at least one group");
        let spec = &self.scenario.groups[g];
        let capacity = f64::from(spec.workers) / spec.service.mean().max(1e-12);
        let why = format!(
            "group `{}` received {:.1} msg/s but its {} workers complete at most {:.1} msg/s \
             (workers / mean service time); {} blocked publishes",
            spec.name,
            group.counters.accepted as f64 / elapsed,
            spec.workers,
            capacity,
            self.topic.blocked.len()
        );
        self.failure = Some(super::RunError::Runaway {
            topic: self.scenario.topic.name.clone(),
            limit: self.scenario.max_queued,
            at_s: self.now.as_secs_f64(),
            why,
        });
    }
}
