//! `drop_oldest`: room is made by evicting the oldest ready messages of each
//! full group (drop reason `evicted`), as RabbitMQ's default `drop-head`
//! overflow does. A publish larger than an empty buffer is refused.

use super::WhenFull;

/// The oldest ready message makes room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DropOldest;

impl DropOldest {
    /// A publish that does not fit evicts the oldest until it does.
    pub const WHEN_FULL: WhenFull = WhenFull::EvictOldest;
}
