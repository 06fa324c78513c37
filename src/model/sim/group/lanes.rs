//! Which partitions of a partitioned group can deliver now, kept per owning
//! worker as the buffer changes, so that a worker finds its next partition
//! without scanning the ones it owns (O(1) in the common case, one machine
//! word per 64 owned partitions at worst).
//!
//! A partition can deliver when it has a head and no message in flight;
//! whether its rebalance pause or rate cap lets it deliver now is decided by
//! the group on the candidates, in the same round-robin order.

/// No owner, or not idle: a position that is not one.
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
    #[inline]
    pub(super) fn count(&self) -> usize {
        self.ones
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
pub(super) struct Lanes {
    /// Partition → (owning worker, its position in the owner's list).
    place: Vec<(u32, u32)>,
    /// Partition → the message being processed or awaiting redelivery.
    in_flight: Vec<Option<u64>>,
    /// Worker → positions of its partitions with a head and none in flight.
    ready: Vec<Bits>,
}

impl Lanes {
    /// `partitions` partitions, none owned, none in flight.
    pub(super) fn new(partitions: usize) -> Lanes {
        Lanes {
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
        let counted: usize = self.ready.iter().map(Bits::count).sum();
        let set = (self.ready.iter())
            .map(|b| b.cyclic_from(0).count())
            .sum::<usize>();
        if counted != set {
            return Err(format!("{counted} ready partitions counted, {set} set"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Bits;
    use proptest::prelude::*;

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
