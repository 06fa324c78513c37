//! Paths: where a message and its ancestors have been, from the topic its
//! root was published to (or the called service that published it first),
//! through each group that processed it and each topic a group published
//! it to. The paths a graph allows are listed
//! once, before the run, in breadth-first order up to [`MAX_PATHS`] (a
//! publish cycle allows endless paths: those past the list share one,
//! `other`); every replication names the same paths in the same order.
//!
//! A message carries its path in its `producer` field: below the number
//! of producers it is a root, on the path of its producer's topic; above,
//! a descendant on path `producer − producers`.

use super::ctx::Ctx;
use crate::engine::SimTime;
use crate::model::message::Message;
use crate::model::system::System;
use crate::stats::LatencyHistogram;

/// Paths listed before the run; longer ones share `other`.
pub(super) const MAX_PATHS: usize = 256;

/// A place on a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Place {
    /// A topic, by index.
    Topic(usize),
    /// A group, by index, or a called service, past the groups.
    Group(usize),
}

/// One processing at the end of a path, as the times it split into: from
/// its root to the end, and at its last group (or service) the wait from
/// entering its buffer to the start of the delivery that succeeded
/// (earlier failed deliveries and their backoffs included) and the
/// processing itself (own work and calls).
#[derive(Clone, Copy, Debug)]
pub(super) struct Hop {
    pub e2e_ns: u64,
    pub wait_ns: u64,
    pub work_ns: u64,
    /// The processing's parts: own work, calls, and the wait for its
    /// children's publishes.
    pub service_ns: u64,
    pub calls_ns: u64,
    pub publish_ns: u64,
}

impl Hop {
    /// A processing `started` on a message that entered its buffer (or
    /// queue) at `enqueued`, whose root was created at `root`, settled
    /// `now` after the calls and publishes `hold` records.
    pub(super) fn new(
        root: SimTime,
        enqueued: SimTime,
        started: SimTime,
        hold: &super::held::Hold,
        now: SimTime,
    ) -> Hop {
        let own_done = hold.own_done.max(started);
        let calls_done = hold.calls_done.max(own_done);
        Hop {
            e2e_ns: now.since(root).as_nanos(),
            wait_ns: started.since(enqueued).as_nanos(),
            work_ns: now.since(started).as_nanos(),
            service_ns: own_done.since(started).as_nanos(),
            calls_ns: calls_done.since(own_done).as_nanos(),
            publish_ns: now.since(calls_done).as_nanos(),
        }
    }
}

/// One path: its last place and the path before it.
#[derive(Clone, Copy, Debug)]
struct Node {
    parent: Option<u32>,
    place: Place,
}

/// The paths of a graph and what was measured along them.
pub(super) struct Paths {
    /// Producers in the system: `Message::producer` below this is a root.
    producers: u32,
    /// The path of each topic's roots (a path of one topic), by topic.
    roots: Vec<u32>,
    /// The path of what each called service publishes first (a path of
    /// one service), by service: `u32::MAX` for one that publishes
    /// nothing.
    service_roots: Vec<u32>,
    nodes: Vec<Node>,
    /// Each path's listed continuations, by place (a handful: a topic's
    /// readers, a group's links), searched in order: no hashing per hop.
    next: Vec<Vec<(Place, u32)>>,
    /// Per path ending at a group: processings and their time from the
    /// root, in the window.
    processed: Vec<u64>,
    e2e: Vec<LatencyHistogram>,
    /// Per path ending at a group: the wait and the processing there.
    wait: Vec<LatencyHistogram>,
    work: Vec<LatencyHistogram>,
    /// Per path: the processing's parts, summed (own work, calls, the
    /// wait for publishes), in nanoseconds.
    parts: Vec<[u128; 3]>,
    /// Time from the root to each processing that published nothing
    /// onward: the end of a causal chain.
    ends: LatencyHistogram,
    ended: u64,
    /// Some path was left out of the list (a publish cycle, or too many).
    truncated: bool,
}

impl Paths {
    /// The paths `system` allows, none measured yet.
    pub(super) fn new(system: &System) -> Paths {
        let mut paths = Paths {
            producers: system.producers.len() as u32,
            roots: Vec::new(),
            service_roots: Vec::new(),
            nodes: Vec::new(),
            next: Vec::new(),
            processed: Vec::new(),
            e2e: Vec::new(),
            wait: Vec::new(),
            work: Vec::new(),
            parts: Vec::new(),
            ends: LatencyHistogram::new(),
            ended: 0,
            truncated: false,
        };
        if !system.tracks_paths() {
            return paths;
        }
        // A path starts where producers publish.
        for t in 0..system.topics.len() {
            if system.producers.iter().any(|p| p.publishes_to(t)) {
                paths.roots.push(paths.nodes.len() as u32);
                paths.nodes.push(Node {
                    parent: None,
                    place: Place::Topic(t),
                });
                paths.next.push(Vec::new());
            } else {
                paths.roots.push(u32::MAX);
            }
        }
        // A path also starts at a called service that publishes.
        let n = system.groups.len();
        for (s, service) in system.services.iter().enumerate() {
            if service.publish.is_empty() {
                paths.service_roots.push(u32::MAX);
            } else {
                paths.service_roots.push(paths.nodes.len() as u32);
                paths.nodes.push(Node {
                    parent: None,
                    place: Place::Group(n + s),
                });
                paths.next.push(Vec::new());
            }
        }
        // Breadth first: a topic's readers, then a group's links.
        let mut at = 0;
        while at < paths.nodes.len() {
            let node = paths.nodes[at];
            let parent = at as u32;
            let after: Vec<Place> = match node.place {
                Place::Topic(t) => system.readers(t).map(Place::Group).collect(),
                Place::Group(g) => (system.service(g).publish.iter())
                    .map(|l| Place::Topic(l.topic))
                    .collect(),
            };
            for place in after {
                if paths.next[at].iter().any(|(p, _)| *p == place) {
                    continue;
                }
                if paths.nodes.len() >= MAX_PATHS {
                    paths.truncated = true;
                    break;
                }
                let id = paths.nodes.len() as u32;
                paths.nodes.push(Node {
                    parent: Some(parent),
                    place,
                });
                paths.next[at].push((place, id));
                paths.next.push(Vec::new());
            }
            at += 1;
        }
        paths.processed = vec![0; paths.nodes.len() + 1];
        let histograms = || {
            (0..=paths.nodes.len())
                .map(|_| LatencyHistogram::new())
                .collect()
        };
        paths.e2e = histograms();
        paths.wait = histograms();
        paths.work = histograms();
        paths.parts = vec![[0; 3]; paths.nodes.len() + 1];
        paths
    }

    /// The path `other`: past the listed ones.
    fn other(&self) -> u32 {
        self.nodes.len() as u32
    }

    /// The path `message` took to where it is now.
    pub(super) fn of(&self, message: &Message, producer_topic: impl Fn(usize) -> usize) -> u32 {
        match message.producer.checked_sub(self.producers) {
            Some(path) => path,
            None => self.roots[producer_topic(message.producer as usize)],
        }
    }

    /// The path of what called service `s` publishes (`other` for one
    /// that publishes nothing).
    pub(super) fn service_root(&self, s: usize) -> u32 {
        match self.service_roots.get(s) {
            Some(&root) if root != u32::MAX => root,
            _ => self.other(),
        }
    }

    /// Path `path` followed by `place`.
    pub(super) fn then(&self, path: u32, place: Place) -> u32 {
        let mut listed = self.next.get(path as usize).into_iter().flatten();
        listed
            .find(|(p, _)| *p == place)
            .map_or_else(|| self.other(), |&(_, id)| id)
    }

    /// What a descendant on `path` carries in its `producer` field.
    pub(super) fn encode(&self, path: u32) -> u32 {
        self.producers + path
    }

    /// A processing at the end of `path` (which ends at a group or a
    /// called service), split as `hop` says; `end`: it published nothing
    /// onward.
    pub(super) fn record(&mut self, ctx: &Ctx, path: u32, hop: Hop, end: bool) {
        if !ctx.in_window {
            return;
        }
        let p = path as usize;
        self.processed[p] += 1;
        self.e2e[p].record(hop.e2e_ns);
        self.wait[p].record(hop.wait_ns);
        self.work[p].record(hop.work_ns);
        let parts = &mut self.parts[p];
        parts[0] += u128::from(hop.service_ns);
        parts[1] += u128::from(hop.calls_ns);
        parts[2] += u128::from(hop.publish_ns);
        if end {
            self.ended += 1;
            self.ends.record(hop.e2e_ns);
        }
    }

    /// Statistics restart (end of warm-up).
    pub(super) fn restart_window(&mut self) {
        self.processed.iter_mut().for_each(|n| *n = 0);
        self.e2e.iter_mut().for_each(LatencyHistogram::clear);
        self.wait.iter_mut().for_each(LatencyHistogram::clear);
        self.work.iter_mut().for_each(LatencyHistogram::clear);
        self.parts.iter_mut().for_each(|p| *p = [0; 3]);
        self.ends.clear();
        self.ended = 0;
    }

    /// Each path that ends at a group, with its name (places joined by
    /// `-`, `other` past the listed ones), processings and time from the
    /// root; then, if some paths were left out of the list, theirs
    /// (`other`); then the ends of chains, named `all`.
    pub(super) fn outcomes(&self, system: &System) -> Vec<super::outcome::PathOutcome> {
        if self.nodes.is_empty() {
            return Vec::new();
        }
        let name = |mut at: u32| {
            let mut places = Vec::new();
            loop {
                let node = self.nodes[at as usize];
                places.push(match node.place {
                    Place::Topic(t) => system.topics[t].name.as_str(),
                    Place::Group(g) => system.service(g).name.as_str(),
                });
                match node.parent {
                    Some(parent) => at = parent,
                    None => break,
                }
            }
            places.reverse();
            places.join("-")
        };
        // The paths ending at a group along path `at`, from its root.
        let hops = |mut at: u32| {
            let mut hops = Vec::new();
            loop {
                let node = self.nodes[at as usize];
                if let Place::Group(_) = node.place {
                    hops.push(name(at));
                }
                match node.parent {
                    Some(parent) => at = parent,
                    None => break,
                }
            }
            hops.reverse();
            hops
        };
        let mut out: Vec<_> = (self.nodes.iter().enumerate())
            .filter_map(|(p, node)| match node.place {
                Place::Group(g) => Some((p, g)),
                Place::Topic(_) => None,
            })
            .map(|(p, g)| super::outcome::PathOutcome {
                name: name(p as u32),
                place: system.service(g).name.clone(),
                hops: hops(p as u32),
                processed: self.processed[p],
                e2e: self.e2e[p].summary(),
                queue_wait: Some(self.wait[p].summary()),
                processing: Some(self.work[p].summary()),
                processing_parts: Some(self.parts[p].map(|ns| {
                    let n = self.processed[p].max(1) as f64;
                    ns as f64 / n / 1e9
                })),
            })
            .collect();
        if self.truncated {
            let other = self.other() as usize;
            out.push(super::outcome::PathOutcome {
                name: "other".to_owned(),
                place: String::new(),
                hops: Vec::new(),
                processed: self.processed[other],
                e2e: self.e2e[other].summary(),
                queue_wait: None,
                processing: None,
                processing_parts: None,
            });
        }
        out.push(super::outcome::PathOutcome {
            name: "all".to_owned(),
            place: String::new(),
            hops: Vec::new(),
            processed: self.ended,
            e2e: self.ends.summary(),
            queue_wait: None,
            processing: None,
            processing_parts: None,
        });
        out
    }
}
