//! The resilience patterns of a direct call (DESIGN.md §2, "Direct calls
//! as servers behave"): a caller's circuit breaker and hedging, and the
//! order in which a called service takes the requests waiting for it.

use crate::engine::SimDuration;

/// A circuit breaker on a call link, as Resilience4j's `CircuitBreaker`
/// with a count-based sliding window: closed, it records each attempt's
/// outcome and opens when the failure (or slow-call) rate over the last
/// `window` attempts reaches its threshold, once `minimum_calls` were
/// recorded; open, it refuses every call for `open_for`; then the next
/// call finds it half-open, and it lets `half_open_calls` through, closing
/// if their rates stay below the thresholds and opening again if not.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerSpec {
    /// Share of failed attempts (errors and timeouts) that opens it.
    pub failure_rate: f64,
    /// Share of slow attempts that opens it.
    pub slow_call_rate: f64,
    /// An attempt that took longer than this is slow.
    pub slow_call: SimDuration,
    /// The sliding window: the last N attempts, or those of the last span.
    pub window: Window,
    /// Consecutive failures that open it whatever the rates (0: none),
    /// as Polly's classic breaker or Envoy's `consecutive_5xx`.
    pub consecutive_failures: u32,
    /// Attempts recorded before a rate is judged.
    pub minimum_calls: u32,
    /// How long it stays open.
    pub open_for: SimDuration,
    /// Attempts let through half-open.
    pub half_open_calls: u32,
    /// What a caller gets when the breaker refuses its call.
    pub fallback: Fallback,
}

impl Default for BreakerSpec {
    /// Resilience4j's defaults (its `CircuitBreakerConfig`): a failure and
    /// slow-call threshold of 50% and 100%, slow past 60 s, a window of 100
    /// calls, 100 calls minimum, 60 s open, 10 calls half-open.
    fn default() -> BreakerSpec {
        BreakerSpec {
            failure_rate: 0.5,
            slow_call_rate: 1.0,
            slow_call: SimDuration::from_secs(60),
            window: Window::Calls(100),
            consecutive_failures: 0,
            minimum_calls: 100,
            open_for: SimDuration::from_secs(60),
            half_open_calls: 10,
            fallback: Fallback::Fail,
        }
    }
}

/// A breaker's sliding window (Resilience4j's COUNT_BASED or
/// TIME_BASED).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// The last N attempts.
    Calls(u32),
    /// The attempts that ended within this span.
    Span(SimDuration),
}

/// What a caller gets when its breaker refuses the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// An error at once (fail fast).
    Fail,
    /// A cached or default answer: the caller goes on, the request counted
    /// as degraded (its work is not done).
    Degraded,
}

/// A retry budget: which retries a caller may send.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RetryBudget {
    /// gRPC's retry throttling: a token count starting at `max_tokens`,
    /// less 1 for each failed attempt, plus `token_ratio` for each success
    /// (at most `max_tokens`); a retry goes only while the count is above
    /// half of `max_tokens`.
    Tokens {
        /// The ceiling, and the start.
        max_tokens: f64,
        /// What a success gives back.
        token_ratio: f64,
    },
    /// Envoy's retry budget: retries in progress may be at most
    /// `percent` of the requests in progress, and at least
    /// `min_concurrency` are always allowed.
    Concurrency {
        /// Share of the requests in progress (0-1).
        percent: f64,
        /// Retries in progress always allowed.
        min_concurrency: u32,
    },
}

/// Hedged requests, as gRPC's hedging policy: after `delay` without an
/// answer the caller sends another attempt, up to `max_attempts` in all,
/// and the first success wins; the others are cancelled. An error sends
/// the next hedge at once. The caller's timeout bounds them all.
#[derive(Clone, Debug, PartialEq)]
pub struct HedgeSpec {
    /// Attempts in all, the first included (2: one hedge).
    pub max_attempts: u32,
    /// When a hedge goes out.
    pub delay: HedgeDelay,
}

/// How long a caller waits before it hedges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HedgeDelay {
    /// A fixed delay.
    Fixed(SimDuration),
    /// This quantile (0–1) of the link's attempt latencies so far (as "The
    /// Tail at Scale" defers a hedge to the 95th percentile); no hedge
    /// until [`HEDGE_WARMUP`] attempts were processed.
    Quantile(f64),
}

/// Successful attempts a link observes before a quantile hedge delay is
/// known.
pub const HEDGE_WARMUP: u64 = 100;

/// Which waiting request a called service's free worker takes, and which
/// it sheds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Discipline {
    /// The oldest.
    Fifo,
    /// The newest.
    Lifo,
    /// The oldest while the queue was empty within the last `interval`;
    /// the newest once it has stayed non-empty that long (Facebook's
    /// adaptive LIFO, "Fail at Scale").
    AdaptiveLifo {
        /// How long a queue stays non-empty before LIFO.
        interval: SimDuration,
    },
    /// The oldest, shedding requests as RFC 8289's CoDel drops packets:
    /// once the head's wait has stayed above `target` for `interval`, it
    /// refuses the head, then again at `interval / sqrt(count)` while the
    /// wait stays above target.
    Codel {
        /// The wait a queue may keep.
        target: SimDuration,
        /// The span over which the wait must stay above target.
        interval: SimDuration,
    },
}

impl Discipline {
    /// RFC 8289's defaults: a target of 5 ms over an interval of 100 ms.
    pub const CODEL_TARGET: SimDuration = SimDuration::from_millis(5);
    /// RFC 8289's default interval (and adaptive LIFO's).
    pub const CODEL_INTERVAL: SimDuration = SimDuration::from_millis(100);
}
