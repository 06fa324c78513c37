//! Sync mode: the same producers call the consumer group's service
//! directly, with no broker. Each request holds its caller until the
//! downstream (the group's workers and service time) answers. A caller
//! timeout, caller-side retries, and downstream failures, crashes and
//! outages become caller-visible errors. The outcome has the queued run's
//! shape, so every report and comparison reads both alike.

mod caller;
mod finish;
mod scaling;
mod server;

use super::sim::{RunError, RunOutcome, SeriesRow};
use super::source::Source;
use crate::engine::{EventQueue, RngStream, SimDuration, SimTime, Slab, StreamId};
use crate::model::autoscale::{Phase, Scaler};
use crate::model::series::{MAX_SERIES_ROWS, SeriesLog};
use crate::model::system::{CallSpec, System};
use crate::model::watchdog::{EventKind, Watchdog};
use crate::stats::{LatencyHistogram, TimeAverage};
use std::collections::VecDeque;

/// The closed set of sync-mode events.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A producer's next tick is due.
    Arrival { producer: u32 },
    /// A producer crashes: its callers are gone, and so are its arrivals
    /// while it is down.
    ProducerCrash { producer: u32, down_ns: u64 },
    /// A worker finished an attempt (stale if the epoch moved on).
    Done { worker: u32, epoch: u32 },
    /// A caller's patience for one attempt ran out (`id` tells a reused
    /// slot's new request from the old one).
    Timeout { request: u32, id: u64, attempt: u32 },
    /// A caller tries again.
    Retry { request: u32, id: u64 },
    /// A worker crashes, or comes back (stale if its slot's life moved on).
    Crash { worker: u32, up: bool, life: u32 },
    /// The autoscaler evaluates its metric.
    Evaluate,
    /// An autoscaling decision takes effect (see the queued run's event).
    Scale { target: u32 },
    /// A worker the autoscaler asked for has started.
    Started { worker: u32, life: u32 },
    /// The downstream goes down, or comes back.
    Outage { start: bool },
    /// Time to record a time-series row.
    Sample,
    /// End of warm-up.
    WarmupEnd,
    /// End of the horizon.
    Horizon,
}

impl Event {
    /// What this event is, for the error of a stuck run.
    #[cold]
    fn kind(self, scenario: &System) -> EventKind {
        let (label, hint) = match self {
            Event::Arrival { producer } => (
                format!(
                    "arrivals of producer `{}`",
                    scenario.producers[producer as usize].name
                ),
                "The producers call this fast or this many at once (a trace with many rows at \
                 one timestamp?).",
            ),
            Event::Done { .. } | Event::Retry { .. } | Event::Timeout { .. } => (
                format!("{self:?}")
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_lowercase()
                    + " events",
                "A request that fails over and over with (almost) no service time, timeout or \
                 retry backoff loops: give them durations.",
            ),
            other => (
                format!("{other:?}"),
                "This should not happen: please report the scenario.",
            ),
        };
        EventKind { label, hint }
    }
}

/// One request, from its caller's point of view.
#[derive(Clone, Copy, Debug)]
struct Request {
    /// Creation-order id (from 0, as queued message ids).
    id: u64,
    /// The producer whose caller waits.
    producer: u32,
    /// Malformed: every attempt fails.
    poison: bool,
    created: SimTime,
    /// The attempt the caller is waiting for (1 for the first).
    attempt: u32,
    /// Attempts still queued or running downstream.
    outstanding: u32,
    /// The caller has its answer (success or final error).
    answered: bool,
    /// Some attempt was processed successfully.
    done: bool,
}

/// One attempt waiting for, or on, a worker.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    request: u32,
    /// The request's creation-order id (slots are reused; ids are not).
    id: u64,
    number: u32,
    enqueued: SimTime,
    /// Decided when a worker takes it: `true` if it will fail.
    fails: bool,
}

/// A downstream worker.
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

    fn slot(&self) -> crate::model::autoscale::Slot {
        crate::model::autoscale::Slot {
            phase: self.phase,
            leaving: self.leaving,
            busy: self.current.is_some(),
        }
    }
}

/// Counts kept by a sync run.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    requests: u64,
    attempts: u64,
    refused: u64,
    accepted: u64,
    processed: u64,
    failed: u64,
    timed_out: u64,
    crashed: u64,
    caller_errors: u64,
    caller_timeouts: u64,
    wasted: u64,
    work_lost: u64,
    deliveries: u64,
}

/// One replication of a sync-mode scenario.
pub struct SyncSimulation<'s> {
    scenario: &'s System,
    spec: &'s CallSpec,
    now: SimTime,
    events: EventQueue<Event>,
    sources: Vec<Source>,
    /// Each producer is down until this instant.
    down_until: Vec<SimTime>,
    requests: Slab<Request>,
    queue: VecDeque<Attempt>,
    workers: Vec<Worker>,
    idle: Vec<u32>,
    busy: u32,
    down: u32,
    service_rng: RngStream,
    fault_rng: RngStream,
    retry_rng: RngStream,
    poison_salt: u64,
    counters: Counters,
    last_row: Counters,
    caller_latency: LatencyHistogram,
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
    census: crate::model::autoscale::Census,
    max_depth: u64,
    processed_in_window: u64,
    /// Attempts that left the downstream in the window, and their total time there.
    left: u64,
    sojourn_ns: u128,
    series: SeriesLog<SeriesRow>,
    /// When the last time-series row was recorded (`MAX` before the first).
    last_row_at: SimTime,
    in_window: bool,
    window_start: SimTime,
    ended: bool,
    draining: bool,
    replication: u64,
    /// Counts events; stops a stuck or endless run.
    watchdog: Watchdog,
    /// Why the run must stop (an input failed), found outside `handle`.
    failure: Option<RunError>,
}

impl<'s> SyncSimulation<'s> {
    /// Prepares replication `replication` of a sync-mode `scenario`
    /// (`None` if the scenario is in queued mode).
    pub fn new(
        scenario: &'s System,
        replication: u64,
        record_series: bool,
    ) -> Option<SyncSimulation<'s>> {
        let spec = scenario.call()?;
        let group = &scenario.groups[0];
        let rng = |name: String| StreamId::named(&name).rng(scenario.seed, replication);
        let sources: Vec<Source> = scenario
            .producers
            .iter()
            .map(|p| Source::new(p, scenario.horizon, scenario.seed, replication))
            .collect();
        Some(SyncSimulation {
            scenario,
            spec,
            now: SimTime::ZERO,
            events: EventQueue::new(),
            down_until: vec![SimTime::ZERO; sources.len()],
            sources,
            requests: Slab::default(),
            queue: VecDeque::new(),
            workers: (0..group.worker_slots())
                .map(|w| Worker {
                    phase: if w < group.workers {
                        Phase::Up
                    } else {
                        Phase::Parked
                    },
                    ..Worker::default()
                })
                .collect(),
            idle: (0..group.workers).rev().collect(),
            busy: 0,
            down: 0,
            // The same stream names as the queued run's group: same service times.
            service_rng: rng(format!("group/{}/service", group.name)),
            fault_rng: rng(format!("group/{}/faults", group.name)),
            retry_rng: rng("sync/retry".to_owned()),
            poison_salt: rand::Rng::next_u64(&mut rng(format!("group/{}/poison", group.name))),
            counters: Counters::default(),
            last_row: Counters::default(),
            caller_latency: LatencyHistogram::new(),
            end_to_end: LatencyHistogram::new(),
            queue_wait: LatencyHistogram::new(),
            depth: TimeAverage::default(),
            busy_level: TimeAverage::default(),
            up_level: TimeAverage::new(0, u64::from(group.workers)),
            provisioned: TimeAverage::new(0, u64::from(group.workers)),
            scaler: group
                .autoscale
                .clone()
                .map(|a| Scaler::new(a, SimTime::ZERO, group.workers, 0)),
            census: crate::model::autoscale::Census::all_up(group.workers),
            max_depth: 0,
            processed_in_window: 0,
            left: 0,
            sojourn_ns: 0,
            series: SeriesLog::new(1, 1, MAX_SERIES_ROWS as usize, record_series),
            last_row_at: SimTime::MAX,
            in_window: scenario.warmup == SimDuration::ZERO,
            window_start: SimTime::ZERO,
            ended: false,
            draining: false,
            replication,
            watchdog: Watchdog::new(scenario.max_events),
            failure: None,
        })
    }

    /// Runs to the end of the horizon (or until drained, with `drain`).
    ///
    /// # Errors
    /// [`RunError::Runaway`] when the downstream's queue passes
    /// `limits.max_queued`, and [`RunError::Conservation`] if the counts do
    /// not add up (a bug).
    pub fn run(mut self) -> Result<RunOutcome, RunError> {
        self.start();
        let deadline = SimTime::ZERO + self.scenario.horizon + self.scenario.max_drain;
        while let Some((time, event)) = self.events.pop() {
            if time > deadline {
                break;
            }
            self.now = time;
            if self.watchdog.count(time) {
                let horizon = SimTime::ZERO + self.scenario.horizon;
                let scenario = self.scenario;
                if let Some(err) = self.watchdog.inspect(|| event.kind(scenario), horizon) {
                    return Err(err);
                }
            }
            self.handle(event)?;
            if let Some(err) = self.failure.take() {
                return Err(err);
            }
            if self.ended || (self.draining && self.requests.is_empty()) {
                break;
            }
        }
        self.finish()
    }

    fn start(&mut self) {
        let scenario = self.scenario;
        self.events
            .schedule(SimTime::ZERO + scenario.horizon, Event::Horizon);
        if scenario.warmup > SimDuration::ZERO {
            self.events
                .schedule(SimTime::ZERO + scenario.warmup, Event::WarmupEnd);
        }
        self.events.schedule(SimTime::ZERO, Event::Sample);
        for p in 0..self.sources.len() {
            self.schedule_tick(p, SimTime::ZERO);
            for &(at, down) in &scenario.producers[p].faults.crashes {
                let event = Event::ProducerCrash {
                    producer: p as u32,
                    down_ns: down.as_nanos(),
                };
                self.events.schedule(at, event);
            }
        }
        self.schedule_faults();
        if let Some(scaler) = &self.scaler {
            self.events
                .schedule(scaler.next_evaluation(SimTime::ZERO), Event::Evaluate);
        }
    }

    fn handle(&mut self, event: Event) -> Result<(), RunError> {
        match event {
            Event::Arrival { producer } => self.on_arrival(producer as usize)?,
            Event::ProducerCrash { producer, down_ns } => {
                self.on_producer_crash(producer as usize, down_ns)
            }
            Event::Done { worker, epoch } => self.on_done(worker as usize, epoch),
            Event::Timeout {
                request,
                id,
                attempt,
            } => {
                if self.requests.get(request).is_some_and(|r| r.id == id) {
                    self.answer(request, attempt, caller::Answer::Timeout);
                }
            }
            Event::Retry { request, id } => {
                if self.requests.get(request).is_some_and(|r| r.id == id) {
                    self.send(request)?;
                }
            }
            Event::Crash { worker, up, life } => self.on_crash(worker as usize, up, life),
            Event::Evaluate => self.on_evaluate(),
            Event::Scale { target } => self.apply_scaling(target),
            Event::Started { worker, life } => self.on_started(worker as usize, life),
            Event::Outage { start } => self.on_outage(start),
            Event::Sample => self.on_sample(),
            Event::WarmupEnd => self.restart_window(),
            Event::Horizon => {
                if self.scenario.drain {
                    self.draining = true;
                } else {
                    self.ended = true;
                }
            }
        }
        Ok(())
    }

    fn restart_window(&mut self) {
        let now = self.now.0;
        self.in_window = true;
        self.window_start = self.now;
        self.caller_latency.clear();
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
}
