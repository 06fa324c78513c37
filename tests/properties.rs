//! Property tests on small random scenarios: conservation, occupancy never
//! above capacity, time never decreasing, drop_oldest evicts the oldest,
//! block never drops, and every message accounted for exactly once.

mod common;
use common::scenario;
use mqsim::model::sim::{LogEntry, LogKind, RunOutcome, Simulation, TOPIC};
use proptest::prelude::*;
use std::collections::{HashMap, VecDeque};

/// A random small scenario as TOML, plus its capacity in ready messages.
#[derive(Debug, Clone)]
struct Case {
    text: String,
    capacity: Option<u64>,
    disk: Option<u64>,
    policy: &'static str,
    ttl: bool,
    max_block: bool,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["reject", "drop_oldest", "block", "spill"]),
        prop::option::of(1u64..20),
        1u64..10,
        (1u32..4, 1u32..4),
        (1.0f64..50.0, 1.0f64..50.0, 0.01f64..1.0),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        any::<u64>(),
    )
        .prop_map(|(policy, capacity, disk, (workers, groups), (rate, burst, mean), flags, seed)| {
            let (ttl, max_block, latency, drain) = flags;
            let mut text = format!("horizon = \"20s\"\nseed = {seed}\ndrain = {drain}\n[topic]\npolicy = \"{policy}\"\n");
            if let Some(c) = capacity {
                text += &format!("capacity = {c}\n");
            }
            if ttl {
                text += "ttl = \"2s\"\n";
            }
            if max_block {
                text += "max_block = \"500ms\"\n";
            }
            if latency {
                text += "publish_latency = { exponential = { mean = \"50ms\" } }\n";
            }
            text += &format!(
                "[topic.spill]\ndisk_capacity = {disk}\nread_latency = {{ constant = {{ value = \"10ms\" }} }}\n"
            );
            text += &format!("[producers.steady]\narrival = {{ poisson = {{ rate_per_s = {rate} }} }}\n");
            text += &format!(
                "[producers.spike]\narrival = {{ burst = {{ count = {}, at = \"3s\", over = \"1s\" }} }}\n",
                (burst * 4.0) as u64
            );
            for g in 0..groups {
                let service = if g % 2 == 0 {
                    format!("{{ exponential = {{ mean = \"{mean}s\" }} }}")
                } else {
                    format!("{{ constant = {{ value = \"{}s\" }} }}", mean / 2.0)
                };
                text += &format!("[groups.g{g}]\nworkers = {workers}\nservice = {service}\n");
            }
            Case { text, capacity, disk: (policy == "spill").then_some(disk), policy, ttl, max_block }
        })
}

fn run(case: &Case) -> RunOutcome {
    let s = scenario(&case.text);
    // `run` itself fails on a conservation violation.
    Simulation::new(&s, 0, true)
        .with_log()
        .run()
        .unwrap_or_else(|e| panic!("{e}\n{}", case.text))
}

/// Replays the log keeping each group's ready messages in enqueue order,
/// and checks that every message leaves a buffer from its head (FIFO
/// delivery; drop_oldest evicts, and TTL expires, the oldest).
fn replay(log: &[LogEntry], groups: usize, mut check: impl FnMut(&LogEntry, &[VecDeque<u64>])) {
    let mut ready = vec![VecDeque::new(); groups];
    for e in log {
        check(e, &ready);
        let g = e.group as usize;
        match e.kind {
            LogKind::Enqueued => ready[g].push_back(e.message),
            LogKind::Delivered | LogKind::Evicted | LogKind::Expired => {
                assert_eq!(
                    ready[g].pop_front(),
                    Some(e.message),
                    "{e:?} did not leave from the head"
                );
            }
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_on_random_scenarios(case in cases()) {
        let o = run(&case);
        let groups = o.groups.len();
        // Time never decreases.
        prop_assert!(o.log.windows(2).all(|w| w[0].time_ns <= w[1].time_ns));
        // Occupancy never exceeds capacity (memory plus disk tier).
        let limit = case.capacity.unwrap_or(u64::MAX).saturating_add(case.disk.unwrap_or(0));
        replay(&o.log, groups, |e, ready| {
            if e.kind == LogKind::Enqueued {
                assert!((ready[e.group as usize].len() as u64) < limit, "over capacity at {e:?}");
            }
        });
        for g in &o.groups {
            prop_assert!(g.max_depth <= limit);
            // Conservation, recomputed from the outcome.
            prop_assert_eq!(
                o.topic.published,
                g.processed + g.dropped.total() + g.queued + g.in_flight + o.topic.blocked + o.topic.publishing
            );
        }
        // Block never drops (without max_block and TTL).
        if case.policy == "block" && !case.max_block && !case.ttl {
            prop_assert_eq!(o.groups.iter().map(|g| g.dropped.total()).sum::<u64>(), 0);
        }
        if case.policy != "drop_oldest" {
            prop_assert!(o.groups.iter().all(|g| g.dropped.evicted == 0));
        }
    }

    #[test]
    fn every_message_has_exactly_one_fate_per_group(case in cases()) {
        let o = run(&case);
        // Final state per (group, message) from the log.
        let mut fate: HashMap<(u32, u64), LogKind> = HashMap::new();
        let mut topic_fate: HashMap<u64, LogKind> = HashMap::new();
        for e in &o.log {
            if e.group == TOPIC {
                topic_fate.insert(e.message, e.kind);
            } else {
                let before = fate.insert((e.group, e.message), e.kind);
                // Legal transitions only: enqueued → delivered → processed,
                // or enqueued → evicted/expired.
                let ok = matches!(
                    (before, e.kind),
                    (None, LogKind::Enqueued)
                        | (Some(LogKind::Enqueued), LogKind::Delivered | LogKind::Evicted | LogKind::Expired)
                        | (Some(LogKind::Delivered), LogKind::Processed)
                );
                prop_assert!(ok, "illegal {:?} -> {:?} for {:?}", before, e.kind, e);
            }
        }
        for (g, out) in o.groups.iter().enumerate() {
            let count = |k: LogKind| fate.iter().filter(|((gg, _), v)| *gg == g as u32 && **v == k).count() as u64;
            prop_assert_eq!(count(LogKind::Processed), out.processed);
            prop_assert_eq!(count(LogKind::Evicted), out.dropped.evicted);
            prop_assert_eq!(count(LogKind::Expired), out.dropped.expired);
            prop_assert_eq!(count(LogKind::Enqueued), out.queued);
            prop_assert_eq!(count(LogKind::Delivered), out.in_flight);
        }
        let topic_count = |k: LogKind| topic_fate.values().filter(|v| **v == k).count() as u64;
        prop_assert_eq!(topic_count(LogKind::Rejected), o.topic.rejected);
        prop_assert_eq!(topic_count(LogKind::PublishTimedOut), o.topic.publish_timeouts);
    }
}

#[test]
fn loading_arbitrary_text_never_panics() {
    proptest!(ProptestConfig { cases: 512, ..ProptestConfig::default() }, |(text in "\\PC{0,200}")| {
        let _ = mqsim::scenario::Scenario::from_text(&text, mqsim::scenario::Format::Toml, "x.toml".as_ref(), &[]);
        let _ = mqsim::scenario::Scenario::from_text(&text, mqsim::scenario::Format::Json, "x.json".as_ref(), &[]);
    });
}

#[test]
fn mutated_valid_files_never_panic() {
    let base = std::fs::read_to_string("scenarios/reference.toml").unwrap();
    proptest!(ProptestConfig { cases: 512, ..ProptestConfig::default() }, |(pos in 0usize..4000, junk in "[\\PC]{0,6}", cut in any::<bool>())| {
        let pos = pos.min(base.len());
        let pos = (0..=pos).rev().find(|&p| base.is_char_boundary(p)).unwrap_or(0);
        let mut text = base[..pos].to_owned();
        text.push_str(&junk);
        if !cut {
            text.push_str(&base[pos..]);
        }
        let _ = mqsim::scenario::Scenario::from_text(&text, mqsim::scenario::Format::Toml, "scenarios/x.toml".as_ref(), &[]);
    });
}
