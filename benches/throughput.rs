//! Events per second and messages per second on the reference scenarios.
//!
//! Run: `cargo bench -p mqsim-bench --bench throughput`. Each iteration is one full
//! replication with every statistic on (histograms, time-weighted averages,
//! time series); throughput is reported per message and per event.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mqsim::model::sim::Simulation;
use mqsim::scenario::{Format, Override, Scenario};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// M/M/4 at 80% load (λ = 3.2/s, μ = 1/s): about one million messages.
const MM4: &str = include_str!("scenarios/mm4.toml");

/// A bursty 50k msg/s producer (MMPP alternating 20k/s and 80k/s) into a
/// bounded topic that drops its oldest messages during the bursts.
const BURSTY: &str = include_str!("scenarios/bursty-50k-bounded.toml");

/// M/M/4 with every failure mechanism on: 5% transient failures with
/// exponential redelivery backoff and a DLQ after 5 deliveries, a 10 s ack
/// timeout, worker crashes (MTBF 10 min, MTTR 30 s) half of them after the
/// side effect, and a 1-hour idempotency window.
const MM4_FAULTS: &str = include_str!("scenarios/mm4-faults.toml");

/// Kafka-style: 12 partitions, 10,000 keys, three groups, two of them
/// consuming partitions in order; 300,000 messages, each processed three times.
const PARTITIONED: &str = include_str!("scenarios/partitioned-12x3.toml");

/// SQS-FIFO-like: 2,000 message groups (keys, Zipf-skewed), one message per
/// key in flight, and a group autoscaled on its backlog.
const KEY_ORDERED: &str = include_str!("scenarios/key-ordered-autoscaled.toml");

/// 16 workers consuming partitions in order and 16 competing, 10,000
/// messages/s, 100,000 keys: run with 1, 12, 256 and 4,096 partitions, the
/// cost of a message should stay flat.
const PARTITIONS: &str = include_str!("scenarios/partitions.toml");

/// Three M/M/4 stages at 80% load in tandem, each publishing every
/// processed message to the next stage's topic: its throughput is in hops
/// (a message processed at one stage), about three million.
const PIPELINE: &str = include_str!("scenarios/pipeline-3.toml");

fn bench(c: &mut Criterion, name: &str, text: &str) {
    bench_with(c, name, text, &[]);
}

/// [`bench`] with `--set`-style overrides (`path=value`).
fn bench_with(c: &mut Criterion, name: &str, text: &str, sets: &[&str]) {
    let overrides: Vec<Override> = (sets.iter())
        .map(|s| Override::parse(s).expect("an override"))
        .collect();
    let scenario = Scenario::from_text(text, Format::Toml, Path::new(name), &overrides)
        .expect("valid scenario");
    let probe = Simulation::new(&scenario.system, 0, true)
        .run()
        .expect("runs");
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(probe.topic.published));
    group.bench_function("messages", |b| {
        b.iter(|| black_box(Simulation::new(&scenario.system, 0, true).run()))
    });
    group.throughput(Throughput::Elements(probe.events));
    group.bench_function("events", |b| {
        b.iter(|| black_box(Simulation::new(&scenario.system, 0, true).run()))
    });
    group.finish();
}

/// The pipeline's hops per second: each iteration one replication,
/// counted in messages processed by any group.
fn pipeline(c: &mut Criterion) {
    let scenario = Scenario::from_text(PIPELINE, Format::Toml, Path::new("pipeline_3"), &[])
        .expect("valid scenario");
    let probe = Simulation::new(&scenario.system, 0, true)
        .run()
        .expect("runs");
    let hops: u64 = probe.groups.iter().map(|g| g.processed).sum();
    let mut group = c.benchmark_group("pipeline_3");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(hops));
    group.bench_function("hops", |b| {
        b.iter(|| black_box(Simulation::new(&scenario.system, 0, true).run()))
    });
    group.finish();
}

fn mm4(c: &mut Criterion) {
    bench(c, "mm4", MM4);
}

/// The anchor: the same M/M/4 (1.0 M messages) in a minimal hand-written
/// event-list simulation without statistics (`minimal_des.rs`). The README
/// states mqsim's `mm4` against it.
fn minimal_des(c: &mut Criterion) {
    let run = || mqsim_bench::minimal_des::mmc(3.2, 1.0, 4, 312_500.0, 42);
    let mut group = c.benchmark_group("minimal_des_mm4");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(run().arrived));
    group.bench_function("messages", |b| b.iter(|| black_box(run())));
    group.finish();
}

fn bursty(c: &mut Criterion) {
    bench(c, "bursty_50k_bounded", BURSTY);
}

fn mm4_faults(c: &mut Criterion) {
    bench(c, "mm4_faults", MM4_FAULTS);
}

fn partitioned(c: &mut Criterion) {
    bench(c, "partitioned_12x3", PARTITIONED);
}

fn key_ordered(c: &mut Criterion) {
    bench(c, "key_ordered_autoscaled", KEY_ORDERED);
}

fn partitions(c: &mut Criterion) {
    for n in [1, 12, 256, 4096] {
        let set = format!("topic.partitions={n}");
        // 20 s of simulated time: 200,000 messages, each consumed twice.
        bench_with(
            c,
            &format!("partitions_{n}"),
            PARTITIONS,
            &[&set, "horizon=20s"],
        );
    }
}

criterion_group!(
    benches,
    mm4,
    minimal_des,
    bursty,
    mm4_faults,
    partitioned,
    key_ordered,
    partitions,
    pipeline
);
criterion_main!(benches);
