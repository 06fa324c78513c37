//! `timeseries.csv`: one row per sample and group.

use crate::model::sim::{PartitionRow, SeriesRow};
use crate::scenario::Scenario;
use std::fmt::Write;

/// Column names, units in the names.
pub const HEADER: &str = "time_s,group,depth,depth_bytes,disk_depth,oldest_age_s,in_flight,\
published_per_s,accepted_per_s,completed_per_s,dropped,blocked,delayed,dead_lettered,redelivered_per_s,\
duplicate_side_effects,workers_up,workers";

/// The series as CSV text.
pub fn timeseries_csv(scenario: &Scenario, rows: &[SeriesRow]) -> String {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(HEADER);
    out.push('\n');
    for r in rows {
        let group = scenario
            .system
            .groups
            .get(r.group as usize)
            .map_or("?", |g| g.name.as_str());
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.time_s,
            group,
            r.depth,
            r.depth_bytes,
            r.disk_depth,
            r.oldest_age_s,
            r.in_flight,
            r.published_per_s,
            r.accepted_per_s,
            r.completed_per_s,
            r.dropped,
            r.blocked,
            r.delayed,
            r.dead_lettered,
            r.redelivered_per_s,
            r.duplicate_side_effects,
            r.workers_up,
            r.workers
        );
    }
    out
}

/// `partitions.csv`: one row per sample, group and partition (depth and
/// the age of the oldest ready message: the partition's lag).
pub fn partitions_csv(scenario: &Scenario, rows: &[PartitionRow]) -> String {
    let mut out = String::with_capacity(40 * (rows.len() + 1));
    out.push_str("time_s,group,partition,depth,oldest_age_s\n");
    for r in rows {
        let group = scenario
            .system
            .groups
            .get(r.group as usize)
            .map_or("?", |g| g.name.as_str());
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            r.time_s, group, r.partition, r.depth, r.oldest_age_s
        );
    }
    out
}
