//! Consumer faults: random worker crashes and restarts, scheduled group
//! outages, and ack (visibility) timeouts that hand a message out again
//! while its first delivery still runs.

use super::state::{FailKind, InService, Phase};
use super::{Event, Simulation};
use crate::engine::SimDuration;
use crate::model::topic::DeliveryMode;
use rand::RngExt;

impl Simulation<'_> {
    /// Schedules group `g`'s outages and each worker's first crash.
    pub(super) fn schedule_faults(&mut self, g: usize) {
        let faults = &self.scenario.groups[g].faults;
        for &(start, end) in &faults.outages {
            self.events.schedule(
                start,
                Event::Outage {
                    group: g as u32,
                    start: true,
                },
            );
            self.events.schedule(
                end,
                Event::Outage {
                    group: g as u32,
                    start: false,
                },
            );
        }
        if faults.crash.is_some() {
            for w in 0..self.groups[g].workers.len() {
                if self.groups[g].workers[w].is_up() {
                    self.schedule_crash(g, w);
                }
            }
        }
    }

    /// Schedules worker `w`'s next crash, if workers crash.
    pub(super) fn schedule_crash(&mut self, g: usize, w: usize) {
        if let Some((mtbf, _)) = &self.scenario.groups[g].faults.crash {
            let after = SimDuration::from_secs_f64(mtbf.sample(&mut self.groups[g].fault_rng));
            let event = Event::Crash {
                group: g as u32,
                worker: w as u32,
                life: self.groups[g].workers[w].life,
            };
            self.events.schedule(self.now + after, event);
        }
    }

    /// Worker `w` crashes, unless it has left the group since the crash was
    /// scheduled. A worker that was leaving (scaled down) does not restart.
    pub(super) fn on_crash(&mut self, g: usize, w: usize, life: u32) {
        let group = &mut self.groups[g];
        let worker = &mut group.workers[w];
        if worker.life != life || !worker.is_up() {
            return;
        }
        let leaving = std::mem::take(&mut worker.leaving);
        let to = if leaving {
            Phase::Parked
        } else {
            Phase::Crashed
        };
        group.census.shift(&mut worker.phase, to);
        worker.epoch = worker.epoch.wrapping_add(1);
        let interrupted = worker.current.take();
        group.idle.retain(|&i| i as usize != w);
        group.note_workers(self.now);
        if let Some(s) = interrupted {
            self.interrupt(g, s);
        }
        self.rebalance(g);
        if leaving {
            return;
        }
        if let Some((_, mttr)) = &self.scenario.groups[g].faults.crash {
            let repair = SimDuration::from_secs_f64(mttr.sample(&mut self.groups[g].fault_rng));
            self.events.schedule(
                self.now + repair,
                Event::Restart {
                    group: g as u32,
                    worker: w as u32,
                    life,
                },
            );
        }
    }

    /// A crashed worker restarts, unless it was scaled away meanwhile.
    pub(super) fn on_restart(&mut self, g: usize, w: usize, life: u32) {
        self.come_up(g, w, life, Phase::Crashed);
    }

    /// Worker `w` is up after a restart or its start-up, unless it is no
    /// longer in phase `from` of life `life` (it was scaled away meanwhile).
    pub(super) fn come_up(&mut self, g: usize, w: usize, life: u32, from: Phase) {
        let group = &mut self.groups[g];
        let worker = &mut group.workers[w];
        if worker.life != life || worker.phase != from {
            return;
        }
        group.census.shift(&mut worker.phase, Phase::Up);
        self.groups[g].idle.push(w as u32);
        self.groups[g].note_workers(self.now);
        self.schedule_crash(g, w);
        self.rebalance(g);
        self.dispatch(g);
    }

    /// A group outage starts (every delivery in progress is interrupted)
    /// or ends (delivery resumes).
    pub(super) fn on_outage(&mut self, g: usize, start: bool) {
        let group = &mut self.groups[g];
        if !start {
            group.down -= 1;
            self.dispatch(g);
            return;
        }
        group.down += 1;
        let mut left = false;
        for w in 0..group.workers.len() {
            let group = &mut self.groups[g];
            let worker = &mut group.workers[w];
            if let Some(s) = worker.current.take() {
                worker.epoch = worker.epoch.wrapping_add(1);
                if std::mem::take(&mut worker.leaving) {
                    group.census.shift(&mut worker.phase, Phase::Parked);
                    left = true;
                } else {
                    self.groups[g].idle.push(w as u32);
                }
                self.interrupt(g, s);
            }
        }
        if left {
            self.groups[g].note_workers(self.now);
            self.rebalance(g);
        }
    }

    /// A delivery stops without an ack. If it had reached its side effect
    /// (a `crash_after_side_effect` share of successful ones), the effect
    /// happened. The message returns when the broker notices: at its ack
    /// timeout if there is one, else at once (the connection dropped).
    fn interrupt(&mut self, g: usize, mut s: InService) {
        let group = &mut self.groups[g];
        group.busy -= 1;
        group.note_busy(self.now);
        let share = self.scenario.groups[g].faults.crash_after_side_effect;
        if s.failure.is_none() && share > 0.0 && group.fault_rng.random::<f64>() < share {
            self.side_effect(g, &mut s.item);
        }
        if s.zombie {
            self.groups[g].zombies -= 1;
            self.groups[g].note_faults(self.now);
            self.end_zombie(g, &s.item);
            return;
        }
        let visible_at = self
            .scenario
            .topic
            .delivery
            .ack_timeout
            .map(|t| (s.started + t).max(self.now));
        self.fail(g, s.item, FailKind::Crashed, visible_at);
    }

    /// A delivery was not acked in time: the message is handed out again
    /// while this delivery keeps running (a zombie whose ack will be stale).
    pub(super) fn on_ack_timeout(&mut self, g: usize, w: usize, epoch: u32, delivery: u32) {
        if self.scenario.topic.delivery.mode == DeliveryMode::AtMostOnce {
            return;
        }
        let group = &mut self.groups[g];
        let worker = &mut group.workers[w];
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
            let track = group.tracks.entry(origin).or_default();
            track.side_effects = s.item.side_effects;
            track.last_side_effect = s.item.last_side_effect;
            track.refs += 1; // the running delivery's
        }
        let returned = s.item;
        group.zombies += 1;
        group.note_faults(self.now);
        let track = group.tracks.entry(origin).or_default();
        track.refs += 1; // the returned copy's
        track.running += 1;
        self.fail(g, returned, FailKind::AckTimeout, Some(self.now));
    }
}
