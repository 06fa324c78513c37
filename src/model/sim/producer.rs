//! A producer: a component that owns its arrivals (ticks, keys, sizes),
//! the random stream of its faults, and whether it is down after a crash.
//! What happens to its publishes (the topic's decision, retries, lost
//! acks) is the simulation's, which routes them between the producer and
//! the topic ([`super::publish`], [`super::producer_faults`]).

use super::ctx::Ctx;
use super::ids::ProducerId;
use super::{Event, RunError};
use crate::engine::{RngStream, SimDuration, SimTime, StreamId};
use crate::model::arrival::Tick;
use crate::model::producer::{ProducerFaults, ProducerSpec};
use crate::model::source::Source;
use crate::model::system::System;
use rand::{Rng, RngExt};

/// A producer's running state.
pub(super) struct Producer<'s> {
    pub spec: &'s ProducerSpec,
    pub id: ProducerId,
    source: Source,
    /// Down after a crash, until this instant.
    down_until: SimTime,
    /// The event of its ticks: `Arrival` for a producer that publishes,
    /// `Request` for one that calls a service (chosen once, not per tick).
    tick: Event,
    fault_rng: RngStream,
    /// Salts each message's priority draw (a hash of its id: no stream
    /// moves).
    priority_salt: u64,
}

impl<'s> Producer<'s> {
    /// Producer `index` of `system` at the start of replication
    /// `replication`; `calls`: it calls a service instead of publishing.
    pub(super) fn new(
        system: &'s System,
        index: usize,
        replication: u64,
        calls: bool,
    ) -> Producer<'s> {
        let spec = &system.producers[index];
        let faults = StreamId::named(&format!("producer/{}/faults", spec.name));
        let id = ProducerId(index as u32);
        let salt = StreamId::named(&format!("producer/{}/priority", spec.name));
        Producer {
            spec,
            id,
            priority_salt: salt.rng(system.seed, replication).next_u64(),
            tick: if calls {
                Event::Request { producer: id }
            } else {
                Event::Arrival { producer: id }
            },
            source: Source::new(spec, system.horizon, system.seed, replication),
            down_until: SimTime::ZERO,
            fault_rng: faults.rng(system.seed, replication),
        }
    }

    /// How its publishes fail and are retried.
    #[inline]
    pub(super) fn faults(&self) -> &'s ProducerFaults {
        &self.spec.faults
    }

    /// Schedules its first tick and its crashes.
    ///
    /// # Errors
    /// [`RunError::Input`] when its input file failed.
    pub(super) fn start(&mut self, ctx: &mut Ctx) -> Result<(), RunError> {
        self.schedule_next_tick(ctx, SimTime::ZERO)?;
        for &(at, down) in &self.spec.faults.crashes {
            let event = Event::ProducerCrash {
                producer: self.id,
                down_ns: down.as_nanos(),
            };
            ctx.schedule(at, event);
        }
        Ok(())
    }

    /// Draws its next tick after `after` and schedules it.
    ///
    /// # Errors
    /// [`RunError::Input`] when the arrivals ended because an input file
    /// failed during the run (a trace that changed since it was loaded).
    #[inline(always)]
    pub(super) fn schedule_next_tick(
        &mut self,
        ctx: &mut Ctx,
        after: SimTime,
    ) -> Result<(), RunError> {
        match self.source.advance(after) {
            // One tick pending at a time: producer p's lane.
            Some(time) => ctx.schedule_in_lane(self.id.index(), time, self.tick),
            None => return self.ended(),
        }
        Ok(())
    }

    /// Its arrivals ended: an error if an input file failed.
    #[cold]
    #[inline(never)]
    fn ended(&self) -> Result<(), RunError> {
        match self.source.failure() {
            Some(reason) => {
                let reason = format!("producer `{}`: {reason}", self.spec.name);
                Err(RunError::Input { reason })
            }
            None => Ok(()),
        }
    }

    /// The tick whose time has come.
    #[inline]
    pub(super) fn take_tick(&mut self) -> Option<Tick> {
        self.source.take()
    }

    /// The key and size (bytes) of one message of `tick`.
    #[inline(always)]
    pub(super) fn draw(&mut self, tick: &Tick) -> (u64, u32) {
        self.source.draw(self.spec, tick)
    }

    /// The priority of its message `id`.
    #[inline]
    pub(super) fn priority(&self, id: u64) -> u8 {
        match &self.spec.priority {
            crate::model::producer::Priorities::Fixed(p) => *p,
            shares => shares.of(crate::engine::hash_uniform(self.priority_salt, id)),
        }
    }

    /// Down (crashed) at `now`.
    #[inline]
    pub(super) fn is_down(&self, now: SimTime) -> bool {
        now < self.down_until
    }

    /// It crashes at `now` and stays down for `down` (or longer, if an
    /// earlier crash keeps it down).
    pub(super) fn crash(&mut self, now: SimTime, down: SimDuration) {
        self.down_until = self.down_until.max(now + down);
    }

    /// The wait before retry number `attempt` (from 1).
    pub(super) fn retry_delay(&mut self, attempt: u32) -> SimDuration {
        self.spec
            .faults
            .retry_backoff
            .delay(attempt, &mut self.fault_rng)
    }

    /// Whether the ack of an accepted publish is lost (a draw only when
    /// acks can be lost).
    pub(super) fn loses_ack(&mut self) -> bool {
        let loss = self.spec.faults.ack_loss;
        loss != 0.0 && self.fault_rng.random::<f64>() < loss
    }
}
