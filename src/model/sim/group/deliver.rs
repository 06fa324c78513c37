//! Consumer groups' side: enqueue, delivery to idle workers, and what a
//! worker decides when it finishes.

use super::{Ctx, Group};
use super::{Item, Tier};
use crate::engine::{SimDuration, SimTime, hash_uniform};
use crate::model::message::Message;
use crate::model::sim::ids::WorkerId;
use crate::model::sim::state::{FailKind, InService};
use crate::model::sim::{Event, LogKind};
use crate::model::topic::DeliveryMode;
use rand::RngExt;

impl Group<'_> {
    /// Takes an accepted message: into the buffer, delivered at once if a
    /// worker is idle (handed straight to it in a plain group whose buffer
    /// is empty).
    pub(in crate::model::sim) fn enqueue(&mut self, ctx: &mut Ctx, message: Message, tier: Tier) {
        let item = self.accept(ctx, message, tier);
        self.take_in(ctx, item);
    }

    /// Counts an accepted message in: the group's copy of it, entering now.
    #[inline]
    pub(in crate::model::sim) fn accept(
        &mut self,
        ctx: &mut Ctx,
        message: Message,
        tier: Tier,
    ) -> Item {
        if message.tracked && !message.holds_refs {
            self.tracks.entry(message.origin.0).or_default().refs += 1;
        }
        ctx.note(LogKind::Enqueued, message.id.0, self.index.0);
        self.counters.accepted += 1;
        Item::new(message, ctx.now, tier, message.tracked)
    }

    /// Makes an accepted copy deliverable: into the buffer, or straight to
    /// an idle worker in a plain group whose buffer is empty.
    #[inline(always)]
    pub(in crate::model::sim) fn take_in(&mut self, ctx: &mut Ctx, item: Item) {
        let now = ctx.now;
        self.renumber_if_due();
        if self.plain
            && self.buffer.is_empty()
            && self.workers.has_idle()
            && !self.workers.is_down()
            && !self.is_expired(now, &item)
        {
            self.deliver_directly(ctx, item);
            return;
        }
        let partition = item.message.partition as usize;
        self.buffer.push_back(item);
        self.max_depth = self.max_depth.max(self.depth());
        self.note_partition_depth(partition);
        self.note_levels(now);
        self.notify(ctx, partition);
    }

    /// A message arriving at an empty buffer of a plain group with an idle
    /// worker goes to that worker without entering the buffer. It counts
    /// as the buffer round trip would have: its entry number, the depth of
    /// one it reaches for an instant, and the same order of events.
    fn deliver_directly(&mut self, ctx: &mut Ctx, mut item: Item) {
        let now = ctx.now;
        item.seq = self.buffer.take_seq();
        // Messages in hand-off are queued too (none without one).
        let depth = self.depth() + 1;
        self.max_depth = self.max_depth.max(depth);
        self.note_partition_depth_of_one(item.message.partition as usize);
        self.window.depth.set(now.0, depth);
        let w = (self.workers.pop_idle()).expect("the caller checked for an idle worker");
        self.deliver_to(ctx, w, item);
        self.note_levels(now);
    }

    /// Hands ready messages to idle workers (unless the group
    /// is down), dropping the expired ones it meets at the head.
    pub(in crate::model::sim) fn dispatch(&mut self, ctx: &mut Ctx) {
        if self.workers.is_down() {
            return;
        }
        if self.plain {
            // A plain group: no cap to wait for or spend, no partition or
            // key rule.
            while self.workers.has_idle() {
                let Some(item) = self.buffer.pop() else {
                    break;
                };
                if self.is_expired(ctx.now, &item) {
                    self.expire(ctx, item);
                    continue;
                }
                let w = (self.workers.pop_idle()).expect("the loop checked for an idle worker");
                self.deliver_to(ctx, w, item);
            }
            self.note_levels(ctx.now);
            return;
        }
        if !self.polls.is_empty() {
            // Pollers fetch for themselves, each at its own poll (a
            // polling group is never plain).
            self.arm_pollers(ctx);
            return;
        }
        if self.assignment.is_some() {
            self.dispatch_partitioned(ctx);
            self.note_levels(ctx.now);
            return;
        }
        if self.keys.is_some() {
            self.dispatch_by_key(ctx);
            return;
        }
        while self.workers.has_idle() {
            let Some(item) = self.next_capped(ctx, true) else {
                break;
            };
            let w = (self.workers)
                .pop_idle()
                .expect("the loop checked for an idle worker");
            self.spend_tokens(ctx, item.message.partition as usize);
            self.deliver_to(ctx, w, item);
        }
        if self.prefetch.is_some() {
            self.fill_credit(ctx);
        }
        self.note_levels(ctx.now);
    }

    /// The next message within the caps (expired ones met on the way are
    /// dropped), or `None`: nothing ready, or the caps hold everything
    /// back (then, with `wake`, dispatch resumes when the group's cap
    /// opens).
    pub(in crate::model::sim) fn next_capped(&mut self, ctx: &mut Ctx, wake: bool) -> Option<Item> {
        let capped = !self.partition_caps.is_empty();
        loop {
            if let Some(at) = self.group_throttled(ctx) {
                if wake {
                    self.wake_at(ctx, at);
                }
                return None;
            }
            let item = if capped {
                self.pop_open(ctx)
            } else {
                self.buffer.pop()
            }?;
            if self.is_expired(ctx.now, &item) {
                self.expire(ctx, item);
                continue;
            }
            return Some(item);
        }
    }

    /// The oldest head among partitions whose cap has a token; if all with
    /// messages are capped, wakes up when the first opens.
    pub(in crate::model::sim) fn pop_open(&mut self, ctx: &mut Ctx) -> Option<Item> {
        let now = ctx.now;
        let caps = &self.partition_caps;
        let open = |p: usize| caps.get(p).is_none_or(|b| b.ready_at(now) <= now);
        match self.buffer.oldest_partition_among(open) {
            Some(p) => self.buffer.pop_from(p),
            None => {
                if let Some(at) = self.next_partition_opening(ctx) {
                    self.wake_at(ctx, at);
                }
                None
            }
        }
    }

    /// Hands `item` to worker `w` (no longer in the idle list), which
    /// starts it.
    #[inline]
    pub(in crate::model::sim) fn deliver_to(&mut self, ctx: &mut Ctx, w: u32, mut item: Item) {
        self.hand_over(ctx, &mut item);
        self.start(ctx, w, item, true);
    }

    /// The broker hands `item` to a worker: a delivery, counted.
    #[inline(always)]
    pub(in crate::model::sim) fn hand_over(&mut self, ctx: &mut Ctx, item: &mut Item) {
        ctx.note(LogKind::Delivered, item.message.id.0, self.index.0);
        let now = ctx.now;
        let first = item.deliveries == 0;
        let duplicate = if item.tracked {
            self.is_duplicate_delivery(item)
        } else {
            item.side_effects > 0
        };
        item.deliveries = item.deliveries.saturating_add(1);
        let c = &mut self.counters;
        c.deliveries += 1;
        c.redeliveries += u64::from(!first);
        c.duplicate_deliveries += u64::from(duplicate);
        if first && ctx.in_window {
            let waited = now.since(item.enqueued).as_nanos();
            self.window.queue_wait.record(waited);
            if let Some(class) = (self.window.classes).get_mut(item.message.partition as usize) {
                class.queue_wait.record(waited);
            }
        }
    }

    /// Worker `w` (no longer in the idle list) starts `item`, handed over
    /// to it: `fetched` for the broker's round trip, `false` when it held
    /// the message already.
    #[inline(always)]
    pub(in crate::model::sim) fn start(
        &mut self,
        ctx: &mut Ctx,
        w: u32,
        item: Item,
        fetched: bool,
    ) {
        let now = ctx.now;
        self.note_age(ctx, item.enqueued);
        let (busy_for, failure) = self.decide(&item, now, fetched);
        let job = InService {
            effect_done: false,
            item,
            failure,
            started: now,
            zombie: false,
        };
        let (epoch, delivery) = self.workers.start(now, w as usize, job);
        if let Some(p) = self.prefetch.as_mut()
            && self.polls.is_empty()
        {
            p.credit(w as usize); // Pushed to: the broker owes it more.
        }
        let (group_ix, worker_ix) = (self.index, WorkerId(w));
        let delivery_spec = &self.topic.delivery;
        if delivery_spec.mode == DeliveryMode::AtLeastOnce
            && let Some(timeout) = delivery_spec.ack_timeout
            && busy_for > timeout
        {
            let event = Event::AckTimeout {
                group: group_ix,
                worker: worker_ix,
                epoch,
                delivery,
            };
            ctx.schedule(now + timeout, event);
        }
        let done = Event::Done {
            group: group_ix,
            worker: worker_ix,
            epoch,
        };
        ctx.schedule(now + busy_for, done);
    }

    /// How long a delivery takes and whether it fails, decided as it starts.
    /// Poison is a fixed draw per message (by origin), so a poison message
    /// fails on every delivery.
    fn decide(
        &mut self,
        item: &Item,
        now: SimTime,
        fetched: bool,
    ) -> (SimDuration, Option<FailKind>) {
        let spec = self.spec;
        let mut service = spec.service.sample(&mut self.service_rng);
        if self.service_only && !item.message.poison {
            return (SimDuration::from_secs_f64(service), None);
        }
        let mut read = match (&self.read_latency, item.tier) {
            (Some(read), Tier::Disk) => read.sample(&mut self.read_rng),
            _ => 0.0,
        };
        if fetched && let Some(overhead) = &spec.fetch_overhead {
            // The round trip to the broker, unless the worker held it.
            read += overhead.sample(&mut self.overhead_rng);
        }
        if let Some(overhead) = &spec.delivery_overhead {
            // The broker's and client's part: on the worker, beside its
            // service (no brownout or timeout applies to it).
            read += overhead.sample(&mut self.overhead_rng);
        }
        let faults = &spec.faults;
        if !self.faulty && !item.message.poison {
            return (SimDuration::from_secs_f64(read + service), None);
        }
        let poison = item.message.poison
            || hash_uniform(self.poison_salt, item.message.origin.0) < faults.poison_share;
        let (degraded, failure_probability) = faults.degraded(now, service);
        service = degraded;
        // The transient draw is made only for messages that are not poison.
        let fails = poison
            || (failure_probability > 0.0 && self.fault_rng.random::<f64>() < failure_probability);
        let mut failure = fails.then_some(FailKind::Failed);
        if let Some(limit) = faults.processing_timeout
            && service > limit.as_secs_f64()
        {
            service = limit.as_secs_f64();
            failure = Some(FailKind::TimedOut);
        }
        (SimDuration::from_secs_f64(read + service), failure)
    }

    /// Worker `w` finished a delivery (unless it crashed since).
    pub(in crate::model::sim) fn on_done(&mut self, ctx: &mut Ctx, w: usize, epoch: u32) {
        let Some(finished) = self.workers.finish(ctx.now, w, epoch) else {
            return;
        };
        let (mut done, leaving) = (finished.job, finished.left);
        if done.zombie {
            self.zombie_done(ctx, &mut done.item, done.failure.is_none());
        } else if let Some(kind) = done.failure {
            self.fail(ctx, done.item, kind, None);
        } else {
            self.side_effect(ctx, &mut done.item);
            self.processed(ctx, &done.item);
        }
        self.after_done(ctx, w, leaving, done.item.message.partition as usize);
    }

    /// A zombie delivery (its ack timed out) ended: its ack is stale; its
    /// side effect still happens if it `succeeded`. True when a side
    /// effect happened.
    pub(in crate::model::sim) fn zombie_done(
        &mut self,
        ctx: &mut Ctx,
        item: &mut Item,
        succeeded: bool,
    ) -> bool {
        self.zombies -= 1;
        self.note_faults(ctx.now);
        let happened = succeeded && self.side_effect(ctx, item);
        self.end_zombie(item);
        happened
    }

    /// A delivery that had its side effect, then became a zombie while it
    /// waited for its children's publishes, ends (its ack is stale).
    pub(in crate::model::sim) fn zombie_ended(&mut self, ctx: &mut Ctx, item: &Item) {
        self.zombies -= 1;
        self.note_faults(ctx.now);
        self.end_zombie(item);
    }

    /// After worker `w` finished a delivery from `partition`: it leaves if
    /// it was scaled down, and messages go to idle workers.
    #[inline]
    pub(in crate::model::sim) fn after_done(
        &mut self,
        ctx: &mut Ctx,
        w: usize,
        leaving: bool,
        partition: usize,
    ) {
        if leaving {
            // Scaled down while busy: it leaves now its delivery is over
            // (what it held goes back).
            self.return_held(ctx, w, false);
            self.rebalance(ctx);
        } else if self.prefetch.is_some() && !self.workers.is_down() && self.start_held(ctx, w) {
            // It runs what it held; a pushed group sends it more.
            if self.polls.is_empty() {
                self.dispatch(ctx);
            }
            return;
        }
        if self.assignment.is_some() {
            // Deliverable now: this worker's partitions, and the partition
            // just freed, whose owner may have changed while it was busy.
            self.dispatch_worker(ctx, w);
            self.dispatch_partition(ctx, partition);
        } else if !self.polls.is_empty() {
            // A poller fetches for itself as it finishes, and only for
            // itself.
            self.fetch_for(ctx, w);
        } else {
            self.dispatch(ctx);
        }
    }

    /// Whether `item` has outlived the TTL at `now`: from its root's
    /// creation, or for a descendant from when it entered the buffer.
    pub(in crate::model::sim) fn is_expired(&self, now: SimTime, item: &Item) -> bool {
        let from = if item.message.descendant {
            item.enqueued
        } else {
            item.message.created
        };
        self.expired_since(now, from, item.message.id.0)
    }

    /// Whether message `id`, whose TTL runs from `from`, has outlived it
    /// at `now`.
    fn expired_since(&self, now: SimTime, from: SimTime, id: u64) -> bool {
        (self.topic.ttl.as_ref()).is_some_and(|ttl| now.since(from) > ttl.of(self.ttl_salt, id))
    }

    /// Drops the oldest ready message (drop_oldest policy).
    pub(in crate::model::sim) fn evict_head(&mut self, ctx: &mut Ctx) {
        if let Some(item) = self.buffer.pop_oldest() {
            self.evicted(ctx, item);
            self.note_levels(ctx.now);
        }
    }

    /// Drops expired messages at the head of every partition (expiry is
    /// seen at the head, as in RabbitMQ's classic queues).
    pub(in crate::model::sim) fn expire_heads(&mut self, ctx: &mut Ctx) {
        if self.topic.ttl.is_none() {
            return;
        }
        for p in 0..self.buffer.partitions() {
            while let Some((from, id)) = self.buffer.head_ttl_from(p) {
                if !self.expired_since(ctx.now, from, id) {
                    break;
                }
                let item = self.buffer.pop_from(p).expect("head exists");
                self.expire(ctx, item);
            }
        }
        self.note_levels(ctx.now);
    }

    /// A message that entered the group at `enqueued` stops waiting ready
    /// now (started, expired or evicted): the longest wait so far.
    #[inline]
    pub(in crate::model::sim) fn note_age(&mut self, ctx: &Ctx, enqueued: SimTime) {
        if ctx.in_window {
            let age = ctx.now.since(enqueued).as_nanos();
            let w = &mut self.window;
            w.max_age_ns = w.max_age_ns.max(age);
        }
    }

    /// When a message last entered a buffer, for Little's law.
    pub(in crate::model::sim) fn leave(&mut self, ctx: &mut Ctx, enqueued: SimTime) {
        self.last_left = ctx.now;
        let window = &mut self.window;
        if ctx.in_window && enqueued >= ctx.window_start {
            window.left += 1;
            window.sojourn_ns += u128::from(ctx.now.since(enqueued).as_nanos());
        }
    }
}
