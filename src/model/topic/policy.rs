//! Backpressure policies: what a topic does with a publish when a group's
//! buffer is full. Each policy is in its own file with what it needs; the
//! topic asks one question of them all, [`Policy::when_full`].

mod block;
mod drop_oldest;
mod reject;
mod spill;

pub use block::Block;
pub use drop_oldest::DropOldest;
pub use reject::Reject;
pub use spill::Spill;

use crate::engine::SimDuration;

/// What the topic does with a publish that does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenFull {
    /// Refuse it (drop reason `rejected`).
    Refuse,
    /// Evict the oldest ready messages until it fits.
    EvictOldest,
    /// Hold it until there is room, in publish order.
    Wait,
}

/// A topic's backpressure policy.
#[derive(Clone, Debug)]
pub enum Policy {
    /// The publish fails.
    Reject(Reject),
    /// The oldest ready message makes room.
    DropOldest(DropOldest),
    /// The publish waits for room.
    Block(Block),
    /// Overflow goes to a disk tier.
    Spill(Spill),
}

impl Policy {
    /// What a publish that does not fit meets.
    pub fn when_full(&self) -> WhenFull {
        match self {
            Policy::Reject(_) => Reject::WHEN_FULL,
            Policy::DropOldest(_) => DropOldest::WHEN_FULL,
            Policy::Block(_) => Block::WHEN_FULL,
            Policy::Spill(_) => Spill::WHEN_FULL,
        }
    }

    /// How long a blocked publish waits before it fails, if it ever does.
    pub fn max_block(&self) -> Option<SimDuration> {
        match self {
            Policy::Block(b) => b.max_block,
            _ => None,
        }
    }

    /// The disk tier, with the spill policy.
    pub fn disk(&self) -> Option<&Spill> {
        match self {
            Policy::Spill(s) => Some(s),
            _ => None,
        }
    }
}
