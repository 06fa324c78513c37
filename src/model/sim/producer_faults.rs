//! Producer faults: refused publishes retried with backoff, acks lost
//! after acceptance (a duplicate publish unless the producer is
//! idempotent), and crashes that lose what the producer still holds.

use super::publish::Refusal;
use super::state::{Publish, RetryCause};
use super::{Event, LogKind, Simulation, TOPIC};
use crate::engine::SimDuration;
use crate::model::message::{Message, MessageId};

impl Simulation<'_> {
    /// The topic refused `publish`: retry it, or give up with a drop.
    pub(super) fn refuse(&mut self, t: usize, publish: Publish, why: Refusal) {
        if publish.holder != super::held::NOT_HELD {
            // A child is not retried: its processing fails.
            let kind = match why {
                Refusal::Rejected => {
                    self.topics[t].rejected += 1;
                    LogKind::Rejected
                }
                Refusal::TimedOut => {
                    self.topics[t].publish_timeouts += 1;
                    LogKind::PublishTimedOut
                }
            };
            self.ctx.note(kind, publish.message.id.0, TOPIC);
            return self.settle_child(&publish, false);
        }
        let p = publish.message.producer as usize;
        if self.producers[p].is_down(self.ctx.now) {
            // Nobody is left to retry or to report the failure.
            self.lose_publish(publish.message);
            return;
        }
        let faults = self.producers[p].faults();
        if !faults.acks {
            // Fire and forget: dropped where it was refused, unheard.
            let topic = &mut self.topics[t];
            match why {
                Refusal::Rejected => topic.rejected += 1,
                Refusal::TimedOut => topic.publish_timeouts += 1,
            }
            topic.unreported += 1;
            let kind = match why {
                Refusal::Rejected => LogKind::Rejected,
                Refusal::TimedOut => LogKind::PublishTimedOut,
            };
            self.ctx.note(kind, publish.message.id.0, TOPIC);
            self.release_expected(&publish.message);
            return;
        }
        if publish.attempt < faults.retry_attempts {
            self.schedule_retry(publish, RetryCause::Refused, SimDuration::ZERO);
            return;
        }
        let kind = match why {
            Refusal::Rejected => LogKind::Rejected,
            Refusal::TimedOut => LogKind::PublishTimedOut,
        };
        match (faults.retry_attempts, why) {
            (0, Refusal::Rejected) => self.topics[t].rejected += 1,
            (0, Refusal::TimedOut) => self.topics[t].publish_timeouts += 1,
            _ => self.topics[t].retries_exhausted += 1,
        }
        self.ctx.note(kind, publish.message.id.0, TOPIC);
        // The producer hears the refusal: its latency counts too.
        self.topics[t].record_latency(&self.ctx, &publish.message);
        self.release_expected(&publish.message);
    }

    /// Waits `extra` plus the retry backoff, then tries again.
    fn schedule_retry(&mut self, publish: Publish, cause: RetryCause, extra: SimDuration) {
        let p = publish.message.producer as usize;
        let delay = extra + self.producers[p].retry_delay(publish.attempt + 1);
        let id = publish.message.id.0;
        let t = self.producers[p].spec.topic;
        let slot = self.topics[t].retrying.insert((publish, cause));
        self.check_growth();
        let topic = self.topics[t].index;
        self.ctx
            .schedule(self.ctx.now + delay, Event::Retry { topic, slot, id });
    }

    /// Decides whether the ack of an accepted publish is lost. If the
    /// producer will publish again, the message's copies share side-effect
    /// history with the duplicate to come.
    pub(super) fn decide_ack(&mut self, publish: &mut Publish) -> bool {
        let p = publish.message.producer as usize;
        if self.producers[p].is_down(self.ctx.now) {
            return true; // The ack reaches a crashed producer: nobody retries.
        }
        if !self.producers[p].loses_ack() {
            return false;
        }
        let faults = self.producers[p].faults();
        let t = self.producers[p].spec.topic;
        self.topics[t].acks_lost += 1;
        if publish.attempt >= faults.retry_attempts {
            return true; // The producer gives up; the topic has the message anyway.
        }
        if !faults.idempotent {
            publish.message.tracked = true;
            for g in self.topics[t].readers.clone() {
                // A reference for the duplicate still to come.
                self.groups[g]
                    .tracks
                    .entry(publish.message.origin.0)
                    .or_default()
                    .refs += 1;
            }
        }
        let wait = faults.ack_timeout;
        self.schedule_retry(*publish, RetryCause::AckLost, wait);
        true
    }

    pub(super) fn on_retry(&mut self, t: usize, slot: u32, id: u64) {
        let mine = |entry: &(Publish, RetryCause)| entry.0.message.id.0 == id;
        if !self.topics[t].retrying.get(slot).is_some_and(mine) {
            return; // Lost in a producer crash (the slot may hold another).
        }
        let Some((mut publish, cause)) = self.topics[t].retrying.remove(slot) else {
            return;
        };
        self.topics[t].retries += 1;
        publish.attempt += 1;
        let p = publish.message.producer as usize;
        match cause {
            RetryCause::Refused => self.send(t, publish),
            RetryCause::AckLost if self.producers[p].faults().idempotent => {
                // The broker recognises the retry and only acks it.
                self.topics[t].duplicates_suppressed += 1;
                self.topics[t].record_latency(&self.ctx, &publish.message);
            }
            RetryCause::AckLost => {
                let original = publish.message;
                let duplicate = Message {
                    id: MessageId(self.next_id),
                    tracked: true,
                    holds_refs: true,
                    ..original
                };
                self.next_id += 1;
                self.topics[t].published += 1;
                self.topics[t].duplicate_publishes += 1;
                self.ctx.note(LogKind::Published, duplicate.id.0, TOPIC);
                self.send(
                    t,
                    Publish {
                        message: duplicate,
                        ..publish
                    },
                );
            }
        }
    }

    /// A retry after a lost ack will not happen: the message is in the
    /// topic already; only the duplicate its groups expect is gone.
    fn cancel_duplicate(&mut self, message: &Message) {
        let p = message.producer as usize;
        if message.tracked && !self.producers[p].faults().idempotent {
            for g in self.topics[self.producers[p].spec.topic].readers.clone() {
                self.groups[g].release(message.origin.0);
            }
        }
    }

    /// A buffer inside producer `p`'s process dies with it: its messages
    /// that wait, ready or for a redelivery, are lost in every group
    /// (deliveries already handed to workers carry on).
    fn lose_buffers(&mut self, p: usize) {
        let readers = self.topics[self.producers[p].spec.topic].readers.clone();
        for group in &mut self.groups[readers] {
            group.lose_from(&mut self.ctx, p);
        }
    }

    /// A publish that never reaches a buffer: drop reason `lost`.
    pub(super) fn lose_publish(&mut self, message: Message) {
        let t = self.producers[message.producer as usize].spec.topic;
        self.topics[t].lost += 1;
        self.ctx.note(LogKind::Lost, message.id.0, TOPIC);
        self.release_expected(&message);
    }

    /// A duplicate that will not reach the groups gives back the
    /// references they hold for it.
    fn release_expected(&mut self, message: &Message) {
        if message.holds_refs {
            let t = self.producers[message.producer as usize].spec.topic;
            for g in self.topics[t].readers.clone() {
                self.groups[g].release(message.origin.0);
            }
        }
    }

    /// Producer `p` crashes: what it still holds (retries, blocked
    /// publishes) is lost; publishes already on the wire still arrive.
    pub(super) fn on_producer_crash(&mut self, p: usize, down: SimDuration) {
        self.producers[p].crash(self.ctx.now, down);
        let t = self.producers[p].spec.topic;
        let (retrying, blocked) = self.topics[t].take_from(self.ctx.now, p);
        for (publish, cause) in retrying {
            match cause {
                RetryCause::Refused => self.lose_publish(publish.message),
                RetryCause::AckLost => self.cancel_duplicate(&publish.message),
            }
        }
        for publish in blocked {
            self.lose_publish(publish.message);
        }
        if !self.scenario.topics[t].durable {
            self.lose_buffers(p);
        }
    }
}
