//! Sync mode of an architecture: the graph rewritten so that every topic
//! edge is a direct call (DESIGN.md §2, "Sync mode"). A producer that
//! published to a topic calls the topic's reader; a group that published
//! calls the readers of that topic (once per child, with the link's
//! probability); a topic with several readers becomes a service of its
//! own that does no work and calls each reader in turn (the fan-out a
//! direct design does in code). Each such call has `[sync]`'s timeout and
//! retries. What only a topic's consumers have (partitions, polling, rate
//! caps, dedup windows, crashes after the side effect) does not apply to
//! a service called directly and is left out; failures, crashes, outages,
//! brownouts and autoscaling stay. A file of one topic read by one group
//! keeps sync mode's own form (the producers call the group).

use super::Dur;
use super::raw::{RawAcceptQueue, RawCall, RawConsumption, RawGroup, RawMode, RawScenario};
use std::collections::{BTreeMap, BTreeSet};

/// Workers of a topic turned into a fan-out service: enough that it
/// never queues (it does no work of its own).
const FAN_OUT_WORKERS: u32 = 100_000;

/// Whether `raw` in sync mode is an architecture to rewrite: it names
/// topics, links its groups, has producers that call, or has a topic read
/// by several groups.
pub(super) fn is_graph(raw: &RawScenario) -> bool {
    raw.mode == RawMode::Sync
        && (!raw.topics.is_empty()
            || raw.groups.len() > 1
            || raw
                .groups
                .values()
                .any(|g| !g.publish.is_empty() || !g.call.is_empty())
            || raw.producers.values().any(|p| p.call.is_some())
            // Sync mode's own form has no call links to report these on.
            || raw.sync.breaker.is_some()
            || raw.sync.hedge.is_some()
            || raw.sync.propagate_deadline)
}

/// Sync mode: every group that reads a topic (and so is called in sync
/// mode) without an accept queue of its own takes `[sync]`'s, and one
/// that reads a priority queue takes its priorities. Queued mode:
/// unchanged.
pub(super) fn sync_downstreams(mut raw: RawScenario) -> RawScenario {
    if raw.mode != RawMode::Sync {
        return raw;
    }
    let called: BTreeSet<String> = raw.called_services().into_iter().cloned().collect();
    let only = (raw.topics.len() == 1)
        .then(|| raw.topics.values().next())
        .flatten();
    let max_priority: BTreeMap<String, Option<u32>> = (raw.groups.iter())
        .map(|(name, g)| {
            let topic = match &g.topic {
                Some(t) => raw.topics.get(t),
                None => only,
            };
            let max = match topic {
                Some(t) => t.max_priority,
                None => raw.topic.as_ref().and_then(|t| t.max_priority),
            };
            (name.clone(), max)
        })
        .collect();
    for (name, g) in raw.groups.iter_mut() {
        if called.contains(name) {
            continue;
        }
        if g.accept_queue.is_none() {
            g.accept_queue.clone_from(&raw.sync.accept_queue);
        }
        // An invalid maximum is reported once, at the topic.
        let valid = |m: &u32| (1..=255).contains(m);
        if let Some(max) = max_priority.get(name).copied().flatten().filter(valid) {
            let queue = g.accept_queue.get_or_insert_with(RawAcceptQueue::default);
            queue.max_priority = queue.max_priority.or(Some(max));
        }
    }
    raw
}

/// The groups that read a topic lose their accept queue: `raw` validated
/// as the queued architecture it is written as, where each reads a topic.
pub(super) fn without_reader_accept_queues(mut raw: RawScenario) -> RawScenario {
    let called: BTreeSet<String> = raw.called_services().into_iter().cloned().collect();
    for (name, g) in raw.groups.iter_mut() {
        if !called.contains(name) {
            g.accept_queue = None;
        }
    }
    raw
}

/// `raw` (a valid architecture) with every topic edge replaced by a call;
/// still in sync mode, so that rewriting it again changes nothing.
pub(super) fn rewrite(raw: &RawScenario) -> RawScenario {
    let mut out = raw.clone();
    let called = raw.called_services();
    // Topic names: a single-topic file's one topic by its name.
    let names: Vec<String> = if raw.topics.is_empty() {
        vec![raw.topic.clone().unwrap_or_default().name]
    } else {
        raw.topics.keys().cloned().collect()
    };
    let only = (names.len() == 1).then(|| names[0].clone());
    let topic_of = |named: &Option<String>| named.clone().or_else(|| only.clone());
    let mut readers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, g) in &raw.groups {
        if let (false, Some(t)) = (called.contains(&name), topic_of(&g.topic)) {
            readers.entry(t).or_default().push(name.clone());
        }
    }
    let call = |service: &str, probability: f64| RawCall {
        service: service.to_owned(),
        probability,
        timeout: raw.sync.timeout,
        retry: raw.sync.retry.clone(),
        patience: raw.sync.patience.clone(),
        pool: None,
        retry_budget: raw.sync.retry_budget.clone(),
        breaker: raw.sync.breaker.clone(),
        hedge: raw.sync.hedge.clone(),
        propagate_deadline: raw.sync.propagate_deadline,
    };
    // Where a call to each topic goes: its one reader, or a fan-out
    // service named after the topic (after `-topic` if a group has the
    // name).
    let mut entry: BTreeMap<String, String> = BTreeMap::new();
    for (t, rs) in &readers {
        if let [one] = rs.as_slice() {
            entry.insert(t.clone(), one.clone());
            continue;
        }
        let name = if raw.groups.contains_key(t) {
            format!("{t}-topic")
        } else {
            t.clone()
        };
        let fan_out = fan_out_service(rs.iter().map(|r| call(r, 1.0)).collect());
        out.groups.insert(name.clone(), fan_out);
        entry.insert(t.clone(), name);
    }
    for p in out.producers.values_mut() {
        if p.call.is_some() {
            continue;
        }
        if let Some(service) = topic_of(&p.topic).and_then(|t| entry.get(&t)) {
            p.call = Some(call(service, 1.0));
        }
        // A publish's settings: the call's timeout and retries replace them.
        p.topic = None;
        p.retry = None;
        p.ack_loss = 0.0;
        p.ack_timeout = None;
        p.idempotent = false;
    }
    for (name, g) in out.groups.iter_mut() {
        // Every publish (of a reader or of a called service) is a call.
        for link in std::mem::take(&mut g.publish) {
            if let Some(service) = entry.get(&link.topic) {
                for _ in 0..link.count {
                    g.call.push(call(service, link.probability));
                }
            }
        }
        if !readers.values().flatten().any(|r| r == name) {
            continue;
        }
        g.topic = None;
        g.consumption = RawConsumption::Competing;
        g.poll_interval = Dur::default();
        g.rebalance_pause = Dur::default();
        g.max_rate_per_s = None;
        g.partition_max_rate_per_s = None;
        g.key_max_rate_per_s = None;
        g.dedup_window = None;
        g.crash_after_side_effect = 0.0;
        g.delivery_overhead = None;
        g.fetch_overhead = None;
        g.prefetch = None;
    }
    out.topics = BTreeMap::new();
    out.topic = None;
    out
}

/// A service that does no work and calls `calls` in turn.
fn fan_out_service(calls: Vec<RawCall>) -> RawGroup {
    let value = serde_json::json!({
        "workers": FAN_OUT_WORKERS,
        "service": { "constant": { "value": "0s" } },
    });
    let mut group: RawGroup = serde_json::from_value(value).expect("a literal group that decodes");
    group.call = calls;
    group
}
