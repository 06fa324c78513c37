//! Where every message copy ends: processed, dropped, dead-lettered, or
//! failed and sent back for another delivery; and side effects, counted
//! with their duplicates.

use super::{Ctx, Group};
use super::{Item, Tier};
use crate::engine::{SimDuration, SimTime};
use crate::model::sim::outcome::DeadLetterSample;
use crate::model::sim::state::FailKind;
use crate::model::sim::{Event, LogKind};
use crate::model::topic::{DeliveryMode, Requeue};
use crate::stats::LatencyHistogram;

/// Order-tracking entries kept before the first sweep of idle keys.
pub(in crate::model::sim) const ORDER_SWEEP_MIN: usize = 4096;

/// Dead letters kept as examples in the summary.
const DEAD_LETTER_SAMPLES: usize = 10;

impl Group<'_> {
    /// A delivery succeeded and was acked.
    pub(in crate::model::sim) fn processed(&mut self, ctx: &mut Ctx, item: &Item) {
        ctx.note(LogKind::Processed, item.message.id.0, self.index.0);
        self.free_lanes(ctx, item);
        let track_order = self.track_order;
        self.counters.processed += 1;
        if self.partitions.len() > 1 {
            self.partitions[item.message.partition as usize].processed += 1;
        }
        if track_order {
            let last = self.last_by_key.entry(item.message.key).or_insert(0);
            if item.message.id.0 < *last {
                self.out_of_order += 1;
            } else {
                *last = item.message.id.0;
            }
            if self.last_by_key.len() > self.order_sweep_at {
                self.sweep_order();
            }
        }
        let took = ctx.now.since(item.message.created).as_nanos();
        if ctx.in_window {
            self.window.processed += 1;
            let (row, window) = (&mut self.row_e2e, &mut self.window.end_to_end);
            LatencyHistogram::record_in_both(row, window, took);
            if let Some(class) = (self.window.classes).get_mut(item.message.partition as usize) {
                class.processed += 1;
                class.end_to_end.record(took);
            }
        } else {
            self.row_e2e.record(took);
        }
        self.finish_item(ctx, item);
    }

    pub(in crate::model::sim) fn evicted(&mut self, ctx: &mut Ctx, item: Item) {
        ctx.note(LogKind::Evicted, item.message.id.0, self.index.0);
        self.note_age(ctx, item.enqueued);
        self.counters.evicted += 1;
        self.finish_item(ctx, &item);
    }

    /// A message whose TTL passed: dropped, or dead-lettered.
    pub(in crate::model::sim) fn expire(&mut self, ctx: &mut Ctx, mut item: Item) {
        self.note_age(ctx, item.enqueued);
        let delivery = &self.topic.delivery;
        // Without a DLQ there is nowhere to dead-letter to: expiry drops.
        if delivery.ttl_dead_letter && delivery.dlq {
            item.last_failure = Some(FailKind::Expired);
            self.dead_letter(ctx, item);
            return;
        }
        ctx.note(LogKind::Expired, item.message.id.0, self.index.0);
        self.counters.expired += 1;
        self.finish_item(ctx, &item);
    }

    /// A message lost: a failed or crashed delivery at most once, or a
    /// non-durable buffer dying with its producer.
    pub(in crate::model::sim) fn lost(&mut self, ctx: &mut Ctx, item: Item) {
        ctx.note(LogKind::Lost, item.message.id.0, self.index.0);
        self.free_lanes(ctx, &item);
        self.counters.lost += 1;
        self.finish_item(ctx, &item);
    }

    fn dead_letter(&mut self, ctx: &mut Ctx, item: Item) {
        ctx.note(LogKind::DeadLettered, item.message.id.0, self.index.0);
        self.free_lanes(ctx, &item);
        let now = ctx.now;
        self.counters.dead_lettered += 1;
        let d = &mut self.dead_letters;
        let reason = item.last_failure.unwrap_or(FailKind::Failed);
        *d.by_reason.of(reason) += 1;
        d.deliveries += u64::from(item.deliveries);
        d.age.record(now.since(item.message.created).as_nanos());
        if d.samples.len() < DEAD_LETTER_SAMPLES {
            d.samples.push(DeadLetterSample {
                message: item.message.id.0,
                created_s: item.message.created.as_secs_f64(),
                dead_lettered_s: now.as_secs_f64(),
                deliveries: item.deliveries,
                failed: item.failures.failed,
                timed_out: item.failures.timed_out,
                crashed: item.failures.crashed,
                ack_timeouts: item.failures.ack_timeouts,
                reason: reason.name().to_owned(),
            });
        }
        self.finish_item(ctx, &item);
    }

    /// Bookkeeping shared by every end of a copy.
    fn finish_item(&mut self, ctx: &mut Ctx, item: &Item) {
        self.leave(ctx, item.enqueued);
        if item.tracked {
            self.release(item.message.origin.0);
        }
    }

    /// A delivery failed. At most once, the message is lost; at least once,
    /// it is dead-lettered past `max_deliveries`, or delivered again when it
    /// becomes visible: at `visible_at` if given, else after the backoff.
    pub(in crate::model::sim) fn fail(
        &mut self,
        ctx: &mut Ctx,
        mut item: Item,
        kind: FailKind,
        visible_at: Option<SimTime>,
    ) {
        let c = &mut self.counters;
        match kind {
            FailKind::Failed => c.failed += 1,
            FailKind::TimedOut => c.timed_out += 1,
            FailKind::Crashed => c.crashed += 1,
            FailKind::AckTimeout => c.ack_timeouts += 1,
            FailKind::Expired => {}
        }
        item.fail(kind);
        let delivery = &self.topic.delivery;
        if delivery.mode == DeliveryMode::AtMostOnce {
            self.lost(ctx, item);
            return;
        }
        if delivery.dlq
            && delivery
                .max_deliveries
                .is_some_and(|m| u32::from(item.deliveries) >= m)
        {
            self.dead_letter(ctx, item);
            return;
        }
        let delay = match visible_at {
            Some(t) => t.since(ctx.now),
            None if matches!(kind, FailKind::Failed | FailKind::TimedOut) => {
                let failures = u32::from(item.deliveries);
                delivery
                    .redelivery_backoff
                    .delay(failures, &mut self.fault_rng)
            }
            None => SimDuration::ZERO,
        };
        if delay == SimDuration::ZERO {
            self.requeue(ctx, item);
        } else {
            ctx.note(LogKind::Delayed, item.message.id.0, self.index.0);
            let id = item.message.id.0;
            let slot = self.delayed.insert(item);
            ctx.grew = true;
            self.note_faults(ctx.now);
            ctx.schedule(
                ctx.now + delay,
                Event::Redeliver {
                    group: self.index,
                    slot,
                    id,
                },
            );
        }
    }

    /// A delayed message is due, unless it was purged meanwhile (a
    /// producer crash with a non-durable topic) and its slot reused.
    pub(in crate::model::sim) fn on_redeliver(&mut self, ctx: &mut Ctx, slot: u32, id: u64) {
        let delayed = &self.delayed;
        if delayed.get(slot).is_none_or(|i| i.message.id.0 != id) {
            return;
        }
        if let Some(item) = self.delayed.remove(slot) {
            self.note_faults(ctx.now);
            self.requeue(ctx, item);
        }
    }

    /// A returned message is ready again, at the head or the tail. Returns
    /// bypass the capacity check: the topic accepted them already.
    pub(in crate::model::sim) fn requeue(&mut self, ctx: &mut Ctx, mut item: Item) {
        ctx.note(LogKind::Requeued, item.message.id.0, self.index.0);
        item.tier = Tier::Memory;
        if self.keys.as_ref().is_some_and(|k| k.ordered()) {
            // First of its key again, whatever `requeue` says.
            self.buffer.hold(item, true);
        } else {
            match self.topic.delivery.requeue {
                Requeue::Head => self.buffer.push_front(item),
                Requeue::Tail => {
                    self.renumber_if_due();
                    self.buffer.push_back(item);
                }
            }
        }
        self.max_depth = self.max_depth.max(self.depth());
        self.note_partition_depth(item.message.partition as usize);
        self.note_levels(ctx.now);
        // After the hold: a freed key is scheduled only if it holds messages.
        self.free_lanes(ctx, &item);
        self.notify(ctx, item.message.partition as usize);
    }

    /// The side effect of a successful processing happens now: the first
    /// one counts once; a later one is a duplicate, unless an idempotent
    /// consumer still remembers the first (dedup window). False when the
    /// consumer suppressed it as a duplicate.
    #[inline(always)]
    pub(in crate::model::sim) fn side_effect(&mut self, ctx: &mut Ctx, item: &mut Item) -> bool {
        if !item.tracked && item.side_effects == 0 {
            // The common case: a first side effect nobody else shares.
            self.counters.side_effects += 1;
            item.side_effects = 1;
            item.last_side_effect = ctx.now;
            ctx.note(LogKind::SideEffect, item.message.origin.0, self.index.0);
            return true;
        }
        self.repeated_side_effect(ctx, item)
    }

    /// A side effect of a message that may have had one already.
    fn repeated_side_effect(&mut self, ctx: &mut Ctx, item: &mut Item) -> bool {
        let now = ctx.now;
        let origin = item.message.origin.0;
        let window = self.spec.faults.dedup_window;
        let shared = if item.tracked {
            self.tracks.get_mut(&origin)
        } else {
            None
        };
        let (count, last) = match shared {
            Some(track) => (&mut track.side_effects, &mut track.last_side_effect),
            None => (&mut item.side_effects, &mut item.last_side_effect),
        };
        let c = &mut self.counters;
        if *count > 0 && window.is_some_and(|w| now.since(*last) <= w) {
            c.suppressed_duplicates += 1;
            ctx.note(LogKind::DuplicateSuppressed, origin, self.index.0);
            return false;
        }
        c.side_effects += 1;
        c.duplicate_side_effects += u64::from(*count > 0);
        *count = count.saturating_add(1);
        *last = now;
        ctx.note(LogKind::SideEffect, origin, self.index.0);
        true
    }

    /// A delivery of a message that was already processed, or is being
    /// processed by another worker right now.
    pub(in crate::model::sim) fn is_duplicate_delivery(&self, item: &Item) -> bool {
        if !item.tracked {
            return item.side_effects > 0;
        }
        match self.tracks.get(&item.message.origin.0) {
            Some(track) => track.side_effects > 0 || track.running > 0,
            None => item.side_effects > 0,
        }
    }

    /// A delivery whose ack timed out has ended.
    pub(in crate::model::sim) fn end_zombie(&mut self, item: &Item) {
        if let Some(track) = self.tracks.get_mut(&item.message.origin.0) {
            track.running = track.running.saturating_sub(1);
        }
        self.release(item.message.origin.0);
    }

    /// Drops one reference to a track entry; the entry goes at zero.
    pub(in crate::model::sim) fn release(&mut self, origin: u64) {
        let tracks = &mut self.tracks;
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
