//! Publish links: each group's and called service's links, their random draws (whether a
//! processed message publishes, the children's keys and sizes) and their
//! counts, which conservation checks per link: every child sent lands
//! once, accepted by the topic or refused.

use crate::engine::{RngStream, StreamId};
use crate::model::link::{ChildKey, PublishSpec};
use crate::model::message::Message;
use crate::model::system::System;
use crate::model::topic::WhenFull;
use rand::RngExt;

/// The counts of one link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct LinkCounts {
    /// Children published on it.
    pub sent: u64,
    /// Children the topic accepted.
    pub accepted: u64,
    /// Children the topic refused (full, or larger than a buffer holds).
    pub refused: u64,
}

/// One link's draws and counts.
pub(super) struct LinkState {
    rng: RngStream,
    pub counts: LinkCounts,
}

/// Every group's links, then every called service's, by group (or
/// service, past the groups) then by link.
pub(super) struct Links {
    pub per_group: Vec<Vec<LinkState>>,
    /// Per group (then service): some link goes to a topic that may hold
    /// a child (a publish latency, or a policy that blocks when full), so
    /// a processing may wait for its publishes.
    pub may_hold: Vec<bool>,
}

impl Links {
    /// The links of `system`'s groups and services at the start of
    /// `replication`.
    pub(super) fn new(system: &System, replication: u64) -> Links {
        let per_group = (system.groups.iter().chain(&system.services))
            .map(|g| {
                (g.publish.iter().enumerate())
                    .map(|(i, _)| LinkState {
                        rng: StreamId::named(&format!("group/{}/publish/{i}", g.name))
                            .rng(system.seed, replication),
                        counts: LinkCounts::default(),
                    })
                    .collect()
            })
            .collect();
        let may_hold = (system.groups.iter().chain(&system.services))
            .map(|g| {
                g.publish.iter().any(|l| {
                    let topic = &system.topics[l.topic];
                    topic.publish_latency.is_some() || topic.policy.when_full() == WhenFull::Wait
                })
            })
            .collect();
        Links {
            per_group,
            may_hold,
        }
    }
}

impl LinkState {
    /// How many children `link` publishes for one processed message.
    pub(super) fn children(&mut self, link: &PublishSpec) -> u32 {
        if link.probability >= 1.0 || self.rng.random::<f64>() < link.probability {
            link.count
        } else {
            0
        }
    }

    /// A child's key and size, from its `parent` and `link`.
    pub(super) fn draw(&mut self, link: &PublishSpec, parent: &Message) -> (u64, u32) {
        let key = match link.key {
            ChildKey::Keep => parent.key,
            ChildKey::Uniform(n) => self.rng.random_range(0..n),
        };
        let size = match &link.size {
            Some(size) => crate::model::source::bytes(size.sample(&mut self.rng)),
            None => parent.size,
        };
        (key, size)
    }
}
