//! A ready message as a group's buffer keeps it: 48 bytes. What most
//! messages do not have (a duplicate's origin, a delivery history, a
//! producer index past 65,535) waits in the buffer's side table, keyed by
//! message id, while the message is queued; a message leaves the buffer as
//! the whole [`Item`] it entered as.

use super::item::{FailureTally, Item, Tier};
use crate::engine::SimTime;
use crate::model::message::{Message, MessageId};
use crate::model::sim::state::{FailKind, KeyMap};

/// The message's own `tracked` flag.
const MESSAGE_TRACKED: u8 = 1;
/// The message holds its groups' track references.
const HOLDS_REFS: u8 = 1 << 1;
/// The message is poison.
const POISON: u8 = 1 << 2;
/// The copy is on the disk tier.
const DISK: u8 = 1 << 3;
/// The copy's side effects are counted in the track map.
const ITEM_TRACKED: u8 = 1 << 4;
/// The side table has the rest of the copy.
const EXTRA: u8 = 1 << 5;
/// The message is a descendant (a service published it).
const DESCENDANT: u8 = 1 << 6;

/// A queued copy of a message.
#[derive(Clone, Copy, Debug)]
pub(super) struct Packed {
    pub id: u64,
    pub key: u64,
    pub created: SimTime,
    /// When it first entered this group's buffer.
    pub enqueued: SimTime,
    pub size: u32,
    /// Order of entry into the buffer (see [`super::buffer::Buffer`]).
    pub seq: u32,
    pub partition: u32,
    /// The producer's index, if it fits (else in the side table).
    producer: u16,
    flags: u8,
}

/// What the side table keeps of a queued copy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Extra {
    origin: MessageId,
    producer: u32,
    last_side_effect: SimTime,
    deliveries: u16,
    side_effects: u16,
    failures: FailureTally,
    last_failure: Option<FailKind>,
}

/// Side table: message id → the rest of its queued copy.
pub(super) type Extras = KeyMap<Extra>;

impl Packed {
    /// When its TTL started: its root's creation, or for a descendant
    /// when it entered the buffer.
    #[inline]
    pub(super) fn ttl_from(&self) -> SimTime {
        if self.flags & DESCENDANT != 0 {
            self.enqueued
        } else {
            self.created
        }
    }

    /// Whether the side table holds the rest of it.
    #[inline]
    pub(super) fn has_extra(&self) -> bool {
        self.flags & EXTRA != 0
    }
}

/// Packs `item` with sequence number `seq`, putting what does not fit in
/// 48 bytes into `extras`.
#[inline]
pub(super) fn pack(item: &Item, seq: u32, extras: &mut Extras) -> Packed {
    let m = &item.message;
    let producer = u16::try_from(m.producer).ok();
    let f = &item.failures;
    // One test of the history: no delivery, side effect or failure yet.
    let history = u64::from(item.deliveries | item.side_effects)
        | u64::from(f.failed | f.timed_out | f.crashed | f.ack_timeouts)
        | item.last_side_effect.0;
    let plain =
        history == 0 && item.last_failure.is_none() && m.origin == m.id && producer.is_some();
    let flag = |on: bool, bit: u8| u8::from(on) * bit;
    let mut flags = flag(m.tracked, MESSAGE_TRACKED)
        | flag(m.holds_refs, HOLDS_REFS)
        | flag(m.poison, POISON)
        | flag(m.descendant, DESCENDANT)
        | flag(item.tier == Tier::Disk, DISK)
        | flag(item.tracked, ITEM_TRACKED);
    if !plain {
        flags |= EXTRA;
        let extra = Extra {
            origin: m.origin,
            producer: m.producer,
            last_side_effect: item.last_side_effect,
            deliveries: item.deliveries,
            side_effects: item.side_effects,
            failures: item.failures,
            last_failure: item.last_failure,
        };
        let before = extras.insert(m.id.0, extra);
        debug_assert!(before.is_none(), "one queued copy of a message per group");
    }
    Packed {
        id: m.id.0,
        key: m.key,
        created: m.created,
        enqueued: item.enqueued,
        size: m.size,
        seq,
        partition: m.partition,
        producer: producer.unwrap_or(0),
        flags,
    }
}

/// The whole copy `packed` was made of, taking its rest out of `extras`.
#[inline]
pub(super) fn unpack(packed: &Packed, extras: &mut Extras) -> Item {
    let has = |bit: u8| packed.flags & bit != 0;
    let extra = if has(EXTRA) {
        extras
            .remove(&packed.id)
            .expect("a flagged copy's side entry")
    } else {
        Extra {
            origin: MessageId(packed.id),
            producer: u32::from(packed.producer),
            last_side_effect: SimTime::ZERO,
            deliveries: 0,
            side_effects: 0,
            failures: FailureTally::default(),
            last_failure: None,
        }
    };
    Item {
        message: Message {
            id: MessageId(packed.id),
            origin: extra.origin,
            key: packed.key,
            size: packed.size,
            partition: packed.partition,
            producer: extra.producer,
            created: packed.created,
            tracked: has(MESSAGE_TRACKED),
            holds_refs: has(HOLDS_REFS),
            poison: has(POISON),
            descendant: has(DESCENDANT),
        },
        enqueued: packed.enqueued,
        seq: u64::from(packed.seq),
        last_side_effect: extra.last_side_effect,
        deliveries: extra.deliveries,
        side_effects: extra.side_effects,
        failures: extra.failures,
        last_failure: extra.last_failure,
        tier: if has(DISK) { Tier::Disk } else { Tier::Memory },
        tracked: has(ITEM_TRACKED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The memory a queued message takes in a group's buffer; the README's
    /// "Speed and memory" section states it.
    #[test]
    fn a_queued_message_takes_48_bytes() {
        assert_eq!(std::mem::size_of::<Packed>(), 48);
    }

    fn kind(k: u8) -> Option<FailKind> {
        [
            None,
            Some(FailKind::Failed),
            Some(FailKind::TimedOut),
            Some(FailKind::Crashed),
            Some(FailKind::AckTimeout),
            Some(FailKind::Expired),
        ][k as usize % 6]
    }

    proptest! {
        /// Packing and unpacking give back the copy, whatever it holds,
        /// and leave the side table as it was.
        #[test]
        fn unpack_gives_back_what_was_packed(
            id in any::<u64>(),
            origin_back in prop::option::of(0u64..1000),
            key in any::<u64>(),
            size in any::<u32>(),
            partition in 0u32..100_000,
            producer in prop::sample::select(vec![0u32, 7, 65_535, 65_536, u32::MAX]),
            times in (any::<u64>(), any::<u64>(), prop::option::of(any::<u64>())),
            counts in (0u16..3, 0u16..3, [0u16..2, 0u16..2, 0u16..2, 0u16..2], 0u8..6),
            flags in [any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()],
            seq in any::<u32>(),
        ) {
            let (created, enqueued, last_side_effect) = times;
            let (deliveries, side_effects, [failed, timed_out, crashed, ack_timeouts], last) = counts;
            let message = Message {
                id: MessageId(id),
                origin: MessageId(origin_back.map_or(id, |b| id.saturating_sub(b))),
                key,
                size,
                partition,
                producer,
                created: SimTime(created),
                tracked: flags[0],
                holds_refs: flags[1],
                poison: flags[2],
                descendant: flags[5],
            };
            let item = Item {
                message,
                enqueued: SimTime(enqueued),
                seq: u64::from(seq),
                last_side_effect: SimTime(last_side_effect.unwrap_or(0)),
                deliveries,
                side_effects,
                failures: FailureTally { failed, timed_out, crashed, ack_timeouts },
                last_failure: kind(last),
                tier: if flags[3] { Tier::Disk } else { Tier::Memory },
                tracked: flags[4],
            };
            let mut extras = Extras::default();
            let packed = pack(&item, seq, &mut extras);
            prop_assert_eq!(packed.has_extra(), !extras.is_empty());
            let back = unpack(&packed, &mut extras);
            prop_assert_eq!(format!("{back:?}"), format!("{item:?}"));
            prop_assert!(extras.is_empty());
        }
    }
}
