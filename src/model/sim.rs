//! One replication of a scenario: the world state, the closed set of
//! events, and the loop that handles them in (time, sequence) order.

mod buffer;
mod consume;
mod log;
mod outcome;
mod publish;
mod sample;

pub use buffer::Tier;
pub use log::{LogEntry, LogKind, TOPIC};
pub use outcome::{GroupOutcome, RunOutcome, SeriesRow, TopicOutcome};

use super::arrival::{ArrivalProcess, Tick};
use super::distribution::Distribution;
use super::message::Message;
use super::topic::Policy;
use crate::engine::{EventQueue, RngStream, SimDuration, SimTime, StreamId};
use crate::scenario::Scenario;
use crate::stats::{LatencyHistogram, TimeAverage};
use buffer::Buffer;
use std::collections::VecDeque;

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
    /// The conservation law failed: a bug, never a user error.
    #[error("conservation law violated in group `{group}`: {detail}")]
    Conservation {
        /// The group whose counts do not add up.
        group: String,
        /// The counts.
        detail: String,
    },
}

/// The closed set of events.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A producer's next tick is due.
    Arrival { producer: u32 },
    /// A publish's latency has elapsed: the topic decides on it now.
    Accept { message: Message, sent: SimTime },
    /// A worker finished its delivery.
    Done { group: u32, worker: u32 },
    /// A blocked publish reaches its `max_block`.
    BlockDeadline,
    /// Time to record a time-series row.
    Sample,
    /// End of warm-up: statistics restart.
    WarmupEnd,
    /// End of the horizon.
    Horizon,
}

/// A producer's running state.
struct Producer {
    arrival: ArrivalProcess,
    /// The tick whose Arrival event is scheduled.
    pending: Option<Tick>,
    offset: SimDuration,
    stop: SimTime,
    arrival_rng: RngStream,
    key_rng: RngStream,
    size_rng: RngStream,
}

/// A publish waiting for room under the block policy.
#[derive(Clone, Copy, Debug)]
struct Blocked {
    message: Message,
    sent: SimTime,
    since: SimTime,
}

/// A delivery in progress on a worker.
#[derive(Clone, Copy, Debug)]
struct InService {
    message: Message,
    enqueued: SimTime,
}

/// Statistics restarted at the end of warm-up.
#[derive(Clone, Debug, Default)]
struct GroupWindow {
    queue_wait: LatencyHistogram,
    end_to_end: LatencyHistogram,
    depth: TimeAverage,
    in_system: TimeAverage,
    busy: TimeAverage,
    entered: u64,
    processed: u64,
    left: u64,
    sojourn_ns: u128,
}

/// Lifetime counters (never reset: the conservation law uses them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct GroupCounters {
    accepted: u64,
    processed: u64,
    evicted: u64,
    expired: u64,
    deliveries: u64,
}

/// A consumer group's running state.
struct Group {
    buffer: Buffer,
    workers: Vec<Option<InService>>,
    idle: Vec<u32>,
    busy: u32,
    service_rng: RngStream,
    /// Extra delivery time of spilled messages.
    read_latency: Option<Distribution>,
    read_rng: RngStream,
    counters: GroupCounters,
    window: GroupWindow,
    max_depth: u64,
    /// Counters at the previous time-series row.
    last_row: GroupCounters,
}

/// Topic-level counters and statistics.
#[derive(Clone, Debug, Default)]
struct TopicState {
    published: u64,
    accepted: u64,
    rejected: u64,
    publish_timeouts: u64,
    publishing: u64,
    blocked: VecDeque<Blocked>,
    max_blocked: u64,
    producer_latency: LatencyHistogram,
    blocked_level: TimeAverage,
}

/// One replication in progress.
pub struct Simulation<'s> {
    scenario: &'s Scenario,
    now: SimTime,
    events: EventQueue<Event>,
    producers: Vec<Producer>,
    groups: Vec<Group>,
    topic: TopicState,
    publish_rng: RngStream,
    next_id: u64,
    /// Ready messages across groups, for the runaway guard.
    total_ready: u64,
    failure: Option<RunError>,
    series: Option<Vec<SeriesRow>>,
    topic_last_published: u64,
    topic_last_dropped: u64,
    in_window: bool,
    window_start: SimTime,
    ended: bool,
    draining: bool,
    replication: u64,
    event_count: u64,
    log: Option<Vec<LogEntry>>,
}

impl<'s> Simulation<'s> {
    /// Prepares replication `replication` of `scenario`; `record_series`
    /// keeps the time series.
    pub fn new(scenario: &'s Scenario, replication: u64, record_series: bool) -> Simulation<'s> {
        let rng = |name: String| StreamId::named(&name).rng(scenario.seed, replication);
        let producers = scenario
            .producers
            .iter()
            .map(|p| Producer {
                arrival: p.arrival.clone(),
                pending: None,
                offset: p.start.since(SimTime::ZERO),
                stop: p.stop.min(SimTime::ZERO + scenario.horizon),
                arrival_rng: rng(format!("producer/{}/arrival", p.name)),
                key_rng: rng(format!("producer/{}/key", p.name)),
                size_rng: rng(format!("producer/{}/size", p.name)),
            })
            .collect();
        let groups = scenario
            .groups
            .iter()
            .map(|g| Group {
                buffer: Buffer::new(&scenario.topic),
                workers: vec![None; g.workers as usize],
                idle: (0..g.workers).rev().collect(),
                busy: 0,
                service_rng: rng(format!("group/{}/service", g.name)),
                read_latency: match &scenario.topic.policy {
                    Policy::Spill(spill) => spill.read_latency.clone(),
                    _ => None,
                },
                read_rng: rng(format!("group/{}/read", g.name)),
                counters: GroupCounters::default(),
                window: GroupWindow::default(),
                max_depth: 0,
                last_row: GroupCounters::default(),
            })
            .collect();
        Simulation {
            scenario,
            now: SimTime::ZERO,
            events: EventQueue::new(),
            producers,
            groups,
            topic: TopicState::default(),
            publish_rng: rng(format!("topic/{}/publish", scenario.topic.name)),
            next_id: 0,
            total_ready: 0,
            failure: None,
            series: record_series.then(Vec::new),
            topic_last_published: 0,
            topic_last_dropped: 0,
            in_window: scenario.warmup == SimDuration::ZERO,
            window_start: SimTime::ZERO,
            ended: false,
            draining: false,
            replication,
            event_count: 0,
            log: None,
        }
    }

    /// Keeps a [`LogEntry`] for everything that happens to every message
    /// (memory grows with the run: for tests and debugging).
    pub fn with_log(mut self) -> Self {
        self.log = Some(Vec::new());
        self
    }

    #[inline]
    fn note(&mut self, kind: LogKind, message: u64, group: u32) {
        if let Some(log) = self.log.as_mut() {
            log.push(LogEntry {
                time_ns: self.now.0,
                kind,
                message,
                group,
            });
        }
    }

    /// Runs to the end of the horizon (or until drained, with `drain`).
    ///
    /// # Errors
    /// [`RunError::Runaway`] when queues pass `limits.max_queued`;
    /// [`RunError::Conservation`] if the counts do not add up (a bug).
    pub fn run(mut self) -> Result<RunOutcome, RunError> {
        self.start();
        while let Some((time, event)) = self.events.pop() {
            self.now = time;
            self.event_count += 1;
            self.handle(event);
            if let Some(err) = self.failure.take() {
                return Err(err);
            }
            if self.ended || (self.draining && self.is_empty()) {
                break;
            }
        }
        self.finish()
    }

    fn start(&mut self) {
        let horizon = SimTime::ZERO + self.scenario.horizon;
        self.events.schedule(horizon, Event::Horizon);
        if self.scenario.warmup > SimDuration::ZERO {
            self.events
                .schedule(SimTime::ZERO + self.scenario.warmup, Event::WarmupEnd);
        }
        self.events.schedule(SimTime::ZERO, Event::Sample);
        for p in 0..self.producers.len() {
            self.schedule_next_tick(p, SimTime::ZERO);
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrival { producer } => self.on_arrival(producer as usize),
            Event::Accept { message, sent } => {
                self.topic.publishing -= 1;
                self.admit(message, sent);
            }
            Event::Done { group, worker } => self.on_done(group as usize, worker as usize),
            Event::BlockDeadline => {} // `unblock` below fails what timed out.
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
        if !self.topic.blocked.is_empty() {
            self.unblock();
        }
    }

    /// Nothing queued, in service, blocked or being published.
    fn is_empty(&self) -> bool {
        self.total_ready == 0
            && self.topic.blocked.is_empty()
            && self.topic.publishing == 0
            && self.groups.iter().all(|g| g.busy == 0)
    }

    fn restart_window(&mut self) {
        let now = self.now.0;
        self.in_window = true;
        self.window_start = self.now;
        self.topic.producer_latency.clear();
        self.topic.blocked_level.restart(now);
        for g in &mut self.groups {
            let w = &mut g.window;
            w.queue_wait.clear();
            w.end_to_end.clear();
            w.depth.restart(now);
            w.in_system.restart(now);
            w.busy.restart(now);
            w.entered = 0;
            w.processed = 0;
            w.left = 0;
            w.sojourn_ns = 0;
        }
    }
}
