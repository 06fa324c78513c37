//! Consumer faults: random worker crashes and restarts, scheduled group
//! outages, and ack (visibility) timeouts that hand a message out again
//! while its first delivery still runs.

use super::{Ctx, Group};
use crate::model::autoscale::Phase;
use crate::model::sim::Event;
use crate::model::sim::state::{FailKind, InService};
use crate::model::topic::DeliveryMode;
use rand::RngExt;

impl Group<'_> {
    /// Schedules the group's outages and each worker's first crash.
    pub(in crate::model::sim) fn schedule_faults(&mut self, ctx: &mut Ctx) {
        let faults = &self.spec.faults;
        for &(start, end) in &faults.outages {
            ctx.schedule(
                start,
                Event::Outage {
                    group: self.index,
                    start: true,
                },
            );
            ctx.schedule(
                end,
                Event::Outage {
                    group: self.index,
                    start: false,
                },
            );
        }
        if faults.crash.is_some() {
            for w in 0..self.workers.len() {
                if self.workers.slots()[w].is_up() {
                    self.schedule_crash(ctx, w);
                }
            }
        }
    }

    /// Schedules worker `w`'s next crash, if workers crash.
    pub(in crate::model::sim) fn schedule_crash(&mut self, ctx: &mut Ctx, w: usize) {
        let crash = self.spec.faults.crash.as_ref();
        (self.workers).schedule_crash(ctx, w, crash, &mut self.fault_rng, false);
    }

    /// Worker `w` crashes, unless it has left the group since the crash was
    /// scheduled. A worker that was leaving (scaled down) does not restart.
    pub(in crate::model::sim) fn on_crash(&mut self, ctx: &mut Ctx, w: usize, life: u32) {
        let Some(crashed) = self.workers.crash(ctx.now, w, life) else {
            return;
        };
        if let Some(s) = crashed.interrupted {
            self.interrupt(ctx, s);
        }
        self.return_held(ctx, w, true);
        self.rebalance(ctx);
        if !crashed.leaving {
            let crash = self.spec.faults.crash.as_ref();
            (self.workers).schedule_crash(ctx, w, crash, &mut self.fault_rng, true);
        }
    }

    /// A crashed worker restarts, unless it was scaled away meanwhile.
    pub(in crate::model::sim) fn on_restart(&mut self, ctx: &mut Ctx, w: usize, life: u32) {
        self.come_up(ctx, w, life, Phase::Crashed);
    }

    /// Worker `w` is up after a restart or its start-up, unless it is no
    /// longer in phase `from` of life `life` (it was scaled away meanwhile).
    pub(in crate::model::sim) fn come_up(
        &mut self,
        ctx: &mut Ctx,
        w: usize,
        life: u32,
        from: Phase,
    ) {
        if !self.workers.come_up(ctx.now, w, life, from) {
            return;
        }
        self.schedule_crash(ctx, w);
        self.rebalance(ctx);
        self.dispatch(ctx);
    }

    /// A group outage starts (every delivery in progress is interrupted)
    /// or ends (delivery resumes).
    pub(in crate::model::sim) fn on_outage(&mut self, ctx: &mut Ctx, start: bool) {
        if !start {
            self.workers.come_back();
            self.dispatch(ctx);
            return;
        }
        self.workers.go_down();
        let mut left = false;
        let mut from = 0;
        while let Some((w, stopped)) = self.workers.interrupt_from(ctx.now, from) {
            from = w + 1;
            left |= stopped.left;
            self.interrupt(ctx, stopped.job);
        }
        self.return_all_held(ctx);
        if left {
            self.rebalance(ctx);
        }
    }

    /// A delivery stops without an ack. If it had reached its side effect
    /// (a `crash_after_side_effect` share of successful ones), the effect
    /// happened. The message returns when the broker notices: at its ack
    /// timeout if there is one, else at once (the connection dropped).
    fn interrupt(&mut self, ctx: &mut Ctx, mut s: InService) {
        let share = self.spec.faults.crash_after_side_effect;
        // A delivery waiting for its children's publishes had its side
        // effect already.
        if s.failure.is_none()
            && !s.effect_done
            && share > 0.0
            && self.fault_rng.random::<f64>() < share
            && self.side_effect(ctx, &mut s.item)
            && self.linked
        {
            // Its publishes happened too: the simulation sends them.
            self.interrupted_effects.push(s.item.message);
        }
        if s.zombie {
            self.zombies -= 1;
            self.note_faults(ctx.now);
            self.end_zombie(&s.item);
            return;
        }
        let visible_at = self
            .topic
            .delivery
            .ack_timeout
            .map(|t| (s.started + t).max(ctx.now));
        self.fail(ctx, s.item, FailKind::Crashed, visible_at);
    }

    /// A delivery was not acked in time: the message is handed out again
    /// while this delivery keeps running (a zombie whose ack will be stale).
    pub(in crate::model::sim) fn on_ack_timeout(
        &mut self,
        ctx: &mut Ctx,
        w: usize,
        epoch: u32,
        delivery: u32,
    ) {
        if self.topic.delivery.mode == DeliveryMode::AtMostOnce {
            return;
        }
        let Some(s) = (self.workers)
            .job_mut(w, epoch, delivery)
            .filter(|s| !s.zombie)
        else {
            return;
        };
        s.zombie = true;
        let origin = s.item.message.origin.0;
        if !s.item.tracked {
            s.item.tracked = true;
            let track = self.tracks.entry(origin).or_default();
            track.side_effects = s.item.side_effects;
            track.last_side_effect = s.item.last_side_effect;
            track.refs += 1; // the running delivery's
        }
        let returned = s.item;
        self.zombies += 1;
        self.note_faults(ctx.now);
        let track = self.tracks.entry(origin).or_default();
        track.refs += 1; // the returned copy's
        track.running += 1;
        self.fail(ctx, returned, FailKind::AckTimeout, Some(ctx.now));
    }
}
