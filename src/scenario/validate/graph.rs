//! Validation of an architecture's links: what a group publishes onward,
//! the services it calls, and the checks that need the whole graph (every
//! topic read, every link into a topic whose policy a service can obey,
//! no cycle of direct calls).

use super::{Checker, dist, topic_index};
use crate::engine::SimDuration;
use crate::model::group::GroupSpec;
use crate::model::link::{CallLinkSpec, ChildKey, PublishSpec};
use crate::model::producer::ProducerSpec;
use crate::model::topic::TopicSpec;
use crate::scenario::path::FieldPath;
use crate::scenario::raw::{
    RawCall, RawChildKey, RawConsumption, RawGroup, RawProducer, RawPublish,
};

/// Most call links out of one group.
pub(super) const MAX_CALLS: usize = 100;

/// Most children one processed message may publish on one link.
const MAX_CHILDREN: u32 = 1_000;

/// One `publish` link of a group, at `path`.
pub(super) fn publish(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: &RawPublish,
    topics: &[String],
) -> Option<PublishSpec> {
    let topic = topic_index(
        c,
        &path.key("topic"),
        Some(&raw.topic),
        topics,
        "publishes to",
    );
    if raw.count == 0 || raw.count > MAX_CHILDREN {
        c.fail(
            &path.key("count"),
            format!("must be between 1 and {MAX_CHILDREN} (got {})", raw.count),
        );
    }
    if !(0.0..=1.0).contains(&raw.probability) {
        c.fail(
            &path.key("probability"),
            format!("must be between 0 and 1 (got {})", raw.probability),
        );
    }
    let key = match raw.key {
        RawChildKey::Keep => ChildKey::Keep,
        RawChildKey::Uniform { n: 0 } => {
            c.fail(
                &path.key("key").key("uniform").key("n"),
                "must be at least 1 (got 0)",
            );
            ChildKey::Keep
        }
        RawChildKey::Uniform { n } => ChildKey::Uniform(n),
    };
    let size = match &raw.size {
        Some(d) => {
            let size = dist(c, &path.key("size"), d)?;
            if size.mean() > f64::from(u32::MAX) {
                c.fail(
                    &path.key("size"),
                    format!(
                        "messages must be under 4 GiB (got a mean of {} bytes)",
                        size.mean()
                    ),
                );
            }
            Some(size)
        }
        None => None,
    };
    Some(PublishSpec {
        topic: topic?,
        count: raw.count,
        probability: raw.probability,
        key,
        size,
    })
}

/// One `call` link of a group, at `path`: `services` are the names of the
/// groups called directly, sorted (their index is the service's).
pub(super) fn call(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: &RawCall,
    services: &[&String],
) -> Option<CallLinkSpec> {
    if !(0.0..=1.0).contains(&raw.probability) {
        c.fail(
            &path.key("probability"),
            format!("must be between 0 and 1 (got {})", raw.probability),
        );
    }
    let spec = super::calls::call_spec(c, path, raw.policy());
    // A name that is no group is reported once, by `check_called`.
    let service = services.iter().position(|s| **s == raw.service)?;
    Some(CallLinkSpec {
        service,
        probability: raw.probability,
        call: spec,
    })
}

/// A producer with a `call` link uses only what a caller has: no topic,
/// and none of the settings of a publish (its retries are the call's).
pub(super) fn producer_call(c: &mut Checker<'_>, path: &FieldPath, raw: &RawProducer) {
    let calls = "it calls a service directly (`call`)";
    if raw.topic.is_some() {
        c.fail(
            &path.key("topic"),
            format!("{calls}, so it publishes to no topic: give it `topic` or `call`, not both"),
        );
    }
    let publish_only: [(&str, bool, &str); 4] = [
        (
            "retry",
            raw.retry.is_some(),
            "give the call its `retry` instead",
        ),
        ("ack_loss", raw.ack_loss != 0.0, "remove it"),
        (
            "ack_timeout",
            raw.ack_timeout.is_some(),
            "the call's `timeout` is its patience",
        ),
        ("idempotent", raw.idempotent, "remove it"),
    ];
    for (field, set, instead) in publish_only {
        if set {
            c.fail(
                &path.key(field),
                format!("{calls}; `{field}` is a setting of a publish: {instead}"),
            );
        }
    }
    // A probability outside [0, 1] is reported by `call`.
    if let Some(link) = &raw.call
        && link.probability != 1.0
        && (0.0..=1.0).contains(&link.probability)
    {
        c.fail(
            &path.key("call").key("probability"),
            format!(
                "every message of a producer that calls is a request (got {}): leave `probability` out, or give the requests that call a producer of their own",
                link.probability
            ),
        );
    }
}

/// Every call link names a group, and a group called directly uses only
/// what a called service has: no topic, none of the settings of a
/// topic's consumers. A producer and a group that call the same service
/// have different names (the call link is named after its caller).
pub(super) fn check_called(
    c: &mut Checker<'_>,
    groups: &std::collections::BTreeMap<String, RawGroup>,
    producers: &std::collections::BTreeMap<String, RawProducer>,
    called: &std::collections::BTreeSet<&String>,
) {
    let root = FieldPath::root().key("groups");
    let known: Vec<&String> = groups.keys().collect();
    let missing = |service: &String| {
        format!(
            "no group is named {service:?} (groups: {known:?}); a call names the group it calls"
        )
    };
    for (name, group) in groups {
        for (i, link) in group.call.iter().enumerate() {
            if !groups.contains_key(&link.service) {
                let path = root.key(name).key("call").index(i).key("service");
                c.fail(&path, missing(&link.service));
            }
        }
    }
    for (name, producer) in producers {
        let Some(link) = &producer.call else {
            continue;
        };
        let path = FieldPath::root().key("producers").key(name).key("call");
        if !groups.contains_key(&link.service) {
            c.fail(&path.key("service"), missing(&link.service));
        }
        let twin = groups
            .get(name.as_str())
            .filter(|g| (g.call.iter()).any(|l| l.service == link.service));
        if twin.is_some() {
            c.fail(
                &FieldPath::root().key("producers").key(name),
                format!(
                    "producer {name:?} and group {name:?} both call {:?}, and call links are named after their caller (calls.{name}.{}): rename one",
                    link.service, link.service
                ),
            );
        }
    }
    for name in called {
        let Some(g) = groups.get(*name) else {
            continue;
        };
        let path = root.key(name);
        let by_group = (groups.iter())
            .find(|(_, other)| other.call.iter().any(|l| l.service == **name))
            .map(|(n, _)| format!("group {n:?}"));
        let by_producer = || {
            (producers.iter())
                .find(|(_, p)| p.call.as_ref().is_some_and(|l| l.service == **name))
                .map(|(n, _)| format!("producer {n:?}"))
        };
        let caller = by_group.or_else(by_producer).unwrap_or_default();
        let called_by = format!("group {name:?} is called directly (by {caller})");
        if g.topic.is_some() {
            c.fail(
                &path.key("topic"),
                format!("{called_by}, so it reads no topic: remove `topic`, or read the topic in another group"),
            );
        }
        let reader_only: [(&str, bool); 8] = [
            ("consumption", g.consumption != RawConsumption::Competing),
            ("poll_interval", g.poll_interval.0 != SimDuration::ZERO),
            ("rebalance_pause", g.rebalance_pause.0 != SimDuration::ZERO),
            ("max_rate_per_s", g.max_rate_per_s.is_some()),
            (
                "partition_max_rate_per_s",
                g.partition_max_rate_per_s.is_some(),
            ),
            ("key_max_rate_per_s", g.key_max_rate_per_s.is_some()),
            ("dedup_window", g.dedup_window.is_some()),
            ("crash_after_side_effect", g.crash_after_side_effect != 0.0),
        ];
        for (field, set) in reader_only {
            if set {
                c.fail(
                    &path.key(field),
                    format!(
                        "{called_by}; `{field}` is a setting of a topic's consumers: remove it"
                    ),
                );
            }
        }
    }
}

/// Refuses a cycle of direct calls among `services` (each waits for the
/// next, and the last for the first: a deadlock once the pools fill).
pub(super) fn check_call_cycles(c: &mut Checker<'_>, services: &[GroupSpec]) {
    // Depth-first search: 0 unseen, 1 on the stack, 2 done.
    fn visit(s: usize, services: &[GroupSpec], state: &mut [u8], stack: &mut Vec<usize>) -> bool {
        state[s] = 1;
        stack.push(s);
        for link in &services[s].calls {
            let seen = state[link.service];
            if seen == 1 {
                stack.push(link.service);
                return true;
            }
            if seen == 0 && visit(link.service, services, state, stack) {
                return true;
            }
        }
        stack.pop();
        state[s] = 2;
        false
    }
    let mut state = vec![0u8; services.len()];
    for s in 0..services.len() {
        let mut stack = Vec::new();
        if state[s] == 0 && visit(s, services, &mut state, &mut stack) {
            let last = stack[stack.len() - 1];
            let first = stack.iter().position(|&x| x == last).unwrap_or(0);
            let names: Vec<&str> = (stack[first..].iter())
                .map(|&x| services[x].name.as_str())
                .collect();
            let from = &services[stack[stack.len() - 2]];
            let i = (from.calls.iter())
                .position(|l| l.service == last)
                .unwrap_or(0);
            c.fail(
                &FieldPath::root()
                    .key("groups")
                    .key(&from.name)
                    .key("call")
                    .index(i)
                    .key("service"),
                format!(
                    "a cycle of direct calls ({}) deadlocks: each caller holds its worker until the next answers; break the cycle, or publish to a topic on one of its links",
                    names.join(" → ")
                ),
            );
            return;
        }
    }
}

/// Checks that need the whole graph (`graph`: the file names its topics):
/// every topic is read by a group (and the one topic of a file whose
/// producers all call is not read).
pub(super) fn check(
    c: &mut Checker<'_>,
    graph: bool,
    topics: &[TopicSpec],
    services: (&[GroupSpec], &[GroupSpec]),
    producers: &[ProducerSpec],
) {
    let (groups, called) = services;
    let root = FieldPath::root();
    let place = |t: &TopicSpec| {
        if graph {
            root.key("topics").key(&t.name)
        } else {
            root.key("topic")
        }
    };
    for (t, topic) in topics.iter().enumerate() {
        let fed = producers.iter().any(|p| p.publishes_to(t))
            || (groups.iter().chain(called)).any(|g| g.publish.iter().any(|l| l.topic == t));
        // (A named topic may be read before anything feeds it: a graph
        // in the making; the one topic of a file whose producers all call
        // is a mistake.)
        if let Some(reader) = groups.iter().find(|g| g.topic == t && !fed && !graph) {
            c.fail(
                &root.key("groups").key(&reader.name).key("topic"),
                format!(
                    "group {:?} reads topic {:?}, which nothing publishes to (every producer calls a service): give a producer `topic = {:?}`, or remove the group",
                    reader.name, topic.name, topic.name
                ),
            );
        }
        if !groups.iter().any(|g| g.topic == t) {
            if !fed && !graph {
                // Every producer calls: the one topic of a single-topic
                // file goes unused.
                continue;
            }
            let why = if fed {
                "messages published to it would go nowhere"
            } else {
                "nothing publishes to it either"
            };
            c.fail(
                &place(topic),
                format!(
                    "no group reads topic {:?} ({why}): give a group `topic = {:?}`, or remove the topic",
                    topic.name, topic.name
                ),
            );
        }
    }
}
