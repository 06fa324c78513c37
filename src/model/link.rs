//! Publish links: what a service publishes onward when it processes a
//! message (DESIGN.md §2, "Architectures").

use super::distribution::Distribution;

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
