//! Alert rules evaluated inside the run, at every time-series sample, as
//! Prometheus evaluates its rules every evaluation interval: a rule whose
//! condition holds at a sample is pending; once it has held for its `for`
//! duration it fires, and it resolves at the first sample where the
//! condition no longer holds. Each rule keeps its firing episodes (how
//! often it fired and flapped, for how long), whether it fired before the
//! damage (its place's first drop or dead letter), and how long after
//! each scheduled fault it first fired.

use super::callers::CallerCounts;
use super::outcome::SeriesRow;
use crate::engine::{SimDuration, SimTime};
use crate::model::alert::{AlertSpec, Reading};
use crate::model::fault::Fault;
use serde::{Deserialize, Serialize};

/// What one alert did in one replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertOutcome {
    /// The rule's name.
    pub name: String,
    /// Times it went from resolved to firing (0: never).
    pub fired: u64,
    /// When it first fired; the end of the run when it never did.
    pub first_fired_s: f64,
    /// Time spent firing.
    pub firing_s: f64,
    /// When its place first dropped or dead-lettered a message (seen at
    /// the sample after), if it did.
    pub damage_s: Option<f64>,
    /// It fired before that damage, or there was none.
    pub before_damage: bool,
    /// Seconds from the scenario's first scheduled fault to this alert's
    /// first firing at or after it; `None` without a fault, or when it
    /// never fired after the first one began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_fault_s: Option<f64>,
    /// Its firings that began before the first scheduled fault (all of
    /// them when there is none): false alarms in a story's quiet start.
    #[serde(default)]
    pub fired_before_fault: u64,
    /// Each scheduled fault, and how long after it began this alert first
    /// fired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultDetection>,
    /// Its firing episodes, `[from_s, to_s]`: fired at the first, resolved
    /// at the second (the end of the run when still firing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub episodes: Vec<[f64; 2]>,
}

/// How one alert met one scheduled fault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultDetection {
    /// The field that schedules the fault (`groups.db.outages[0]`).
    pub fault: String,
    /// When the fault began.
    pub at_s: f64,
    /// Seconds from then to the alert's first firing at or after it (a
    /// firing already under way when the fault began does not count);
    /// `None` when it never fired again.
    pub after_s: Option<f64>,
}

/// One rule's state.
#[derive(Clone, Debug, Default)]
struct RuleState {
    /// The condition has held at every sample since then.
    pending_since: Option<SimTime>,
    /// Firing since then.
    firing_since: Option<SimTime>,
    /// Its finished episodes: fired, resolved.
    episodes: Vec<(SimTime, SimTime)>,
}

/// Per group, service or topic: its previous sample's cumulative counts,
/// and its first damage.
#[derive(Clone, Copy, Debug, Default)]
struct PlaceState {
    /// The previous sample's time and counts.
    last: Option<(SimTime, Totals)>,
    first_damage: Option<SimTime>,
}

/// A place's counts so far, whose differences the rates read.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    dead_lettered: u64,
    caller_errors: u64,
    caller_answered: u64,
}

/// The rules of a run and their states.
pub(super) struct Alerts<'s> {
    rules: &'s [AlertSpec],
    states: Vec<RuleState>,
    places: Vec<PlaceState>,
    /// Some rule watches a topic (topic rows are made only then).
    topics: bool,
}

impl<'s> Alerts<'s> {
    /// `rules` over `places` groups, services and topics, of which the
    /// first `services` are groups and services.
    pub(super) fn new(rules: &'s [AlertSpec], services: usize, places: usize) -> Alerts<'s> {
        let places = if rules.is_empty() { 0 } else { places };
        Alerts {
            rules,
            states: vec![RuleState::default(); rules.len()],
            places: vec![PlaceState::default(); places],
            topics: rules.iter().any(|r| r.place as usize >= services),
        }
    }

    /// Whether some rule watches a topic.
    pub(super) fn watches_topics(&self) -> bool {
        self.topics
    }

    /// Evaluates the rules on `row`, the sample at `now` of place `place`,
    /// whose callers (a service called directly) have counted `callers`
    /// so far.
    pub(super) fn observe(
        &mut self,
        now: SimTime,
        place: u32,
        row: &SeriesRow,
        callers: Option<&CallerCounts>,
    ) {
        let Some(state) = self.places.get_mut(place as usize) else {
            return;
        };
        let totals = Totals {
            dead_lettered: row.dead_lettered,
            caller_errors: callers.map_or(0, |k| k.caller_errors),
            caller_answered: callers.map_or(0, |k| k.succeeded + k.degraded + k.caller_errors),
        };
        let first = state.last.is_none();
        let (secs, before) = (state.last).map_or((0.0, Totals::default()), |(t, b)| {
            (now.since(t).as_secs_f64(), b)
        });
        state.last = Some((now, totals));
        if row.dropped > 0 || row.dead_lettered > before.dead_lettered {
            state.first_damage.get_or_insert(now);
        }
        let reading = Reading {
            row,
            secs,
            dead_lettered_before: before.dead_lettered,
            caller_errors: totals.caller_errors - before.caller_errors,
            caller_answered: totals.caller_answered - before.caller_answered,
        };
        // A rate needs an interval: at a place's first sample it has no
        // value, and meets no condition (`below` included).
        for (rule, state) in self.rules.iter().zip(&mut self.states) {
            if rule.place == place {
                let measured = !(first && rule.metric.is_rate());
                let breached = measured && rule.breached(rule.metric.read(&reading));
                state.step(rule, now, breached);
            }
        }
    }

    /// What each rule did by `end`, against the scenario's scheduled
    /// `faults` (in time order).
    pub(super) fn outcomes(&self, end: SimTime, faults: &[Fault]) -> Vec<AlertOutcome> {
        (self.rules.iter().zip(&self.states))
            .map(|(rule, state)| {
                let damage = (self.places.get(rule.place as usize)).and_then(|p| p.first_damage);
                state.outcome(&rule.name, end, damage, faults)
            })
            .collect()
    }
}

impl RuleState {
    /// The rule's condition is `breached` (or not) at `now`.
    fn step(&mut self, rule: &AlertSpec, now: SimTime, breached: bool) {
        if !breached {
            self.pending_since = None;
            if let Some(since) = self.firing_since.take() {
                self.episodes.push((since, now));
            }
            return;
        }
        let since = *self.pending_since.get_or_insert(now);
        if self.firing_since.is_none() && now.since(since) >= rule.hold {
            self.firing_since = Some(now);
        }
    }

    /// Its outcome at `end`, its place first damaged at `damage`.
    fn outcome(
        &self,
        name: &str,
        end: SimTime,
        damage: Option<SimTime>,
        faults: &[Fault],
    ) -> AlertOutcome {
        let episodes: Vec<(SimTime, SimTime)> = (self.episodes.iter().copied())
            .chain(self.firing_since.map(|s| (s, end)))
            .collect();
        let first_fired = episodes.first().map(|e| e.0);
        let before_damage = match (first_fired, damage) {
            (_, None) => true,
            (Some(fired), Some(hit)) => fired < hit,
            (None, Some(_)) => false,
        };
        // The first firing at or after `at`, in seconds after it.
        let after = |at: SimTime| {
            (episodes.iter())
                .find(|e| e.0 >= at)
                .map(|e| e.0.since(at).as_secs_f64())
        };
        let first_fault = faults.first().map_or(SimTime::MAX, |f| f.at);
        let firing: u64 = episodes.iter().map(|e| e.1.since(e.0).as_nanos()).sum();
        AlertOutcome {
            name: name.to_owned(),
            fired: episodes.len() as u64,
            first_fired_s: first_fired.unwrap_or(end).as_secs_f64(),
            firing_s: SimDuration(firing).as_secs_f64(),
            damage_s: damage.map(SimTime::as_secs_f64),
            before_damage,
            after_fault_s: faults.first().and_then(|f| after(f.at)),
            fired_before_fault: episodes.iter().filter(|e| e.0 < first_fault).count() as u64,
            faults: (faults.iter())
                .map(|f| FaultDetection {
                    fault: f.what.clone(),
                    at_s: f.at.as_secs_f64(),
                    after_s: after(f.at),
                })
                .collect(),
            episodes: (episodes.iter())
                .map(|e| [e.0.as_secs_f64(), e.1.as_secs_f64()])
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;
    use crate::model::alert::AlertMetric;

    fn row(depth: u64, dropped: u64) -> SeriesRow {
        SeriesRow {
            depth,
            dropped,
            ..SeriesRow::default()
        }
    }

    #[test]
    fn pending_for_its_hold_then_firing_until_resolved() {
        let rules = [AlertSpec {
            name: "backlog".into(),
            place: 0,
            metric: AlertMetric::Depth,
            above: true,
            threshold: 100.0,
            hold: SimDuration::from_secs(2),
        }];
        let mut alerts = Alerts::new(&rules, 1, 1);
        let at = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        // Depth by second: breached from 2 s, a dip at 3 s restarts the
        // wait, then it holds from 4 s: fires at 6 s, resolves at 9 s;
        // breached again from 10 s, fires at 12 s, still firing at the end.
        let depths = [
            0, 50, 150, 90, 150, 200, 300, 250, 120, 80, 500, 500, 500, 500,
        ];
        for (s, d) in depths.iter().enumerate() {
            let dropped = u64::from(s == 11);
            alerts.observe(at(s as u64), 0, &row(*d, dropped), None);
        }
        let out = &alerts.outcomes(at(14), &[])[0];
        assert_eq!((out.fired, out.first_fired_s), (2, 6.0));
        assert_eq!(out.firing_s, 3.0 + 2.0);
        assert_eq!(out.damage_s, Some(11.0));
        assert!(out.before_damage);
        assert_eq!(out.episodes, [[6.0, 9.0], [12.0, 14.0]]);
        // Faults at 1 s, 7 s (during the first episode: only the second
        // counts) and 13 s (never fired again).
        let faults = [1, 7, 13].map(|s| Fault {
            what: format!("f{s}"),
            at: at(s),
        });
        let out = &alerts.outcomes(at(14), &faults)[0];
        assert_eq!(out.after_fault_s, Some(5.0));
        let after: Vec<Option<f64>> = out.faults.iter().map(|f| f.after_s).collect();
        assert_eq!(after, [Some(5.0), Some(5.0), None]);
        assert_eq!(out.fired_before_fault, 0);
        let late = [Fault {
            what: "late".into(),
            at: at(10),
        }];
        let out = &alerts.outcomes(at(14), &late)[0];
        assert_eq!((out.after_fault_s, out.fired_before_fault), (Some(2.0), 1));
        // Never fired, with damage: not in time; without: nothing to miss.
        let strict = [AlertSpec {
            threshold: 1000.0,
            ..rules[0].clone()
        }];
        let mut alerts = Alerts::new(&strict, 1, 1);
        alerts.observe(at(1), 0, &row(500, 3), None);
        let out = &alerts.outcomes(at(5), &[])[0];
        assert_eq!(
            (out.fired, out.first_fired_s, out.before_damage),
            (0, 5.0, false)
        );
        let mut alerts = Alerts::new(&strict, 1, 1);
        alerts.observe(at(1), 0, &row(500, 0), None);
        assert!(alerts.outcomes(at(5), &[])[0].before_damage);
    }
}
