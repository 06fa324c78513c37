//! Where every message copy ends: processed, dropped, dead-lettered, or
//! failed and sent back for another delivery; and side effects, counted
//! with their duplicates.

use super::buffer::{Item, Tier};
use super::outcome::DeadLetterSample;
use super::state::FailKind;
use super::{Event, LogKind, Simulation};
use crate::engine::{SimDuration, SimTime};
use crate::model::topic::{DeliveryMode, Requeue};

/// Order-tracking entries kept before the first sweep of idle keys.
pub(super) const ORDER_SWEEP_MIN: usize = 4096;

/// Dead letters kept as examples in the summary.
const DEAD_LETTER_SAMPLES: usize = 10;

impl Simulation<'_> {
    /// A delivery succeeded and was acked.
    pub(super) fn processed(&mut self, g: usize, item: Item) {
        self.note(LogKind::Processed, item.message.id.0, g as u32);
        self.free_lanes(g, &item);
        let track_order = self.track_order;
        let group = &mut self.groups[g];
        group.counters.processed += 1;
        if group.partitions.len() > 1 {
            group.partitions[item.message.partition as usize].processed += 1;
        }
        if track_order {
            let last = group.last_by_key.entry(item.message.key).or_insert(0);
            if item.message.id.0 < *last {
                group.out_of_order += 1;
            } else {
                *last = item.message.id.0;
            }
            if group.last_by_key.len() > group.order_sweep_at {
                group.sweep_order();
            }
        }
        if self.in_window {
            group.window.processed += 1;
            group
                .window
                .end_to_end
                .record(self.now.since(item.message.created).as_nanos());
        }
        self.finish_item(g, &item);
    }

    pub(super) fn evicted(&mut self, g: usize, item: Item) {
        self.note(LogKind::Evicted, item.message.id.0, g as u32);
        self.groups[g].counters.evicted += 1;
        self.finish_item(g, &item);
    }

    /// A message whose TTL passed: dropped, or dead-lettered.
    pub(super) fn expire(&mut self, g: usize, mut item: Item) {
        let delivery = &self.scenario.topic.delivery;
        // Without a DLQ there is nowhere to dead-letter to: expiry drops.
        if delivery.ttl_dead_letter && delivery.dlq {
            item.last_failure = Some(FailKind::Expired);
            self.dead_letter(g, item);
            return;
        }
        self.note(LogKind::Expired, item.message.id.0, g as u32);
        self.groups[g].counters.expired += 1;
        self.finish_item(g, &item);
    }

    /// A message lost: a failed or crashed delivery at most once, or a
    /// non-durable buffer dying with its producer.
    pub(super) fn lost(&mut self, g: usize, item: Item) {
        self.note(LogKind::Lost, item.message.id.0, g as u32);
        self.free_lanes(g, &item);
        self.groups[g].counters.lost += 1;
        self.finish_item(g, &item);
    }

    fn dead_letter(&mut self, g: usize, item: Item) {
        self.note(LogKind::DeadLettered, item.message.id.0, g as u32);
        self.free_lanes(g, &item);
        let now = self.now;
        let group = &mut self.groups[g];
        group.counters.dead_lettered += 1;
        let d = &mut group.dead_letters;
        let reason = item.last_failure.unwrap_or(FailKind::Failed);
        d.by_reason[reason as usize] += 1;
        d.deliveries += u64::from(item.deliveries);
        d.age.record(now.since(item.message.created).as_nanos());
        if d.samples.len() < DEAD_LETTER_SAMPLES {
            d.samples.push(DeadLetterSample {
                message: item.message.id.0,
                created_s: item.message.created.as_secs_f64(),
                dead_lettered_s: now.as_secs_f64(),
                deliveries: item.deliveries,
                failed: item.failures[0],
                timed_out: item.failures[1],
                crashed: item.failures[2],
                ack_timeouts: item.failures[3],
                reason: reason.name().to_owned(),
            });
        }
        self.finish_item(g, &item);
    }

    /// Bookkeeping shared by every end of a copy.
    fn finish_item(&mut self, g: usize, item: &Item) {
        self.leave(g, item.enqueued);
        if item.tracked {
            self.release(g, item.message.origin.0);
        }
    }

    /// A delivery failed. At most once, the message is lost; at least once,
    /// it is dead-lettered past `max_deliveries`, or delivered again when it
    /// becomes visible: at `visible_at` if given, else after the backoff.
    pub(super) fn fail(
        &mut self,
        g: usize,
        mut item: Item,
        kind: FailKind,
        visible_at: Option<SimTime>,
    ) {
        let c = &mut self.groups[g].counters;
        match kind {
            FailKind::Failed => c.failed += 1,
            FailKind::TimedOut => c.timed_out += 1,
            FailKind::Crashed => c.crashed += 1,
            FailKind::AckTimeout => c.ack_timeouts += 1,
            FailKind::Expired => {}
        }
        item.fail(kind);
        let delivery = &self.scenario.topic.delivery;
        if delivery.mode == DeliveryMode::AtMostOnce {
            self.lost(g, item);
            return;
        }
        if delivery.dlq
            && delivery
                .max_deliveries
                .is_some_and(|m| u32::from(item.deliveries) >= m)
        {
            self.dead_letter(g, item);
            return;
        }
        let delay = match visible_at {
            Some(t) => t.since(self.now),
            None if matches!(kind, FailKind::Failed | FailKind::TimedOut) => {
                let failures = u32::from(item.deliveries);
                delivery
                    .redelivery_backoff
                    .delay(failures, &mut self.groups[g].fault_rng)
            }
            None => SimDuration::ZERO,
        };
        if delay == SimDuration::ZERO {
            self.requeue(g, item);
        } else {
            self.note(LogKind::Delayed, item.message.id.0, g as u32);
            let id = item.message.id.0;
            let slot = self.groups[g].delayed.insert(item);
            self.check_growth();
            self.groups[g].note_faults(self.now);
            self.events.schedule(
                self.now + delay,
                Event::Redeliver {
                    group: g as u32,
                    slot,
                    id,
                },
            );
        }
    }

    /// A delayed message is due, unless it was purged meanwhile (a
    /// producer crash with a non-durable topic) and its slot reused.
    pub(super) fn on_redeliver(&mut self, g: usize, slot: u32, id: u64) {
        let delayed = &self.groups[g].delayed;
        if delayed.get(slot).is_none_or(|i| i.message.id.0 != id) {
            return;
        }
        if let Some(item) = self.groups[g].delayed.remove(slot) {
            self.groups[g].note_faults(self.now);
            self.requeue(g, item);
        }
    }

    /// A returned message is ready again, at the head or the tail. Returns
    /// bypass the capacity check: the topic accepted them already.
    fn requeue(&mut self, g: usize, mut item: Item) {
        self.note(LogKind::Requeued, item.message.id.0, g as u32);
        item.tier = Tier::Memory;
        let group = &mut self.groups[g];
        if group.keys.as_ref().is_some_and(|k| k.ordered()) {
            // First of its key again, whatever `requeue` says.
            group.buffer.hold(item, true);
        } else {
            match self.scenario.topic.delivery.requeue {
                Requeue::Head => group.buffer.push_front(item),
                Requeue::Tail => group.buffer.push_back(item),
            }
        }
        self.total_ready += 1;
        group.max_depth = group.max_depth.max(group.buffer.len());
        group.note_partition_depth(item.message.partition as usize);
        group.note_levels(self.now);
        // After the hold: a freed key is scheduled only if it holds messages.
        self.free_lanes(g, &item);
        self.notify(g, item.message.partition as usize);
    }

    /// The side effect of a successful processing happens now: the first
    /// one counts once; a later one is a duplicate, unless an idempotent
    /// consumer still remembers the first (dedup window).
    #[inline]
    pub(super) fn side_effect(&mut self, g: usize, item: &mut Item) {
        if !item.tracked && item.side_effects == 0 {
            // The common case: a first side effect nobody else shares.
            self.groups[g].counters.side_effects += 1;
            item.side_effects = 1;
            item.last_side_effect = self.now;
            self.note(LogKind::SideEffect, item.message.origin.0, g as u32);
            return;
        }
        self.repeated_side_effect(g, item);
    }

    /// A side effect of a message that may have had one already.
    fn repeated_side_effect(&mut self, g: usize, item: &mut Item) {
        let now = self.now;
        let origin = item.message.origin.0;
        let window = self.scenario.groups[g].faults.dedup_window;
        let group = &mut self.groups[g];
        let shared = if item.tracked {
            group.tracks.get_mut(&origin)
        } else {
            None
        };
        let (count, last) = match shared {
            Some(track) => (&mut track.side_effects, &mut track.last_side_effect),
            None => (&mut item.side_effects, &mut item.last_side_effect),
        };
        let c = &mut group.counters;
        if *count > 0 && window.is_some_and(|w| now.since(*last) <= w) {
            c.suppressed_duplicates += 1;
            self.note(LogKind::DuplicateSuppressed, origin, g as u32);
            return;
        }
        c.side_effects += 1;
        c.duplicate_side_effects += u64::from(*count > 0);
        *count = count.saturating_add(1);
        *last = now;
        self.note(LogKind::SideEffect, origin, g as u32);
    }

    /// A delivery of a message that was already processed, or is being
    /// processed by another worker right now.
    pub(super) fn is_duplicate_delivery(&self, g: usize, item: &Item) -> bool {
        if !item.tracked {
            return item.side_effects > 0;
        }
        match self.groups[g].tracks.get(&item.message.origin.0) {
            Some(track) => track.side_effects > 0 || track.running > 0,
            None => item.side_effects > 0,
        }
    }

    /// A delivery whose ack timed out has ended.
    pub(super) fn end_zombie(&mut self, g: usize, item: &Item) {
        if let Some(track) = self.groups[g].tracks.get_mut(&item.message.origin.0) {
            track.running = track.running.saturating_sub(1);
        }
        self.release(g, item.message.origin.0);
    }

    /// Drops one reference to a track entry; the entry goes at zero.
    pub(super) fn release(&mut self, g: usize, origin: u64) {
        let tracks = &mut self.groups[g].tracks;
        if let Some(track) = tracks.get_mut(&origin) {
            track.refs = track.refs.saturating_sub(1);
            if track.refs == 0 {
                tracks.remove(&origin);
            }
        }
    }
}

impl FailKind {
    /// The name used in summaries.
    pub fn name(self) -> &'static str {
        match self {
            FailKind::Failed => "failed",
            FailKind::TimedOut => "timed_out",
            FailKind::Crashed => "crashed",
            FailKind::AckTimeout => "ack_timeout",
            FailKind::Expired => "expired",
        }
    }
}
