//! Partitions: routing at publish, and, in partitioned groups, which
//! worker owns which partition. A partition delivers one message at a time,
//! in order: a failing head (requeued, or waiting out its backoff) blocks
//! the messages behind it. When workers come or go, partitions are
//! reassigned round robin over the workers that are up; a partition that
//! changes owner is not consumed for the rebalance pause.

use super::buffer::Item;
use super::state::Worker;
use super::{Event, Simulation};
use crate::engine::{SimTime, hash_uniform};
use crate::model::topic::Partitioner;

/// No worker owns the partition.
const NOBODY: u32 = u32::MAX;

/// Who owns which partition in a partitioned group.
#[derive(Clone, Debug)]
pub(super) struct Assignment {
    /// Partition → owning worker.
    pub owner: Vec<u32>,
    /// Worker → owned partitions.
    pub owned: Vec<Vec<u32>>,
    /// Partition → the message being processed or awaiting redelivery.
    pub in_flight: Vec<Option<u64>>,
    /// Worker → where its next scan of its partitions starts.
    pub cursor: Vec<usize>,
    /// Partition → no delivery before this instant (it changed owner in a
    /// rebalance still in progress).
    pub paused_until: Vec<SimTime>,
}

impl Assignment {
    /// Every partition assigned round robin over the workers that are up.
    pub fn new(partitions: usize, workers: &[Worker]) -> Assignment {
        let mut a = Assignment {
            owner: vec![NOBODY; partitions],
            owned: vec![Vec::new(); workers.len()],
            in_flight: vec![None; partitions],
            cursor: vec![0; workers.len()],
            paused_until: vec![SimTime::ZERO; partitions],
        };
        a.reassign(workers);
        a
    }

    /// Partition p goes to the (p mod n)-th worker that is up. Returns
    /// which partitions changed owner.
    pub fn reassign(&mut self, workers: &[Worker]) -> Vec<bool> {
        let before = self.owner.clone();
        let up: Vec<u32> = (0..workers.len() as u32)
            .filter(|&w| workers[w as usize].is_up() && !workers[w as usize].leaving)
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
        before
            .iter()
            .zip(&self.owner)
            .map(|(b, a)| b != a)
            .collect()
    }

    /// Up workers that own no partition (more workers than partitions).
    pub fn workers_without_partitions(&self, workers: &[Worker]) -> u64 {
        (0..workers.len())
            .filter(|&w| workers[w].is_up() && !workers[w].leaving && self.owned[w].is_empty())
            .count() as u64
    }
}

impl Simulation<'_> {
    /// The partition of a new message with `key`.
    pub(super) fn route(&mut self, key: u64) -> u32 {
        let partitions = self.scenario.topic.partitions;
        if partitions == 1 {
            return 0;
        }
        match self.scenario.topic.partitioner {
            Partitioner::KeyHash => {
                (hash_uniform(0x6b65_795f_6861_7368, key) * f64::from(partitions)) as u32
            }
            Partitioner::RoundRobin => {
                self.round_robin = self.round_robin.wrapping_add(1) % partitions;
                self.round_robin
            }
        }
    }

    /// Delivers to idle workers of a partitioned group, each from the next
    /// of its partitions that has a message and none in flight.
    pub(super) fn dispatch_partitioned(&mut self, g: usize) {
        let mut i = 0;
        while i < self.groups[g].idle.len() {
            let w = self.groups[g].idle[i];
            match self.next_item(g, w as usize) {
                Some(item) => {
                    self.groups[g].idle.swap_remove(i);
                    self.deliver_to(g, w, item);
                }
                None => i += 1,
            }
        }
    }

    /// A message entered, or returned to, partition `p`: only its owner can
    /// take it, if idle and the partition is free.
    pub(super) fn dispatch_partition(&mut self, g: usize, p: usize) {
        let group = &self.groups[g];
        let Some(a) = group.assignment.as_ref() else {
            return;
        };
        let owner = a.owner[p];
        if group.down > 0
            || self.now < a.paused_until[p]
            || owner == NOBODY
            || a.in_flight[p].is_some()
        {
            return;
        }
        self.dispatch_worker(g, owner as usize);
    }

    /// Worker `w` may be idle now: it takes the next message of its own
    /// partitions, if any.
    pub(super) fn dispatch_worker(&mut self, g: usize, w: usize) {
        let group = &self.groups[g];
        if group.assignment.is_none() || group.down > 0 {
            return;
        }
        let Some(i) = group.idle.iter().position(|&x| x as usize == w) else {
            return;
        };
        if let Some(at) = self.group_throttled(g) {
            self.wake_at(g, at);
            return;
        }
        if let Some(item) = self.next_item(g, w) {
            self.groups[g].idle.swap_remove(i);
            self.deliver_to(g, w as u32, item);
        }
        self.groups[g].note_levels(self.now);
    }

    /// The next message for worker `w` from its own partitions, dropping
    /// expired heads on the way; marks its partition as in flight.
    fn next_item(&mut self, g: usize, w: usize) -> Option<Item> {
        loop {
            let now = self.now;
            let group = &mut self.groups[g];
            let a = group.assignment.as_mut()?;
            let owned = &a.owned[w];
            let n = owned.len();
            let start = a.cursor[w];
            let caps = &mut group.partition_caps;
            let mut opens_at: Option<SimTime> = None;
            let found = (0..n).map(|k| (start + k) % n).find(|&k| {
                let p = owned[k] as usize;
                if a.in_flight[p].is_some()
                    || now < a.paused_until[p]
                    || group.buffer.head_of(p).is_none()
                {
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
                    self.wake_at(g, at);
                }
                return None;
            };
            let p = owned[found] as usize;
            a.cursor[w] = (found + 1) % n;
            let item = group.buffer.pop_from(p).expect("the head exists");
            self.total_ready -= 1;
            if self.is_expired(&item.message) {
                self.expire(g, item);
                continue;
            }
            if let Some(a) = self.groups[g].assignment.as_mut() {
                a.in_flight[p] = Some(item.message.id.0);
            }
            self.spend_tokens(g, p);
            return Some(item);
        }
    }

    /// The message in flight on its partition (and, in a key-ordered
    /// group, on its key) has settled or is ready again: the partition and
    /// the key may deliver again.
    pub(super) fn free_lanes(&mut self, g: usize, item: &Item) {
        if let Some(a) = self.groups[g].assignment.as_mut() {
            let slot = &mut a.in_flight[item.message.partition as usize];
            if *slot == Some(item.message.id.0) {
                *slot = None;
            }
        }
        self.free_key(g, item);
    }

    /// Workers came or went: reassign the partitions. Those that changed
    /// owner are not consumed for the group's rebalance pause.
    pub(super) fn rebalance(&mut self, g: usize) {
        let pause = self.scenario.groups[g].rebalance_pause;
        let group = &mut self.groups[g];
        let Some(a) = group.assignment.as_mut() else {
            return;
        };
        let moved = a.reassign(&group.workers);
        for (p, _) in moved.iter().enumerate().filter(|(_, m)| **m) {
            a.paused_until[p] = self.now + pause;
        }
        group.rebalances += 1;
        if pause > crate::engine::SimDuration::ZERO {
            self.events
                .schedule(self.now + pause, Event::Resume { group: g as u32 });
        } else {
            // Partitions may have moved to idle workers: offer them now.
            self.dispatch(g);
        }
    }
}
