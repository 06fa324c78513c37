//! One replication of a system: the closed set of events and the loop
//! that handles them in (time, sequence) order. `Simulation` is a router:
//! it pops an event and hands it to the component the event names — a
//! `Producer`, the `Topic`, a `Group` with
//! its `Workers`, or, for a direct call, the
//! `Callers` and the `Called` service. Flows that
//! cross components (a publish reaching the groups, an attempt's answer
//! reaching its caller) are in `publish`, `producer_faults` and `call`;
//! sampling, warm-up and the outcome exist once, for every kind of link.

mod alerts;
mod breaker;
mod call;
mod called;
mod callers;
mod calling;
mod codel;
mod ctx;
pub(crate) mod fields;
mod group;
mod held;
mod ids;
mod lanes;
mod lean;
mod links;
mod log;
mod onward;
mod outcome;
mod paths;
mod producer;
mod producer_faults;
mod publish;
mod sample;
mod state;
mod topic;
mod workers;

pub use alerts::{AlertOutcome, FaultDetection};
pub use group::Tier;
pub use log::{LogEntry, LogKind, TOPIC};
pub use outcome::{
    CallOutcome, CallRow, DeadLetterSample, DeadLetterSummary, Diagnostics, Dropped, Failures,
    GroupOutcome, LinkOutcome, LittlesLaw, PartitionOutcome, PartitionRow, PathOutcome, RunOutcome,
    Sampling, SeriesRow, TopicOutcome,
};
pub use state::FailKind;

use crate::engine::{SimDuration, SimTime, StreamId};
use crate::model::key::KeyChooser;
use crate::model::series::{MAX_PARTITION_ROWS, MAX_SERIES_ROWS, SeriesLog};
use crate::model::system::{Link, System};
use crate::model::watchdog::{EventKind, Watchdog};
use called::Called;
use callers::Callers;
use calling::CallLinks;
use ctx::Ctx;
use group::Group;
use ids::{GroupId, ProducerId, WorkerId};
use lean::Lean;
use links::Links;
use paths::Paths;
use producer::Producer;
use topic::Topic;

/// Why a run stopped without a result.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RunError {
    /// Queued messages passed `limits.max_queued`.
    #[error(
        "topic `{topic}` grew past limits.max_queued = {limit} messages at t = {at_s:.3}s: {why}. \
         Add workers, bound the topic (topic.capacity with a backpressure policy), \
         shorten the horizon, or raise limits.max_queued"
    )]
    Runaway {
        /// The topic that grew.
        topic: String,
        /// The limit passed.
        limit: u64,
        /// When it was passed, in seconds.
        at_s: f64,
        /// Which group fell behind and by how much.
        why: String,
    },
    /// Simulated time stopped advancing (e.g. zero service time and zero
    /// redelivery backoff for a message that always fails).
    #[error(
        "simulated time stopped advancing at t = {at_s:.3}s: {} events at that one instant; {cause}",
        crate::model::watchdog::MAX_EVENTS_AT_ONE_INSTANT
    )]
    Stuck {
        /// When time stopped, in seconds.
        at_s: f64,
        /// Which events looped, and the usual cause.
        cause: String,
    },
    /// The replication took more events than `limits.max_events`.
    #[error(
        "stopped after limits.max_events = {limit} events at t = {at_s:.3}s of a {horizon_s}s horizon{pace}; \
         {cause} Otherwise shorten the horizon, lower the arrival rates, or raise limits.max_events"
    )]
    TooManyEvents {
        /// The limit.
        limit: u64,
        /// When it was passed, in seconds.
        at_s: f64,
        /// The horizon, in seconds.
        horizon_s: f64,
        /// How many events the horizon would need at the pace so far.
        pace: String,
        /// Which events the run spent its last events on, and the usual cause.
        cause: String,
    },
    /// An input the scenario reads failed during the run (a trace file
    /// that changed or vanished since the scenario was loaded).
    #[error("{reason}")]
    Input {
        /// What failed.
        reason: String,
    },
    /// The conservation law failed: a bug, never a user error.
    #[error("conservation law violated in group `{group}`: {detail}")]
    Conservation {
        /// The group whose counts do not add up.
        group: String,
        /// The counts.
        detail: String,
    },
}

/// The closed set of events. Payloads are small keys into the state, so
/// the event queue's entries stay small.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A producer's next tick is due.
    Arrival { producer: ProducerId },
    /// The next tick of a producer that calls a service is due.
    Request { producer: ProducerId },
    /// A publish in transit reaches `topic`.
    Accept { topic: u16, slot: u32 },
    /// A producer retries a publish to `topic` (stale unless message `id`
    /// is still in the slot: a producer crash may have emptied it for
    /// reuse).
    Retry { topic: u16, slot: u32, id: u64 },
    /// A blocked publish reaches its `max_block`.
    BlockDeadline,
    /// A worker finished its delivery (stale if the epoch moved on).
    Done {
        group: GroupId,
        worker: WorkerId,
        epoch: u32,
    },
    /// A delivery's ack timeout passed.
    AckTimeout {
        group: GroupId,
        worker: WorkerId,
        epoch: u32,
        delivery: u32,
    },
    /// A delayed message becomes ready again (stale unless message `id` is
    /// still in the slot).
    Redeliver { group: GroupId, slot: u32, id: u64 },
    /// A worker crashes (stale if its slot's life moved on).
    Crash {
        group: GroupId,
        worker: WorkerId,
        life: u32,
    },
    /// A crashed worker is back.
    Restart {
        group: GroupId,
        worker: WorkerId,
        life: u32,
    },
    /// The autoscaler evaluates its metric.
    Evaluate { group: GroupId },
    /// An autoscaling decision takes effect: the group grows to at least,
    /// or shrinks to at most, `target` workers (the scaler knows which,
    /// and whether a later evaluation made a scale-down stale).
    Scale { group: GroupId, target: u32 },
    /// A worker the autoscaler asked for has started.
    Started {
        group: GroupId,
        worker: WorkerId,
        life: u32,
    },
    /// A group outage starts or ends.
    Outage { group: GroupId, start: bool },
    /// Deliveries may go ahead again: a rebalance pause is over, a cap
    /// has a token, or idle workers poll.
    Resume { group: GroupId },
    /// Copies in a group's hand-off may become deliverable.
    Land { group: GroupId },
    /// An idle worker of a polling group polls (stale unless it is the
    /// poll the worker waits for).
    Poll { group: GroupId, worker: WorkerId },
    /// A producer crashes.
    ProducerCrash { producer: ProducerId, down_ns: u64 },
    /// A caller's patience for attempt `attempt` of a request on call
    /// link `link` ran out (stale unless request `id` is still in the slot).
    CallTimeout {
        link: u16,
        request: u32,
        id: u64,
        attempt: u32,
    },
    /// A caller retries a request on call link `link` (stale unless `id`
    /// is still in the slot).
    CallRetry { link: u16, request: u32, id: u64 },
    /// Time to record a time-series row.
    Sample,
    /// End of warm-up: statistics restart.
    WarmupEnd,
    /// End of the horizon.
    Horizon,
}

impl Event {
    /// What this event is, for the error of a stuck run.
    #[cold]
    fn kind(self, scenario: &System) -> EventKind {
        let group = |g: GroupId| {
            let services = g.index().checked_sub(scenario.groups.len());
            match services.and_then(|s| scenario.services.get(s)) {
                Some(service) => format!("in service `{}`", service.name),
                None => format!("in group `{}`", scenario.groups[g.index()].name),
            }
        };
        let producer =
            |p: ProducerId| format!("of producer `{}`", scenario.producers[p.index()].name);
        const FAILING: &str = "A message that fails over and over with (almost) no service \
            time, processing timeout or redelivery backoff loops: give topic.redelivery_backoff \
            a duration, or dead-letter it (max_deliveries with dlq = true).";
        let (label, hint) = match self {
            Event::Request { producer: p } => (
                format!("requests {}", producer(p)),
                "The producer sends requests this fast or this many at once (a trace with many \
                 rows at one timestamp?).",
            ),
            Event::Arrival { producer: p } => (
                format!("arrivals {}", producer(p)),
                "The producers publish this fast or this many at once (a trace with many rows at \
                 one timestamp?).",
            ),
            Event::Retry { .. } => (
                "publish retries".to_owned(),
                "A refused publish retried with (almost) no backoff loops while the topic stays \
                 full: give the producers' retry backoff a duration.",
            ),
            Event::Done { group: g, .. } => (format!("deliveries finishing {}", group(g)), FAILING),
            Event::Redeliver { group: g, .. } => (format!("redeliveries {}", group(g)), FAILING),
            Event::CallTimeout { .. } | Event::CallRetry { .. } => (
                "call timeouts and retries".to_owned(),
                "A request that fails over and over with (almost) no service time, timeout or \
                 retry backoff loops: give them durations.",
            ),
            Event::AckTimeout { group: g, .. } => (
                format!("ack timeouts {}", group(g)),
                "Deliveries whose ack timeout is (almost) zero loop: give topic.ack_timeout a \
                 longer duration.",
            ),
            other => (
                format!("{other:?}"),
                "This should not happen: please report the scenario.",
            ),
        };
        EventKind { label, hint }
    }
}

/// One replication in progress.
pub struct Simulation<'s> {
    scenario: &'s System,
    ctx: Ctx,
    producers: Vec<Producer<'s>>,
    groups: Vec<Group<'s>>,
    topics: Vec<Topic<'s>>,
    /// Where messages a service publishes have been (with publish links
    /// or several topics).
    paths: Paths,
    /// Counts of each group's publish links.
    links: Links,
    /// Processings waiting for their children's publishes.
    holds: held::Holds,
    /// The callers of each direct-call link (sync mode's producers, or
    /// each `call` link of the groups, then of the services), and where
    /// each link goes.
    calls: CallLinks<'s>,
    /// The services called directly: sync mode's one group, or the
    /// system's services. Service `s` is `GroupId(groups + s)`.
    called: Vec<Called<'s>>,
    next_id: u64,
    failure: Option<RunError>,
    series: SeriesLog<SeriesRow>,
    /// Several partitions whose series is recorded.
    partition_series: Option<SeriesLog<outcome::PartitionRow>>,
    /// Each call link's row per sample, in a file with call links.
    call_series: Option<SeriesLog<outcome::CallRow>>,
    /// When the last time-series row was recorded (`MAX` before the first).
    last_row_at: SimTime,
    ended: bool,
    draining: bool,
    /// The horizon has passed (`ended` or `draining`): one flag for the
    /// loop's one test on the common path.
    past_horizon: bool,
    drain_deadline: SimTime,
    replication: u64,
    /// Where it adds the simulated time it covers (up to the horizon), at
    /// each sample, for a progress bar; and what it has added so far.
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    reported_ns: u64,
    /// Counts events; stops a stuck or endless run.
    watchdog: Watchdog,
    /// Messages rejected in bulk (a full buffer), for tests.
    bulk_rejected: u64,
    /// The alert rules, evaluated at each sample.
    alerts: alerts::Alerts<'s>,
}

impl<'s> Simulation<'s> {
    /// Prepares replication `replication` of `scenario`; `record_series`
    /// keeps the time series.
    pub fn new(scenario: &'s System, replication: u64, record_series: bool) -> Simulation<'s> {
        let rng = |name: String| StreamId::named(&name).rng(scenario.seed, replication);
        let producers = (0..scenario.producers.len())
            .map(|p| {
                Producer::new(
                    scenario,
                    p,
                    replication,
                    scenario.producers[p].call.is_some(),
                )
            })
            .collect();
        let track_order = scenario
            .producers
            .iter()
            .any(|p| !matches!(p.keys, KeyChooser::Single | KeyChooser::Keyless));
        // The components of the link: a new kind of link is a new arm here
        // and in every `match` on `scenario.link` below.
        let (groups, calls, called) = match &scenario.link {
            Link::Publish => {
                let groups = (0..scenario.groups.len())
                    .map(|g| Group::new(scenario, g, replication, track_order))
                    .collect();
                let n = scenario.groups.len();
                let called = (scenario.services.iter().enumerate())
                    .map(|(s, spec)| {
                        Called::new(scenario, spec, GroupId((n + s) as u32), replication)
                    })
                    .collect();
                (groups, CallLinks::new(scenario, replication), called)
            }
            Link::Call(spec) => {
                let patience = rng("sync/patience".to_owned());
                let callers = Callers::new(spec, 0, rng("sync/retry".to_owned()), None, patience);
                let called = Called::new(scenario, &scenario.groups[0], GroupId(0), replication);
                let calls = CallLinks {
                    callers: vec![callers],
                    target: vec![0],
                    base: Vec::new(),
                    producer: vec![Some(0); scenario.producers.len()],
                    carried: Vec::new(),
                };
                (Vec::new(), calls, vec![called])
            }
        };
        // Call links of a graph, or sync mode's one direct call (kept
        // apart: it has no name as a link).
        let call_links = calls.callers.len();
        // One partition row per group and partition of the topic it reads.
        let partitioned_rows: usize = (scenario.groups.iter())
            .map(|g| scenario.topics[g.topic].partitions as usize)
            .sum();
        Simulation {
            scenario,
            ctx: Ctx::new(scenario.warmup),
            producers,
            groups,
            topics: (scenario.topics.iter().enumerate())
                .map(|(t, spec)| {
                    let rngs = [
                        rng(format!("topic/{}/publish", spec.name)),
                        rng(format!("topic/{}/handoff", spec.name)),
                    ];
                    Topic::new(spec, t, scenario.readers(t), rngs)
                })
                .collect(),
            paths: Paths::new(scenario),
            links: Links::new(scenario, replication),
            holds: held::Holds::default(),
            calls,
            called,
            next_id: 0,
            failure: None,
            series: SeriesLog::new(
                scenario.groups.len() + scenario.services.len(),
                1,
                MAX_SERIES_ROWS as usize,
                record_series,
            ),
            partition_series: (partitioned_rows > scenario.groups.len()
                && scenario.partition_every > 0)
                .then(|| {
                    SeriesLog::new(
                        partitioned_rows,
                        scenario.partition_every,
                        MAX_PARTITION_ROWS as usize,
                        record_series,
                    )
                }),
            call_series: (call_links > 0)
                .then(|| SeriesLog::new(call_links, 1, MAX_SERIES_ROWS as usize, record_series)),
            last_row_at: SimTime::MAX,
            ended: false,
            draining: false,
            past_horizon: false,
            drain_deadline: SimTime::MAX,
            replication,
            progress: None,
            reported_ns: 0,
            watchdog: Watchdog::new(scenario.max_events),
            bulk_rejected: 0,
            alerts: alerts::Alerts::new(
                &scenario.alerts,
                scenario.groups.len() + scenario.services.len(),
                scenario.groups.len() + scenario.services.len().max(1) + scenario.topics.len(),
            ),
        }
    }

    /// Keeps a [`LogEntry`] for everything that happens to every message
    /// (memory grows with the run: for tests and debugging).
    pub fn with_log(mut self) -> Self {
        self.ctx.log = Some(Vec::new());
        self
    }

    /// The same replication with every group on its general dispatch, as
    /// if none were plain: tests check that the plain groups' shortcuts
    /// (direct delivery, dispatch without caps) change no output.
    #[cfg(test)]
    pub(crate) fn without_plain_paths(mut self) -> Self {
        self.groups.iter_mut().for_each(|g| g.plain = false);
        self
    }

    /// Adds the simulated time it covers (up to the horizon) to
    /// `progress` as it goes, at each sample and at the end: a progress
    /// bar's measure, shared by replications. Changes nothing it computes.
    pub fn with_progress(mut self, progress: std::sync::Arc<std::sync::atomic::AtomicU64>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Adds the simulated time covered since the last report, up to the
    /// horizon, to the progress measure.
    fn report_progress(&mut self, to_horizon: bool) {
        let Some(progress) = &self.progress else {
            return;
        };
        let horizon = self.scenario.horizon.as_nanos();
        let now = if to_horizon {
            horizon
        } else {
            self.ctx.now.0.min(horizon)
        };
        if now > self.reported_ns {
            progress.fetch_add(now - self.reported_ns, std::sync::atomic::Ordering::Relaxed);
            self.reported_ns = now;
        }
    }

    /// Runs to the end of the horizon (or until drained, with `drain`).
    ///
    /// # Errors
    /// [`RunError::Runaway`] when queues pass `limits.max_queued`,
    /// [`RunError::Stuck`] when time stops advancing,
    /// [`RunError::TooManyEvents`] past `limits.max_events`,
    /// [`RunError::Input`] when a trace file changed during the run, and
    /// [`RunError::Conservation`] if the counts do not add up (a bug).
    pub fn run(mut self) -> Result<RunOutcome, RunError> {
        self.start();
        let ended = match self.lean() {
            Some(Lean::Unbounded) => self.event_loop::<true, false>(),
            Some(Lean::Bounded) => self.event_loop::<true, true>(),
            None => self.event_loop::<false, false>(),
        };
        self.report_progress(true);
        ended?;
        self.finish()
    }

    /// Handles events in order until the run ends, fails or has drained.
    /// `LEAN`: arrivals and finished deliveries take the lean path
    /// ([`lean`]), every other event the general one, out of line;
    /// `BOUNDED`: the lean topic has a capacity.
    #[inline(never)]
    fn event_loop<const LEAN: bool, const BOUNDED: bool>(&mut self) -> Result<(), RunError> {
        // Each event read where it waits (`pop_ref`): the lean path copies
        // only the fields it needs.
        while let Some((time, event)) = self.ctx.events.pop_ref() {
            // `drain_deadline` is `MAX` until the drain starts.
            if time > self.drain_deadline {
                break;
            }
            self.ctx.now = time;
            if self.watchdog.count(time) {
                let horizon = SimTime::ZERO + self.scenario.horizon;
                let scenario = self.scenario;
                if let Some(err) = self.watchdog.inspect(|| event.kind(scenario), horizon) {
                    return Err(err);
                }
            }
            match *event {
                Event::Arrival { producer } if LEAN => {
                    self.on_arrival_lean::<BOUNDED>(producer.index());
                }
                Event::Done { worker, epoch, .. } if LEAN => {
                    self.groups[0].on_done_lean(&mut self.ctx, worker.index(), epoch);
                }
                event if LEAN => self.handle_out_of_line(event),
                event => self.handle(event),
            }
            // One test on the common path: nothing failed, ended or drains.
            if self.failure.is_some() || self.past_horizon {
                if let Some(err) = self.failure.take() {
                    return Err(err);
                }
                if self.ended || self.is_empty() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// [`Simulation::handle`], out of the lean loop (its other events are
    /// rare).
    #[inline(never)]
    fn handle_out_of_line(&mut self, event: Event) {
        self.handle(event);
    }

    fn start(&mut self) {
        let scenario = self.scenario;
        let horizon = SimTime::ZERO + scenario.horizon;
        self.ctx.schedule(horizon, Event::Horizon);
        if scenario.warmup > SimDuration::ZERO {
            self.ctx
                .schedule(SimTime::ZERO + scenario.warmup, Event::WarmupEnd);
        }
        self.ctx.schedule(SimTime::ZERO, Event::Sample);
        for producer in &mut self.producers {
            if let Err(err) = producer.start(&mut self.ctx) {
                self.failure.get_or_insert(err);
            }
        }
        for g in 0..self.groups.len() {
            self.groups[g].schedule_faults(&mut self.ctx);
            self.groups[g]
                .workers
                .schedule_first_evaluation(&mut self.ctx);
        }
        for called in &mut self.called {
            called.schedule_faults(&mut self.ctx);
            called.workers.schedule_first_evaluation(&mut self.ctx);
        }
    }

    #[inline(always)]
    fn handle(&mut self, event: Event) {
        match self.scenario.link {
            Link::Publish => self.handle_publish(event),
            Link::Call(_) => self.handle_call(event),
        }
    }

    /// Events of a run whose producers publish to the topic.
    #[inline(always)]
    fn handle_publish(&mut self, event: Event) {
        let ctx = &mut self.ctx;
        match event {
            Event::Arrival { producer } => self.on_arrival(producer.index()),
            Event::Request { producer } => self.on_call_arrival(producer.index()),
            Event::Accept { topic, slot } => self.on_accept(usize::from(topic), slot),
            Event::Retry { topic, slot, id } => self.on_retry(usize::from(topic), slot, id),
            Event::BlockDeadline => {} // `unblock` below fails what timed out.
            Event::Done {
                group,
                worker,
                epoch,
            } => {
                let g = group.index();
                match self.groups.get_mut(g) {
                    Some(group) if !group.linked => group.on_done(ctx, worker.index(), epoch),
                    Some(_) => self.on_done_linked(g, worker.index(), epoch),
                    None => self.on_service_done(g - self.groups.len(), worker.index(), epoch),
                }
            }
            Event::AckTimeout {
                group,
                worker,
                epoch,
                delivery,
            } => self.groups[group.index()].on_ack_timeout(ctx, worker.index(), epoch, delivery),
            Event::Redeliver { group, slot, id } => {
                self.groups[group.index()].on_redeliver(ctx, slot, id);
            }
            Event::Crash { .. }
            | Event::Restart { .. }
            | Event::Started { .. }
            | Event::Evaluate { .. }
            | Event::Scale { .. }
            | Event::Outage { .. } => self.on_pool_event(event),
            Event::Resume { group } => self.groups[group.index()].on_resume(ctx),
            Event::Poll { group, worker } => {
                self.groups[group.index()].on_poll(ctx, worker.index())
            }
            Event::Land { group } => self.groups[group.index()].on_land(ctx),
            Event::ProducerCrash { producer, down_ns } => {
                let (p, down) = (producer.index(), SimDuration(down_ns));
                if self.calls.producer[p].is_some() {
                    self.on_caller_crash(p, down);
                } else {
                    self.on_producer_crash(p, down);
                }
            }
            Event::CallTimeout { .. } | Event::CallRetry { .. } => self.on_caller_event(event),
            Event::Sample => self.on_sample(),
            Event::WarmupEnd => self.restart_window(),
            Event::Horizon => self.on_horizon(),
        }
        if self.topics.iter().any(|t| !t.blocked.is_empty()) {
            self.unblock();
        }
        if std::mem::take(&mut self.ctx.grew) {
            self.check_growth();
        }
    }

    /// An event of a group's or a called service's workers (crashes,
    /// scaling, outages): rare, so kept out of the common path.
    #[inline(never)]
    fn on_pool_event(&mut self, event: Event) {
        let group = match event {
            Event::Crash { group, .. }
            | Event::Restart { group, .. }
            | Event::Started { group, .. }
            | Event::Evaluate { group }
            | Event::Scale { group, .. }
            | Event::Outage { group, .. } => group,
            _ => return,
        };
        let Some(g) = self.groups.get_mut(group.index()) else {
            // A service called directly (past the groups).
            let s = group.index() - self.groups.len();
            return self.on_service_event(s, event);
        };
        let ctx = &mut self.ctx;
        match event {
            Event::Crash { worker, life, .. } => g.on_crash(ctx, worker.index(), life),
            Event::Restart { worker, life, .. } => g.on_restart(ctx, worker.index(), life),
            Event::Evaluate { .. } => g.on_evaluate(ctx),
            Event::Scale { target, .. } => g.apply_scaling(ctx, target),
            Event::Started { worker, life, .. } => g.on_started(ctx, worker.index(), life),
            Event::Outage { start, .. } => g.on_outage(ctx, start),
            _ => {}
        }
        if !g.interrupted_effects.is_empty() {
            self.forward_interrupted(group.index());
        }
    }

    /// Events of a run whose producers call the group directly.
    fn handle_call(&mut self, event: Event) {
        match event {
            Event::Arrival { producer } | Event::Request { producer } => {
                self.on_call_arrival(producer.index());
            }
            Event::Done { group, .. }
            | Event::Crash { group, .. }
            | Event::Restart { group, .. }
            | Event::Started { group, .. }
            | Event::Evaluate { group }
            | Event::Scale { group, .. }
            | Event::Outage { group, .. } => self.on_service_event(group.index(), event),
            Event::CallTimeout { .. } | Event::CallRetry { .. } => self.on_caller_event(event),
            Event::ProducerCrash { producer, down_ns } => {
                self.on_caller_crash(producer.index(), SimDuration(down_ns));
            }
            Event::Sample => self.on_sample(),
            Event::WarmupEnd => self.restart_window(),
            Event::Horizon => self.on_horizon(),
            // Publishes and buffers belong to queued runs.
            Event::Accept { .. }
            | Event::Retry { .. }
            | Event::BlockDeadline
            | Event::AckTimeout { .. }
            | Event::Redeliver { .. }
            | Event::Resume { .. }
            | Event::Poll { .. }
            | Event::Land { .. } => {}
        }
    }

    /// The horizon: producers have stopped; drain or end.
    fn on_horizon(&mut self) {
        self.past_horizon = true;
        if self.scenario.drain {
            self.draining = true;
            self.drain_deadline = self.ctx.now + self.scenario.max_drain;
        } else {
            self.ended = true;
        }
    }

    /// Nothing queued, delayed, in service, blocked, in transit or
    /// retrying; with a direct call, no request left.
    fn is_empty(&self) -> bool {
        let calls_over = self.calls.callers.iter().all(|c| c.requests.is_empty());
        if let Link::Call(_) = self.scenario.link {
            return calls_over;
        }
        calls_over
            && self.ready() == 0
            && self
                .topics
                .iter()
                .all(|t| t.blocked.is_empty() && t.in_transit.is_empty() && t.retrying.is_empty())
            && self
                .groups
                .iter()
                .all(|g| g.workers.busy() == 0 && g.delayed.is_empty())
    }

    fn restart_window(&mut self) {
        let now = self.ctx.now.0;
        self.ctx.in_window = true;
        self.ctx.window_start = self.ctx.now;
        for topic in &mut self.topics {
            topic.producer_latency.clear();
            topic.blocked_level.restart(now);
        }
        self.paths.restart_window();
        for callers in &mut self.calls.callers {
            callers.latency.clear();
        }
        for called in &mut self.called {
            called.restart_window(self.ctx.now);
        }
        for g in &mut self.groups {
            g.restart_window(self.ctx.now);
        }
    }
}
