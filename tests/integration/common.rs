//! Helpers shared by the integration tests.

use mqsim::model::sim::{CallOutcome, GroupOutcome, RunOutcome, Simulation};
use mqsim::scenario::{Format, Scenario};
use std::path::Path;

/// A scenario from TOML text; panics with the scenario error if invalid.
pub fn scenario(text: &str) -> Scenario {
    Scenario::from_text(text, Format::Toml, Path::new("test.toml"), &[])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Replication 0 of `text`, with its time series and per-message log.
pub fn run(text: &str) -> RunOutcome {
    let s = scenario(text);
    Simulation::new(&s.system, 0, true)
        .with_log()
        .run()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The messages the log records `kind` of, in the order it happened.
pub fn logged(o: &RunOutcome, kind: mqsim::model::sim::LogKind) -> Vec<u64> {
    o.log
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.message)
        .collect()
}

/// Asserts two floats are equal to 1e-9 (exact in simulated nanoseconds).
pub fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

/// Group `name` of a run.
pub fn group<'o>(o: &'o RunOutcome, name: &str) -> &'o GroupOutcome {
    o.groups.iter().find(|g| g.name == name).unwrap()
}

/// Service `name` (called directly) of a run.
pub fn service<'o>(o: &'o RunOutcome, name: &str) -> &'o GroupOutcome {
    o.services.iter().find(|g| g.name == name).unwrap()
}

/// Call link `name` (`<caller>.<service>`) of a run.
pub fn call<'o>(o: &'o RunOutcome, name: &str) -> &'o CallOutcome {
    o.calls.iter().find(|c| c.name == name).unwrap()
}
