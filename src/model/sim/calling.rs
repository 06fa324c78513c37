//! `call` links in a graph: the callers of every link, and a worker's
//! calls. Once its own work is done, a worker of a group (or of a called
//! service) makes its calls in order, each with the probability its link
//! gives, and is held until each answers; an error or a timeout after the
//! retries ends its processing as a failure (DESIGN.md §2,
//! "Architectures").

use super::Simulation;
use super::callers::{Callers, Origin};
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
        let n = self.groups.len();
        let spec = match g.checked_sub(n) {
            Some(s) => &self.scenario.services[s],
            None => &self.scenario.groups[g],
        };
        let base = self.calls.base[g];
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
            if let Some(request) = self.calls.callers[l].create(&mut self.ctx, origin, false, false)
            {
                self.call(l, request);
            }
            return true;
        }
        false
    }
}
