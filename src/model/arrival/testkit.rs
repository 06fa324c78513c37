//! Helpers shared by the arrival tests. Tolerances are `Z` = 4.5 standard
//! errors: for a normal statistic a false failure has probability ~7e-6
//! for a freshly chosen seed (the seeds are fixed, so a passing test stays
//! passing).

use super::ArrivalProcess;
use crate::engine::{RngStream, SimTime, StreamId};

/// Standard errors allowed.
pub(crate) const Z: f64 = 4.5;

/// A seeded stream for tests.
pub(crate) fn rng(name: &str) -> RngStream {
    StreamId::named(name).rng(1, 0)
}

/// The times of the first `max` ticks (fewer if the process ends), driving
/// the process as the simulator does.
pub(crate) fn times(p: &mut ArrivalProcess, max: usize) -> Vec<SimTime> {
    let mut rng = rng("arrival/times");
    let mut now = SimTime::ZERO;
    let mut times = Vec::new();
    while times.len() < max {
        let Some(tick) = p.next(now, &mut rng) else {
            break;
        };
        assert!(tick.time >= now && tick.count >= 1);
        now = tick.time;
        times.push(now);
    }
    times
}

/// The times of all ticks at or before `end_s` seconds.
pub(crate) fn times_until(p: &mut ArrivalProcess, end_s: f64, name: &str) -> Vec<SimTime> {
    let mut rng = rng(name);
    let end = SimTime((end_s * 1e9) as u64);
    let mut now = SimTime::ZERO;
    let mut times = Vec::new();
    while let Some(tick) = p.next(now, &mut rng) {
        assert!(tick.time >= now);
        if tick.time > end {
            break;
        }
        now = tick.time;
        times.push(now);
    }
    times
}

/// The number of ticks at or before `end_s` seconds.
pub(crate) fn count_until(p: &mut ArrivalProcess, end_s: f64, name: &str) -> u64 {
    times_until(p, end_s, name).len() as u64
}

/// A Poisson count with mean `expected` lies within `Z·√expected`.
pub(crate) fn assert_poisson_count(count: u64, expected: f64, what: &str) {
    let tol = Z * expected.sqrt();
    let got = count as f64;
    assert!(
        (got - expected).abs() <= tol,
        "{what}: {got} arrivals vs {expected} ± {tol}"
    );
}

/// The long-run rate of a correlated process matches `rate`, by batch
/// means: 200 consecutive windows of `window_s` seconds (long against the
/// process's correlation time) give nearly independent counts whose
/// sample standard deviation estimates the standard error of their mean.
/// With 199 degrees of freedom a 4.5 t-band fails with probability ~1e-5.
pub(crate) fn assert_long_run_rate(p: &mut ArrivalProcess, rate: f64, window_s: f64, name: &str) {
    const WINDOWS: usize = 200;
    let mut counts = [0.0f64; WINDOWS];
    for t in times_until(p, window_s * WINDOWS as f64, name) {
        let i = (t.as_secs_f64() / window_s) as usize;
        counts[i.min(WINDOWS - 1)] += 1.0;
    }
    let n = WINDOWS as f64;
    let mean = counts.iter().sum::<f64>() / n;
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let tol = Z * (var / n).sqrt();
    let expected = rate * window_s;
    assert!(
        (mean - expected).abs() <= tol,
        "{name}: {mean} arrivals per window vs {expected} ± {tol}"
    );
}
