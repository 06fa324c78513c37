//! `call` links in a graph: the callers of every link, and a worker's
//! calls. Once its own work is done, a worker of a group (or of a called
//! service) makes its calls in order, each with the probability its link
//! gives, and is held until each answers; an error or a timeout after the
//! retries ends its processing as a failure. A producer with a `call`
//! link sends each message as a request (DESIGN.md §2, "Architectures").

use super::Simulation;
use super::callers::{Callers, Final, Origin, Parent};
use super::ids::{GroupId, WorkerId};
use crate::engine::{SimTime, StreamId};
use crate::model::system::System;

/// The callers of every call link, and where each link goes.
pub(super) struct CallLinks<'s> {
    /// One per link: each group's links, then each service's.
    pub callers: Vec<Callers<'s>>,
    /// The service each link calls.
    pub target: Vec<usize>,
    /// Each group's, then each service's, first link.
    pub base: Vec<usize>,
    /// Each producer's link, if it calls instead of publishing.
    pub producer: Vec<Option<u16>>,
    /// Per group (then service) and worker: the job whose calls are
    /// under way. Taken when the job completes; a crash changes the epoch.
    pub carried: Vec<Vec<Calling>>,
}

/// A job making its calls.
#[derive(Clone, Copy, Debug)]
pub(super) struct Calling {
    /// The worker's life when the calls started.
    pub epoch: u32,
    /// Messages the calls published downstream so far (the job's chain
    /// goes on if any did).
    pub children: u64,
    /// When its own work ended and its calls started.
    pub own_done: SimTime,
}

/// What a completing job's calls did: the messages they published
/// downstream, and when its own work ended (`None`: it made no call).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Called {
    pub children: u64,
    pub own_done: Option<SimTime>,
}

impl<'s> CallLinks<'s> {
    /// The call links of `system`'s groups and services, for replication
    /// `replication`. Each link draws from its own streams, named after its
    /// caller and position.
    pub(super) fn new(system: &'s System, replication: u64) -> CallLinks<'s> {
        let rng = |name: String| StreamId::named(&name).rng(system.seed, replication);
        let mut links = CallLinks {
            callers: Vec::new(),
            target: Vec::new(),
            base: Vec::new(),
            producer: Vec::new(),
            carried: vec![Vec::new(); system.groups.len() + system.services.len()],
        };
        for caller in system.groups.iter().chain(&system.services) {
            links.base.push(links.callers.len());
            for (i, link) in caller.calls.iter().enumerate() {
                let name = |what: &str| format!("group/{}/call/{i}/{what}", caller.name);
                let route = (link.probability < 1.0).then(|| rng(name("route")));
                let index = links.callers.len() as u16;
                let patience = rng(name("patience"));
                let callers = Callers::new(&link.call, index, rng(name("retry")), route, patience);
                links.callers.push(callers);
                links.target.push(link.service);
            }
        }
        for producer in &system.producers {
            let index = producer.call.as_ref().map(|link| {
                let index = links.callers.len() as u16;
                let retry = rng(format!("producer/{}/call/retry", producer.name));
                let patience = rng(format!("producer/{}/call/patience", producer.name));
                let callers = Callers::new(&link.call, index, retry, None, patience);
                links.callers.push(callers);
                links.target.push(link.service);
                index
            });
            links.producer.push(index);
        }
        links
    }
}

impl Simulation<'_> {
    /// Worker `w` of `service` (a group, or a called service past the
    /// groups), in `epoch`, makes its next call from its `from`-th link on,
    /// skipping those whose draw says no. `false` if none is left: the
    /// caller then finishes its processing itself.
    pub(super) fn start_calls(
        &mut self,
        service: GroupId,
        w: usize,
        epoch: u32,
        from: usize,
    ) -> bool {
        let g = service.index();
        let spec = self.scenario.service(g);
        let base = self.calls.base[g];
        if from == 0 {
            self.calls.start(g, w, epoch, self.ctx.now);
        }
        for (stage, link) in spec.calls.iter().enumerate().skip(from) {
            let l = base + stage;
            if !self.calls.callers[l].draw(link.probability) {
                continue;
            }
            let origin = Origin::Worker {
                service,
                worker: WorkerId::of(w),
                epoch,
                stage: stage as u16,
            };
            let parent = self.parent_of(g, w, epoch);
            let callers = &mut self.calls.callers[l];
            match callers.create(&mut self.ctx, origin, parent, false, false) {
                Some(request) => self.call(l, request),
                // Its pool (bulkhead) is full: the call fails at once.
                None => self.on_final(Final {
                    origin,
                    ok: false,
                    attempts: 0,
                    children: 0,
                }),
            }
            return true;
        }
        false
    }
}

impl CallLinks<'_> {
    /// Worker `w` of group or service `g`, in `epoch`, ended its own work
    /// at `now` and starts its calls.
    pub(super) fn start(&mut self, g: usize, w: usize, epoch: u32, now: SimTime) {
        let Some(workers) = self.carried.get_mut(g) else {
            return;
        };
        let idle = Calling {
            epoch: u32::MAX,
            children: 0,
            own_done: SimTime::ZERO,
        };
        if workers.len() <= w {
            workers.resize(w + 1, idle);
        }
        workers[w] = Calling {
            epoch,
            children: 0,
            own_done: now,
        };
    }

    /// A call of worker `w` of `g` in `epoch` published `n` messages
    /// downstream.
    pub(super) fn add_carried(&mut self, g: usize, w: usize, epoch: u32, n: u64) {
        let calling = (self.carried.get_mut(g)).and_then(|workers| workers.get_mut(w));
        if let Some(c) = calling.filter(|c| c.epoch == epoch) {
            c.children += n;
        }
    }

    /// What the calls of worker `w` of `g` in `epoch` did, as its job
    /// completes; cleared for the worker's next job.
    pub(super) fn take_carried(&mut self, g: usize, w: usize, epoch: u32) -> Called {
        let calling = (self.carried.get_mut(g)).and_then(|workers| workers.get_mut(w));
        match calling.filter(|c| c.epoch == epoch) {
            Some(c) => {
                c.epoch = u32::MAX;
                Called {
                    children: c.children,
                    own_done: Some(c.own_done),
                }
            }
            None => Called::default(),
        }
    }
}

impl Simulation<'_> {
    /// What worker `w` of group or service `g` (in `epoch`) is working
    /// on, as the parent of what it sends: a group's message, or the
    /// request behind a service's attempt.
    pub(super) fn parent_of(&self, g: usize, w: usize, epoch: u32) -> Parent {
        let none = Parent {
            key: 0,
            size: 0,
            root: self.ctx.now,
            deadline: None,
            priority: 0,
        };
        match g.checked_sub(self.groups.len()) {
            None => (self.groups[g].workers.job(w, epoch)).map_or(none, |d| {
                let m = &d.item.message;
                // A priority queue's lane is its message's priority.
                let topic = &self.scenario.topics[self.scenario.groups[g].topic];
                Parent {
                    key: m.key,
                    size: m.size,
                    root: m.created,
                    deadline: None,
                    priority: topic.max_priority.map_or(0, |_| m.partition as u8),
                }
            }),
            Some(s) => (self.called[s].workers.job(w, epoch))
                .and_then(|a| {
                    let parent = self.calls.callers[usize::from(a.link)].parent(a.request)?;
                    // The attempt's deadline, if it travels, bounds its calls.
                    Some(Parent {
                        deadline: a.deadline,
                        priority: a.priority,
                        ..parent
                    })
                })
                .unwrap_or(none),
        }
    }
}
