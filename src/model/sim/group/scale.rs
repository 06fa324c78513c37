//! Autoscaling of a group's workers: periodic evaluations, decisions that
//! take effect after the reaction delay, workers that start after the
//! start-up delay, and workers that leave gracefully (a busy worker
//! finishes its delivery first). Crashed workers still count as members,
//! as a restarting pod counts as a replica.

use super::{Ctx, Group};
use crate::engine::SimDuration;
use crate::model::autoscale::Phase;
use crate::model::sim::Event;
use crate::model::sim::ids::WorkerId;

impl Group<'_> {
    /// The autoscaler evaluates its metric against the group's backlog.
    pub(in crate::model::sim) fn on_evaluate(&mut self, ctx: &mut Ctx) {
        let backlog = self.buffer.len() + self.in_flight() + self.delayed.len() as u64;
        if let Some(target) = self.workers.evaluate(ctx, backlog) {
            self.scale_to(ctx, target);
        }
    }

    /// A decision made a reaction delay ago takes effect, unless it no
    /// longer holds.
    pub(in crate::model::sim) fn apply_scaling(&mut self, ctx: &mut Ctx, target: u32) {
        if self.workers.still_holds(target) {
            self.scale_to(ctx, target);
        }
    }

    /// Makes the group have `target` members: workers that start come up
    /// after the start-up delay; partitions move if one that was up left.
    pub(in crate::model::sim) fn scale_to(&mut self, ctx: &mut Ctx, target: u32) {
        let scaled = self.workers.scale_to(ctx.now, target);
        let delay = self.workers.startup_delay();
        for (w, life) in scaled.starting {
            if delay == SimDuration::ZERO {
                self.on_started(ctx, w, life);
            } else {
                let event = Event::Started {
                    group: self.index,
                    worker: WorkerId::of(w),
                    life,
                };
                ctx.schedule(ctx.now + delay, event);
            }
        }
        if scaled.left_up {
            self.rebalance(ctx);
        }
    }

    /// A worker has started (unless it was cancelled meanwhile).
    pub(in crate::model::sim) fn on_started(&mut self, ctx: &mut Ctx, w: usize, life: u32) {
        self.come_up(ctx, w, life, Phase::Starting);
    }
}
