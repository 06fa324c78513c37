//! Throughput caps and polling: token buckets on deliveries (per group over
//! the topic, and per partition), and idle workers that poll on a schedule
//! instead of being pushed messages.

use super::{Ctx, Group};
use crate::engine::SimTime;
use crate::model::sim::Event;

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

    /// Messages are waiting and workers idle: with polling, the first idle
    /// worker's next poll fetches them; without, they are delivered now.
    pub(in crate::model::sim) fn notify(&mut self, ctx: &mut Ctx, partition: usize) {
        if !self.workers.has_idle() || self.workers.is_down() {
            return;
        }
        let interval = self.spec.poll_interval.as_nanos();
        if interval > 0 {
            let workers = self.workers.len() as u64;
            let now = ctx.now.0;
            // Worker w polls at w·interval/workers + k·interval.
            let next = (self.workers.idle().iter())
                .map(|&w| {
                    let phase = u64::from(w) * interval / workers;
                    let k = now.saturating_sub(phase).div_ceil(interval);
                    phase + k * interval
                })
                .min()
                .unwrap_or(now);
            self.wake_at(ctx, SimTime(next));
        } else if self.assignment.is_some() {
            self.dispatch_partition(ctx, partition);
        } else {
            self.dispatch(ctx);
        }
    }
}
