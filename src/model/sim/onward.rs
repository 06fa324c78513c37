//! What a finished delivery sends onward, in a graph: a processing whose
//! side effect happens publishes its children on the group's links (each
//! child a new message that keeps its root's creation time and extends
//! its path), and a child the topic refuses fails the delivery, to be
//! redelivered as the topic's rules say: backpressure travels upstream.
//! The processing's time from the root is recorded on its path.

use super::calling::Called;
use super::held::Hold;
use super::ids::GroupId;
use super::paths::{Hop, Place};
use super::state::{FailKind, InService, Publish};
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
    /// else the delivery fails as its own error would. A successful
    /// delivery has its side effect and publishes its children; it
    /// completes at once, or (a group whose links may hold) when the last
    /// child a topic holds (a publish latency, a full topic that blocks)
    /// is accepted or refused.
    pub(super) fn complete_linked(&mut self, g: usize, w: usize, epoch: u32, calls_ok: bool) {
        // What this job's calls published downstream (cleared for the
        // worker's next job, whatever this one's outcome).
        let called = self.calls.take_carried(g, w, epoch);
        if self.links.may_hold[g] {
            return self.complete_holding(g, w, epoch, calls_ok, called);
        }
        let Some(finished) = self.groups[g].workers.finish(self.ctx.now, w, epoch) else {
            return;
        };
        let (mut done, leaving) = (finished.job, finished.left);
        if !calls_ok {
            done.failure.get_or_insert(FailKind::Failed);
        }
        // The message read where it is, not copied out (see `pop_ref`).
        let mut hold = self.hold_of(g, &done.item.message, called);
        if done.zombie || done.failure.is_some() {
            return self.end_unsuccessful(g, w, done, leaving, &hold);
        }
        if self.groups[g].side_effect(&mut self.ctx, &mut done.item) {
            // No child can be held: every one is decided now.
            hold.sent = self.forward(g, &done.item.message, hold.here, None).0;
        }
        self.settle_finished(g, w, done, leaving, &hold);
    }

    /// What a processing of group `g` on `message` will settle with, before
    /// it publishes: its path, and what its calls did.
    fn hold_of(&self, g: usize, message: &Message, called: Called) -> Hold {
        let topic_of = |p: usize| self.scenario.producers[p].topic;
        let now = self.ctx.now;
        Hold {
            g,
            waiting: None,
            pending: 0,
            sent: Sent::default(),
            downstream: called.children,
            own_done: called.own_done.unwrap_or(now),
            calls_done: now,
            here: (self.paths).then(self.paths.of(message, topic_of), Place::Group(g)),
        }
    }

    /// [`Simulation::complete_linked`] for a group whose links may hold:
    /// the job stays on its worker while its children are held.
    fn complete_holding(&mut self, g: usize, w: usize, epoch: u32, calls_ok: bool, called: Called) {
        let Some(job) = self.groups[g].workers.job(w, epoch).copied() else {
            return;
        };
        let message = job.item.message;
        let mut hold = self.hold_of(g, &message, called);
        hold.waiting = Some((w, epoch));
        if job.zombie || job.failure.is_some() || !calls_ok {
            if let Some(finished) = self.groups[g].workers.finish(self.ctx.now, w, epoch) {
                let mut done = finished.job;
                if !calls_ok {
                    done.failure.get_or_insert(FailKind::Failed);
                }
                self.end_unsuccessful(g, w, done, finished.left, &hold);
            }
            return;
        }
        let mut item = job.item;
        let happened = self.groups[g].side_effect(&mut self.ctx, &mut item);
        if let Some(job) = self.groups[g].workers.job_mut_of(w, epoch) {
            job.item = item;
        }
        if happened {
            let (sent, held) = self.forward(g, &message, hold.here, Some((w, epoch)));
            if let Some(slot) = held {
                // The worker waits: its delivery knows its side effect is done.
                if let Some(job) = self.groups[g].workers.job_mut_of(w, epoch) {
                    job.effect_done = true;
                }
                if let Some(h) = self.holds.slab.get_mut(slot) {
                    h.sent.children = sent.children;
                    h.sent.refused |= sent.refused;
                    h.downstream = hold.downstream;
                    h.own_done = hold.own_done;
                    h.calls_done = hold.calls_done;
                }
                return;
            }
            hold.sent = sent;
        }
        self.settle_linked(g, w, epoch, &hold);
    }

    /// A finished delivery that failed (its work, its calls) or became a
    /// zombie ends: a zombie's side effect, publishes included, still
    /// happens (nobody waits for those); a failure is redelivered by its
    /// topic.
    fn end_unsuccessful(
        &mut self,
        g: usize,
        w: usize,
        mut done: InService,
        leaving: bool,
        hold: &Hold,
    ) {
        let partition = done.item.message.partition as usize;
        let message = done.item.message;
        if done.zombie {
            let succeeded = done.failure.is_none();
            if self.groups[g].zombie_done(&mut self.ctx, &mut done.item, succeeded) {
                self.forward(g, &message, hold.here, None);
            }
        } else if let Some(kind) = done.failure {
            self.groups[g].fail(&mut self.ctx, done.item, kind, None);
        }
        self.groups[g].after_done(&mut self.ctx, w, leaving, partition);
    }

    /// Worker `w` of group `g` completes a successful delivery whose
    /// children were held (unless it crashed since `epoch`).
    pub(super) fn settle_linked(&mut self, g: usize, w: usize, epoch: u32, hold: &Hold) {
        if let Some(finished) = self.groups[g].workers.finish(self.ctx.now, w, epoch) {
            self.settle_finished(g, w, finished.job, finished.left, hold);
        }
    }

    /// A successful delivery, finished, whose side effect happened and
    /// whose children `hold` says were sent: processed, or failed if a
    /// child was refused (its side effect, and the children that got in,
    /// stay done).
    fn settle_finished(&mut self, g: usize, w: usize, done: InService, leaving: bool, hold: &Hold) {
        let now = self.ctx.now;
        let partition = done.item.message.partition as usize;
        if done.zombie {
            // Its ack timed out while it waited: the message is someone
            // else's now.
            self.groups[g].zombie_ended(&mut self.ctx, &done.item);
        } else if hold.sent.refused {
            self.groups[g].fail(&mut self.ctx, done.item, FailKind::Failed, None);
        } else {
            self.groups[g].processed(&mut self.ctx, &done.item);
            let hop = Hop::new(
                done.item.message.created,
                done.item.enqueued,
                done.started,
                hold,
                now,
            );
            let end = hold.sent.children + hold.downstream == 0;
            self.paths.record(&self.ctx, hold.here, hop, end);
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
            self.forward(g, &message, here, None);
        }
    }

    /// Group `g` (or a called service, past the groups) processed
    /// `parent` at the end of path `here`: it publishes its links'
    /// children. A topic decides at once on each, or holds it (a publish
    /// latency; a full topic that blocks): then the hold returned counts
    /// it, for worker `waiting` (if any) to wait on.
    pub(super) fn forward(
        &mut self,
        g: usize,
        parent: &Message,
        here: u32,
        waiting: Option<(usize, u32)>,
    ) -> (Sent, Option<u32>) {
        let spec = self.scenario.service(g);
        let mut sent = Sent::default();
        let mut held: Option<u32> = None;
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
                // A child is published without a priority (0).
                child.partition = topic.route(key, 0);
                topic.created += 1;
                topic.published += 1;
                self.ctx.note(LogKind::Published, child.id.0, TOPIC);
                sent.children += 1;
                let instant = self.topics[t].is_instant();
                let accepted = match instant.then(|| self.decide(t, size)) {
                    Some(Admission::Accept) => Some(true),
                    Some(Admission::Evict) => Some(self.evict_for(t, size)),
                    Some(Admission::Refuse) => Some(false),
                    Some(Admission::Wait) | None => None,
                };
                match accepted {
                    Some(true) => {
                        self.enqueue_in_readers(t, child);
                        self.links.per_group[g][l].counts.accepted += 1;
                    }
                    Some(false) => {
                        self.topics[t].rejected += 1;
                        self.ctx.note(LogKind::Rejected, child.id.0, TOPIC);
                        self.links.per_group[g][l].counts.refused += 1;
                        sent.refused = true;
                    }
                    None => {
                        let slot = match held {
                            Some(slot) => slot,
                            None => {
                                let hold = Hold {
                                    g,
                                    waiting,
                                    pending: 0,
                                    sent: Sent::default(),
                                    downstream: 0,
                                    own_done: self.ctx.now,
                                    calls_done: self.ctx.now,
                                    here,
                                };
                                *held.insert(self.holds.slab.insert(hold))
                            }
                        };
                        if let Some(hold) = self.holds.slab.get_mut(slot) {
                            hold.pending += 1;
                        }
                        let publish = Publish {
                            message: child,
                            attempt: 0,
                            since: self.ctx.now,
                            holder: slot,
                            link: l as u16,
                        };
                        if instant {
                            self.topics[t].block(&mut self.ctx, publish);
                        } else {
                            self.topics[t].send_later(&mut self.ctx, publish);
                        }
                        self.check_growth();
                    }
                }
                if self.failure.is_some() {
                    return (sent, held);
                }
            }
        }
        (sent, held)
    }
}
