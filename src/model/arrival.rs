//! Arrival processes: when a producer's messages arrive. Each variant lives
//! in its own module and is validated once by a constructor that names the
//! offending field (after the scenario's keys: `rate_per_s`, `mean_on`,
//! `steps[2].at`, …); times are in seconds, rates in messages per second.
//!
//! # Driving a process
//! Call [`ArrivalProcess::next`] once with `SimTime::ZERO`, then again after
//! handling each tick with that tick's time. Each call returns the next
//! arrival at or after the process's internal clock, advancing it; times
//! are relative to the process's start, which the caller may offset.
//!
//! ```
//! use mqsim::engine::{SimTime, StreamId};
//! use mqsim::model::arrival::ArrivalProcess;
//!
//! let mut arrivals = ArrivalProcess::constant(4.0).unwrap();
//! let mut rng = StreamId::named("doc").rng(1, 0);
//! let first = arrivals.next(SimTime::ZERO, &mut rng).unwrap();
//! assert_eq!(first.time, SimTime(250_000_000));
//! let second = arrivals.next(first.time, &mut rng).unwrap();
//! assert_eq!(second.time, SimTime(500_000_000));
//! ```

mod batch;
mod burst;
mod constant;
pub(crate) mod csv;
mod mmpp;
mod on_off;
mod poisson;
mod schedule;
mod sinusoidal;
#[cfg(test)]
mod testkit;
mod trace;

use std::path::Path;

pub use batch::Batch;
pub use burst::Burst;
pub use constant::Constant;
pub use mmpp::Mmpp;
pub use on_off::OnOff;
pub use schedule::Schedule;
pub use sinusoidal::Sinusoidal;
pub use trace::{Trace, TraceRow};

use super::ParamError;
use super::distribution::Distribution;
use crate::engine::{RngStream, SimDuration, SimTime};

/// The last representable instant, in seconds: later arrivals never come.
pub(crate) const HORIZON_S: f64 = u64::MAX as f64 / 1e9;

/// The next arrival a process produces.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    /// When the messages arrive.
    pub time: SimTime,
    /// How many messages arrive at that instant (batch arrivals), >= 1.
    pub count: u32,
    /// A key fixed by a replayed trace, overriding the producer's keys.
    pub key: Option<u64>,
    /// A size fixed by a replayed trace, overriding the producer's sizes.
    pub size: Option<u32>,
}

impl Tick {
    /// `count` messages at `time`, with no key or size override.
    fn at(time: SimTime, count: u32) -> Tick {
        Tick {
            time,
            count,
            key: None,
            size: None,
        }
    }
}

/// A validated arrival process with its running state.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrivalProcess {
    /// Exponential inter-arrival times with this rate per second (build it
    /// with [`ArrivalProcess::poisson`]).
    Poisson(f64),
    /// Evenly spaced arrivals.
    Constant(Constant),
    /// Poisson while on, silent while off.
    OnOff(OnOff),
    /// Markov-modulated Poisson with cyclic states.
    Mmpp(Mmpp),
    /// A piecewise-constant rate.
    Schedule(Schedule),
    /// A one-shot burst.
    Burst(Burst),
    /// A sinusoidal (diurnal) rate.
    Sinusoidal(Sinusoidal),
    /// Poisson batches of several messages.
    Batch(Batch),
    /// Replay of a recorded trace.
    Trace(Trace),
}

/// The instant `secs` seconds after the start, or `None` if it is not
/// representable (beyond ~584 years, or NaN).
pub(crate) fn instant(secs: f64) -> Option<SimTime> {
    after(SimTime::ZERO, secs)
}

/// The instant `secs` seconds after `t`, or `None` if not representable.
pub(crate) fn after(t: SimTime, secs: f64) -> Option<SimTime> {
    let gap = SimDuration::from_secs_f64(secs);
    match t.0.checked_add(gap.0) {
        Some(nanos) if nanos < u64::MAX && !secs.is_nan() => Some(SimTime(nanos)),
        _ => None,
    }
}

impl ArrivalProcess {
    /// The next arrival at or after the process's internal clock, advancing
    /// the clock; `None` when the process has nothing more to send.
    ///
    /// `now` is the time of the tick just handled (`SimTime::ZERO` on the
    /// first call). Memoryless processes (poisson, batch) draw the next gap
    /// from `now`; the others follow their own clock. A tick is never
    /// earlier than `now`: should the caller skip ahead, arrivals that were
    /// due are delivered at `now` rather than in the past.
    #[inline]
    pub fn next(&mut self, now: SimTime, rng: &mut RngStream) -> Option<Tick> {
        let tick = match self {
            ArrivalProcess::Poisson(rate) => Tick::at(poisson::next_after(*rate, now, rng)?, 1),
            ArrivalProcess::Constant(p) => Tick::at(p.next()?, 1),
            ArrivalProcess::OnOff(p) => Tick::at(p.next(rng)?, 1),
            ArrivalProcess::Mmpp(p) => Tick::at(p.next(rng)?, 1),
            ArrivalProcess::Schedule(p) => Tick::at(p.next(rng)?, 1),
            ArrivalProcess::Burst(p) => p.next().map(|(t, n)| Tick::at(t, n))?,
            ArrivalProcess::Sinusoidal(p) => Tick::at(p.next(rng)?, 1),
            ArrivalProcess::Batch(p) => p.next(now, rng).map(|(t, n)| Tick::at(t, n))?,
            ArrivalProcess::Trace(p) => p.next()?,
        };
        Some(Tick {
            time: tick.time.max(now),
            ..tick
        })
    }

    /// The long-run mean arrival rate in messages per second, where one is
    /// defined: poisson, constant, on/off and MMPP (stationary), sinusoidal,
    /// batch (batches per second × mean batch size); `None` for schedules,
    /// bursts and traces.
    pub fn mean_rate(&self) -> Option<f64> {
        match self {
            ArrivalProcess::Poisson(rate) => Some(*rate),
            ArrivalProcess::Constant(p) => Some(p.rate_per_s()),
            ArrivalProcess::OnOff(p) => Some(p.mean_rate()),
            ArrivalProcess::Mmpp(p) => Some(p.mean_rate()),
            ArrivalProcess::Sinusoidal(p) => Some(p.mean_rate()),
            ArrivalProcess::Batch(p) => Some(p.mean_rate()),
            ArrivalProcess::Schedule(_) | ArrivalProcess::Burst(_) | ArrivalProcess::Trace(_) => {
                None
            }
        }
    }

    /// The expected number of messages in the first `span_s` seconds:
    /// exact for schedules and bursts, the long-run mean rate times the span
    /// for the stationary processes, and the number of rows (an upper
    /// bound) for traces.
    pub fn expected_count(&self, span_s: f64) -> f64 {
        match self {
            ArrivalProcess::Schedule(p) => p.expected_count(span_s),
            ArrivalProcess::Burst(p) => p.expected_count(span_s),
            ArrivalProcess::Trace(p) => p.len() as f64,
            other => other.mean_rate().unwrap_or(0.0) * span_s,
        }
    }

    /// The expected number of ticks (arrival events) in the first `span_s`
    /// seconds: as [`ArrivalProcess::expected_count`], but a batch or an
    /// instant burst is one tick.
    pub fn expected_ticks(&self, span_s: f64) -> f64 {
        match self {
            ArrivalProcess::Batch(p) => p.rate_per_s() * span_s,
            ArrivalProcess::Burst(p) if p.largest_tick() > 1 => p.expected_count(span_s).min(1.0),
            other => other.expected_count(span_s),
        }
    }

    /// The most messages one tick can hold: a batch's largest size, an
    /// instant burst's count, 1 otherwise.
    pub fn largest_tick(&self) -> f64 {
        match self {
            ArrivalProcess::Batch(p) => match p.size() {
                Distribution::Constant(v) => v.round().max(1.0),
                size => size.mean().max(1.0),
            },
            ArrivalProcess::Burst(p) => f64::from(p.largest_tick()),
            _ => 1.0,
        }
    }

    /// Cuts batches at `largest` messages.
    pub fn cap_ticks(&mut self, largest: u32) {
        if let ArrivalProcess::Batch(p) = self {
            p.cap(largest);
        }
    }

    /// Why the process ended early, if it did: a trace file that changed
    /// or vanished since the scenario was loaded.
    pub fn failure(&self) -> Option<&str> {
        match self {
            ArrivalProcess::Trace(p) => p.failure(),
            _ => None,
        }
    }

    /// Poisson arrivals, `rate_per_s` per second.
    ///
    /// # Errors
    /// If `rate_per_s` is not a finite number > 0.
    pub fn poisson(rate_per_s: f64) -> Result<ArrivalProcess, ParamError> {
        poisson::validate(rate_per_s).map(ArrivalProcess::Poisson)
    }

    /// Evenly spaced arrivals, the first at `1 / rate_per_s`; see
    /// [`Constant::new`].
    ///
    /// # Errors
    /// If `rate_per_s` is not a finite number > 0.
    pub fn constant(rate_per_s: f64) -> Result<ArrivalProcess, ParamError> {
        Constant::new(rate_per_s).map(ArrivalProcess::Constant)
    }

    /// Poisson at `rate_per_s` during on periods of mean `mean_on` seconds,
    /// nothing during off periods of mean `mean_off`; see [`OnOff::new`].
    ///
    /// # Errors
    /// If a parameter is not a finite number > 0.
    pub fn on_off(
        rate_per_s: f64,
        mean_on: f64,
        mean_off: f64,
        start_on: bool,
    ) -> Result<ArrivalProcess, ParamError> {
        OnOff::new(rate_per_s, mean_on, mean_off, start_on).map(ArrivalProcess::OnOff)
    }

    /// An MMPP over (rate_per_s, mean_sojourn seconds) states, visited
    /// cyclically from state 0; see [`Mmpp::new`].
    ///
    /// # Errors
    /// If there are no states, a rate is negative, a sojourn is not > 0, or
    /// every rate is 0.
    pub fn mmpp(states: Vec<(f64, f64)>) -> Result<ArrivalProcess, ParamError> {
        Mmpp::new(states).map(ArrivalProcess::Mmpp)
    }

    /// A piecewise-constant rate from (start seconds, rate_per_s) steps;
    /// see [`Schedule::new`].
    ///
    /// # Errors
    /// If the steps are empty, do not start at 0, are not strictly
    /// increasing, or have a negative rate.
    pub fn schedule(steps: Vec<(f64, f64)>, poisson: bool) -> Result<ArrivalProcess, ParamError> {
        Schedule::new(steps, poisson).map(ArrivalProcess::Schedule)
    }

    /// `count` messages from `at` seconds, spread evenly over `over`
    /// seconds; see [`Burst::new`].
    ///
    /// # Errors
    /// If `count` is 0 or does not fit in 32 bits, or a time is negative.
    pub fn burst(count: u64, at: f64, over: f64) -> Result<ArrivalProcess, ParamError> {
        Burst::new(count, at, over).map(ArrivalProcess::Burst)
    }

    /// Poisson with a sinusoidal rate; see [`Sinusoidal::new`].
    ///
    /// # Errors
    /// If the mean rate or period is not > 0, the amplitude is not in
    /// `[0, mean]`, or the phase is not finite.
    pub fn sinusoidal(
        mean_rate_per_s: f64,
        amplitude_per_s: f64,
        period: f64,
        phase: f64,
    ) -> Result<ArrivalProcess, ParamError> {
        Sinusoidal::new(mean_rate_per_s, amplitude_per_s, period, phase)
            .map(ArrivalProcess::Sinusoidal)
    }

    /// Poisson batches, `rate_per_s` per second, of `size` messages each;
    /// see [`Batch::new`].
    ///
    /// # Errors
    /// If `rate_per_s` is not a finite number > 0.
    pub fn batch(rate_per_s: f64, size: Distribution) -> Result<ArrivalProcess, ParamError> {
        Batch::new(rate_per_s, size).map(ArrivalProcess::Batch)
    }

    /// Replays `rows`, their times multiplied by `time_scale`; see
    /// [`Trace::new`].
    ///
    /// # Errors
    /// If there are no rows, they are out of time order, or `time_scale` is
    /// not > 0.
    pub fn trace(rows: Vec<TraceRow>, time_scale: f64) -> Result<ArrivalProcess, ParamError> {
        Trace::new(rows, time_scale).map(ArrivalProcess::Trace)
    }

    /// Replays a CSV trace with header `timestamp[,key][,size]`, with the
    /// file's digest; see [`Trace::from_csv`].
    ///
    /// # Errors
    /// If `time_scale` is not > 0, or the file is unreadable or invalid (the
    /// message names the file and line).
    pub fn trace_from_csv(
        path: &Path,
        time_scale: f64,
    ) -> Result<(ArrivalProcess, crate::input::FileDigest), ParamError> {
        Trace::from_csv(path, time_scale).map(|(t, d)| (ArrivalProcess::Trace(t), d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the first ticks of a fixed seed: a change here changes every
    /// published result, so it must be on purpose.
    #[test]
    fn first_ticks_are_pinned() {
        let all = [
            ArrivalProcess::poisson(10.0).unwrap(),
            ArrivalProcess::mmpp(vec![(10.0, 1.0), (1.0, 1.0)]).unwrap(),
            ArrivalProcess::schedule(vec![(0.0, 10.0)], true).unwrap(),
            ArrivalProcess::sinusoidal(10.0, 5.0, 60.0, 0.0).unwrap(),
        ];
        let mut rng = testkit::rng("pinned");
        let got: Vec<u64> = all
            .into_iter()
            .map(|mut p| p.next(SimTime::ZERO, &mut rng).map_or(0, |t| t.time.0))
            .collect();
        assert_eq!(got, [102_835_049, 49_069_831, 8_099_420, 32_091_470]);
    }

    #[test]
    fn ticks_are_never_before_now() {
        let mut p = ArrivalProcess::burst(3, 1.0, 0.5).unwrap();
        let mut rng = testkit::rng("floor");
        let late = SimTime(5_000_000_000);
        assert_eq!(p.next(late, &mut rng).map(|t| t.time), Some(late));
    }

    #[test]
    fn far_future_arrivals_end_the_process() {
        assert_eq!(instant(1e12), None);
        assert_eq!(instant(f64::NAN), None);
        assert_eq!(after(SimTime(u64::MAX - 10), 1.0), None);
        assert_eq!(instant(1.5), Some(SimTime(1_500_000_000)));
        let mut p = ArrivalProcess::constant(1e-12).unwrap();
        assert_eq!(p.next(SimTime::ZERO, &mut testkit::rng("far")), None);
    }
}
