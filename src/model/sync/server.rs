//! The downstream: one FIFO queue of attempts, the group's workers, its
//! failures, crashes and outages, and the time series.

use super::caller::Answer;
use super::{Attempt, Event, SyncSimulation};
use crate::engine::{SimDuration, SimTime, hash_uniform};
use crate::model::autoscale::Phase;
use crate::model::series::sample_index;
use crate::model::sim::{RunError, SeriesRow};
use rand::RngExt;

impl SyncSimulation<'_> {
    /// An attempt joins the downstream's queue, or goes straight to an
    /// idle worker.
    pub(super) fn enqueue(&mut self, attempt: Attempt) -> Result<(), RunError> {
        self.queue.push_back(attempt);
        let depth = self.queue.len() as u64;
        self.max_depth = self.max_depth.max(depth);
        self.dispatch();
        if self.queue.len() as u64 > self.scenario.max_queued {
            return Err(RunError::Runaway {
                topic: format!("{} (sync)", self.scenario.groups[0].name),
                limit: self.scenario.max_queued,
                at_s: self.now.as_secs_f64(),
                why: "requests arrive faster than the downstream answers them".to_owned(),
            });
        }
        Ok(())
    }

    pub(super) fn dispatch(&mut self) {
        while self.down == 0 && !self.idle.is_empty() {
            let Some(mut attempt) = self.queue.pop_front() else {
                break;
            };
            let w = self.idle.pop().expect("checked") as usize;
            let spec = &self.scenario.groups[0];
            let faults = &spec.faults;
            let mut service = spec.service.sample(&mut self.service_rng);
            let malformed = self.requests.get(attempt.request).is_some_and(|r| r.poison);
            let poison =
                malformed || hash_uniform(self.poison_salt, attempt.id) < faults.poison_share;
            attempt.fails = poison
                || (faults.failure_probability > 0.0
                    && self.fault_rng.random::<f64>() < faults.failure_probability);
            if let Some(limit) = faults.processing_timeout
                && service > limit.as_secs_f64()
            {
                service = limit.as_secs_f64();
                attempt.fails = true;
                self.counters.timed_out += 1;
            }
            if self.in_window && attempt.number == 1 {
                self.queue_wait
                    .record(self.now.since(attempt.enqueued).as_nanos());
            }
            self.counters.deliveries += 1;
            let worker = &mut self.workers[w];
            worker.current = Some(attempt);
            self.busy += 1;
            let event = Event::Done {
                worker: w as u32,
                epoch: worker.epoch,
            };
            self.events
                .schedule(self.now + SimDuration::from_secs_f64(service), event);
        }
        self.note_levels();
    }

    pub(super) fn note_levels(&mut self) {
        self.depth.set(self.now.0, self.queue.len() as u64);
        self.busy_level.set(self.now.0, u64::from(self.busy));
        if let Some(scaler) = self.scaler.as_mut() {
            scaler.note_busy(self.now, u64::from(self.busy));
        }
    }

    pub(super) fn on_done(&mut self, w: usize, epoch: u32) {
        let worker = &mut self.workers[w];
        if worker.epoch != epoch {
            return;
        }
        let Some(attempt) = worker.current.take() else {
            return;
        };
        self.busy -= 1;
        if std::mem::take(&mut worker.leaving) {
            // Scaled down while busy: it leaves now its attempt is over.
            self.census.shift(&mut worker.phase, Phase::Parked);
            self.note_workers();
        } else {
            self.idle.push(w as u32);
        }
        self.finish_attempt(attempt, !attempt.fails);
        self.dispatch();
    }

    /// An attempt ends: processed, or failed (its work not done).
    fn finish_attempt(&mut self, attempt: Attempt, processed: bool) {
        if self.in_window && attempt.enqueued >= self.window_start {
            self.left += 1;
            self.sojourn_ns += u128::from(self.now.since(attempt.enqueued).as_nanos());
        }
        let caller_waiting = self
            .requests
            .get(attempt.request)
            .is_some_and(|r| !r.answered && r.attempt == attempt.number);
        if processed {
            self.counters.processed += 1;
            let first = self.requests.get(attempt.request).is_some_and(|r| !r.done);
            if let Some(r) = self
                .requests
                .get(attempt.request)
                .filter(|_| first && self.in_window)
            {
                self.end_to_end.record(self.now.since(r.created).as_nanos());
                self.processed_in_window += 1;
            }
            if !caller_waiting {
                self.counters.wasted += 1;
            }
        } else {
            self.counters.failed += 1;
        }
        self.attempt_ended(attempt.request, processed);
        let answer = if processed {
            Answer::Success
        } else {
            Answer::Error
        };
        self.answer(attempt.request, attempt.number, answer);
    }

    pub(super) fn schedule_faults(&mut self) {
        let faults = &self.scenario.groups[0].faults;
        for &(start, end) in &faults.outages {
            self.events.schedule(start, Event::Outage { start: true });
            self.events.schedule(end, Event::Outage { start: false });
        }
        for w in 0..self.workers.len() {
            if self.workers[w].is_up() {
                self.schedule_crash(w, false);
            }
        }
    }

    /// The next crash (`up = false`) or restart (`up = true`) of worker `w`.
    pub(super) fn schedule_crash(&mut self, w: usize, up: bool) {
        if let Some((mtbf, mttr)) = &self.scenario.groups[0].faults.crash {
            let d = if up { mttr } else { mtbf };
            let after = SimDuration::from_secs_f64(d.sample(&mut self.fault_rng));
            self.events.schedule(
                self.now + after,
                Event::Crash {
                    worker: w as u32,
                    up,
                    life: self.workers[w].life,
                },
            );
        }
    }

    /// Worker `w` crashes (`up = false`) or restarts, unless it left the
    /// group since. A worker that was leaving does not restart.
    pub(super) fn on_crash(&mut self, w: usize, up: bool, life: u32) {
        if up {
            self.come_up(w, life, Phase::Crashed);
            return;
        }
        let worker = &mut self.workers[w];
        if worker.life != life || worker.phase != Phase::Up {
            return;
        }
        let leaving = std::mem::take(&mut worker.leaving);
        let to = if leaving {
            Phase::Parked
        } else {
            Phase::Crashed
        };
        self.census.shift(&mut worker.phase, to);
        worker.epoch = worker.epoch.wrapping_add(1);
        let interrupted = worker.current.take();
        self.idle.retain(|&i| i as usize != w);
        self.note_workers();
        if let Some(attempt) = interrupted {
            self.interrupt(attempt);
        }
        if !leaving {
            self.schedule_crash(w, true);
        }
        self.note_levels();
    }

    fn interrupt(&mut self, attempt: Attempt) {
        self.busy -= 1;
        self.counters.crashed += 1;
        self.finish_attempt(attempt, false);
    }

    /// The downstream goes down (attempts in progress fail; new ones are
    /// refused) or comes back.
    pub(super) fn on_outage(&mut self, start: bool) {
        if !start {
            self.down -= 1;
            self.dispatch();
            return;
        }
        self.down += 1;
        for w in 0..self.workers.len() {
            let worker = &mut self.workers[w];
            if let Some(attempt) = worker.current.take() {
                worker.epoch = worker.epoch.wrapping_add(1);
                if std::mem::take(&mut worker.leaving) {
                    self.census.shift(&mut worker.phase, Phase::Parked);
                } else {
                    self.idle.push(w as u32);
                }
                self.interrupt(attempt);
            }
        }
        self.note_workers();
        self.note_levels();
    }

    pub(super) fn on_sample(&mut self) {
        let interval = self.scenario.sample_interval;
        if self.draining && self.now > SimTime::ZERO + self.scenario.horizon {
            self.series.start_drain();
        }
        let index = sample_index(self.now, interval);
        if self.series.due(index) {
            self.record_row();
        }
        let every = self.series.every();
        let next = SimTime((index / every + 1) * every * interval.as_nanos());
        if self.draining || next <= SimTime::ZERO + self.scenario.horizon {
            self.events.schedule(next, Event::Sample);
        }
    }

    /// One row describing the downstream now and the time since the
    /// previous row.
    pub(super) fn record_row(&mut self) {
        let c = self.counters;
        let last = std::mem::replace(&mut self.last_row, c);
        let first = self.last_row_at == SimTime::MAX;
        let secs = self.now.since(self.last_row_at).as_secs_f64();
        self.last_row_at = self.now;
        let per_s = |n: u64| if first { 0.0 } else { n as f64 / secs };
        let up = if self.down > 0 { 0 } else { self.census.up };
        self.series.push(SeriesRow {
            time_s: self.now.as_secs_f64(),
            group: 0,
            depth: self.queue.len() as u64,
            depth_bytes: 0,
            disk_depth: 0,
            oldest_age_s: self
                .queue
                .front()
                .map_or(0.0, |a| self.now.since(a.enqueued).as_secs_f64()),
            in_flight: u64::from(self.busy),
            published_per_s: per_s(c.attempts - last.attempts),
            accepted_per_s: per_s(c.accepted - last.accepted),
            completed_per_s: per_s(c.processed - last.processed),
            dropped: (c.refused + c.failed) - (last.refused + last.failed),
            blocked: 0,
            delayed: 0,
            dead_lettered: 0,
            redelivered_per_s: per_s((c.attempts - c.requests) - (last.attempts - last.requests)),
            duplicate_side_effects: c.wasted,
            workers_up: up,
            workers: self.provisioned.level(),
        });
        self.series.end_sample();
    }
}
