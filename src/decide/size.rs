//! Sizing a queued alternative as `plan` does: for each consumer, the
//! fewest workers that meet the objectives judged on its own measures,
//! found by bisection. The consumers of a topic do not slow one another,
//! so every consumer is bisected in the same runs: about log₂(n + 1) runs
//! for n candidate worker counts, whatever the number of consumers.

use super::measure::{Measures, PER_CONSUMER};
use crate::experiment::Slo;
use crate::scenario::workload::Workload;

/// Where one consumer's search stands.
#[derive(Clone, Copy, Debug)]
struct Search {
    lo: u32,
    hi: u32,
}

/// Measures of the caller that workers change when the caller waits for
/// the work (a direct call, or a caller that needs the answer).
const CALLER: [&str; 4] = [
    "caller.p50_s",
    "caller.p99_s",
    "caller_errors",
    "caller_error_share",
];

/// The objectives the sizing judges: those on a measure that more
/// workers improve, consumer by consumer, and (when `caller_waits`) the
/// caller's, judged on the whole run.
pub(super) fn sizing_objectives(slos: &[Slo], caller_waits: bool) -> (Vec<Slo>, Vec<Slo>) {
    let pick = |names: &[&str]| -> Vec<Slo> {
        slos.iter()
            .filter(|s| names.contains(&s.metric.as_str()))
            .cloned()
            .collect()
    };
    let whole = if caller_waits {
        pick(&CALLER)
    } else {
        Vec::new()
    };
    (pick(&PER_CONSUMER), whole)
}

/// The fewest workers per consumer in `lowest[i]..=max_workers` meeting
/// `slos` on its own measures and `whole` on the run's (the most when
/// none does), running `measure` on candidate worker counts. With no
/// objective to size on, `None`.
///
/// # Errors
/// The first error `measure` returns.
pub(super) fn size<E>(
    w: &Workload,
    lowest: &[u32],
    slos: &[Slo],
    whole: &[Slo],
    mut measure: impl FnMut(&[u32]) -> Result<Measures, E>,
) -> Result<Option<Vec<u32>>, E> {
    if slos.is_empty() && whole.is_empty() {
        return Ok(None);
    }
    let meets = |m: &Measures, i: usize| {
        let (own, all) = (m.consumer_point(i), m.point());
        slos.iter().all(|s| s.check(&own).met) && whole.iter().all(|s| s.check(&all).met)
    };
    let mut searches: Vec<Search> = w
        .consumers
        .iter()
        .zip(lowest)
        .map(|(c, &lo)| Search {
            lo: lo.min(c.max_workers),
            hi: c.max_workers + 1,
        })
        .collect();
    // The lowest count first: when it meets the objectives the search is
    // over for that consumer, even where more workers would do worse (a
    // crash of any consumer pauses a Kafka group for a rebalance, so more
    // workers crash more often).
    let lows: Vec<u32> = searches.iter().map(|s| s.lo).collect();
    let first = measure(&lows)?;
    for (i, s) in searches.iter_mut().enumerate() {
        if meets(&first, i) {
            s.hi = s.lo;
        } else {
            s.lo += 1;
        }
    }
    while searches.iter().any(|s| s.lo < s.hi) {
        let mids: Vec<u32> = searches
            .iter()
            .zip(&w.consumers)
            .map(|(s, c)| {
                if s.lo < s.hi {
                    s.lo + (s.hi - s.lo) / 2
                } else {
                    s.lo.min(c.max_workers)
                }
            })
            .collect();
        let measures = measure(&mids)?;
        for (i, s) in searches.iter_mut().enumerate() {
            if s.lo >= s.hi {
                continue;
            }
            if meets(&measures, i) {
                s.hi = mids[i];
            } else {
                s.lo = mids[i] + 1;
            }
        }
    }
    Ok(Some(
        searches
            .iter()
            .zip(&w.consumers)
            .map(|(s, c)| s.lo.min(c.max_workers))
            .collect(),
    ))
}
