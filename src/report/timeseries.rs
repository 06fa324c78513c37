//! `timeseries.csv`: one row per sample and group.

use crate::model::sim::fields::{self, Cell};
use crate::model::sim::{PartitionRow, SeriesRow};
use crate::scenario::Scenario;
use std::fmt::Write;

/// The header line, from the outcome's field list.
pub(super) fn header() -> String {
    let mut header = String::from("time_s,group");
    for c in fields::SERIES {
        header.push(',');
        header.push_str(c.name);
    }
    header
}

/// The series as CSV text.
pub fn timeseries_csv(scenario: &Scenario, rows: &[SeriesRow]) -> String {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(&header());
    out.push('\n');
    for r in rows {
        let group = scenario
            .system
            .groups
            .get(r.group as usize)
            .map_or("?", |g| g.name.as_str());
        let _ = write!(out, "{},{group}", r.time_s);
        for c in fields::SERIES {
            let _ = match (c.read)(r) {
                Cell::Count(n) => write!(out, ",{n}"),
                Cell::Real(x) => write!(out, ",{x}"),
            };
        }
        out.push('\n');
    }
    out
}

/// `partitions.csv`: one row per sample, group and partition (depth and
/// the age of the oldest ready message: the partition's lag).
pub(super) fn partitions_csv(scenario: &Scenario, rows: &[PartitionRow]) -> String {
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
