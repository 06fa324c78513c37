//! Monitoring, measured: alert thresholds proposed for the winner from
//! its quiet part (before the story's first fault) and checked in a run
//! of every replication with the rules in the scenario: a rule that fires
//! before the fault in any replication is a false alarm, and its
//! threshold is doubled and checked again. The same run sets the dedup
//! window that should remove the duplicates measured, and counts what is
//! left.

use super::measure::{Billing, Measures};
use super::rank::Row;
use super::{DecideError, load};
use crate::experiment::{CONFIDENCE, Experiment};
use crate::scenario::Dur;
use crate::scenario::workload::Workload;
use crate::stats::ConfidenceInterval;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Rounds of doubling a threshold that fired too early.
const ROUNDS: usize = 4;

/// One proposed alert rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    /// Its name in the scenario (`<consumer>_<metric>`).
    pub name: String,
    /// The consumer it watches.
    pub consumer: String,
    /// The alert metric (`depth`, `oldest_age`, `e2e_p99`, `drop_rate`).
    pub metric: &'static str,
    /// Fires above this (seconds for ages and latencies).
    pub threshold: f64,
    /// For this long.
    pub hold_s: f64,
    /// The metric's highest value in the quiet part (first replication).
    pub quiet_peak: f64,
    /// How it did in the checking run.
    pub detection: Detection,
}

/// What a rule did across the replications of the checking run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Detection {
    /// Replications in which it fired at or after the first fault.
    pub detected: u32,
    /// Replications in which it fired before the first fault.
    pub false_alarms: u32,
    /// Time from the fault to the first firing, where detected.
    pub after_fault: Option<ConfidenceInterval>,
    /// Times it went firing, mean per replication (flaps when above 1).
    pub firings: f64,
    /// Each fault of the story, and how soon after it began the rule
    /// fired (the simulation's per-fault detection).
    pub per_fault: Vec<FaultDetected>,
}

/// How a rule met one fault of the story, across replications.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultDetected {
    /// The fault in the story's words (`outage`, `producer crash`,
    /// `burst`, `brownout`).
    pub fault: &'static str,
    /// When it began.
    pub at_s: f64,
    /// Replications in which the rule fired at or after it.
    pub detected: u32,
    /// Seconds from its start to that firing, where it fired.
    pub after: Option<ConfidenceInterval>,
}

/// The story's word for a scheduled fault, from the field scheduling it.
fn story_word(field: &str) -> &'static str {
    if field.contains(".outages[") {
        "outage"
    } else if field.contains(".brownouts[") {
        "brownout"
    } else if field.contains(".crashes[") {
        "producer crash"
    } else {
        "burst"
    }
}

/// The proposals checked, and the dedup window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verified {
    /// The story's first scheduled fault (a burst, outage or producer
    /// crash), if it has one.
    pub fault_s: Option<f64>,
    /// The rules.
    pub proposals: Vec<Proposal>,
    /// The dedup window set on every consumer, when the winner had
    /// duplicates: the worst end-to-end time measured, rounded up.
    pub dedup_window_s: Option<f64>,
    /// Duplicates left with that window (all consumers).
    pub duplicates_left: Option<ConfidenceInterval>,
}

/// Proposes and checks alert rules (and the dedup window) for `winner`.
///
/// # Errors
/// A failed run.
pub(super) fn verify(
    w: &Workload,
    winner: &Row,
    progress: &Arc<AtomicU64>,
) -> Result<Verified, DecideError> {
    let fault_s = [
        w.burst.map(|b| b.at),
        w.outage.as_ref().map(|o| o.at),
        w.producer_crash.map(|c| c.at),
    ]
    .into_iter()
    .flatten()
    .map(|d| d.0.as_secs_f64())
    .reduce(f64::min);
    let system = &winner.scenario.system;
    let sample_s = system.sample_interval.as_secs_f64();
    let quiet_end = fault_s.unwrap_or(f64::INFINITY);
    let first = &winner.experiment.outcomes[0];
    let places: Vec<(usize, &crate::model::group::GroupSpec)> = system
        .groups
        .iter()
        .chain(&system.services)
        .enumerate()
        .collect();
    let direct = winner.alternative.is_direct();
    let mut proposals = Vec::new();
    for (c, workers) in w.consumers.iter().zip(&winner.workers) {
        let Some(&(place, spec)) = places.iter().find(|(_, g)| g.name == c.name) else {
            continue;
        };
        let rows = first.series.iter().filter(|r| r.group as usize == place);
        let quiet: Vec<&crate::model::sim::SeriesRow> =
            rows.filter(|r| r.time_s < quiet_end).collect();
        let peak = |f: &dyn Fn(&crate::model::sim::SeriesRow) -> f64| {
            quiet.iter().map(|r| f(r)).fold(0.0_f64, f64::max)
        };
        let service = spec.service.mean();
        let metrics: [(&'static str, f64, f64); 2] = if direct {
            [
                (
                    "e2e_p99",
                    peak(&|r| r.e2e_p99_s),
                    (10.0 * service).max(sample_s),
                ),
                ("drop_rate", peak(&|r| r.dropped as f64 / sample_s), 0.0),
            ]
        } else {
            [
                (
                    "depth",
                    peak(&|r| r.depth as f64),
                    2.0 * f64::from(*workers),
                ),
                (
                    "oldest_age",
                    peak(&|r| r.oldest_age_s),
                    (10.0 * service).max(sample_s),
                ),
            ]
        };
        for (metric, quiet_peak, floor) in metrics {
            proposals.push(Proposal {
                name: format!("{}_{metric}", c.name),
                consumer: c.name.clone(),
                metric,
                threshold: nice((2.0 * quiet_peak).max(floor)),
                hold_s: 2.0 * sample_s,
                quiet_peak,
                detection: Detection::default(),
            });
        }
    }
    let duplicates = winner.measures.mean("duplicates");
    let dedup_window_s = (duplicates > 0.0).then(|| worst_e2e(winner).ceil().max(1.0));
    let billing = Billing {
        direct,
        broker_nodes: winner.alternative.broker_nodes(),
        billed_requests: winner.alternative.billed_requests(),
        outbox: winner.alternative.kind == super::Kind::Outbox,
    };
    let mut duplicates_left = None;
    for _ in 0..ROUNDS {
        let mut value = winner
            .alternative
            .scenario(w, &winner.workers, &alerts(&proposals));
        if let Some(window) = dedup_window_s {
            for c in &w.consumers {
                value["groups"][&c.name]["dedup_window"] =
                    Dur(crate::engine::SimDuration::from_secs_f64(window))
                        .to_string()
                        .into();
            }
        }
        let scenario = load(w, winner.alternative, &value)?;
        let experiment = Experiment::run_watched(&scenario, progress)
            .map_err(|e| DecideError::Run(winner.alternative.name().to_owned(), e))?;
        if dedup_window_s.is_some() {
            let measures = Measures::of(&experiment.outcomes, w, billing);
            duplicates_left = measures.ci("duplicates").copied();
        }
        let mut again = false;
        for p in &mut proposals {
            p.detection = detection(&experiment, &p.name, fault_s);
            if p.detection.false_alarms > 0 {
                p.threshold = nice(p.threshold * 2.0).max(f64::MIN_POSITIVE);
                again = true;
            }
        }
        if !again {
            break;
        }
    }
    Ok(Verified {
        fault_s,
        proposals,
        dedup_window_s,
        duplicates_left,
    })
}

/// The `[alerts]` tables of `proposals`.
fn alerts(proposals: &[Proposal]) -> Map<String, Value> {
    proposals
        .iter()
        .map(|p| {
            let above: Value = if matches!(p.metric, "oldest_age" | "e2e_p99") {
                Dur(crate::engine::SimDuration::from_secs_f64(p.threshold)).to_string().into()
            } else {
                p.threshold.into()
            };
            (
                p.name.clone(),
                json!({ "metric": p.metric, "group": p.consumer, "above": above,
                        "for": Dur(crate::engine::SimDuration::from_secs_f64(p.hold_s)).to_string() }),
            )
        })
        .collect()
}

fn detection(experiment: &Experiment, name: &str, fault_s: Option<f64>) -> Detection {
    let mut d = Detection::default();
    let mut delays = Vec::new();
    let mut firings = 0.0;
    for o in &experiment.outcomes {
        let Some(a) = o.alerts.iter().find(|a| a.name == name) else {
            continue;
        };
        firings += a.fired as f64;
        if a.fired == 0 {
            continue;
        }
        match fault_s {
            Some(f) if a.first_fired_s < f => d.false_alarms += 1,
            Some(f) => {
                d.detected += 1;
                delays.push(a.first_fired_s - f);
            }
            None => d.false_alarms += 1,
        }
    }
    d.firings = firings / experiment.outcomes.len().max(1) as f64;
    // Per fault: the same fault may be scheduled on several producers or
    // consumers (one story word, one time).
    let mut per: Vec<(&'static str, f64, Vec<f64>)> = Vec::new();
    for o in &experiment.outcomes {
        let Some(a) = o.alerts.iter().find(|a| a.name == name) else {
            continue;
        };
        let mut seen: Vec<(&'static str, u64)> = Vec::new();
        for f in &a.faults {
            let word = story_word(&f.fault);
            let key = (word, f.at_s.to_bits());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let at = match per.iter().position(|(w, t, _)| *w == word && *t == f.at_s) {
                Some(i) => i,
                None => {
                    per.push((word, f.at_s, Vec::new()));
                    per.len() - 1
                }
            };
            if let Some(after) = f.after_s {
                per[at].2.push(after);
            }
        }
    }
    d.per_fault = per
        .into_iter()
        .map(|(fault, at_s, delays)| FaultDetected {
            fault,
            at_s,
            detected: delays.len() as u32,
            after: (!delays.is_empty()).then(|| ConfidenceInterval::of(&delays, CONFIDENCE)),
        })
        .collect();
    d.after_fault = (!delays.is_empty()).then(|| ConfidenceInterval::of(&delays, CONFIDENCE));
    d
}

/// The worst end-to-end time of any consumer in any replication.
fn worst_e2e(row: &Row) -> f64 {
    row.experiment
        .outcomes
        .iter()
        .flat_map(|o| o.groups.iter().chain(&o.services))
        .map(|g| g.end_to_end.max_s)
        .fold(0.0_f64, f64::max)
}

/// `v` rounded up to 1, 2 or 5 times a power of ten (0 stays 0).
pub(super) fn nice(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 0.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|x| *x >= v * (1.0 - 1e-9))
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    #[test]
    fn thresholds_round_up_to_one_two_or_five() {
        let cases = [
            (0.0, 0.0),
            (3.0, 5.0),
            (20.0, 20.0),
            (21.0, 50.0),
            (0.013, 0.02),
            (700.0, 1000.0),
        ];
        for (v, want) in cases {
            let got = super::nice(v);
            assert!((got - want).abs() < 1e-12, "{v}: {got}");
        }
    }
}
