//! The lean path of a run: when its one topic is read by one lean group
//! ([`Group::is_lean`]) and fed by producers that cannot fail, its
//! arrivals and finished deliveries — nearly every event — take a
//! straight line decided once as the run starts, skipping every test
//! whose answer is known then (publish latency, lost acks, crashes,
//! several readers, linked groups, blocked publishes). A bounded topic
//! asks its one question per publish (is there room?) and hands a publish
//! that finds none to the general path, which refuses it or evicts for
//! it. Each state change and statistic is the one the general path makes,
//! in the same order, so outputs are byte-identical: the golden test
//! guards it, and the tests that run scenarios with and without the plain
//! paths (`without_plain_paths`) compare them.
//!
//! [`Group::is_lean`]: super::group::Group

use super::Simulation;
use super::held::NOT_HELD;
use super::state::Publish;
use super::topic::Admission;
use crate::model::key::own_key;
use crate::model::message::Message;
use crate::model::system::Link;

/// Which lean path a run takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lean {
    /// The topic is unbounded: every publish is accepted.
    Unbounded,
    /// The topic has a capacity (messages or bytes) and refuses, or drops
    /// its oldest, when full.
    Bounded,
}

impl Simulation<'_> {
    /// The lean path this run takes, if any (decided as it starts).
    pub(super) fn lean(&self) -> Option<Lean> {
        let s = self.scenario;
        let lean = matches!(s.link, Link::Publish)
            && self.ctx.log.is_none()
            && self.topics.len() == 1
            && self.groups.len() == 1
            && s.services.is_empty()
            && self.topics[0].spec.publish_latency.is_none()
            && self.groups[0].is_lean()
            && (self.producers.iter()).all(|p| {
                let f = p.faults();
                p.spec.call.is_none()
                    && p.spec.topic == 0
                    && f.ack_loss == 0.0
                    && f.retry_attempts == 0
                    && f.crashes.is_empty()
                    && !f.poison
            });
        let topic = self.topics[0].spec;
        let bounded = topic.capacity != u64::MAX || topic.capacity_bytes != u64::MAX;
        lean.then_some(if bounded {
            Lean::Bounded
        } else {
            Lean::Unbounded
        })
    }

    /// [`Simulation::on_arrival`] on the lean path: producer `p`'s tick
    /// publishes its messages, each accepted into the one group (`BOUNDED`:
    /// if there is room; one that finds none takes the general path).
    pub(super) fn on_arrival_lean<const BOUNDED: bool>(&mut self, p: usize) {
        let Some(tick) = self.producers[p].take_tick() else {
            return;
        };
        let producer_id = self.producers[p].id.0;
        for i in 0..tick.count {
            if self.failure.is_some() {
                // The runaway guard fired inside this tick: stop here.
                return;
            }
            if BOUNDED && self.rejects_all(0, p) {
                // Full by count: the rest of the tick is refused undrawn.
                self.reject_in_bulk(0, u64::from(tick.count - i));
                break;
            }
            let (key, size) = self.producers[p].draw(&tick);
            let id = self.next_id;
            let key = own_key(key, id);
            let message = Message::new(id, key, size, producer_id, self.ctx.now);
            self.next_id += 1;
            let topic = &mut self.topics[0];
            topic.created += 1;
            topic.published += 1;
            if BOUNDED && self.decide(0, size) != Admission::Accept {
                // No room: refused, or room made by evicting.
                let publish = Publish {
                    message,
                    attempt: 0,
                    since: self.ctx.now,
                    holder: NOT_HELD,
                    link: 0,
                };
                self.admit(0, publish);
                continue;
            }
            let topic = &mut self.topics[0];
            topic.accepted += 1;
            let group = &mut self.groups[0];
            group.enqueue_lean(&mut self.ctx, message);
            if group.depth() > self.scenario.max_queued {
                self.check_growth();
            }
            // Accepted as it was created: a producer latency of zero
            // (`record_latency`).
            if self.ctx.in_window {
                self.topics[0].producer_latency.record_zero();
            }
        }
        self.schedule_next_tick(p, tick.time);
    }
}

#[cfg(test)]
impl Simulation<'_> {
    /// Whether this run would take the lean path (tests check that the
    /// cases they compare do).
    pub(crate) fn takes_lean_path(&self) -> bool {
        self.lean().is_some()
    }
}
