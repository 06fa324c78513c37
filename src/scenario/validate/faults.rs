//! Validation of delivery semantics and faults: acks, redelivery,
//! dead-lettering, consumer failures and outages, producer faults.

use super::{Checker, dist};
use crate::engine::{SimDuration, SimTime};
use crate::model::backoff::Backoff;
use crate::model::group::{Brownout, GroupFaults};
use crate::model::producer::ProducerFaults;
use crate::model::topic::{DeliveryMode, DeliverySpec, Requeue};
use crate::scenario::path::FieldPath;
use crate::scenario::raw::*;

/// The topic's delivery settings.
pub(super) fn delivery(c: &mut Checker<'_>, path: &FieldPath, raw: &RawTopic) -> DeliverySpec {
    if raw.ack_timeout == Some(super::Dur(SimDuration::ZERO)) {
        c.fail(
            &path.key("ack_timeout"),
            "must be longer than 0s (got 0s); leave it out for no timeout",
        );
    }
    if let Some(m) = raw.max_deliveries
        && !(1..=u32::from(u16::MAX)).contains(&m)
    {
        c.fail(
            &path.key("max_deliveries"),
            format!("must be between 1 and 65535 (got {m})"),
        );
    }
    let redelivery_backoff = raw
        .redelivery_backoff
        .as_ref()
        .and_then(|b| backoff(c, &path.key("redelivery_backoff"), b))
        .unwrap_or(Backoff::NONE);
    DeliverySpec {
        mode: match raw.delivery {
            RawDeliveryMode::AtLeastOnce => DeliveryMode::AtLeastOnce,
            RawDeliveryMode::AtMostOnce => DeliveryMode::AtMostOnce,
        },
        ack_timeout: raw.ack_timeout.map(|d| d.0),
        redelivery_backoff,
        requeue: match raw.requeue {
            RawRequeue::Head => Requeue::Head,
            RawRequeue::Tail => Requeue::Tail,
        },
        max_deliveries: raw.max_deliveries,
        dlq: raw.dlq,
        ttl_dead_letter: raw.ttl_action == RawTtlAction::DeadLetter,
    }
}

/// A backoff policy.
pub(super) fn backoff(c: &mut Checker<'_>, path: &FieldPath, raw: &RawBackoff) -> Option<Backoff> {
    match raw {
        RawBackoff::Fixed { delay } => Some(Backoff::Fixed(delay.0)),
        RawBackoff::Exponential {
            initial,
            multiplier,
            max,
            jitter,
        } => {
            let result = Backoff::exponential(initial.0, *multiplier, max.0, *jitter);
            c.param(&path.key("exponential"), result)
        }
    }
}

/// A value that must be a probability.
fn probability(c: &mut Checker<'_>, path: &FieldPath, value: f64) -> f64 {
    if !(0.0..=1.0).contains(&value) {
        c.fail(path, format!("must be between 0 and 1 (got {value})"));
    }
    value
}

/// A consumer group's faults.
pub(super) fn group_faults(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: &RawGroup,
) -> Option<GroupFaults> {
    let failure_probability =
        probability(c, &path.key("failure_probability"), raw.failure_probability);
    if failure_probability == 1.0 {
        c.fail(&path.key("failure_probability"), "must be below 1 (got 1): nothing would ever be processed; use poison_share for messages that always fail");
    }
    let poison_share = probability(c, &path.key("poison_share"), raw.poison_share);
    let crash_after_side_effect = probability(
        c,
        &path.key("crash_after_side_effect"),
        raw.crash_after_side_effect,
    );
    if raw.processing_timeout == Some(super::Dur(SimDuration::ZERO)) {
        c.fail(
            &path.key("processing_timeout"),
            "must be longer than 0s (got 0s)",
        );
    }
    if raw.dedup_window == Some(super::Dur(SimDuration::ZERO)) {
        c.fail(
            &path.key("dedup_window"),
            "must be longer than 0s (got 0s); leave it out for a consumer that is not idempotent",
        );
    }
    let mut outages = Vec::new();
    for (i, o) in raw.outages.iter().enumerate() {
        if o.end <= o.start {
            c.fail(
                &path.key("outages").index(i).key("end"),
                format!("must be after start {} (got {})", o.start, o.end),
            );
        }
        outages.push((SimTime::ZERO + o.start.0, SimTime::ZERO + o.end.0));
    }
    let brownouts = brownouts(c, &path.key("brownouts"), &raw.brownouts);
    let crash = match &raw.crash {
        Some(crash) => {
            let p = path.key("crash");
            let mtbf = dist(c, &p.key("mtbf"), &crash.mtbf);
            let mttr = dist(c, &p.key("mttr"), &crash.mttr);
            if mtbf.as_ref().is_some_and(|d| d.mean() <= 0.0) {
                c.fail(&p.key("mtbf"), "must have a mean above 0s");
            }
            Some((mtbf?, mttr?))
        }
        None => None,
    };
    Some(GroupFaults {
        failure_probability,
        poison_share,
        processing_timeout: raw.processing_timeout.map(|d| d.0),
        outages,
        crash,
        crash_after_side_effect,
        dedup_window: raw.dedup_window.map(|d| d.0),
        brownouts,
    })
}

/// A producer's faults and retry policy.
pub(super) fn producer_faults(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: &RawProducer,
) -> Option<ProducerFaults> {
    let ack_loss = probability(c, &path.key("ack_loss"), raw.ack_loss);
    let defaults = ProducerFaults::default();
    let ack_timeout = raw.ack_timeout.map_or(defaults.ack_timeout, |d| d.0);
    if ack_timeout == SimDuration::ZERO {
        c.fail(&path.key("ack_timeout"), "must be longer than 0s (got 0s)");
    }
    let (retry_attempts, retry_backoff) = match &raw.retry {
        Some(r) => {
            let b = r
                .backoff
                .as_ref()
                .map(|b| backoff(c, &path.key("retry").key("backoff"), b));
            (r.attempts, b.flatten().unwrap_or(Backoff::NONE))
        }
        None => (0, Backoff::NONE),
    };
    let crashes = raw
        .crashes
        .iter()
        .map(|k| (SimTime::ZERO + k.at.0, k.down.0))
        .collect();
    let acks = raw.acks.unwrap_or(true);
    if !acks {
        // Nothing comes back to a fire-and-forget publisher to act on.
        for (field, set) in [
            ("retry", raw.retry.is_some()),
            ("ack_loss", raw.ack_loss > 0.0),
            ("idempotent", raw.idempotent),
        ] {
            if set {
                c.fail(
                    &path.key(field),
                    "has no effect with `acks = false`: a fire-and-forget publisher hears nothing back",
                );
            }
        }
    }
    Some(ProducerFaults {
        acks,
        ack_loss,
        ack_timeout,
        idempotent: raw.idempotent,
        retry_attempts,
        retry_backoff,
        crashes,
        poison: raw.poison,
    })
}

/// Largest brownout latency factor.
const MAX_LATENCY_FACTOR: f64 = 1_000.0;

/// A service's brownouts at `path`: each a window with a latency factor and
/// an extra failure probability, in time order, not overlapping.
fn brownouts(c: &mut Checker<'_>, path: &FieldPath, raw: &[RawBrownout]) -> Vec<Brownout> {
    let mut out: Vec<Brownout> = Vec::new();
    for (i, b) in raw.iter().enumerate() {
        let at = path.index(i);
        if b.end <= b.start {
            c.fail(
                &at.key("end"),
                format!("must be after start {} (got {})", b.start, b.end),
            );
        }
        if !(b.latency_factor > 0.0 && b.latency_factor <= MAX_LATENCY_FACTOR) {
            c.fail(
                &at.key("latency_factor"),
                format!(
                    "must be above 0 and at most {MAX_LATENCY_FACTOR} (got {})",
                    b.latency_factor
                ),
            );
        }
        if !(0.0..=1.0).contains(&b.failure_probability) {
            c.fail(
                &at.key("failure_probability"),
                format!("must be between 0 and 1 (got {})", b.failure_probability),
            );
        }
        let brownout = Brownout {
            start: SimTime::ZERO + b.start.0,
            end: SimTime::ZERO + b.end.0,
            latency_factor: b.latency_factor,
            failure_probability: b.failure_probability,
        };
        if let Some(last) = out.last()
            && brownout.start < last.end
        {
            c.fail(
                &at.key("start"),
                format!(
                    "brownouts must be in time order without overlapping: this one starts at {} before the previous one ends",
                    b.start
                ),
            );
        }
        out.push(brownout);
    }
    out
}
