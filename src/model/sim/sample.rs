//! Time-series rows at the scenario's sample interval, thinned during a
//! long drain to stay within the output budget (see `model::series`).

use super::callers::CallerCounts;
use super::group::TopicRow;
use super::outcome::{PartitionRow, SeriesRow};
use super::{Event, Simulation};
use crate::engine::SimTime;
use crate::model::series::{SeriesLog, sample_index};
use crate::model::system::Link;

impl Simulation<'_> {
    pub(super) fn on_sample(&mut self) {
        let interval = self.scenario.sample_interval;
        if self.draining && self.ctx.now > SimTime::ZERO + self.scenario.horizon {
            // Rows up to the horizon's are the horizon's, kept whole.
            self.start_drain_series();
        }
        let index = sample_index(self.ctx.now, interval);
        self.record_row(index);
        self.report_progress(false);
        let every = self.series.every();
        let next = SimTime((index / every + 1) * every * interval.as_nanos());
        if self.draining || next <= SimTime::ZERO + self.scenario.horizon {
            self.ctx.schedule(next, Event::Sample);
        }
    }

    /// The time series start counting as drain rows.
    pub(super) fn start_drain_series(&mut self) {
        self.series.start_drain();
        if let Some(log) = self.partition_series.as_mut() {
            log.start_drain();
        }
        if let Some(log) = self.call_series.as_mut() {
            log.start_drain();
        }
    }

    /// Records sample `index`: one row per group describing the state now
    /// and the time since the previous row, and the partitions' rows, when
    /// they are due. The row that closes a run ([`FINAL`]) is always
    /// recorded.
    pub(super) fn record_row(&mut self, index: u64) {
        if let Link::Call(_) = self.scenario.link {
            if index == FINAL || self.series.due(index) {
                self.record_called();
            }
            return;
        }
        for group in &mut self.groups {
            group.expire_heads(&mut self.ctx);
        }
        let final_row = index == FINAL;
        if final_row || self.series.due(index) {
            self.record_groups();
        }
        let due = |log: &SeriesLog<PartitionRow>| final_row || log.due(index);
        if self.partition_series.as_ref().is_some_and(due) {
            self.record_partitions();
        }
    }

    /// The called service's row, and its callers' (sync mode).
    fn record_called(&mut self) {
        let (Some(called), Some(callers)) =
            (self.called.first_mut(), self.calls.callers.first_mut())
        else {
            return;
        };
        let now = self.ctx.now;
        let first = self.last_row_at == SimTime::MAX;
        let secs = now.since(self.last_row_at).as_secs_f64();
        self.last_row_at = now;
        let row = called.row(now, callers.counts, first, secs);
        self.alerts
            .observe(now, row.group, &row, Some(&callers.counts));
        self.series.push(row);
        self.series.end_sample();
        if let Some(log) = self.call_series.as_mut() {
            log.push(callers.row(now, 0, first, secs));
            log.end_sample();
        }
    }

    /// One row per group, with what its topic adds.
    fn record_groups(&mut self) {
        let now = self.ctx.now;
        let secs = now.since(self.last_row_at).as_secs_f64();
        let first = self.last_row_at == SimTime::MAX;
        // Rates cover the time since the previous row (zero in the first row).
        let per_s = |n: u64| if first { 0.0 } else { n as f64 / secs };
        let services = (self.scenario.groups.len() + self.scenario.services.len()) as u32;
        for (t, topic) in self.topics.iter_mut().enumerate() {
            let drops = topic.drops();
            let row = TopicRow {
                published_per_s: per_s(topic.published - topic.last_published),
                dropped: drops - topic.last_dropped,
                blocked: topic.blocked.len() as u64,
            };
            let mut whole = self.alerts.watches_topics().then(|| topic_row(now, &row));
            for group in &mut self.groups[topic.readers.clone()] {
                let row = group.row(now, &row, &per_s);
                self.alerts.observe(now, row.group, &row, None);
                if let Some(whole) = whole.as_mut() {
                    add_reader(whole, &row);
                }
                self.series.push(row);
            }
            if let Some(whole) = whole {
                self.alerts.observe(now, services + t as u32, &whole, None);
            }
            topic.last_published = topic.published;
            topic.last_dropped = drops;
        }
        // Then each service called directly, with its callers' counts
        // summed over the links into it.
        for (s, called) in self.called.iter_mut().enumerate() {
            let mut callers = CallerCounts::default();
            for (link, _) in (self.calls.target.iter().enumerate()).filter(|(_, t)| **t == s) {
                callers.add(&self.calls.callers[link].counts);
            }
            let row = called.row(now, callers, first, secs);
            self.alerts.observe(now, row.group, &row, Some(&callers));
            self.series.push(row);
        }
        self.series.end_sample();
        self.record_calls(now, first, secs);
        self.last_row_at = now;
    }

    /// One row per call link, at the main series' samples.
    fn record_calls(&mut self, now: SimTime, first: bool, secs: f64) {
        let Some(log) = self.call_series.as_mut() else {
            return;
        };
        for (link, callers) in self.calls.callers.iter_mut().enumerate() {
            log.push(callers.row(now, link as u32, first, secs));
        }
        log.end_sample();
    }

    /// One row per group and partition.
    fn record_partitions(&mut self) {
        let now = self.ctx.now;
        let Some(rows) = self.partition_series.as_mut() else {
            return;
        };
        for (g, group) in self.groups.iter().enumerate() {
            for p in 0..group.buffer.partitions() {
                rows.push(PartitionRow {
                    time_s: now.as_secs_f64(),
                    group: g as u32,
                    partition: p as u32,
                    depth: group.buffer.partition_len(p),
                    oldest_age_s: group
                        .buffer
                        .oldest_in(p)
                        .map_or(0.0, |t| now.since(t).as_secs_f64()),
                });
            }
        }
        rows.end_sample();
    }
}

/// A topic's row for its alerts, before its readers' are added: its
/// publishes and drops.
fn topic_row(now: SimTime, topic: &TopicRow) -> SeriesRow {
    SeriesRow {
        time_s: now.as_secs_f64(),
        group: u32::MAX,
        published_per_s: topic.published_per_s,
        dropped: topic.dropped,
        blocked: topic.blocked,
        ..SeriesRow::default()
    }
}

/// Adds a reader's row to its topic's: the deepest buffer (what the
/// capacity bounds), the oldest message, the worst p99, the most accepted
/// (every reader gets what the topic accepts), and the sums.
fn add_reader(topic: &mut SeriesRow, reader: &SeriesRow) {
    topic.depth = topic.depth.max(reader.depth);
    topic.depth_bytes = topic.depth_bytes.max(reader.depth_bytes);
    topic.accepted_per_s = topic.accepted_per_s.max(reader.accepted_per_s);
    topic.oldest_age_s = topic.oldest_age_s.max(reader.oldest_age_s);
    topic.e2e_p99_s = topic.e2e_p99_s.max(reader.e2e_p99_s);
    topic.in_flight += reader.in_flight;
    topic.dead_lettered += reader.dead_lettered;
    topic.redelivered_per_s += reader.redelivered_per_s;
    topic.workers_up += reader.workers_up;
    topic.workers += reader.workers;
}

/// The index passed for the row that closes a run.
pub(super) const FINAL: u64 = u64::MAX;
