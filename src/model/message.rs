//! One unit of work.

use crate::engine::SimTime;

/// Identifies a message within a run (creation order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u64);

/// A message as the topic and consumer groups see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// Creation-order id.
    pub id: MessageId,
    /// Routing key.
    pub key: u64,
    /// Size in bytes.
    pub size: u32,
    /// Index of the producer that created it.
    pub producer: u32,
    /// When the producer created it.
    pub created: SimTime,
}
