//! Autoscaling of a group's workers: periodic evaluations, decisions that
//! take effect after the reaction delay, workers that start after the
//! start-up delay, and workers that leave gracefully (a busy worker
//! finishes its delivery first). Crashed workers still count as members,
//! as a restarting pod counts as a replica.

use super::{Ctx, Group};
use crate::engine::SimDuration;
use crate::model::autoscale::{Change, Slot, changes, members};
use crate::model::sim::Event;
use crate::model::sim::state::Phase;

impl Group<'_> {
    /// The autoscaler of group `g` evaluates its metric.
    pub(in crate::model::sim) fn on_evaluate(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let members = self.members();
        let backlog = self.buffer.len() + self.in_flight() + self.delayed.len() as u64;
        let Some(scaler) = self.scaler.as_mut() else {
            return;
        };
        let decision = scaler.evaluate(now, members, backlog);
        let (next, delay) = (scaler.next_evaluation(now), scaler.reaction_delay());
        ctx.schedule(next, Event::Evaluate { group: self.index });
        if let Some(target) = decision {
            if delay == SimDuration::ZERO {
                self.scale_to(ctx, target);
            } else {
                scaler.defer(target, members);
                let event = Event::Scale {
                    group: self.index,
                    target,
                };
                ctx.schedule(now + delay, event);
            }
        }
    }

    /// A decision made a reaction delay ago takes effect, unless the group
    /// already went further in its direction (decisions made while an
    /// earlier one was pending saw the same old count), or it is a
    /// scale-down that a later evaluation overruled.
    pub(in crate::model::sim) fn apply_scaling(&mut self, ctx: &mut Ctx, target: u32) {
        let members = self.members();
        let Some(scaler) = self.scaler.as_mut() else {
            return;
        };
        let (up, holds) = scaler.due();
        if holds && ((up && target > members) || (!up && target < members)) {
            self.scale_to(ctx, target);
        }
    }

    /// Makes group `g` have `target` members.
    pub(in crate::model::sim) fn scale_to(&mut self, ctx: &mut Ctx, target: u32) {
        let slots: Vec<Slot> = self.workers.iter().map(|w| w.slot()).collect();
        let members = members(slots.iter().copied());
        if let Some(scaler) = self.scaler.as_mut() {
            scaler.count(members, target);
        }
        let mut left_up = false;
        for change in changes(&slots, target) {
            match change {
                Change::Stay(w) => self.workers[w].leaving = false,
                Change::Start(w) => self.provision(ctx, w),
                Change::Leave(w) => self.workers[w].leaving = true,
                Change::Park(w) => {
                    let worker = &mut self.workers[w];
                    left_up |= worker.phase == Phase::Up;
                    self.census.shift(&mut worker.phase, Phase::Parked);
                }
            }
        }
        if left_up {
            // One pass, however many left.
            let workers = &self.workers;
            self.idle.retain(|&i| workers[i as usize].is_up());
        }
        self.note_workers(ctx.now);
        if left_up {
            self.rebalance(ctx);
        }
    }

    /// Slot `w` joins the group: it starts after the start-up delay.
    fn provision(&mut self, ctx: &mut Ctx, w: usize) {
        let delay = self
            .scaler
            .as_ref()
            .map_or(SimDuration::ZERO, |s| s.startup_delay());
        let worker = &mut self.workers[w];
        worker.life = worker.life.wrapping_add(1);
        self.census.shift(&mut worker.phase, Phase::Starting);
        let life = worker.life;
        if delay == SimDuration::ZERO {
            self.on_started(ctx, w, life);
        } else {
            let event = Event::Started {
                group: self.index,
                worker: w as u32,
                life,
            };
            ctx.schedule(ctx.now + delay, event);
        }
    }

    /// A worker has started (unless it was cancelled meanwhile).
    pub(in crate::model::sim) fn on_started(&mut self, ctx: &mut Ctx, w: usize, life: u32) {
        self.come_up(ctx, w, life, Phase::Starting);
    }
}
