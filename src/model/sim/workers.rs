//! A pool of workers: the units of concurrency a consumer group (or a
//! called service) runs its jobs on. The pool owns each worker's phase
//! (starting, up, crashed, parked), the job it runs, the idle list, the
//! census of workers up and paid for, the autoscaler and the time averages
//! of busy, up and provisioned workers. Its owner decides what a job is
//! and what happens to one a crash or an outage interrupts; the pool keeps
//! the workers' bookkeeping in one place, so the two owners cannot drift.

mod idle;

use super::Event;
use super::ctx::Ctx;
use super::ids::{GroupId, WorkerId};
use crate::engine::{RngStream, SimDuration, SimTime};
use crate::model::autoscale::{Census, Change, Phase, Scaler, Slot, changes, members};
use crate::model::distribution::Distribution;
use crate::model::group::GroupSpec;
use crate::stats::TimeAverage;
use idle::IdleList;

/// One unit of concurrency, running a job of type `J` or idle.
#[derive(Clone, Copy, Debug)]
pub(super) struct Worker<J> {
    current: Option<J>,
    phase: Phase,
    /// Scaled down while busy: leaves when its job ends.
    leaving: bool,
    /// Bumped by every crash or outage, so the events of an interrupted
    /// job are stale.
    epoch: u32,
    /// Jobs started, to match ack-timeout events to their delivery.
    started: u32,
    /// Bumped each time the slot joins, so crash, restart and start-up
    /// events of an earlier life are stale.
    life: u32,
}

impl<J> Worker<J> {
    fn new(phase: Phase) -> Worker<J> {
        Worker {
            current: None,
            phase,
            leaving: false,
            epoch: 0,
            started: 0,
            life: 0,
        }
    }

    /// Taking jobs (or finishing its last one before it leaves).
    #[inline]
    pub(super) fn is_up(&self) -> bool {
        self.phase == Phase::Up
    }

    /// Up and not on its way out: partitions may be assigned to it.
    #[inline]
    pub(super) fn is_staying(&self) -> bool {
        self.is_up() && !self.leaving
    }

    /// What the autoscaler sees of it.
    fn slot(&self) -> Slot {
        Slot {
            phase: self.phase,
            leaving: self.leaving,
            busy: self.current.is_some(),
        }
    }
}

/// How busy, up and provisioned workers were over the window.
#[derive(Clone, Debug)]
pub(super) struct Levels {
    /// Workers running a job.
    pub busy: TimeAverage,
    /// Workers up (taking jobs or finishing before they leave).
    pub up: TimeAverage,
    /// Workers paid for: starting, up, crashed or leaving.
    pub provisioned: TimeAverage,
}

/// A job that ended on its worker.
pub(super) struct Finished<J> {
    pub job: J,
    /// The worker was scaled down while busy and has now left.
    pub left: bool,
}

/// A crash that struck a worker.
pub(super) struct Crashed<J> {
    /// The job it interrupted.
    pub interrupted: Option<J>,
    /// The worker was leaving (scaled down): it does not restart.
    pub leaving: bool,
}

/// What a scaling decision did.
pub(super) struct Scaled {
    /// Slots that start a worker, with their new life.
    pub starting: Vec<(usize, u32)>,
    /// Some worker that was up left at once.
    pub left_up: bool,
}

/// The workers of one group or called service.
pub(super) struct Workers<J> {
    /// The owner's index: the events this pool schedules name it.
    owner: GroupId,
    slots: Vec<Worker<J>>,
    /// Up workers without a job (the last is handed the next job).
    idle: IdleList,
    /// Workers running a job.
    busy: u32,
    /// Outages in progress.
    down: u32,
    census: Census,
    scaler: Option<Scaler>,
    levels: Levels,
}

impl<J> Workers<J> {
    /// The workers of `spec` at time 0, owned by group `owner`: the first
    /// `spec.workers` slots up, the rest free for the autoscaler.
    pub(super) fn new(spec: &GroupSpec, owner: GroupId) -> Workers<J> {
        let up = spec.workers;
        Workers {
            owner,
            slots: (0..spec.worker_slots())
                .map(|w| Worker::new(if w < up { Phase::Up } else { Phase::Parked }))
                .collect(),
            idle: IdleList::new(spec.worker_slots() as usize, (0..up).rev().collect()),
            busy: 0,
            down: 0,
            census: Census::all_up(up),
            scaler: spec
                .autoscale
                .clone()
                .map(|a| Scaler::new(a, SimTime::ZERO, up, 0)),
            levels: Levels {
                busy: TimeAverage::default(),
                up: TimeAverage::new(0, u64::from(up)),
                provisioned: TimeAverage::new(0, u64::from(up)),
            },
        }
    }

    /// Worker slots (up or not).
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Every slot, in order.
    #[inline]
    pub(super) fn slots(&self) -> &[Worker<J>] {
        &self.slots
    }

    /// The jobs running.
    pub(super) fn jobs(&self) -> impl Iterator<Item = &J> {
        self.slots.iter().filter_map(|w| w.current.as_ref())
    }

    /// The jobs running, mutable.
    pub(super) fn jobs_mut(&mut self) -> impl Iterator<Item = &mut J> {
        self.slots.iter_mut().filter_map(|w| w.current.as_mut())
    }

    /// The idle workers; the last is handed the next job.
    #[inline]
    pub(super) fn idle(&self) -> &[u32] {
        self.idle.as_slice()
    }

    /// Whether worker `w` is idle (in the idle list).
    #[inline]
    pub(super) fn is_idle(&self, w: usize) -> bool {
        self.idle.contains(w)
    }

    /// Some worker is idle.
    #[inline]
    pub(super) fn has_idle(&self) -> bool {
        !self.idle.as_slice().is_empty()
    }

    /// Takes the next idle worker.
    #[inline]
    pub(super) fn pop_idle(&mut self) -> Option<u32> {
        self.idle.pop()
    }

    /// Takes the idle worker at position `i` of [`Workers::idle`].
    #[inline]
    pub(super) fn take_idle_at(&mut self, i: usize) -> u32 {
        self.idle.swap_remove(i)
    }

    /// Takes worker `w` out of the idle list, as [`Workers::take_idle_at`]
    /// at its position would; false if it is not idle.
    #[inline]
    pub(super) fn take_idle(&mut self, w: usize) -> bool {
        self.idle.take(w)
    }

    /// Workers running a job.
    #[inline]
    pub(super) fn busy(&self) -> u32 {
        self.busy
    }

    /// An outage is in progress: no job starts.
    #[inline]
    pub(super) fn is_down(&self) -> bool {
        self.down > 0
    }

    /// Workers up now (none during an outage).
    pub(super) fn up_now(&self) -> u64 {
        if self.is_down() { 0 } else { self.census.up }
    }

    /// The running bookkeeping against a recount from the slots: the
    /// census, the busy count, and an idle list of distinct workers that
    /// are up without a job. The error says what disagrees.
    pub(super) fn check(&self) -> Result<(), String> {
        let recount = self.slots.iter().fold(Census::default(), |mut c, w| {
            c.up += u64::from(w.is_up());
            c.paid += u64::from(w.phase != Phase::Parked);
            c
        });
        if recount != self.census {
            return Err(format!(
                "worker census {:?}, recounted {recount:?}",
                self.census
            ));
        }
        let running = self.jobs().count();
        if running != self.busy as usize {
            return Err(format!(
                "{} busy workers, {running} jobs running",
                self.busy
            ));
        }
        self.idle.check()?;
        let mut seen = vec![false; self.slots.len()];
        for &w in self.idle.as_slice() {
            let worker = &self.slots[w as usize];
            if std::mem::replace(&mut seen[w as usize], true)
                || !worker.is_up()
                || worker.current.is_some()
            {
                return Err(format!("worker {w} in the idle list is not an idle worker"));
            }
        }
        Ok(())
    }

    /// The time averages of the window.
    pub(super) fn levels(&self) -> &Levels {
        &self.levels
    }

    /// Decisions that added workers, and that removed them.
    pub(super) fn scalings(&self) -> (u64, u64) {
        self.scaler
            .as_ref()
            .map_or((0, 0), |s| (s.scale_ups, s.scale_downs))
    }

    /// Worker `w` (idle, and no longer in the idle list) starts `job` at
    /// `now`: the epoch and the number of its delivery, for the events that
    /// end it.
    #[inline]
    pub(super) fn start(&mut self, now: SimTime, w: usize, job: J) -> (u32, u32) {
        let worker = &mut self.slots[w];
        worker.current = Some(job);
        worker.started = worker.started.wrapping_add(1);
        let started = (worker.epoch, worker.started);
        self.busy += 1;
        self.note_busy(now);
        started
    }

    /// The job of worker `w` if it is still delivery `delivery` of epoch
    /// `epoch` (an ack-timeout event is not stale).
    pub(super) fn job_mut(&mut self, w: usize, epoch: u32, delivery: u32) -> Option<&mut J> {
        let worker = &mut self.slots[w];
        if worker.epoch != epoch || worker.started != delivery {
            return None;
        }
        worker.current.as_mut()
    }

    /// The job of worker `w`, unless it crashed since `epoch`, to change.
    pub(super) fn job_mut_of(&mut self, w: usize, epoch: u32) -> Option<&mut J> {
        let worker = &mut self.slots[w];
        if worker.epoch != epoch {
            return None;
        }
        worker.current.as_mut()
    }

    /// The job of worker `w`, unless it crashed since `epoch`.
    #[inline]
    pub(super) fn job(&self, w: usize, epoch: u32) -> Option<&J> {
        let worker = &self.slots[w];
        if worker.epoch != epoch {
            return None;
        }
        worker.current.as_ref()
    }

    /// Worker `w` finished its job at `now`, unless it crashed since
    /// (`epoch` moved on). It becomes idle, or leaves if it was scaled down.
    #[inline(always)]
    pub(super) fn finish(&mut self, now: SimTime, w: usize, epoch: u32) -> Option<Finished<J>> {
        let worker = &mut self.slots[w];
        if worker.epoch != epoch {
            return None;
        }
        let job = worker.current.take()?;
        self.busy -= 1;
        let left = std::mem::take(&mut worker.leaving);
        if left {
            self.census.shift(&mut worker.phase, Phase::Parked);
        } else {
            self.idle.push(w as u32);
        }
        self.note_busy(now);
        if left {
            self.note_workers(now);
        }
        Some(Finished { job, left })
    }

    /// Worker `w`, busy and not leaving, ends its job and starts `job` at
    /// once, without passing through the idle list, outside an outage and
    /// when no other worker is idle (the caller's to know): what
    /// [`Workers::finish`], [`Workers::pop_idle`] (which hands the next
    /// job to the worker that finished last) and [`Workers::start`] at one
    /// instant give. The busy count does not move, so neither does its
    /// average (a level set twice at one instant, back to where it was,
    /// adds nothing to its area and cannot raise its maximum). The epoch
    /// and the number of the new delivery.
    #[inline]
    pub(super) fn go_on(&mut self, w: usize, job: J) -> (u32, u32) {
        let worker = &mut self.slots[w];
        debug_assert!(worker.current.is_some() && !worker.leaving);
        worker.current = Some(job);
        worker.started = worker.started.wrapping_add(1);
        (worker.epoch, worker.started)
    }

    /// Worker `w` crashes, unless it left or crashed since the crash was
    /// scheduled (`life` moved on, or it is not up).
    pub(super) fn crash(&mut self, now: SimTime, w: usize, life: u32) -> Option<Crashed<J>> {
        let worker = &mut self.slots[w];
        if worker.life != life || !worker.is_up() {
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
        self.idle.retain(|i| i as usize != w);
        self.note_workers(now);
        if interrupted.is_some() {
            self.busy -= 1;
            self.note_busy(now);
        }
        Some(Crashed {
            interrupted,
            leaving,
        })
    }

    /// Worker `w` is up after a restart or its start-up, unless it is no
    /// longer in phase `from` of life `life` (it was scaled away meanwhile).
    pub(super) fn come_up(&mut self, now: SimTime, w: usize, life: u32, from: Phase) -> bool {
        let worker = &mut self.slots[w];
        if worker.life != life || worker.phase != from {
            return false;
        }
        self.census.shift(&mut worker.phase, Phase::Up);
        self.idle.push(w as u32);
        self.note_workers(now);
        true
    }

    /// An outage starts: no job starts until it ends.
    pub(super) fn go_down(&mut self) {
        self.down += 1;
    }

    /// An outage ends.
    pub(super) fn come_back(&mut self) {
        self.down -= 1;
    }

    /// Interrupts, at `now`, the first busy worker from slot `from` on (an
    /// outage stops every job): its slot, its job, and whether it left (it
    /// was scaled down while busy). A worker that did not leave stays up
    /// and idle.
    pub(super) fn interrupt_from(
        &mut self,
        now: SimTime,
        from: usize,
    ) -> Option<(usize, Finished<J>)> {
        let w = (from..self.slots.len()).find(|&w| self.slots[w].current.is_some())?;
        let worker = &mut self.slots[w];
        let job = worker.current.take()?;
        worker.epoch = worker.epoch.wrapping_add(1);
        let left = std::mem::take(&mut worker.leaving);
        if left {
            self.census.shift(&mut worker.phase, Phase::Parked);
        } else {
            self.idle.push(w as u32);
        }
        self.busy -= 1;
        self.note_busy(now);
        if left {
            self.note_workers(now);
        }
        Some((w, Finished { job, left }))
    }

    /// Schedules worker `w`'s next crash (or, with `restart`, its return
    /// from one), if workers crash: `crash` holds the distributions of the
    /// time between failures and of the time to repair.
    pub(super) fn schedule_crash(
        &self,
        ctx: &mut Ctx,
        w: usize,
        crash: Option<&(Distribution, Distribution)>,
        rng: &mut RngStream,
        restart: bool,
    ) {
        let Some((mtbf, mttr)) = crash else {
            return;
        };
        let d = if restart { mttr } else { mtbf };
        let after = SimDuration::from_secs_f64(d.sample(rng));
        let (group, worker, life) = (self.owner, WorkerId::of(w), self.slots[w].life);
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

    /// Workers the autoscaler counts: starting, up or crashed, not leaving.
    pub(super) fn members(&self) -> u32 {
        members(self.slots.iter().map(Worker::slot))
    }

    /// Schedules the autoscaler's first evaluation, if the pool scales.
    pub(super) fn schedule_first_evaluation(&self, ctx: &mut Ctx) {
        if let Some(scaler) = &self.scaler {
            let first = scaler.next_evaluation(SimTime::ZERO);
            ctx.schedule(first, Event::Evaluate { group: self.owner });
        }
    }

    /// The autoscaler evaluates its metric against `backlog` jobs: it
    /// schedules its next evaluation, and either a decision after the
    /// reaction delay or, without one, returns the target to scale to now.
    pub(super) fn evaluate(&mut self, ctx: &mut Ctx, backlog: u64) -> Option<u32> {
        let now = ctx.now;
        let members = self.members();
        let group = self.owner;
        let scaler = self.scaler.as_mut()?;
        let decision = scaler.evaluate(now, members, backlog);
        let (next, delay) = (scaler.next_evaluation(now), scaler.reaction_delay());
        ctx.schedule(next, Event::Evaluate { group });
        let target = decision?;
        if delay == SimDuration::ZERO {
            return Some(target);
        }
        scaler.defer(target, members);
        ctx.schedule(now + delay, Event::Scale { group, target });
        None
    }

    /// A decision made a reaction delay ago is due: whether it still
    /// holds. It does not if the pool already went further in its
    /// direction (decisions made while an earlier one was pending saw the
    /// same old count), or if it is a scale-down a later evaluation
    /// overruled.
    pub(super) fn still_holds(&mut self, target: u32) -> bool {
        let members = self.members();
        let Some(scaler) = self.scaler.as_mut() else {
            return false;
        };
        let (up, holds) = scaler.due();
        holds && ((up && target > members) || (!up && target < members))
    }

    /// Makes the pool have `target` members: leaving workers stay, free
    /// slots start (returned, for the owner to bring up after the start-up
    /// delay), idle or starting workers leave at once and busy ones when
    /// their job ends.
    pub(super) fn scale_to(&mut self, now: SimTime, target: u32) -> Scaled {
        let slots: Vec<Slot> = self.slots.iter().map(Worker::slot).collect();
        let members = members(slots.iter().copied());
        if let Some(scaler) = self.scaler.as_mut() {
            scaler.count(members, target);
        }
        let mut scaled = Scaled {
            starting: Vec::new(),
            left_up: false,
        };
        for change in changes(&slots, target) {
            match change {
                Change::Stay(w) => self.slots[w].leaving = false,
                Change::Leave(w) => self.slots[w].leaving = true,
                Change::Park(w) => {
                    let worker = &mut self.slots[w];
                    scaled.left_up |= worker.is_up();
                    self.census.shift(&mut worker.phase, Phase::Parked);
                }
                Change::Start(w) => {
                    let worker = &mut self.slots[w];
                    worker.life = worker.life.wrapping_add(1);
                    self.census.shift(&mut worker.phase, Phase::Starting);
                    scaled.starting.push((w, worker.life));
                }
            }
        }
        if scaled.left_up {
            // One pass, however many left.
            let slots = &self.slots;
            self.idle.retain(|i| slots[i as usize].is_up());
        }
        self.note_workers(now);
        scaled
    }

    /// How long a worker the autoscaler asked for takes to start.
    pub(super) fn startup_delay(&self) -> SimDuration {
        self.scaler
            .as_ref()
            .map_or(SimDuration::ZERO, Scaler::startup_delay)
    }

    /// Records the number of busy workers at `now` (the pool does so
    /// whenever it changes).
    #[inline]
    pub(super) fn note_busy(&mut self, now: SimTime) {
        let busy = u64::from(self.busy);
        self.levels.busy.set(now.0, busy);
        if let Some(scaler) = self.scaler.as_mut() {
            scaler.note_busy(now, busy);
        }
    }

    /// Records how many workers are up and provisioned at `now` (the pool
    /// does so whenever they change).
    fn note_workers(&mut self, now: SimTime) {
        let Census { up, paid } = self.census;
        self.levels.up.set(now.0, up);
        self.levels.provisioned.set(now.0, paid);
    }

    /// The averages restart at the end of warm-up.
    pub(super) fn restart_window(&mut self, now: SimTime) {
        self.levels.busy.restart(now.0);
        self.levels.up.restart(now.0);
        self.levels.provisioned.restart(now.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::group::GroupSpec;

    fn pool(workers: u32) -> Workers<u64> {
        let spec = GroupSpec {
            name: "g".to_owned(),
            topic: 0,
            publish: Vec::new(),
            calls: Vec::new(),
            workers,
            service: crate::model::distribution::Distribution::Constant(1.0),
            faults: crate::model::group::GroupFaults::default(),
            partitioned: false,
            key_ordered: false,
            rebalance_pause: SimDuration::ZERO,
            poll_interval: SimDuration::ZERO,
            max_rate_per_s: None,
            partition_max_rate_per_s: None,
            key_max_rate_per_s: None,
            autoscale: None,
            accept_capacity: u64::MAX,
            discipline: crate::model::resilience::Discipline::Fifo,
            accept_max_priority: None,
            delivery_overhead: None,
            prefetch: 1,
            fetch_overhead: None,
            cancel: false,
        };
        Workers::new(&spec, GroupId(0))
    }

    #[test]
    fn a_finished_job_frees_its_worker_unless_it_crashed_since() {
        let mut p = pool(2);
        let w = p.pop_idle().expect("idle") as usize;
        let (epoch, _) = p.start(SimTime::ZERO, w, 7);
        assert_eq!(p.busy(), 1);
        let crashed = p.crash(SimTime::ZERO, w, 0).expect("up");
        assert_eq!(crashed.interrupted, Some(7));
        assert_eq!(p.busy(), 0);
        assert!(
            p.finish(SimTime::ZERO, w, epoch).is_none(),
            "a stale end is ignored"
        );
        assert_eq!(p.check(), Ok(()));
        assert_eq!(p.up_now(), 1);
        assert!(p.come_up(SimTime::ZERO, w, 0, Phase::Crashed));
        assert_eq!((p.up_now(), p.check()), (2, Ok(())));
        assert_eq!(p.idle().len(), 2);
    }

    #[test]
    fn an_outage_interrupts_every_busy_worker_in_slot_order() {
        let mut p = pool(3);
        for job in [10, 11] {
            let w = p.pop_idle().expect("idle") as usize;
            p.start(SimTime::ZERO, w, job);
        }
        p.go_down();
        let mut seen = Vec::new();
        let mut from = 0;
        while let Some((w, f)) = p.interrupt_from(SimTime::ZERO, from) {
            seen.push((w, f.job));
            from = w + 1;
        }
        assert_eq!(seen, vec![(0, 10), (1, 11)]);
        assert_eq!((p.busy(), p.up_now(), p.idle().len()), (0, 0, 3));
        assert_eq!(p.check(), Ok(()));
        p.come_back();
        assert_eq!(p.up_now(), 3);
    }
}
