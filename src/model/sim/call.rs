//! The direct call, as a link in the one event loop: producers' requests
//! go through their callers ([`super::callers`]) to the called service
//! ([`super::called`]), and each attempt's end goes back to its caller.

use super::Simulation;
use super::callers::{Answer, Attempt};
use crate::engine::SimDuration;

impl Simulation<'_> {
    /// Producer `p`'s tick: one request per message.
    pub(super) fn on_call_arrival(&mut self, p: usize) {
        let Some(tick) = self.producers[p].take_tick() else {
            return;
        };
        let poison = self.producers[p].faults().poison;
        for _ in 0..tick.count {
            if self.failure.is_some() {
                return;
            }
            // Keys and sizes are drawn as in the queued run, to keep the
            // streams aligned, though a direct call does not use them.
            let _ = self.producers[p].draw(&tick);
            let down = self.producers[p].is_down(self.ctx.now);
            let Some(callers) = self.callers.as_mut() else {
                return;
            };
            if let Some(request) = callers.create(&mut self.ctx, p as u32, poison, down) {
                self.call(request);
            }
        }
        self.schedule_next_tick(p, tick.time);
    }

    /// The caller of `request` sends its next attempt.
    pub(super) fn call(&mut self, request: u32) {
        let (Some(callers), Some(called)) = (self.callers.as_mut(), self.called.as_mut()) else {
            return;
        };
        let down = called.workers.is_down();
        let Some(attempt) = callers.attempt(&mut self.ctx, request, down) else {
            return;
        };
        if let Err(err) = called.enqueue(&mut self.ctx, attempt, self.scenario.max_queued) {
            self.failure.get_or_insert(err);
        }
    }

    /// An attempt ends, processed or not: the service counts it, and its
    /// caller hears the answer.
    pub(super) fn end_attempt(&mut self, attempt: Attempt, processed: bool) {
        let (Some(callers), Some(called)) = (self.callers.as_mut(), self.called.as_mut()) else {
            return;
        };
        let caller = callers.caller(attempt.request, attempt.number);
        called.end(&self.ctx, &attempt, processed, caller);
        callers.attempt_ended(attempt.request, processed);
        let answer = if processed {
            Answer::Success
        } else {
            Answer::Error
        };
        callers.answer(&mut self.ctx, attempt.request, attempt.number, answer);
    }

    /// A worker of the called service finished its attempt.
    pub(super) fn on_call_done(&mut self, worker: usize, epoch: u32) {
        let Some(called) = self.called.as_mut() else {
            return;
        };
        if let Some(attempt) = called.on_done(&mut self.ctx, worker, epoch) {
            self.end_attempt(attempt, !attempt.fails);
            if let Some(called) = self.called.as_mut() {
                called.dispatch(&mut self.ctx);
            }
        }
    }

    /// A worker of the called service crashes.
    pub(super) fn on_call_crash(&mut self, worker: usize, life: u32) {
        let Some(called) = self.called.as_mut() else {
            return;
        };
        let Some(crashed) = called.crash(&mut self.ctx, worker, life) else {
            return;
        };
        if let Some(attempt) = crashed.interrupted {
            self.end_attempt(attempt, false);
        }
        if let Some(called) = self.called.as_mut() {
            called.after_crash(&mut self.ctx, worker, crashed.leaving);
        }
    }

    /// The called service goes down, or comes back.
    pub(super) fn on_call_outage(&mut self, start: bool) {
        let Some(called) = self.called.as_mut() else {
            return;
        };
        let interrupted = called.on_outage(&mut self.ctx, start);
        if !start {
            return;
        }
        for attempt in interrupted {
            self.end_attempt(attempt, false);
        }
        if let Some(called) = self.called.as_mut() {
            called.after_outage(self.ctx.now);
        }
    }

    /// A caller's patience for one attempt ran out.
    pub(super) fn on_call_timeout(&mut self, request: u32, id: u64, attempt: u32) {
        if let Some(callers) = self.callers.as_mut()
            && callers.is(request, id)
        {
            callers.answer(&mut self.ctx, request, attempt, Answer::Timeout);
        }
    }

    /// A caller tries again.
    pub(super) fn on_call_retry(&mut self, request: u32, id: u64) {
        if self.callers.as_ref().is_some_and(|c| c.is(request, id)) {
            self.call(request);
        }
    }

    /// Producer `p` crashes: its waiting callers are gone, and it loses
    /// its arrivals until it is back.
    pub(super) fn on_caller_crash(&mut self, p: usize, down: SimDuration) {
        self.producers[p].crash(self.ctx.now, down);
        if let Some(callers) = self.callers.as_mut() {
            callers.producer_crashed(p);
        }
    }
}
