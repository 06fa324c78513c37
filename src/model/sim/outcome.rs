//! What one replication measured, and the end-of-run checks.

use super::{Group, GroupCounters, Simulation};
use crate::stats::LatencySummary;
use serde::{Deserialize, Serialize};

/// One time-series row for one group.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesRow {
    /// Simulated time of the row.
    pub time_s: f64,
    /// Index of the group in the scenario.
    pub group: u32,
    /// Ready messages.
    pub depth: u64,
    /// Ready bytes.
    pub depth_bytes: u64,
    /// Ready messages spilled to disk.
    pub disk_depth: u64,
    /// Time the oldest ready message has waited.
    pub oldest_age_s: f64,
    /// Deliveries in progress.
    pub in_flight: u64,
    /// Publishes per second over the last interval (all groups alike).
    pub published_per_s: f64,
    /// Messages entering this group's buffer per second.
    pub accepted_per_s: f64,
    /// Messages processed per second.
    pub completed_per_s: f64,
    /// Messages dropped during the last interval, any reason.
    pub dropped: u64,
    /// Publishes waiting under the block policy.
    pub blocked: u64,
}

/// Topic-level counts and producer-visible latency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicOutcome {
    /// Messages producers sent.
    pub published: u64,
    /// Publishes the topic accepted.
    pub accepted: u64,
    /// Publishes refused because the topic was full (drop reason `rejected`).
    pub rejected: u64,
    /// Blocked publishes that waited past `max_block` (`publish_timeout`).
    pub publish_timeouts: u64,
    /// Publishes still waiting for room at the end.
    pub blocked: u64,
    /// Publishes still in their publish latency at the end.
    pub publishing: u64,
    /// Most publishes waiting at once.
    pub max_blocked: u64,
    /// Mean publishes waiting (measurement window).
    pub mean_blocked: f64,
    /// Send → accepted, for accepted publishes in the window.
    pub producer_latency: LatencySummary,
}

/// One group's counts, latencies and levels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupOutcome {
    /// The group's name.
    pub name: String,
    /// Messages that entered this group's buffer.
    pub accepted: u64,
    /// Messages processed.
    pub processed: u64,
    /// Deliveries made.
    pub deliveries: u64,
    /// Dropped by reason: rejected (topic), publish_timeout (topic), evicted, expired.
    pub dropped: Dropped,
    /// Ready messages at the end.
    pub queued: u64,
    /// Deliveries in progress at the end.
    pub in_flight: u64,
    /// Most ready messages at once.
    pub max_depth: u64,
    /// Mean ready messages (window).
    pub mean_depth: f64,
    /// Busy worker time / total worker time (window).
    pub utilisation: f64,
    /// Processed per second (window).
    pub throughput_per_s: f64,
    /// Enqueue → first delivery (window).
    pub queue_wait: LatencySummary,
    /// Created → processed (window).
    pub end_to_end: LatencySummary,
    /// Little's law self-check over the window.
    pub littles_law: LittlesLaw,
}

/// Drops by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    /// Refused at publish: topic full.
    pub rejected: u64,
    /// Blocked longer than `max_block`.
    pub publish_timeout: u64,
    /// Evicted by drop_oldest.
    pub evicted: u64,
    /// Expired (TTL).
    pub expired: u64,
}

impl Dropped {
    /// All reasons together.
    pub fn total(&self) -> u64 {
        self.rejected + self.publish_timeout + self.evicted + self.expired
    }
}

/// L = λW, measured: mean messages in the group (ready + in service), the
/// rate at which they left, and their mean time in the group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LittlesLaw {
    /// Time-average messages in the group.
    pub l: f64,
    /// Messages leaving per second.
    pub lambda_per_s: f64,
    /// Mean time in the group of those that left.
    pub w_s: f64,
    /// |L − λW| / L (0 when L is 0).
    pub relative_error: f64,
}

/// Everything one replication measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// Replication index.
    pub replication: u64,
    /// Simulated time at the end.
    pub end_s: f64,
    /// Length of the measurement window (end − warm-up).
    pub window_s: f64,
    /// Events handled.
    pub events: u64,
    /// Topic-level results.
    pub topic: TopicOutcome,
    /// Per-group results, in scenario order.
    pub groups: Vec<GroupOutcome>,
    /// Time series (recorded for replication 0 only).
    #[serde(skip)]
    pub series: Vec<SeriesRow>,
    /// Per-message log, when [`Simulation::with_log`] asked for it.
    #[serde(skip)]
    pub log: Vec<super::LogEntry>,
}

impl Simulation<'_> {
    /// Closes the books: final row, outcome, and the conservation law.
    pub(super) fn finish(mut self) -> Result<RunOutcome, super::RunError> {
        let last_row = self
            .series
            .as_ref()
            .and_then(|s| s.last())
            .map(|r| r.time_s);
        if self.series.is_some() && last_row != Some(self.now.as_secs_f64()) {
            self.record_row();
        }
        let now = self.now.0;
        let window_s = self.now.since(self.window_start).as_secs_f64();
        let topic = &self.topic;
        let groups: Vec<GroupOutcome> = self
            .groups
            .iter()
            .zip(&self.scenario.groups)
            .map(|(g, spec)| group_outcome(g, &spec.name, spec.workers, topic, now, window_s))
            .collect();
        for g in &groups {
            check_conservation(topic, g)?;
        }
        Ok(RunOutcome {
            replication: self.replication,
            end_s: self.now.as_secs_f64(),
            window_s,
            events: self.event_count,
            topic: TopicOutcome {
                published: topic.published,
                accepted: topic.accepted,
                rejected: topic.rejected,
                publish_timeouts: topic.publish_timeouts,
                blocked: topic.blocked.len() as u64,
                publishing: topic.publishing,
                max_blocked: topic.max_blocked,
                mean_blocked: topic.blocked_level.mean(now),
                producer_latency: topic.producer_latency.summary(),
            },
            groups,
            series: self.series.unwrap_or_default(),
            log: self.log.unwrap_or_default(),
        })
    }
}

fn group_outcome(
    g: &Group,
    name: &str,
    workers: u32,
    topic: &super::TopicState,
    now: u64,
    window_s: f64,
) -> GroupOutcome {
    let c: GroupCounters = g.counters;
    let w = &g.window;
    let l = w.in_system.mean(now);
    let lambda = if window_s > 0.0 {
        w.left as f64 / window_s
    } else {
        0.0
    };
    let w_s = if w.left > 0 {
        w.sojourn_ns as f64 / w.left as f64 / 1e9
    } else {
        0.0
    };
    let relative_error = if l > 0.0 {
        (l - lambda * w_s).abs() / l
    } else {
        0.0
    };
    GroupOutcome {
        name: name.to_owned(),
        accepted: c.accepted,
        processed: c.processed,
        deliveries: c.deliveries,
        dropped: Dropped {
            rejected: topic.rejected,
            publish_timeout: topic.publish_timeouts,
            evicted: c.evicted,
            expired: c.expired,
        },
        queued: g.buffer.len(),
        in_flight: u64::from(g.busy),
        max_depth: g.max_depth,
        mean_depth: w.depth.mean(now),
        utilisation: w.busy.mean(now) / f64::from(workers),
        throughput_per_s: if window_s > 0.0 {
            w.processed as f64 / window_s
        } else {
            0.0
        },
        queue_wait: w.queue_wait.summary(),
        end_to_end: w.end_to_end.summary(),
        littles_law: LittlesLaw {
            l,
            lambda_per_s: lambda,
            w_s,
            relative_error,
        },
    }
}

/// published = processed + dropped + queued + in_flight + blocked + publishing,
/// for every group.
fn check_conservation(topic: &super::TopicState, g: &GroupOutcome) -> Result<(), super::RunError> {
    let blocked = topic.blocked.len() as u64;
    let rhs = g.processed + g.dropped.total() + g.queued + g.in_flight + blocked + topic.publishing;
    let accepted_rhs = g.processed + g.dropped.evicted + g.dropped.expired + g.queued + g.in_flight;
    if topic.published == rhs && g.accepted == accepted_rhs && topic.accepted == g.accepted {
        return Ok(());
    }
    Err(super::RunError::Conservation {
        group: g.name.clone(),
        detail: format!(
            "published {} != processed {} + dropped {:?} + queued {} + in_flight {} + blocked {} + publishing {}",
            topic.published,
            g.processed,
            g.dropped,
            g.queued,
            g.in_flight,
            blocked,
            topic.publishing
        ),
    })
}
