//! Property tests on small random scenarios with random faults:
//! conservation, occupancy never above capacity, time never decreasing,
//! FIFO buffers, block never drops, one legal life per message copy,
//! idempotency removing duplicates, and bounded bookkeeping.

use crate::common;
use common::scenario;
use mqsim::model::sim::{LogEntry, LogKind, RunOutcome, Simulation, TOPIC};
use proptest::prelude::*;
use std::collections::{HashMap, VecDeque};

/// A random small scenario as TOML, plus what the properties need to know.
#[derive(Debug, Clone)]
struct Case {
    text: String,
    capacity: Option<u64>,
    disk: Option<u64>,
    policy: &'static str,
    ttl: bool,
    max_block: bool,
    faults: bool,
    dedup_forever: bool,
    /// Partitioned groups deliver in order per partition, not globally.
    partitioned: bool,
    /// Groups autoscale between 1 and `MAX_SCALED` workers.
    autoscaled: bool,
    /// Group g1 is key-ordered (in order per key only).
    key_ordered: bool,
    /// Competing groups cap deliveries per key (in order per key only).
    key_cap: bool,
}

/// The autoscaling maximum in random scenarios.
const MAX_SCALED: u64 = 6;

fn topic_text(policy: &str, capacity: Option<u64>, disk: u64, flags: (bool, bool, bool)) -> String {
    let (ttl, max_block, latency) = flags;
    let policy = match policy {
        "block" if max_block => "{ block = { max_block = \"500ms\" } }".to_owned(),
        "spill" => format!(
            "{{ spill = {{ disk_capacity = {disk}, read_latency = {{ constant = {{ value = \"10ms\" }} }} }} }}"
        ),
        other => format!("\"{other}\""),
    };
    let mut text = format!("[topic]\npolicy = {policy}\n");
    if let Some(c) = capacity {
        text += &format!("capacity = {c}\n");
    }
    if ttl {
        text += "ttl = \"2s\"\n";
    }
    if latency {
        text += "publish_latency = { exponential = { mean = \"50ms\" } }\n";
    }
    text
}

/// Delivery semantics and consumer faults, drawn from `knobs`.
fn fault_text(knobs: [u8; 8]) -> (String, String, String, bool) {
    let [mode, ack, dlq, requeue, fail, crash, producer, dedup] = knobs;
    let mut topic = String::new();
    if mode % 4 == 0 {
        topic += "delivery = \"at_most_once\"\n";
    }
    if ack % 2 == 0 {
        topic += "ack_timeout = \"300ms\"\n";
    }
    if dlq % 3 != 0 {
        topic += &format!("max_deliveries = {}\ndlq = {}\n", 1 + dlq % 4, dlq % 3 == 1);
    }
    topic += &format!(
        "requeue = \"{}\"\n",
        if requeue % 2 == 0 { "head" } else { "tail" }
    );
    topic += "redelivery_backoff = { exponential = { initial = \"20ms\", max = \"200ms\", jitter = 0.5 } }\n";
    let mut group = format!(
        "failure_probability = {}\npoison_share = {}\n",
        f64::from(fail % 4) * 0.1,
        f64::from(fail % 3) * 0.05
    );
    if crash % 2 == 0 {
        group += "crash = { mtbf = { exponential = { mean = \"3s\" } }, mttr = { constant = { value = \"400ms\" } } }\n";
        group += "crash_after_side_effect = 0.5\n";
    }
    if crash % 5 == 0 {
        group += "poll_interval = \"50ms\"\n";
    }
    if fail % 5 == 0 {
        group += "max_rate_per_s = 20\npartition_max_rate_per_s = 8\n";
    }
    if crash % 3 == 0 {
        group += "processing_timeout = \"250ms\"\noutages = [ { start = \"5s\", end = \"7s\" } ]\n";
    }
    let dedup_forever = dedup % 3 == 0;
    if dedup_forever {
        group += "dedup_window = \"forever\"\n";
    } else if dedup % 3 == 1 {
        group += "dedup_window = \"1s\"\n";
    }
    let mut prod = String::new();
    if producer % 2 == 0 {
        prod += "ack_loss = 0.2\nack_timeout = \"200ms\"\n";
        prod += "retry = { attempts = 2, backoff = { fixed = { delay = \"50ms\" } } }\n";
        prod += &format!("idempotent = {}\n", producer % 4 == 0);
    }
    if producer % 3 == 0 {
        prod += "crashes = [ { at = \"4s\", down = \"1s\" } ]\n";
    }
    (topic, group, prod, dedup_forever)
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["reject", "drop_oldest", "block", "spill"]),
        prop::option::of(1u64..20),
        (1u64..10, 1u32..4, 1u32..4),
        (1.0f64..50.0, 1.0f64..50.0, 0.01f64..1.0),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        any::<[u8; 8]>(),
        (any::<u64>(), 1u32..5, any::<bool>(), any::<bool>(), any::<bool>(), (any::<bool>(), any::<bool>())),
    )
        .prop_map(|(policy, capacity, (disk, workers, groups), (rate, burst, mean), flags, knobs, more)| {
            let (seed, partitions, partitioned, round_robin, autoscaled, (key_ordered, key_cap)) = more;
            // Partition caps exclude ordering by key (validation says so).
            let partition_capped = flags.4 && knobs[4] % 5 == 0;
            let (key_ordered, key_cap) = (key_ordered && !partition_capped, key_cap && !partition_capped);
            let autoscale = if autoscaled {
                format!("autoscale = {{ min = 1, max = {MAX_SCALED}, target_backlog_per_worker = 3, evaluation_period = \"1s\", reaction_delay = \"300ms\", startup_delay = \"500ms\", cooldown = \"3s\" }}\n")
            } else {
                String::new()
            };
            let (ttl, max_block, latency, drain, faulty) = flags;
            let (fault_topic, mut fault_group, fault_producer, dedup) =
                if faulty { fault_text(knobs) } else { Default::default() };
            if partitioned || key_ordered {
                // Polling is for competing consumers (validation says so).
                fault_group = fault_group.replace("poll_interval = \"50ms\"\n", "");
            }
            let mut text = format!("horizon = \"20s\"\nseed = {seed}\ndrain = {drain}\n[limits]\nmax_drain = \"60s\"\n");
            text += &topic_text(policy, capacity, disk, (ttl, max_block, latency));
            text += &fault_topic;
            text += &format!("partitions = {partitions}\n");
            if round_robin {
                text += "partitioner = \"round_robin\"\n";
            }
            text += &format!(
                "[producers.steady]\narrival = {{ poisson = {{ rate_per_s = {rate} }} }}\nkeys = {{ uniform = {{ n = 7 }} }}\n{fault_producer}"
            );
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
                let consumption = if partitioned && g == 0 {
                    "partitioned"
                } else if key_ordered && g == 1 {
                    "key_ordered"
                } else {
                    "competing"
                };
                let cap = if key_cap && consumption != "partitioned" { "key_max_rate_per_s = 4\n" } else { "" };
                text += &format!(
                    "[groups.g{g}]\nworkers = {workers}\nconsumption = \"{consumption}\"\nrebalance_pause = \"100ms\"\nservice = {service}\n{cap}{autoscale}{fault_group}"
                );
            }
            let disk = (policy == "spill").then_some(disk);
            Case {
                text,
                capacity,
                disk,
                policy,
                ttl,
                max_block,
                faults: faulty,
                dedup_forever: faulty && dedup,
                partitioned: partitioned && partitions > 1,
                autoscaled,
                key_ordered: key_ordered && groups > 1,
                key_cap,
            }
        })
}

fn run(case: &Case) -> RunOutcome {
    let s = scenario(&case.text);
    // `run` itself fails on a conservation violation.
    Simulation::new(&s.system, 0, true)
        .with_log()
        .run()
        .unwrap_or_else(|e| panic!("{e}\n{}", case.text))
}

/// Replays the log keeping each group's ready messages in order; new
/// messages join at the tail and leave from the head (FIFO delivery;
/// drop_oldest evicts, and TTL expires, the oldest). Returned messages may
/// rejoin at either end.
fn replay(log: &[LogEntry], groups: usize, mut check: impl FnMut(&LogEntry, &[VecDeque<u64>])) {
    let mut ready = vec![VecDeque::new(); groups];
    for e in log {
        if e.group == TOPIC {
            continue;
        }
        check(e, &ready);
        let q = &mut ready[e.group as usize];
        match e.kind {
            LogKind::Enqueued => q.push_back(e.message),
            LogKind::Requeued => {
                // Head or tail, per `requeue`: find out which by position later.
                q.push_front(e.message);
            }
            LogKind::Delivered | LogKind::Evicted | LogKind::Expired => {
                let at = q
                    .iter()
                    .position(|&m| m == e.message)
                    .expect("leaves from the buffer");
                q.remove(at);
            }
            LogKind::DeadLettered => {
                if let Some(at) = q.iter().position(|&m| m == e.message) {
                    q.remove(at);
                }
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
        // Time never decreases.
        prop_assert!(o.log.windows(2).all(|w| w[0].time_ns <= w[1].time_ns));
        // New messages never exceed capacity (returns bypass it: the topic
        // accepted them already); without returns, buffers are FIFO.
        let limit = case.capacity.unwrap_or(u64::MAX).saturating_add(case.disk.unwrap_or(0));
        let returns = o.log.iter().any(|e| e.kind == LogKind::Requeued);
        replay(&o.log, o.groups.len(), |e, ready| {
            let q = &ready[e.group as usize];
            if e.kind == LogKind::Enqueued && !returns {
                assert!((q.len() as u64) < limit, "over capacity at {e:?}");
            }
            // Partitioned groups, and partition caps, keep order per
            // partition only.
            let per_partition = case.partitioned && e.group == 0;
            let per_key = case.key_cap || (case.key_ordered && e.group == 1);
            let in_order_group =
                per_partition || per_key || case.text.contains("partition_max_rate_per_s");
            if matches!(e.kind, LogKind::Delivered | LogKind::Evicted) && !returns && !in_order_group {
                assert_eq!(q.front(), Some(&e.message), "{e:?} did not leave from the head");
            }
        });
        for g in &o.groups {
            if !returns {
                prop_assert!(g.max_depth <= limit);
            }
            // Conservation, recomputed from the outcome.
            let t = &o.topic;
            prop_assert_eq!(
                t.published,
                g.processed + g.dropped.total() + g.dead_lettered + g.queued + g.delayed + g.in_flight
                    + t.blocked + t.publishing + t.retrying
            );
        }
        // Workers stay within the autoscaling bounds; those up never
        // outnumber those paid for.
        for r in &o.series {
            prop_assert!(r.workers_up <= r.workers);
            if case.autoscaled {
                prop_assert!(r.workers <= MAX_SCALED);
            }
        }
        // Block never drops (without max_block, TTL or faults).
        if case.policy == "block" && !case.max_block && !case.ttl && !case.faults {
            prop_assert_eq!(o.groups.iter().map(|g| g.dropped.total()).sum::<u64>(), 0);
        }
        if case.policy != "drop_oldest" {
            prop_assert!(o.groups.iter().all(|g| g.dropped.evicted == 0));
        }
        // Idempotency with an infinite window removes every duplicate side effect.
        if case.dedup_forever {
            prop_assert!(o.groups.iter().all(|g| g.duplicate_side_effects == 0));
        }
        // The worst age is exact: at least every sampled oldest age and
        // every first delivery's wait.
        for (i, g) in o.groups.iter().enumerate() {
            let sampled = (o.series.iter())
                .filter(|r| r.group == i as u32)
                .map(|r| r.oldest_age_s)
                .fold(0.0, f64::max);
            prop_assert!(g.max_age_s + 1e-9 >= sampled, "{} < sampled {sampled}", g.max_age_s);
            prop_assert!(g.max_age_s + 1e-9 >= g.queue_wait.max_s, "{:?}", g.queue_wait);
        }
        // With drain, `drain_s` is when the last message left each group
        // after the horizon (20 s), from the log; the whole drain when the
        // group still held messages.
        let drains = case.text.contains("drain = true");
        for (i, g) in o.groups.iter().enumerate() {
            prop_assert_eq!(g.drain_s.is_some(), drains);
            let Some(d) = g.drain_s else { continue };
            let left = |k: LogKind| {
                matches!(k, LogKind::Processed | LogKind::Evicted | LogKind::Expired | LogKind::Lost | LogKind::DeadLettered)
            };
            let last = (o.log.iter())
                .filter(|e| e.group == i as u32 && left(e.kind))
                .map(|e| e.time_ns)
                .max()
                .unwrap_or(0);
            let want = if g.queued + g.delayed + g.in_flight > 0 {
                o.end_s - 20.0
            } else {
                last.saturating_sub(20_000_000_000) as f64 / 1e9
            };
            prop_assert!((d - want).abs() < 1e-9, "drain_s {d}, from the log {want}");
        }
        // Bookkeeping is bounded by live copies: nothing left once drained.
        if o.diagnostics.empty {
            prop_assert!(o.diagnostics.tracked.iter().all(|&n| n == 0), "{:?}", o.diagnostics);
        }
    }

    #[test]
    fn every_message_copy_lives_one_legal_life(case in cases()) {
        let o = run(&case);
        let mut state: HashMap<(u32, u64), LogKind> = HashMap::new();
        let mut topic_fate: HashMap<u64, LogKind> = HashMap::new();
        let mut side_effects: HashMap<(u32, u64), u32> = HashMap::new();
        for e in &o.log {
            match e.kind {
                LogKind::SideEffect => *side_effects.entry((e.group, e.message)).or_default() += 1,
                LogKind::DuplicateSuppressed => {}
                _ if e.group == TOPIC => {
                    topic_fate.insert(e.message, e.kind);
                }
                kind => {
                    use LogKind::*;
                    let before = state.insert((e.group, e.message), kind);
                    let ok = matches!(
                        (before, kind),
                        (None, Enqueued)
                            | (Some(Enqueued | Requeued), Delivered | Evicted | Expired | DeadLettered)
                            | (Some(Delivered), Processed | Lost | DeadLettered | Delayed | Requeued)
                            | (Some(Delayed), Requeued)
                    );
                    prop_assert!(ok, "illegal {:?} -> {:?} for {:?}", before, kind, e);
                }
            }
        }
        // No copy is both processed and dead-lettered: a message (origin)
        // can be both only through a second copy, a duplicate publish.
        let mut ends: HashMap<(u32, u64), Vec<LogKind>> = HashMap::new();
        for e in o.log.iter().filter(|e| matches!(e.kind, LogKind::Processed | LogKind::DeadLettered)) {
            ends.entry((e.group, e.message)).or_default().push(e.kind);
        }
        prop_assert!(ends.values().all(|v| v.len() == 1), "a copy ended twice");
        for (g, out) in o.groups.iter().enumerate() {
            let count = |ks: &[LogKind]| {
                state.iter().filter(|((gg, _), v)| *gg == g as u32 && ks.contains(v)).count() as u64
            };
            prop_assert_eq!(count(&[LogKind::Processed]), out.processed);
            prop_assert_eq!(count(&[LogKind::Evicted]), out.dropped.evicted);
            prop_assert_eq!(count(&[LogKind::Expired]), out.dropped.expired);
            prop_assert_eq!(count(&[LogKind::DeadLettered]), out.dead_lettered);
            prop_assert_eq!(count(&[LogKind::Enqueued, LogKind::Requeued]), out.queued);
            prop_assert_eq!(count(&[LogKind::Delivered]), out.in_flight);
            prop_assert_eq!(count(&[LogKind::Delayed]), out.delayed);
            let effects: u64 = side_effects.iter().filter(|((gg, _), _)| *gg == g as u32).map(|(_, n)| u64::from(*n)).sum();
            prop_assert_eq!(effects, out.side_effects);
            // Side effects beyond the first of each message are the duplicates.
            let firsts = side_effects.keys().filter(|(gg, _)| *gg == g as u32).count() as u64;
            prop_assert_eq!(effects - firsts, out.duplicate_side_effects);
            if case.dedup_forever {
                prop_assert!(side_effects.values().all(|&n| n == 1));
            }
        }
        let topic_count = |k: LogKind| topic_fate.values().filter(|v| **v == k).count() as u64;
        let t = &o.topic;
        prop_assert_eq!(topic_count(LogKind::Rejected), t.rejected + t.retries_exhausted - exhausted_timeouts(&o));
        prop_assert_eq!(topic_count(LogKind::Lost), t.lost);
    }
}

/// Retries exhausted after a publish timeout are logged as timeouts.
fn exhausted_timeouts(o: &RunOutcome) -> u64 {
    let logged = o
        .log
        .iter()
        .filter(|e| e.group == TOPIC && e.kind == LogKind::PublishTimedOut)
        .count() as u64;
    logged - o.topic.publish_timeouts
}

#[test]
fn loading_arbitrary_text_never_panics() {
    let config = ProptestConfig {
        cases: 512,
        rng_seed: proptest::test_runner::RngSeed::Fixed(9),
        ..ProptestConfig::default()
    };
    proptest!(config, |(text in "\\PC{0,200}")| {
        let _ = mqsim::scenario::Scenario::from_text(&text, mqsim::scenario::Format::Toml, "x.toml".as_ref(), &[]);
        let _ = mqsim::scenario::Scenario::from_text(&text, mqsim::scenario::Format::Json, "x.json".as_ref(), &[]);
    });
}

#[test]
fn mutated_valid_files_never_panic() {
    let base = std::fs::read_to_string("scenarios/reference.toml").unwrap();
    let config = ProptestConfig {
        cases: 512,
        rng_seed: proptest::test_runner::RngSeed::Fixed(9),
        ..ProptestConfig::default()
    };
    proptest!(config, |(pos in 0usize..6000, junk in "[\\PC]{0,6}", cut in any::<bool>())| {
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

/// Field paths of the reference scenario, for `--set` fuzzing.
fn reference_paths() -> Vec<String> {
    let s = mqsim::scenario::Scenario::load("scenarios/reference.toml".as_ref(), &[]).unwrap();
    let value: serde_json::Value = serde_json::from_str(&s.normalised_json()).unwrap();
    let mut out = Vec::new();
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    out.push(path.clone());
                    walk(&path, v, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, out);
                }
            }
            _ => {}
        }
    }
    walk("", &value, &mut out);
    out
}

/// Issue 9: any `--set` on a valid scenario gives a clear error or a
/// scenario whose run (with a small event budget) ends cleanly: never a
/// panic, a hang or an allocation the limits did not allow.
#[test]
fn issue_9_arbitrary_overrides_never_panic() {
    let paths = reference_paths();
    let base = std::fs::read_to_string("scenarios/mm1.toml").unwrap();
    let values = prop_oneof![
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("1e300".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("nan".to_owned()),
        Just("\"0s\"".to_owned()),
        Just("\"1ns\"".to_owned()),
        Just("\"1000d\"".to_owned()),
        Just("\"../../x\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("{ constant = { value = \"0s\" } }".to_owned()),
        Just("{ batch = { rate_per_s = 1, size = { constant = { value = 1e12 } } } }".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        "\\PC{0,12}",
        (0u64..1_000_000).prop_map(|n| n.to_string()),
    ];
    let path = prop_oneof![
        (0..paths.len()).prop_map(move |i| paths[i].clone()),
        "[a-z_.\\[\\]0-9\"]{0,24}",
    ];
    let config = ProptestConfig {
        cases: 300,
        rng_seed: proptest::test_runner::RngSeed::Fixed(9),
        ..ProptestConfig::default()
    };
    let (ran, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    proptest!(config, |(sets in proptest::collection::vec((path, values), 1..4))| {
        let mut overrides = Vec::new();
        for (p, v) in &sets {
            if let Ok(o) = mqsim::scenario::Override::parse(&format!("{p}={v}")) {
                overrides.push(o);
            }
        }
        overrides.push(mqsim::scenario::Override::parse("limits.max_events=20000").unwrap());
        match mqsim::scenario::Scenario::from_text(&base, mqsim::scenario::Format::Toml, "mm1.toml".as_ref(), &overrides) {
            Ok(s) => {
                let _ = mqsim::model::run_replication(&s.system, 0, true);
                ran.set(ran.get() + 1);
            }
            Err(_) => refused.set(refused.get() + 1),
        }
    });
    // Both kinds of case came up, so the test could fail either way.
    assert!(
        ran.get() > 10 && refused.get() > 10,
        "{} ran, {} refused",
        ran.get(),
        refused.get()
    );
}

/// Issue 9: saved sweep files that were damaged or crafted are refused
/// with a message by `--resume`, `merge` and `plot`, never a panic.
#[test]
fn issue_9_damaged_sweep_files_never_panic() {
    use mqsim::experiment::{Sweep, Vary, check_resume, merge};
    use mqsim::report::{Mode, OutputSet, SweepView, sweep_file};
    let dir = std::env::temp_dir().join(format!("mqsim-fuzz-sweep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("small.toml");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&file, crate::support::SMALL).unwrap();
    let varies = vec![
        Vary::parse("groups.workers.workers=1,2").unwrap(),
        Vary::parse("topic.capacity=100,400").unwrap(),
    ];
    let sweep = Sweep::new(&file, &[], varies).unwrap();
    let manifest = sweep.manifest(None);
    let results = sweep.run(&[0, 1, 2, 3], &|_| {});
    let good = dir.join("good");
    let mut set = OutputSet::open(&good, "sweep", Mode::Replace).unwrap();
    sweep_file::write_results(&mut set, &manifest, &results).unwrap();
    set.commit().unwrap();
    let json = std::fs::read_to_string(good.join("sweep.json")).unwrap();
    let jsonl = std::fs::read_to_string(good.join("sweep.jsonl")).unwrap();
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    let mutate = |text: &str, pos: usize, junk: &str, cut: bool| {
        let pos = pos.min(text.len());
        let pos = (0..=pos)
            .rev()
            .find(|&p| text.is_char_boundary(p))
            .unwrap_or(0);
        let mut out = text[..pos].to_owned();
        out.push_str(junk);
        if !cut {
            out.push_str(&text[pos..]);
        }
        out
    };
    let junk = prop_oneof![
        "[\\PC]{0,8}",
        Just("\"../../x\"".to_owned()),
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999".to_owned()),
        Just("\n".to_owned()),
        Just("{}".to_owned()),
    ];
    let config = ProptestConfig {
        cases: 200,
        rng_seed: proptest::test_runner::RngSeed::Fixed(9),
        ..ProptestConfig::default()
    };
    let (read, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    proptest!(config, |(which in 0..2usize, pos in 0usize..4000, junk in junk, cut in any::<bool>())| {
        let (j, l) = if which == 0 {
            (mutate(&json, pos, &junk, cut), jsonl.clone())
        } else {
            (json.clone(), mutate(&jsonl, pos, &junk, cut))
        };
        std::fs::write(bad.join("sweep.json"), j).unwrap();
        std::fs::write(bad.join("sweep.jsonl"), l).unwrap();
        let Some((saved, results)) = sweep_file::read_manifest(&bad).ok().and_then(|m| sweep_file::read_results(&bad, &m).ok().map(|r| (m, r))) else {
            refused.set(refused.get() + 1);
            return Ok(());
        };
        read.set(read.get() + 1);
        let _ = check_resume(&manifest, &saved, &results);
        let _ = merge(vec![(saved.clone(), results.clone())]);
        let view = SweepView { manifest: &saved, results: &results };
        let metrics = view.default_metrics();
        let _ = view.html(&[], &metrics);
    });
    assert!(
        read.get() > 10 && refused.get() > 10,
        "{} read, {} refused",
        read.get(),
        refused.get()
    );
    // Drawing is slower: a few damaged sweeps all the way to their charts.
    for cut in [json.len() / 3, json.len() / 2] {
        std::fs::write(bad.join("sweep.json"), mutate(&json, cut, "7", false)).unwrap();
        std::fs::write(bad.join("sweep.jsonl"), &jsonl).unwrap();
        if let Some((saved, results)) = sweep_file::read_manifest(&bad)
            .ok()
            .and_then(|m| sweep_file::read_results(&bad, &m).ok().map(|r| (m, r)))
        {
            let view = SweepView {
                manifest: &saved,
                results: &results,
            };
            let _ = view.charts(&view.default_metrics());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
