//! The callers of one direct-call link: a component that holds each
//! request from its caller's point of view (attempts, timeouts, retries)
//! and the answer each caller finally sees. The callers are producers (sync
//! mode) or the workers of a service making a `call`; the called service
//! is [`super::called`].

use super::ctx::Ctx;
use super::ids::{GroupId, WorkerId};
use super::{Event, LogKind, TOPIC};
use crate::engine::{RngStream, SimDuration, SimTime, Slab};
use crate::model::system::CallSpec;
use crate::stats::LatencyHistogram;
use rand::RngExt;

/// What the called service answered, or why there is no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Answer {
    /// Processed.
    Success,
    /// An error: refused, failed, crashed.
    Error,
    /// The caller stopped waiting.
    Timeout,
}

/// Who waits for a request's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// A producer's caller (sync mode).
    Producer(u32),
    /// A worker of a group or called service, held by its `stage`-th call
    /// (stale once the worker's `epoch` moved on: it crashed).
    Worker {
        service: GroupId,
        worker: WorkerId,
        epoch: u32,
        stage: u16,
    },
}

/// What a request carries from what its caller was working on: the key
/// and size a called service's children keep, and the time its root was
/// created (end-to-end latency counts from there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Parent {
    pub key: u64,
    pub size: u32,
    pub root: SimTime,
}

/// A caller's final answer: its request succeeded, or failed for good.
#[derive(Clone, Copy, Debug)]
pub(super) struct Final {
    pub origin: Origin,
    pub ok: bool,
    /// Messages the called service (and what it called) published for
    /// this request: the causal chain goes on downstream of them.
    pub children: u64,
}

/// What sending an attempt did.
#[derive(Clone, Copy, Debug)]
pub(super) enum Sent {
    /// The attempt, for the called service.
    Attempt(Attempt),
    /// Refused at once (the service is down): the caller may have its
    /// final answer.
    Refused(Option<Final>),
}

/// One request, from its caller's point of view.
#[derive(Clone, Copy, Debug)]
pub(super) struct Request {
    /// Creation-order id (from 0, as queued message ids).
    pub id: u64,
    /// Who waits.
    pub origin: Origin,
    /// Malformed: every attempt fails.
    pub poison: bool,
    pub created: SimTime,
    /// What it carries from its caller's work.
    pub parent: Parent,
    /// Messages its attempts published downstream (see [`Final`]).
    pub children: u64,
    /// The attempt the caller is waiting for (1 for the first).
    pub attempt: u32,
    /// Attempts still queued or running downstream.
    pub outstanding: u32,
    /// The caller has its answer (success or final error).
    pub answered: bool,
    /// Some attempt was processed successfully.
    pub done: bool,
}

/// One attempt of a request, as the called service sees it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Attempt {
    /// The call link whose callers sent it.
    pub link: u16,
    pub request: u32,
    /// The request's creation-order id (slots are reused; ids are not).
    pub id: u64,
    pub number: u32,
    pub enqueued: SimTime,
    /// When a worker took it (set then).
    pub started: SimTime,
    /// The request is malformed: every attempt fails.
    pub poison: bool,
    /// Decided when a worker takes it: `true` if it will fail.
    pub fails: bool,
}

/// The callers' counts.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CallerCounts {
    pub requests: u64,
    /// Attempts after a request's first (retries).
    pub retries: u64,
    /// Requests whose caller had a success.
    pub succeeded: u64,
    pub attempts: u64,
    pub refused: u64,
    pub accepted: u64,
    pub caller_errors: u64,
    pub caller_timeouts: u64,
    pub work_lost: u64,
    /// Requests refused by the callers' own pool (none made an attempt).
    pub shed: u64,
    /// Retries the retry budget did not send.
    pub throttled: u64,
}

impl CallerCounts {
    /// Adds `other`'s counts (the links into one service).
    pub(super) fn add(&mut self, other: &CallerCounts) {
        self.requests += other.requests;
        self.retries += other.retries;
        self.succeeded += other.succeeded;
        self.attempts += other.attempts;
        self.refused += other.refused;
        self.accepted += other.accepted;
        self.caller_errors += other.caller_errors;
        self.caller_timeouts += other.caller_timeouts;
        self.work_lost += other.work_lost;
        self.shed += other.shed;
        self.throttled += other.throttled;
    }
}

/// Every caller on one direct-call link.
pub(super) struct Callers<'s> {
    spec: &'s CallSpec,
    /// The link's index (attempts name it).
    link: u16,
    /// Draws whether a processing makes the call (a link with a
    /// probability below 1).
    route_rng: Option<RngStream>,
    pub requests: Slab<Request>,
    /// Requests whose caller still waits (for the pool).
    open: u32,
    /// The retry budget's token count.
    tokens: f64,
    pub counts: CallerCounts,
    /// Request to answer, as the callers saw it.
    pub latency: LatencyHistogram,
    retry_rng: RngStream,
    /// Draws each attempt's patience (with a patience distribution).
    patience_rng: RngStream,
}

impl<'s> Callers<'s> {
    /// The callers of link `link` following `spec`, drawing retry
    /// backoffs from `retry_rng` and, with `route_rng`, whether a
    /// processing calls.
    pub(super) fn new(
        spec: &'s CallSpec,
        link: u16,
        retry_rng: RngStream,
        route_rng: Option<RngStream>,
        patience_rng: RngStream,
    ) -> Callers<'s> {
        Callers {
            spec,
            link,
            route_rng,
            requests: Slab::default(),
            open: 0,
            tokens: spec.retry_budget.map_or(0.0, |(max, _)| max),
            counts: CallerCounts::default(),
            latency: LatencyHistogram::new(),
            retry_rng,
            patience_rng,
        }
    }

    /// Whether a processing makes this call now, with `probability`.
    pub(super) fn draw(&mut self, probability: f64) -> bool {
        match self.route_rng.as_mut() {
            Some(rng) => rng.random::<f64>() < probability,
            None => true,
        }
    }

    /// A new request from `origin`, carrying `parent`, or `None` if its
    /// caller is down (the request is lost with it).
    pub(super) fn create(
        &mut self,
        ctx: &mut Ctx,
        origin: Origin,
        parent: Parent,
        poison: bool,
        down: bool,
    ) -> Option<u32> {
        let id = self.counts.requests;
        self.counts.requests += 1;
        if let Origin::Producer(_) = origin {
            ctx.note(LogKind::Published, id, TOPIC);
        }
        if down {
            self.counts.caller_errors += 1;
            self.counts.work_lost += 1;
            return None;
        }
        if self.spec.pool.is_some_and(|pool| self.open >= pool) {
            // The caller's pool is exhausted: refused before any attempt.
            self.counts.caller_errors += 1;
            self.counts.shed += 1;
            self.counts.work_lost += 1;
            return None;
        }
        self.open += 1;
        Some(self.requests.insert(Request {
            id,
            origin,
            poison,
            created: ctx.now,
            parent,
            children: 0,
            attempt: 0,
            outstanding: 0,
            answered: false,
            done: false,
        }))
    }

    /// The next attempt of `request`: counted, and refused at once if the
    /// called service is down or full (`refused`). Otherwise its timeout is
    /// scheduled and the attempt returned for the called service.
    pub(super) fn attempt(&mut self, ctx: &mut Ctx, request: u32, refused: bool) -> Sent {
        let Some(r) = self.requests.get_mut(request) else {
            return Sent::Refused(None);
        };
        r.attempt += 1;
        let number = r.attempt;
        self.counts.attempts += 1;
        if number > 1 {
            self.counts.retries += 1;
        }
        if refused {
            // Connection refused, or 503: an immediate error.
            self.counts.refused += 1;
            return Sent::Refused(self.answer(ctx, request, number, Answer::Error));
        }
        r.outstanding += 1;
        let (id, poison) = (r.id, r.poison);
        self.counts.accepted += 1;
        let patience = match &self.spec.patience {
            Some(d) => SimDuration::from_secs_f64(d.sample(&mut self.patience_rng)),
            None => self.spec.timeout,
        };
        let timeout = ctx.now + patience;
        ctx.schedule(
            timeout,
            Event::CallTimeout {
                link: self.link,
                request,
                id,
                attempt: number,
            },
        );
        Sent::Attempt(Attempt {
            link: self.link,
            request,
            id,
            number,
            enqueued: ctx.now,
            started: ctx.now,
            poison,
            fails: false,
        })
    }

    /// The answer to attempt `number` of `request` reaches its caller, who
    /// is done (its final answer returned), retries, or has stopped
    /// listening to that attempt.
    pub(super) fn answer(
        &mut self,
        ctx: &mut Ctx,
        request: u32,
        number: u32,
        answer: Answer,
    ) -> Option<Final> {
        let r = self.requests.get(request).copied()?;
        if r.answered || r.attempt != number {
            return None; // The caller already moved on: late answers go nowhere.
        }
        if answer == Answer::Timeout {
            self.counts.caller_timeouts += 1;
        }
        let retries_left = r.attempt <= self.spec.retry_attempts;
        // The retry budget: failures spend tokens, successes give some
        // back, and retries wait for more than half of the ceiling.
        let allowed = match self.spec.retry_budget {
            None => true,
            Some((max, ratio)) => {
                self.tokens = if answer == Answer::Success {
                    (self.tokens + ratio).min(max)
                } else {
                    (self.tokens - 1.0).max(0.0)
                };
                self.tokens > max / 2.0
            }
        };
        if answer != Answer::Success && retries_left && !allowed {
            self.counts.throttled += 1;
        }
        if answer != Answer::Success && retries_left && allowed {
            let delay = self
                .spec
                .retry_backoff
                .delay(r.attempt, &mut self.retry_rng);
            let event = Event::CallRetry {
                link: self.link,
                request,
                id: r.id,
            };
            ctx.schedule(ctx.now + delay, event);
            return None;
        }
        let ok = answer == Answer::Success;
        if ok {
            self.counts.succeeded += 1;
        } else {
            self.counts.caller_errors += 1;
        }
        if ctx.in_window {
            self.latency.record(ctx.now.since(r.created).as_nanos());
        }
        if let Some(r) = self.requests.get_mut(request) {
            r.answered = true;
            self.open -= 1;
        }
        self.release(request);
        Some(Final {
            origin: r.origin,
            ok,
            children: r.children,
        })
    }

    /// What `request` carries from its caller's work (while it is held).
    pub(super) fn parent(&self, request: u32) -> Option<Parent> {
        self.requests.get(request).map(|r| r.parent)
    }

    /// Who sent `request` (while it is held).
    pub(super) fn origin(&self, request: u32) -> Option<Origin> {
        self.requests.get(request).map(|r| r.origin)
    }

    /// An attempt of `request` published `n` messages downstream.
    pub(super) fn add_children(&mut self, request: u32, n: u64) {
        if let Some(r) = self.requests.get_mut(request) {
            r.children += n;
        }
    }

    /// Requests whose caller still waits for an answer.
    pub(super) fn waiting(&self) -> u64 {
        self.requests.iter().filter(|(_, r)| !r.answered).count() as u64
    }

    /// Whether `request` still is the one with creation id `id` (slots are
    /// reused).
    pub(super) fn is(&self, request: u32, id: u64) -> bool {
        self.requests.get(request).is_some_and(|r| r.id == id)
    }

    /// What the caller of `request` knows as attempt `number` ends.
    pub(super) fn caller(&self, request: u32, number: u32) -> Option<super::called::Caller> {
        self.requests.get(request).map(|r| super::called::Caller {
            waiting: !r.answered && r.attempt == number,
            first: !r.done,
            created: r.created,
        })
    }

    /// An attempt of `request` left the called service.
    pub(super) fn attempt_ended(&mut self, request: u32, processed: bool) {
        if let Some(r) = self.requests.get_mut(request) {
            r.outstanding -= 1;
            r.done |= processed;
        }
        self.release(request);
    }

    /// Producer `p` crashed: its waiting callers are gone (their requests
    /// end as errors; what is downstream finishes unheard).
    pub(super) fn producer_crashed(&mut self, p: usize) {
        let waiting: Vec<u32> = self
            .requests
            .iter()
            .filter(|(_, r)| r.origin == Origin::Producer(p as u32) && !r.answered)
            .map(|(slot, _)| slot)
            .collect();
        for slot in waiting {
            if let Some(r) = self.requests.get_mut(slot) {
                r.answered = true;
                self.open -= 1;
            }
            self.counts.caller_errors += 1;
            self.release(slot);
        }
    }

    /// Forgets a request once its caller is answered and nothing of it is
    /// left downstream; counts its work as lost if no attempt did it.
    fn release(&mut self, request: u32) {
        let Some(r) = self.requests.get(request) else {
            return;
        };
        if r.answered && r.outstanding == 0 {
            if !r.done {
                self.counts.work_lost += 1;
            }
            self.requests.remove(request);
        }
    }
}
