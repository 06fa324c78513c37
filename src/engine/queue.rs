//! The future event list: a binary heap ordered by (time, sequence), so
//! events at equal times come out in the order they were scheduled.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One scheduled event with its tie-breaking sequence number.
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, so the max-heap pops the earliest (time, seq) first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // One comparison of (time, seq) packed into 128 bits: branch-free.
        let key = |e: &Self| (u128::from(e.time.0) << 64) | u128::from(e.seq);
        key(other).cmp(&key(self))
    }
}

/// A priority queue of events keyed by simulated time; ties run FIFO.
///
/// ```
/// use mqsim::engine::{EventQueue, SimTime};
/// let mut q = EventQueue::new();
/// q.schedule(SimTime(5), "b");
/// q.schedule(SimTime(1), "a");
/// q.schedule(SimTime(5), "c");
/// assert_eq!(q.pop(), Some((SimTime(1), "a")));
/// assert_eq!(q.pop(), Some((SimTime(5), "b")));
/// assert_eq!(q.pop(), Some((SimTime(5), "c")));
/// ```
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`, after every event already scheduled at
    /// that time.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use std::collections::BTreeMap;

    /// Shadow model: a BTreeMap keyed by (time, seq) pops in the same order.
    #[test]
    fn matches_an_ordered_map_over_a_million_random_operations() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut queue = EventQueue::new();
        let mut shadow = BTreeMap::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        for _ in 0..1_000_000 {
            if rng.random_bool(0.55) {
                // Few distinct times, so ties are common.
                let time = now + rng.random_range(0..8u64);
                queue.schedule(SimTime(time), seq);
                shadow.insert((time, seq), seq);
                seq += 1;
            } else {
                let expected = shadow.pop_first().map(|((t, _), v)| (SimTime(t), v));
                let got = queue.pop();
                assert_eq!(got, expected);
                if let Some((t, _)) = got {
                    assert!(t.0 >= now, "time went backwards");
                    now = t.0;
                }
            }
            assert_eq!(queue.len(), shadow.len());
            assert_eq!(
                queue.peek_time(),
                shadow.keys().next().map(|k| SimTime(k.0))
            );
        }
    }
}
