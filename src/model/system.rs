//! The validated description of what one replication simulates: the
//! model's own spec, built by `scenario` from a file and read by the
//! simulation. No serde in here: the file format is `scenario`'s business.

use super::backoff::Backoff;
use super::distribution::Distribution;
use super::group::GroupSpec;
use super::link::CallLinkSpec;
use super::producer::ProducerSpec;
use super::topic::TopicSpec;
use crate::engine::SimDuration;

/// Everything a replication needs: time, limits, the topic, the producers
/// and the groups (services), and how producers reach the groups.
#[derive(Clone, Debug)]
pub struct System {
    /// Seed of every random stream.
    pub seed: u64,
    /// Producers publish during [0, horizon).
    pub horizon: SimDuration,
    /// Statistics ignore [0, warmup).
    pub warmup: SimDuration,
    /// Time-series interval.
    pub sample_interval: SimDuration,
    /// Run past the horizon until nothing is left.
    pub drain: bool,
    /// Messages held (ready, blocked, in transit, retrying, delayed) above
    /// which a run stops.
    pub max_queued: u64,
    /// Longest drain after the horizon.
    pub max_drain: SimDuration,
    /// Events after which a replication stops.
    pub max_events: u64,
    /// `partitions.csv` samples every this many intervals (a power of
    /// two; 0: not recorded, with too many partitions to record at all).
    pub partition_every: u64,
    /// The topics, sorted by name: one for a single-topic file.
    pub topics: Vec<TopicSpec>,
    /// The file named its topics (`[topics.<name>]`): outputs name every
    /// topic (`topics.<name>.*`) and every path; else the one topic is
    /// `topic.*`, as it always was.
    pub graph: bool,
    /// The producers, sorted by name.
    pub producers: Vec<ProducerSpec>,
    /// The consumer groups (services reading a topic), sorted by topic,
    /// then by name: the readers of a topic are contiguous.
    pub groups: Vec<GroupSpec>,
    /// The services called directly by a group or another service
    /// (`call` links), sorted by name.
    pub services: Vec<GroupSpec>,
    /// How the producers reach the groups: through the topic, or by a
    /// direct call to the (one) group.
    pub link: Link,
    /// Alert rules evaluated at every sample, by name.
    pub alerts: Vec<crate::model::alert::AlertSpec>,
}

/// How producers reach the groups.
#[derive(Clone, Debug)]
pub enum Link {
    /// Publish to the topic, which every group reads.
    Publish,
    /// Call the one group's service directly, holding the caller until it
    /// answers (sync mode).
    Call(Box<CallSpec>),
}

/// A direct call: each request holds its caller until the called service
/// answers.
#[derive(Clone, Debug)]
pub struct CallSpec {
    /// A caller gives up on an attempt after this long.
    pub timeout: SimDuration,
    /// Retries after an error or a timeout.
    pub retry_attempts: u32,
    /// Wait before each retry.
    pub retry_backoff: Backoff,
    /// The caller's patience drawn for each attempt, replacing `timeout`
    /// (impatience as a distribution).
    pub patience: Option<Distribution>,
    /// Most requests the callers on this link have waiting at once (a
    /// caller's pool, or a bulkhead per dependency): one more is refused
    /// at once, before any attempt.
    pub pool: Option<u32>,
    /// A retry budget: gRPC's retry throttling or Envoy's.
    pub retry_budget: Option<crate::model::resilience::RetryBudget>,
    /// A circuit breaker over the link's attempts.
    pub breaker: Option<crate::model::resilience::BreakerSpec>,
    /// Hedged attempts (with no retries: a caller hedges or retries).
    pub hedge: Option<crate::model::resilience::HedgeSpec>,
    /// Each attempt carries its caller's deadline: the service drops it
    /// unstarted once passed, and its own calls end by then.
    pub propagate_deadline: bool,
}

impl System {
    /// The first topic: the only one of a single-topic file, the one a
    /// direct-call run's producers call through.
    pub fn topic(&self) -> &TopicSpec {
        &self.topics[0]
    }

    /// Whether runs follow messages along paths: the file names its
    /// topics, or a group publishes onward or calls (a linked group's
    /// finished delivery goes through `on_done_linked`).
    pub fn tracks_paths(&self) -> bool {
        self.graph
            || (self.groups.iter()).any(|g| !g.publish.is_empty() || !g.calls.is_empty())
            || self.services.iter().any(|s| !s.publish.is_empty())
    }

    /// The call links of groups, then of services, then of producers, in
    /// that order: the caller's name and the link.
    pub fn call_links(&self) -> impl Iterator<Item = (&str, &CallLinkSpec)> {
        let services = (self.groups.iter().chain(&self.services)).flat_map(|caller| {
            caller
                .calls
                .iter()
                .map(move |link| (caller.name.as_str(), link))
        });
        let producers = (self.producers.iter())
            .filter_map(|p| p.call.as_ref().map(|link| (p.name.as_str(), link)));
        services.chain(producers)
    }

    /// Group or called service `g` (a service is past the groups).
    pub fn service(&self, g: usize) -> &GroupSpec {
        match g.checked_sub(self.groups.len()) {
            Some(s) => &self.services[s],
            None => &self.groups[g],
        }
    }

    /// How outputs name topic `t`: `topic` in a single-topic file,
    /// `topics.<name>` in a file that names its topics.
    pub fn topic_place(&self, t: usize) -> String {
        if self.graph {
            format!("topics.{}", self.topics[t].name)
        } else {
            "topic".to_owned()
        }
    }

    /// Whether anything publishes to topic `t`: a producer, or a publish
    /// link. The one topic of a single-topic file whose producers all call
    /// a service goes unused, and outputs leave it out.
    pub fn is_fed(&self, t: usize) -> bool {
        self.producers.iter().any(|p| p.publishes_to(t))
            || (self.groups.iter().chain(&self.services))
                .any(|g| g.publish.iter().any(|l| l.topic == t))
    }

    /// The groups that read topic `t`, as a range of [`System::groups`].
    pub fn readers(&self, t: usize) -> std::ops::Range<usize> {
        let start = self.groups.partition_point(|g| g.topic < t);
        let end = self.groups.partition_point(|g| g.topic <= t);
        start..end
    }

    /// The direct call, when producers call the group instead of
    /// publishing.
    pub fn call(&self) -> Option<&CallSpec> {
        match &self.link {
            Link::Call(spec) => Some(spec),
            Link::Publish => None,
        }
    }
}
