//! Partitions: routing at publish, and, in partitioned groups, which
//! worker owns which partition. A partition delivers one message at a time,
//! in order: a failing head (requeued, or waiting out its backoff) blocks
//! the messages behind it. When workers come or go, partitions are
//! reassigned round robin over the workers that are up; a partition that
//! changes owner is not consumed for the rebalance pause.

use super::Item;
use super::buffer::Buffer;
use super::{Ctx, Group};
use crate::engine::SimTime;
use crate::model::sim::Event;
use crate::model::sim::state::InService;
use crate::model::sim::workers::Worker;

/// No worker owns the partition.
const NOBODY: u32 = u32::MAX;

/// Who owns which partition in a partitioned self.
#[derive(Clone, Debug)]
pub(in crate::model::sim) struct Assignment {
    /// Partition → owning worker.
    pub owner: Vec<u32>,
    /// Worker → owned partitions (the buffer keeps which of them can
    /// deliver, and what is in flight on each).
    pub owned: Vec<Vec<u32>>,
    /// Worker → where its next scan of its partitions starts.
    pub cursor: Vec<usize>,
    /// Partition → no delivery before this instant (it changed owner in a
    /// rebalance still in progress).
    pub paused_until: Vec<SimTime>,
}

impl Assignment {
    /// Every partition assigned round robin over the workers that are up;
    /// `buffer` learns the owners.
    pub(crate) fn new(
        partitions: usize,
        workers: &[Worker<InService>],
        buffer: &mut Buffer,
    ) -> Assignment {
        let mut a = Assignment {
            owner: vec![NOBODY; partitions],
            owned: vec![Vec::new(); workers.len()],
            cursor: vec![0; workers.len()],
            paused_until: vec![SimTime::ZERO; partitions],
        };
        a.reassign(workers, buffer);
        a
    }

    /// Partition p goes to the (p mod n)-th worker that is up, and `buffer`
    /// learns the new owners (it keeps, per owner, the partitions that can
    /// deliver). Returns which partitions changed owner.
    pub(crate) fn reassign(
        &mut self,
        workers: &[Worker<InService>],
        buffer: &mut Buffer,
    ) -> Vec<bool> {
        let before = self.owner.clone();
        let up: Vec<u32> = (0..workers.len() as u32)
            .filter(|&w| workers[w as usize].is_staying())
            .collect();
        self.owned.iter_mut().for_each(Vec::clear);
        for (p, owner) in self.owner.iter_mut().enumerate() {
            *owner = if up.is_empty() {
                NOBODY
            } else {
                up[p % up.len()]
            };
            if *owner != NOBODY {
                self.owned[*owner as usize].push(p as u32);
            }
        }
        buffer.assign(&self.owned);
        before
            .iter()
            .zip(&self.owner)
            .map(|(b, a)| b != a)
            .collect()
    }

    /// The owners against those the buffer knows; the error names the
    /// first partition where they differ.
    pub(crate) fn check(&self, buffer: &Buffer) -> Result<(), String> {
        for (p, &owner) in self.owner.iter().enumerate() {
            let known = buffer.deliverable().owner(p);
            if known != (owner != NOBODY).then_some(owner) {
                return Err(format!(
                    "partition {p} is owned by {owner}, the buffer says {known:?}"
                ));
            }
        }
        Ok(())
    }

    /// Up workers that own no partition (more workers than partitions).
    pub(crate) fn workers_without_partitions(&self, workers: &[Worker<InService>]) -> u64 {
        (0..workers.len())
            .filter(|&w| workers[w].is_staying() && self.owned[w].is_empty())
            .count() as u64
    }
}

impl Group<'_> {
    /// Delivers to idle workers of a partitioned group, each from the next
    /// of its partitions that has a message and none in flight.
    pub(in crate::model::sim) fn dispatch_partitioned(&mut self, ctx: &mut Ctx) {
        let mut i = 0;
        while i < self.workers.idle().len() {
            let w = self.workers.idle()[i];
            match self.next_item(ctx, w as usize) {
                Some(item) => {
                    self.workers.take_idle_at(i);
                    self.deliver_to(ctx, w, item);
                }
                None => i += 1,
            }
        }
    }

    /// A message entered, or returned to, partition `p`: only its owner can
    /// take it, if idle and the partition is free.
    pub(in crate::model::sim) fn dispatch_partition(&mut self, ctx: &mut Ctx, p: usize) {
        let Some(a) = self.assignment.as_ref() else {
            return;
        };
        let owner = a.owner[p];
        if self.workers.is_down()
            || ctx.now < a.paused_until[p]
            || owner == NOBODY
            || self.buffer.deliverable().in_flight(p).is_some()
        {
            return;
        }
        self.dispatch_worker(ctx, owner as usize);
    }

    /// Worker `w` may be idle now: it takes the next message of its own
    /// partitions, if any.
    pub(in crate::model::sim) fn dispatch_worker(&mut self, ctx: &mut Ctx, w: usize) {
        if self.assignment.is_none() || self.workers.is_down() {
            return;
        }
        if !self.workers.is_idle(w) {
            return;
        }
        if let Some(at) = self.group_throttled(ctx) {
            self.wake_at(ctx, at);
            return;
        }
        if let Some(item) = self.next_item(ctx, w) {
            self.workers.take_idle(w);
            self.deliver_to(ctx, w as u32, item);
        }
        self.note_levels(ctx.now);
    }

    /// The next message for worker `w` from its own partitions, round robin
    /// from where it last took one, dropping expired heads on the way;
    /// marks its partition as in flight. Only partitions with a head and
    /// none in flight are looked at (the buffer keeps them per worker).
    fn next_item(&mut self, ctx: &mut Ctx, w: usize) -> Option<Item> {
        loop {
            let now = ctx.now;
            let a = self.assignment.as_mut()?;
            let owned = &a.owned[w];
            let n = owned.len();
            let start = a.cursor[w];
            let caps = &mut self.partition_caps;
            let mut opens_at: Option<SimTime> = None;
            let found = self.buffer.deliverable().ready_from(w, start).find(|&k| {
                let p = owned[k] as usize;
                if now < a.paused_until[p] {
                    return false;
                }
                let ready = caps.get_mut(p).map_or(now, |b| b.ready_at(now));
                if ready > now {
                    opens_at = Some(opens_at.map_or(ready, |t| t.min(ready)));
                }
                ready <= now
            });
            let Some(found) = found else {
                if let Some(at) = opens_at {
                    self.wake_at(ctx, at);
                }
                return None;
            };
            let p = owned[found] as usize;
            a.cursor[w] = (found + 1) % n;
            let item = self.buffer.pop_from(p).expect("the head exists");
            if self.is_expired(ctx.now, &item) {
                self.expire(ctx, item);
                continue;
            }
            self.buffer.lock(p, item.message.id.0);
            self.spend_tokens(ctx, p);
            return Some(item);
        }
    }

    /// The message in flight on its partition (and, in a key-ordered
    /// group, on its key) has settled or is ready again: the partition and
    /// the key may deliver again.
    #[inline]
    pub(in crate::model::sim) fn free_lanes(&mut self, ctx: &mut Ctx, item: &Item) {
        if self.assignment.is_some() {
            (self.buffer).unlock(item.message.partition as usize, item.message.id.0);
        }
        self.free_key(ctx, item);
    }

    /// Workers came or went: reassign the partitions. Those that changed
    /// owner are not consumed for the group's rebalance pause.
    pub(in crate::model::sim) fn rebalance(&mut self, ctx: &mut Ctx) {
        let pause = self.spec.rebalance_pause;
        let Some(a) = self.assignment.as_mut() else {
            return;
        };
        let moved = a.reassign(self.workers.slots(), &mut self.buffer);
        for (p, _) in moved.iter().enumerate().filter(|(_, m)| **m) {
            a.paused_until[p] = ctx.now + pause;
        }
        self.rebalances += 1;
        if pause > crate::engine::SimDuration::ZERO {
            ctx.schedule(ctx.now + pause, Event::Resume { group: self.index });
        } else {
            // Partitions may have moved to idle workers: offer them now.
            self.dispatch(ctx);
        }
    }
}
