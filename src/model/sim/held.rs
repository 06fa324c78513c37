//! Publishes that hold their worker: a processing of a group or a called
//! service whose child goes to a topic with a publish latency, or to one
//! that blocks when full, waits (its worker busy) until every such child
//! is accepted or refused, as a client waits for its broker's ack. A
//! refusal (or `max_block` passing) fails the processing, as a child
//! refused at once does: backpressure travels upstream through blocked
//! workers. Children of a delivery that a crash interrupted after its
//! side effect travel the same way with nobody waiting.

use super::Simulation;
use super::onward::Sent;
use super::state::Publish;
use crate::engine::{SimTime, Slab};

/// `Publish::holder` of a producer's publish (held by no processing).
pub(super) const NOT_HELD: u32 = u32::MAX;

/// A processing whose children are on their way.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hold {
    /// The group, or the called service past the groups, that published.
    pub g: usize,
    /// The worker waiting and its job's life, or nobody.
    pub waiting: Option<(usize, u32)>,
    /// Children not yet accepted or refused.
    pub pending: u32,
    /// What the processing published, and whether a child was refused.
    pub sent: Sent,
    /// What its calls published downstream.
    pub downstream: u64,
    /// When its own work ended, and when its calls did (its publishes
    /// began).
    pub own_done: SimTime,
    pub calls_done: SimTime,
    /// The path it ends.
    pub here: u32,
}

/// Every hold in progress.
#[derive(Default)]
pub(super) struct Holds {
    pub slab: Slab<Hold>,
}

impl Simulation<'_> {
    /// A held child (`publish`) was accepted (`true`) or refused by its
    /// topic: its link counts it, and the processing that published it
    /// completes once its last child is settled.
    pub(super) fn settle_child(&mut self, publish: &Publish, accepted: bool) {
        let slot = publish.holder;
        let Some(hold) = self.holds.slab.get_mut(slot) else {
            return;
        };
        let counts = &mut self.links.per_group[hold.g][usize::from(publish.link)].counts;
        if accepted {
            counts.accepted += 1;
        } else {
            counts.refused += 1;
            hold.sent.refused = true;
        }
        hold.pending -= 1;
        if hold.pending > 0 {
            return;
        }
        let Some(hold) = self.holds.slab.remove(slot) else {
            return;
        };
        let Some((w, epoch)) = hold.waiting else {
            return; // Nobody waits: a crashed delivery's children.
        };
        match hold.g.checked_sub(self.groups.len()) {
            None => self.settle_linked(hold.g, w, epoch, &hold),
            Some(s) => self.settle_attempt(s, w, epoch, &hold),
        }
    }

    /// Children still on their way on each publish link (of groups, then
    /// of services), for the links' conservation.
    pub(super) fn pending_children(&self) -> Vec<Vec<u64>> {
        let mut pending: Vec<Vec<u64>> = (self.links.per_group.iter())
            .map(|links| vec![0; links.len()])
            .collect();
        for topic in &self.topics {
            let held = (topic.blocked.iter()).chain(topic.in_transit.iter().map(|(_, p)| p));
            for publish in held.filter(|p| p.holder != NOT_HELD) {
                if let Some(hold) = self.holds.slab.get(publish.holder) {
                    pending[hold.g][usize::from(publish.link)] += 1;
                }
            }
        }
        pending
    }
}
