//! The outcome of a sync run, in the queued run's shape: attempts are the
//! "published" messages, refusals are "rejected", failed attempts "lost".

use super::SyncSimulation;
use crate::model::sim::{
    DeadLetterSummary, Diagnostics, Dropped, Failures, GroupOutcome, LittlesLaw, RunError,
    RunOutcome, TopicOutcome, check_conservation, share,
};

impl SyncSimulation<'_> {
    /// Closes the books: final row, outcome, and the conservation law.
    pub(super) fn finish(mut self) -> Result<RunOutcome, RunError> {
        if self.last_row_at != self.now {
            self.record_row();
        }
        let now = self.now.0;
        let window_s = self.now.since(self.window_start).as_secs_f64();
        let c = self.counters;
        let topic = TopicOutcome {
            created: c.requests,
            published: c.attempts,
            retries: c.attempts - c.requests,
            accepted: c.accepted,
            rejected: c.refused,
            caller_errors: c.caller_errors,
            caller_timeouts: c.caller_timeouts,
            wasted: c.wasted,
            producer_latency: self.caller_latency.summary(),
            ..TopicOutcome::default()
        };
        let group = self.group_outcome(now, window_s);
        check_conservation(&topic, &group)?;
        Ok(RunOutcome {
            replication: self.replication,
            end_s: self.now.as_secs_f64(),
            window_s,
            events: self.watchdog.events(),
            topic,
            groups: vec![group],
            sampling: crate::model::sim::Sampling {
                every: self.series.every(),
            },
            series: std::mem::replace(
                &mut self.series,
                crate::model::series::SeriesLog::new(1, 1, 0, false),
            )
            .into_rows(),
            partition_series: Vec::new(),
            log: Vec::new(),
            diagnostics: Diagnostics {
                tracked: vec![self.requests.len()],
                empty: self.requests.is_empty(),
                bulk_rejected: 0,
            },
        })
    }

    fn group_outcome(&self, now: u64, window_s: f64) -> GroupOutcome {
        let c = self.counters;
        let spec = &self.scenario.groups[0];
        let queued = self.queue.len() as u64;
        let in_flight = u64::from(self.busy);
        let mean_depth = self.depth.mean(now);
        let mean_busy = self.busy_level.mean(now);
        let throughput = if window_s > 0.0 {
            self.processed_in_window as f64 / window_s
        } else {
            0.0
        };
        GroupOutcome {
            name: spec.name.clone(),
            accepted: c.accepted,
            processed: c.processed,
            deliveries: c.deliveries,
            dropped: Dropped {
                rejected: c.refused,
                lost: c.failed,
                ..Dropped::default()
            },
            dead_lettered: 0,
            queued,
            delayed: 0,
            in_flight,
            redeliveries: c.attempts - c.requests,
            duplicate_deliveries: 0,
            side_effects: c.processed,
            duplicate_side_effects: 0,
            suppressed_duplicates: 0,
            failures: Failures {
                failed: c.failed - c.crashed - c.timed_out,
                timed_out: c.timed_out,
                crashed: c.crashed,
                ack_timeouts: 0,
            },
            dead_letters: DeadLetterSummary::default(),
            work_lost: c.work_lost,
            partitions: Vec::new(),
            out_of_order: 0,
            rebalances: 0,
            workers_without_partitions: 0,
            max_depth: self.max_depth,
            mean_depth,
            utilisation: share(mean_busy, self.up_level.mean(now)),
            workers_mean: self.provisioned.mean(now),
            workers_max: self.provisioned.max(),
            scale_ups: self.scaler.as_ref().map_or(0, |s| s.scale_ups),
            scale_downs: self.scaler.as_ref().map_or(0, |s| s.scale_downs),
            throughput_per_s: throughput,
            queue_wait: self.queue_wait.summary(),
            end_to_end: self.end_to_end.summary(),
            littles_law: LittlesLaw::measure(
                mean_depth + mean_busy,
                self.left,
                self.sojourn_ns,
                window_s,
            ),
        }
    }
}
