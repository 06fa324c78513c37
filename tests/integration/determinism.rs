//! A run is a pure function of (scenario, seed): byte-identical outputs on
//! repeated runs and at any thread count.

use crate::common;
use common::scenario;
use mqsim::experiment::Experiment;
use mqsim::model::sim::{LogKind, Simulation};
use mqsim::report::{summary_json, timeseries_csv};
use mqsim::scenario::Scenario;

/// A scenario exercising every random source: bursty arrivals, keys, sizes,
/// publish latency, spill read latency, several groups and replications,
/// an autoscaled group and a key-ordered one.
const BUSY: &str = r#"
    seed = 99
    horizon = "120s"
    warmup = "10s"
    replications = 6
    [topic]
    capacity = 300
    policy = { spill = { disk_capacity = 2000, read_latency = { exponential = { mean = "5ms" } } } }
    publish_latency = { lognormal = { p50 = "2ms", p99 = "40ms" } }
    [producers.web]
    arrival = { mmpp = { states = [ { rate_per_s = 50, mean_sojourn = "10s" }, { rate_per_s = 400, mean_sojourn = "5s" } ] } }
    keys = { zipf = { n = 100, s = 1.2 } }
    size = { uniform = { low = 100, high = 5000 } }
    [producers.batch]
    arrival = { batch = { rate_per_s = 2, size = { uniform = { low = 1, high = 40 } } } }
    [groups.fast]
    workers = 4
    service = { exponential = { mean = "15ms" } }
    [groups.slow]
    workers = 2
    service = { hyperexponential = { phases = [ { probability = 0.8, mean = "5ms" }, { probability = 0.2, mean = "60ms" } ] } }
    autoscale = { min = 1, max = 6, target_utilisation = 0.6, evaluation_period = "5s", startup_delay = "2s", cooldown = "20s" }
    [groups.ordered]
    workers = 3
    consumption = "key_ordered"
    key_max_rate_per_s = 20
    service = { exponential = { mean = "10ms" } }
"#;

/// summary.json and timeseries.csv, as bytes, run on a pool of `threads`.
fn outputs(s: &Scenario, threads: usize) -> (String, String) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let e = Experiment::run(s).unwrap();
        (
            summary_json(s, &e).unwrap(),
            timeseries_csv(s, &e.outcomes[0].series),
        )
    })
}

#[test]
fn same_seed_gives_identical_bytes_twice_and_at_any_thread_count() {
    let s = scenario(BUSY);
    let one = outputs(&s, 1);
    assert_eq!(one, outputs(&s, 1), "two runs on one thread differ");
    assert_eq!(one, outputs(&s, 2), "one thread and two threads differ");
    assert_eq!(one, outputs(&s, 4), "one thread and four threads differ");
}

/// Direct calls with every resilience pattern, a priority queue with
/// drawn TTLs and a hand-off, pollers and pushed workers with prefetch,
/// delivery and fetch overheads, crashes (issues 13 and 14).
const RESILIENT: &str = r#"
    seed = 7
    horizon = "120s"
    replications = 4
    [topics.jobs]
    max_priority = 3
    ttl = { exponential = { mean = "5s" } }
    handoff_latency = { exponential = { mean = "2ms" } }
    [producers.web]
    arrival = { poisson = { rate_per_s = 40 } }
    call = { service = "api", timeout = "2s", hedge = { quantile = 0.9 }, breaker = { window = "10s", minimum_calls = 20, open_for = "3s", failure_rate = 0.05 }, propagate_deadline = true }
    priorities = [{ priority = 3, share = 0.3 }]
    [producers.batch]
    topic = "jobs"
    arrival = { poisson = { rate_per_s = 20 } }
    priorities = [{ priority = 3, share = 0.2 }]
    [groups.api]
    workers = 6
    service = { lognormal = { p50 = "20ms", p99 = "300ms" } }
    call = [{ service = "db", timeout = "500ms", retry = { attempts = 2 }, retry_budget = { budget_percent = 20, min_retry_concurrency = 2 } }]
    accept_queue = { capacity = 50, discipline = "adaptive_lifo", cancel = true }
    [groups.db]
    workers = 3
    service = { exponential = { mean = "15ms" } }
    accept_queue = { discipline = "codel", target = "20ms" }
    brownouts = [{ start = "40s", end = "70s", failure_probability = 0.3, latency_factor = 3 }]
    [groups.worker]
    topic = "jobs"
    workers = 2
    poll_interval = "50ms"
    prefetch = 3
    delivery_overhead = { constant = { value = "3ms" } }
    fetch_overhead = { constant = { value = "2ms" } }
    service = { exponential = { mean = "60ms" } }
    [groups.archiver]
    topic = "jobs"
    workers = 2
    prefetch = 4
    fetch_overhead = { exponential = { mean = "4ms" } }
    service = { exponential = { mean = "50ms" } }
    crash = { mtbf = { exponential = { mean = "20s" } }, mttr = { constant = { value = "1s" } } }
"#;

#[test]
fn direct_calls_with_every_pattern_give_identical_bytes_at_any_thread_count() {
    let s = scenario(RESILIENT);
    let one = outputs(&s, 1);
    assert_eq!(one, outputs(&s, 2), "one thread and two threads differ");
    assert_eq!(one, outputs(&s, 4), "one thread and four threads differ");
    // Every pattern did something.
    let e = Experiment::run(&s).unwrap();
    for name in [
        "calls.web.api.hedges",
        "calls.web.api.breaker_opened",
        "calls.api.db.throttled",
        "services.db.dropped.evicted",
        "services.api.dropped.expired",
        "groups.worker.classes.3.processed",
        "groups.worker.dropped.expired",
        "groups.archiver.redeliveries",
    ] {
        assert!(e.metric(name).unwrap().ci.mean > 0.0, "{name}");
    }
}

#[test]
fn different_seeds_and_replications_differ() {
    let s = scenario(BUSY);
    let e = Experiment::run(&s).unwrap();
    // Replications are independent draws, not copies.
    assert_ne!(e.outcomes[0].topic.published, e.outcomes[1].topic.published);
    let other = scenario(&BUSY.replace("seed = 99", "seed = 100"));
    assert_ne!(outputs(&s, 2).0, outputs(&other, 2).0);
}

#[test]
fn adding_a_producer_does_not_change_the_others_draws() {
    // Streams are derived from names, so a new producer leaves the existing
    // producers' arrivals untouched (common random numbers across variants):
    // every publish instant of the base run reappears in the extended run.
    let base = scenario(BUSY);
    let extended = scenario(&format!(
        "{BUSY}\n[producers.extra]\narrival = {{ poisson = {{ rate_per_s = 1 }} }}\n"
    ));
    let publish_times = |s: &Scenario| -> Vec<u64> {
        let o = Simulation::new(&s.system, 0, false)
            .with_log()
            .run()
            .unwrap();
        o.log
            .iter()
            .filter(|e| e.kind == LogKind::Published)
            .map(|e| e.time_ns)
            .collect()
    };
    let (before, after) = (publish_times(&base), publish_times(&extended));
    let mut remaining = after.iter().copied().peekable();
    for t in &before {
        while remaining.next_if(|x| x < t).is_some() {}
        assert_eq!(remaining.next(), Some(*t), "publish at {t} ns moved");
    }
    // `extra` published about 120 messages of its own.
    let extra = after.len() - before.len();
    assert!((80..=160).contains(&extra), "{extra}");
}

#[test]
fn a_watched_run_gives_the_same_results_and_covers_every_replication() {
    let s = scenario(BUSY);
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watched = Experiment::run_watched(&s, &progress).unwrap();
    let plain = Experiment::run(&s).unwrap();
    assert_eq!(
        format!("{:?}", watched.metrics),
        format!("{:?}", plain.metrics)
    );
    // The progress bar's measure ends at replications × horizon.
    let total = u64::from(s.replications) * s.system.horizon.as_nanos();
    assert_eq!(progress.load(std::sync::atomic::Ordering::Relaxed), total);
}
