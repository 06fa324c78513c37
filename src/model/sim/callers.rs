//! The callers of one direct-call link: a component that holds each
//! request from its caller's point of view (attempts, timeouts, retries)
//! and the answer each caller finally sees. The callers are producers (sync
//! mode) or the workers of a service making a `call`; the called service
//! is [`super::called`].

use super::breaker::{Breaker, BreakerCounts, State};
use super::ctx::Ctx;
use super::ids::{GroupId, WorkerId};
use super::outcome::CallRow;
use super::{Event, LogKind, TOPIC};
use crate::engine::{RngStream, SimDuration, SimTime, Slab};
use crate::model::resilience::{Fallback, HEDGE_WARMUP, HedgeDelay, RetryBudget};
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
    /// The deadline of the attempt its caller works on, if it travels
    /// (its calls end by then).
    pub deadline: Option<SimTime>,
    /// The priority of what its caller works on (a producer's message, a
    /// priority queue's message, or the request a service serves).
    pub priority: u8,
}

/// A caller's final answer: its request succeeded, or failed for good.
#[derive(Clone, Copy, Debug)]
pub(super) struct Final {
    pub origin: Origin,
    pub ok: bool,
    /// Attempts sent (hedges still out are cancelled).
    pub attempts: u32,
    /// Messages the called service (and what it called) published for
    /// this request: the causal chain goes on downstream of them.
    pub children: u64,
}

/// How a request ends for its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Success,
    /// The breaker's fallback answered.
    Degraded,
    Error,
}

impl End {
    fn of(answer: Answer) -> End {
        if answer == Answer::Success {
            End::Success
        } else {
            End::Error
        }
    }
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
    /// When the latest attempt went out (the breaker times it).
    pub sent: SimTime,
    /// When the caller gives up: its current attempt's timeout (with
    /// hedges, the first attempt's, which bounds them all).
    pub deadline: SimTime,
    /// A hedge timer is live only at this instant (earlier ones are stale).
    pub next_hedge: SimTime,
    /// Its caller waits on a retry (counted in `retrying`).
    pub in_retry: bool,
    /// Its caller backs off before a retry: the last attempt's answers,
    /// its timeout included, are stale.
    pub backing_off: bool,
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
    /// The caller's deadline, if the link propagates it: the service drops
    /// the attempt unstarted past it, and its own calls end by then.
    pub deadline: Option<SimTime>,
    /// Its request's priority (a service with priorities serves the
    /// highest first).
    pub priority: u8,
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
    /// Requests answered by the breaker's degraded fallback.
    pub degraded: u64,
    /// Hedged attempts sent (after a request's first).
    pub hedges: u64,
    /// Requests whose success came from a hedge.
    pub hedges_won: u64,
    /// Attempts processed after their caller stopped waiting for them.
    pub wasted: u64,
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
        self.degraded += other.degraded;
        self.hedges += other.hedges;
        self.hedges_won += other.hedges_won;
        self.wasted += other.wasted;
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
    /// The retry budget's token count (gRPC's).
    tokens: f64,
    /// Requests whose caller waits on a retry (Envoy's budget counts
    /// them).
    retrying: u32,
    pub counts: CallerCounts,
    /// Request to answer, as the callers saw it.
    pub latency: LatencyHistogram,
    retry_rng: RngStream,
    /// Draws each attempt's patience (with a patience distribution).
    patience_rng: RngStream,
    /// The link's circuit breaker.
    pub breaker: Option<Breaker<'s>>,
    /// Successful attempts' latencies (a quantile hedge delay).
    attempt_latency: LatencyHistogram,
    /// The hedge delay now, once known.
    hedge_delay: Option<SimDuration>,
    /// The counts at the previous time-series row.
    last_row: (CallerCounts, BreakerCounts),
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
            tokens: match spec.retry_budget {
                Some(RetryBudget::Tokens { max_tokens, .. }) => max_tokens,
                _ => 0.0,
            },
            retrying: 0,
            counts: CallerCounts::default(),
            latency: LatencyHistogram::new(),
            retry_rng,
            patience_rng,
            breaker: spec.breaker.as_ref().map(Breaker::new),
            attempt_latency: LatencyHistogram::new(),
            hedge_delay: match spec.hedge.as_ref().map(|h| h.delay) {
                Some(HedgeDelay::Fixed(d)) => Some(d),
                _ => None,
            },
            last_row: (CallerCounts::default(), BreakerCounts::default()),
        }
    }

    /// Whether its callers hedge.
    pub(super) fn hedges(&self) -> bool {
        self.spec.hedge.is_some()
    }

    /// The link's time-series row now, as link `link`: its state now and
    /// its counts over the `secs` seconds since the previous row (rates 0
    /// in the `first` row).
    pub(super) fn row(&mut self, now: SimTime, link: u32, first: bool, secs: f64) -> CallRow {
        let b = self.breaker.as_ref().map(|b| b.counts).unwrap_or_default();
        let (k, (lk, lb)) = (
            self.counts,
            std::mem::replace(&mut self.last_row, (self.counts, b)),
        );
        let per_s = |n: u64| if first { 0.0 } else { n as f64 / secs };
        CallRow {
            time_s: now.as_secs_f64(),
            link,
            requests_per_s: per_s(k.requests - lk.requests),
            attempts_per_s: per_s(k.attempts - lk.attempts),
            errors: k.caller_errors - lk.caller_errors,
            timeouts: k.caller_timeouts - lk.caller_timeouts,
            short_circuited: b.short_circuited - lb.short_circuited,
            degraded: k.degraded - lk.degraded,
            breaker_opened: b.opened - lb.opened,
            breaker: self.breaker.as_ref().map_or(0, |b| b.state().code()),
            tokens: self.tokens,
            throttled: k.throttled - lk.throttled,
            hedges: k.hedges - lk.hedges,
            hedges_won: k.hedges_won - lk.hedges_won,
        }
    }

    /// The id the next request will have.
    pub(super) fn next_id(&self) -> u64 {
        self.counts.requests
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
            sent: ctx.now,
            deadline: parent.deadline.unwrap_or(SimTime::MAX),
            next_hedge: ctx.now,
            in_retry: false,
            backing_off: false,
        }))
    }

    /// The next attempt of `request`: counted, and refused at once if the
    /// called service is down or full (`refused`), or by the breaker (its
    /// fallback answers). Otherwise its timeout (and next hedge) is
    /// scheduled and the attempt returned for the called service. A hedge
    /// timer that is stale, or finds the request answered or out of
    /// hedges, sends nothing.
    pub(super) fn attempt(&mut self, ctx: &mut Ctx, request: u32, refused: bool) -> Sent {
        let hedging = self.spec.hedge.as_ref().map(|h| h.max_attempts);
        let Some(r) = self.requests.get_mut(request) else {
            return Sent::Refused(None);
        };
        if r.answered {
            return Sent::Refused(None); // Its caller is gone (it crashed).
        }
        // Only the live hedge timer (the one at `next_hedge`) sends.
        if let Some(max) = hedging
            && r.attempt > 0
            && (r.attempt >= max || ctx.now != r.next_hedge)
        {
            return Sent::Refused(None);
        }
        r.backing_off = false;
        let hedge = hedging.is_some() && r.attempt > 0;
        if !hedge {
            let patience = match &self.spec.patience {
                Some(d) => SimDuration::from_secs_f64(d.sample(&mut self.patience_rng)),
                None => self.spec.timeout,
            };
            r.deadline = (ctx.now + patience).min(r.parent.deadline.unwrap_or(SimTime::MAX));
            if r.deadline <= ctx.now {
                // Its caller's own deadline has passed: no call is made.
                self.counts.caller_timeouts += 1;
                return Sent::Refused(self.conclude(ctx, request, End::Error));
            }
        }
        if let Some(b) = self.breaker.as_mut() {
            if hedge {
                // A hedge goes only through a closed breaker: it takes
                // none of the half-open probes.
                if b.state() != State::Closed {
                    return Sent::Refused(None);
                }
            } else if !b.permit(ctx.now) {
                return Sent::Refused(self.fall_back(ctx, request));
            }
        }
        let Some(r) = self.requests.get_mut(request) else {
            return Sent::Refused(None);
        };
        r.attempt += 1;
        r.sent = ctx.now;
        let number = r.attempt;
        self.counts.attempts += 1;
        if hedge {
            self.counts.hedges += 1;
        } else if number > 1 {
            self.counts.retries += 1;
            if !r.in_retry {
                r.in_retry = true;
                self.retrying += 1;
            }
        }
        let (id, poison, deadline, inherited) =
            (r.id, r.poison, r.deadline, r.parent.deadline.is_some());
        let priority = r.parent.priority;
        // The caller's timeout: each attempt's, or with hedges the first's,
        // which bounds them all (even if that first one is refused).
        let timed = !hedge && (!refused || hedging.is_some());
        if timed {
            let event = Event::CallTimeout {
                link: self.link,
                request,
                id,
                attempt: number,
            };
            ctx.schedule(deadline, event);
        }
        if refused {
            // Connection refused, or 503: an immediate error.
            self.counts.refused += 1;
            return Sent::Refused(self.answer(ctx, request, number, Answer::Error));
        }
        if let Some(r) = self.requests.get_mut(request) {
            r.outstanding += 1;
        }
        self.counts.accepted += 1;
        self.schedule_hedge(ctx, request);
        Sent::Attempt(Attempt {
            link: self.link,
            request,
            id,
            number,
            enqueued: ctx.now,
            started: ctx.now,
            poison,
            fails: false,
            // A deadline travels on from a link that propagates it, and
            // down every call made while serving such an attempt.
            deadline: (self.spec.propagate_deadline || inherited).then_some(deadline),
            priority,
        })
    }

    /// Schedules `request`'s next hedge a hedge delay from now, if it has
    /// one left and the delay is known.
    fn schedule_hedge(&mut self, ctx: &mut Ctx, request: u32) {
        let (Some(h), Some(delay)) = (self.spec.hedge.as_ref(), self.hedge_delay) else {
            return;
        };
        let Some(r) = self.requests.get_mut(request) else {
            return;
        };
        if r.attempt < h.max_attempts && ctx.now + delay < r.deadline {
            r.next_hedge = ctx.now + delay;
            let event = Event::CallRetry {
                link: self.link,
                request,
                id: r.id,
            };
            ctx.schedule(r.next_hedge, event);
        }
    }

    /// The breaker refused `request`'s call: its fallback answers, an
    /// error or a degraded success.
    fn fall_back(&mut self, ctx: &mut Ctx, request: u32) -> Option<Final> {
        let degraded = self
            .spec
            .breaker
            .as_ref()
            .is_some_and(|b| b.fallback == Fallback::Degraded);
        let end = if degraded { End::Degraded } else { End::Error };
        self.conclude(ctx, request, end)
    }

    /// The answer to attempt `number` of `request` reaches its caller, who
    /// is done (its final answer returned), retries or hedges, or has
    /// stopped listening to that attempt. The breaker records it.
    pub(super) fn answer(
        &mut self,
        ctx: &mut Ctx,
        request: u32,
        number: u32,
        answer: Answer,
    ) -> Option<Final> {
        let r = self.requests.get(request).copied()?;
        let hedging = self.spec.hedge.as_ref().map(|h| h.max_attempts);
        let current =
            (r.attempt == number && !r.backing_off) || (hedging.is_some() && number <= r.attempt);
        if r.answered || !current {
            return None; // The caller already moved on: late answers go nowhere.
        }
        if r.in_retry {
            // Its retry is over (it ends, or backs off before the next).
            self.retrying -= 1;
            if let Some(r) = self.requests.get_mut(request) {
                r.in_retry = false;
            }
        }
        if let Some(b) = self.breaker.as_mut() {
            let took = if hedging.is_some() {
                ctx.now.since(r.created)
            } else {
                ctx.now.since(r.sent)
            };
            b.record(ctx.now, answer != Answer::Success, took);
        }
        if answer == Answer::Timeout {
            self.counts.caller_timeouts += 1;
        }
        if let Some(max) = hedging {
            match answer {
                Answer::Success => {
                    if number > 1 {
                        self.counts.hedges_won += 1;
                    }
                }
                // The deadline bounds every hedge.
                Answer::Timeout => {}
                // An error sends the next hedge at once, or waits for
                // those still out.
                Answer::Error if r.attempt < max => {
                    if let Some(r) = self.requests.get_mut(request) {
                        r.next_hedge = ctx.now;
                    }
                    let event = Event::CallRetry {
                        link: self.link,
                        request,
                        id: r.id,
                    };
                    ctx.schedule(ctx.now, event);
                    return None;
                }
                Answer::Error if r.outstanding > 0 => return None,
                Answer::Error => {}
            }
            return self.conclude(ctx, request, End::of(answer));
        }
        let retries_left = r.attempt <= self.spec.retry_attempts;
        // The retry budget: failures spend tokens, successes give some
        // back, and retries wait for more than half of the ceiling.
        let allowed = match self.spec.retry_budget {
            None => true,
            Some(RetryBudget::Concurrency {
                percent,
                min_concurrency,
            }) => {
                // Envoy: retries in progress within a share of the
                // requests in progress, or the minimum.
                let cap = (percent * f64::from(self.open)).max(f64::from(min_concurrency));
                f64::from(self.retrying) < cap
            }
            Some(RetryBudget::Tokens {
                max_tokens: max,
                token_ratio: ratio,
            }) => {
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
            // Until the retry goes, the attempt's own timeout is stale.
            if let Some(r) = self.requests.get_mut(request) {
                r.backing_off = true;
            }
            return None;
        }
        self.conclude(ctx, request, End::of(answer))
    }

    /// An attempt was processed in `took`, whether its caller still
    /// listened or not (losers included, so that hedging does not bias
    /// what it measures): a quantile hedge delay follows the link's
    /// latencies (recomputed every [`HEDGE_WARMUP`] of them).
    pub(super) fn note_attempt_latency(&mut self, took: SimDuration) {
        let Some(HedgeDelay::Quantile(q)) = self.spec.hedge.as_ref().map(|h| h.delay) else {
            return;
        };
        self.attempt_latency.record(took.as_nanos());
        if self.attempt_latency.count().is_multiple_of(HEDGE_WARMUP) {
            let at = self.attempt_latency.quantile_s(q);
            self.hedge_delay = Some(SimDuration::from_secs_f64(at));
        }
    }

    /// `request`'s caller has its final answer: a success, a degraded
    /// answer (the breaker's fallback), or an error.
    fn conclude(&mut self, ctx: &mut Ctx, request: u32, end: End) -> Option<Final> {
        let r = self.requests.get(request).copied()?;
        match end {
            End::Success => self.counts.succeeded += 1,
            End::Degraded => self.counts.degraded += 1,
            End::Error => self.counts.caller_errors += 1,
        }
        let ok = end != End::Error;
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
            attempts: r.attempt,
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
            waiting: !r.answered
                && !r.backing_off
                && (r.attempt == number || self.spec.hedge.is_some()),
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
                if r.in_retry {
                    r.in_retry = false;
                    self.retrying -= 1;
                }
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
