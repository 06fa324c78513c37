//! Guards of the event loop. A run whose simulated time stops advancing
//! (ten million events at one instant) or that takes more events than
//! `limits.max_events` stops with an error that names its cause, instead
//! of running forever. A fast workload is never mistaken for a stuck one:
//! only events at the very same instant count as stuck.

use super::sim::RunError;
use crate::engine::SimTime;

/// Events at one instant of simulated time after which a run is stuck.
/// Legitimate runs stay far below: even a million messages published at
/// one instant are one event per batch.
pub(crate) const MAX_EVENTS_AT_ONE_INSTANT: u64 = 10_000_000;
/// The last events at a stuck instant whose kinds the error reports.
const TALLY: u64 = 10_000;

/// What an event is, for the stuck-run error: a label naming its kind and
/// component (`redeliveries in group \`email\``), and what usually causes a
/// loop of such events.
pub(crate) struct EventKind {
    /// E.g. ``deliveries finishing in group `email` ``.
    pub label: String,
    /// The usual cause and its remedy.
    pub hint: &'static str,
}

/// Counts events: in all, and at the current instant.
#[derive(Clone, Debug)]
pub(crate) struct Watchdog {
    events: u64,
    max_events: u64,
    /// Events after which each one is inspected: the last `TALLY` before
    /// the budget runs out.
    watch_from: u64,
    instant: SimTime,
    at_instant: u64,
    /// Labels and counts of the last events at a stuck-looking instant.
    tally: Vec<(String, &'static str, u64)>,
}

impl Watchdog {
    /// A watchdog allowing `max_events` events.
    pub(crate) fn new(max_events: u64) -> Watchdog {
        Watchdog {
            events: 0,
            max_events,
            watch_from: max_events.saturating_sub(TALLY),
            instant: SimTime::ZERO,
            at_instant: 0,
            tally: Vec::new(),
        }
    }

    /// Events so far.
    pub(crate) fn events(&self) -> u64 {
        self.events
    }

    /// Counts an event at `time`; true when the caller must call
    /// [`Watchdog::inspect`] (rarely: near a limit).
    #[inline]
    pub(crate) fn count(&mut self, time: SimTime) -> bool {
        self.events += 1;
        if time == self.instant {
            self.at_instant += 1;
            return self.at_instant > MAX_EVENTS_AT_ONE_INSTANT - TALLY
                || self.events > self.watch_from;
        }
        self.instant = time;
        self.at_instant = 0;
        if !self.tally.is_empty() {
            self.instant_passed();
        }
        self.events > self.watch_from
    }

    /// A stuck-looking instant passed: its tally goes (the budget's stays).
    #[cold]
    fn instant_passed(&mut self) {
        if self.events <= self.watch_from {
            self.tally.clear();
        }
    }

    /// Looks at the event just counted (`kind` describes it); the error
    /// that stops the run, if a limit is passed. `horizon` is the end of
    /// the horizon, for the message.
    #[cold]
    pub(crate) fn inspect(
        &mut self,
        kind: impl FnOnce() -> EventKind,
        horizon: SimTime,
    ) -> Option<RunError> {
        let kind = kind();
        match self.tally.iter_mut().find(|(l, _, _)| *l == kind.label) {
            Some(entry) => entry.2 += 1,
            None => self.tally.push((kind.label, kind.hint, 1)),
        }
        let at_s = self.instant.as_secs_f64();
        if self.events > self.max_events {
            let horizon_s = horizon.as_secs_f64();
            let pace = if at_s > 0.0 {
                format!(
                    "; at this pace the horizon alone needs about {:.1e} events",
                    self.events as f64 * horizon_s / at_s
                )
            } else {
                String::new()
            };
            return Some(RunError::TooManyEvents {
                limit: self.max_events,
                at_s,
                horizon_s,
                pace,
                cause: self.cause(),
            });
        }
        if self.at_instant < MAX_EVENTS_AT_ONE_INSTANT {
            return None;
        }
        Some(RunError::Stuck {
            at_s,
            cause: self.cause(),
        })
    }

    /// The kinds of the last events, most frequent first, and the usual
    /// cause of the most frequent.
    fn cause(&mut self) -> String {
        self.tally
            .sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        let total: u64 = self.tally.iter().map(|t| t.2).sum();
        let kinds: Vec<String> = self
            .tally
            .iter()
            .take(3)
            .map(|(label, _, n)| format!("{n} {label}"))
            .collect();
        let hint = self.tally.first().map_or("", |t| t.1);
        format!("of the last {total} events, {}. {hint}", kinds.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(label: &str) -> EventKind {
        EventKind {
            label: label.to_owned(),
            hint: "The hint.",
        }
    }

    #[test]
    fn a_fast_clock_is_not_stuck() {
        let mut w = Watchdog::new(u64::MAX);
        for ns in 0..(MAX_EVENTS_AT_ONE_INSTANT + 10) {
            assert!(!w.count(SimTime(ns)));
        }
    }

    #[test]
    fn one_instant_too_often_is_stuck_and_says_why() {
        let mut w = Watchdog::new(u64::MAX);
        let t = SimTime(5_000_000_000);
        let mut error = None;
        for i in 0..=MAX_EVENTS_AT_ONE_INSTANT {
            if w.count(t) {
                let label = if i % 4 == 0 {
                    "arrivals"
                } else {
                    "redeliveries"
                };
                error = w.inspect(|| kind(label), SimTime::MAX);
                if error.is_some() {
                    break;
                }
            }
        }
        let message = error.expect("stuck").to_string();
        assert!(
            message
                .contains("of the last 10000 events, 7500 redeliveries, 2500 arrivals. The hint."),
            "{message}"
        );
        assert!(message.starts_with("simulated time stopped advancing at t = 5.000s"));
    }

    #[test]
    fn the_event_budget_stops_a_run() {
        let mut w = Watchdog::new(10);
        let mut error = None;
        for ns in 1..=11 {
            if w.count(SimTime(ns * 1_000_000_000)) {
                error = w.inspect(|| kind("x"), SimTime(100_000_000_000));
            }
        }
        let message = error.expect("over budget").to_string();
        assert!(
            message.contains("limits.max_events = 10 events"),
            "{message}"
        );
        assert!(message.contains("about 1.0e2 events"), "{message}");
        assert!(
            message.contains("of the last 11 events, 11 x. The hint."),
            "{message}"
        );
    }
}
