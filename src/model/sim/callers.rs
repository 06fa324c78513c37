//! The callers of a direct call: a component that holds each request from
//! its caller's point of view (attempts, timeouts, retries) and the answer
//! each caller finally sees. The called service is [`super::called`].

use super::ctx::Ctx;
use super::{Event, LogKind, TOPIC};
use crate::engine::{RngStream, SimTime, Slab};
use crate::model::system::CallSpec;
use crate::stats::LatencyHistogram;

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

/// One request, from its caller's point of view.
#[derive(Clone, Copy, Debug)]
pub(super) struct Request {
    /// Creation-order id (from 0, as queued message ids).
    pub id: u64,
    /// The producer whose caller waits.
    pub producer: u32,
    /// Malformed: every attempt fails.
    pub poison: bool,
    pub created: SimTime,
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
    pub request: u32,
    /// The request's creation-order id (slots are reused; ids are not).
    pub id: u64,
    pub number: u32,
    pub enqueued: SimTime,
    /// The request is malformed: every attempt fails.
    pub poison: bool,
    /// Decided when a worker takes it: `true` if it will fail.
    pub fails: bool,
}

/// The callers' counts.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CallerCounts {
    pub requests: u64,
    pub attempts: u64,
    pub refused: u64,
    pub accepted: u64,
    pub caller_errors: u64,
    pub caller_timeouts: u64,
    pub work_lost: u64,
}

/// Every caller of the direct call.
pub(super) struct Callers<'s> {
    spec: &'s CallSpec,
    pub requests: Slab<Request>,
    pub counts: CallerCounts,
    /// Request to answer, as the callers saw it.
    pub latency: LatencyHistogram,
    retry_rng: RngStream,
}

impl<'s> Callers<'s> {
    /// Callers following `spec`, drawing retry backoffs from `retry_rng`.
    pub(super) fn new(spec: &'s CallSpec, retry_rng: RngStream) -> Callers<'s> {
        Callers {
            spec,
            requests: Slab::default(),
            counts: CallerCounts::default(),
            latency: LatencyHistogram::new(),
            retry_rng,
        }
    }

    /// A new request of producer `p`, or `None` if its caller is down (the
    /// request is lost with it).
    pub(super) fn create(
        &mut self,
        ctx: &mut Ctx,
        p: u32,
        poison: bool,
        down: bool,
    ) -> Option<u32> {
        let id = self.counts.requests;
        self.counts.requests += 1;
        ctx.note(LogKind::Published, id, TOPIC);
        if down {
            self.counts.caller_errors += 1;
            self.counts.work_lost += 1;
            return None;
        }
        Some(self.requests.insert(Request {
            id,
            producer: p,
            poison,
            created: ctx.now,
            attempt: 0,
            outstanding: 0,
            answered: false,
            done: false,
        }))
    }

    /// The next attempt of `request`: counted, and refused at once if the
    /// called service is down (`Ok(None)` then). Otherwise its timeout is
    /// scheduled and the attempt returned for the called service.
    pub(super) fn attempt(&mut self, ctx: &mut Ctx, request: u32, down: bool) -> Option<Attempt> {
        let r = self.requests.get_mut(request)?;
        r.attempt += 1;
        let number = r.attempt;
        self.counts.attempts += 1;
        if down {
            // Connection refused: an immediate error.
            self.counts.refused += 1;
            self.answer(ctx, request, number, Answer::Error);
            return None;
        }
        if let Some(r) = self.requests.get_mut(request) {
            r.outstanding += 1;
        }
        self.counts.accepted += 1;
        let (id, poison) = self
            .requests
            .get(request)
            .map_or((0, false), |r| (r.id, r.poison));
        let timeout = ctx.now + self.spec.timeout;
        ctx.schedule(
            timeout,
            Event::CallTimeout {
                request,
                id,
                attempt: number,
            },
        );
        Some(Attempt {
            request,
            id,
            number,
            enqueued: ctx.now,
            poison,
            fails: false,
        })
    }

    /// The answer to attempt `number` of `request` reaches its caller, who
    /// is done, retries, or has stopped listening to that attempt.
    pub(super) fn answer(&mut self, ctx: &mut Ctx, request: u32, number: u32, answer: Answer) {
        let Some(r) = self.requests.get(request).copied() else {
            return;
        };
        if r.answered || r.attempt != number {
            return; // The caller already moved on: late answers go nowhere.
        }
        if answer == Answer::Timeout {
            self.counts.caller_timeouts += 1;
        }
        let retries_left = r.attempt <= self.spec.retry_attempts;
        if answer != Answer::Success && retries_left {
            let delay = self
                .spec
                .retry_backoff
                .delay(r.attempt, &mut self.retry_rng);
            ctx.schedule(ctx.now + delay, Event::CallRetry { request, id: r.id });
            return;
        }
        if answer != Answer::Success {
            self.counts.caller_errors += 1;
        }
        if ctx.in_window {
            self.latency.record(ctx.now.since(r.created).as_nanos());
        }
        if let Some(r) = self.requests.get_mut(request) {
            r.answered = true;
        }
        self.release(request);
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
            .filter(|(_, r)| r.producer as usize == p && !r.answered)
            .map(|(slot, _)| slot)
            .collect();
        for slot in waiting {
            if let Some(r) = self.requests.get_mut(slot) {
                r.answered = true;
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
