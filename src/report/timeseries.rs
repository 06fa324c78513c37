//! `timeseries.csv`: one row per sample and group (and, in a file with
//! services called directly or named topics, per service, with where
//! each row's component is).

use crate::model::sim::fields::{self, Cell};
use crate::model::sim::{CallRow, PartitionRow, SeriesRow};
use crate::model::system::System;
use crate::scenario::Scenario;
use std::fmt::Write;

/// The header line, from the outcome's field list; `placed`: with the
/// `place` and `topic` columns.
fn header(placed: bool) -> String {
    let mut header = String::from("time_s,group");
    for c in fields::SERIES {
        header.push(',');
        header.push_str(c.name);
    }
    if placed {
        header.push_str(",place,topic");
    }
    header
}

/// Whether `system`'s rows say where they are: a file that names its
/// topics or calls services (a single-topic file keeps its columns).
fn placed(system: &System) -> bool {
    system.graph || !system.services.is_empty()
}

/// The series as CSV text. A row's `place` is where its metrics are
/// (`groups.<g>`, or `services.<s>` for a service called directly) and
/// its `topic` the topic it reads (none for a service).
pub fn timeseries_csv(scenario: &Scenario, rows: &[SeriesRow]) -> String {
    let system = &scenario.system;
    let placed = placed(system);
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(&header(placed));
    out.push('\n');
    for r in rows {
        let g = r.group as usize;
        let name = (system.groups.iter().chain(&system.services))
            .nth(g)
            .map_or("?", |g| g.name.as_str());
        let _ = write!(out, "{},{name}", r.time_s);
        for c in fields::SERIES {
            let _ = match (c.read)(r) {
                Cell::Count(n) => write!(out, ",{n}"),
                Cell::Real(x) => write!(out, ",{x}"),
            };
        }
        if placed {
            let _ = match system.groups.get(g) {
                Some(group) => {
                    let topic = &system.topics[group.topic].name;
                    write!(out, ",groups.{name},{topic}")
                }
                None => write!(out, ",services.{name},"),
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

/// `calls.csv`: one row per sample and call link (`<caller>.<service>`):
/// its traffic over the interval and the state of its breaker, retry
/// budget and hedges (`breaker`: closed, open or half_open).
pub(super) fn calls_csv(scenario: &Scenario, rows: &[CallRow]) -> String {
    let names: Vec<String> = (scenario.system.call_links())
        .map(|(caller, link)| format!("{caller}.{}", scenario.system.services[link.service].name))
        .collect();
    let mut out = String::with_capacity(80 * (rows.len() + 1));
    out.push_str("time_s,call,requests_per_s,attempts_per_s,errors,timeouts,short_circuited,degraded,breaker_opened,breaker,tokens,throttled,hedges,hedges_won\n");
    for r in rows {
        let name = names.get(r.link as usize).map_or("?", String::as_str);
        let breaker = match r.breaker {
            1 => "open",
            2 => "half_open",
            _ => "closed",
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.time_s,
            name,
            r.requests_per_s,
            r.attempts_per_s,
            r.errors,
            r.timeouts,
            r.short_circuited,
            r.degraded,
            r.breaker_opened,
            breaker,
            r.tokens,
            r.throttled,
            r.hedges,
            r.hedges_won
        );
    }
    out
}
