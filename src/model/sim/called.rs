//! A service called directly (sync mode): a component that owns its queue
//! of attempts, its workers with their failures, crashes, outages and
//! autoscaler, and its counts. Each attempt holds a caller until it ends;
//! ending it is the simulation's job, which tells the caller (see
//! [`super::callers`]).

use super::callers::{Attempt, CallerCounts};
use super::ctx::Ctx;
use super::outcome::{
    DeadLetterSummary, Dropped, Failures, GroupOutcome, LittlesLaw, SeriesRow, share,
};
use super::{Event, RunError};
use crate::engine::{RngStream, SimDuration, SimTime, StreamId, hash_uniform};
use crate::model::autoscale::{Census, Change, Phase, Scaler, Slot, changes, members};
use crate::model::group::GroupSpec;
use crate::model::system::System;
use crate::stats::{LatencyHistogram, TimeAverage};
use rand::{Rng, RngExt};
use std::collections::VecDeque;

/// A worker of the called service.
#[derive(Clone, Copy, Debug, Default)]
struct Worker {
    current: Option<Attempt>,
    phase: Phase,
    /// Scaled down while busy: leaves when its attempt ends.
    leaving: bool,
    epoch: u32,
    /// Bumped each time the slot joins, so older events are stale.
    life: u32,
}

impl Worker {
    fn is_up(&self) -> bool {
        self.phase == Phase::Up
    }

    fn slot(&self) -> Slot {
        Slot {
            phase: self.phase,
            leaving: self.leaving,
            busy: self.current.is_some(),
        }
    }
}

/// The called service's counts.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CalledCounts {
    pub deliveries: u64,
    pub processed: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub crashed: u64,
    pub wasted: u64,
}

/// What the caller of an ending attempt knew of its request.
#[derive(Clone, Copy, Debug)]
pub(super) struct Caller {
    /// The caller still waits for this very attempt.
    pub waiting: bool,
    /// No earlier attempt was processed.
    pub first: bool,
    /// When the request was created.
    pub created: SimTime,
}

/// A crash that struck a worker.
pub(super) struct Crashed {
    /// The attempt it interrupted.
    pub interrupted: Option<Attempt>,
    /// The worker was leaving (scaled down): it does not restart.
    pub leaving: bool,
}

/// The service the callers call.
pub(super) struct Called<'s> {
    pub spec: &'s GroupSpec,
    /// Its index among the groups (the events name it).
    pub index: u32,
    queue: VecDeque<Attempt>,
    workers: Vec<Worker>,
    idle: Vec<u32>,
    busy: u32,
    /// Outages in progress.
    pub down: u32,
    service_rng: RngStream,
    fault_rng: RngStream,
    poison_salt: u64,
    pub counts: CalledCounts,
    /// The counts at the previous time-series row.
    last_row: (CallerCounts, CalledCounts),
    end_to_end: LatencyHistogram,
    queue_wait: LatencyHistogram,
    depth: TimeAverage,
    busy_level: TimeAverage,
    /// Workers up.
    up_level: TimeAverage,
    /// Workers paid for: starting, up, crashed or leaving.
    provisioned: TimeAverage,
    scaler: Option<Scaler>,
    /// Workers up and paid for.
    census: Census,
    max_depth: u64,
    processed_in_window: u64,
    /// Attempts that left in the window, and their total time here.
    left: u64,
    sojourn_ns: u128,
}

impl<'s> Called<'s> {
    /// Group `index` of `system`, called directly, at the start of
    /// replication `replication`. Its random streams are those of the
    /// queued run's group: the same service times.
    pub fn new(system: &'s System, index: usize, replication: u64) -> Called<'s> {
        let spec = &system.groups[index];
        let rng = |what: &str| {
            StreamId::named(&format!("group/{}/{what}", spec.name)).rng(system.seed, replication)
        };
        Called {
            spec,
            index: index as u32,
            queue: VecDeque::new(),
            workers: (0..spec.worker_slots())
                .map(|w| Worker {
                    phase: if w < spec.workers {
                        Phase::Up
                    } else {
                        Phase::Parked
                    },
                    ..Worker::default()
                })
                .collect(),
            idle: (0..spec.workers).rev().collect(),
            busy: 0,
            down: 0,
            service_rng: rng("service"),
            fault_rng: rng("faults"),
            poison_salt: rng("poison").next_u64(),
            counts: CalledCounts::default(),
            last_row: (CallerCounts::default(), CalledCounts::default()),
            end_to_end: LatencyHistogram::new(),
            queue_wait: LatencyHistogram::new(),
            depth: TimeAverage::default(),
            busy_level: TimeAverage::default(),
            up_level: TimeAverage::new(0, u64::from(spec.workers)),
            provisioned: TimeAverage::new(0, u64::from(spec.workers)),
            scaler: spec
                .autoscale
                .clone()
                .map(|a| Scaler::new(a, SimTime::ZERO, spec.workers, 0)),
            census: Census::all_up(spec.workers),
            max_depth: 0,
            processed_in_window: 0,
            left: 0,
            sojourn_ns: 0,
        }
    }

    /// An attempt joins the queue, or goes straight to an idle worker.
    ///
    /// # Errors
    /// [`RunError::Runaway`] when the queue passes `max_queued`.
    pub fn enqueue(
        &mut self,
        ctx: &mut Ctx,
        attempt: Attempt,
        max_queued: u64,
    ) -> Result<(), RunError> {
        self.queue.push_back(attempt);
        let depth = self.queue.len() as u64;
        self.max_depth = self.max_depth.max(depth);
        self.dispatch(ctx);
        if self.queue.len() as u64 > max_queued {
            return Err(RunError::Runaway {
                topic: format!("{} (sync)", self.spec.name),
                limit: max_queued,
                at_s: ctx.now.as_secs_f64(),
                why: "requests arrive faster than the downstream answers them".to_owned(),
            });
        }
        Ok(())
    }

    /// Hands queued attempts to idle workers, deciding each one's service
    /// time and failure as it starts.
    pub fn dispatch(&mut self, ctx: &mut Ctx) {
        while self.down == 0 && !self.idle.is_empty() {
            let Some(mut attempt) = self.queue.pop_front() else {
                break;
            };
            let w = self.idle.pop().expect("checked") as usize;
            let faults = &self.spec.faults;
            let mut service = self.spec.service.sample(&mut self.service_rng);
            let poison =
                attempt.poison || hash_uniform(self.poison_salt, attempt.id) < faults.poison_share;
            attempt.fails = poison
                || (faults.failure_probability > 0.0
                    && self.fault_rng.random::<f64>() < faults.failure_probability);
            if let Some(limit) = faults.processing_timeout
                && service > limit.as_secs_f64()
            {
                service = limit.as_secs_f64();
                attempt.fails = true;
                self.counts.timed_out += 1;
            }
            if ctx.in_window && attempt.number == 1 {
                self.queue_wait
                    .record(ctx.now.since(attempt.enqueued).as_nanos());
            }
            self.counts.deliveries += 1;
            let worker = &mut self.workers[w];
            worker.current = Some(attempt);
            self.busy += 1;
            let event = Event::Done {
                group: self.index,
                worker: w as u32,
                epoch: worker.epoch,
            };
            ctx.schedule(ctx.now + SimDuration::from_secs_f64(service), event);
        }
        self.note_levels(ctx.now);
    }

    /// Records the queue's depth and the busy workers at `now`.
    pub fn note_levels(&mut self, now: SimTime) {
        self.depth.set(now.0, self.queue.len() as u64);
        self.busy_level.set(now.0, u64::from(self.busy));
        if let Some(scaler) = self.scaler.as_mut() {
            scaler.note_busy(now, u64::from(self.busy));
        }
    }

    /// Worker `w` finished its attempt (unless it crashed since): the
    /// attempt to end.
    pub fn on_done(&mut self, ctx: &mut Ctx, w: usize, epoch: u32) -> Option<Attempt> {
        let worker = &mut self.workers[w];
        if worker.epoch != epoch {
            return None;
        }
        let attempt = worker.current.take()?;
        self.busy -= 1;
        if std::mem::take(&mut worker.leaving) {
            // Scaled down while busy: it leaves now its attempt is over.
            self.census.shift(&mut worker.phase, Phase::Parked);
            self.note_workers(ctx.now);
        } else {
            self.idle.push(w as u32);
        }
        Some(attempt)
    }

    /// Counts an attempt that ends: processed, or failed (its work not
    /// done); `caller` is what its caller knew.
    pub fn end(&mut self, ctx: &Ctx, attempt: &Attempt, processed: bool, caller: Option<Caller>) {
        if ctx.in_window && attempt.enqueued >= ctx.window_start {
            self.left += 1;
            self.sojourn_ns += u128::from(ctx.now.since(attempt.enqueued).as_nanos());
        }
        let waiting = caller.is_some_and(|c| c.waiting);
        if processed {
            self.counts.processed += 1;
            if let Some(c) = caller.filter(|c| c.first && ctx.in_window) {
                self.end_to_end.record(ctx.now.since(c.created).as_nanos());
                self.processed_in_window += 1;
            }
            if !waiting {
                self.counts.wasted += 1;
            }
        } else {
            self.counts.failed += 1;
        }
    }

    /// Schedules the outages and each worker's first crash.
    pub fn schedule_faults(&mut self, ctx: &mut Ctx) {
        let faults = &self.spec.faults;
        for &(start, end) in &faults.outages {
            let group = self.index;
            ctx.schedule(start, Event::Outage { group, start: true });
            ctx.schedule(
                end,
                Event::Outage {
                    group,
                    start: false,
                },
            );
        }
        for w in 0..self.workers.len() {
            if self.workers[w].is_up() {
                self.schedule_crash(ctx, w, false);
            }
        }
    }

    /// The next crash (`restart = false`) or restart of worker `w`.
    fn schedule_crash(&mut self, ctx: &mut Ctx, w: usize, restart: bool) {
        if let Some((mtbf, mttr)) = &self.spec.faults.crash {
            let d = if restart { mttr } else { mtbf };
            let after = SimDuration::from_secs_f64(d.sample(&mut self.fault_rng));
            let (group, worker, life) = (self.index, w as u32, self.workers[w].life);
            let event = if restart {
                Event::Restart {
                    group,
                    worker,
                    life,
                }
            } else {
                Event::Crash {
                    group,
                    worker,
                    life,
                }
            };
            ctx.schedule(ctx.now + after, event);
        }
    }

    /// Worker `w` crashes, unless it left the group since; the attempt it
    /// interrupted is for the simulation to end, then [`Called::after_crash`].
    pub fn crash(&mut self, ctx: &mut Ctx, w: usize, life: u32) -> Option<Crashed> {
        let worker = &mut self.workers[w];
        if worker.life != life || worker.phase != Phase::Up {
            return None;
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
        if interrupted.is_some() {
            self.busy -= 1;
            self.counts.crashed += 1;
        }
        Some(Crashed {
            interrupted,
            leaving,
        })
    }

    /// After a crash of worker `w` (and the end of what it interrupted):
    /// its restart, unless it was leaving.
    pub fn after_crash(&mut self, ctx: &mut Ctx, w: usize, leaving: bool) {
        if !leaving {
            self.schedule_crash(ctx, w, true);
        }
        self.note_levels(ctx.now);
    }

    /// The service goes down (attempts in progress fail, returned for the
    /// simulation to end; new ones are refused) or comes back.
    pub fn on_outage(&mut self, ctx: &mut Ctx, start: bool) -> Vec<Attempt> {
        if !start {
            self.down -= 1;
            self.dispatch(ctx);
            return Vec::new();
        }
        self.down += 1;
        let mut interrupted = Vec::new();
        for w in 0..self.workers.len() {
            let worker = &mut self.workers[w];
            if let Some(attempt) = worker.current.take() {
                worker.epoch = worker.epoch.wrapping_add(1);
                if std::mem::take(&mut worker.leaving) {
                    self.census.shift(&mut worker.phase, Phase::Parked);
                } else {
                    self.idle.push(w as u32);
                }
                self.busy -= 1;
                self.counts.crashed += 1;
                interrupted.push(attempt);
            }
        }
        interrupted
    }

    /// After an outage started (and the attempts it interrupted ended).
    pub fn after_outage(&mut self, now: SimTime) {
        self.note_workers(now);
        self.note_levels(now);
    }

    /// The autoscaler evaluates its metric.
    pub fn on_evaluate(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let members = self.members();
        let backlog = self.queue.len() as u64 + u64::from(self.busy);
        let group = self.index;
        let Some(scaler) = self.scaler.as_mut() else {
            return;
        };
        let decision = scaler.evaluate(now, members, backlog);
        let (next, delay) = (scaler.next_evaluation(now), scaler.reaction_delay());
        ctx.schedule(next, Event::Evaluate { group });
        match decision {
            Some(target) if delay == SimDuration::ZERO => self.scale_to(ctx, target),
            Some(target) => {
                scaler.defer(target, members);
                ctx.schedule(now + delay, Event::Scale { group, target });
            }
            None => {}
        }
    }

    /// When the autoscaler evaluates first.
    pub fn first_evaluation(&self) -> Option<SimTime> {
        self.scaler
            .as_ref()
            .map(|s| s.next_evaluation(SimTime::ZERO))
    }

    /// A decision made a reaction delay ago takes effect, unless the
    /// service already went further in its direction or a later evaluation
    /// overruled a scale-down.
    pub fn apply_scaling(&mut self, ctx: &mut Ctx, target: u32) {
        let members = self.members();
        let Some(scaler) = self.scaler.as_mut() else {
            return;
        };
        let (up, holds) = scaler.due();
        if holds && ((up && target > members) || (!up && target < members)) {
            self.scale_to(ctx, target);
        }
    }

    /// Brings the service to `target` members.
    fn scale_to(&mut self, ctx: &mut Ctx, target: u32) {
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
                        group: self.index,
                        worker: w as u32,
                        life: worker.life,
                    };
                    ctx.schedule(ctx.now + startup, event);
                }
            }
        }
        if left_up {
            // One pass, however many left.
            let workers = &self.workers;
            self.idle.retain(|&i| workers[i as usize].is_up());
        }
        self.note_workers(ctx.now);
    }

    /// Worker `w` is up after a restart or its start-up, unless it is no
    /// longer in phase `from` of life `life` (it was scaled away meanwhile).
    pub fn come_up(&mut self, ctx: &mut Ctx, w: usize, life: u32, from: Phase) {
        let worker = &mut self.workers[w];
        if worker.life != life || worker.phase != from {
            return;
        }
        self.census.shift(&mut worker.phase, Phase::Up);
        self.idle.push(w as u32);
        self.note_workers(ctx.now);
        self.schedule_crash(ctx, w, false);
        self.dispatch(ctx);
    }

    /// Workers the autoscaler counts: starting, up or crashed, not leaving.
    fn members(&self) -> u32 {
        members(self.workers.iter().map(|w| w.slot()))
    }

    /// Records how many workers are up and paid for.
    fn note_workers(&mut self, now: SimTime) {
        let Census { up, paid } = self.census;
        self.up_level.set(now.0, up);
        self.provisioned.set(now.0, paid);
    }

    /// Statistics restart at the end of warm-up.
    pub fn restart_window(&mut self, now: SimTime) {
        let now = now.0;
        self.end_to_end.clear();
        self.queue_wait.clear();
        self.depth.restart(now);
        self.busy_level.restart(now);
        self.up_level.restart(now);
        self.provisioned.restart(now);
        self.processed_in_window = 0;
        self.left = 0;
        self.sojourn_ns = 0;
    }

    /// The time-series row now: the state now and the `secs` seconds since
    /// the previous row (rates 0 in the `first` row).
    pub fn row(
        &mut self,
        now: SimTime,
        callers: CallerCounts,
        first: bool,
        secs: f64,
    ) -> SeriesRow {
        let (k, c) = (callers, self.counts);
        let (lk, lc) = std::mem::replace(&mut self.last_row, (k, c));
        let per_s = |n: u64| if first { 0.0 } else { n as f64 / secs };
        let up = if self.down > 0 { 0 } else { self.census.up };
        SeriesRow {
            time_s: now.as_secs_f64(),
            group: self.index,
            depth: self.queue.len() as u64,
            depth_bytes: 0,
            disk_depth: 0,
            oldest_age_s: self
                .queue
                .front()
                .map_or(0.0, |a| now.since(a.enqueued).as_secs_f64()),
            in_flight: u64::from(self.busy),
            published_per_s: per_s(k.attempts - lk.attempts),
            accepted_per_s: per_s(k.accepted - lk.accepted),
            completed_per_s: per_s(c.processed - lc.processed),
            dropped: (k.refused + c.failed) - (lk.refused + lc.failed),
            blocked: 0,
            delayed: 0,
            dead_lettered: 0,
            redelivered_per_s: per_s((k.attempts - k.requests) - (lk.attempts - lk.requests)),
            duplicate_side_effects: c.wasted,
            workers_up: up,
            workers: self.provisioned.level(),
        }
    }

    /// The outcome, in the queued run's shape: attempts are the deliveries,
    /// refusals are "rejected", failed attempts "lost".
    pub fn outcome(&self, now: u64, window_s: f64, k: CallerCounts) -> GroupOutcome {
        let c = self.counts;
        let queued = self.queue.len() as u64;
        let in_flight = u64::from(self.busy);
        let mean_depth = self.depth.mean(now);
        let mean_busy = self.busy_level.mean(now);
        let throughput = if window_s > 0.0 {
            self.processed_in_window as f64 / window_s
        } else {
            0.0
        };
        GroupOutcome {
            name: self.spec.name.clone(),
            accepted: k.accepted,
            processed: c.processed,
            deliveries: c.deliveries,
            dropped: Dropped {
                rejected: k.refused,
                lost: c.failed,
                ..Dropped::default()
            },
            dead_lettered: 0,
            queued,
            delayed: 0,
            in_flight,
            redeliveries: k.attempts - k.requests,
            duplicate_deliveries: 0,
            side_effects: c.processed,
            duplicate_side_effects: 0,
            suppressed_duplicates: 0,
            failures: Failures {
                failed: c.failed - c.crashed - c.timed_out,
                timed_out: c.timed_out,
                crashed: c.crashed,
                ack_timeouts: 0,
            },
            dead_letters: DeadLetterSummary::default(),
            work_lost: k.work_lost,
            partitions: Vec::new(),
            out_of_order: 0,
            rebalances: 0,
            workers_without_partitions: 0,
            max_depth: self.max_depth,
            mean_depth,
            utilisation: share(mean_busy, self.up_level.mean(now)),
            workers_mean: self.provisioned.mean(now),
            workers_max: self.provisioned.max(),
            scale_ups: self.scaler.as_ref().map_or(0, |s| s.scale_ups),
            scale_downs: self.scaler.as_ref().map_or(0, |s| s.scale_downs),
            throughput_per_s: throughput,
            queue_wait: self.queue_wait.summary(),
            end_to_end: self.end_to_end.summary(),
            littles_law: LittlesLaw::measure(
                mean_depth + mean_busy,
                self.left,
                self.sojourn_ns,
                window_s,
            ),
        }
    }
}
