//! Throughput caps and polling: token buckets on deliveries (per group over
//! the topic, and per partition), and idle workers that poll on a schedule
//! instead of being pushed messages.

use super::{Ctx, Group};
use crate::engine::SimTime;
use crate::model::sim::Event;
use crate::model::sim::ids::WorkerId;

/// A token bucket of `rate` tokens a second holding one second's worth (at
/// least one token), kept exactly in integer nanoseconds as GCRA (virtual
/// scheduling): a delivery conforms when `now >= tat - tolerance`.
#[derive(Clone, Copy, Debug)]
pub(in crate::model::sim) struct Bucket {
    /// Nanoseconds per token.
    interval: u64,
    /// How far ahead of `tat` a delivery may go: (burst − 1) tokens.
    tolerance: u64,
    /// Theoretical arrival time of the next conforming delivery.
    tat: u64,
}

impl Bucket {
    /// A full bucket.
    pub(crate) fn new(rate: f64) -> Bucket {
        let interval = ((1e9 / rate).round() as u64).max(1);
        let burst = rate.max(1.0).floor() as u64;
        Bucket {
            interval,
            tolerance: (burst - 1).saturating_mul(interval),
            tat: 0,
        }
    }

    /// When a token is available: `now` if one is.
    pub(crate) fn ready_at(&self, now: SimTime) -> SimTime {
        SimTime(self.tat.saturating_sub(self.tolerance).max(now.0))
    }

    /// When the bucket will have refilled completely.
    pub(crate) fn full_at(&self) -> SimTime {
        SimTime(self.tat)
    }

    /// Whether the bucket has refilled completely by `now`.
    pub(crate) fn is_full(&self, now: SimTime) -> bool {
        self.tat <= now.0
    }

    /// Takes a token (the caller checked `ready_at`).
    pub(crate) fn take(&mut self, now: SimTime) {
        self.tat = self.tat.max(now.0) + self.interval;
    }
}

impl Group<'_> {
    /// If the group's topic-wide cap holds deliveries back, when it lets
    /// the next one through.
    pub(in crate::model::sim) fn group_throttled(&mut self, ctx: &mut Ctx) -> Option<SimTime> {
        let now = ctx.now;
        let at = self.rate_cap.as_mut()?.ready_at(now);
        (at > now).then_some(at)
    }

    /// The earliest instant a capped partition of the group with messages
    /// can deliver again.
    pub(in crate::model::sim) fn next_partition_opening(
        &mut self,
        ctx: &mut Ctx,
    ) -> Option<SimTime> {
        let now = ctx.now;
        (0..self.partition_caps.len())
            .filter(|&p| self.buffer.has_head(p))
            .map(|p| self.partition_caps[p].ready_at(now))
            .filter(|&t| t > now)
            .min()
    }

    /// A delivery from partition `p` uses a token of every cap.
    pub(in crate::model::sim) fn spend_tokens(&mut self, ctx: &mut Ctx, p: usize) {
        let now = ctx.now;
        if let Some(bucket) = self.rate_cap.as_mut() {
            bucket.take(now);
        }
        if let Some(bucket) = self.partition_caps.get_mut(p) {
            bucket.take(now);
        }
    }

    /// Polling: every idle worker that sleeps gets its next poll, on its
    /// own grid (every interval from its last empty poll), when there is
    /// something to fetch. A worker asleep with nothing to fetch costs no
    /// event: an empty poll changes nothing.
    pub(in crate::model::sim) fn arm_pollers(&mut self, ctx: &mut Ctx) {
        if self.buffer.is_empty() || self.workers.is_down() {
            return;
        }
        let interval = self.spec.poll_interval.as_nanos();
        let now = ctx.now.0;
        for i in 0..self.workers.idle().len() {
            let w = self.workers.idle()[i] as usize;
            let Some(&(next, from)) = self.polls.get(w) else {
                continue;
            };
            if next != SimTime::MAX {
                continue;
            }
            // Its first grid point after its last empty poll, not before
            // now (or, before its first poll, its starting phase).
            let at = if from.0 > now {
                from
            } else {
                let k = (now - from.0).div_ceil(interval).max(1);
                SimTime(from.0 + k * interval)
            };
            self.polls[w].0 = at;
            let event = Event::Poll {
                group: self.index,
                worker: WorkerId::of(w),
            };
            ctx.schedule(at, event);
        }
    }

    /// Idle worker `w` polls (unless this poll is stale): it fetches one
    /// message for itself, or sleeps a full interval.
    pub(in crate::model::sim) fn on_poll(&mut self, ctx: &mut Ctx, w: usize) {
        if self.polls.get(w).is_none_or(|&(next, _)| next != ctx.now) {
            return;
        }
        self.polls[w].0 = SimTime::MAX;
        self.fetch_for(ctx, w);
    }

    /// Worker `w` of a polling group fetches for itself (at its poll, or as
    /// it finishes a delivery): the next ready message if any (within the
    /// caps), else it sleeps, its polls counting from now.
    pub(in crate::model::sim) fn fetch_for(&mut self, ctx: &mut Ctx, w: usize) {
        if self.workers.is_down() || !self.workers.is_idle(w) {
            return; // Busy, crashed or gone: it polls again when back.
        }
        // Rate-limited, or nothing ready: nothing this time.
        if let Some(item) = self.next_capped(ctx, false) {
            self.workers.take_idle(w);
            self.spend_tokens(ctx, item.message.partition as usize);
            self.deliver_to(ctx, w as u32, item);
            // With prefetch, the same poll brings more, held behind it.
            self.fetch_more(ctx, w);
            self.note_levels(ctx.now);
            return;
        }
        if let Some(p) = self.polls.get_mut(w) {
            *p = (SimTime::MAX, ctx.now);
        }
        // Asleep; woken on its grid if anything is left to fetch.
        self.arm_pollers(ctx);
        self.note_levels(ctx.now);
    }

    /// Dispatch again at `at` (a cap or a poll lets deliveries through then).
    pub(in crate::model::sim) fn wake_at(&mut self, ctx: &mut Ctx, at: SimTime) {
        if self.wake_at.is_some_and(|t| t >= ctx.now && t <= at) {
            return; // An earlier or equal wake-up is already scheduled.
        }
        self.wake_at = Some(at);
        ctx.schedule(at, Event::Resume { group: self.index });
    }

    /// A wake-up is due: deliveries may go ahead again (a rebalance pause
    /// is over, a cap has a token, or idle workers poll).
    pub(in crate::model::sim) fn on_resume(&mut self, ctx: &mut Ctx) {
        if self.wake_at == Some(ctx.now) {
            self.wake_at = None;
        }
        self.dispatch(ctx);
    }

    /// Messages are waiting and workers idle: with polling, each idle
    /// worker's next poll fetches for it; without, they are delivered now.
    pub(in crate::model::sim) fn notify(&mut self, ctx: &mut Ctx, partition: usize) {
        let owed = self.prefetch.as_ref().is_some_and(|p| p.has_credit());
        if (!self.workers.has_idle() && !owed) || self.workers.is_down() {
            return;
        }
        if self.assignment.is_some() {
            self.dispatch_partition(ctx, partition);
        } else {
            // Pollers are armed there.
            self.dispatch(ctx);
        }
    }
}
