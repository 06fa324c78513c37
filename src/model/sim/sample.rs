//! Time-series rows at the scenario's sample interval.

use super::outcome::SeriesRow;
use super::{Event, Simulation};

impl Simulation<'_> {
    pub(super) fn on_sample(&mut self) {
        self.record_row();
        let next = self.now + self.scenario.sample_interval;
        if self.draining || next <= crate::engine::SimTime::ZERO + self.scenario.horizon {
            self.events.schedule(next, Event::Sample);
        }
    }

    /// Appends one row per group describing the state now and the interval
    /// that just ended.
    pub(super) fn record_row(&mut self) {
        self.expire_heads();
        let interval = self.scenario.sample_interval;
        let now = self.now;
        let t = &self.topic;
        let topic_drops = t.rejected + t.publish_timeouts + t.retries_exhausted + t.lost;
        let secs = interval.as_secs_f64();
        let first = self.series.as_ref().is_some_and(Vec::is_empty);
        // Rates cover the interval that just ended (zero in the first row).
        let per_s = |n: u64| if first { 0.0 } else { n as f64 / secs };
        if let Some(series) = self.series.as_mut() {
            let published = self.topic.published - self.topic_last_published;
            let topic_dropped = topic_drops - self.topic_last_dropped;
            for (g, group) in self.groups.iter_mut().enumerate() {
                let c = group.counters;
                let last = std::mem::replace(&mut group.last_row, c);
                let dropped =
                    (c.evicted + c.expired + c.lost) - (last.evicted + last.expired + last.lost);
                let up = if group.down > 0 {
                    0
                } else {
                    group.workers.iter().filter(|w| w.is_up()).count() as u64
                };
                series.push(SeriesRow {
                    time_s: now.as_secs_f64(),
                    group: g as u32,
                    depth: group.buffer.len(),
                    depth_bytes: group.buffer.bytes(),
                    disk_depth: group.buffer.disk_len(),
                    oldest_age_s: group
                        .buffer
                        .oldest_enqueued()
                        .map_or(0.0, |t| now.since(t).as_secs_f64()),
                    in_flight: group.in_flight(),
                    published_per_s: per_s(published),
                    accepted_per_s: per_s(c.accepted - last.accepted),
                    completed_per_s: per_s(c.processed - last.processed),
                    dropped: dropped + topic_dropped,
                    blocked: self.topic.blocked.len() as u64,
                    delayed: group.delayed.len() as u64,
                    dead_lettered: c.dead_lettered,
                    redelivered_per_s: per_s(c.redeliveries - last.redeliveries),
                    duplicate_side_effects: c.duplicate_side_effects,
                    workers_up: up,
                    workers: group.window.provisioned.level(),
                });
            }
        }
        self.topic_last_published = self.topic.published;
        self.topic_last_dropped = topic_drops;
        if let Some(rows) = self.partition_series.as_mut() {
            for (g, group) in self.groups.iter().enumerate() {
                for p in 0..group.buffer.partitions() {
                    rows.push(super::outcome::PartitionRow {
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
        }
    }
}
