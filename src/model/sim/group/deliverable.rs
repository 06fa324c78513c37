//! Which partitions of a partitioned group can deliver, kept per owning
//! worker as the buffer changes, so that a worker finds its next partition
//! without testing every one it owns: one machine word per 64 owned
//! partitions at worst, and O(1) when it owns none that can deliver.
//!
//! A partition can deliver when it has a head and no message in flight;
//! whether its rebalance pause or rate cap lets it deliver now is decided by
//! the group on the candidates, in the same round-robin order.

/// No owning worker, and so no position in a worker's list.
const NONE: u32 = u32::MAX;

/// A set of positions below a fixed bound, as bits.
#[derive(Clone, Debug, Default)]
pub(super) struct Bits {
    words: Vec<u64>,
    len: usize,
    ones: usize,
}

impl Bits {
    /// An empty set of positions below `len`.
    pub(super) fn new(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
            len,
            ones: 0,
        }
    }

    /// Puts position `i` in the set (`on`) or takes it out.
    #[inline]
    pub(super) fn set(&mut self, i: usize, on: bool) {
        let (word, bit) = (&mut self.words[i / 64], 1u64 << (i % 64));
        let was = *word & bit != 0;
        if was != on {
            *word ^= bit;
            if on {
                self.ones += 1;
            } else {
                self.ones -= 1;
            }
        }
    }

    /// Whether position `i` is in the set.
    #[inline]
    pub(super) fn contains(&self, i: usize) -> bool {
        self.words[i / 64] & (1u64 << (i % 64)) != 0
    }

    /// Positions in the set.
    #[cfg(test)]
    fn count(&self) -> usize {
        self.ones
    }

    /// The set's running count against a count of its bits.
    fn check(&self) -> Result<(), String> {
        let bits: u32 = self.words.iter().map(|w| w.count_ones()).sum();
        let beyond = (self.words.last())
            .is_some_and(|&w| !self.len.is_multiple_of(64) && w >> (self.len % 64) != 0);
        if bits as usize != self.ones || beyond {
            return Err(format!(
                "{} positions counted, {bits} bits set (some past the bound: {beyond})",
                self.ones
            ));
        }
        Ok(())
    }

    /// The positions in the set from `start` to the end and then from 0 to
    /// `start`, in that order (round robin from `start`, taken modulo the
    /// bound).
    pub(super) fn cyclic_from(&self, start: usize) -> impl Iterator<Item = usize> + '_ {
        let (tail, head) = if self.ones == 0 {
            (0..0, 0..0)
        } else {
            let start = start % self.len;
            (start..self.len, 0..start)
        };
        self.within(tail).chain(self.within(head))
    }

    /// The positions in the set within `range`, in order.
    fn within(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = usize> + '_ {
        let (first, end) = (range.start, range.end);
        let mut word_ix = first / 64;
        let mut word = if first < end {
            self.words[word_ix] & (u64::MAX << (first % 64))
        } else {
            0
        };
        std::iter::from_fn(move || {
            loop {
                if word != 0 {
                    let i = word_ix * 64 + word.trailing_zeros() as usize;
                    if i >= end {
                        return None;
                    }
                    word &= word - 1;
                    return Some(i);
                }
                word_ix += 1;
                if first >= end || word_ix * 64 >= end {
                    return None;
                }
                word = self.words[word_ix];
            }
        })
    }
}

/// Per partition, its owner and in-flight message; per worker, the owned
/// partitions that can deliver (by position in the worker's list).
#[derive(Clone, Debug, Default)]
pub(super) struct Deliverable {
    /// Partition → (owning worker, its position in the owner's list).
    place: Vec<(u32, u32)>,
    /// Partition → the message being processed or awaiting redelivery.
    in_flight: Vec<Option<u64>>,
    /// Worker → positions of its partitions with a head and none in flight.
    ready: Vec<Bits>,
}

impl Deliverable {
    /// `partitions` partitions, none owned, none in flight.
    pub(super) fn new(partitions: usize) -> Deliverable {
        Deliverable {
            place: vec![(NONE, NONE); partitions],
            in_flight: vec![None; partitions],
            ready: Vec::new(),
        }
    }

    /// New owners: `owned[w]` lists worker w's partitions in its round-robin
    /// order; `has_head(p)` says whether partition p has a message.
    pub(super) fn assign(&mut self, owned: &[Vec<u32>], has_head: impl Fn(usize) -> bool) {
        self.place.fill((NONE, NONE));
        self.ready = owned.iter().map(|list| Bits::new(list.len())).collect();
        for (w, list) in owned.iter().enumerate() {
            for (k, &p) in list.iter().enumerate() {
                self.place[p as usize] = (w as u32, k as u32);
            }
        }
        for p in 0..self.place.len() {
            self.refresh(p, has_head(p));
        }
    }

    /// Partition `p`'s head came or went (`has_head`), or its in-flight
    /// message changed: updates its owner's ready set.
    #[inline]
    pub(super) fn refresh(&mut self, p: usize, has_head: bool) {
        let (w, k) = self.place[p];
        if w != NONE {
            let ready = has_head && self.in_flight[p].is_none();
            self.ready[w as usize].set(k as usize, ready);
        }
    }

    /// The message in flight on partition `p`.
    #[inline]
    pub(super) fn in_flight(&self, p: usize) -> Option<u64> {
        self.in_flight[p]
    }

    /// Message `id` of partition `p` is in flight: the partition waits for it.
    #[inline]
    pub(super) fn lock(&mut self, p: usize, id: u64) {
        self.in_flight[p] = Some(id);
        self.refresh(p, false);
    }

    /// Message `id` settled or is ready again: partition `p` may deliver if
    /// `id` is what it waited for. Returns whether it was.
    #[inline]
    pub(super) fn unlock(&mut self, p: usize, id: u64, has_head: bool) -> bool {
        if self.in_flight[p] != Some(id) {
            return false;
        }
        self.in_flight[p] = None;
        self.refresh(p, has_head);
        true
    }

    /// Worker `w`'s ready partitions, by position in its list, round robin
    /// from `start`.
    #[inline]
    pub(super) fn ready_from(&self, w: usize, start: usize) -> impl Iterator<Item = usize> + '_ {
        self.ready[w].cyclic_from(start)
    }

    /// The ready sets against a recount from `has_head` and the in-flight
    /// messages; the error names the first partition that disagrees.
    pub(super) fn check(&self, has_head: impl Fn(usize) -> bool) -> Result<(), String> {
        for (p, &(w, k)) in self.place.iter().enumerate() {
            if w == NONE {
                continue;
            }
            let want = has_head(p) && self.in_flight[p].is_none();
            if self.ready[w as usize].contains(k as usize) != want {
                return Err(format!(
                    "partition {p} of worker {w}: ready {}, recounted {want}",
                    !want
                ));
            }
        }
        self.ready.iter().try_for_each(Bits::check)
    }

    /// The owning worker of partition `p`, if any.
    pub(super) fn owner(&self, p: usize) -> Option<u32> {
        let (w, _) = self.place[p];
        (w != NONE).then_some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::{Bits, Deliverable};
    use proptest::prelude::*;

    /// Ownership, heads and in-flight messages decide what a worker can
    /// take, in its round-robin order; a rebalance keeps what is in flight.
    #[test]
    fn a_partition_can_deliver_with_a_head_and_nothing_in_flight() {
        let mut d = Deliverable::new(5);
        let heads = [true, true, false, true, true];
        // Worker 0 owns 0, 2, 4; worker 1 owns 1, 3.
        d.assign(&[vec![0, 2, 4], vec![1, 3]], |p| heads[p]);
        let of = |d: &Deliverable, w: usize, from: usize| -> Vec<usize> {
            d.ready_from(w, from).collect()
        };
        assert_eq!(of(&d, 0, 0), [0, 2]); // positions of partitions 0 and 4
        assert_eq!(of(&d, 0, 1), [2, 0]);
        assert_eq!(of(&d, 1, 0), [0, 1]);
        d.lock(4, 77);
        assert_eq!(of(&d, 0, 0), [0]);
        assert!(!d.unlock(4, 78, true), "another message does not free it");
        assert_eq!(of(&d, 0, 0), [0]);
        // Partition 2 gets a head; 4 is freed without one.
        d.refresh(2, true);
        assert!(d.unlock(4, 77, false));
        assert_eq!(of(&d, 0, 0), [0, 1]);
        // A rebalance moves 4 to worker 1 while a message is in flight on it.
        d.lock(4, 80);
        d.assign(&[vec![0, 2], vec![1, 3, 4]], |p| p != 2 || heads[p]);
        assert_eq!(d.in_flight(4), Some(80));
        assert_eq!(of(&d, 1, 0), [0, 1]);
        assert_eq!((d.owner(4), d.owner(0)), (Some(1), Some(0)));
        assert_eq!(d.check(|p| p != 2 || heads[p]), Ok(()));
        assert!(d.check(|_| true).is_err(), "partition 2 has no head here");
    }

    proptest! {
        /// Round robin over the set equals a filter over every position.
        #[test]
        fn cyclic_from_lists_the_set_round_robin(
            len in 1usize..300,
            ops in prop::collection::vec((0usize..300, any::<bool>()), 0..200),
            start in 0usize..600,
        ) {
            let mut bits = Bits::new(len);
            let mut model = vec![false; len];
            for (i, on) in ops {
                let i = i % len;
                bits.set(i, on);
                model[i] = on;
            }
            let got: Vec<usize> = bits.cyclic_from(start).collect();
            let start = start % len;
            let want: Vec<usize> = (start..len).chain(0..start).filter(|&i| model[i]).collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(bits.count(), want.len());
            prop_assert!(model.iter().enumerate().all(|(i, &on)| bits.contains(i) == on));
        }
    }

    #[test]
    fn an_empty_set_of_no_positions_lists_nothing() {
        let bits = Bits::new(0);
        assert_eq!(bits.cyclic_from(0).count(), 0);
        let mut bits = Bits::new(64);
        bits.set(63, true);
        assert_eq!(bits.cyclic_from(63).collect::<Vec<_>>(), vec![63]);
        assert_eq!(bits.cyclic_from(0).collect::<Vec<_>>(), vec![63]);
    }
}
