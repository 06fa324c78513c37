//! Autoscaling of a group's workers: periodic evaluations, decisions that
//! take effect after the reaction delay, workers that start after the
//! start-up delay, and workers that leave gracefully (a busy worker
//! finishes its delivery first). Crashed workers still count as members,
//! as a restarting pod counts as a replica.

use super::state::Phase;
use super::{Event, Simulation};
use crate::engine::SimDuration;
use crate::model::autoscale::{Change, Slot, changes, members};

impl Simulation<'_> {
    /// The autoscaler of group `g` evaluates its metric.
    pub(super) fn on_evaluate(&mut self, g: usize) {
        let now = self.now;
        let group = &mut self.groups[g];
        let members = group.members();
        let backlog = group.buffer.len() + group.in_flight() + group.delayed.len() as u64;
        let Some(scaler) = group.scaler.as_mut() else {
            return;
        };
        let decision = scaler.evaluate(now, members, backlog);
        let (next, delay) = (scaler.next_evaluation(now), scaler.reaction_delay());
        self.events
            .schedule(next, Event::Evaluate { group: g as u32 });
        if let Some(target) = decision {
            if delay == SimDuration::ZERO {
                self.scale_to(g, target);
            } else {
                scaler.defer(target, members);
                let event = Event::Scale {
                    group: g as u32,
                    target,
                };
                self.events.schedule(now + delay, event);
            }
        }
    }

    /// A decision made a reaction delay ago takes effect, unless the group
    /// already went further in its direction (decisions made while an
    /// earlier one was pending saw the same old count), or it is a
    /// scale-down that a later evaluation overruled.
    pub(super) fn apply_scaling(&mut self, g: usize, target: u32) {
        let members = self.groups[g].members();
        let Some(scaler) = self.groups[g].scaler.as_mut() else {
            return;
        };
        let (up, holds) = scaler.due();
        if holds && ((up && target > members) || (!up && target < members)) {
            self.scale_to(g, target);
        }
    }

    /// Makes group `g` have `target` members.
    pub(super) fn scale_to(&mut self, g: usize, target: u32) {
        let slots: Vec<Slot> = self.groups[g].workers.iter().map(|w| w.slot()).collect();
        let members = members(slots.iter().copied());
        if let Some(scaler) = self.groups[g].scaler.as_mut() {
            scaler.count(members, target);
        }
        let mut left_up = false;
        for change in changes(&slots, target) {
            let group = &mut self.groups[g];
            match change {
                Change::Stay(w) => group.workers[w].leaving = false,
                Change::Start(w) => self.provision(g, w),
                Change::Leave(w) => group.workers[w].leaving = true,
                Change::Park(w) => {
                    let worker = &mut group.workers[w];
                    left_up |= worker.phase == Phase::Up;
                    group.census.shift(&mut worker.phase, Phase::Parked);
                }
            }
        }
        if left_up {
            // One pass, however many left.
            let group = &mut self.groups[g];
            let workers = &group.workers;
            group.idle.retain(|&i| workers[i as usize].is_up());
        }
        self.groups[g].note_workers(self.now);
        if left_up {
            self.rebalance(g);
        }
    }

    /// Slot `w` joins the group: it starts after the start-up delay.
    fn provision(&mut self, g: usize, w: usize) {
        let delay = self.groups[g]
            .scaler
            .as_ref()
            .map_or(SimDuration::ZERO, |s| s.startup_delay());
        let group = &mut self.groups[g];
        let worker = &mut group.workers[w];
        worker.life = worker.life.wrapping_add(1);
        group.census.shift(&mut worker.phase, Phase::Starting);
        let life = worker.life;
        if delay == SimDuration::ZERO {
            self.on_started(g, w, life);
        } else {
            let event = Event::Started {
                group: g as u32,
                worker: w as u32,
                life,
            };
            self.events.schedule(self.now + delay, event);
        }
    }

    /// A worker has started (unless it was cancelled meanwhile).
    pub(super) fn on_started(&mut self, g: usize, w: usize, life: u32) {
        self.come_up(g, w, life, Phase::Starting);
    }
}
