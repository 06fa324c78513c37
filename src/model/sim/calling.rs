//! `call` links in a graph: the callers of every link, and a worker's
//! calls. Once its own work is done, a worker of a group (or of a called
//! service) makes its calls in order, each with the probability its link
//! gives, and is held until each answers; an error or a timeout after the
//! retries ends its processing as a failure. A producer with a `call`
//! link sends each message as a request (DESIGN.md §2, "Architectures").

use super::Simulation;
use super::callers::{Callers, Origin, Parent};
use super::ids::{GroupId, WorkerId};
use crate::engine::StreamId;
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
    /// Per group (then service) and worker: the life (epoch) of the job
    /// whose calls are under way, and the messages those calls published
    /// downstream so far (its chain goes on if any did). Taken when the
    /// job completes; a crash changes the epoch.
    pub carried: Vec<Vec<(u32, u64)>>,
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
                let callers = Callers::new(&link.call, index, rng(name("retry")), route);
                links.callers.push(callers);
                links.target.push(link.service);
            }
        }
        for producer in &system.producers {
            let index = producer.call.as_ref().map(|link| {
                let index = links.callers.len() as u16;
                let retry = rng(format!("producer/{}/call/retry", producer.name));
                links
                    .callers
                    .push(Callers::new(&link.call, index, retry, None));
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
            self.calls.set_carried(g, w, epoch, 0);
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
            if let Some(request) = callers.create(&mut self.ctx, origin, parent, false, false) {
                self.call(l, request);
            }
            return true;
        }
        false
    }
}

impl CallLinks<'_> {
    /// Sets what worker `w` of group or service `g`, in job `epoch`, has
    /// had published downstream by its calls.
    pub(super) fn set_carried(&mut self, g: usize, w: usize, epoch: u32, n: u64) {
        let Some(workers) = self.carried.get_mut(g) else {
            return;
        };
        if workers.len() <= w {
            workers.resize(w + 1, (u32::MAX, 0));
        }
        workers[w] = (epoch, n);
    }

    /// What the calls of worker `w` of `g` in `epoch` have published
    /// downstream so far (0 for a job that made no call).
    pub(super) fn carried(&self, g: usize, w: usize, epoch: u32) -> u64 {
        match self.carried.get(g).and_then(|workers| workers.get(w)) {
            Some(&(e, n)) if e == epoch => n,
            _ => 0,
        }
    }

    /// [`CallLinks::carried`], as the job completes: the tally is cleared
    /// for the worker's next job.
    pub(super) fn take_carried(&mut self, g: usize, w: usize, epoch: u32) -> u64 {
        let n = self.carried(g, w, epoch);
        if n > 0 {
            self.set_carried(g, w, epoch, 0);
        }
        n
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
        };
        match g.checked_sub(self.groups.len()) {
            None => (self.groups[g].workers.job(w, epoch)).map_or(none, |d| {
                let m = &d.item.message;
                Parent {
                    key: m.key,
                    size: m.size,
                    root: m.created,
                }
            }),
            Some(s) => (self.called[s].workers.job(w, epoch))
                .and_then(|a| self.calls.callers[usize::from(a.link)].parent(a.request))
                .unwrap_or(none),
        }
    }
}
