//! A consumer group's validated settings.

use super::distribution::Distribution;
use super::link::{CallLinkSpec, PublishSpec};
use crate::engine::{SimDuration, SimTime};

/// A consumer group of competing workers.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    /// Name, unique among groups.
    pub name: String,
    /// Index of the topic it reads (in [`super::system::System::topics`]);
    /// 0 and unused for a service called directly.
    pub topic: usize,
    /// What it publishes onward when it processes a message.
    pub publish: Vec<PublishSpec>,
    /// The services it calls, in order, once its own work is done.
    pub calls: Vec<CallLinkSpec>,
    /// Number of workers.
    pub workers: u32,
    /// Service time in seconds.
    pub service: Distribution,
    /// How deliveries fail.
    pub faults: GroupFaults,
    /// In-order consumption of owned partitions (else competing consumers).
    pub partitioned: bool,
    /// Competing consumers with one message per key in flight, in order
    /// per key.
    pub key_ordered: bool,
    /// Pause of a partitioned group when its membership changes.
    pub rebalance_pause: SimDuration,
    /// Idle workers poll this often (zero: messages are pushed at once).
    pub poll_interval: SimDuration,
    /// Seconds the broker and its client add to each delivery on the
    /// worker (a group that reads a topic).
    pub delivery_overhead: Option<Distribution>,
    /// Messages a worker holds at once, the one it runs included (1: it
    /// gets the next only when it finishes).
    pub prefetch: u32,
    /// Seconds a worker adds for a delivery it did not hold already (the
    /// round trip to the broker).
    pub fetch_overhead: Option<Distribution>,
    /// Deliveries per second over the whole topic, if capped.
    pub max_rate_per_s: Option<f64>,
    /// Deliveries per second from one partition, if capped.
    pub partition_max_rate_per_s: Option<f64>,
    /// Deliveries per second of one key, if capped.
    pub key_max_rate_per_s: Option<f64>,
    /// Scaling of the number of workers (`workers` is the starting count).
    pub autoscale: Option<AutoscaleSpec>,
    /// A service called directly: the requests that may wait for a worker
    /// (`u64::MAX`: unbounded; 0: refused when every worker is busy).
    pub accept_capacity: u64,
    /// Which waiting request a free worker takes, and which it sheds.
    pub discipline: crate::model::resilience::Discipline,
    /// A waiting request whose caller gave up on it is dropped unrun.
    pub cancel: bool,
    /// A service called directly with priorities 0 to this: it takes the
    /// highest first.
    pub accept_max_priority: Option<u8>,
}

impl GroupSpec {
    /// Worker slots the group may ever use: its starting count, or its
    /// autoscaling maximum if larger.
    pub fn worker_slots(&self) -> u32 {
        self.autoscale
            .as_ref()
            .map_or(self.workers, |a| a.max.max(self.workers))
    }
}

/// Autoscaling of a group's workers, evaluated periodically as Kubernetes'
/// horizontal pod autoscaler (and KEDA, which drives it) does.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoscaleSpec {
    /// Fewest workers.
    pub min: u32,
    /// Most workers.
    pub max: u32,
    /// What the count is scaled to hold at its target.
    pub target: ScaleTarget,
    /// How often the metric is evaluated.
    pub evaluation_period: SimDuration,
    /// No scaling while `metric / target` is within `1 ± tolerance`.
    pub tolerance: f64,
    /// Delay from a decision until it takes effect (metrics pipeline and
    /// controller lag).
    pub reaction_delay: SimDuration,
    /// Time a new worker takes to start before it takes messages.
    pub startup_delay: SimDuration,
    /// Scale-down stabilisation window: scale down only to the highest
    /// count recommended within it.
    pub cooldown: SimDuration,
}

/// The metric an autoscaler holds at a target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScaleTarget {
    /// The group's backlog (ready, waiting out a backoff, and in flight)
    /// per worker: KEDA's queue-length scalers.
    BacklogPerWorker(f64),
    /// The mean busy share of the workers that are up over the last
    /// evaluation period: the HPA's CPU-utilisation target.
    Utilisation(f64),
}

/// Everything that can go wrong in a consumer group.
#[derive(Clone, Debug, Default)]
pub struct GroupFaults {
    /// Probability that a delivery fails (transient, independent).
    pub failure_probability: f64,
    /// Share of messages that fail on every delivery (poison).
    pub poison_share: f64,
    /// A delivery still running after this long fails.
    pub processing_timeout: Option<SimDuration>,
    /// Windows during which the whole group is down.
    pub outages: Vec<(SimTime, SimTime)>,
    /// Random crash and restart of each worker: time to failure and time
    /// to repair, in seconds.
    pub crash: Option<(Distribution, Distribution)>,
    /// Share of crashes that strike after the side effect, before the ack.
    pub crash_after_side_effect: f64,
    /// Idempotent consumer: duplicates within this window are suppressed.
    pub dedup_window: Option<SimDuration>,
    /// Windows during which the service degrades, in time order and not
    /// overlapping.
    pub brownouts: Vec<Brownout>,
}

/// A window during which a service degrades without going down: each
/// processing that starts in it takes `latency_factor` times its service
/// time, and fails with `failure_probability` on top of the service's own
/// failures (independently).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Brownout {
    /// When it starts.
    pub start: SimTime,
    /// When it ends.
    pub end: SimTime,
    /// Service times are multiplied by this.
    pub latency_factor: f64,
    /// Extra chance that a processing fails.
    pub failure_probability: f64,
}

impl GroupFaults {
    /// The brownout under way at `now`, if any.
    pub fn brownout_at(&self, now: SimTime) -> Option<&Brownout> {
        self.brownouts
            .iter()
            .find(|b| b.start <= now && now < b.end)
    }

    /// The service time `service` (seconds) and failure probability of a
    /// processing starting at `now`: the service's own, degraded by the
    /// brownout under way.
    pub fn degraded(&self, now: SimTime, service: f64) -> (f64, f64) {
        match self.brownout_at(now) {
            Some(b) => (
                service * b.latency_factor,
                1.0 - (1.0 - self.failure_probability) * (1.0 - b.failure_probability),
            ),
            None => (service, self.failure_probability),
        }
    }
}

impl GroupFaults {
    /// True when nothing can go wrong (the fast path).
    pub fn is_none(&self) -> bool {
        self.failure_probability == 0.0
            && self.poison_share == 0.0
            && self.processing_timeout.is_none()
            && self.outages.is_empty()
            && self.crash.is_none()
            && self.brownouts.is_empty()
    }
}
