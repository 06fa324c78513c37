//! The future event list: a binary heap ordered by (time, sequence), so
//! events at equal times come out in the order they were scheduled.
//!
//! The heap holds 16-byte keys only: time, sequence number and the slot of
//! the event's payload packed into one `u128`, compared in one instruction
//! pair. Payloads wait in a slab and do not move while the heap sifts. The
//! sequence number has 32 bits; when it runs out (every 4.3 G events) the
//! pending events are renumbered in their order, which keeps every
//! ordering as it was.
//!
//! A few *lanes* hold one pending event each outside the heap: a chain of
//! events that schedules its next link only once the last one ran (a
//! producer's ticks) costs a comparison instead of a heap push and pop.
//! A lane's event has a key from the same sequence, so the order of every
//! event is the one a single heap gives.

use super::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Sequence numbers per numbering (2³²).
const SEQ_LIMIT: u64 = 1 << 32;

/// Lanes kept beside the heap; events for lanes past these go to the heap
/// (a pop compares with every lane's event, so they are few).
pub(crate) const LANES: usize = 4;

/// The key of an empty lane: after every event.
const EMPTY: u128 = u128::MAX;

/// The heap key of an event: time, sequence number, slot.
#[inline]
fn key(time: SimTime, seq: u64, slot: u32) -> u128 {
    (u128::from(time.0) << 64) | (u128::from(seq) << 32) | u128::from(slot)
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
    /// Keys, earliest on top.
    heap: BinaryHeap<Reverse<u128>>,
    /// Payloads by slot (a free slot keeps the last event it held:
    /// events are `Copy`, read out without being taken).
    payloads: Vec<E>,
    /// Free slots.
    free: Vec<u32>,
    /// Each lane's key (`EMPTY`: nothing pending) and its latest event
    /// (kept after it is popped, as a free slot's is).
    lanes: [(u128, Option<E>); LANES],
    /// The earliest lane key (`EMPTY`: every lane is empty) and its lane.
    lane_first: (u128, usize),
    /// Lanes ever used: those past them are never scanned (a run with one
    /// producer compares one lane, not four).
    lanes_used: usize,
    next_seq: u64,
    /// Sequence numbers per numbering (smaller in tests).
    seq_limit: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            payloads: Vec::new(),
            free: Vec::new(),
            lanes: std::array::from_fn(|_| (EMPTY, None)),
            lane_first: (EMPTY, 0),
            lanes_used: 0,
            next_seq: 0,
            seq_limit: SEQ_LIMIT,
        }
    }

    /// Schedules `event` at `time` in lane `lane`, as
    /// [`EventQueue::schedule`] would, but outside the heap when the lane
    /// exists and has no event pending (else in the heap: the order is the
    /// same either way).
    #[inline(always)]
    pub fn schedule_in_lane(&mut self, lane: usize, time: SimTime, event: E) {
        match self.lanes.get(lane) {
            Some((EMPTY, _)) => {}
            _ => return self.schedule(time, event),
        }
        if self.next_seq >= self.seq_limit {
            self.renumber();
        }
        let k = key(time, self.next_seq, 0);
        self.next_seq += 1;
        self.lanes[lane] = (k, Some(event));
        self.lanes_used = self.lanes_used.max(lane + 1);
        if k < self.lane_first.0 {
            self.lane_first = (k, lane);
        }
    }

    /// Takes the event of the earliest lane: the lane is empty again, its
    /// event read in place (until the next schedule).
    #[inline]
    fn pop_lane(&mut self) -> Option<(SimTime, &E)> {
        let (k, lane) = self.lane_first;
        self.lanes[lane].0 = EMPTY;
        self.lane_first = self.first_lane();
        Some((SimTime((k >> 64) as u64), self.lanes[lane].1.as_ref()?))
    }

    /// The earliest lane key and its lane.
    #[inline]
    fn first_lane(&self) -> (u128, usize) {
        (self.lanes[..self.lanes_used].iter().enumerate())
            .map(|(i, (k, _))| (*k, i))
            .min()
            .unwrap_or((EMPTY, 0))
    }

    /// Schedules `event` at `time`, after every event already scheduled at
    /// that time.
    /// The common case (a free slot, numbers left) is a few instructions
    /// inlined at the caller; the rest is out of line.
    #[inline(always)]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        if self.next_seq >= self.seq_limit {
            self.renumber();
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                self.payloads[slot as usize] = event;
                slot
            }
            None => self.new_slot(event),
        };
        self.heap.push(Reverse(key(time, self.next_seq, slot)));
        self.next_seq += 1;
    }

    /// A slot for `event` past the last: the queue is longer than ever.
    #[cold]
    #[inline(never)]
    fn new_slot(&mut self, event: E) -> u32 {
        let slot = u32::try_from(self.payloads.len())
            .expect("fewer than 2^32 pending events (the runaway guard stops long before)");
        self.payloads.push(event);
        slot
    }

    /// Removes and returns the earliest event.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_ref().map(|(time, event)| (time, *event))
    }

    /// Removes the earliest event and returns it in place, where it stays
    /// until the next [`EventQueue::schedule`]: a caller that reads only
    /// some of its fields copies only those (a whole event moved through
    /// the stack is copied in overlapping pieces, which the processor
    /// cannot forward from store to load).
    #[inline(always)]
    pub fn pop_ref(&mut self) -> Option<(SimTime, &E)> {
        match self.heap.peek() {
            Some(Reverse(top)) if *top < self.lane_first.0 => {}
            _ if self.lane_first.0 != EMPTY => return self.pop_lane(),
            _ => return None,
        }
        let Reverse(key) = self.heap.pop()?;
        let slot = key as u32;
        self.free.push(slot);
        Some((SimTime((key >> 64) as u64), &self.payloads[slot as usize]))
    }

    /// Gives the pending events sequence numbers from 0 in their order.
    #[cold]
    fn renumber(&mut self) {
        // Each key with its lane (`LANES` for the heap's).
        let mut keys: Vec<(u128, usize)> = std::mem::take(&mut self.heap)
            .into_iter()
            .map(|Reverse(k)| (k, LANES))
            .chain(
                (self.lanes.iter().enumerate())
                    .filter(|(_, (k, _))| *k != EMPTY)
                    .map(|(i, (k, _))| (*k, i)),
            )
            .collect();
        keys.sort_unstable();
        assert!(
            (keys.len() as u64) < self.seq_limit,
            "fewer pending events than sequence numbers"
        );
        let mut heap = Vec::with_capacity(keys.len());
        for (seq, &(k, lane)) in keys.iter().enumerate() {
            let k = key(SimTime((k >> 64) as u64), seq as u64, k as u32);
            match self.lanes.get_mut(lane) {
                Some(entry) => entry.0 = k,
                None => heap.push(Reverse(k)),
            }
        }
        self.heap = heap.into();
        self.lane_first = self.first_lane();
        self.next_seq = keys.len() as u64;
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        let heap = self.heap.peek().map_or(EMPTY, |Reverse(k)| *k);
        let first = heap.min(self.lane_first.0);
        (first != EMPTY).then_some(SimTime((first >> 64) as u64))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().filter(|(k, _)| *k != EMPTY).count()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.lane_first.0 == EMPTY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use std::collections::BTreeMap;

    /// A lane's event takes its turn among the heap's by (time, sequence);
    /// a busy lane or one past the last sends the event to the heap.
    #[test]
    fn lanes_keep_the_order_of_one_heap() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime(5), "heap 5");
        queue.schedule_in_lane(0, SimTime(5), "lane 5");
        queue.schedule_in_lane(0, SimTime(1), "busy lane 1");
        queue.schedule_in_lane(LANES, SimTime(5), "no lane 5");
        queue.schedule_in_lane(1, SimTime(0), "lane 0");
        assert_eq!(queue.len(), 5);
        assert_eq!(queue.peek_time(), Some(SimTime(0)));
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            ["lane 0", "busy lane 1", "heap 5", "lane 5", "no lane 5"]
        );
        assert!(queue.is_empty());
    }

    /// Shadow model: a BTreeMap keyed by (time, seq) pops in the same order.
    #[test]
    fn matches_an_ordered_map_over_a_million_random_operations() {
        shadow_test(EventQueue::new(), 1_000_000, 0.55);
    }

    /// At the real width: sequence numbers run out 2³² events in, and the
    /// pending events are renumbered in order.
    #[test]
    fn the_sequence_runs_out_at_two_to_the_32() {
        let mut queue = EventQueue::new();
        queue.next_seq = SEQ_LIMIT - 2;
        (0..5).for_each(|i| queue.schedule(SimTime(7 - i % 2), i));
        let order: Vec<u64> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, [1, 3, 0, 2, 4]);
        assert!(queue.next_seq < 8, "renumbered");
    }

    /// The same when sequence numbers run out every 1,024 events, so the
    /// pending events are renumbered over and over.
    #[test]
    fn renumbering_keeps_the_order() {
        let mut queue = EventQueue::new();
        queue.seq_limit = 1024;
        shadow_test(queue, 300_000, 0.5);
        // Some renumbering happened.
        let mut queue = EventQueue::new();
        queue.seq_limit = 4;
        (0..3).for_each(|i| queue.schedule(SimTime(1), i));
        queue.pop();
        queue.schedule(SimTime(1), 3);
        queue.schedule(SimTime(0), 4);
        let mut seqs: Vec<u64> = (queue.heap.iter())
            .map(|Reverse(k)| (k >> 32) as u64 & 0xffff_ffff)
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, [0, 1, 2, 3], "renumbered from 0 (1, 2, 3, 4 without)");
        let order: Vec<u64> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, [4, 1, 2, 3]);
    }

    fn shadow_test(mut queue: EventQueue<u64>, operations: usize, p_schedule: f64) {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut shadow = BTreeMap::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        for _ in 0..operations {
            if rng.random_bool(p_schedule) {
                // Few distinct times, so ties are common.
                let time = now + rng.random_range(0..8u64);
                if rng.random_bool(0.4) {
                    // Some lanes past the last, and busy lanes: the heap.
                    let lane = rng.random_range(0..LANES + 2);
                    queue.schedule_in_lane(lane, SimTime(time), seq);
                } else {
                    queue.schedule(SimTime(time), seq);
                }
                shadow.insert((time, seq), seq);
                seq += 1;
            } else {
                let expected = shadow.pop_first().map(|((t, _), v)| (SimTime(t), v));
                // Taken by value, or read in place.
                let got = if rng.random_bool(0.5) {
                    queue.pop()
                } else {
                    queue.pop_ref().map(|(t, e)| (t, *e))
                };
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
