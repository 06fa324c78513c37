//! The autoscaler's decision: how many workers a group should have, from
//! its backlog or its utilisation, the way Kubernetes' horizontal pod
//! autoscaler computes it (KEDA's queue scalers feed the same algorithm).
//!
//! Every evaluation period the metric gives an exact count,
//! `backlog / target` or `mean busy workers / target utilisation`; it is
//! rounded up, left alone while within the tolerance of the current count,
//! and clamped to `[min, max]`. Scaling up takes the recommendation at
//! once; scaling down takes the highest recommendation of the last
//! `cooldown` (the HPA's scale-down stabilisation window), so a group
//! shrinks only after the load has stayed low for that long.
//!
//! [`changes`] picks which workers start or leave to reach a count; the
//! simulation that owns the workers carries the changes out.

use crate::engine::{SimDuration, SimTime};
use crate::model::group::{AutoscaleSpec, ScaleTarget};
use crate::stats::TimeAverage;
use std::collections::VecDeque;

/// Where a worker slot is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Not part of the group (an autoscaling slot not in use).
    #[default]
    Parked,
    /// Asked for by the autoscaler, still starting.
    Starting,
    /// Taking messages.
    Up,
    /// Crashed, waiting to restart.
    Crashed,
}

/// What the autoscaler needs to know of a worker slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    /// Where it is in its life.
    pub phase: Phase,
    /// Scaled down while busy: it leaves when its delivery ends.
    pub leaving: bool,
    /// Running a delivery.
    pub busy: bool,
}

impl Slot {
    /// Counted by the autoscaler: starting, up or crashed, and not leaving.
    pub(crate) fn is_member(&self) -> bool {
        self.phase != Phase::Parked && !self.leaving
    }
}

/// Workers up, and workers paid for (every phase but parked), kept as
/// phases change so that counting costs nothing per worker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Census {
    /// Workers up.
    pub up: u64,
    /// Workers paid for.
    pub paid: u64,
}

impl Census {
    /// `workers` workers, all up.
    pub(crate) fn all_up(workers: u32) -> Census {
        Census {
            up: u64::from(workers),
            paid: u64::from(workers),
        }
    }

    /// Moves a worker whose phase is `phase` to `to`.
    pub(crate) fn shift(&mut self, phase: &mut Phase, to: Phase) {
        let count = |p: Phase| (u64::from(p == Phase::Up), u64::from(p != Phase::Parked));
        let (up_before, paid_before) = count(*phase);
        let (up_after, paid_after) = count(to);
        self.up = self.up + up_after - up_before;
        self.paid = self.paid + paid_after - paid_before;
        *phase = to;
    }
}

/// The workers the autoscaler counts among `slots`.
pub(crate) fn members(slots: impl IntoIterator<Item = Slot>) -> u32 {
    slots.into_iter().filter(Slot::is_member).count() as u32
}

/// One change to a worker slot on the way to a target count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// A leaving worker stays after all.
    Stay(usize),
    /// A free slot starts a worker.
    Start(usize),
    /// A starting, crashed or idle worker leaves at once.
    Park(usize),
    /// A busy worker leaves when its delivery ends.
    Leave(usize),
}

/// The changes that bring `slots` to `target` members: to grow, leaving
/// workers stay, then free slots start (lowest first); to shrink, starting
/// workers are cancelled first, then crashed, idle, and last busy ones go
/// (highest slot first).
pub(crate) fn changes(slots: &[Slot], target: u32) -> Vec<Change> {
    let members = members(slots.iter().copied());
    let mut out = Vec::new();
    if target > members {
        let wanted = (target - members) as usize;
        let staying = (0..slots.len()).filter(|&w| slots[w].leaving);
        let starting = (0..slots.len()).filter(|&w| slots[w].phase == Phase::Parked);
        out.extend(
            staying
                .map(Change::Stay)
                .chain(starting.map(Change::Start))
                .take(wanted),
        );
    } else {
        let excess = (members - target) as usize;
        let order = [
            (Phase::Starting, false),
            (Phase::Crashed, false),
            (Phase::Up, false),
            (Phase::Up, true),
        ];
        let victims = order.iter().flat_map(|&(phase, busy)| {
            (0..slots.len()).rev().filter(move |&w| {
                let s = slots[w];
                s.phase == phase && s.busy == busy && !s.leaving
            })
        });
        out.extend(
            victims
                .map(|w| {
                    if slots[w].busy {
                        Change::Leave(w)
                    } else {
                        Change::Park(w)
                    }
                })
                .take(excess),
        );
    }
    out
}

/// An autoscaler's running state.
#[derive(Clone, Debug)]
pub(crate) struct Scaler {
    spec: AutoscaleSpec,
    /// Recommendations within the stabilisation window, oldest first.
    recent: VecDeque<(SimTime, u32)>,
    /// Busy workers since the last evaluation.
    busy: TimeAverage,
    /// Times the count went up (decisions that took effect).
    pub scale_ups: u64,
    /// Times it went down.
    pub scale_downs: u64,
    /// Evaluations so far.
    evaluations: u64,
    /// The latest evaluation that did not ask to scale down.
    last_not_down: u64,
    /// Decisions waiting out the reaction delay, oldest first: the
    /// evaluation that made each, and whether it scales up.
    pending: VecDeque<(u64, bool)>,
}

impl Scaler {
    /// A scaler starting at `now` with `workers` workers, `busy` of them
    /// busy. The starting count counts as a recommendation made at `now`,
    /// so the group does not shrink within the first `cooldown`.
    pub(crate) fn new(spec: AutoscaleSpec, now: SimTime, workers: u32, busy: u64) -> Scaler {
        Scaler {
            spec,
            recent: VecDeque::from([(now, workers)]),
            busy: TimeAverage::new(now.0, busy),
            scale_ups: 0,
            scale_downs: 0,
            evaluations: 0,
            last_not_down: 0,
            pending: VecDeque::new(),
        }
    }

    /// The number of busy workers changed at `now`.
    #[inline]
    pub(crate) fn note_busy(&mut self, now: SimTime, busy: u64) {
        self.busy.set(now.0, busy);
    }

    /// Evaluates at `now` for a group with `current` workers (started or
    /// starting, not leaving) and `backlog` messages not yet settled.
    /// Returns the count to scale to, if it differs from `current`.
    pub(crate) fn evaluate(&mut self, now: SimTime, current: u32, backlog: u64) -> Option<u32> {
        self.evaluations += 1;
        let exact = match self.spec.target {
            ScaleTarget::BacklogPerWorker(per_worker) => backlog as f64 / per_worker,
            ScaleTarget::Utilisation(share) => {
                let mean_busy = self.busy.mean(now.0);
                self.busy.restart(now.0);
                mean_busy / share
            }
        };
        let within_tolerance =
            current > 0 && (exact / f64::from(current) - 1.0).abs() <= self.spec.tolerance;
        let wanted = if within_tolerance {
            current
        } else {
            // `exact` is finite and at least 0; the cast saturates.
            exact.ceil() as u32
        };
        let recommended = wanted.clamp(self.spec.min, self.spec.max);
        let window_start = SimTime(now.0.saturating_sub(self.spec.cooldown.as_nanos()));
        while self.recent.front().is_some_and(|&(t, _)| t < window_start) {
            self.recent.pop_front();
        }
        self.recent.push_back((now, recommended));
        let target = if recommended >= current {
            recommended
        } else {
            let highest = self.recent.iter().map(|&(_, r)| r).max().unwrap_or(0);
            highest.min(current)
        };
        if target >= current {
            self.last_not_down = self.evaluations;
        }
        (target != current).then_some(target)
    }

    /// Records a decision (to `target`, from `current`) that will take
    /// effect after the reaction delay, in the order decisions were made.
    pub(crate) fn defer(&mut self, target: u32, current: u32) {
        self.pending.push_back((self.evaluations, target > current));
    }

    /// The oldest deferred decision is due: whether it scales up, and
    /// whether it still holds. A scale-down is dropped if a later
    /// evaluation did not ask to scale down (the load came back while it
    /// waited); a scale-up always holds (it only ever adds workers).
    pub(crate) fn due(&mut self) -> (bool, bool) {
        let (made, up) = self.pending.pop_front().unwrap_or((0, false));
        (up, up || self.last_not_down <= made)
    }

    /// The count changed from `from` to `to` workers.
    pub(crate) fn count(&mut self, from: u32, to: u32) {
        self.scale_ups += u64::from(to > from);
        self.scale_downs += u64::from(to < from);
    }

    /// When the evaluation after one at `now` is due.
    pub(crate) fn next_evaluation(&self, now: SimTime) -> SimTime {
        now + self.spec.evaluation_period
    }

    /// Delay before a decision takes effect.
    pub(crate) fn reaction_delay(&self) -> SimDuration {
        self.spec.reaction_delay
    }

    /// Time a new worker takes to start.
    pub(crate) fn startup_delay(&self) -> SimDuration {
        self.spec.startup_delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(target: ScaleTarget) -> AutoscaleSpec {
        AutoscaleSpec {
            min: 1,
            max: 20,
            target,
            evaluation_period: SimDuration::from_secs(15),
            tolerance: 0.1,
            reaction_delay: SimDuration::ZERO,
            startup_delay: SimDuration::ZERO,
            cooldown: SimDuration::from_secs(300),
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn slot(phase: Phase, busy: bool) -> Slot {
        Slot {
            phase,
            leaving: false,
            busy,
        }
    }

    #[test]
    fn growing_keeps_leaving_workers_then_starts_free_slots() {
        let mut slots = vec![
            slot(Phase::Up, true),
            slot(Phase::Parked, false),
            slot(Phase::Parked, false),
        ];
        slots[0].leaving = true;
        assert_eq!(changes(&slots, 2), vec![Change::Stay(0), Change::Start(1)]);
    }

    #[test]
    fn shrinking_cancels_starting_then_crashed_then_idle_then_busy() {
        let slots = vec![
            slot(Phase::Up, true),
            slot(Phase::Up, false),
            slot(Phase::Crashed, false),
            slot(Phase::Starting, false),
            slot(Phase::Up, true),
        ];
        assert_eq!(
            changes(&slots, 0),
            vec![
                Change::Park(3),
                Change::Park(2),
                Change::Park(1),
                Change::Leave(4),
                Change::Leave(0)
            ]
        );
        assert_eq!(changes(&slots, 3), vec![Change::Park(3), Change::Park(2)]);
        assert!(changes(&slots, 5).is_empty());
    }

    #[test]
    fn backlog_target_rounds_up_and_clamps() {
        let mut s = Scaler::new(spec(ScaleTarget::BacklogPerWorker(10.0)), at(0), 2, 0);
        assert_eq!(s.evaluate(at(15), 2, 41), Some(5));
        assert_eq!(s.evaluate(at(30), 5, 1_000), Some(20), "clamped to max");
    }

    #[test]
    fn a_deferred_scale_down_is_dropped_when_the_load_comes_back() {
        let mut s = Scaler::new(spec(ScaleTarget::BacklogPerWorker(10.0)), at(0), 10, 0);
        s.spec.cooldown = SimDuration::ZERO;
        // Load gone: scale down to 1, deferred.
        assert_eq!(s.evaluate(at(15), 10, 0), Some(1));
        s.defer(1, 10);
        // Load back before it takes effect: the next evaluation keeps 10.
        assert_eq!(s.evaluate(at(30), 10, 100), None);
        assert_eq!(s.due(), (false, false), "the stale scale-down is dropped");
        // A scale-up holds whatever follows.
        assert_eq!(s.evaluate(at(45), 10, 200), Some(20));
        s.defer(20, 10);
        assert_eq!(s.evaluate(at(60), 10, 0), Some(1));
        assert_eq!(s.due(), (true, true));
    }

    #[test]
    fn tolerance_keeps_the_count() {
        let mut s = Scaler::new(spec(ScaleTarget::BacklogPerWorker(10.0)), at(0), 4, 0);
        // 4 workers, 43 messages: 10.75 per worker, within 10% of 10.
        assert_eq!(s.evaluate(at(15), 4, 43), None);
        // 45 messages: 12.5% over, so ceil(4.5) = 5.
        assert_eq!(s.evaluate(at(30), 4, 45), Some(5));
    }

    #[test]
    fn scale_down_waits_out_the_stabilisation_window() {
        let mut s = Scaler::new(spec(ScaleTarget::BacklogPerWorker(10.0)), at(0), 1, 0);
        assert_eq!(s.evaluate(at(0), 1, 100), Some(10));
        // The load vanishes; the window still holds the recommendation 10.
        for t in (15..=300).step_by(15) {
            assert_eq!(s.evaluate(at(t), 10, 0), None, "at {t}s");
        }
        // At 315 s the recommendation of 0 s has left the 300 s window.
        assert_eq!(s.evaluate(at(315), 10, 0), Some(1));
    }

    #[test]
    fn utilisation_target_follows_mean_busy_workers() {
        let mut s = Scaler::new(spec(ScaleTarget::Utilisation(0.5)), at(0), 4, 4);
        // 4 busy for 10 s, then 2 busy for 5 s: mean 10/3; / 0.5 → 6.67 → 7.
        s.note_busy(at(10), 2);
        assert_eq!(s.evaluate(at(15), 4, 0), Some(7));
        // The next period sees only its own busy time: 2 busy → 4 workers,
        // but scaling down waits for the window.
        assert_eq!(s.evaluate(at(30), 7, 0), None);
    }

    #[test]
    fn scales_from_zero_on_backlog() {
        let mut sp = spec(ScaleTarget::BacklogPerWorker(100.0));
        sp.min = 0;
        let mut s = Scaler::new(sp, at(0), 0, 0);
        assert_eq!(s.evaluate(at(15), 0, 0), None);
        assert_eq!(s.evaluate(at(30), 0, 1), Some(1));
    }
}
