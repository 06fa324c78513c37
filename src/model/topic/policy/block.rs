//! `block`: a publish that does not fit waits, in publish order, until every
//! group has room; after `max_block`, if set, it fails (drop reason
//! `publish_timeout`), as Kafka's `max.block.ms` does for a full producer
//! buffer.

use super::WhenFull;
use crate::engine::SimDuration;

/// The publish waits for room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Block {
    /// Longest wait before the publish fails; `None`: forever.
    pub max_block: Option<SimDuration>,
}

impl Block {
    /// A publish that does not fit waits.
    pub const WHEN_FULL: WhenFull = WhenFull::Wait;
}
