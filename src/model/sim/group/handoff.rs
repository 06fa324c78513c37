//! The broker's hand-off: an accepted copy waits in the group's landing
//! queue until it becomes deliverable (the topic's `handoff_latency`),
//! counted in the depth and against the buffer's capacity all the while.

use super::{Ctx, Group, Item, Tier};
use crate::engine::SimTime;
use crate::model::message::Message;
use crate::model::sim::Event;

impl Group<'_> {
    /// Takes an accepted message that becomes deliverable at `at` (never
    /// before the copies already landing: hand-off keeps their order).
    pub(in crate::model::sim) fn hand_off(&mut self, ctx: &mut Ctx, message: Message, at: SimTime) {
        let item = self.accept(ctx, message, Tier::Memory);
        self.buffer.reserve(message.size, true);
        if self.landing.is_empty() {
            ctx.schedule(at, Event::Land { group: self.index });
        }
        self.landing.push_back((at, item));
        self.max_depth = self.max_depth.max(self.depth());
        self.note_levels(ctx.now);
    }

    /// The copies whose hand-off is over become deliverable, in order; the
    /// next landing is scheduled.
    pub(in crate::model::sim) fn on_land(&mut self, ctx: &mut Ctx) {
        while let Some(&(at, mut item)) = self.landing.front() {
            if at > ctx.now {
                ctx.schedule(at, Event::Land { group: self.index });
                return;
            }
            self.landing.pop_front();
            self.buffer.reserve(item.message.size, false);
            item.tier = self.buffer.room(item.message.size).unwrap_or(Tier::Memory);
            self.take_in(ctx, item);
        }
    }

    /// Takes the landing copies that `pick` chooses, in order.
    pub(in crate::model::sim) fn take_landing_where(
        &mut self,
        pick: impl Fn(&Item) -> bool,
    ) -> Vec<Item> {
        let (taken, kept) = std::mem::take(&mut self.landing)
            .into_iter()
            .partition::<Vec<_>, _>(|(_, item)| pick(item));
        self.landing = kept.into_iter().collect();
        for (_, item) in &taken {
            self.buffer.reserve(item.message.size, false);
        }
        // A landing event scheduled for a copy taken here finds nothing
        // due and schedules the next head's.
        taken.into_iter().map(|(_, item)| item).collect()
    }
}
