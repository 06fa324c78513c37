//! The message-queue domain: messages, producers and their arrival
//! processes, topics with backpressure policies, consumer groups, and the
//! simulation that drives them on the engine.

pub mod alert;
pub mod arrival;
pub(crate) mod autoscale;
pub mod backoff;
pub mod distribution;
pub mod fault;
pub mod key;
pub mod link;
pub mod resilience;

use std::fmt;

/// A parameter that a model constructor rejected: which field (relative to
/// the thing being built, e.g. `"mean"` or `"states[1].rate_per_s"`), what was
/// expected, and what was found. The scenario layer prefixes the field path
/// and adds the file position.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamError {
    /// Field path relative to the constructed item; empty for the item itself.
    pub field: String,
    /// What was expected, and what was found, e.g. `must be > 0 (got -1)`.
    pub message: String,
}

impl ParamError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> ParamError {
        ParamError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ParamError {}

pub mod group;
pub mod message;
pub mod producer;
pub(crate) mod series;
pub mod sim;
mod source;
pub mod system;
pub mod topic;
pub(crate) mod watchdog;

/// Runs replication `replication` of `system`, queued or sync as its
/// link says; `record_series` keeps the time series.
///
/// # Errors
/// The run's [`sim::RunError`].
pub fn run_replication(
    system: &system::System,
    replication: u64,
    record_series: bool,
) -> Result<sim::RunOutcome, sim::RunError> {
    sim::Simulation::new(system, replication, record_series).run()
}
