//! Autoscaling of the downstream's workers in sync mode, with the queued
//! run's algorithm (see `model::autoscale`): the backlog is the requests
//! queued at the downstream plus those being served.

use super::{Event, SyncSimulation};
use crate::engine::SimDuration;
use crate::model::autoscale::{Change, Phase, Slot, changes, members};

impl SyncSimulation<'_> {
    /// The autoscaler evaluates its metric.
    pub(super) fn on_evaluate(&mut self) {
        let now = self.now;
        let members = self.members();
        let backlog = self.queue.len() as u64 + u64::from(self.busy);
        let Some(scaler) = self.scaler.as_mut() else {
            return;
        };
        let decision = scaler.evaluate(now, members, backlog);
        let (next, delay) = (scaler.next_evaluation(now), scaler.reaction_delay());
        self.events.schedule(next, Event::Evaluate);
        match decision {
            Some(target) if delay == SimDuration::ZERO => self.scale_to(target),
            Some(target) => {
                scaler.defer(target, members);
                self.events.schedule(now + delay, Event::Scale { target });
            }
            None => {}
        }
    }

    /// A decision made a reaction delay ago takes effect, unless the
    /// downstream already went further in its direction or a later
    /// evaluation overruled a scale-down.
    pub(super) fn apply_scaling(&mut self, target: u32) {
        let members = self.members();
        let Some(scaler) = self.scaler.as_mut() else {
            return;
        };
        let (up, holds) = scaler.due();
        if holds && ((up && target > members) || (!up && target < members)) {
            self.scale_to(target);
        }
    }

    /// Brings the downstream to `target` members.
    pub(super) fn scale_to(&mut self, target: u32) {
        let slots: Vec<Slot> = self.workers.iter().map(|w| w.slot()).collect();
        let members = members(slots.iter().copied());
        if let Some(scaler) = self.scaler.as_mut() {
            scaler.count(members, target);
        }
        let startup = self
            .scaler
            .as_ref()
            .map_or(SimDuration::ZERO, |s| s.startup_delay());
        let mut left_up = false;
        for change in changes(&slots, target) {
            match change {
                Change::Stay(w) => self.workers[w].leaving = false,
                Change::Leave(w) => self.workers[w].leaving = true,
                Change::Park(w) => {
                    let worker = &mut self.workers[w];
                    left_up |= worker.is_up();
                    self.census.shift(&mut worker.phase, Phase::Parked);
                }
                Change::Start(w) => {
                    let worker = &mut self.workers[w];
                    worker.life = worker.life.wrapping_add(1);
                    self.census.shift(&mut worker.phase, Phase::Starting);
                    let event = Event::Started {
                        worker: w as u32,
                        life: worker.life,
                    };
                    self.events.schedule(self.now + startup, event);
                }
            }
        }
        if left_up {
            // One pass, however many left.
            let workers = &self.workers;
            self.idle.retain(|&i| workers[i as usize].is_up());
        }
        self.note_workers();
    }

    /// A worker has started (unless it was cancelled meanwhile).
    pub(super) fn on_started(&mut self, w: usize, life: u32) {
        self.come_up(w, life, Phase::Starting);
    }

    /// Worker `w` is up after a restart or its start-up, unless it is no
    /// longer in phase `from` of life `life` (it was scaled away meanwhile).
    pub(super) fn come_up(&mut self, w: usize, life: u32, from: Phase) {
        let worker = &mut self.workers[w];
        if worker.life != life || worker.phase != from {
            return;
        }
        self.census.shift(&mut worker.phase, Phase::Up);
        self.idle.push(w as u32);
        self.note_workers();
        self.schedule_crash(w, false);
        self.dispatch();
    }

    /// Workers the autoscaler counts: starting, up or crashed, not leaving.
    fn members(&self) -> u32 {
        members(self.workers.iter().map(|w| w.slot()))
    }

    /// Records how many workers are up and paid for.
    pub(super) fn note_workers(&mut self) {
        let crate::model::autoscale::Census { up, paid } = self.census;
        self.up_level.set(self.now.0, up);
        self.provisioned.set(self.now.0, paid);
    }
}
