//! Direct calls in the one event loop: a request goes through its link's
//! callers ([`super::callers`]) to the called service ([`super::called`]),
//! and each attempt's end goes back to its caller. In sync mode the
//! callers are producers; in a graph they are the workers of services
//! (see [`super::calling`]), whose final answers come back here.

use super::callers::{Answer, Attempt, Final, Origin, Parent, Sent as Attempted};
use super::held::Hold;
use super::onward::Sent;
use super::paths::Hop;
use super::{Event, Simulation};
use crate::engine::SimDuration;
use crate::model::autoscale::Phase;
use crate::model::message::Message;

impl Simulation<'_> {
    /// Producer `p`'s tick: one request per message on its call link
    /// (sync mode: link 0).
    pub(super) fn on_call_arrival(&mut self, p: usize) {
        let Some(tick) = self.producers[p].take_tick() else {
            return;
        };
        let Some(link) = self.calls.producer[p].map(usize::from) else {
            return; // Only a producer with a call link gets here.
        };
        let poison = self.producers[p].faults().poison;
        for _ in 0..tick.count {
            if self.failure.is_some() {
                return;
            }
            // Keys and sizes are drawn as in the queued run, to keep the
            // streams aligned; a called service's children keep them.
            let (key, size) = self.producers[p].draw(&tick);
            let key = crate::model::key::own_key(key, self.calls.callers[link].next_id());
            let down = self.producers[p].is_down(self.ctx.now);
            let origin = Origin::Producer(p as u32);
            let id = self.calls.callers[link].next_id();
            let parent = Parent {
                key,
                size,
                root: self.ctx.now,
                deadline: None,
                priority: self.producers[p].priority(id),
            };
            let callers = &mut self.calls.callers[link];
            if let Some(request) = callers.create(&mut self.ctx, origin, parent, poison, down) {
                self.call(link, request);
            }
        }
        self.schedule_next_tick(p, tick.time);
    }

    /// The caller of `request` on call link `link` sends its next attempt.
    pub(super) fn call(&mut self, link: usize, request: u32) {
        let s = self.calls.target[link];
        let called = &mut self.called[s];
        let refused = called.refuses();
        match self.calls.callers[link].attempt(&mut self.ctx, request, refused) {
            Attempted::Attempt(attempt) => {
                if let Err(err) = called.enqueue(&mut self.ctx, attempt, self.scenario.max_queued) {
                    self.failure.get_or_insert(err);
                }
                self.end_dropped(s);
            }
            Attempted::Refused(Some(answer)) => self.on_final(answer),
            Attempted::Refused(None) => {}
        }
    }

    /// An attempt ends at service `s`, processed or not: the service
    /// counts it, and its caller hears the answer.
    pub(super) fn end_attempt(&mut self, s: usize, attempt: Attempt, processed: bool) {
        let callers = &mut self.calls.callers[usize::from(attempt.link)];
        let caller = callers.caller(attempt.request, attempt.number);
        self.called[s].end(&self.ctx, &attempt, processed, caller);
        callers.attempt_ended(attempt.request, processed);
        if processed {
            callers.note_attempt_latency(self.ctx.now.since(attempt.enqueued));
            if !caller.is_some_and(|c| c.waiting) {
                callers.counts.wasted += 1;
            }
        }
        let answer = if processed {
            Answer::Success
        } else {
            Answer::Error
        };
        if let Some(answer) = callers.answer(&mut self.ctx, attempt.request, attempt.number, answer)
        {
            self.cancel_hedges(
                usize::from(attempt.link),
                attempt.request,
                attempt.id,
                answer,
            );
            self.on_final(answer);
        }
    }

    /// A hedging caller has its answer: its attempts still waiting at the
    /// service are cancelled (those running finish, their work wasted).
    fn cancel_hedges(&mut self, link: usize, request: u32, id: u64, answer: Final) {
        if self.calls.callers[link].hedges() {
            let s = self.calls.target[link];
            for number in 1..=answer.attempts {
                if self.called[s].cancel(&self.ctx, link as u16, id, number, true) {
                    self.calls.callers[link].attempt_ended(request, false);
                }
            }
        }
    }

    /// Ends the attempts service `s` dropped unrun: an error for the
    /// caller of one CoDel shed; nothing more for one whose caller's
    /// deadline passed (it has stopped waiting).
    pub(super) fn end_dropped(&mut self, s: usize) {
        if self.called[s].dropped.is_empty() {
            return;
        }
        for (attempt, tell) in self.called[s].take_dropped() {
            let link = usize::from(attempt.link);
            let callers = &mut self.calls.callers[link];
            callers.attempt_ended(attempt.request, false);
            if !tell {
                continue;
            }
            let (request, number) = (attempt.request, attempt.number);
            if let Some(answer) = callers.answer(&mut self.ctx, request, number, Answer::Error) {
                self.cancel_hedges(link, request, attempt.id, answer);
                self.on_final(answer);
            }
        }
    }

    /// An event of service `s`'s workers.
    pub(super) fn on_service_event(&mut self, s: usize, event: Event) {
        let ctx = &mut self.ctx;
        let called = &mut self.called[s];
        match event {
            Event::Done { worker, epoch, .. } => self.on_service_done(s, worker.index(), epoch),
            Event::Crash { worker, life, .. } => self.on_call_crash(s, worker.index(), life),
            Event::Restart { worker, life, .. } => {
                called.come_up(ctx, worker.index(), life, Phase::Crashed);
            }
            Event::Started { worker, life, .. } => {
                called.come_up(ctx, worker.index(), life, Phase::Starting);
            }
            Event::Evaluate { .. } => called.on_evaluate(ctx),
            Event::Scale { target, .. } => called.apply_scaling(ctx, target),
            Event::Outage { start, .. } => self.on_call_outage(s, start),
            _ => {}
        }
        self.end_dropped(s);
    }

    /// A worker of service `s` finished its own work: it makes its calls,
    /// if it has any and its work did not fail, else its attempt ends.
    pub(super) fn on_service_done(&mut self, s: usize, worker: usize, epoch: u32) {
        let called = &self.called[s];
        let calls = !called.spec.calls.is_empty()
            && called.workers.job(worker, epoch).is_some_and(|a| !a.fails);
        if calls && self.start_calls(called.index, worker, epoch, 0) {
            return;
        }
        self.complete_attempt(s, worker, epoch, true);
    }

    /// Worker `worker` of service `s` is done with its attempt (unless it
    /// crashed since `epoch`): processed if its own work and its calls
    /// (`calls_ok`) succeeded. A processed attempt publishes its children
    /// and completes at once, or when the last child a topic holds is
    /// settled.
    pub(super) fn complete_attempt(&mut self, s: usize, worker: usize, epoch: u32, calls_ok: bool) {
        let g = self.groups.len() + s;
        let called = self.calls.take_carried(g, worker, epoch);
        let Some(attempt) = self.called[s].workers.job(worker, epoch).copied() else {
            return;
        };
        let processed = !attempt.fails && calls_ok;
        let mut hold = Hold {
            g,
            waiting: Some((worker, epoch)),
            pending: 0,
            sent: Sent::default(),
            downstream: called.children,
            own_done: called.own_done.unwrap_or(self.ctx.now),
            calls_done: self.ctx.now,
            here: self.paths.service_root(s),
        };
        // Sync mode's one service never publishes (validation).
        let graph = matches!(self.scenario.link, crate::model::system::Link::Publish);
        if processed && graph && !self.called[s].spec.publish.is_empty() {
            let (sent, held) = self.publish_from_service(s, &attempt, (worker, epoch));
            if let Some(slot) = held {
                if let Some(h) = self.holds.slab.get_mut(slot) {
                    h.sent.children = sent.children;
                    h.sent.refused |= sent.refused;
                    h.downstream = hold.downstream;
                    h.own_done = hold.own_done;
                    h.calls_done = hold.calls_done;
                }
                return; // The worker waits for its children's publishes.
            }
            hold.sent = sent;
        } else if !processed {
            hold.sent.refused = true;
        }
        self.settle_attempt(s, worker, epoch, &hold);
    }

    /// Service `s` processed `attempt`: it publishes its links' children
    /// (keeping the request's key, size and root), whether or not its
    /// caller still listens, as a server does; worker `waiting` waits for
    /// those a topic holds.
    fn publish_from_service(
        &mut self,
        s: usize,
        attempt: &Attempt,
        waiting: (usize, u32),
    ) -> (Sent, Option<u32>) {
        let callers = &self.calls.callers[usize::from(attempt.link)];
        let Some(parent) = callers.parent(attempt.request) else {
            return (Sent::default(), None); // Held while an attempt is out: not reached.
        };
        let g = self.groups.len() + s;
        let here = self.paths.service_root(s);
        let path = self.paths.encode(here);
        let message = Message::new(attempt.id, parent.key, parent.size, path, parent.root);
        self.forward(g, &message, here, Some(waiting))
    }

    /// Worker `worker` of service `s` ends its attempt (unless it crashed
    /// since `epoch`): processed unless `hold` says it failed (its own work,
    /// its calls, or a refused child). A processed attempt of a service
    /// that publishes is recorded on its path; it ends a causal chain only
    /// if nothing was published downstream and a producer (not a worker,
    /// whose processing goes on) called.
    pub(super) fn settle_attempt(&mut self, s: usize, worker: usize, epoch: u32, hold: &Hold) {
        let Some(attempt) = self.called[s].on_done(&mut self.ctx, worker, epoch) else {
            return;
        };
        let processed = !hold.sent.refused;
        let children = hold.downstream + hold.sent.children;
        let callers = &mut self.calls.callers[usize::from(attempt.link)];
        if children > 0 {
            callers.add_children(attempt.request, children);
        }
        let publishes = !self.called[s].spec.publish.is_empty();
        if let (true, true, Some(parent), Some(origin)) = (
            processed,
            publishes,
            callers.parent(attempt.request),
            callers.origin(attempt.request),
        ) {
            let now = self.ctx.now;
            let hop = Hop::new(parent.root, attempt.enqueued, attempt.started, hold, now);
            let end = children == 0 && matches!(origin, Origin::Producer(_));
            self.paths.record(&self.ctx, hold.here, hop, end);
        }
        self.end_attempt(s, attempt, processed);
        self.called[s].dispatch(&mut self.ctx);
        self.end_dropped(s);
    }

    /// A worker of service `s` crashes.
    pub(super) fn on_call_crash(&mut self, s: usize, worker: usize, life: u32) {
        let Some(crashed) = self.called[s].crash(&mut self.ctx, worker, life) else {
            return;
        };
        if let Some(attempt) = crashed.interrupted {
            self.end_attempt(s, attempt, false);
        }
        self.called[s].after_crash(&mut self.ctx, worker, crashed.leaving);
    }

    /// Service `s` goes down, or comes back.
    pub(super) fn on_call_outage(&mut self, s: usize, start: bool) {
        let interrupted = self.called[s].on_outage(&mut self.ctx, start);
        if !start {
            return;
        }
        for attempt in interrupted {
            self.end_attempt(s, attempt, false);
        }
        self.called[s].after_outage(self.ctx.now);
    }

    /// A caller's timeout or retry.
    pub(super) fn on_caller_event(&mut self, event: Event) {
        match event {
            Event::CallTimeout {
                link,
                request,
                id,
                attempt,
            } => self.on_call_timeout(usize::from(link), request, id, attempt),
            Event::CallRetry { link, request, id } => {
                self.on_call_retry(usize::from(link), request, id);
            }
            _ => {}
        }
    }

    /// A caller's patience for one attempt on link `link` ran out.
    fn on_call_timeout(&mut self, link: usize, request: u32, id: u64, attempt: u32) {
        let callers = &mut self.calls.callers[link];
        if !callers.is(request, id) {
            return;
        }
        let waited = callers.caller(request, attempt).is_some_and(|c| c.waiting);
        let answer = callers.answer(&mut self.ctx, request, attempt, Answer::Timeout);
        // The caller stopped waiting for this attempt: a service that hears
        // of it drops it if it has not started.
        let s = self.calls.target[link];
        if waited && self.called[s].cancel(&self.ctx, link as u16, id, attempt, false) {
            self.calls.callers[link].attempt_ended(request, false);
        }
        if let Some(answer) = answer {
            self.cancel_hedges(link, request, id, answer);
            self.on_final(answer);
        }
    }

    /// A caller on link `link` tries again.
    fn on_call_retry(&mut self, link: usize, request: u32, id: u64) {
        if self.calls.callers[link].is(request, id) {
            self.call(link, request);
        }
    }

    /// Producer `p` (one that calls) crashes: its waiting callers are
    /// gone, and it loses its arrivals until it is back.
    pub(super) fn on_caller_crash(&mut self, p: usize, down: SimDuration) {
        self.producers[p].crash(self.ctx.now, down);
        if let Some(link) = self.calls.producer[p] {
            self.calls.callers[usize::from(link)].producer_crashed(p);
        }
    }

    /// A caller has its final answer: a producer's caller is done; a
    /// worker goes on to its next call, or is done with its processing.
    pub(super) fn on_final(&mut self, answer: Final) {
        let Origin::Worker {
            service,
            worker,
            epoch,
            stage,
        } = answer.origin
        else {
            return;
        };
        let w = worker.index();
        let g = service.index();
        if answer.children > 0 {
            self.calls.add_carried(g, w, epoch, answer.children);
        }
        if answer.ok && self.start_calls(service, w, epoch, usize::from(stage) + 1) {
            return;
        }
        if g < self.groups.len() {
            self.complete_linked(g, w, epoch, answer.ok);
        } else {
            self.complete_attempt(g - self.groups.len(), w, epoch, answer.ok);
        }
    }
}
