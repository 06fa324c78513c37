//! A call link's circuit breaker: a component that owns its state (closed,
//! open, half-open), its sliding window of attempt outcomes and its
//! counts, following Resilience4j's count-based `CircuitBreaker`
//! ([`BreakerSpec`]).

use crate::engine::{SimDuration, SimTime};
use crate::model::resilience::{BreakerSpec, Window};
use std::collections::VecDeque;

/// Where the breaker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Calls go through; outcomes fill the window.
    Closed,
    /// Calls are refused until `until`.
    Open { until: SimTime },
    /// `permits` more calls may go through as probes.
    HalfOpen { permits: u32 },
}

impl State {
    /// The state's code in the time series: 0 closed, 1 open, 2 half-open.
    pub(super) fn code(self) -> u8 {
        match self {
            State::Closed => 0,
            State::Open { .. } => 1,
            State::HalfOpen { .. } => 2,
        }
    }
}

/// The breaker's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct BreakerCounts {
    /// Times it opened (from closed or half-open).
    pub opened: u64,
    /// Times it went half-open.
    pub half_opened: u64,
    /// Times it closed again.
    pub closed: u64,
    /// Calls it refused.
    pub short_circuited: u64,
}

/// Outcomes recorded over a span: attempts, failed ones, slow ones.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    calls: u32,
    failed: u32,
    slow: u32,
}

impl Tally {
    fn add(&mut self, failed: bool, slow: bool, sign: i32) {
        let step = |n: &mut u32, on: bool| {
            if on {
                *n = n.wrapping_add_signed(sign);
            }
        };
        step(&mut self.calls, true);
        step(&mut self.failed, failed);
        step(&mut self.slow, slow);
    }

    /// Whether the rates reach `spec`'s thresholds.
    fn trips(&self, spec: &BreakerSpec) -> bool {
        let calls = f64::from(self.calls.max(1));
        f64::from(self.failed) / calls >= spec.failure_rate
            || f64::from(self.slow) / calls >= spec.slow_call_rate
    }
}

/// A circuit breaker.
pub(super) struct Breaker<'s> {
    spec: &'s BreakerSpec,
    state: State,
    /// The closed state's window: each outcome (when, failed, slow),
    /// oldest first.
    window: VecDeque<(SimTime, bool, bool)>,
    /// Failures in a row (closed).
    consecutive: u32,
    closed: Tally,
    /// The half-open probes' outcomes so far.
    probes: Tally,
    pub counts: BreakerCounts,
}

impl<'s> Breaker<'s> {
    /// A closed breaker following `spec`.
    pub(super) fn new(spec: &'s BreakerSpec) -> Breaker<'s> {
        Breaker {
            spec,
            state: State::Closed,
            window: VecDeque::new(),
            consecutive: 0,
            closed: Tally::default(),
            probes: Tally::default(),
            counts: BreakerCounts::default(),
        }
    }

    /// The state now (an open breaker past its time stays open until a
    /// call finds it half-open, as Resilience4j's without automatic
    /// transition).
    pub(super) fn state(&self) -> State {
        self.state
    }

    /// Whether a call may go through at `now`; a refused one is counted.
    pub(super) fn permit(&mut self, now: SimTime) -> bool {
        if let State::Open { until } = self.state
            && now >= until
        {
            self.state = State::HalfOpen {
                permits: self.spec.half_open_calls,
            };
            self.probes = Tally::default();
            self.counts.half_opened += 1;
        }
        let allowed = match &mut self.state {
            State::Closed => true,
            State::Open { .. } => false,
            State::HalfOpen { permits: 0 } => false,
            State::HalfOpen { permits } => {
                *permits -= 1;
                true
            }
        };
        if !allowed {
            self.counts.short_circuited += 1;
        }
        allowed
    }

    /// An attempt that went through ended at `now` after `took`, failed or
    /// not; the breaker moves if its rates say so. Outcomes that end while
    /// it is open are not recorded.
    pub(super) fn record(&mut self, now: SimTime, failed: bool, took: SimDuration) {
        let slow = took > self.spec.slow_call;
        match self.state {
            State::Closed => {
                self.window.push_back((now, failed, slow));
                self.closed.add(failed, slow, 1);
                // What left the window: the oldest past N, or what ended
                // before the span.
                let minimum = match self.spec.window {
                    Window::Calls(n) => {
                        while self.window.len() > n as usize {
                            self.forget_oldest();
                        }
                        self.spec.minimum_calls.min(n)
                    }
                    Window::Span(span) => {
                        while (self.window.front()).is_some_and(|&(at, _, _)| now.since(at) >= span)
                        {
                            self.forget_oldest();
                        }
                        self.spec.minimum_calls
                    }
                };
                self.consecutive = if failed { self.consecutive + 1 } else { 0 };
                let in_a_row = self.spec.consecutive_failures;
                let judged = self.closed.calls >= minimum;
                if (judged && self.closed.trips(self.spec))
                    || (in_a_row > 0 && self.consecutive >= in_a_row)
                {
                    self.open(now);
                }
            }
            State::Open { .. } => {}
            State::HalfOpen { .. } => {
                self.probes.add(failed, slow, 1);
                if self.probes.calls >= self.spec.half_open_calls {
                    if self.probes.trips(self.spec) {
                        self.open(now);
                    } else {
                        self.state = State::Closed;
                        self.counts.closed += 1;
                    }
                }
            }
        }
    }

    /// The window's oldest outcome leaves it.
    fn forget_oldest(&mut self) {
        if let Some((_, f, s)) = self.window.pop_front() {
            self.closed.add(f, s, -1);
        }
    }

    /// Opens at `now`, with a fresh window for when it closes again.
    fn open(&mut self, now: SimTime) {
        self.state = State::Open {
            until: now + self.spec.open_for,
        };
        self.counts.opened += 1;
        self.window.clear();
        self.closed = Tally::default();
        self.consecutive = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> BreakerSpec {
        BreakerSpec {
            window: Window::Calls(4),
            minimum_calls: 4,
            half_open_calls: 2,
            open_for: SimDuration::from_secs(10),
            ..BreakerSpec::default()
        }
    }

    const FAST: SimDuration = SimDuration::from_millis(1);

    #[test]
    fn opens_at_the_threshold_once_the_minimum_is_recorded() {
        let spec = spec();
        let mut b = Breaker::new(&spec);
        let t = SimTime::ZERO;
        // Two failures in three: not judged before four calls.
        for failed in [true, false, true] {
            assert!(b.permit(t));
            b.record(t, failed, FAST);
        }
        assert_eq!(b.state(), State::Closed);
        b.record(t, false, FAST); // 2 of 4 = 50%: opens.
        assert_eq!(b.state().code(), 1);
        assert!(!b.permit(t + SimDuration::from_secs(9)));
        assert_eq!(b.counts.short_circuited, 1);
    }

    #[test]
    fn half_open_probes_close_or_reopen_it() {
        let spec = spec();
        let mut b = Breaker::new(&spec);
        for _ in 0..4 {
            b.record(SimTime::ZERO, true, FAST);
        }
        let t = SimTime::ZERO + SimDuration::from_secs(10);
        // Two probes go through, the third is refused.
        assert!(b.permit(t) && b.permit(t) && !b.permit(t));
        b.record(t, true, FAST);
        b.record(t, true, FAST);
        assert_eq!(
            b.state(),
            State::Open {
                until: t + SimDuration::from_secs(10)
            }
        );
        let t = t + SimDuration::from_secs(10);
        assert!(b.permit(t) && b.permit(t));
        b.record(t, false, FAST);
        b.record(t, false, FAST);
        assert_eq!(b.state(), State::Closed);
        let c = b.counts;
        assert_eq!(
            (c.opened, c.half_opened, c.closed, c.short_circuited),
            (2, 2, 1, 1)
        );
    }

    #[test]
    fn slow_calls_open_it_at_their_own_threshold() {
        let spec = BreakerSpec {
            slow_call_rate: 0.5,
            slow_call: SimDuration::from_secs(1),
            ..spec()
        };
        let mut b = Breaker::new(&spec);
        for took in [2, 0, 2, 0] {
            b.record(SimTime::ZERO, false, SimDuration::from_secs(took));
        }
        assert_eq!(b.state().code(), 1);
    }

    #[test]
    fn the_window_forgets_old_outcomes() {
        let spec = spec();
        let mut b = Breaker::new(&spec);
        // A failure, then successes: the window of four never holds two.
        b.record(SimTime::ZERO, true, FAST);
        for _ in 0..10 {
            b.record(SimTime::ZERO, false, FAST);
        }
        b.record(SimTime::ZERO, true, FAST);
        assert_eq!(b.state(), State::Closed);
    }

    #[test]
    fn a_time_window_forgets_what_ended_before_its_span() {
        let spec = BreakerSpec {
            window: Window::Span(SimDuration::from_secs(10)),
            minimum_calls: 2,
            ..spec()
        };
        let mut b = Breaker::new(&spec);
        let at = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        b.record(at(0), true, FAST);
        b.record(at(10), false, FAST); // The failure at 0 s has left.
        b.record(at(11), false, FAST);
        assert_eq!(b.state(), State::Closed);
        b.record(at(12), true, FAST); // 1 of 3 within 10 s.
        assert_eq!(b.state(), State::Closed);
        b.record(at(13), true, FAST); // 2 of 4: 50%.
        assert_eq!(b.state().code(), 1);
    }

    #[test]
    fn consecutive_failures_open_it_before_the_minimum() {
        let spec = BreakerSpec {
            consecutive_failures: 3,
            window: Window::Calls(100),
            minimum_calls: 100,
            ..spec()
        };
        let mut b = Breaker::new(&spec);
        for failed in [true, true, false, true, true] {
            b.record(SimTime::ZERO, failed, FAST);
        }
        assert_eq!(b.state(), State::Closed, "a success breaks the run");
        b.record(SimTime::ZERO, true, FAST);
        assert_eq!(b.state().code(), 1);
    }
}
