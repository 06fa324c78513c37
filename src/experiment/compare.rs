//! `compare`: several scenarios (or variants of one) run side by side.

use super::Experiment;
use crate::model::sim::RunError;
use crate::scenario::Scenario;
use rayon::prelude::*;

/// One column of a comparison.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Label of the column (the scenario's name, made unique).
    pub label: String,
    /// The scenario that ran.
    pub scenario: Scenario,
    /// Its results.
    pub experiment: Experiment,
}

/// Runs every scenario (each with its own seed and replications), in
/// parallel, and returns the entries in the order given. Labels are the
/// scenario names, with `#2`, `#3` … added to repeats.
///
/// # Errors
/// The first scenario's run error, with its label.
pub fn compare(scenarios: Vec<Scenario>) -> Result<Vec<Entry>, (String, RunError)> {
    compare_watched(scenarios, &std::sync::Arc::default())
}

/// [`compare`], each replication adding the simulated time it covers (up
/// to its horizon) to `progress` as it goes (see
/// [`Experiment::run_watched`]).
///
/// # Errors
/// As [`compare`].
pub fn compare_watched(
    scenarios: Vec<Scenario>,
    progress: &std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> Result<Vec<Entry>, (String, RunError)> {
    let labels = unique_labels(scenarios.iter().map(|s| s.name.as_str()));
    scenarios
        .into_par_iter()
        .zip(labels)
        .map(
            |(scenario, label)| match Experiment::run_watched(&scenario, progress) {
                Ok(experiment) => Ok(Entry {
                    label,
                    scenario,
                    experiment,
                }),
                Err(e) => Err((label, e)),
            },
        )
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// Names made unique by numbering repeats.
pub fn unique_labels<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for name in names {
        let count = seen
            .iter()
            .filter(|s| s.split('#').next() == Some(name))
            .count();
        seen.push(if count == 0 {
            name.to_owned()
        } else {
            format!("{name}#{}", count + 1)
        });
    }
    seen
}

#[cfg(test)]
mod tests {
    #[test]
    fn repeated_names_are_numbered() {
        let labels = super::unique_labels(["a", "b", "a", "a"].into_iter());
        assert_eq!(labels, ["a", "b", "a#2", "a#3"]);
    }
}
