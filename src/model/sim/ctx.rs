//! What every component works through: the clock, the event queue, the
//! measurement window and the optional per-message log.

use super::{Event, LogEntry, LogKind};
use crate::engine::{EventQueue, SimDuration, SimTime};

/// The shared context of one replication's components.
pub(super) struct Ctx {
    /// The current instant.
    pub now: SimTime,
    /// Events to come.
    pub events: EventQueue<Event>,
    /// Statistics are being kept (warm-up is over).
    pub in_window: bool,
    /// When the measurement window started.
    pub window_start: SimTime,
    /// Everything that happened to every message, when asked for.
    pub log: Option<Vec<LogEntry>>,
    /// A component set messages aside (a delayed redelivery): the runaway
    /// guard looks once the event is handled.
    pub grew: bool,
}

impl Ctx {
    /// A context at time 0; the window is open from the start without a
    /// warm-up.
    pub(super) fn new(warmup: SimDuration) -> Ctx {
        Ctx {
            now: SimTime::ZERO,
            events: EventQueue::new(),
            in_window: warmup == SimDuration::ZERO,
            window_start: SimTime::ZERO,
            log: None,
            grew: false,
        }
    }

    /// Schedules `event` at `at`.
    #[inline]
    pub(super) fn schedule(&mut self, at: SimTime, event: Event) {
        self.events.schedule(at, event);
    }

    /// Schedules `event` at `at` in lane `lane` of the event queue: for a
    /// chain of events with one pending at a time (a producer's ticks).
    #[inline]
    pub(super) fn schedule_in_lane(&mut self, lane: usize, at: SimTime, event: Event) {
        self.events.schedule_in_lane(lane, at, event);
    }

    /// Logs what happened to `message` (in `group`, or `TOPIC`).
    #[inline]
    pub(super) fn note(&mut self, kind: LogKind, message: u64, group: u32) {
        if let Some(log) = self.log.as_mut() {
            log.push(LogEntry {
                time_ns: self.now.0,
                kind,
                message,
                group,
            });
        }
    }
}
