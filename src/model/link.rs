//! Links out of a service's processing (DESIGN.md §2, "Architectures"):
//! what it publishes onward, and the services it calls directly.

use super::distribution::Distribution;
use super::system::CallSpec;

/// A `publish` link out of a service: each time the service processes a
/// message (its side effect happens), it publishes `count` children to
/// `topic` with probability `probability`.
#[derive(Clone, Debug)]
pub struct PublishSpec {
    /// Index of the topic published to (in [`super::system::System::topics`]).
    pub topic: usize,
    /// Children published each time, when the draw says publish.
    pub count: u32,
    /// Chance that a processed message publishes its children.
    pub probability: f64,
    /// The children's key.
    pub key: ChildKey,
    /// The children's size in bytes; `None`: the parent's size.
    pub size: Option<Distribution>,
}

/// The key of a message a service publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildKey {
    /// The parent's key (so the child keeps its parent's partition order
    /// on a topic with the same partitions).
    Keep,
    /// A key drawn uniformly from `0..n` for each child.
    Uniform(u64),
}

/// A `call` link out of a service: once its own work is done, each
/// processing calls `service` (with probability `probability`), and its
/// worker is held until the answer. The calls of one service are made in
/// order, one after the other; an error or a timeout after the retries
/// fails the processing.
#[derive(Clone, Debug)]
pub struct CallLinkSpec {
    /// Index of the service called (in [`super::system::System::services`]).
    pub service: usize,
    /// Chance that a processing makes this call.
    pub probability: f64,
    /// The caller's timeout and retries.
    pub call: CallSpec,
}
