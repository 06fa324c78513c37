//! Validation of an architecture's links: what a group publishes onward,
//! and the checks that need the whole graph (every topic read, every link
//! into a topic whose policy a service can obey).

use super::{Checker, dist, topic_index};
use crate::model::group::GroupSpec;
use crate::model::link::{ChildKey, PublishSpec};
use crate::model::producer::ProducerSpec;
use crate::model::topic::{TopicSpec, WhenFull};
use crate::scenario::path::FieldPath;
use crate::scenario::raw::{RawChildKey, RawPublish};

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

/// Checks that need the whole graph (`graph`: the file names its topics):
/// every topic is read by a group, and
/// a topic a group publishes to admits a service's publish at once (a
/// service's publish into a blocking topic, or one with a publish latency,
/// would hold its worker: not modelled yet, so refused here).
pub(super) fn check(
    c: &mut Checker<'_>,
    graph: bool,
    topics: &[TopicSpec],
    groups: &[GroupSpec],
    producers: &[ProducerSpec],
) {
    let root = FieldPath::root();
    let place = |t: &TopicSpec| {
        if graph {
            root.key("topics").key(&t.name)
        } else {
            root.key("topic")
        }
    };
    for (t, topic) in topics.iter().enumerate() {
        if !groups.iter().any(|g| g.topic == t) {
            let fed = producers.iter().any(|p| p.topic == t)
                || groups
                    .iter()
                    .any(|g| g.publish.iter().any(|l| l.topic == t));
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
    for g in groups {
        for (i, link) in g.publish.iter().enumerate() {
            let path = root.key("groups").key(&g.name).key("publish").index(i);
            let target = &topics[link.topic];
            if target.policy.when_full() == WhenFull::Wait {
                c.fail(
                    &path.key("topic"),
                    format!(
                        "topic {:?} blocks publishes when full, which would hold group {:?}'s worker until there is room: not modelled yet; give the topic policy \"reject\" (the delivery fails and is redelivered) or \"drop_oldest\"",
                        target.name, g.name
                    ),
                );
            }
            if target.publish_latency.is_some() {
                c.fail(
                    &path.key("topic"),
                    format!(
                        "topic {:?} has a publish_latency, which would hold group {:?}'s worker until the publish is acknowledged: not modelled yet; leave the topic's publish_latency out (add the time to the group's service time)",
                        target.name, g.name
                    ),
                );
            }
        }
    }
}
