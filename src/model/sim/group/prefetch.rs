//! Prefetch: a worker holds up to `prefetch` messages at once, the one it
//! runs included (RabbitMQ's `basic.qos`, Kafka's `max.poll.records`, an
//! SQS receive of up to 10). What it holds left the broker: it counts as
//! in flight, not in the depth, and no other worker can take it; a crash
//! or an outage returns it as it returns the delivery in progress. A held
//! message starts without the round trip to the broker (`fetch_overhead`),
//! which is how prefetch lowers the overhead per message.

use super::{Ctx, Group, Item};
use crate::engine::SimTime;
use crate::model::sim::state::FailKind;
use std::collections::VecDeque;

/// The messages a group's workers hold beyond the one each runs.
pub(in crate::model::sim) struct Prefetch {
    /// How many each worker may hold besides the one it runs.
    extra: usize,
    /// Per worker slot, what it holds (with when the broker handed it
    /// over), oldest first.
    held: Vec<VecDeque<(SimTime, Item)>>,
    /// Held messages over all workers.
    count: u64,
    /// Busy workers with room for more, in the order they got it (a pushed
    /// group: the broker sends to each in turn); entries may be stale.
    credit: VecDeque<u32>,
    in_credit: Vec<bool>,
}

impl Prefetch {
    /// Room for `prefetch` messages per worker on `slots` worker slots;
    /// `None` when a worker holds only what it runs.
    pub(in crate::model::sim) fn new(prefetch: u32, slots: usize) -> Option<Prefetch> {
        (prefetch > 1).then(|| Prefetch {
            extra: prefetch as usize - 1,
            held: vec![VecDeque::new(); slots],
            count: 0,
            credit: VecDeque::new(),
            in_credit: vec![false; slots],
        })
    }

    /// Held messages over all workers.
    #[inline]
    pub(in crate::model::sim) fn count(&self) -> u64 {
        self.count
    }

    /// Every held message.
    pub(in crate::model::sim) fn items(&self) -> impl Iterator<Item = &Item> {
        self.held.iter().flatten().map(|(_, item)| item)
    }

    /// Every held message, mutable.
    pub(in crate::model::sim) fn items_mut(&mut self) -> impl Iterator<Item = &mut Item> {
        self.held.iter_mut().flatten().map(|(_, item)| item)
    }

    /// Room left on worker `w` for more.
    fn room(&self, w: usize) -> usize {
        self.extra - self.held[w].len()
    }

    /// Worker `w` is owed more (it runs a job with room to hold): it
    /// joins the back of the turn.
    pub(in crate::model::sim) fn credit(&mut self, w: usize) {
        if !self.in_credit[w] && self.room(w) > 0 {
            self.in_credit[w] = true;
            self.credit.push_back(w as u32);
        }
    }

    /// Whether some worker may be owed more.
    #[inline]
    pub(in crate::model::sim) fn has_credit(&self) -> bool {
        !self.credit.is_empty()
    }
}

impl Group<'_> {
    /// Worker `w`, busy, takes `item` to hold behind its job: it leaves
    /// the broker now.
    fn hold(&mut self, ctx: &mut Ctx, w: usize, mut item: Item) {
        self.hand_over(ctx, &mut item);
        let Some(p) = self.prefetch.as_mut() else {
            return;
        };
        p.held[w].push_back((ctx.now, item));
        p.count += 1;
    }

    /// Pushes ready messages to busy workers with room to hold more, each
    /// in turn (after idle workers had theirs).
    pub(in crate::model::sim) fn fill_credit(&mut self, ctx: &mut Ctx) {
        loop {
            let Some(p) = self.prefetch.as_mut() else {
                return;
            };
            let Some(w) = p.credit.pop_front() else {
                return;
            };
            let w = w as usize;
            p.in_credit[w] = false;
            let busy = self.workers.slots()[w].is_staying() && !self.workers.is_idle(w);
            if !busy || p.room(w) == 0 {
                continue; // Stale: it left, crashed, went idle or is full.
            }
            let Some(item) = self.next_capped(ctx, true) else {
                // Nothing to send: it stays owed, first in turn.
                let p = self.prefetch.as_mut().expect("checked above");
                p.in_credit[w] = true;
                p.credit.push_front(w as u32);
                return;
            };
            self.spend_tokens(ctx, item.message.partition as usize);
            self.hold(ctx, w, item);
            if let Some(p) = self.prefetch.as_mut() {
                p.credit(w);
            }
        }
    }

    /// Worker `w`, idle after its job, starts the next message it holds,
    /// if any. True when it started one. (A message its job's settling
    /// returned to the buffer may have gone to it first: then what it
    /// holds waits for that one.)
    pub(in crate::model::sim) fn start_held(&mut self, ctx: &mut Ctx, w: usize) -> bool {
        if !self.workers.is_idle(w) {
            return false;
        }
        let Some(p) = self.prefetch.as_mut() else {
            return false;
        };
        let Some((_, item)) = p.held[w].pop_front() else {
            return false;
        };
        p.count -= 1;
        self.workers.take_idle(w);
        self.start(ctx, w as u32, item, false);
        true
    }

    /// Worker `w` of a polling group fetches up to its prefetch at once:
    /// it runs the first and holds the rest.
    pub(in crate::model::sim) fn fetch_more(&mut self, ctx: &mut Ctx, w: usize) {
        let room = self.prefetch.as_ref().map_or(0, |p| p.room(w));
        for _ in 0..room {
            let Some(item) = self.next_capped(ctx, false) else {
                return;
            };
            self.spend_tokens(ctx, item.message.partition as usize);
            self.hold(ctx, w, item);
        }
    }

    /// What worker `w` held goes back to the broker: as a delivery a
    /// crash interrupted (`crashed`: after its ack timeout from when it
    /// was handed over, if there is one), or returned unstarted as the
    /// worker leaves (scaled down).
    pub(in crate::model::sim) fn return_held(&mut self, ctx: &mut Ctx, w: usize, crashed: bool) {
        let Some(p) = self.prefetch.as_mut() else {
            return;
        };
        let held = std::mem::take(&mut p.held[w]);
        p.count -= held.len() as u64;
        let timeout = self.topic.delivery.ack_timeout;
        for (handed, item) in held {
            if crashed {
                let visible_at = timeout.map(|t| (handed + t).max(ctx.now));
                self.fail(ctx, item, FailKind::Crashed, visible_at);
            } else {
                self.requeue(ctx, item);
            }
        }
    }

    /// What every worker held goes back (an outage).
    pub(in crate::model::sim) fn return_all_held(&mut self, ctx: &mut Ctx) {
        for w in 0..self.prefetch.as_ref().map_or(0, |p| p.held.len()) {
            self.return_held(ctx, w, true);
        }
    }
}
