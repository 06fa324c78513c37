//! The ranked table: alternatives meeting every objective first, then the
//! lightest to run, then the cheapest, then the quickest for the caller.
//! "The simpler thing wins" when it meets the objectives; when none meets
//! them all, the most objectives met, then the largest summed margin
//! (each relative to its threshold).

use super::alternative::Alternative;
use super::measure::Measures;
use crate::experiment::{Experiment, Slo, SloCheck};
use crate::scenario::Scenario;

/// One alternative, measured.
#[derive(Clone, Debug)]
pub struct Row {
    /// Which.
    pub alternative: Alternative,
    /// Workers per consumer (sized, or today's).
    pub workers: Vec<u32>,
    /// The scenario that ran.
    pub scenario: Scenario,
    /// Its results.
    pub experiment: Experiment,
    /// Its measures.
    pub measures: Measures,
    /// Each objective, checked.
    pub checks: Vec<(Slo, SloCheck)>,
}

impl Row {
    /// A row, its objectives checked.
    pub fn new(
        alternative: Alternative,
        workers: Vec<u32>,
        scenario: Scenario,
        experiment: Experiment,
        measures: Measures,
        slos: &[Slo],
    ) -> Row {
        let point = measures.point();
        let checks = slos.iter().map(|s| (s.clone(), s.check(&point))).collect();
        Row {
            alternative,
            workers,
            scenario,
            experiment,
            measures,
            checks,
        }
    }

    /// Objectives met.
    pub fn met(&self) -> usize {
        self.checks.iter().filter(|(_, c)| c.met).count()
    }

    /// Whether every objective is met.
    pub fn meets_all(&self) -> bool {
        self.met() == self.checks.len()
    }

    /// Summed margins, each relative to its threshold (or absolute when
    /// the threshold is 0).
    fn margin(&self) -> f64 {
        self.checks
            .iter()
            .map(|(s, c)| {
                let scale = s.threshold.abs().max(1.0);
                (c.margin / scale).clamp(-1e3, 1e3)
            })
            .filter(|m| m.is_finite())
            .sum()
    }

    /// Operational weight (0–4).
    pub fn weight(&self) -> u8 {
        self.alternative.weight().0
    }
}

/// `rows`, best first (ties in the order given).
pub fn rank(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| {
        b.meets_all()
            .cmp(&a.meets_all())
            .then(b.met().cmp(&a.met()))
            .then_with(|| {
                if a.meets_all() {
                    a.weight()
                        .cmp(&b.weight())
                        .then(total(a, "cost_per_month").total_cmp(&total(b, "cost_per_month")))
                        .then(total(a, "caller.p99_s").total_cmp(&total(b, "caller.p99_s")))
                } else {
                    b.margin().total_cmp(&a.margin())
                }
            })
    });
    rows
}

fn total(row: &Row, name: &str) -> f64 {
    let v = row.measures.mean(name);
    if v.is_nan() { f64::INFINITY } else { v }
}
