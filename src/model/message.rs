//! One unit of work.

use crate::engine::SimTime;

/// Identifies a message within a run (creation order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u64);

/// A message as the topic and consumer groups see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// Creation-order id, unique per broker copy.
    pub id: MessageId,
    /// The message this one duplicates (a producer's retry after a lost
    /// ack); its own id otherwise.
    pub origin: MessageId,
    /// Routing key.
    pub key: u64,
    /// Size in bytes.
    pub size: u32,
    /// The partition it was routed to.
    pub partition: u32,
    /// Index of the producer that created it; for a message a service
    /// published (a descendant), the number of producers plus the index of
    /// the path it took (see the simulation's paths).
    pub producer: u32,
    /// When its root was created: the producer's message that started its
    /// causal chain (itself, unless a service published it).
    pub created: SimTime,
    /// Its copies share side-effect history through the groups' track maps
    /// (a duplicate publish is expected or exists).
    pub tracked: bool,
    /// This duplicate's copies take over references that its groups' track
    /// entries already hold for it.
    pub holds_refs: bool,
    /// Malformed: every group fails every delivery of it.
    pub poison: bool,
    /// A service published it: `created` is its root's, and its TTL runs
    /// from when it entered the topic.
    pub descendant: bool,
}

impl Message {
    /// A new, untracked message.
    pub fn new(id: u64, key: u64, size: u32, producer: u32, created: SimTime) -> Message {
        Message {
            id: MessageId(id),
            origin: MessageId(id),
            key,
            size,
            partition: 0,
            producer,
            created,
            tracked: false,
            holds_refs: false,
            poison: false,
            descendant: false,
        }
    }
}
