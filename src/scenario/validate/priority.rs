//! Validation of priorities: a topic's `max_priority` (RabbitMQ's
//! `x-max-priority`), what its readers may be, and a producer's
//! `priority` or `priorities`.

use super::Checker;
use crate::model::producer::Priorities;
use crate::model::topic::TopicSpec;
use crate::scenario::path::FieldPath;
use crate::scenario::raw::{RawAcceptQueue, RawConsumption, RawGroup, RawProducer, RawTopic};

/// Highest `max_priority` (RabbitMQ allows 1 to 255).
const MAX_PRIORITY: u32 = 255;

/// A topic's priority levels at `path`: `Some(max)` for a priority queue,
/// which has no partitions (its buffers keep one lane per priority).
pub(super) fn max_priority(c: &mut Checker<'_>, path: &FieldPath, raw: &RawTopic) -> Option<u8> {
    let max = raw.max_priority?;
    if !(1..=MAX_PRIORITY).contains(&max) {
        c.fail(
            &path.key("max_priority"),
            format!("must be between 1 and {MAX_PRIORITY}, as RabbitMQ's x-max-priority (got {max}); RabbitMQ recommends a few levels"),
        );
        return None;
    }
    if raw.partitions > 1 {
        c.fail(
            &path.key("max_priority"),
            format!("a priority queue has no partitions (got partitions = {}): leave out one or the other", raw.partitions),
        );
        return None;
    }
    u8::try_from(max).ok()
}

/// A group reading priority topic `topic` (at `path`): its workers take
/// the highest priority first, so it consumes as competing consumers.
pub(super) fn reader(c: &mut Checker<'_>, path: &FieldPath, raw: &RawGroup, topic: &TopicSpec) {
    if topic.max_priority.is_none() {
        return;
    }
    let what = format!("topic {:?} is a priority queue (max_priority)", topic.name);
    if raw.consumption != RawConsumption::Competing {
        c.fail(
            &path.key("consumption"),
            format!("must be \"competing\": {what}, whose workers take the highest priority first"),
        );
    }
    if raw.partition_max_rate_per_s.is_some() {
        c.fail(
            &path.key("partition_max_rate_per_s"),
            format!("does not apply: {what}, which has no partitions"),
        );
    }
    if raw.key_max_rate_per_s.is_some() {
        c.fail(
            &path.key("key_max_rate_per_s"),
            format!("cannot be set: {what}, whose workers take the highest priority first (a key held back would be released out of priority order)"),
        );
    }
}

/// A producer's priorities at `path`: one for all its messages, or shares
/// (at most 1 in all; the rest has priority 0). A priority above a
/// topic's maximum is treated as the maximum, as RabbitMQ does.
pub(super) fn producer(c: &mut Checker<'_>, path: &FieldPath, raw: &RawProducer) -> Priorities {
    let level = |c: &mut Checker<'_>, at: &FieldPath, p: u32| {
        if p > MAX_PRIORITY {
            c.fail(
                at,
                format!("must be between 0 and {MAX_PRIORITY} (got {p})"),
            );
        }
        p.min(MAX_PRIORITY) as u8
    };
    if raw.priorities.is_empty() {
        let at = path.key("priority");
        return Priorities::Fixed(raw.priority.map_or(0, |p| level(c, &at, p)));
    }
    if raw.priority.is_some() {
        c.fail(
            &path.key("priority"),
            "give one `priority` for every message or `priorities` by share, not both",
        );
    }
    let mut upto = 0.0;
    let mut shares = Vec::new();
    for (i, s) in raw.priorities.iter().enumerate() {
        let at = path.key("priorities").index(i);
        if !(s.share > 0.0 && s.share <= 1.0) {
            c.fail(
                &at.key("share"),
                format!("must be a share above 0 and at most 1 (got {})", s.share),
            );
        }
        upto += s.share;
        shares.push((upto, level(c, &at.key("priority"), s.priority)));
    }
    if upto > 1.0 + 1e-9 {
        c.fail(
            &path.key("priorities"),
            format!("shares must add up to at most 1 (got {upto}); the rest has priority 0"),
        );
    }
    Priorities::Shares(shares)
}

/// A called service's priority levels (`accept_queue.max_priority` at
/// `path`).
pub(super) fn accept_queue(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: &RawAcceptQueue,
) -> Option<u8> {
    let max = raw.max_priority?;
    if !(1..=MAX_PRIORITY).contains(&max) {
        c.fail(
            &path.key("max_priority"),
            format!("must be between 1 and {MAX_PRIORITY} (got {max})"),
        );
        return None;
    }
    u8::try_from(max).ok()
}
