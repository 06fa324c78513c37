//! Alert rules evaluated inside the run, at every time-series sample, as
//! Prometheus evaluates its rules every evaluation interval: a rule whose
//! condition holds at a sample is pending; once it has held for its `for`
//! duration it fires, and it resolves at the first sample where the
//! condition no longer holds. Each rule counts how often it fired, when it
//! first did, how long it was firing, and whether it fired before the
//! damage: its group's first drop or dead letter.

use super::outcome::SeriesRow;
use crate::engine::SimTime;
use crate::model::alert::AlertSpec;
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
    /// When its group first dropped or dead-lettered a message (seen at
    /// the sample after), if it did.
    pub damage_s: Option<f64>,
    /// It fired before that damage, or there was none.
    pub before_damage: bool,
}

/// One rule's state.
#[derive(Clone, Copy, Debug, Default)]
struct RuleState {
    /// The condition has held at every sample since then.
    pending_since: Option<SimTime>,
    /// Firing since then.
    firing_since: Option<SimTime>,
    fired: u64,
    first_fired: Option<SimTime>,
    firing_ns: u64,
}

/// Per group or service: its previous row, and its first damage.
#[derive(Clone, Copy, Debug, Default)]
struct PlaceState {
    /// The previous row's time and dead letters so far.
    last: Option<(SimTime, u64)>,
    first_damage: Option<SimTime>,
}

/// The rules of a run and their states.
pub(super) struct Alerts<'s> {
    rules: &'s [AlertSpec],
    states: Vec<RuleState>,
    places: Vec<PlaceState>,
}

impl<'s> Alerts<'s> {
    /// `rules` over `places` groups and services.
    pub(super) fn new(rules: &'s [AlertSpec], places: usize) -> Alerts<'s> {
        let places = if rules.is_empty() { 0 } else { places };
        Alerts {
            rules,
            states: vec![RuleState::default(); rules.len()],
            places: vec![PlaceState::default(); places],
        }
    }

    /// Evaluates the rules on `row`, a group's or service's sample at `now`.
    pub(super) fn observe(&mut self, now: SimTime, row: &SeriesRow) {
        let Some(place) = self.places.get_mut(row.group as usize) else {
            return;
        };
        let (secs, dead_before) = place
            .last
            .map_or((0.0, 0), |(t, d)| (now.since(t).as_secs_f64(), d));
        place.last = Some((now, row.dead_lettered));
        if row.dropped > 0 || row.dead_lettered > dead_before {
            place.first_damage.get_or_insert(now);
        }
        for (rule, state) in self.rules.iter().zip(&mut self.states) {
            if rule.place != row.group {
                continue;
            }
            if !rule.breached(rule.metric.read(row, secs, dead_before)) {
                state.pending_since = None;
                if let Some(since) = state.firing_since.take() {
                    state.firing_ns += now.since(since).as_nanos();
                }
                continue;
            }
            let since = *state.pending_since.get_or_insert(now);
            if state.firing_since.is_none() && now.since(since) >= rule.hold {
                state.firing_since = Some(now);
                state.fired += 1;
                state.first_fired.get_or_insert(now);
            }
        }
    }

    /// What each rule did by `end`.
    pub(super) fn outcomes(&self, end: SimTime) -> Vec<AlertOutcome> {
        (self.rules.iter().zip(&self.states))
            .map(|(rule, state)| {
                let firing = state.firing_since.map_or(0, |s| end.since(s).as_nanos());
                let damage = self
                    .places
                    .get(rule.place as usize)
                    .and_then(|p| p.first_damage);
                let before_damage = match (state.first_fired, damage) {
                    (_, None) => true,
                    (Some(fired), Some(hit)) => fired < hit,
                    (None, Some(_)) => false,
                };
                AlertOutcome {
                    name: rule.name.clone(),
                    fired: state.fired,
                    first_fired_s: state.first_fired.unwrap_or(end).as_secs_f64(),
                    firing_s: crate::engine::SimDuration(state.firing_ns + firing).as_secs_f64(),
                    damage_s: damage.map(SimTime::as_secs_f64),
                    before_damage,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;
    use crate::model::alert::AlertMetric;

    fn row(depth: u64, dropped: u64) -> SeriesRow {
        SeriesRow {
            time_s: 0.0,
            group: 0,
            depth,
            depth_bytes: 0,
            disk_depth: 0,
            oldest_age_s: 0.0,
            e2e_p99_s: 0.0,
            in_flight: 0,
            published_per_s: 0.0,
            accepted_per_s: 0.0,
            completed_per_s: 0.0,
            dropped,
            blocked: 0,
            delayed: 0,
            dead_lettered: 0,
            redelivered_per_s: 0.0,
            duplicate_side_effects: 0,
            wasted: 0,
            workers_up: 0,
            workers: 0,
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
        let mut alerts = Alerts::new(&rules, 1);
        let at = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        // Depth by second: breached from 2 s, a dip at 3 s restarts the
        // wait, then it holds from 4 s: fires at 6 s, resolves at 9 s;
        // breached again from 10 s, fires at 12 s, still firing at the end.
        let depths = [
            0, 50, 150, 90, 150, 200, 300, 250, 120, 80, 500, 500, 500, 500,
        ];
        for (s, d) in depths.iter().enumerate() {
            let dropped = u64::from(s == 11);
            alerts.observe(at(s as u64), &row(*d, dropped));
        }
        let out = &alerts.outcomes(at(14))[0];
        assert_eq!((out.fired, out.first_fired_s), (2, 6.0));
        assert_eq!(out.firing_s, 3.0 + 2.0);
        assert_eq!(out.damage_s, Some(11.0));
        assert!(out.before_damage);
        // Never fired, with damage: not in time; without: nothing to miss.
        let strict = [AlertSpec {
            threshold: 1000.0,
            ..rules[0].clone()
        }];
        let mut alerts = Alerts::new(&strict, 1);
        alerts.observe(at(1), &row(500, 3));
        let out = &alerts.outcomes(at(5))[0];
        assert_eq!(
            (out.fired, out.first_fired_s, out.before_damage),
            (0, 5.0, false)
        );
        let mut alerts = Alerts::new(&strict, 1);
        alerts.observe(at(1), &row(500, 0));
        assert!(alerts.outcomes(at(5))[0].before_damage);
    }
}
