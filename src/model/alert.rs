//! Alert rules, validated: a metric of one group, service or topic read at
//! every sample, a threshold, and how long the condition must hold before
//! the alert fires (Prometheus's `for`).

use crate::engine::SimDuration;
use crate::model::sim::SeriesRow;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What an alert watches, per group, service or topic, at each sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertMetric {
    /// Ready messages (the consumer lag, in messages); on a topic, its
    /// deepest reader's (what `capacity` bounds).
    Depth,
    /// Age of the oldest ready message (the consumer lag, in time); on a
    /// topic, the oldest among its readers.
    OldestAge,
    /// End-to-end p99 of the messages processed since the previous sample.
    E2eP99,
    /// Deliveries in progress.
    InFlight,
    /// Messages dropped per second since the previous sample (any reason,
    /// refused publishes to its topic included); on a topic, the
    /// publishes it refused or lost (rejected, timed out blocked, retries
    /// exhausted, lost in a crash).
    DropRate,
    /// Messages dead-lettered per second since the previous sample.
    DeadLetterRate,
    /// Redeliveries per second since the previous sample.
    RedeliveryRate,
    /// Workers taking messages (up, the group not in an outage).
    WorkersUp,
    /// Messages accepted per second since the previous sample: into its
    /// buffer (a group), by the topic (a topic), or attempts accepted by a
    /// service called directly. `below` catches producers gone quiet or
    /// down (a crashed producer's messages are lost before the broker:
    /// they count in `drop_rate`).
    ArrivalRate,
    /// Errors its callers saw per second since the previous sample:
    /// requests that failed for good (after their retries), of a service
    /// called directly (sync mode, or a `calls` link).
    CallerErrorRate,
    /// The share (0 to 1) of its callers' requests answered since the
    /// previous sample that were errors (`calls.<link>.error_rate`, per
    /// interval); 0 when none was answered.
    CallerErrorShare,
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
            AlertMetric::ArrivalRate => "arrival_rate",
            AlertMetric::CallerErrorRate => "caller_error_rate",
            AlertMetric::CallerErrorShare => "caller_error_share",
        }
    }

    /// The metrics a topic has.
    pub const ON_TOPIC: [AlertMetric; 4] = [
        AlertMetric::Depth,
        AlertMetric::OldestAge,
        AlertMetric::DropRate,
        AlertMetric::ArrivalRate,
    ];

    /// Whether its values are seconds (a threshold may be a duration).
    pub fn is_duration(self) -> bool {
        matches!(self, AlertMetric::OldestAge | AlertMetric::E2eP99)
    }

    /// Whether it is counted over the interval since the previous sample
    /// (a place's first sample has no interval, and no value).
    pub fn is_rate(self) -> bool {
        matches!(
            self,
            AlertMetric::DropRate
                | AlertMetric::DeadLetterRate
                | AlertMetric::RedeliveryRate
                | AlertMetric::ArrivalRate
                | AlertMetric::CallerErrorRate
                | AlertMetric::CallerErrorShare
        )
    }

    /// Whether it reads the callers of a service called directly.
    pub fn is_callers(self) -> bool {
        matches!(
            self,
            AlertMetric::CallerErrorRate | AlertMetric::CallerErrorShare
        )
    }

    /// Its value in `reading`.
    pub fn read(self, reading: &Reading<'_>) -> f64 {
        let secs = reading.secs;
        let row = reading.row;
        let per_s = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        match self {
            AlertMetric::Depth => row.depth as f64,
            AlertMetric::OldestAge => row.oldest_age_s,
            AlertMetric::E2eP99 => row.e2e_p99_s,
            AlertMetric::InFlight => row.in_flight as f64,
            AlertMetric::DropRate => per_s(row.dropped),
            AlertMetric::DeadLetterRate => per_s(
                row.dead_lettered
                    .saturating_sub(reading.dead_lettered_before),
            ),
            AlertMetric::RedeliveryRate => row.redelivered_per_s,
            AlertMetric::WorkersUp => row.workers_up as f64,
            AlertMetric::ArrivalRate => row.accepted_per_s,
            AlertMetric::CallerErrorRate => per_s(reading.caller_errors),
            AlertMetric::CallerErrorShare if reading.caller_answered > 0 => {
                reading.caller_errors as f64 / reading.caller_answered as f64
            }
            AlertMetric::CallerErrorShare => 0.0,
        }
    }
}

/// What an alert reads at one sample of the place it watches.
#[derive(Clone, Copy, Debug)]
pub struct Reading<'r> {
    /// The place's time-series row (a topic's is made from its readers').
    pub row: &'r SeriesRow,
    /// Seconds since the place's previous sample (0 at its first).
    pub secs: f64,
    /// Its dead letters at the previous sample.
    pub dead_lettered_before: u64,
    /// Its callers' requests that failed for good since the previous
    /// sample.
    pub caller_errors: u64,
    /// Its callers' requests answered since the previous sample: a
    /// success, a degraded fallback or an error.
    pub caller_answered: u64,
}

/// One alert rule.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertSpec {
    /// Its name (`alerts.<name>.*` in the outputs).
    pub name: String,
    /// The group, service or topic it watches, numbered as the
    /// time-series rows number groups (groups in `System::groups` order,
    /// then services), then topics after them in `System::topics` order
    /// (see [`AlertSpec::topic_place`]).
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

    /// The place number of topic `t` in a system with `services` groups
    /// and services.
    pub fn topic_place(services: usize, t: usize) -> u32 {
        (services + t) as u32
    }
}
