//! A lean group's straight line: one that is plain (competing consumers
//! pushed to, no cap, no per-key rule) and where nothing can fail, wait,
//! expire, be held or be tracked. Its arrivals and finished deliveries
//! skip every test whose answer the run's start already knows; each state
//! change and statistic is the one the general path
//! ([`super::deliver`], [`super::settle`]) makes, in the same order, so
//! outputs are byte-identical (the golden test, and a test that runs
//! scenarios both ways).

use super::{Ctx, Group};
use super::{Item, Tier};
use crate::engine::SimDuration;
use crate::model::distribution::Distribution;
use crate::model::message::Message;
use crate::model::sim::Event;
use crate::model::sim::ids::WorkerId;
use crate::model::sim::state::InService;
use crate::model::topic::Policy;

/// How a message reaches its worker on the straight line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Handed {
    /// As it arrives, to an idle worker: it waited for nothing.
    AtOnce,
    /// From the buffer, to an idle worker.
    FromBuffer,
    /// From the buffer, to the worker that just finished its delivery.
    ToBusy,
}

impl Group<'_> {
    /// Whether every delivery of this group can take the straight line
    /// for the whole run: plain, taking its service time alone, no
    /// faults, no autoscaler, no prefetch or polling, no TTL, hand-off or
    /// ack timeout, one partition and no priorities, a buffer that is
    /// unbounded or refuses or drops its oldest when full (never one that
    /// blocks publishes, spills, or has no room at all), no order
    /// tracking, and nothing it publishes or calls.
    pub(in crate::model::sim) fn is_lean(&self) -> bool {
        let topic = self.topic;
        self.plain
            && self.service_only
            && !self.linked
            && !self.track_order
            && self.prefetch.is_none()
            && self.polls.is_empty()
            && self.spec.autoscale.is_none()
            && self.spec.publish.is_empty()
            && self.spec.calls.is_empty()
            && topic.ttl.is_none()
            && topic.handoff_latency.is_none()
            && topic.delivery.ack_timeout.is_none()
            && topic.partitions <= 1
            && topic.max_priority.is_none()
            && topic.capacity > 0
            && matches!(topic.policy, Policy::Reject(_) | Policy::DropOldest(_))
    }

    /// [`Group::enqueue`] of a fresh message (untracked, first delivery)
    /// on the straight line.
    #[inline(always)]
    pub(in crate::model::sim) fn enqueue_lean(&mut self, ctx: &mut Ctx, message: Message) {
        self.counters.accepted += 1;
        let item = Item::new(message, ctx.now, Tier::Memory, false);
        self.renumber_if_due();
        if self.buffer.is_empty() && self.workers.has_idle() {
            // As `deliver_directly`: the depth of one, for an instant
            // (nothing is in hand-off). A level that rises and falls back
            // within one instant can only raise the average's maximum.
            debug_assert_eq!((self.depth(), self.window.depth.level()), (0, 0));
            let mut item = item;
            item.seq = self.buffer.take_seq();
            self.max_depth = self.max_depth.max(1);
            self.window.depth.peak(1);
            let w = (self.workers.pop_idle()).expect("checked for an idle worker");
            self.deliver_lean(ctx, w, item, Handed::AtOnce);
            return;
        }
        self.buffer.push_back(item);
        self.max_depth = self.max_depth.max(self.depth());
        self.note_levels(ctx.now);
        if self.workers.has_idle() {
            self.dispatch_lean(ctx);
        }
    }

    /// [`Group::dispatch`] on the straight line: ready messages to idle
    /// workers, oldest first.
    #[inline(always)]
    fn dispatch_lean(&mut self, ctx: &mut Ctx) {
        while self.workers.has_idle() {
            let Some(item) = self.buffer.pop() else {
                break;
            };
            let w = (self.workers.pop_idle()).expect("the loop checked for an idle worker");
            self.deliver_lean(ctx, w, item, Handed::FromBuffer);
        }
        self.note_levels(ctx.now);
    }

    /// [`Group::deliver_to`] of a first delivery on the straight line: the
    /// broker hands `item` to worker `w` (idle and taken from the idle
    /// list, or still holding the job it just finished: [`Handed::ToBusy`]),
    /// which takes its service time.
    #[inline(always)]
    fn deliver_lean(&mut self, ctx: &mut Ctx, w: u32, mut item: Item, handed: Handed) {
        let now = ctx.now;
        item.deliveries = 1;
        self.counters.deliveries += 1;
        if ctx.in_window {
            // Its wait, and the longest wait so far (`note_age`): none
            // for a message handed over as it arrives (`record_zero` is
            // `record(0)`, and a maximum cannot grow by 0).
            if handed == Handed::AtOnce {
                self.window.queue_wait.record_zero();
            } else {
                let waited = now.since(item.enqueued).as_nanos();
                self.window.queue_wait.record(waited);
                let window = &mut self.window;
                window.max_age_ns = window.max_age_ns.max(waited);
            }
        }
        let service = match &self.spec.service {
            // The common law drawn inline: the same draw.
            Distribution::Exponential(d) => d.sample(&mut self.service_rng),
            other => other.sample(&mut self.service_rng),
        };
        let job = InService {
            effect_done: false,
            item,
            failure: None,
            started: now,
            zombie: false,
        };
        let (epoch, _) = if handed == Handed::ToBusy {
            self.workers.go_on(w as usize, job)
        } else {
            self.workers.start(now, w as usize, job)
        };
        let done = Event::Done {
            group: self.index,
            worker: WorkerId(w),
            epoch,
        };
        ctx.schedule(now + SimDuration::from_secs_f64(service), done);
    }

    /// [`Group::on_done`] on the straight line: worker `w` finished a
    /// delivery, which succeeded (its side effect, processed), and takes
    /// the next ready message. In a lean group a worker is idle only while
    /// the buffer is empty, so the one that finished is the only idle
    /// worker dispatch could find: it goes on with the oldest ready
    /// message without passing through the idle list.
    pub(in crate::model::sim) fn on_done_lean(&mut self, ctx: &mut Ctx, w: usize, epoch: u32) {
        let Some(job) = self.workers.job(w, epoch) else {
            return;
        };
        let (created, enqueued) = (job.item.message.created, job.item.enqueued);
        self.counters.side_effects += 1;
        self.counters.processed += 1;
        let took = ctx.now.since(created).as_nanos();
        if ctx.in_window {
            self.window.processed += 1;
            let (row, window) = (&mut self.row_e2e, &mut self.window.end_to_end);
            crate::stats::LatencyHistogram::record_in_both(row, window, took);
        } else {
            self.row_e2e.record(took);
        }
        self.leave(ctx, enqueued);
        match self.buffer.pop() {
            Some(item) => {
                self.deliver_lean(ctx, w as u32, item, Handed::ToBusy);
                // Finds no other idle worker (see above); notes the depth.
                self.dispatch_lean(ctx);
            }
            None => {
                // The depth stays 0: noting it again would add nothing.
                self.workers.finish(ctx.now, w, epoch);
            }
        }
    }
}
