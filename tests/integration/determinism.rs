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
