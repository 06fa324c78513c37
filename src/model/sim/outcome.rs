//! What one replication measured, and the end-of-run checks.

use super::Simulation;
use super::callers::CallerCounts;
use super::group::Group;
use super::state::{GroupCounters, RetryCause};
use crate::engine::{SimDuration, SimTime};
use crate::model::series::SeriesLog;
use crate::model::system::Link;
use crate::stats::LatencySummary;
use serde::{Deserialize, Serialize};

/// One time-series row for one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// End-to-end p99 (root's creation to processed) of the messages this
    /// group processed since the previous row; 0 when none was.
    pub e2e_p99_s: f64,
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
    /// Messages waiting for a redelivery backoff.
    pub delayed: u64,
    /// Dead letters so far (the DLQ's depth).
    pub dead_lettered: u64,
    /// Redeliveries per second over the last interval.
    pub redelivered_per_s: f64,
    /// Duplicate side effects so far.
    pub duplicate_side_effects: u64,
    /// Work done for a caller that had stopped waiting so far (a called
    /// group: timed out, or answered by another hedge); 0 on a topic.
    pub wasted: u64,
    /// Workers that are up and the group not in an outage.
    pub workers_up: u64,
    /// Workers paid for: starting, up, crashed or leaving.
    pub workers: u64,
}

/// The time-weighted mean of two rates over consecutive spans.
fn mean_rate(earlier: f64, earlier_span_s: f64, own: f64, own_span_s: f64) -> f64 {
    let span = earlier_span_s + own_span_s;
    if span > 0.0 {
        (earlier * earlier_span_s + own * own_span_s) / span
    } else {
        own
    }
}

impl crate::model::series::Row for SeriesRow {
    fn time_s(&self) -> f64 {
        self.time_s
    }

    fn absorb(&mut self, earlier: &SeriesRow, earlier_span_s: f64, own_span_s: f64) {
        let rate = |a: f64, b: f64| mean_rate(a, earlier_span_s, b, own_span_s);
        self.published_per_s = rate(earlier.published_per_s, self.published_per_s);
        self.accepted_per_s = rate(earlier.accepted_per_s, self.accepted_per_s);
        self.completed_per_s = rate(earlier.completed_per_s, self.completed_per_s);
        self.redelivered_per_s = rate(earlier.redelivered_per_s, self.redelivered_per_s);
        self.dropped += earlier.dropped;
        // Percentiles do not merge: a thinned row keeps the larger p99.
        self.e2e_p99_s = self.e2e_p99_s.max(earlier.e2e_p99_s);
    }
}

/// Topic-level counts and producer-visible latency.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TopicOutcome {
    /// Its name, in a file that names its topics (empty otherwise).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Messages created and published to it: by producers, and by
    /// services' publish links.
    pub created: u64,
    /// Messages sent: created plus duplicate publishes.
    pub published: u64,
    /// Retries made by producers (after refusals and lost acks).
    pub retries: u64,
    /// Accepted publishes whose ack was lost.
    pub acks_lost: u64,
    /// Retries after a lost ack that became a second copy of a message.
    pub duplicate_publishes: u64,
    /// Retries after a lost ack that an idempotent producer's broker discarded.
    pub duplicates_suppressed: u64,
    /// Publishes whose retries all failed (drop reason `retries_exhausted`).
    pub retries_exhausted: u64,
    /// Publishes lost in a producer crash (drop reason `lost`).
    pub lost: u64,
    /// Refused publishes waiting to be retried at the end.
    pub retrying: u64,
    /// Requests whose caller finally saw an error: refused, timed-out and
    /// lost publishes (queued); errors and timeouts after retries (sync).
    pub caller_errors: u64,
    /// Refused publishes of fire-and-forget producers (`acks = false`),
    /// among `rejected` and `publish_timeouts`: no caller heard of them.
    #[serde(default)]
    pub unreported: u64,
    /// Attempts a caller gave up on (sync mode; 0 when queued).
    pub caller_timeouts: u64,
    /// Work the downstream finished after its caller had given up (sync).
    pub wasted: u64,
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

/// What was measured along one path (places joined by `-`), or at the
/// ends of chains (`all`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathOutcome {
    /// The topics and groups of the path, joined by `-`; `other` for
    /// paths past the listed ones, `all` for the ends of chains.
    pub name: String,
    /// Its last group or called service (empty for `other` and `all`).
    pub place: String,
    /// The paths ending at a group or service along it, from its root to
    /// itself: its hops (empty for `other` and `all`).
    pub hops: Vec<String>,
    /// Processings at its last group in the window (for `all`: those that
    /// published nothing onward).
    pub processed: u64,
    /// Time from the root's creation to each of those processings.
    pub e2e: LatencySummary,
    /// At its last group: from entering the buffer to the start of the
    /// delivery that succeeded (failed deliveries and backoffs included).
    pub queue_wait: Option<LatencySummary>,
    /// At its last group: that delivery's processing (own work and calls).
    pub processing: Option<LatencySummary>,
    /// The processing's mean parts, in seconds: own work, calls, and the
    /// wait for its children's publishes.
    pub processing_parts: Option<[f64; 3]>,
}

/// One publish link's counts: each child sent lands once, accepted by the
/// topic or refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkOutcome {
    /// `<group>.<topic>`: the group publishing and the topic published to.
    pub name: String,
    /// Children the group published on it.
    pub sent: u64,
    /// Children the topic accepted.
    pub accepted: u64,
    /// Children the topic refused (its delivery failed, to be redelivered).
    pub refused: u64,
}

/// One call link's counts: every request a caller made on it ends once,
/// in a success or an error (after its retries), or is still waiting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallOutcome {
    /// `<caller>.<service>`: the group or service calling, and the service
    /// called.
    pub name: String,
    /// Requests made (one per processing that made the call).
    pub requests: u64,
    /// Requests that had a success.
    pub succeeded: u64,
    /// Requests that failed for good: errors or timeouts after the retries.
    pub errors: u64,
    /// Attempts the caller stopped waiting for.
    pub timeouts: u64,
    /// Attempts sent (requests and their retries).
    pub attempts: u64,
    /// Attempts refused at once (the service was down).
    pub refused: u64,
    /// Requests refused by the callers' own pool (a bulkhead), before
    /// any attempt.
    pub shed: u64,
    /// Retries the retry budget did not send.
    pub throttled: u64,
    /// Requests the circuit breaker refused (no attempt made).
    pub short_circuited: u64,
    /// Requests its fallback answered with a degraded (cached or default)
    /// answer: neither a success nor an error for the caller.
    pub degraded: u64,
    /// Times the circuit breaker opened.
    pub breaker_opened: u64,
    /// Hedged attempts sent (the extra load hedging costs).
    pub hedges: u64,
    /// Requests whose success came from a hedge.
    pub hedges_won: u64,
    /// Attempts the service processed after their caller had stopped
    /// waiting (timed out, or answered by another hedge): wasted work.
    pub wasted: u64,
    /// Request to final answer, as the callers saw it.
    pub latency: LatencySummary,
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
    /// Dropped by reason.
    pub dropped: Dropped,
    /// Moved to the dead-letter queue.
    pub dead_lettered: u64,
    /// Ready messages at the end.
    pub queued: u64,
    /// Messages waiting for a redelivery backoff at the end.
    pub delayed: u64,
    /// Deliveries after the first of a message.
    pub redeliveries: u64,
    /// Deliveries of a message already processed or still being processed.
    pub duplicate_deliveries: u64,
    /// Side effects: successful processings, duplicates included.
    pub side_effects: u64,
    /// Side effects of a message that already had one ("two emails").
    pub duplicate_side_effects: u64,
    /// Duplicates an idempotent consumer suppressed within its window.
    pub suppressed_duplicates: u64,
    /// Failed deliveries by kind.
    pub failures: Failures,
    /// What the dead letters looked like.
    pub dead_letters: DeadLetterSummary,
    /// Messages (queued: dropped or dead-lettered) or requests (sync: never
    /// processed) whose work was never done.
    pub work_lost: u64,
    /// Per-partition lag and throughput (empty with one partition). Not in
    /// `summary.json`'s outcomes: the `partitions.<p>.*` metrics hold them
    /// across replications, and a copy per replication would grow the file
    /// by partitions × replications.
    #[serde(skip)]
    pub partitions: Vec<PartitionOutcome>,
    /// Completions of a message older than one already processed with the
    /// same key (order tracking needs keys).
    #[serde(default)]
    pub out_of_order: u64,
    /// Rebalances of a partitioned group.
    #[serde(default)]
    pub rebalances: u64,
    /// Up workers owning no partition at the end (partitioned groups).
    #[serde(default)]
    pub workers_without_partitions: u64,
    /// Deliveries in progress at the end.
    pub in_flight: u64,
    /// Most ready messages at once.
    pub max_depth: u64,
    /// The largest age of the oldest ready message over the window: the
    /// longest a message waited ready (since it entered the group,
    /// redelivery backoffs included) before a worker started it, it
    /// expired or it was evicted, or had waited at the end. The worst lag,
    /// in time.
    pub max_age_s: f64,
    /// With `drain`: how long after the horizon the group last became
    /// empty (nothing ready, delayed or in flight); 0 if it was empty at
    /// the horizon. A group still holding messages when the run stopped
    /// (at `max_drain`) did not drain: this is then the time the drain ran,
    /// and `queued` says what was left. `None` without `drain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_s: Option<f64>,
    /// Mean ready messages (window).
    pub mean_depth: f64,
    /// Busy worker time / time workers were up (window).
    pub utilisation: f64,
    /// Mean workers paid for: starting, up, crashed or leaving (window).
    /// Times the window's length, the worker-seconds a design costs.
    #[serde(default)]
    pub workers_mean: f64,
    /// Most workers paid for at once (window).
    #[serde(default)]
    pub workers_max: u64,
    /// Autoscaling decisions that added workers.
    #[serde(default)]
    pub scale_ups: u64,
    /// Autoscaling decisions that removed workers.
    #[serde(default)]
    pub scale_downs: u64,
    /// Processed per second (window).
    pub throughput_per_s: f64,
    /// Enqueue → first delivery (window).
    pub queue_wait: LatencySummary,
    /// Created → processed (window).
    pub end_to_end: LatencySummary,
    /// Little's law self-check over the window.
    pub littles_law: LittlesLaw,
    /// Per priority, lowest first, on a priority queue (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<ClassOutcome>,
}

/// One priority's results in a group reading a priority queue (window).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassOutcome {
    /// The priority.
    pub priority: u32,
    /// Messages of that priority processed.
    pub processed: u64,
    /// Enqueue → first delivery.
    pub queue_wait: LatencySummary,
    /// Created → processed.
    pub end_to_end: LatencySummary,
}

/// One partition of one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PartitionOutcome {
    /// Ready messages at the end (the lag, in messages).
    pub queued: u64,
    /// Most ready messages at once.
    pub max_depth: u64,
    /// Age of its oldest ready message at the end (the lag, in time).
    pub oldest_age_s: f64,
    /// Messages processed from it.
    pub processed: u64,
}

impl crate::model::series::Row for PartitionRow {
    fn time_s(&self) -> f64 {
        self.time_s
    }

    /// Partition rows hold levels only: the later row stands.
    fn absorb(&mut self, _earlier: &PartitionRow, _: f64, _: f64) {}
}

/// One time-series row for one partition of one group.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartitionRow {
    /// Simulated time of the row.
    pub time_s: f64,
    /// Index of the group in the scenario.
    pub group: u32,
    /// The partition.
    pub partition: u32,
    /// Ready messages.
    pub depth: u64,
    /// Time its oldest ready message has waited.
    pub oldest_age_s: f64,
}

/// One time-series row for one call link (`calls.csv`): its traffic and
/// the state of its resilience patterns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallRow {
    /// Simulated time of the row.
    pub time_s: f64,
    /// Index of the call link (in `System::call_links` order).
    pub link: u32,
    /// Requests made per second over the last interval.
    pub requests_per_s: f64,
    /// Attempts sent per second (requests, retries and hedges).
    pub attempts_per_s: f64,
    /// Requests that failed for good during the interval.
    pub errors: u64,
    /// Attempts the callers stopped waiting for during the interval.
    pub timeouts: u64,
    /// Requests the breaker refused during the interval.
    pub short_circuited: u64,
    /// Of those, requests its fallback answered degraded.
    pub degraded: u64,
    /// Times the breaker opened during the interval.
    pub breaker_opened: u64,
    /// The breaker's state now: 0 closed (or none), 1 open, 2 half-open.
    pub breaker: u8,
    /// The retry budget's tokens now (0 without one).
    pub tokens: f64,
    /// Retries the budget did not send during the interval.
    pub throttled: u64,
    /// Hedges sent during the interval.
    pub hedges: u64,
    /// Requests a hedge won during the interval.
    pub hedges_won: u64,
}

impl crate::model::series::Row for CallRow {
    fn time_s(&self) -> f64 {
        self.time_s
    }

    fn absorb(&mut self, earlier: &CallRow, earlier_span_s: f64, own_span_s: f64) {
        let rate = |a: f64, b: f64| mean_rate(a, earlier_span_s, b, own_span_s);
        self.requests_per_s = rate(earlier.requests_per_s, self.requests_per_s);
        self.attempts_per_s = rate(earlier.attempts_per_s, self.attempts_per_s);
        self.errors += earlier.errors;
        self.timeouts += earlier.timeouts;
        self.short_circuited += earlier.short_circuited;
        self.degraded += earlier.degraded;
        self.breaker_opened += earlier.breaker_opened;
        self.throttled += earlier.throttled;
        self.hedges += earlier.hedges;
        self.hedges_won += earlier.hedges_won;
    }
}

/// Drops by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    /// Refused at publish: topic full.
    pub rejected: u64,
    /// Blocked longer than `max_block`.
    pub publish_timeout: u64,
    /// Every producer retry failed.
    pub retries_exhausted: u64,
    /// Lost: in a producer crash, or a failed or crashed delivery at most once.
    pub lost: u64,
    /// Evicted by drop_oldest.
    pub evicted: u64,
    /// Expired (TTL).
    pub expired: u64,
}

impl LittlesLaw {
    /// From the time-average `l`, the `left` messages that left in the
    /// window and their total time in the group.
    pub fn measure(l: f64, left: u64, sojourn_ns: u128, window_s: f64) -> LittlesLaw {
        let lambda_per_s = if window_s > 0.0 {
            left as f64 / window_s
        } else {
            0.0
        };
        let w_s = if left > 0 {
            sojourn_ns as f64 / left as f64 / 1e9
        } else {
            0.0
        };
        let relative_error = if l > 0.0 {
            (l - lambda_per_s * w_s).abs() / l
        } else {
            0.0
        };
        LittlesLaw {
            l,
            lambda_per_s,
            w_s,
            relative_error,
        }
    }
}

impl Dropped {
    /// All reasons together.
    pub fn total(&self) -> u64 {
        self.rejected
            + self.publish_timeout
            + self.retries_exhausted
            + self.lost
            + self.evicted
            + self.expired
    }
}

/// Failed deliveries by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    /// Nacked: transient failure or poison.
    pub failed: u64,
    /// Ran past the processing timeout.
    pub timed_out: u64,
    /// Interrupted by a worker crash or a group outage.
    pub crashed: u64,
    /// Not acked within the ack (visibility) timeout.
    pub ack_timeouts: u64,
}

/// The dead letters of a group, summarised.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeadLetterSummary {
    /// Dead letters by the failure that sent them there: failed,
    /// timed_out, crashed, ack_timeout, expired.
    pub by_reason: std::collections::BTreeMap<String, u64>,
    /// Mean deliveries a dead letter had.
    pub mean_deliveries: f64,
    /// Creation → dead-lettered.
    pub age: LatencySummary,
    /// The first few dead letters with their failure history.
    pub samples: Vec<DeadLetterSample>,
}

/// One dead letter's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadLetterSample {
    /// Message id.
    pub message: u64,
    /// When it was created.
    pub created_s: f64,
    /// When it was dead-lettered.
    pub dead_lettered_s: f64,
    /// Deliveries it had.
    pub deliveries: u16,
    /// Deliveries that failed.
    pub failed: u16,
    /// Deliveries that timed out.
    pub timed_out: u16,
    /// Deliveries interrupted by a crash.
    pub crashed: u16,
    /// Deliveries whose ack timed out.
    pub ack_timeouts: u16,
    /// The failure that sent it to the DLQ.
    pub reason: String,
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
    /// Every topic, in a file that names its topics (`topic` is the
    /// first); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<TopicOutcome>,
    /// Paths messages took, with publish or call links or several topics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<PathOutcome>,
    /// Publish links, by group then link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkOutcome>,
    /// Services called directly (`call` links), in the group's shape:
    /// attempts are their deliveries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<GroupOutcome>,
    /// Call links, by caller (groups, then services) then link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallOutcome>,
    /// Time series (recorded for replication 0 only).
    #[serde(skip)]
    pub series: Vec<SeriesRow>,
    /// Per-partition time series, with several partitions (replication 0).
    #[serde(skip)]
    pub partition_series: Vec<PartitionRow>,
    /// Per-call-link time series, with call links (replication 0).
    #[serde(skip)]
    pub call_series: Vec<CallRow>,
    /// Sync mode's direct call from the producers as one link's time
    /// series (replication 0; link 0): its callers' requests and final
    /// errors per interval. Empty when the producers publish.
    #[serde(skip)]
    pub sync_call_series: Vec<CallRow>,
    /// What each alert rule did, in the scenario's order (by name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<super::AlertOutcome>,
    /// Per-message log, when [`Simulation::with_log`] asked for it.
    #[serde(skip)]
    pub log: Vec<super::LogEntry>,
    /// How the time series were sampled in the end.
    #[serde(skip)]
    pub sampling: Sampling,
    /// Internal state at the end, for tests.
    #[serde(skip)]
    pub diagnostics: Diagnostics,
}

/// How a run's time series were sampled: every how many intervals, at the
/// end of the run (more than 1 after a long drain was thinned).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sampling {
    /// `timeseries.csv` rows every this many sample intervals.
    pub every: u64,
}

/// Internal state at the end of a run, for tests of bounded memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics {
    /// Side-effect track entries still held, per group.
    pub tracked: Vec<usize>,
    /// Whether nothing was left anywhere at the end.
    pub empty: bool,
    /// Messages rejected in one step with the rest of their tick (the
    /// buffer was full by count).
    pub bulk_rejected: u64,
}

impl Simulation<'_> {
    /// Closes the books: final row, outcome, and the conservation law.
    pub(super) fn finish(mut self) -> Result<RunOutcome, super::RunError> {
        if self.last_row_at != self.ctx.now {
            self.record_row(super::sample::FINAL);
        }
        let now = self.ctx.now.0;
        let window_s = self.ctx.now.since(self.ctx.window_start).as_secs_f64();
        let (topics, mut groups) = match self.scenario.link {
            Link::Call(_) => {
                let (topic, groups) = self.call_outcome(now, window_s);
                (vec![topic], groups)
            }
            Link::Publish => {
                let topics: Vec<TopicOutcome> = (0..self.topics.len())
                    .map(|t| self.topic_outcome(t, now))
                    .collect();
                let groups: Vec<GroupOutcome> = self
                    .groups
                    .iter()
                    .zip(&self.scenario.groups)
                    .map(|(g, spec)| {
                        group_outcome(g, &spec.name, &topics[spec.topic], now, window_s)
                    })
                    .collect();
                for (g, spec) in groups.iter().zip(&self.scenario.groups) {
                    check_conservation(&topics[spec.topic], g)?;
                }
                (topics, groups)
            }
        };
        let links = self.link_outcomes()?;
        let paths = self.paths.outcomes(self.scenario);
        let topic = topics[0].clone();
        let topics = if self.scenario.graph {
            topics
        } else {
            Vec::new()
        };
        let (mut services, calls) = match self.scenario.link {
            Link::Publish => self.call_outcomes(now, window_s)?,
            Link::Call(_) => (Vec::new(), Vec::new()),
        };
        if self.scenario.drain {
            self.note_drains(&mut groups, &mut services);
        }
        // Every pool's and buffer's running bookkeeping against a recount.
        let pools = self.groups.iter().map(|g| g.check());
        let called = self.called.iter().map(|c| c.workers.check());
        let names = self.scenario.groups.iter().chain(&self.scenario.services);
        for (check, spec) in pools.chain(called).zip(names) {
            if let Err(detail) = check {
                return Err(super::RunError::Conservation {
                    group: spec.name.clone(),
                    detail,
                });
            }
        }
        let tracked = match self.scenario.link {
            Link::Call(_) => self
                .calls
                .callers
                .iter()
                .map(|c| c.requests.len())
                .collect(),
            Link::Publish => self.groups.iter().map(|g| g.tracks.len()).collect(),
        };
        let call_rows = (self.call_series.take().map(SeriesLog::into_rows)).unwrap_or_default();
        let (call_series, sync_call_series) = match self.scenario.link {
            Link::Publish => (call_rows, Vec::new()),
            Link::Call(_) => (Vec::new(), call_rows),
        };
        let diagnostics = Diagnostics {
            tracked,
            empty: self.is_empty(),
            bulk_rejected: self.bulk_rejected,
        };
        Ok(RunOutcome {
            replication: self.replication,
            end_s: self.ctx.now.as_secs_f64(),
            window_s,
            events: self.watchdog.events(),
            topic,
            groups,
            topics,
            paths,
            links,
            services,
            calls,
            sampling: Sampling {
                every: self.series.every(),
            },
            series: self.series.into_rows(),
            call_series,
            sync_call_series,
            partition_series: self
                .partition_series
                .map(SeriesLog::into_rows)
                .unwrap_or_default(),
            diagnostics,
            // The faults are listed only for rules to meet.
            alerts: if self.scenario.alerts.is_empty() {
                Vec::new()
            } else {
                (self.alerts).outcomes(self.ctx.now, &self.scenario.faults())
            },
            log: self.ctx.log.unwrap_or_default(),
        })
    }

    /// The outcome of a direct call, in the queued run's shape: the
    /// callers' counts stand for the topic's, the called service for the
    /// one group.
    fn call_outcome(&self, now: u64, window_s: f64) -> (TopicOutcome, Vec<GroupOutcome>) {
        let (Some(callers), Some(called)) = (self.calls.callers.first(), self.called.first())
        else {
            return (TopicOutcome::default(), Vec::new()); // built together in `new`
        };
        let k = callers.counts;
        let topic = TopicOutcome {
            created: k.requests,
            published: k.attempts,
            retries: k.retries,
            accepted: k.accepted,
            rejected: k.refused,
            caller_errors: k.caller_errors,
            caller_timeouts: k.caller_timeouts,
            wasted: called.counts.wasted,
            producer_latency: callers.latency.summary(),
            ..TopicOutcome::default()
        };
        (topic, vec![called.outcome(now, window_s, k)])
    }

    /// Each group's and service's `drain_s`, from when something last
    /// left it (in sync mode the one group is the called service).
    fn note_drains(&self, groups: &mut [GroupOutcome], services: &mut [GroupOutcome]) {
        let horizon = SimTime::ZERO + self.scenario.horizon;
        let end = self.ctx.now;
        let drain = |o: &mut GroupOutcome, last_left: SimTime| {
            let held = o.queued + o.delayed + o.in_flight;
            o.drain_s = Some(drain_s(held, last_left, horizon, end));
        };
        match self.scenario.link {
            Link::Call(_) => {
                for (o, c) in groups.iter_mut().zip(&self.called) {
                    drain(o, c.last_left);
                }
            }
            Link::Publish => {
                for (o, g) in groups.iter_mut().zip(&self.groups) {
                    drain(o, g.last_left);
                }
                for (o, c) in services.iter_mut().zip(&self.called) {
                    drain(o, c.last_left);
                }
            }
        }
    }

    /// The services called directly and each call link, checked: every
    /// request made ended once or still waits, and every attempt a service
    /// accepted ended once or is still there.
    fn call_outcomes(
        &self,
        now: u64,
        window_s: f64,
    ) -> Result<(Vec<GroupOutcome>, Vec<CallOutcome>), super::RunError> {
        let mut into = vec![CallerCounts::default(); self.called.len()];
        let mut calls = Vec::with_capacity(self.calls.callers.len());
        let callers_of = self.scenario.call_links();
        for ((callers, &target), (caller, _)) in
            (self.calls.callers.iter().zip(&self.calls.target)).zip(callers_of)
        {
            let k = callers.counts;
            let name = format!("{caller}.{}", self.scenario.services[target].name);
            let waiting = callers.waiting();
            if k.requests != k.succeeded + k.degraded + k.caller_errors + waiting {
                return Err(super::RunError::Conservation {
                    group: caller.to_owned(),
                    detail: format!(
                        "call link {name}: requests {} != succeeded {} + degraded {} + errors {} + waiting {waiting}",
                        k.requests, k.succeeded, k.degraded, k.caller_errors
                    ),
                });
            }
            let breaker = callers
                .breaker
                .as_ref()
                .map(|b| b.counts)
                .unwrap_or_default();
            into[target].add(&k);
            calls.push(CallOutcome {
                name,
                requests: k.requests,
                succeeded: k.succeeded,
                errors: k.caller_errors,
                timeouts: k.caller_timeouts,
                attempts: k.attempts,
                refused: k.refused,
                shed: k.shed,
                throttled: k.throttled,
                short_circuited: breaker.short_circuited,
                degraded: k.degraded,
                breaker_opened: breaker.opened,
                hedges: k.hedges,
                hedges_won: k.hedges_won,
                wasted: k.wasted,
                latency: callers.latency.summary(),
            });
        }
        let mut services = Vec::with_capacity(self.called.len());
        for (called, k) in self.called.iter().zip(into) {
            let out = called.outcome(now, window_s, k);
            let ended =
                out.processed + out.dropped.lost + out.dropped.expired + out.dropped.evicted;
            if k.accepted != ended + out.queued + out.in_flight {
                return Err(super::RunError::Conservation {
                    group: out.name.clone(),
                    detail: format!(
                        "service {}: accepted {} != processed {} + failed {} + dropped unrun {} + queued {} + in service {}",
                        out.name,
                        k.accepted,
                        out.processed,
                        out.dropped.lost,
                        out.dropped.expired + out.dropped.evicted,
                        out.queued,
                        out.in_flight
                    ),
                });
            }
            services.push(out);
        }
        Ok((services, calls))
    }

    /// Each publish link's counts, checked: every child sent was accepted
    /// or refused.
    fn link_outcomes(&self) -> Result<Vec<LinkOutcome>, super::RunError> {
        let mut out = Vec::new();
        let specs = self.scenario.groups.iter().chain(&self.scenario.services);
        // Children a topic still holds (blocked, in transit) at the end.
        let pending = self.pending_children();
        for ((spec, links), pending) in specs.zip(&self.links.per_group).zip(pending) {
            for ((link, state), pending) in spec.publish.iter().zip(links).zip(pending) {
                let k = state.counts;
                let name = format!("{}.{}", spec.name, self.scenario.topics[link.topic].name);
                if k.sent != k.accepted + k.refused + pending {
                    return Err(super::RunError::Conservation {
                        group: spec.name.clone(),
                        detail: format!(
                            "publish link {name}: sent {} != accepted {} + refused {} + on their way {pending}",
                            k.sent, k.accepted, k.refused
                        ),
                    });
                }
                out.push(LinkOutcome {
                    name,
                    sent: k.sent,
                    accepted: k.accepted,
                    refused: k.refused,
                });
            }
        }
        Ok(out)
    }

    fn topic_outcome(&self, index: usize, now: u64) -> TopicOutcome {
        let t = &self.topics[index];
        TopicOutcome {
            name: if self.scenario.graph {
                t.spec.name.clone()
            } else {
                String::new()
            },
            created: t.created,
            published: t.published,
            retries: t.retries,
            acks_lost: t.acks_lost,
            duplicate_publishes: t.duplicate_publishes,
            duplicates_suppressed: t.duplicates_suppressed,
            retries_exhausted: t.retries_exhausted,
            lost: t.lost,
            // Retries after a lost ack are not counted: their message is
            // in the topic already, and a duplicate counts once published.
            retrying: t
                .retrying
                .iter()
                .filter(|(_, (_, cause))| *cause == RetryCause::Refused)
                .count() as u64,
            caller_errors: t.drops() - t.unreported,
            unreported: t.unreported,
            caller_timeouts: 0,
            wasted: 0,
            accepted: t.accepted,
            rejected: t.rejected,
            publish_timeouts: t.publish_timeouts,
            blocked: t.blocked.len() as u64,
            publishing: t.in_transit.len() as u64,
            max_blocked: t.max_blocked,
            mean_blocked: t.blocked_level.mean(now),
            producer_latency: t.producer_latency.summary(),
        }
    }
}

fn partition_outcomes(g: &Group, now: u64) -> Vec<PartitionOutcome> {
    if g.partitions.len() < 2 {
        return Vec::new();
    }
    (0..g.partitions.len())
        .map(|p| PartitionOutcome {
            queued: g.buffer.partition_len(p),
            max_depth: g.partitions[p].max_depth,
            oldest_age_s: g
                .buffer
                .oldest_in(p)
                .map_or(0.0, |t| SimTime(now).since(t).as_secs_f64()),
            processed: g.partitions[p].processed,
        })
        .collect()
}

fn dead_letter_summary(g: &Group) -> DeadLetterSummary {
    let d = &g.dead_letters;
    let count = g.counters.dead_lettered;
    DeadLetterSummary {
        by_reason: d
            .by_reason
            .named()
            .iter()
            .map(|(kind, c)| (kind.name().to_owned(), *c))
            .collect(),
        mean_deliveries: if count > 0 {
            d.deliveries as f64 / count as f64
        } else {
            0.0
        },
        age: d.age.summary(),
        samples: d.samples.clone(),
    }
}

fn group_outcome(
    g: &Group,
    name: &str,
    topic: &TopicOutcome,
    now: u64,
    window_s: f64,
) -> GroupOutcome {
    let c: GroupCounters = g.counters;
    let w = &g.window;
    let levels = g.workers.levels();
    let (scale_ups, scale_downs) = g.workers.scalings();
    // Messages in the group: ready + in flight (busy − zombies) + delayed.
    let l = w.depth.mean(now) + levels.busy.mean(now) - w.zombies.mean(now) + w.delayed.mean(now);
    GroupOutcome {
        name: name.to_owned(),
        accepted: c.accepted,
        processed: c.processed,
        deliveries: c.deliveries,
        dropped: Dropped {
            rejected: topic.rejected,
            publish_timeout: topic.publish_timeouts,
            retries_exhausted: topic.retries_exhausted,
            lost: topic.lost + c.lost,
            evicted: c.evicted,
            expired: c.expired,
        },
        dead_lettered: c.dead_lettered,
        queued: g.depth(),
        delayed: g.delayed.len() as u64,
        in_flight: g.in_flight(),
        redeliveries: c.redeliveries,
        duplicate_deliveries: c.duplicate_deliveries,
        side_effects: c.side_effects,
        duplicate_side_effects: c.duplicate_side_effects,
        suppressed_duplicates: c.suppressed_duplicates,
        failures: Failures {
            failed: c.failed,
            timed_out: c.timed_out,
            crashed: c.crashed,
            ack_timeouts: c.ack_timeouts,
        },
        dead_letters: dead_letter_summary(g),
        partitions: partition_outcomes(g, now),
        out_of_order: g.out_of_order,
        rebalances: g.rebalances,
        workers_without_partitions: g
            .assignment
            .as_ref()
            .map_or(0, |a| a.workers_without_partitions(g.workers.slots())),
        work_lost: topic.rejected
            + topic.publish_timeouts
            + topic.retries_exhausted
            + topic.lost
            + c.lost
            + c.evicted
            + c.expired
            + c.dead_lettered,
        max_depth: g.max_depth,
        max_age_s: max_age_s(w.max_age_ns, g.oldest_ready_of_all(), now),
        drain_s: None,
        mean_depth: w.depth.mean(now),
        utilisation: share(levels.busy.mean(now), levels.up.mean(now)),
        workers_mean: levels.provisioned.mean(now),
        workers_max: levels.provisioned.max(),
        scale_ups,
        scale_downs,
        throughput_per_s: if window_s > 0.0 {
            w.processed as f64 / window_s
        } else {
            0.0
        },
        queue_wait: w.queue_wait.summary(),
        end_to_end: w.end_to_end.summary(),
        littles_law: LittlesLaw::measure(l, w.left, w.sojourn_ns, window_s),
        classes: (w.classes.iter().enumerate())
            .map(|(p, class)| ClassOutcome {
                priority: p as u32,
                processed: class.processed,
                queue_wait: class.queue_wait.summary(),
                end_to_end: class.end_to_end.summary(),
            })
            .collect(),
    }
}

/// The largest age in seconds: `max_ns`, or the age now of a message
/// still waiting since `oldest`, whichever is larger.
pub(super) fn max_age_s(max_ns: u64, oldest: Option<SimTime>, now: u64) -> f64 {
    let waiting = oldest.map_or(0, |t| SimTime(now).since(t).as_nanos());
    SimDuration(max_ns.max(waiting)).as_secs_f64()
}

/// With `drain`, how long after the horizon a group or service last
/// emptied: 0 if before it; the drain's length if it still holds `held`
/// messages at `end`.
pub(super) fn drain_s(held: u64, last_left: SimTime, horizon: SimTime, end: SimTime) -> f64 {
    let emptied = if held > 0 { end } else { last_left };
    if emptied > horizon {
        emptied.since(horizon).as_secs_f64()
    } else {
        0.0
    }
}

/// `part / whole`, or 0 when `whole` is 0.
pub(crate) fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// For every group: published = processed + dropped + dead_lettered +
/// queued + delayed + in_flight + blocked + publishing + retrying.
pub(crate) fn check_conservation(
    t: &TopicOutcome,
    g: &GroupOutcome,
) -> Result<(), super::RunError> {
    let held = g.queued + g.delayed + g.in_flight;
    let producer_side = t.blocked + t.publishing + t.retrying;
    let rhs = g.processed + g.dropped.total() + g.dead_lettered + held + producer_side;
    let topic_rhs =
        t.accepted + t.rejected + t.publish_timeouts + t.retries_exhausted + t.lost + producer_side;
    let consumer_lost = g.dropped.lost - t.lost;
    let accepted_rhs = g.processed
        + g.dropped.evicted
        + g.dropped.expired
        + consumer_lost
        + g.dead_lettered
        + held;
    if t.published == rhs
        && t.published == topic_rhs
        && g.accepted == accepted_rhs
        && t.accepted == g.accepted
    {
        return Ok(());
    }
    Err(super::RunError::Conservation {
        group: g.name.clone(),
        detail: format!(
            "published {} != processed {} + dropped {:?} + dead_lettered {} + queued {} + delayed {} \
             + in_flight {} + blocked {} + publishing {} + retrying {} (accepted {} / {})",
            t.published,
            g.processed,
            g.dropped,
            g.dead_lettered,
            g.queued,
            g.delayed,
            g.in_flight,
            t.blocked,
            t.publishing,
            t.retrying,
            t.accepted,
            g.accepted
        ),
    })
}
