//! `plan`: the cheapest point of a sweep that meets every objective.
//!
//! VALUES are listed cheapest first, and meeting the objectives is assumed
//! monotone in each varied field: once a value meets them, every later one
//! does too (more workers, more capacity). So for each combination of the
//! other fields, the last `--vary` is searched by bisection, in about
//! log₂(n + 1) runs instead of n. With one `--vary` that is the whole
//! search. Among the combinations, the cheapest is the one with the lowest
//! sum of positions in the VALUES lists (then the lowest point index).

use super::slo::{Slo, SloCheck};
use super::sweep::{PointResult, Sweep};
use rayon::prelude::*;

/// What the search found.
#[derive(Clone, Debug)]
pub struct PlanOutcome {
    /// Index of the cheapest point meeting every objective, if any.
    pub chosen: Option<usize>,
    /// Every point that was run, by index.
    pub evaluated: Vec<PointResult>,
}

impl PlanOutcome {
    /// The result of point `index`, if it was run.
    pub fn result(&self, index: usize) -> Option<&PointResult> {
        self.evaluated.iter().find(|r| r.index == index)
    }
}

/// True when `result` meets every objective.
pub fn meets_all(slos: &[Slo], result: &PointResult) -> bool {
    slos.iter().all(|s| s.check(result).met)
}

/// Every objective checked at one point.
pub fn checks(slos: &[Slo], result: &PointResult) -> Vec<SloCheck> {
    slos.iter().map(|s| s.check(result)).collect()
}

/// The first position in `0..n` where the monotone predicate `ok` holds,
/// found by bisection, and how many times `ok` was called
/// (at most ⌈log₂(n + 1)⌉).
///
/// ```
/// use mqsim::experiment::bisect;
/// let (found, calls) = bisect(32, |i| i >= 20);
/// assert_eq!((found, calls), (Some(20), 5));
/// assert_eq!(bisect(32, |_| false), (None, 5));
/// assert_eq!(bisect(32, |_| true), (Some(0), 6)); // ⌈log₂ 33⌉ = 6 at most
/// ```
pub fn bisect(n: usize, mut ok: impl FnMut(usize) -> bool) -> (Option<usize>, usize) {
    let (mut lo, mut hi, mut calls) = (0, n, 0);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        calls += 1;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    ((lo < n).then_some(lo), calls)
}

/// Searches `sweep` for the cheapest point meeting `slos`, calling `done`
/// after each run. Combinations of the other fields run in parallel.
pub fn plan(sweep: &Sweep, slos: &[Slo], done: &(dyn Fn(&PointResult) + Sync)) -> PlanOutcome {
    let last = sweep.varies.last().map_or(1, |v| v.values.len());
    let combos = sweep.points.len() / last;
    let per_combo: Vec<(Option<usize>, Vec<PointResult>)> = (0..combos)
        .into_par_iter()
        .with_max_len(1)
        .map(|c| {
            let mut runs = Vec::new();
            let mut check = |j: usize| {
                let result = sweep.evaluate(c * last + j);
                done(&result);
                let ok = meets_all(slos, &result);
                runs.push(result);
                ok
            };
            // The cheapest value first: if it meets the objectives it is
            // the answer, whichever way the metric moves with the
            // parameter. Otherwise, bisect the rest (monotone from there).
            let found = if check(0) {
                Some(0)
            } else {
                bisect(last - 1, |j| check(j + 1)).0.map(|j| j + 1)
            };
            (found.map(|j| c * last + j), runs)
        })
        .collect();
    let chosen = per_combo
        .iter()
        .filter_map(|(found, _)| *found)
        .min_by_key(|&i| (cost(sweep, i), i));
    let mut evaluated: Vec<PointResult> = per_combo.into_iter().flat_map(|(_, r)| r).collect();
    evaluated.sort_by_key(|r| r.index);
    PlanOutcome { chosen, evaluated }
}

/// Sum of the point's positions in its VALUES lists.
fn cost(sweep: &Sweep, index: usize) -> usize {
    let mut rest = index;
    let mut sum = 0;
    for v in sweep.varies.iter().rev() {
        sum += rest % v.values.len();
        rest /= v.values.len();
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_finds_the_first_true_in_logarithmic_calls() {
        for n in 1..=70usize {
            let bound = (usize::BITS - n.leading_zeros()) as usize; // ⌈log₂(n + 1)⌉
            for first in 0..=n {
                let mut seen = Vec::new();
                let (found, calls) = bisect(n, |i| {
                    seen.push(i);
                    i >= first
                });
                assert_eq!(found, (first < n).then_some(first), "n={n} first={first}");
                assert!(calls <= bound, "n={n}: {calls} calls > {bound}");
                assert_eq!(calls, seen.len());
            }
        }
    }
}
