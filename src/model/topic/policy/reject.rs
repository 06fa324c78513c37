//! `reject`: a publish that does not fit fails, and the producer hears it
//! (it may retry). The newest message is the one dropped (drop reason
//! `rejected`), as RabbitMQ's `overflow = reject-publish` does.

use super::WhenFull;

/// The publish fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reject;

impl Reject {
    /// A publish that does not fit is refused.
    pub const WHEN_FULL: WhenFull = WhenFull::Refuse;
}
