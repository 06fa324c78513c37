//! A producer's stream of arrivals: ticks of its arrival process, shifted
//! by its start and cut at its stop, with each message's key and size.
//! Queued and sync runs draw from the same named streams, so both see the
//! same arrivals for the same seed.

use super::arrival::{ArrivalProcess, Tick};
use super::distribution::Distribution;
use super::key::{KEYLESS, KeyChooser};
use super::producer::ProducerSpec;
use crate::engine::{RngStream, SimDuration, SimTime, StreamId, round_positive};

/// A drawn size in whole bytes: rounded, at most `u32::MAX`.
#[inline]
pub(crate) fn bytes(size: f64) -> u32 {
    if size.is_nan() {
        return u32::MAX; // as `size.round().min(u32::MAX as f64)` gives
    }
    round_positive(size).min(u64::from(u32::MAX)) as u32
}

/// The running state of one producer's arrivals.
pub(crate) struct Source {
    arrival: ArrivalProcess,
    /// The tick whose arrival event is scheduled.
    pending: Option<Tick>,
    offset: SimDuration,
    stop: SimTime,
    arrival_rng: RngStream,
    key_rng: RngStream,
    size_rng: RngStream,
    /// The size of every message, when the size distribution is constant
    /// (no draw then).
    fixed_size: Option<u32>,
    /// The key of every message, when keys are not drawn (none, or a
    /// single key).
    fixed_key: Option<u64>,
}

impl Source {
    /// The arrivals of `spec` in replication `replication` of a run seeded
    /// with `seed`, ending at the horizon.
    pub(super) fn new(
        spec: &ProducerSpec,
        horizon: SimDuration,
        seed: u64,
        replication: u64,
    ) -> Source {
        let rng = |what: &str| {
            StreamId::named(&format!("producer/{}/{what}", spec.name)).rng(seed, replication)
        };
        Source {
            arrival: spec.arrival.clone(),
            pending: None,
            offset: spec.start.since(SimTime::ZERO),
            stop: spec.stop.min(SimTime::ZERO + horizon),
            arrival_rng: rng("arrival"),
            key_rng: rng("key"),
            size_rng: rng("size"),
            fixed_size: match spec.size {
                Distribution::Constant(v) => Some(bytes(v)),
                _ => None,
            },
            fixed_key: match spec.keys {
                KeyChooser::Keyless => Some(KEYLESS),
                KeyChooser::Single => Some(0),
                _ => None,
            },
        }
    }

    /// Draws the next tick after `after`; returns its time, unless the
    /// process is exhausted or the tick falls at or after the stop.
    #[inline]
    pub(super) fn advance(&mut self, after: SimTime) -> Option<SimTime> {
        let local = SimTime(after.0.saturating_sub(self.offset.0));
        let mut tick = self.arrival.next(local, &mut self.arrival_rng)?;
        tick.time += self.offset;
        (tick.time < self.stop).then(|| {
            self.pending = Some(tick);
            tick.time
        })
    }

    /// Why the arrivals ended early, if an input file failed during the
    /// run (a trace that changed since the scenario was loaded).
    pub(super) fn failure(&self) -> Option<&str> {
        self.arrival.failure()
    }

    /// The tick whose time has come.
    pub(super) fn take(&mut self) -> Option<Tick> {
        self.pending.take()
    }

    /// The key and size (bytes) of one message of `tick`.
    #[inline(always)]
    pub(super) fn draw(&mut self, spec: &ProducerSpec, tick: &Tick) -> (u64, u32) {
        let key = match (tick.key, self.fixed_key) {
            (Some(key), _) | (None, Some(key)) => key,
            (None, None) => spec.keys.sample(&mut self.key_rng),
        };
        let size = match (tick.size, self.fixed_size) {
            (Some(size), _) | (None, Some(size)) => size,
            (None, None) => bytes(spec.size.sample(&mut self.size_rng)),
        };
        (key, size)
    }
}
