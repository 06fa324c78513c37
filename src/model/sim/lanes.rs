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

    /// When the longest-waiting attempt that `waits` arrived, looking at
    /// every attempt (a cancelled one stays in its lane until reached):
    /// O(attempts), for the end of a run.
    pub(super) fn oldest_where(&self, waits: impl Fn(&Attempt) -> bool) -> Option<SimTime> {
        (self.lanes.iter().flatten())
            .filter(|a| waits(a))
            .map(|a| a.enqueued)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(id: u64, at_s: u64, priority: u8) -> Attempt {
        Attempt {
            link: 0,
            request: 0,
            id,
            number: 1,
            enqueued: SimTime(at_s * 1_000_000_000),
            started: SimTime::ZERO,
            poison: false,
            fails: false,
            deadline: None,
            priority,
        }
    }

    #[test]
    fn the_oldest_waiting_attempt_skips_those_that_no_longer_wait() {
        let mut lanes = Lanes::new(Some(1));
        lanes.push(attempt(1, 1, 0));
        lanes.push(attempt(2, 2, 1));
        lanes.push(attempt(3, 3, 0));
        // The fronts: 1 s (lane 0) and 2 s (lane 1).
        assert_eq!(lanes.oldest(), Some(SimTime(1_000_000_000)));
        // Attempt 1 cancelled: 2 s, though its lane's front is still 1 s.
        assert_eq!(
            lanes.oldest_where(|a| a.id != 1),
            Some(SimTime(2_000_000_000))
        );
        assert_eq!(lanes.oldest_where(|_| false), None);
    }
}
