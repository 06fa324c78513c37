//! Consumer faults: random worker crashes and restarts, scheduled group
//! outages, and ack (visibility) timeouts that hand a message out again
//! while its first delivery still runs.

use super::{Ctx, Group};
use crate::engine::SimDuration;
use crate::model::sim::Event;
use crate::model::sim::state::{FailKind, InService, Phase};
use crate::model::topic::DeliveryMode;
use rand::RngExt;

impl Group<'_> {
    /// Schedules group `g`'s outages and each worker's first crash.
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
                if self.workers[w].is_up() {
                    self.schedule_crash(ctx, w);
                }
            }
        }
    }

    /// Schedules worker `w`'s next crash, if workers crash.
    pub(in crate::model::sim) fn schedule_crash(&mut self, ctx: &mut Ctx, w: usize) {
        if let Some((mtbf, _)) = &self.spec.faults.crash {
            let after = SimDuration::from_secs_f64(mtbf.sample(&mut self.fault_rng));
            let event = Event::Crash {
                group: self.index,
                worker: w as u32,
                life: self.workers[w].life,
            };
            ctx.schedule(ctx.now + after, event);
        }
    }

    /// Worker `w` crashes, unless it has left the group since the crash was
    /// scheduled. A worker that was leaving (scaled down) does not restart.
    pub(in crate::model::sim) fn on_crash(&mut self, ctx: &mut Ctx, w: usize, life: u32) {
        let worker = &mut self.workers[w];
        if worker.life != life || !worker.is_up() {
            return;
        }
        let leaving = std::mem::take(&mut worker.leaving);
        let to = if leaving {
            Phase::Parked
        } else {
            Phase::Crashed
        };
        self.census.shift(&mut worker.phase, to);
        worker.epoch = worker.epoch.wrapping_add(1);
        let interrupted = worker.current.take();
        self.idle.retain(|&i| i as usize != w);
        self.note_workers(ctx.now);
        if let Some(s) = interrupted {
            self.interrupt(ctx, s);
        }
        self.rebalance(ctx);
        if leaving {
            return;
        }
        if let Some((_, mttr)) = &self.spec.faults.crash {
            let repair = SimDuration::from_secs_f64(mttr.sample(&mut self.fault_rng));
            ctx.schedule(
                ctx.now + repair,
                Event::Restart {
                    group: self.index,
                    worker: w as u32,
                    life,
                },
            );
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
        let worker = &mut self.workers[w];
        if worker.life != life || worker.phase != from {
            return;
        }
        self.census.shift(&mut worker.phase, Phase::Up);
        self.idle.push(w as u32);
        self.note_workers(ctx.now);
        self.schedule_crash(ctx, w);
        self.rebalance(ctx);
        self.dispatch(ctx);
    }

    /// A group outage starts (every delivery in progress is interrupted)
    /// or ends (delivery resumes).
    pub(in crate::model::sim) fn on_outage(&mut self, ctx: &mut Ctx, start: bool) {
        if !start {
            self.down -= 1;
            self.dispatch(ctx);
            return;
        }
        self.down += 1;
        let mut left = false;
        for w in 0..self.workers.len() {
            let worker = &mut self.workers[w];
            if let Some(s) = worker.current.take() {
                worker.epoch = worker.epoch.wrapping_add(1);
                if std::mem::take(&mut worker.leaving) {
                    self.census.shift(&mut worker.phase, Phase::Parked);
                    left = true;
                } else {
                    self.idle.push(w as u32);
                }
                self.interrupt(ctx, s);
            }
        }
        if left {
            self.note_workers(ctx.now);
            self.rebalance(ctx);
        }
    }

    /// A delivery stops without an ack. If it had reached its side effect
    /// (a `crash_after_side_effect` share of successful ones), the effect
    /// happened. The message returns when the broker notices: at its ack
    /// timeout if there is one, else at once (the connection dropped).
    fn interrupt(&mut self, ctx: &mut Ctx, mut s: InService) {
        self.busy -= 1;
        self.note_busy(ctx.now);
        let share = self.spec.faults.crash_after_side_effect;
        if s.failure.is_none() && share > 0.0 && self.fault_rng.random::<f64>() < share {
            self.side_effect(ctx, &mut s.item);
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
        let worker = &mut self.workers[w];
        if worker.epoch != epoch || worker.started != delivery {
            return;
        }
        let Some(s) = worker.current.as_mut().filter(|s| !s.zombie) else {
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
