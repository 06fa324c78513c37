//! A consumer group's validated settings.

use super::distribution::Distribution;

/// A consumer group of competing workers.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    /// Name, unique among groups.
    pub name: String,
    /// Number of workers.
    pub workers: u32,
    /// Service time in seconds.
    pub service: Distribution,
}
