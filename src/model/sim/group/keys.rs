//! Ordering groups: competing consumers that deliver at most one message
//! per key at a time, in order per key (SQS FIFO message groups, Pulsar's
//! Key_Shared), and throughput caps per key. A message whose key may not
//! go yet is held aside in the buffer, still ready; when its key frees up
//! (its message settled or came back) or earns a token, the key's first
//! held message goes before anything newer.

use super::Item;
use super::throttle::Bucket;
use super::{Ctx, Group};
use crate::engine::SimTime;
use crate::model::sim::state::KeyMap;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// One key's state; kept while it has a delivery out, held messages, or
/// a bucket still refilling.
#[derive(Clone, Copy, Debug, Default)]
struct Lane {
    /// The message of this key in flight or awaiting redelivery.
    busy: Option<u64>,
    /// The per-key cap.
    bucket: Option<Bucket>,
    /// In `ready` or `timed` already.
    scheduled: bool,
}

/// The per-key state of a group that orders or caps by key.
#[derive(Clone, Debug, Default)]
pub(in crate::model::sim) struct KeyGate {
    /// One message per key at a time.
    ordered: bool,
    /// Deliveries per second per key.
    rate: Option<f64>,
    lanes: KeyMap<Lane>,
    /// Keys whose first held message may go now, in the order they freed.
    ready: VecDeque<u64>,
    /// Keys with held messages waiting for a token, by when it comes.
    timed: BinaryHeap<Reverse<(SimTime, u64)>>,
    /// Idle keys kept only while their bucket refills, by when it is full:
    /// forgotten then, so lanes stay bounded by recent keys.
    refilling: BinaryHeap<Reverse<(SimTime, u64)>>,
}

impl KeyGate {
    /// A gate for a group, if it orders or caps by key.
    pub(crate) fn new(ordered: bool, rate: Option<f64>) -> Option<KeyGate> {
        (ordered || rate.is_some()).then(|| KeyGate {
            ordered,
            rate,
            ..KeyGate::default()
        })
    }

    /// Whether the group returns messages to the front of their key.
    pub(crate) fn ordered(&self) -> bool {
        self.ordered
    }

    fn lane(&mut self, key: u64) -> &mut Lane {
        let rate = self.rate;
        self.lanes.entry(key).or_insert_with(|| Lane {
            bucket: rate.map(Bucket::new),
            ..Lane::default()
        })
    }

    /// When `key` may deliver: `None` while it has a message out, else the
    /// instant its cap has a token (`now` if it has one).
    fn opens_at(&mut self, key: u64, now: SimTime) -> Option<SimTime> {
        let lane = self.lane(key);
        if lane.busy.is_some() {
            return None;
        }
        Some(lane.bucket.as_mut().map_or(now, |b| b.ready_at(now)))
    }

    /// Moves keys whose token has come to the ready list.
    fn tick(&mut self, now: SimTime) {
        while let Some(&Reverse((at, key))) = self.timed.peek() {
            if at > now {
                break;
            }
            self.timed.pop();
            self.ready.push_back(key);
        }
    }

    /// Forgets a key with nothing out, nothing held and a full bucket; one
    /// whose bucket still refills is looked at again when it is full.
    fn tidy(&mut self, key: u64, now: SimTime, holds: bool) {
        if let Some(lane) = self.lanes.get_mut(&key) {
            if lane.busy.is_some() || lane.scheduled || holds {
                return;
            }
            match lane.bucket.as_ref() {
                Some(b) if !b.is_full(now) => self.refilling.push(Reverse((b.full_at(), key))),
                _ => {
                    self.lanes.remove(&key);
                }
            }
        }
    }
}

impl Group<'_> {
    /// Delivers to idle workers of a group with a key gate: first the held
    /// messages of keys that may go again, then the buffer's oldest, holding
    /// aside those whose key may not go yet.
    pub(in crate::model::sim) fn dispatch_by_key(&mut self, ctx: &mut Ctx) {
        let capped = !self.partition_caps.is_empty();
        while self.workers.has_idle() {
            if let Some(at) = self.group_throttled(ctx) {
                self.wake_at(ctx, at);
                break;
            }
            let now = ctx.now;
            let gate = self.keys.as_mut().expect("a gated group");
            gate.tick(now);
            while let Some(&Reverse((at, key))) = gate.refilling.peek() {
                if at > now {
                    break;
                }
                gate.refilling.pop();
                gate.tidy(key, now, self.buffer.holds(key));
            }
            let item = if let Some(key) = gate.ready.pop_front() {
                gate.lane(key).scheduled = false;
                match self.buffer.release(key) {
                    Some(item) => item,
                    None => {
                        // Purged meanwhile.
                        gate.tidy(key, now, false);
                        continue;
                    }
                }
            } else {
                let popped = if capped {
                    self.pop_open(ctx)
                } else {
                    self.buffer.pop()
                };
                let Some(item) = popped else {
                    break;
                };
                let key = item.message.key;
                let gate = self.keys.as_mut().expect("a gated group");
                let holds = self.buffer.holds(key);
                match gate.opens_at(key, now) {
                    Some(at) if at <= now && !holds => item,
                    _ => {
                        // Behind its key's held messages, or its key is busy.
                        self.buffer.hold(item, false);
                        self.schedule_key(ctx, key);
                        continue;
                    }
                }
            };
            let key = item.message.key;
            if self.is_expired(ctx.now, &item) {
                self.expire(ctx, item);
                self.schedule_key(ctx, key);
                continue;
            }
            let w = self.workers.pop_idle().expect("checked above");
            let gate = self.keys.as_mut().expect("a gated group");
            let ordered = gate.ordered;
            let lane = gate.lane(key);
            if ordered {
                lane.busy = Some(item.message.id.0);
            }
            if let Some(bucket) = lane.bucket.as_mut() {
                bucket.take(now);
            }
            self.spend_tokens(ctx, item.message.partition as usize);
            self.deliver_to(ctx, w, item);
            self.schedule_key(ctx, key);
        }
        self.note_levels(ctx.now);
    }

    /// If `key` has held messages and is not scheduled, puts it on the
    /// ready list (it may go now) or the timed list (when its cap allows).
    fn schedule_key(&mut self, ctx: &mut Ctx, key: u64) {
        let now = ctx.now;
        let holds = self.buffer.holds(key);
        let Some(gate) = self.keys.as_mut() else {
            return;
        };
        if !holds {
            gate.tidy(key, now, false);
            return;
        }
        if gate.lane(key).scheduled {
            return;
        }
        let Some(at) = gate.opens_at(key, now) else {
            return; // Scheduled when its message settles or comes back.
        };
        gate.lane(key).scheduled = true;
        if at <= now {
            gate.ready.push_back(key);
        } else {
            gate.timed.push(Reverse((at, key)));
        }
        // Not every path that frees a key dispatches afterwards (a crash,
        // an ack timeout, a purge): make sure a dispatch comes.
        self.wake_at(ctx, at);
    }

    /// The message out for its key settled or came back: the key may
    /// deliver again.
    pub(in crate::model::sim) fn free_key(&mut self, ctx: &mut Ctx, item: &Item) {
        let key = item.message.key;
        let Some(gate) = self.keys.as_mut() else {
            return;
        };
        if let Some(lane) = gate.lanes.get_mut(&key)
            && lane.busy == Some(item.message.id.0)
        {
            lane.busy = None;
            self.schedule_key(ctx, key);
        }
    }
}
