//! The callers: requests, attempts, timeouts, retries, and the answer each
//! caller finally sees.

use super::{Attempt, Event, Request, SyncSimulation};
use crate::engine::SimTime;
use crate::model::sim::RunError;

/// What the downstream answered, or why there is no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Answer {
    /// Processed.
    Success,
    /// An error: refused, failed, crashed.
    Error,
    /// The caller stopped waiting.
    Timeout,
}

impl SyncSimulation<'_> {
    pub(super) fn schedule_tick(&mut self, p: usize, after: SimTime) {
        match self.sources[p].advance(after) {
            Some(time) => {
                self.events
                    .schedule(time, Event::Arrival { producer: p as u32 });
            }
            None => {
                if let Some(reason) = self.sources[p].failure() {
                    let reason =
                        format!("producer `{}`: {reason}", self.scenario.producers[p].name);
                    self.failure.get_or_insert(RunError::Input { reason });
                }
            }
        }
    }

    pub(super) fn on_arrival(&mut self, p: usize) -> Result<(), RunError> {
        let Some(tick) = self.sources[p].take() else {
            return Ok(());
        };
        for _ in 0..tick.count {
            // Keys and sizes are drawn as in the queued run, to keep the
            // streams aligned, though a direct call does not use them.
            let _ = self.sources[p].draw(&self.scenario.producers[p], &tick);
            let id = self.counters.requests;
            self.counters.requests += 1;
            if self.now < self.down_until[p] {
                // The caller is down: the request is lost with it.
                self.counters.caller_errors += 1;
                self.counters.work_lost += 1;
                continue;
            }
            let request = self.requests.insert(Request {
                id,
                producer: p as u32,
                poison: self.scenario.producers[p].faults.poison,
                created: self.now,
                attempt: 0,
                outstanding: 0,
                answered: false,
                done: false,
            });
            self.send(request)?;
        }
        self.schedule_tick(p, tick.time);
        Ok(())
    }

    /// Producer `p` crashes: its waiting callers are gone (their requests
    /// end as errors; what is downstream finishes unheard), and it loses
    /// its arrivals until it is back.
    pub(super) fn on_producer_crash(&mut self, p: usize, down_ns: u64) {
        let until = self.now + crate::engine::SimDuration(down_ns);
        self.down_until[p] = self.down_until[p].max(until);
        let waiting: Vec<u32> = self
            .requests
            .iter()
            .filter(|(_, r)| r.producer as usize == p && !r.answered)
            .map(|(slot, _)| slot)
            .collect();
        for slot in waiting {
            if let Some(r) = self.requests_get_mut(slot) {
                r.answered = true;
            }
            self.counters.caller_errors += 1;
            self.release(slot);
        }
    }

    /// The caller sends its next attempt of `request`.
    pub(super) fn send(&mut self, request: u32) -> Result<(), RunError> {
        let Some(r) = self.requests_get_mut(request) else {
            return Ok(());
        };
        r.attempt += 1;
        let number = r.attempt;
        self.counters.attempts += 1;
        if self.down > 0 {
            // Connection refused: an immediate error.
            self.counters.refused += 1;
            self.answer(request, number, Answer::Error);
            return Ok(());
        }
        if let Some(r) = self.requests_get_mut(request) {
            r.outstanding += 1;
        }
        self.counters.accepted += 1;
        let id = self.requests.get(request).map_or(0, |r| r.id);
        let timeout = self.now + self.spec.timeout;
        self.events.schedule(
            timeout,
            Event::Timeout {
                request,
                id,
                attempt: number,
            },
        );
        let attempt = Attempt {
            request,
            id,
            number,
            enqueued: self.now,
            fails: false,
        };
        self.enqueue(attempt)
    }

    /// The answer to attempt `number` of `request` reaches its caller, who
    /// is done, retries, or has stopped listening to that attempt.
    pub(super) fn answer(&mut self, request: u32, number: u32, answer: Answer) {
        let Some(r) = self.requests.get(request).copied() else {
            return;
        };
        if r.answered || r.attempt != number {
            return; // The caller already moved on: late answers go nowhere.
        }
        if answer == Answer::Timeout {
            self.counters.caller_timeouts += 1;
        }
        let retries_left = r.attempt <= self.spec.retry_attempts;
        if answer != Answer::Success && retries_left {
            let delay = self
                .spec
                .retry_backoff
                .delay(r.attempt, &mut self.retry_rng);
            self.events
                .schedule(self.now + delay, Event::Retry { request, id: r.id });
            return;
        }
        if answer != Answer::Success {
            self.counters.caller_errors += 1;
        }
        if self.in_window {
            self.caller_latency
                .record(self.now.since(r.created).as_nanos());
        }
        if let Some(r) = self.requests_get_mut(request) {
            r.answered = true;
        }
        self.release(request);
    }

    /// An attempt of `request` left the downstream.
    pub(super) fn attempt_ended(&mut self, request: u32, processed: bool) {
        if let Some(r) = self.requests_get_mut(request) {
            r.outstanding -= 1;
            r.done |= processed;
        }
        self.release(request);
    }

    /// Forgets a request once its caller is answered and nothing of it is
    /// left downstream; counts its work as lost if no attempt did it.
    fn release(&mut self, request: u32) {
        let Some(r) = self.requests.get(request) else {
            return;
        };
        if r.answered && r.outstanding == 0 {
            if !r.done {
                self.counters.work_lost += 1;
            }
            self.requests.remove(request);
        }
    }

    fn requests_get_mut(&mut self, request: u32) -> Option<&mut Request> {
        self.requests.get_mut(request)
    }
}
