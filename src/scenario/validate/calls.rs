//! Validation of a caller's settings on a direct call (a call link, or
//! `[sync]`): timeout, retries, patience, pool, retry budget, circuit
//! breaker, hedging and deadlines.

use super::faults::backoff;
use super::{Checker, dist};
use crate::engine::SimDuration;
use crate::model::backoff::Backoff;
use crate::model::resilience::{BreakerSpec, Fallback, HedgeDelay, HedgeSpec, RetryBudget, Window};
use crate::scenario::Dur;
use crate::scenario::path::FieldPath;
use crate::scenario::raw::{
    CallPolicy, RawBreaker, RawFallback, RawHedge, RawMode, RawRetryBudget, RawScenario, RawWindow,
};

/// Sync-mode callers; `None` in queued mode. Sync mode's own form has
/// one group (a file with more is rewritten as a graph: `sync_graph`).
pub(super) fn sync(
    c: &mut Checker<'_>,
    raw: &RawScenario,
) -> Option<crate::model::system::CallSpec> {
    if raw.mode != RawMode::Sync {
        return None;
    }
    let path = FieldPath::root().key("sync");
    Some(call_spec(c, &path, raw.sync.policy()))
}

/// A caller's settings at `path` (`sync`, or a call link).
pub(super) fn call_spec(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: CallPolicy<'_>,
) -> crate::model::system::CallSpec {
    let retry_budget = raw
        .retry_budget
        .and_then(|b| retry_budget(c, &path.key("retry_budget"), b));
    if raw.pool == Some(0) {
        c.fail(
            &path.key("pool"),
            "must be at least 1 (got 0); leave it out for no limit",
        );
    }
    let patience = raw.patience.and_then(|d| dist(c, &path.key("patience"), d));
    if raw.timeout.0 == SimDuration::ZERO {
        c.fail(&path.key("timeout"), "must be longer than 0s (got 0s)");
    }
    let (retry_attempts, retry_backoff) = match raw.retry {
        Some(r) => {
            let b = r
                .backoff
                .as_ref()
                .and_then(|b| backoff(c, &path.key("retry").key("backoff"), b));
            (r.attempts, b.unwrap_or(Backoff::NONE))
        }
        None => (0, Backoff::NONE),
    };
    let hedge = raw.hedge.and_then(|h| hedge(c, &path.key("hedge"), h));
    if hedge.is_some() && retry_attempts > 0 {
        c.fail(
            &path.key("hedge"),
            "cannot be combined with retry: a caller hedges or retries, as a gRPC method has a hedging policy or a retry policy",
        );
    }
    crate::model::system::CallSpec {
        timeout: raw.timeout.0,
        retry_attempts,
        retry_backoff,
        patience,
        pool: raw.pool,
        retry_budget,
        breaker: raw.breaker.map(|b| breaker(c, &path.key("breaker"), b)),
        hedge,
        propagate_deadline: raw.propagate_deadline,
    }
}

/// A retry budget at `path`: gRPC's (both token fields) or Envoy's (its
/// fields, with Envoy's defaults of 20% and 3), not a mix.
fn retry_budget(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: &RawRetryBudget,
) -> Option<RetryBudget> {
    let envoy = raw.budget_percent.is_some() || raw.min_retry_concurrency.is_some();
    match (raw.max_tokens, raw.token_ratio, envoy) {
        (Some(max_tokens), Some(token_ratio), false) => {
            for (field, value) in [("max_tokens", max_tokens), ("token_ratio", token_ratio)] {
                if !(value > 0.0 && value <= 1e9) {
                    c.fail(
                        &path.key(field),
                        format!("must be a number above 0 (got {value})"),
                    );
                }
            }
            Some(RetryBudget::Tokens {
                max_tokens,
                token_ratio,
            })
        }
        (None, None, true) => {
            let percent = raw.budget_percent.unwrap_or(20.0);
            if !(percent > 0.0 && percent <= 100.0) {
                c.fail(
                    &path.key("budget_percent"),
                    format!("must be a percentage above 0 and at most 100 (got {percent})"),
                );
            }
            Some(RetryBudget::Concurrency {
                percent: percent / 100.0,
                min_concurrency: raw.min_retry_concurrency.unwrap_or(3),
            })
        }
        _ => {
            c.fail(
                path,
                "expected gRPC's retry throttling { max_tokens, token_ratio } or Envoy's retry budget { budget_percent, min_retry_concurrency }, not a mix",
            );
            None
        }
    }
}

/// A circuit breaker at `path`: Resilience4j's defaults where a field is
/// left out.
fn breaker(c: &mut Checker<'_>, path: &FieldPath, raw: &RawBreaker) -> BreakerSpec {
    let d = BreakerSpec::default();
    let mut rate = |field: &str, value: Option<f64>, default: f64| {
        let v = value.unwrap_or(default);
        if !(v > 0.0 && v <= 1.0) {
            c.fail(
                &path.key(field),
                format!("must be a share above 0 and at most 1 (got {v})"),
            );
        }
        v
    };
    let failure_rate = rate("failure_rate", raw.failure_rate, d.failure_rate);
    let slow_call_rate = rate("slow_call_rate", raw.slow_call_rate, d.slow_call_rate);
    let count = |c: &mut Checker<'_>, field: &str, value: Option<u32>, default: u32| {
        let v = value.unwrap_or(default);
        if v == 0 || v > 1_000_000 {
            c.fail(
                &path.key(field),
                format!("must be a count from 1 to 1000000 (got {v})"),
            );
        }
        v
    };
    let span = |c: &mut Checker<'_>, field: &str, value: Option<Dur>, default: SimDuration| {
        let v = value.map_or(default, |d| d.0);
        if v == SimDuration::ZERO {
            c.fail(&path.key(field), "must be longer than 0s (got 0s)");
        }
        v
    };
    let window = match raw.window {
        None => d.window,
        Some(RawWindow::Calls(n)) => {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            Window::Calls(count(c, "window", Some(n), 100))
        }
        Some(RawWindow::Span(d)) => Window::Span(span(c, "window", Some(d), d.0)),
    };
    let consecutive_failures = raw.consecutive_failures.unwrap_or(0);
    let minimum_calls = count(c, "minimum_calls", raw.minimum_calls, d.minimum_calls);
    let half_open_calls = count(c, "half_open_calls", raw.half_open_calls, d.half_open_calls);
    BreakerSpec {
        failure_rate,
        slow_call_rate,
        slow_call: span(c, "slow_call", raw.slow_call, d.slow_call),
        window,
        consecutive_failures,
        minimum_calls,
        open_for: span(c, "open_for", raw.open_for, d.open_for),
        half_open_calls,
        fallback: match raw.fallback {
            RawFallback::Fail => Fallback::Fail,
            RawFallback::Degraded => Fallback::Degraded,
        },
    }
}

/// Hedged attempts at `path`: a fixed delay or a quantile, not both.
fn hedge(c: &mut Checker<'_>, path: &FieldPath, raw: &RawHedge) -> Option<HedgeSpec> {
    if !(2..=10).contains(&raw.max_attempts) {
        c.fail(
            &path.key("max_attempts"),
            format!(
                "must be from 2 to 10, the first attempt included (got {}); gRPC caps it at 5 by default",
                raw.max_attempts
            ),
        );
        return None;
    }
    let delay = match (raw.delay, raw.quantile) {
        (Some(d), None) if d.0 == SimDuration::ZERO => {
            c.fail(
                &path.key("delay"),
                "must be longer than 0s (got 0s): a hedge sent at once is a second request",
            );
            return None;
        }
        (Some(d), None) => HedgeDelay::Fixed(d.0),
        (None, Some(q)) if q > 0.0 && q < 1.0 => HedgeDelay::Quantile(q),
        (None, Some(q)) => {
            c.fail(
                &path.key("quantile"),
                format!("must be a share strictly between 0 and 1, such as 0.95 (got {q})"),
            );
            return None;
        }
        _ => {
            c.fail(
                path,
                "needs exactly one of `delay` (such as \"50ms\") or `quantile` (such as 0.95)",
            );
            return None;
        }
    };
    Some(HedgeSpec {
        max_attempts: raw.max_attempts,
        delay,
    })
}
