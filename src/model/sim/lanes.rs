//! A called service's waiting attempts: one queue per priority (one
//! without priorities), the highest priority served first, each in its
//! discipline's order.

use super::callers::Attempt;
use crate::engine::SimTime;
use std::collections::VecDeque;

/// The waiting attempts.
#[derive(Debug)]
pub(super) struct Lanes {
    lanes: Vec<VecDeque<Attempt>>,
    len: usize,
}

impl Lanes {
    /// Lanes for priorities 0 to `max_priority` (one lane without).
    pub(super) fn new(max_priority: Option<u8>) -> Lanes {
        let n = max_priority.map_or(1, |m| usize::from(m) + 1);
        Lanes {
            lanes: (0..n).map(|_| VecDeque::new()).collect(),
            len: 0,
        }
    }

    /// Attempts waiting (cancelled ones included until reached).
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `attempt` joins its priority's lane (at most the highest).
    pub(super) fn push(&mut self, attempt: Attempt) {
        let lane = usize::from(attempt.priority).min(self.lanes.len() - 1);
        self.lanes[lane].push_back(attempt);
        self.len += 1;
    }

    /// The next attempt of the highest non-empty priority: its newest
    /// (`lifo`) or oldest.
    pub(super) fn pop(&mut self, lifo: bool) -> Option<Attempt> {
        let lane = self.lanes.iter_mut().rev().find(|l| !l.is_empty())?;
        let attempt = if lifo {
            lane.pop_back()
        } else {
            lane.pop_front()
        };
        self.len -= usize::from(attempt.is_some());
        attempt
    }

    /// When the longest-waiting attempt arrived.
    pub(super) fn oldest(&self) -> Option<SimTime> {
        self.lanes
            .iter()
            .filter_map(|l| l.front())
            .map(|a| a.enqueued)
            .min()
    }
}
