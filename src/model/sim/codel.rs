//! CoDel (RFC 8289) on a called service's accept queue: a component that
//! owns the controller's state and decides, as each request leaves the
//! queue, whether to shed it. RFC 8289 §5's dequeue, with a request's
//! wait in place of a packet's sojourn (and no MTU floor: a request is
//! shed whatever the queue holds).

use crate::engine::{SimDuration, SimTime};

/// The controller's state.
#[derive(Clone, Debug)]
pub(super) struct Codel {
    target: SimDuration,
    interval: SimDuration,
    /// When the wait, above target since, will have stayed so an interval
    /// (`None`: below target).
    first_above: Option<SimTime>,
    dropping: bool,
    drop_next: SimTime,
    count: u32,
    lastcount: u32,
}

impl Codel {
    /// A controller keeping waits at `target` over `interval`.
    pub(super) fn new(target: SimDuration, interval: SimDuration) -> Codel {
        Codel {
            target,
            interval,
            first_above: None,
            dropping: false,
            drop_next: SimTime::ZERO,
            count: 0,
            lastcount: 0,
        }
    }

    /// `t + interval / sqrt(count)`.
    fn control_law(&self, t: SimTime, count: u32) -> SimTime {
        let secs = self.interval.as_secs_f64() / f64::from(count.max(1)).sqrt();
        t + SimDuration::from_secs_f64(secs)
    }

    /// RFC 8289's `dodequeue`: the next request (by `pop`, with when it
    /// was enqueued), and whether it may be shed.
    fn dodequeue<T>(
        &mut self,
        now: SimTime,
        pop: &mut impl FnMut() -> Option<(T, SimTime)>,
    ) -> (Option<T>, bool) {
        let Some((item, enqueued)) = pop() else {
            self.first_above = None;
            return (None, false);
        };
        let mut ok_to_drop = false;
        if now.since(enqueued) < self.target {
            self.first_above = None;
        } else {
            match self.first_above {
                None => self.first_above = Some(now + self.interval),
                Some(at) if now >= at => ok_to_drop = true,
                Some(_) => {}
            }
        }
        (Some(item), ok_to_drop)
    }

    /// RFC 8289's `dequeue` at `now`: the request a free worker takes, if
    /// any; those shed on the way go to `shed`.
    pub(super) fn dequeue<T>(
        &mut self,
        now: SimTime,
        mut pop: impl FnMut() -> Option<(T, SimTime)>,
        mut shed: impl FnMut(T),
    ) -> Option<T> {
        let (mut item, mut ok_to_drop) = self.dodequeue(now, &mut pop);
        if item.is_none() {
            self.dropping = false;
            return None;
        }
        if self.dropping {
            if !ok_to_drop {
                self.dropping = false;
            }
            while self.dropping && now >= self.drop_next {
                if let Some(t) = item.take() {
                    shed(t);
                }
                self.count += 1;
                (item, ok_to_drop) = self.dodequeue(now, &mut pop);
                if !ok_to_drop {
                    self.dropping = false;
                } else {
                    self.drop_next = self.control_law(self.drop_next, self.count);
                }
            }
        } else if ok_to_drop {
            if let Some(t) = item.take() {
                shed(t);
            }
            (item, _) = self.dodequeue(now, &mut pop);
            self.dropping = true;
            let delta = self.count.saturating_sub(self.lastcount);
            self.count = 1;
            let recent = now.since(self.drop_next).0 < self.interval.0.saturating_mul(16);
            if delta > 1 && recent {
                self.count = delta;
            }
            self.drop_next = self.control_law(now, self.count);
            self.lastcount = self.count;
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    /// Dequeues one request at `now` from `queue` (enqueue times, in ms).
    fn take(c: &mut Codel, queue: &mut VecDeque<u64>, now: u64) -> (Option<u64>, Vec<u64>) {
        let mut shed = Vec::new();
        let now = SimTime::ZERO + ms(now);
        let got = c.dequeue(
            now,
            || queue.pop_front().map(|t| (t, SimTime::ZERO + ms(t))),
            |t| shed.push(t),
        );
        (got, shed)
    }

    #[test]
    fn short_waits_are_never_shed() {
        let mut c = Codel::new(ms(5), ms(100));
        let mut q: VecDeque<u64> = (0..1000).collect();
        for now in 0..1000 {
            // Each request waits 4 ms: below target.
            let (got, shed) = take(&mut c, &mut q, now + 4);
            assert_eq!((got, shed.len()), (Some(now), 0));
        }
    }

    #[test]
    fn a_standing_queue_is_shed_after_an_interval_then_faster() {
        let mut c = Codel::new(ms(5), ms(100));
        // Every request has waited 50 ms when it leaves, one per ms.
        let mut q: VecDeque<u64> = (0..400).collect();
        let mut shed_at = Vec::new();
        for now in 50..400 {
            let (_, shed) = take(&mut c, &mut q, now);
            if !shed.is_empty() {
                shed_at.push(now);
            }
        }
        // First above target at 50 ms: nothing before 150 ms, then one at
        // 150, the next 100 ms later, then 100/sqrt(2) ms later.
        assert_eq!(&shed_at[..3], &[150, 250, 321]);
    }
}
