//! What a finished delivery sends onward, in a graph: a processing whose
//! side effect happens publishes its children on the group's links (each
//! child a new message that keeps its root's creation time and extends
//! its path), and a child the topic refuses fails the delivery, to be
//! redelivered as the topic's rules say: backpressure travels upstream.
//! The processing's time from the root is recorded on its path.

use super::ids::GroupId;
use super::paths::{Hop, Place};
use super::state::FailKind;
use super::topic::Admission;
use super::{LogKind, Simulation, TOPIC};
use crate::model::message::Message;

/// What a processing published onward.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Sent {
    /// Children published.
    pub children: u64,
    /// Some child was refused.
    pub refused: bool,
}

impl Simulation<'_> {
    /// Worker `w` of group `g` (a linked group) finished its own work on
    /// a delivery, unless it crashed since (`epoch`): it makes its calls,
    /// if it has any and its work did not fail, or is done.
    pub(super) fn on_done_linked(&mut self, g: usize, w: usize, epoch: u32) {
        if !self.scenario.groups[g].calls.is_empty() {
            let succeeded =
                (self.groups[g].workers.job(w, epoch)).is_some_and(|d| d.failure.is_none());
            if succeeded && self.start_calls(GroupId(g as u32), w, epoch, 0) {
                return;
            }
        }
        self.complete_linked(g, w, epoch, true);
    }

    /// Worker `w` of group `g` is done with its delivery, unless it
    /// crashed since (`epoch`); `calls_ok`: its calls (if any) succeeded,
    /// else the delivery fails as its own error would.
    pub(super) fn complete_linked(&mut self, g: usize, w: usize, epoch: u32, calls_ok: bool) {
        let now = self.ctx.now;
        // What this job's calls published downstream (cleared for the
        // worker's next job, whatever this one's outcome).
        let downstream = self.calls.take_carried(g, w, epoch);
        let Some(finished) = self.groups[g].workers.finish(now, w, epoch) else {
            return;
        };
        let (mut done, leaving) = (finished.job, finished.left);
        if !calls_ok {
            done.failure.get_or_insert(FailKind::Failed);
        }
        let partition = done.item.message.partition as usize;
        let message = done.item.message;
        let topic_of = |p: usize| self.scenario.producers[p].topic;
        let path = self.paths.of(&message, topic_of);
        let here = self.paths.then(path, Place::Group(g));
        if done.zombie {
            // Its ack is stale, but its side effect, publishes included,
            // still happens.
            let succeeded = done.failure.is_none();
            if self.groups[g].zombie_done(&mut self.ctx, &mut done.item, succeeded) {
                self.forward(g, &message, here);
            }
        } else if let Some(kind) = done.failure {
            self.groups[g].fail(&mut self.ctx, done.item, kind, None);
        } else {
            let happened = self.groups[g].side_effect(&mut self.ctx, &mut done.item);
            let sent = if happened {
                self.forward(g, &message, here)
            } else {
                Sent::default()
            };
            if sent.refused {
                // A child did not get in: the delivery fails (its side
                // effect, and the children that got in, stay done).
                self.groups[g].fail(&mut self.ctx, done.item, FailKind::Failed, None);
            } else {
                self.groups[g].processed(&mut self.ctx, &done.item);
                let hop = Hop {
                    e2e_ns: now.since(message.created).as_nanos(),
                    wait_ns: done.started.since(done.item.enqueued).as_nanos(),
                    work_ns: now.since(done.started).as_nanos(),
                };
                let end = sent.children + downstream == 0;
                self.paths.record(&self.ctx, here, hop, end);
            }
        }
        self.groups[g].after_done(&mut self.ctx, w, leaving, partition);
    }

    /// Group `g`'s deliveries that a crash or outage interrupted after
    /// their side effect publish their children (the delivery itself
    /// failed, and will be redelivered: a duplicate to come).
    pub(super) fn forward_interrupted(&mut self, g: usize) {
        for message in std::mem::take(&mut self.groups[g].interrupted_effects) {
            let topic_of = |p: usize| self.scenario.producers[p].topic;
            let here = self
                .paths
                .then(self.paths.of(&message, topic_of), Place::Group(g));
            self.forward(g, &message, here);
        }
    }

    /// Group `g` (or a called service, past the groups) processed
    /// `parent` at the end of path `here`: it publishes its links'
    /// children, each admitted at once.
    pub(super) fn forward(&mut self, g: usize, parent: &Message, here: u32) -> Sent {
        let spec = self.scenario.service(g);
        let mut sent = Sent::default();
        for (l, link) in spec.publish.iter().enumerate() {
            let n = self.links.per_group[g][l].children(link);
            if n == 0 {
                continue;
            }
            let t = link.topic;
            let path = self.paths.encode(self.paths.then(here, Place::Topic(t)));
            for _ in 0..n {
                let state = &mut self.links.per_group[g][l];
                let (key, size) = state.draw(link, parent);
                state.counts.sent += 1;
                let mut child = Message::new(self.next_id, key, size, path, parent.created);
                child.descendant = true;
                self.next_id += 1;
                let topic = &mut self.topics[t];
                child.partition = topic.route(key);
                topic.created += 1;
                topic.published += 1;
                self.ctx.note(LogKind::Published, child.id.0, TOPIC);
                sent.children += 1;
                let accepted = self.admit_child(t, child);
                let counts = &mut self.links.per_group[g][l].counts;
                if accepted {
                    counts.accepted += 1;
                } else {
                    counts.refused += 1;
                    sent.refused = true;
                }
                if self.failure.is_some() {
                    return sent;
                }
            }
        }
        sent
    }

    /// Topic `t` decides on a child arriving now: accepted into every
    /// reader's buffer (evicting, under drop_oldest), or refused (drop
    /// reason `rejected`). Validation keeps a link from a topic that would
    /// hold the worker (block, publish latency).
    fn admit_child(&mut self, t: usize, child: Message) -> bool {
        let size = child.size;
        let accepted = match self.decide(t, size) {
            Admission::Accept => true,
            Admission::Evict => self.evict_for(t, size),
            Admission::Refuse | Admission::Wait => false,
        };
        if accepted {
            self.enqueue_in_readers(t, child);
        } else {
            self.topics[t].rejected += 1;
            self.ctx.note(LogKind::Rejected, child.id.0, TOPIC);
        }
        accepted
    }
}
