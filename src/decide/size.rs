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

/// The objectives the sizing judges consumer by consumer: those on a
/// measure that more workers improve.
pub(super) fn sizing_objectives(slos: &[Slo]) -> Vec<Slo> {
    slos.iter()
        .filter(|s| PER_CONSUMER.contains(&s.metric.as_str()))
        .cloned()
        .collect()
}

/// The fewest workers per consumer in `lowest[i]..=max_workers` meeting
/// `slos` (the most when none does), running `measure` on candidate
/// worker counts. With no objective to size on, `lowest` is the answer
/// (the workers that carry the mean load at 80% utilisation).
///
/// # Errors
/// The first error `measure` returns.
pub(super) fn size<E>(
    w: &Workload,
    lowest: &[u32],
    slos: &[Slo],
    mut measure: impl FnMut(&[u32]) -> Result<Measures, E>,
) -> Result<Vec<u32>, E> {
    if slos.is_empty() {
        return Ok(lowest.to_vec());
    }
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
        let point = first.consumer_point(i);
        if slos.iter().all(|slo| slo.check(&point).met) {
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
            let point = measures.consumer_point(i);
            if slos.iter().all(|slo| slo.check(&point).met) {
                s.hi = mids[i];
            } else {
                s.lo = mids[i] + 1;
            }
        }
    }
    Ok(searches
        .iter()
        .zip(&w.consumers)
        .map(|(s, c)| s.lo.min(c.max_workers))
        .collect())
}
