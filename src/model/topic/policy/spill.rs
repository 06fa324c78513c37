//! `spill`: overflow goes to a slower disk tier with its own capacity;
//! once anything is on disk, newer messages follow it there (the buffer
//! stays FIFO), and a spilled message is read back before its delivery. A
//! publish that fits in neither tier is refused.

use super::WhenFull;
use crate::model::distribution::Distribution;

/// The disk tier of the spill policy.
#[derive(Clone, Debug)]
pub struct Spill {
    /// Messages the disk tier holds.
    pub capacity: u64,
    /// Bytes the disk tier holds.
    pub capacity_bytes: u64,
    /// Extra time (seconds) before a spilled message can be delivered.
    pub read_latency: Option<Distribution>,
}

impl Spill {
    /// A publish that fits in neither tier is refused.
    pub const WHEN_FULL: WhenFull = WhenFull::Refuse;
}
