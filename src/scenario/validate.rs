//! Raw structs → validated model types. Every check records an issue and
//! carries on, so one run reports all problems.

mod alerts;
mod autoscale;
mod budget;
mod calls;
mod faults;
mod graph;
mod priority;

use super::Scenario;
use super::document::Document;
use super::duration::Dur;
use super::error::Issue;
use super::name::{check_name, name_from_stem};
use super::path::FieldPath;
use super::raw::*;
use crate::engine::{SimDuration, SimTime};
use crate::input::{FileDigest, InputFile};
use crate::model::ParamError;
use crate::model::arrival::ArrivalProcess;
use crate::model::distribution::Distribution;
use crate::model::group::GroupSpec;
use crate::model::key::KeyChooser;
use crate::model::producer::ProducerSpec;
use crate::model::resilience::Discipline;
use crate::model::system::{Link, System};
use crate::model::topic::{Block, DropOldest, Partitioner, Policy, Reject, Spill, TopicSpec, Ttl};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::model::series::MAX_SERIES_ROWS;
/// Replications a scenario may ask for.
const MAX_REPLICATIONS: u32 = 100_000;
/// Workers a group may have.
/// The most messages a run may hold (`limits.max_queued`): 2³¹, some
/// 100 GB of queued messages, so that a group's entry numbers (32 bits)
/// always suffice for what it holds and has in flight.
pub(crate) const MAX_QUEUED: u64 = 1 << 31;
const MAX_WORKERS: u32 = 1_000_000;
/// Most messages a worker may hold at once (RabbitMQ allows 65,535).
const MAX_PREFETCH: u32 = 65_535;
/// Topics a file may name.
const MAX_TOPICS: usize = 1_000;
/// Size of a message when the producer does not say.
const DEFAULT_SIZE_BYTES: f64 = 1024.0;

/// Collects issues while checking one scenario.
struct Checker<'a> {
    doc: &'a Document,
    base_dir: PathBuf,
    issues: &'a mut Vec<Issue>,
    /// The files the scenario reads, with their digests.
    inputs: Vec<InputFile>,
}

impl Checker<'_> {
    fn fail(&mut self, path: &FieldPath, message: impl Into<String>) {
        self.issues.push(Issue {
            origin: self.doc.locate(path),
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// Problems found so far.
    fn problems(&self) -> usize {
        self.issues.len()
    }

    /// Records a model constructor's error under `path`.
    fn param<T>(&mut self, path: &FieldPath, result: Result<T, ParamError>) -> Option<T> {
        result
            .map_err(|e| {
                let full = if e.field.is_empty() {
                    path.clone()
                } else {
                    FieldPath::parse(&format!("{path}.{}", e.field))
                        .unwrap_or_else(|_| path.clone())
                };
                self.fail(&full, e.message);
            })
            .ok()
    }

    fn name(&mut self, path: &FieldPath, name: &str) {
        if let Err(message) = check_name(name) {
            self.fail(path, message);
        }
    }

    /// Records a file the scenario reads at `field`, named `path` there.
    fn input(&mut self, field: &FieldPath, path: &str, digest: FileDigest) {
        self.inputs.push(InputFile {
            field: field.to_string(),
            path: path.to_owned(),
            digest,
        });
    }
}

/// Validates `raw`, recording problems in `issues`; `None` if any were found.
pub(super) fn validate(
    raw: RawScenario,
    doc: &Document,
    file: &Path,
    issues: &mut Vec<Issue>,
) -> Option<Scenario> {
    let raw = super::sync_graph::sync_downstreams(raw);
    if !super::sync_graph::is_graph(&raw) {
        return validate_one(raw, doc, file, issues);
    }
    // Sync mode of an architecture: the file as written must be valid;
    // then its topic edges become calls (see `sync_graph`).
    let before = issues.len();
    let mut queued = super::sync_graph::without_reader_accept_queues(raw.clone());
    queued.mode = RawMode::Queued;
    validate_one(queued, doc, file, issues)?;
    if issues.len() > before {
        return None;
    }
    let mut rewritten = super::sync_graph::rewrite(&raw);
    rewritten.mode = RawMode::Queued;
    let scenario = validate_one(rewritten, doc, file, issues);
    for issue in &mut issues[before..] {
        issue.message += " (in sync mode, each topic between two parts is a direct call)";
    }
    let mut scenario = scenario?;
    scenario.normalised.mode = RawMode::Sync;
    Some(scenario)
}

/// Validates one scenario as written (sync mode only in its own form: one
/// topic read by one group).
fn validate_one(
    raw: RawScenario,
    doc: &Document,
    file: &Path,
    issues: &mut Vec<Issue>,
) -> Option<Scenario> {
    let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut c = Checker {
        doc,
        base_dir,
        issues,
        inputs: Vec::new(),
    };
    let root = FieldPath::root();
    let before = c.issues.len();

    let horizon = raw.horizon.0;
    if horizon == SimDuration::ZERO || horizon == SimDuration::MAX {
        c.fail(
            &root.key("horizon"),
            format!(
                "must be a finite duration longer than 0s (got {})",
                raw.horizon
            ),
        );
    }
    if raw.warmup.0 >= horizon && horizon > SimDuration::ZERO {
        c.fail(
            &root.key("warmup"),
            format!(
                "must be shorter than the horizon {} (got {})",
                raw.horizon, raw.warmup
            ),
        );
    }
    if raw.replications == 0 || raw.replications > MAX_REPLICATIONS {
        c.fail(
            &root.key("replications"),
            format!(
                "must be between 1 and {MAX_REPLICATIONS} (got {})",
                raw.replications
            ),
        );
    }
    if let Some(name) = &raw.name {
        c.name(&root.key("name"), name);
    }
    let sample_interval = raw
        .sample_interval
        .map_or_else(|| default_interval(horizon), |d| d.0);
    let groups_count = raw.groups.len().max(1) as u64;
    if sample_interval == SimDuration::ZERO {
        c.fail(
            &root.key("sample_interval"),
            "must be longer than 0s (got 0s)",
        );
    } else if samples(horizon, sample_interval).saturating_mul(groups_count) > MAX_SERIES_ROWS {
        let per_group = MAX_SERIES_ROWS / groups_count;
        let shortest = Dur(SimDuration(horizon.as_nanos().div_ceil(per_group.max(1))));
        c.fail(
            &root.key("sample_interval"),
            format!(
                "gives more than {MAX_SERIES_ROWS} time-series rows over the horizon {} ({} per group for {groups_count} group(s)); use at least {shortest}",
                raw.horizon,
                samples(horizon, sample_interval)
            ),
        );
    }
    if raw.limits.max_queued == 0 || raw.limits.max_queued > MAX_QUEUED {
        c.fail(
            &root.key("limits").key("max_queued"),
            format!(
                "must be between 1 and {MAX_QUEUED} (got {})",
                raw.limits.max_queued
            ),
        );
    }
    if raw.limits.max_events == 0 {
        c.fail(
            &root.key("limits").key("max_events"),
            "must be at least 1 (got 0)",
        );
    }
    let (topics, topic_names) = topics(&mut c, &raw);
    // An entry removed for a decoding error already has its own message.
    let reported =
        |c: &Checker<'_>, prefix: &str| c.issues.iter().any(|i| i.path.starts_with(prefix));
    if raw.producers.is_empty() && !reported(&c, "producers.") {
        c.fail(
            &root.key("producers"),
            "expected at least one producer, e.g. [producers.web]",
        );
    }
    if raw.groups.is_empty() && !reported(&c, "groups.") {
        c.fail(
            &root.key("groups"),
            "expected at least one consumer group, e.g. [groups.workers]",
        );
    }
    // A group named by a call link (of a group or a producer) is a
    // service called directly; the others read a topic.
    let called: BTreeSet<&String> = (raw.called_services().into_iter())
        .filter(|s| raw.groups.contains_key(*s))
        .collect();
    graph::check_called(&mut c, &raw.groups, &raw.producers, &called);
    let service_names: Vec<&String> = called.iter().copied().collect();
    let producers: Vec<_> = (raw.producers.iter())
        .filter_map(|(name, p)| {
            let links = (topic_names.as_slice(), service_names.as_slice());
            producer(&mut c, name, p, horizon, &raw.limits, links)
        })
        .collect();
    if c.issues.len() == before {
        budget::events(&mut c, &producers, &raw.limits, horizon);
    }
    let most_partitions = topics.iter().flatten().map(|t| t.partitions).max();
    let partition_every = most_partitions.map_or(1, |partitions| {
        budget::partition_every(partitions, groups_count, horizon, sample_interval)
    });
    for (name, g) in (raw.groups.iter()).filter(|(name, _)| !called.contains(name)) {
        let t = topic_names.iter().position(|t| Some(t) == g.topic.as_ref());
        let t = t.or((topic_names.len() == 1).then_some(0));
        if let Some(Some(spec)) = t.and_then(|t| topics.get(t)) {
            let path = root.key("groups").key(name);
            priority::reader(&mut c, &path, g, spec);
            loss_reader(&mut c, &path, g, spec);
        }
    }
    let mut groups: Vec<_> = (raw.groups.iter())
        .filter(|(name, _)| !called.contains(name))
        .filter_map(|(name, g)| group(&mut c, name, g, &topic_names, &service_names, false))
        .collect();
    // A topic is its readers' queue; sync mode's one group is called.
    for (name, g) in &raw.groups {
        if g.accept_queue.is_some() && !called.contains(name) && raw.mode != RawMode::Sync {
            c.fail(
                &root.key("groups").key(name).key("accept_queue"),
                format!("group {name:?} reads a topic, which is its queue (bound it with the topic's capacity and policy); `accept_queue` is a setting of a service called directly"),
            );
        }
    }
    // The readers of a topic are contiguous (by topic, then by name).
    groups.sort_by_key(|g| g.topic);
    let services: Vec<GroupSpec> = (raw.groups.iter())
        .filter(|(name, _)| called.contains(name))
        .filter_map(|(name, g)| group(&mut c, name, g, &topic_names, &service_names, true))
        .collect();
    if c.issues.is_empty() {
        graph::check_call_cycles(&mut c, &services);
    }
    let graph = !raw.topics.is_empty();
    let topics: Vec<TopicSpec> = topics.into_iter().flatten().collect();
    // The whole graph is checked once its parts are valid (a part with a
    // problem, or removed for one, would make the graph look wrong).
    if c.issues.is_empty() {
        graph::check(&mut c, graph, &topics, (&groups, &services), &producers);
    }

    let sync = calls::sync(&mut c, &raw);
    let alerts = alerts::alerts(&mut c, &raw, (&groups, &services), &topics);
    if c.issues.len() > before {
        return None;
    }
    let name = raw
        .name
        .clone()
        .unwrap_or_else(|| name_from_stem(&stem(file)));
    let mut normalised = raw.clone();
    normalised.name = Some(name.clone());
    if !graph {
        normalised.topic = Some(raw.topic.clone().unwrap_or_default());
    }
    normalised.sample_interval = Some(Dur(sample_interval));
    let link = match sync {
        Some(call) => Link::Call(Box::new(call)),
        None => Link::Publish,
    };
    Some(Scenario {
        name,
        replications: raw.replications,
        system: System {
            seed: raw.seed,
            horizon,
            warmup: raw.warmup.0,
            sample_interval,
            drain: raw.drain,
            max_queued: raw.limits.max_queued,
            max_drain: raw.limits.max_drain.0,
            max_events: raw.limits.max_events,
            partition_every,
            topics,
            graph,
            producers,
            groups,
            services,
            link,
            alerts,
        },
        normalised,
        from_preset: Vec::new(),
        inputs: c.inputs,
    })
}

/// horizon / 500, rounded down to whole milliseconds (at least 1ms).
fn default_interval(horizon: SimDuration) -> SimDuration {
    let ms = (horizon.as_nanos() / 500 / 1_000_000).max(1);
    SimDuration::from_millis(ms)
}

/// Time-series samples over the horizon (one at 0, then one per interval).
fn samples(horizon: SimDuration, interval: SimDuration) -> u64 {
    horizon.as_nanos() / interval.as_nanos().max(1) + 1
}

fn stem(file: &Path) -> String {
    file.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario")
        .to_owned()
}

/// The topics, in name order, each `None` if it has problems, and their
/// names: the one `[topic]`, or every `[topics.<name>]`.
fn topics(c: &mut Checker<'_>, raw: &RawScenario) -> (Vec<Option<TopicSpec>>, Vec<String>) {
    let root = FieldPath::root();
    if raw.topics.is_empty() {
        let topic = raw.topic.clone().unwrap_or_default();
        c.name(&root.key("topic").key("name"), &topic.name);
        let spec = topic_spec(c, &root.key("topic"), &topic.name, &topic);
        return (vec![spec], vec![topic.name]);
    }
    if raw.topics.len() > MAX_TOPICS {
        c.fail(
            &root.key("topics"),
            format!("at most {MAX_TOPICS} topics (got {})", raw.topics.len()),
        );
        return (Vec::new(), Vec::new());
    }
    if raw.topic.is_some() {
        c.fail(
            &root.key("topic"),
            "a file has either one [topic] or named [topics.<name>], not both: move this table under [topics.<name>]",
        );
    }
    let mut specs = Vec::new();
    for (name, topic) in &raw.topics {
        let path = root.key("topics").key(name);
        c.name(&path, name);
        if topic.name != RawTopic::default().name && &topic.name != name {
            c.fail(
                &path.key("name"),
                format!(
                    "a named topic is called by its key ({name:?}); leave `name` out (got {:?})",
                    topic.name
                ),
            );
        }
        specs.push(topic_spec(c, &path, name, topic));
    }
    (specs, raw.topics.keys().cloned().collect())
}

/// The index of the topic named at `path` (`None` in the file: the only
/// topic), or an issue listing the topics.
fn topic_index(
    c: &mut Checker<'_>,
    path: &FieldPath,
    named: Option<&String>,
    names: &[String],
    what: &str,
) -> Option<usize> {
    let list = || {
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let decoded_wrong = c.issues.iter().any(|i| i.path == path.to_string());
    match named {
        None if names.len() == 1 => Some(0),
        None if decoded_wrong => None, // The decoder said what is wrong.
        None => {
            c.fail(
                path,
                format!("expected the topic it {what}, one of {}", list()),
            );
            None
        }
        Some(name) => match names.iter().position(|n| n == name) {
            Some(i) => Some(i),
            None => {
                c.fail(
                    path,
                    format!("no topic is named {name:?} (expected one of {})", list()),
                );
                None
            }
        },
    }
}

fn topic_spec(
    c: &mut Checker<'_>,
    path: &FieldPath,
    name: &str,
    raw: &RawTopic,
) -> Option<TopicSpec> {
    // Capacity 0: a pure loss system (Erlang B), checked with its readers.
    let capacity = match raw.capacity {
        Some(0) => 0,
        _ => positive(c, &path.key("capacity"), raw.capacity),
    };
    if capacity == 0 && !matches!(raw.policy, RawPolicy::Reject) {
        c.fail(
            &path.key("capacity"),
            "0 (a pure loss system: a message no idle worker takes at once is refused) needs policy = \"reject\"",
        );
    }
    let capacity_bytes = positive(c, &path.key("capacity_bytes"), raw.capacity_bytes);
    let ttl = match &raw.ttl {
        None => None,
        Some(RawDelay::Fixed(Dur(d))) if *d == SimDuration::ZERO => {
            c.fail(
                &path.key("ttl"),
                "must be longer than 0s (got 0s); leave it out for no expiry",
            );
            None
        }
        Some(RawDelay::Fixed(d)) => Some(Ttl::Fixed(d.0)),
        Some(RawDelay::Drawn(d)) => dist(c, &path.key("ttl"), d).map(Ttl::Drawn),
    };
    let policy = policy(c, &path.key("policy"), &raw.policy);
    let publish_latency = opt_dist(
        c,
        &path.key("publish_latency"),
        raw.publish_latency.as_ref(),
    );
    let handoff_latency = opt_delay(
        c,
        &path.key("handoff_latency"),
        raw.handoff_latency.as_ref(),
    );
    if handoff_latency.is_some() && capacity == 0 {
        c.fail(
            &path.key("handoff_latency"),
            "needs room to hold a message in hand-off: capacity is 0 (a loss system hands a \
             message straight to a worker or refuses it)",
        );
    }
    let delivery = faults::delivery(c, path, raw);
    let max_priority = priority::max_priority(c, path, raw);
    if raw.partitions == 0 || raw.partitions > 100_000 {
        c.fail(
            &path.key("partitions"),
            format!("must be between 1 and 100000 (got {})", raw.partitions),
        );
    }
    Some(TopicSpec {
        name: name.to_owned(),
        capacity,
        capacity_bytes,
        policy: policy?,
        publish_latency,
        handoff_latency,
        ttl,
        delivery,
        durable: raw.durable,
        // A priority queue keeps a lane per priority.
        partitions: max_priority.map_or(raw.partitions.max(1), |m| u32::from(m) + 1),
        max_priority,
        partitioner: match raw.partitioner {
            RawPartitioner::KeyHash => Partitioner::KeyHash,
            RawPartitioner::RoundRobin => Partitioner::RoundRobin,
        },
    })
}

/// The backpressure policy at `path`, with its own options.
fn policy(c: &mut Checker<'_>, path: &FieldPath, raw: &RawPolicy) -> Option<Policy> {
    Some(match raw {
        RawPolicy::Reject => Policy::Reject(Reject),
        RawPolicy::DropOldest => Policy::DropOldest(DropOldest),
        RawPolicy::Block(block) => {
            if block.max_block == Some(Dur(SimDuration::ZERO)) {
                c.fail(
                    &path.key("block").key("max_block"),
                    "must be longer than 0s (got 0s); leave it out to wait forever",
                );
            }
            Policy::Block(Block {
                max_block: block.max_block.map(|d| d.0),
            })
        }
        RawPolicy::Spill(spill) => {
            let at = path.key("spill");
            Policy::Spill(Spill {
                capacity: positive(c, &at.key("disk_capacity"), spill.disk_capacity),
                capacity_bytes: positive(
                    c,
                    &at.key("disk_capacity_bytes"),
                    spill.disk_capacity_bytes,
                ),
                read_latency: opt_dist(c, &at.key("read_latency"), spill.read_latency.as_ref()),
            })
        }
    })
}

/// An optional bound that must be at least 1; absent means unbounded.
fn positive(c: &mut Checker<'_>, path: &FieldPath, value: Option<u64>) -> u64 {
    match value {
        Some(0) => {
            c.fail(
                path,
                "must be at least 1 (got 0); leave it out for no limit",
            );
            u64::MAX
        }
        Some(v) => v,
        None => u64::MAX,
    }
}

/// Producer `name`: it publishes to one of `links.0` (topics), or calls
/// one of `links.1` (the services called directly, sorted).
fn producer(
    c: &mut Checker<'_>,
    name: &str,
    raw: &RawProducer,
    horizon: SimDuration,
    limits: &RawLimits,
    links: (&[String], &[&String]),
) -> Option<ProducerSpec> {
    let (topics, services) = links;
    let path = FieldPath::root().key("producers").key(name);
    c.name(&path, name);
    let (topic, call) = match &raw.call {
        None => {
            let topic = topic_index(
                c,
                &path.key("topic"),
                raw.topic.as_ref(),
                topics,
                "publishes to",
            );
            (topic, Some(None))
        }
        Some(link) => {
            graph::producer_call(c, &path, raw);
            let call = graph::call(c, &path.key("call"), link, services);
            (Some(usize::MAX), call.map(Some))
        }
    };
    let arrival = arrival(c, &path.key("arrival"), &raw.arrival)
        .and_then(|a| budget::ticks(c, &path.key("arrival"), a, limits.max_queued));
    let keys = keys(c, &path.key("keys"), &raw.keys);
    let size = match &raw.size {
        Some(d) => dist(c, &path.key("size"), d),
        None => Distribution::constant(DEFAULT_SIZE_BYTES).ok(),
    };
    if let Some(size) = &size
        && size.mean() > f64::from(u32::MAX)
    {
        let mean = size.mean();
        c.fail(
            &path.key("size"),
            format!("messages must be under 4 GiB (got a mean of {mean} bytes)"),
        );
    }
    let stop = raw.stop.map_or(horizon, |d| d.0);
    // With a bad horizon, the default stop is reported there, not here.
    if raw.start.0 >= stop && (raw.stop.is_some() || horizon > SimDuration::ZERO) {
        c.fail(
            &path.key("start"),
            format!(
                "must be before the producer's stop {} (got {})",
                Dur(stop),
                raw.start
            ),
        );
    }
    let faults = faults::producer_faults(c, &path, raw);
    let priority = priority::producer(c, &path, raw);
    Some(ProducerSpec {
        name: name.to_owned(),
        topic: topic?,
        call: call?,
        arrival: arrival?,
        keys: keys?,
        size: size?,
        start: SimTime::ZERO + raw.start.0,
        stop: SimTime::ZERO + stop,
        faults: faults?,
        priority,
    })
}

/// Group `name`: one that reads a topic among `topics`, or (`called`) a
/// service called directly; `services` names those, sorted.
fn group(
    c: &mut Checker<'_>,
    name: &str,
    raw: &RawGroup,
    topics: &[String],
    services: &[&String],
    called: bool,
) -> Option<GroupSpec> {
    let path = FieldPath::root().key("groups").key(name);
    c.name(&path, name);
    for (field, set) in [
        ("delivery_overhead", raw.delivery_overhead.is_some()),
        ("fetch_overhead", raw.fetch_overhead.is_some()),
        ("prefetch", raw.prefetch.is_some()),
    ] {
        if called && set {
            c.fail(
                &path.key(field),
                format!("group {name:?} is called directly, with no broker between: `{field}` is about a broker and its client, for a group that reads a topic"),
            );
        }
    }
    let prefetch = raw.prefetch.unwrap_or(1);
    if !(1..=MAX_PREFETCH).contains(&prefetch) {
        c.fail(
            &path.key("prefetch"),
            format!("must be between 1 and {MAX_PREFETCH} (got {prefetch})"),
        );
    } else if prefetch > 1
        && (raw.consumption != RawConsumption::Competing || raw.key_max_rate_per_s.is_some())
    {
        c.fail(
            &path.key("prefetch"),
            "applies to competing consumers without per-key rules (a worker holding several messages would take them out of their partition's or key's order); leave it out with partitioned or key_ordered consumption and with key_max_rate_per_s",
        );
    }
    if raw.poll_interval.0 != SimDuration::ZERO && raw.consumption != RawConsumption::Competing {
        c.fail(
            &path.key("poll_interval"),
            "polling applies to competing consumers (each worker polls for itself, as a table polled with SKIP LOCKED or SQS); leave it out with partitioned or key_ordered consumption",
        );
    }
    let topic = if called {
        Some(0) // Called directly: `check_called` refuses a `topic`.
    } else {
        topic_index(c, &path.key("topic"), raw.topic.as_ref(), topics, "reads")
    };
    let publish: Vec<_> = (raw.publish.iter().enumerate())
        .map(|(i, link)| graph::publish(c, &path.key("publish").index(i), link, topics))
        .collect();
    if raw.call.len() > graph::MAX_CALLS {
        c.fail(
            &path.key("call"),
            format!(
                "at most {} calls per group (got {})",
                graph::MAX_CALLS,
                raw.call.len()
            ),
        );
    }
    let calls: Vec<_> = (raw.call.iter().enumerate())
        .map(|(i, link)| graph::call(c, &path.key("call").index(i), link, services))
        .collect();
    // An autoscaled group may start with no workers if its minimum is 0.
    let fewest = match &raw.autoscale {
        Some(a) if a.min == 0 => 0,
        _ => 1,
    };
    if raw.workers < fewest || raw.workers > MAX_WORKERS {
        c.fail(
            &path.key("workers"),
            format!(
                "must be between {fewest} and {MAX_WORKERS} (got {})",
                raw.workers
            ),
        );
    }
    let service = dist(c, &path.key("service"), &raw.service);
    let faults = faults::group_faults(c, &path, raw);
    let autoscale = raw
        .autoscale
        .as_ref()
        .map(|a| autoscale::autoscale(c, &path, a, raw.workers, MAX_WORKERS));
    Some(GroupSpec {
        name: name.to_owned(),
        topic: topic?,
        publish: publish.into_iter().collect::<Option<_>>()?,
        calls: calls.into_iter().collect::<Option<_>>()?,
        workers: raw.workers,
        service: service?,
        faults: faults?,
        partitioned: raw.consumption == RawConsumption::Partitioned,
        key_ordered: raw.consumption == RawConsumption::KeyOrdered,
        rebalance_pause: raw.rebalance_pause.0,
        poll_interval: raw.poll_interval.0,
        delivery_overhead: opt_delay(
            c,
            &path.key("delivery_overhead"),
            raw.delivery_overhead.as_ref(),
        ),
        prefetch,
        fetch_overhead: opt_delay(c, &path.key("fetch_overhead"), raw.fetch_overhead.as_ref()),
        max_rate_per_s: rate_cap(c, &path.key("max_rate_per_s"), raw.max_rate_per_s),
        partition_max_rate_per_s: rate_cap(
            c,
            &path.key("partition_max_rate_per_s"),
            raw.partition_max_rate_per_s,
        ),
        key_max_rate_per_s: key_cap(c, &path, raw),
        autoscale: match autoscale {
            Some(spec) => Some(spec?),
            None => None,
        },
        accept_capacity: (raw.accept_queue.as_ref())
            .and_then(|q| q.capacity)
            .unwrap_or(u64::MAX),
        discipline: discipline(c, &path.key("accept_queue"), raw.accept_queue.as_ref()),
        cancel: raw.accept_queue.as_ref().is_some_and(|q| q.cancel),
        accept_max_priority: (raw.accept_queue.as_ref())
            .and_then(|q| priority::accept_queue(c, &path.key("accept_queue"), q)),
    })
}

/// A called service's accept-queue discipline at `path`: CoDel's target
/// and interval (RFC 8289's 5 ms and 100 ms by default) only where they
/// mean something.
fn discipline(c: &mut Checker<'_>, path: &FieldPath, raw: Option<&RawAcceptQueue>) -> Discipline {
    let Some(q) = raw else {
        return Discipline::Fifo;
    };
    let positive = |c: &mut Checker<'_>, field: &str, d: Option<Dur>, default: SimDuration| {
        let v = d.map_or(default, |d| d.0);
        if v == SimDuration::ZERO {
            c.fail(&path.key(field), "must be longer than 0s (got 0s)");
        }
        v
    };
    let unused = |c: &mut Checker<'_>, field: &str, set: bool, what: &str| {
        if set {
            c.fail(
                &path.key(field),
                format!("only applies to {what}: leave it out, or set that discipline"),
            );
        }
    };
    match q.discipline {
        RawDiscipline::Fifo | RawDiscipline::Lifo => {
            let what = "discipline = \"codel\" or \"adaptive_lifo\"";
            unused(c, "target", q.target.is_some(), "discipline = \"codel\"");
            unused(c, "interval", q.interval.is_some(), what);
            if q.discipline == RawDiscipline::Lifo {
                Discipline::Lifo
            } else {
                Discipline::Fifo
            }
        }
        RawDiscipline::AdaptiveLifo => {
            unused(c, "target", q.target.is_some(), "discipline = \"codel\"");
            let interval = Discipline::CODEL_INTERVAL;
            Discipline::AdaptiveLifo {
                interval: positive(c, "interval", q.interval, interval),
            }
        }
        RawDiscipline::Codel => Discipline::Codel {
            target: positive(c, "target", q.target, Discipline::CODEL_TARGET),
            interval: positive(c, "interval", q.interval, Discipline::CODEL_INTERVAL),
        },
    }
}

/// A group reading `topic` with no room (`capacity = 0`, at `path`): a
/// message is accepted only if one of its workers takes it at once, so it
/// must be pushed to (competing, not polling) and uncapped.
fn loss_reader(c: &mut Checker<'_>, path: &FieldPath, raw: &RawGroup, topic: &TopicSpec) {
    if topic.capacity != 0 {
        return;
    }
    let why = format!(
        "topic {:?} has capacity = 0 (a loss system), whose messages go straight to an idle worker or are refused",
        topic.name
    );
    if raw.consumption != RawConsumption::Competing {
        c.fail(
            &path.key("consumption"),
            format!("must be \"competing\": {why}"),
        );
    }
    if raw.poll_interval.0 != SimDuration::ZERO {
        c.fail(&path.key("poll_interval"), format!("must be 0s: {why}"));
    }
    for (field, set) in [
        ("max_rate_per_s", raw.max_rate_per_s.is_some()),
        (
            "partition_max_rate_per_s",
            raw.partition_max_rate_per_s.is_some(),
        ),
        ("key_max_rate_per_s", raw.key_max_rate_per_s.is_some()),
        ("prefetch", raw.prefetch.is_some_and(|p| p > 1)),
    ] {
        if set {
            c.fail(&path.key(field), format!("cannot be set: {why}"));
        }
    }
}

/// A cap per key, which partitioned groups cannot honour (a partition
/// delivers its keys in order, one at a time).
fn key_cap(c: &mut Checker<'_>, group: &FieldPath, raw: &RawGroup) -> Option<f64> {
    let by_key = raw.consumption == RawConsumption::KeyOrdered || raw.key_max_rate_per_s.is_some();
    if by_key && raw.partition_max_rate_per_s.is_some() {
        // A capped partition would hold back a key's older message while a
        // newer one of the same key goes from another partition.
        c.fail(
            &group.key("partition_max_rate_per_s"),
            "cannot be combined with key_ordered consumption or key_max_rate_per_s: cap the keys (key_max_rate_per_s) or the whole topic (max_rate_per_s)",
        );
    }
    let path = group.key("key_max_rate_per_s");
    let rate = rate_cap(c, &path, raw.key_max_rate_per_s)?;
    if raw.consumption == RawConsumption::Partitioned {
        c.fail(
            &path,
            "applies to competing or key_ordered consumption: a partitioned group takes its partitions' keys in order, so cap the partition (partition_max_rate_per_s)",
        );
    }
    Some(rate)
}

/// A throughput cap: a positive, finite rate.
fn rate_cap(c: &mut Checker<'_>, path: &FieldPath, value: Option<f64>) -> Option<f64> {
    let v = value?;
    if !(v.is_finite() && v > 0.0) {
        c.fail(
            path,
            format!("must be a rate above 0 per second (got {v}); leave it out for no cap"),
        );
    }
    Some(v)
}

fn keys(c: &mut Checker<'_>, path: &FieldPath, raw: &RawKeys) -> Option<KeyChooser> {
    let (variant, result) = match *raw {
        RawKeys::None => ("none", Ok(KeyChooser::keyless())),
        RawKeys::Single => ("single", Ok(KeyChooser::single())),
        RawKeys::Uniform { n } => ("uniform", KeyChooser::uniform(n)),
        RawKeys::Zipf { n, s } => ("zipf", KeyChooser::zipf(n, s)),
        RawKeys::Hot { n, share } => ("hot", KeyChooser::hot(n, share)),
    };
    c.param(&path.key(variant), result)
}

fn arrival(c: &mut Checker<'_>, path: &FieldPath, raw: &RawArrival) -> Option<ArrivalProcess> {
    let (variant, result) = match raw {
        RawArrival::Poisson { rate_per_s } => ("poisson", ArrivalProcess::poisson(*rate_per_s)),
        RawArrival::Constant { rate_per_s } => ("constant", ArrivalProcess::constant(*rate_per_s)),
        RawArrival::OnOff {
            rate_per_s,
            mean_on,
            mean_off,
            start_on,
        } => (
            "on_off",
            ArrivalProcess::on_off(*rate_per_s, mean_on.secs(), mean_off.secs(), *start_on),
        ),
        RawArrival::Mmpp { states } => (
            "mmpp",
            ArrivalProcess::mmpp(
                states
                    .iter()
                    .map(|s| (s.rate_per_s, s.mean_sojourn.secs()))
                    .collect(),
            ),
        ),
        RawArrival::Schedule { steps, poisson } => (
            "schedule",
            ArrivalProcess::schedule(
                steps.iter().map(|s| (s.at.secs(), s.rate_per_s)).collect(),
                *poisson,
            ),
        ),
        RawArrival::Burst { count, at, over } => (
            "burst",
            ArrivalProcess::burst(*count, at.secs(), over.secs()),
        ),
        RawArrival::Sinusoidal {
            mean_rate_per_s,
            amplitude_per_s,
            period,
            phase,
        } => (
            "sinusoidal",
            ArrivalProcess::sinusoidal(
                *mean_rate_per_s,
                *amplitude_per_s,
                period.secs(),
                phase.secs(),
            ),
        ),
        RawArrival::Batch { rate_per_s, size } => {
            let size = dist(c, &path.key("batch").key("size"), size)?;
            ("batch", ArrivalProcess::batch(*rate_per_s, size))
        }
        RawArrival::Trace { csv, time_scale } => {
            let read = ArrivalProcess::trace_from_csv(&c.base_dir.join(csv), *time_scale);
            let field = path.key("trace");
            let (trace, digest) = c.param(&field, read)?;
            c.input(&field.key("csv"), csv, digest);
            return Some(trace);
        }
    };
    c.param(&path.key(variant), result)
}

/// A magnitude in a distribution: seconds for durations, plain numbers
/// otherwise.
pub(super) trait Magnitude {
    /// The value as a number (seconds for durations).
    fn value(&self) -> f64;
}

impl Magnitude for Dur {
    fn value(&self) -> f64 {
        self.secs()
    }
}

impl Magnitude for f64 {
    fn value(&self) -> f64 {
        *self
    }
}

fn opt_dist<V: Magnitude>(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: Option<&RawDist<V>>,
) -> Option<Distribution> {
    raw.and_then(|d| dist(c, path, d))
}

/// A delay that may be one duration or a distribution; none when it is
/// zero (`"0s"`, or a constant 0: how a preset's measured overhead or
/// hand-off is turned off), so it costs nothing.
fn opt_delay(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: Option<&RawDelay>,
) -> Option<Distribution> {
    match raw? {
        RawDelay::Fixed(Dur(d)) | RawDelay::Drawn(RawDist::Constant { value: Dur(d) })
            if *d == SimDuration::ZERO =>
        {
            None
        }
        RawDelay::Fixed(d) => dist(c, path, &RawDist::Constant { value: *d }),
        RawDelay::Drawn(d) => dist(c, path, d),
    }
}

fn dist<V: Magnitude>(
    c: &mut Checker<'_>,
    path: &FieldPath,
    raw: &RawDist<V>,
) -> Option<Distribution> {
    let (variant, result) = match raw {
        RawDist::Constant { value } => ("constant", Distribution::constant(value.value())),
        RawDist::Uniform { low, high } => {
            ("uniform", Distribution::uniform(low.value(), high.value()))
        }
        RawDist::Exponential { mean } => ("exponential", Distribution::exponential(mean.value())),
        RawDist::Erlang { k, mean } => ("erlang", Distribution::erlang(*k, mean.value())),
        RawDist::Gamma { shape, mean } => ("gamma", Distribution::gamma(*shape, mean.value())),
        RawDist::Lognormal { mean, cv, p50, p99 } => ("lognormal", lognormal(mean, *cv, p50, p99)),
        RawDist::Hyperexponential { phases } => (
            "hyperexponential",
            Distribution::hyperexponential(
                phases
                    .iter()
                    .map(|p| (p.probability, p.mean.value()))
                    .collect(),
            ),
        ),
        RawDist::Empirical {
            samples,
            csv,
            column,
            scale,
        } => {
            let read = empirical(
                &c.base_dir,
                samples.as_deref(),
                csv.as_deref(),
                column.as_deref(),
                *scale,
            );
            let field = path.key("empirical");
            let (distribution, digest) = c.param(&field, read)?;
            if let (Some(csv), Some(digest)) = (csv, digest) {
                c.input(&field.key("csv"), csv, digest);
            }
            return Some(distribution);
        }
    };
    c.param(&path.key(variant), result)
}

fn lognormal<V: Magnitude>(
    mean: &Option<V>,
    cv: Option<f64>,
    p50: &Option<V>,
    p99: &Option<V>,
) -> Result<Distribution, ParamError> {
    match (mean, cv, p50, p99) {
        (Some(mean), Some(cv), None, None) => Distribution::lognormal_mean_cv(mean.value(), cv),
        (None, None, Some(p50), Some(p99)) => {
            Distribution::lognormal_p50_p99(p50.value(), p99.value())
        }
        _ => Err(ParamError::new(
            "",
            "expected either mean and cv, or p50 and p99",
        )),
    }
}

/// An empirical distribution, and the digest of its file if it has one.
fn empirical<V: Magnitude>(
    base_dir: &Path,
    samples: Option<&[V]>,
    csv: Option<&str>,
    column: Option<&str>,
    scale: Option<f64>,
) -> Result<(Distribution, Option<FileDigest>), ParamError> {
    match (samples, csv, column) {
        (Some(samples), None, None) if scale.is_none() => {
            Distribution::empirical(samples.iter().map(Magnitude::value).collect())
                .map(|d| (d, None))
        }
        (None, Some(csv), Some(column)) => {
            Distribution::empirical_from_csv(&base_dir.join(csv), column, scale.unwrap_or(1.0))
                .map(|(d, digest)| (d, Some(digest)))
        }
        _ => Err(ParamError::new(
            "",
            "expected either samples, or csv and column (with an optional scale)",
        )),
    }
}
