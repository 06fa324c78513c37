//! A service called directly (sync mode): a component that owns its queue
//! of attempts, its workers with their failures, crashes, outages and
//! autoscaler, and its counts. Each attempt holds a caller until it ends;
//! ending it is the simulation's job, which tells the caller (see
//! [`super::callers`]).

use super::callers::{Attempt, CallerCounts};
use super::codel::Codel;
use super::ctx::Ctx;
use super::ids::{GroupId, WorkerId};
use super::lanes::Lanes;
use super::outcome::{
    ClassOutcome, DeadLetterSummary, Dropped, Failures, GroupOutcome, LittlesLaw, SeriesRow,
    max_age_s, share,
};
use super::state::ClassWindow;
use super::workers::{Crashed, Workers};
use super::{Event, RunError};
use crate::engine::{RngStream, SimDuration, SimTime, StreamId, hash_uniform};
use crate::model::autoscale::Phase;
use crate::model::group::GroupSpec;
use crate::model::resilience::Discipline;
use crate::model::system::System;
use crate::stats::{LatencyHistogram, TimeAverage};
use rand::{Rng, RngExt};
use std::collections::{HashMap, HashSet};

/// The called service's counts.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CalledCounts {
    pub deliveries: u64,
    pub processed: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub crashed: u64,
    pub wasted: u64,
    /// Waiting attempts dropped unrun: their caller gave up on them (or
    /// their deadline passed, or they lost to a hedge).
    pub cancelled: u64,
    /// Waiting attempts CoDel shed (an error for their caller).
    pub shed: u64,
}

/// An attempt, by its call link, request id and number.
type AttemptKey = (u16, u64, u32);

fn key(a: &Attempt) -> AttemptKey {
    (a.link, a.id, a.number)
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

/// The service the callers call.
pub(super) struct Called<'s> {
    pub spec: &'s GroupSpec,
    /// Its index among the groups (the events name it).
    pub index: GroupId,
    queue: Lanes,
    /// With cancellation (or hedges calling): the attempts in `queue`
    /// still live (with when they entered), and those cancelled (left in
    /// `queue`, dropped when a worker reaches them).
    tracks: bool,
    live: HashMap<AttemptKey, SimTime>,
    cancelled: HashSet<AttemptKey>,
    /// The queue was last empty then (adaptive LIFO).
    last_empty: SimTime,
    /// CoDel's controller, with that discipline.
    codel: Option<Codel>,
    /// Attempts dropped unrun since the simulation last looked, for it to
    /// end: `true` if their caller hears an error (CoDel), `false` if it
    /// has stopped waiting (a deadline).
    pub dropped: Vec<(Attempt, bool)>,
    pub workers: Workers<Attempt>,
    service_rng: RngStream,
    fault_rng: RngStream,
    poison_salt: u64,
    pub counts: CalledCounts,
    /// The counts at the previous time-series row.
    last_row: (CallerCounts, CalledCounts),
    /// End-to-end latencies since the previous time-series row.
    row_e2e: LatencyHistogram,
    end_to_end: LatencyHistogram,
    queue_wait: LatencyHistogram,
    /// Per priority, with priorities (empty otherwise).
    classes: Vec<ClassWindow>,
    depth: TimeAverage,
    max_depth: u64,
    processed_in_window: u64,
    /// Attempts that left in the window, and their total time here.
    left: u64,
    sojourn_ns: u128,
    /// Longest an attempt waited (queued) before it started or was
    /// dropped unrun, over the window.
    max_age_ns: u64,
    /// When an attempt last ended or was dropped: when the service
    /// emptied, if it holds nothing now.
    pub last_left: SimTime,
}

impl<'s> Called<'s> {
    /// Service `spec` of `system`, called directly as `id`, at the start
    /// of replication `replication`. Its random streams are named after
    /// the group, as a queued run's group's are: the same service times.
    pub(super) fn new(
        system: &'s System,
        spec: &'s GroupSpec,
        id: GroupId,
        replication: u64,
    ) -> Called<'s> {
        let rng = |what: &str| {
            StreamId::named(&format!("group/{}/{what}", spec.name)).rng(system.seed, replication)
        };
        // A hedging caller cancels its losers: the service hears of it.
        let hedged = system.call().is_some_and(|c| c.hedge.is_some())
            || (system.call_links()).any(|(_, l)| {
                l.call.hedge.is_some() && system.services[l.service].name == spec.name
            });
        Called {
            spec,
            index: id,
            queue: Lanes::new(spec.accept_max_priority),
            tracks: spec.cancel || hedged,
            live: HashMap::new(),
            cancelled: HashSet::new(),
            last_empty: SimTime::ZERO,
            codel: match spec.discipline {
                Discipline::Codel { target, interval } => Some(Codel::new(target, interval)),
                _ => None,
            },
            dropped: Vec::new(),
            workers: Workers::new(spec, id),
            service_rng: rng("service"),
            fault_rng: rng("faults"),
            poison_salt: rng("poison").next_u64(),
            counts: CalledCounts::default(),
            last_row: (CallerCounts::default(), CalledCounts::default()),
            row_e2e: LatencyHistogram::new(),
            end_to_end: LatencyHistogram::new(),
            queue_wait: LatencyHistogram::new(),
            classes: vec![
                ClassWindow::default();
                spec.accept_max_priority.map_or(0, |m| usize::from(m) + 1)
            ],
            depth: TimeAverage::default(),
            max_depth: 0,
            processed_in_window: 0,
            left: 0,
            sojourn_ns: 0,
            max_age_ns: 0,
            last_left: SimTime::ZERO,
        }
    }

    /// Whether an attempt arriving now is refused at once: the service is
    /// down, or every worker is busy and its accept queue is full.
    pub(super) fn refuses(&self) -> bool {
        self.workers.is_down()
            || (!self.workers.has_idle() && self.waiting() >= self.spec.accept_capacity)
    }

    /// Attempts waiting for a worker (cancelled ones left out).
    fn waiting(&self) -> u64 {
        (self.queue.len() - self.cancelled.len()) as u64
    }

    /// The caller of a waiting attempt gave up on it: with cancellation
    /// (or `always`, a hedge's loser) it will not run. `true` if it was
    /// waiting (not yet started).
    pub(super) fn cancel(
        &mut self,
        ctx: &Ctx,
        link: u16,
        id: u64,
        number: u32,
        always: bool,
    ) -> bool {
        let k = (link, id, number);
        if !(self.spec.cancel || always) {
            return false;
        }
        let Some(enqueued) = self.live.remove(&k) else {
            return false;
        };
        self.cancelled.insert(k);
        self.counts.cancelled += 1;
        // It stops waiting now: out of the depth, and its time here ends.
        self.count_left(ctx, enqueued);
        self.note_levels(ctx.now);
        true
    }

    /// An attempt that entered at `enqueued` leaves now, run (it ends) or
    /// unrun (cancelled, shed, or past its deadline): its time here counts
    /// toward Little's law's W, as its place here did toward L.
    fn count_left(&mut self, ctx: &Ctx, enqueued: SimTime) {
        if ctx.in_window && enqueued >= ctx.window_start {
            self.left += 1;
            self.sojourn_ns += u128::from(ctx.now.since(enqueued).as_nanos());
        }
    }

    /// The statistics of priority `p` (a priority above the highest
    /// counts as the highest, as its lane does), with priorities.
    fn class(&mut self, p: u8) -> Option<&mut ClassWindow> {
        let top = self.classes.len().checked_sub(1)?;
        self.classes.get_mut(usize::from(p).min(top))
    }

    /// Attempts dropped unrun since the last look, for the simulation to
    /// end.
    pub(super) fn take_dropped(&mut self) -> Vec<(Attempt, bool)> {
        std::mem::take(&mut self.dropped)
    }

    /// An attempt joins the queue, or goes straight to an idle worker.
    ///
    /// # Errors
    /// [`RunError::Runaway`] when the queue passes `max_queued`.
    pub(super) fn enqueue(
        &mut self,
        ctx: &mut Ctx,
        attempt: Attempt,
        max_queued: u64,
    ) -> Result<(), RunError> {
        if self.tracks {
            self.live.insert(key(&attempt), attempt.enqueued);
        }
        if self.queue.is_empty() {
            self.last_empty = ctx.now;
        }
        self.queue.push(attempt);
        self.dispatch(ctx);
        // What waits once the idle workers took theirs.
        let depth = self.waiting();
        self.max_depth = self.max_depth.max(depth);
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
    pub(super) fn dispatch(&mut self, ctx: &mut Ctx) {
        while !self.workers.is_down() && self.workers.has_idle() {
            let Some(mut attempt) = self.next_attempt(ctx) else {
                break;
            };
            let w = self.workers.pop_idle().expect("checked") as usize;
            let faults = &self.spec.faults;
            let sampled = self.spec.service.sample(&mut self.service_rng);
            let (mut service, failure_probability) = faults.degraded(ctx.now, sampled);
            let poison =
                attempt.poison || hash_uniform(self.poison_salt, attempt.id) < faults.poison_share;
            attempt.fails = poison
                || (failure_probability > 0.0
                    && self.fault_rng.random::<f64>() < failure_probability);
            if let Some(limit) = faults.processing_timeout
                && service > limit.as_secs_f64()
            {
                service = limit.as_secs_f64();
                attempt.fails = true;
                self.counts.timed_out += 1;
            }
            self.note_age(ctx, attempt.enqueued);
            if ctx.in_window && attempt.number == 1 {
                let waited = ctx.now.since(attempt.enqueued).as_nanos();
                self.queue_wait.record(waited);
                if let Some(class) = self.class(attempt.priority) {
                    class.queue_wait.record(waited);
                }
            }
            self.counts.deliveries += 1;
            attempt.started = ctx.now;
            let (epoch, _) = self.workers.start(ctx.now, w, attempt);
            let event = Event::Done {
                group: self.index,
                worker: WorkerId::of(w),
                epoch,
            };
            ctx.schedule(ctx.now + SimDuration::from_secs_f64(service), event);
        }
        self.note_levels(ctx.now);
    }

    /// The attempt a free worker takes at `now`, in the discipline's
    /// order: those cancelled are skipped, those CoDel sheds or whose
    /// deadline passed are dropped for the simulation to end.
    fn next_attempt(&mut self, ctx: &Ctx) -> Option<Attempt> {
        let dropped_before = self.dropped.len();
        let next = self.take_next(ctx.now);
        if self.dropped.len() > dropped_before {
            self.last_left = ctx.now;
            for i in dropped_before..self.dropped.len() {
                let enqueued = self.dropped[i].0.enqueued;
                self.note_age(ctx, enqueued);
                self.count_left(ctx, enqueued);
            }
        }
        next
    }

    /// [`Self::next_attempt`], without the bookkeeping of when the
    /// service last emptied.
    fn take_next(&mut self, now: SimTime) -> Option<Attempt> {
        loop {
            let attempt = match self.codel.as_mut() {
                Some(codel) => {
                    let (queue, tracks) = (&mut self.queue, self.tracks);
                    let (live, cancelled) = (&mut self.live, &mut self.cancelled);
                    let (dropped, shed) = (&mut self.dropped, &mut self.counts.shed);
                    let pop = || {
                        let a = take(queue, false, tracks, live, cancelled)?;
                        Some((a, a.enqueued))
                    };
                    codel.dequeue(now, pop, |a| {
                        *shed += 1;
                        dropped.push((a, true));
                    })
                }
                None => {
                    let lifo = match self.spec.discipline {
                        Discipline::Lifo => true,
                        Discipline::AdaptiveLifo { interval } => {
                            now.since(self.last_empty) > interval
                        }
                        _ => false,
                    };
                    let (live, cancelled) = (&mut self.live, &mut self.cancelled);
                    take(&mut self.queue, lifo, self.tracks, live, cancelled)
                }
            }?;
            if attempt.deadline.is_some_and(|d| now >= d) {
                // Its caller's deadline passed: it stops before it starts.
                self.counts.cancelled += 1;
                self.dropped.push((attempt, false));
                continue;
            }
            return Some(attempt);
        }
    }

    /// Records the queue's depth and the busy workers at `now`.
    pub(super) fn note_levels(&mut self, now: SimTime) {
        if self.waiting() == 0 {
            self.last_empty = now;
        }
        self.depth.set(now.0, self.waiting());
        self.workers.note_busy(now);
    }

    /// Worker `w` finished its attempt (unless it crashed since): the
    /// attempt to end.
    pub(super) fn on_done(&mut self, ctx: &mut Ctx, w: usize, epoch: u32) -> Option<Attempt> {
        // Scaled down while busy, it leaves now its attempt is over.
        Some(self.workers.finish(ctx.now, w, epoch)?.job)
    }

    /// Counts an attempt that ends: processed, or failed (its work not
    /// done); `caller` is what its caller knew.
    pub(super) fn end(
        &mut self,
        ctx: &Ctx,
        attempt: &Attempt,
        processed: bool,
        caller: Option<Caller>,
    ) {
        self.last_left = ctx.now;
        self.count_left(ctx, attempt.enqueued);
        let waiting = caller.is_some_and(|c| c.waiting);
        if processed {
            self.counts.processed += 1;
            if let Some(c) = caller.filter(|c| c.first) {
                self.row_e2e.record(ctx.now.since(c.created).as_nanos());
            }
            if let Some(c) = caller.filter(|c| c.first && ctx.in_window) {
                let took = ctx.now.since(c.created).as_nanos();
                self.end_to_end.record(took);
                self.processed_in_window += 1;
                if let Some(class) = self.class(attempt.priority) {
                    class.processed += 1;
                    class.end_to_end.record(took);
                }
            }
            if !waiting {
                self.counts.wasted += 1;
            }
        } else {
            self.counts.failed += 1;
        }
    }

    /// Schedules the outages and each worker's first crash.
    pub(super) fn schedule_faults(&mut self, ctx: &mut Ctx) {
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
            if self.workers.slots()[w].is_up() {
                self.schedule_crash(ctx, w, false);
            }
        }
    }

    /// The next crash (`restart = false`) or restart of worker `w`.
    fn schedule_crash(&mut self, ctx: &mut Ctx, w: usize, restart: bool) {
        let crash = self.spec.faults.crash.as_ref();
        (self.workers).schedule_crash(ctx, w, crash, &mut self.fault_rng, restart);
    }

    /// Worker `w` crashes, unless it left the service since; the attempt it
    /// interrupted is for the simulation to end, then [`Called::after_crash`].
    pub(super) fn crash(&mut self, ctx: &mut Ctx, w: usize, life: u32) -> Option<Crashed<Attempt>> {
        let crashed = self.workers.crash(ctx.now, w, life)?;
        if crashed.interrupted.is_some() {
            self.counts.crashed += 1;
        }
        Some(crashed)
    }

    /// After a crash of worker `w` (and the end of what it interrupted):
    /// its restart, unless it was leaving.
    pub(super) fn after_crash(&mut self, ctx: &mut Ctx, w: usize, leaving: bool) {
        if !leaving {
            self.schedule_crash(ctx, w, true);
        }
        self.note_levels(ctx.now);
    }

    /// The service goes down (attempts in progress fail, returned for the
    /// simulation to end; new ones are refused) or comes back.
    pub(super) fn on_outage(&mut self, ctx: &mut Ctx, start: bool) -> Vec<Attempt> {
        if !start {
            self.workers.come_back();
            self.dispatch(ctx);
            return Vec::new();
        }
        self.workers.go_down();
        let mut interrupted = Vec::new();
        let mut from = 0;
        while let Some((w, stopped)) = self.workers.interrupt_from(ctx.now, from) {
            from = w + 1;
            self.counts.crashed += 1;
            interrupted.push(stopped.job);
        }
        interrupted
    }

    /// After an outage started (and the attempts it interrupted ended).
    pub(super) fn after_outage(&mut self, now: SimTime) {
        self.note_levels(now);
    }

    /// The autoscaler evaluates its metric against the attempts queued
    /// and running.
    pub(super) fn on_evaluate(&mut self, ctx: &mut Ctx) {
        let backlog = self.waiting() + u64::from(self.workers.busy());
        if let Some(target) = self.workers.evaluate(ctx, backlog) {
            self.scale_to(ctx, target);
        }
    }

    /// A decision made a reaction delay ago takes effect, unless it no
    /// longer holds.
    pub(super) fn apply_scaling(&mut self, ctx: &mut Ctx, target: u32) {
        if self.workers.still_holds(target) {
            self.scale_to(ctx, target);
        }
    }

    /// Brings the service to `target` members; workers that start come up
    /// after the start-up delay.
    fn scale_to(&mut self, ctx: &mut Ctx, target: u32) {
        let scaled = self.workers.scale_to(ctx.now, target);
        let startup = self.workers.startup_delay();
        for (w, life) in scaled.starting {
            if startup == SimDuration::ZERO {
                // As in a group: a worker without a start-up delay is up at once.
                self.come_up(ctx, w, life, Phase::Starting);
            } else {
                let event = Event::Started {
                    group: self.index,
                    worker: WorkerId::of(w),
                    life,
                };
                ctx.schedule(ctx.now + startup, event);
            }
        }
    }

    /// Worker `w` is up after a restart or its start-up, unless it is no
    /// longer in phase `from` of life `life` (it was scaled away meanwhile).
    pub(super) fn come_up(&mut self, ctx: &mut Ctx, w: usize, life: u32, from: Phase) {
        if self.workers.come_up(ctx.now, w, life, from) {
            self.schedule_crash(ctx, w, false);
            self.dispatch(ctx);
        }
    }

    /// Statistics restart at the end of warm-up.
    pub(super) fn restart_window(&mut self, now: SimTime) {
        let now = now.0;
        self.end_to_end.clear();
        self.queue_wait.clear();
        for class in &mut self.classes {
            *class = ClassWindow::default();
        }
        self.depth.restart(now);
        self.workers.restart_window(SimTime(now));
        self.processed_in_window = 0;
        self.left = 0;
        self.sojourn_ns = 0;
        self.max_age_ns = 0;
    }

    /// When the longest-waiting attempt still waiting (not cancelled)
    /// arrived.
    fn oldest_waiting(&self) -> Option<SimTime> {
        self.queue
            .oldest_where(|a| !self.cancelled.contains(&key(a)))
    }

    /// An attempt queued at `enqueued` stops waiting now: the longest
    /// wait so far.
    fn note_age(&mut self, ctx: &Ctx, enqueued: SimTime) {
        if ctx.in_window {
            self.max_age_ns = self.max_age_ns.max(ctx.now.since(enqueued).as_nanos());
        }
    }

    /// The time-series row now: the state now and the `secs` seconds since
    /// the previous row (rates 0 in the `first` row).
    pub(super) fn row(
        &mut self,
        now: SimTime,
        callers: CallerCounts,
        first: bool,
        secs: f64,
    ) -> SeriesRow {
        let (k, c) = (callers, self.counts);
        let (lk, lc) = std::mem::replace(&mut self.last_row, (k, c));
        let per_s = |n: u64| if first { 0.0 } else { n as f64 / secs };
        let up = self.workers.up_now();
        SeriesRow {
            time_s: now.as_secs_f64(),
            group: self.index.0,
            depth: self.waiting(),
            depth_bytes: 0,
            disk_depth: 0,
            oldest_age_s: (self.queue.oldest()).map_or(0.0, |at| now.since(at).as_secs_f64()),
            e2e_p99_s: self.row_e2e.take_quantile_s(0.99),
            in_flight: u64::from(self.workers.busy()),
            published_per_s: per_s(k.attempts - lk.attempts),
            accepted_per_s: per_s(k.accepted - lk.accepted),
            completed_per_s: per_s(c.processed - lc.processed),
            dropped: (k.refused + c.failed) - (lk.refused + lc.failed),
            blocked: 0,
            delayed: 0,
            dead_lettered: 0,
            redelivered_per_s: per_s(k.retries - lk.retries),
            duplicate_side_effects: 0,
            wasted: c.wasted,
            workers_up: up,
            workers: self.workers.levels().provisioned.level(),
        }
    }

    /// The outcome, in the queued run's shape: attempts are the deliveries,
    /// refusals are "rejected", failed attempts "lost".
    pub(super) fn outcome(&self, now: u64, window_s: f64, k: CallerCounts) -> GroupOutcome {
        let c = self.counts;
        let queued = self.waiting();
        let in_flight = u64::from(self.workers.busy());
        let levels = self.workers.levels();
        let mean_depth = self.depth.mean(now);
        let mean_busy = levels.busy.mean(now);
        let (scale_ups, scale_downs) = self.workers.scalings();
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
                expired: c.cancelled,
                evicted: c.shed,
                ..Dropped::default()
            },
            dead_lettered: 0,
            queued,
            delayed: 0,
            in_flight,
            redeliveries: k.retries,
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
            max_age_s: max_age_s(self.max_age_ns, self.oldest_waiting(), now),
            drain_s: None,
            mean_depth,
            utilisation: share(mean_busy, levels.up.mean(now)),
            workers_mean: levels.provisioned.mean(now),
            workers_max: levels.provisioned.max(),
            scale_ups,
            scale_downs,
            throughput_per_s: throughput,
            queue_wait: self.queue_wait.summary(),
            end_to_end: self.end_to_end.summary(),
            littles_law: LittlesLaw::measure(
                mean_depth + mean_busy,
                self.left,
                self.sojourn_ns,
                window_s,
            ),
            classes: (self.classes.iter().enumerate())
                .map(|(p, class)| ClassOutcome {
                    priority: p as u32,
                    processed: class.processed,
                    queue_wait: class.queue_wait.summary(),
                    end_to_end: class.end_to_end.summary(),
                })
                .collect(),
        }
    }
}

/// The next live attempt from `queue`'s back (`lifo`) or front; those
/// cancelled are dropped on the way (with `tracks`).
fn take(
    queue: &mut Lanes,
    lifo: bool,
    tracks: bool,
    live: &mut HashMap<AttemptKey, SimTime>,
    cancelled: &mut HashSet<AttemptKey>,
) -> Option<Attempt> {
    loop {
        let attempt = queue.pop(lifo)?;
        if tracks {
            let k = key(&attempt);
            if cancelled.remove(&k) {
                continue; // Its caller gave up: dropped unrun.
            }
            live.remove(&k);
        }
        return Some(attempt);
    }
}
