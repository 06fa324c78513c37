//! The faults a scenario schedules: the story its alerts should detect.
//! Each is named by the scenario field that schedules it, so a reader
//! finds it in the file.

use super::arrival::ArrivalProcess;
use super::system::System;
use crate::engine::{SimDuration, SimTime};

/// A scheduled fault: when it begins, and the field that schedules it.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// The scenario field, e.g. `groups.db.outages[0]`,
    /// `producers.web.crashes[1]`, `producers.web.arrival.schedule.steps[2]`.
    pub what: String,
    /// When it begins.
    pub at: SimTime,
}

impl System {
    /// Its scheduled faults, by start then name: each group's or
    /// service's outages and brownouts, each producer's crashes, and
    /// each surge of a producer's arrivals (a schedule step that raises
    /// the rate above the first step's from at or below it, or the start
    /// of a burst). Random faults (worker crashes at an MTBF, transient
    /// failures, poison) have no start and are not listed.
    pub fn faults(&self) -> Vec<Fault> {
        let mut out = Vec::new();
        let mut put = |what: String, at: SimTime| out.push(Fault { what, at });
        for g in self.groups.iter().chain(&self.services) {
            let p = format!("groups.{}", g.name);
            for (i, &(start, _)) in g.faults.outages.iter().enumerate() {
                put(format!("{p}.outages[{i}]"), start);
            }
            for (i, b) in g.faults.brownouts.iter().enumerate() {
                put(format!("{p}.brownouts[{i}]"), b.start);
            }
        }
        for producer in &self.producers {
            let p = format!("producers.{}", producer.name);
            for (i, &(at, _)) in producer.faults.crashes.iter().enumerate() {
                put(format!("{p}.crashes[{i}]"), at);
            }
            let after = |secs: f64| producer.start + SimDuration::from_secs_f64(secs);
            match &producer.arrival {
                ArrivalProcess::Schedule(s) => {
                    for at in s.surges() {
                        let step = s.step_at(at);
                        put(format!("{p}.arrival.schedule.steps[{step}]"), after(at));
                    }
                }
                ArrivalProcess::Burst(b) => put(format!("{p}.arrival.burst"), after(b.at())),
                _ => {}
            }
        }
        out.sort_by(|a, b| (a.at, &a.what).cmp(&(b.at, &b.what)));
        out
    }
}
