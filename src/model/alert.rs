//! Alert rules, validated: a metric of one group or service read at every
//! sample, a threshold, and how long the condition must hold before the
//! alert fires (Prometheus's `for`).

use crate::engine::SimDuration;
use crate::model::sim::SeriesRow;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What an alert watches, per group or service, at each sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertMetric {
    /// Ready messages (the consumer lag, in messages).
    Depth,
    /// Age of the oldest ready message (the consumer lag, in time).
    OldestAge,
    /// End-to-end p99 of the messages processed since the previous sample.
    E2eP99,
    /// Deliveries in progress.
    InFlight,
    /// Messages dropped per second since the previous sample (any reason,
    /// refused publishes to its topic included).
    DropRate,
    /// Messages dead-lettered per second since the previous sample.
    DeadLetterRate,
    /// Redeliveries per second since the previous sample.
    RedeliveryRate,
    /// Workers taking messages (up, the group not in an outage).
    WorkersUp,
}

impl AlertMetric {
    /// Its name in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            AlertMetric::Depth => "depth",
            AlertMetric::OldestAge => "oldest_age",
            AlertMetric::E2eP99 => "e2e_p99",
            AlertMetric::InFlight => "in_flight",
            AlertMetric::DropRate => "drop_rate",
            AlertMetric::DeadLetterRate => "dead_letter_rate",
            AlertMetric::RedeliveryRate => "redelivery_rate",
            AlertMetric::WorkersUp => "workers_up",
        }
    }

    /// Whether its values are seconds (a threshold may be a duration).
    pub fn is_duration(self) -> bool {
        matches!(self, AlertMetric::OldestAge | AlertMetric::E2eP99)
    }

    /// Its value in `row`, `secs` after the previous row of the same
    /// group (whose dead letters so far were `dead_lettered_before`).
    pub fn read(self, row: &SeriesRow, secs: f64, dead_lettered_before: u64) -> f64 {
        let per_s = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        match self {
            AlertMetric::Depth => row.depth as f64,
            AlertMetric::OldestAge => row.oldest_age_s,
            AlertMetric::E2eP99 => row.e2e_p99_s,
            AlertMetric::InFlight => row.in_flight as f64,
            AlertMetric::DropRate => per_s(row.dropped),
            AlertMetric::DeadLetterRate => {
                per_s(row.dead_lettered.saturating_sub(dead_lettered_before))
            }
            AlertMetric::RedeliveryRate => row.redelivered_per_s,
            AlertMetric::WorkersUp => row.workers_up as f64,
        }
    }
}

/// One alert rule.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertSpec {
    /// Its name (`alerts.<name>.*` in the outputs).
    pub name: String,
    /// The group or service it watches, as time-series rows number them:
    /// groups in `System::groups` order, then services.
    pub place: u32,
    /// What it watches.
    pub metric: AlertMetric,
    /// Fires above the threshold (`above`), else below it.
    pub above: bool,
    /// The threshold, in the metric's unit (seconds for ages).
    pub threshold: f64,
    /// How long the condition must hold before it fires.
    pub hold: SimDuration,
}

impl AlertSpec {
    /// Whether `value` meets the condition.
    pub fn breached(&self, value: f64) -> bool {
        if self.above {
            value > self.threshold
        } else {
            value < self.threshold
        }
    }
}
