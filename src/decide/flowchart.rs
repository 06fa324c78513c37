//! The articles' flowchart, asked in order and answered from the runs:
//! (1) must the producer survive a crash mid-handoff, (2) is the load
//! bursty by more than 5× with a consumer that cannot scale to the peak,
//! (3) does more than one service react to each event; otherwise (4) no
//! queue. Each answer carries the number that decides it, and says where
//! the measurement and the rule of thumb disagree.

use super::rank::Row;
use crate::experiment::Slo;
use crate::report::duration::human as human_duration;
use crate::scenario::workload::Workload;

/// The four questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Question {
    /// Does the producer need to survive crashing mid-handoff?
    Durability,
    /// Is the load bursty by more than 5×, with a consumer that cannot
    /// scale to the peak?
    Burst,
    /// Does more than one service react to the same event?
    FanOut,
    /// Otherwise: a worker pool, a thread or a direct call.
    Simplest,
}

impl Question {
    /// The question as the flowchart asks it.
    pub fn text(self) -> &'static str {
        match self {
            Question::Durability => "Does the producer need to survive crashing mid-handoff?",
            Question::Burst => {
                "Is the load bursty by more than 5×, with a consumer that cannot scale to the peak?"
            }
            Question::FanOut => "Does more than one service react to the same event?",
            Question::Simplest => "Otherwise: does a pool, a thread or a direct call do?",
        }
    }

    /// What a yes leads to.
    pub fn then(self) -> &'static str {
        match self {
            Question::Durability | Question::Burst => "a queue",
            Question::FanOut => "pub-sub (a queue with fan-out)",
            Question::Simplest => "no queue",
        }
    }
}

/// One question, answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Which.
    pub question: Question,
    /// Yes or no.
    pub yes: bool,
    /// The numbers that decide it.
    pub evidence: String,
    /// Where the measurement and the rule of thumb disagree, if they do.
    pub disagreement: Option<String>,
}

impl Answer {
    /// Where the answer leads: the yes branch, the next question, or
    /// after the last, the ranking.
    pub fn leads_to(&self) -> &'static str {
        match (self.yes, self.question) {
            (true, q) => q.then(),
            (false, Question::Simplest) => "none does: the ranking decides",
            (false, _) => "continue",
        }
    }
}

/// The flowchart answered from `rows` (best first).
pub(super) fn answer(w: &Workload, rows: &[Row], objectives: &[Slo]) -> Vec<Answer> {
    let find = |name: &str| rows.iter().find(|r| r.alternative.name() == name);
    let lost = |r: &Row| {
        r.measures
            .ci("crash_lost")
            .map_or((f64::NAN, 0.0), |c| (c.mean, c.half_width))
    };
    let mut out = Vec::new();

    // 1. Durability: what the non-durable designs lost, against the
    // durable ones, and whether the objectives forbid it.
    let fragile: Vec<&Row> = rows.iter().filter(|r| !r.alternative.durable()).collect();
    let durable_best = rows
        .iter()
        .filter(|r| r.alternative.durable())
        .map(|r| lost(r).0)
        .fold(f64::INFINITY, f64::min);
    let loss_objective = objectives
        .iter()
        .find(|s| matches!(s.metric.as_str(), "lost" | "lost_share" | "crash_lost"));
    let evidence_1 = match w.producer_crash {
        None => "the story has no producer crash: not tested".to_owned(),
        Some(c) => {
            let parts: Vec<String> = fragile
                .iter()
                .map(|r| {
                    let (m, h) = lost(r);
                    format!(
                        "{} lost {} ± {} in crashes",
                        r.alternative.name(),
                        count(m),
                        count(h)
                    )
                })
                .collect();
            format!(
                "with the producer crash at {}: {}; the best durable design lost {}",
                human_duration(c.at.0.as_secs_f64()),
                parts.join(", "),
                count(durable_best)
            )
        }
    };
    // A fragile design lost work in the crash, and missed a loss
    // objective that every durable design it is weighed against met.
    let fragile_fails = fragile.iter().any(|r| {
        lost(r).0 > 0.0
            && r.checks.iter().any(|(s, c)| {
                matches!(s.metric.as_str(), "lost" | "lost_share" | "crash_lost") && !c.met
            })
    });
    let yes_1 = w.producer_crash.is_some() && loss_objective.is_some() && fragile_fails;
    out.push(Answer {
        question: Question::Durability,
        yes: yes_1,
        evidence: evidence_1,
        disagreement: None,
    });

    // 2. Burst: the peak over the mean, the consumers' most against the
    // peak, and whether the direct designs met the objectives.
    let (peak, mean, interval) = arrival_peak(rows);
    let ratio = peak / mean.max(f64::MIN_POSITIVE);
    let capacity = rows
        .first()
        .map(|r| consumer_capacity(w, r))
        .unwrap_or(f64::INFINITY);
    let direct_ok = ["direct", "autoscaled"]
        .iter()
        .filter_map(|n| find(n))
        .any(Row::meets_all);
    // Measured: with a burst in the story, no direct design (the
    // autoscaled one included: it scales, but late) met the objectives.
    let yes_2 = w.burst.is_some() && !direct_ok;
    let verdicts: Vec<String> = ["direct", "autoscaled"]
        .iter()
        .filter_map(|n| find(n))
        .map(|r| {
            format!(
                "{} {}",
                r.alternative.name(),
                if r.meets_all() {
                    "meets every objective"
                } else {
                    "misses"
                }
            )
        })
        .collect();
    let evidence_2 = format!(
        "peak {}/s over {} against a mean of {}/s: {ratio:.1}×; the consumers at their most take {}/s{}; {}",
        rate(peak),
        human_duration(interval),
        rate(mean),
        rate(capacity),
        if peak > capacity {
            " (less than the peak)"
        } else {
            ""
        },
        verdicts.join(", ")
    );
    let thumb = ratio > 5.0;
    // Measured against the rule: with a burst in the story, whether a
    // direct design (no queue) met the objectives through it.
    let disagreement_2 = match (thumb, direct_ok) {
        (true, true) => Some(format!(
            "the rule of thumb says queue at {ratio:.1}× (over 5×), but a direct design meets every objective through it"
        )),
        (false, false) if w.burst.is_some() && !yes_1 => Some(format!(
            "the rule of thumb says no queue at {ratio:.1}× (under 5×), but no direct design meets the objectives through the burst"
        )),
        _ => None,
    };
    out.push(Answer {
        question: Question::Burst,
        yes: yes_2,
        evidence: evidence_2,
        disagreement: disagreement_2,
    });

    // 3. Fan-out.
    let n = w.consumers.len();
    let evidence_3 = if n > 1 {
        let direct = find("direct")
            .map(|r| {
                format!(
                    "; called directly the caller waits for all {n} (p99 {})",
                    secs(r.measures.mean("caller.p99_s"))
                )
            })
            .unwrap_or_default();
        format!(
            "{n} consumers ({}) react to every event{direct}",
            w.consumers
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        format!("one consumer ({})", w.consumers[0].name)
    };
    out.push(Answer {
        question: Question::FanOut,
        yes: n > 1,
        evidence: evidence_3,
        disagreement: None,
    });

    // 4. Otherwise.
    let simple = ["direct", "in_process", "autoscaled"]
        .iter()
        .filter_map(|n| find(n))
        .find(|r| r.meets_all());
    out.push(Answer {
        question: Question::Simplest,
        yes: simple.is_some(),
        evidence: simple.map_or_else(
            || "no pool, thread or direct call meets every objective".to_owned(),
            |r| format!("{} meets every objective", r.alternative.name()),
        ),
        disagreement: None,
    });
    out
}

/// The flowchart's own conclusion: the first yes.
pub fn conclusion(answers: &[Answer]) -> Option<&Answer> {
    answers.iter().find(|a| a.yes)
}

/// Peak and mean arrival rate (messages per second) and the sample
/// interval the peak is taken over, from the first replication.
pub(super) fn arrival_peak(rows: &[Row]) -> (f64, f64, f64) {
    // A queued design's topic counts every message sent.
    let Some(row) = rows
        .iter()
        .find(|r| !r.alternative.is_direct())
        .or_else(|| rows.first())
    else {
        return (0.0, 0.0, 0.0);
    };
    let o = &row.experiment.outcomes[0];
    let interval = row.scenario.system.sample_interval.as_secs_f64();
    let first_group = o.series.first().map_or(0, |s| s.group);
    let peak = o
        .series
        .iter()
        .filter(|s| s.group == first_group)
        .map(|s| s.published_per_s)
        .fold(0.0_f64, f64::max);
    let horizon = row.scenario.system.horizon.as_secs_f64();
    let mean = o.topic.created as f64 / horizon.max(f64::MIN_POSITIVE);
    (peak, mean, interval)
}

/// Messages per second the slowest consumer takes at its most workers.
fn consumer_capacity(w: &Workload, row: &Row) -> f64 {
    let system = &row.scenario.system;
    w.consumers
        .iter()
        .filter_map(|c| {
            let g = system
                .groups
                .iter()
                .chain(&system.services)
                .find(|g| g.name == c.name)?;
            Some(f64::from(c.max_workers) / g.service.mean())
        })
        .fold(f64::INFINITY, f64::min)
}

/// A count, rounded.
pub fn count(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    crate::report::topology::count(v)
}

/// A rate, to three significant figures.
pub fn rate(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v >= 100.0 {
        count(v)
    } else {
        format!("{v:.1}")
    }
}

/// Seconds as a duration.
pub fn secs(v: f64) -> String {
    if v.is_finite() {
        human_duration(v)
    } else {
        "–".into()
    }
}
