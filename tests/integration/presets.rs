//! Broker presets: one test per preset of the behaviour that defines the
//! real system, on micro-scenarios with constant arrivals and service
//! (docs/presets.md gives the sources of every value).

use crate::common;
use common::{close, logged, run, scenario};
use mqsim::model::sim::{LogKind, RunOutcome};
use mqsim::scenario::preset;

/// The scenario `rest` using `preset`, with `topic` lines added to its
/// `[topic]` table (written last, after the top-level fields of `rest`).
fn with_preset(preset: &str, topic: &str, rest: &str) -> String {
    format!("{rest}\n[topic]\npreset = \"{preset}\"\n{topic}\n")
}

/// Group lines that leave out a preset's measured overheads, and topic
/// lines that leave out its measured hand-off (docs/presets.md, "Measured
/// overheads"), for tests that pin a preset's semantics to the nanosecond.
const NO_OVERHEAD: &str = "delivery_overhead = \"0s\"\nfetch_overhead = \"0s\"";
const NO_HANDOFF: &str = "handoff_latency = \"0s\"";

/// When the log recorded `kind` of message `id`, in milliseconds.
fn times_ms(o: &RunOutcome, kind: LogKind, id: u64) -> Vec<u64> {
    o.log
        .iter()
        .filter(|e| e.kind == kind && e.message == id)
        .map(|e| e.time_ns / 1_000_000)
        .collect()
}

/// When message `id` was handed to a worker, in milliseconds.
fn deliveries_ms(o: &RunOutcome, id: u64) -> Vec<u64> {
    times_ms(o, LogKind::Delivered, id)
}

#[test]
fn every_preset_validates_and_runs_with_what_it_sets() {
    let rest = r#"
        horizon = "10s"
        drain = true
        [producers.p]
        arrival = { poisson = { rate_per_s = 20 } }
        keys = { uniform = { n = 50 } }
        [groups.g]
        workers = 4
        service = { exponential = { mean = "20ms" } }
    "#;
    for name in preset::names() {
        let text = format!("{rest}\n[topic]\npreset = \"{name}\"\n");
        let s = scenario(&text);
        assert!(!s.from_preset.is_empty(), "{name} sets something");
        assert_eq!(s.preset(), Some(name));
        let o = run(&text);
        let g = &o.groups[0];
        assert_eq!(g.processed, o.topic.published, "{name}: {g:?}");
    }
}

/// Kafka: a poison record blocks its partition until it is dead-lettered
/// after 10 attempts (Spring Kafka's DefaultErrorHandler); the other
/// partition keeps flowing.
fn kafka(topic: &str) -> RunOutcome {
    run(&with_preset(
        "kafka",
        &format!("partitions = 2\n{topic}"),
        r#"
        horizon = "5s"
        sample_interval = "50ms"
        [producers.same_key]
        arrival = { constant = { rate_per_s = 4 } }
        keys = "single"
        [producers.poison]
        arrival = { burst = { count = 1, at = "1150ms" } }
        keys = "single"
        poison = true
        [producers.spread]
        arrival = { constant = { rate_per_s = 8 } }
        keys = { uniform = { n = 1000 } }
        start = "1160ms"
        [groups.g]
        workers = 2
        service = { constant = { value = "100ms" } }
        "#,
    ))
}

#[test]
fn kafka_a_poison_record_blocks_its_partition_until_dead_lettered() {
    let o = kafka("");
    let g = &o.groups[0];
    assert_eq!(g.dead_lettered, 1);
    let dead = &g.dead_letters.samples[0];
    // Ten deliveries of 100 ms, back to back: 1.15 s to 2.15 s.
    assert_eq!(dead.deliveries, 10);
    close(dead.dead_lettered_s, 2.15);
    assert_eq!(g.out_of_order, 0);
    // The poisoned partition piles up behind it; the other never waits.
    let peak = |p: u32| {
        o.partition_series
            .iter()
            .filter(|r| r.partition == p)
            .map(|r| r.depth)
            .max()
            .unwrap()
    };
    let (blocked, flowing) = if peak(0) > peak(1) { (0, 1) } else { (1, 0) };
    assert!(peak(blocked) >= 4, "{}", peak(blocked));
    assert!(peak(flowing) <= 1, "{}", peak(flowing));
    let waiting = |p: u32| {
        o.partition_series
            .iter()
            .filter(|r| r.partition == p && r.time_s > 1.3 && r.time_s < 2.1)
            .all(|r| r.depth > 0)
    };
    assert!(waiting(blocked) && !waiting(flowing));
    let flowed = &g.partitions[flowing as usize];
    assert!(flowed.processed > 5 && flowed.queued == 0, "{flowed:?}");
    // Without a dead-letter topic the partition never moves again, and the
    // other one still flows.
    let stuck = kafka("dlq = false");
    let parts = &stuck.groups[0].partitions;
    assert!(parts[blocked as usize].queued >= 15, "{parts:?}");
    assert!(parts[flowing as usize].processed > 5 && parts[flowing as usize].queued == 0);
}

#[test]
fn rabbitmq_a_poison_message_leaves_after_20_deliveries_and_overflow_drops_the_head() {
    // The preset's measured overheads left out: this pins its semantics.
    let o = run(&with_preset(
        "rabbitmq",
        NO_HANDOFF,
        &format!(
            r#"
            horizon = "3s"
            [producers.good]
            arrival = {{ constant = {{ rate_per_s = 2 }} }}
            [producers.poison]
            arrival = {{ burst = {{ count = 1, at = "250ms" }} }}
            poison = true
            [groups.g]
            workers = 1
            service = {{ constant = {{ value = "10ms" }} }}
            {NO_OVERHEAD}
            "#
        ),
    ));
    let g = &o.groups[0];
    assert_eq!((g.dead_lettered, g.processed), (1, 5));
    let dead = &g.dead_letters.samples[0];
    assert_eq!((dead.deliveries, dead.reason.as_str()), (20, "failed"));
    // Requeued near the head: the 20 deliveries are back to back.
    close(dead.dead_lettered_s, 0.25 + 20.0 * 0.01);
    // A length limit drops the oldest ready messages.
    let o = run(&with_preset(
        "rabbitmq",
        &format!("capacity = 5\n{NO_HANDOFF}"),
        &format!(
            r#"
            horizon = "1s"
            drain = true
            [producers.p]
            arrival = {{ burst = {{ count = 20 }} }}
            [groups.g]
            workers = 1
            service = {{ constant = {{ value = "10ms" }} }}
            {NO_OVERHEAD}
            "#
        ),
    ));
    let g = &o.groups[0];
    assert_eq!(
        (g.dropped.evicted, g.dropped.rejected, g.processed),
        (14, 0, 6)
    );
    // Message 0 went to the worker; 1..=14 were the oldest ready ones.
    assert_eq!(logged(&o, LogKind::Evicted), (1..=14).collect::<Vec<_>>());
}

/// When one worker finishes a backlog of 1,000 messages of 10 ms through
/// `preset`, with `group` lines added, in seconds.
fn backlog_done_s(preset: &str, group: &str) -> f64 {
    let o = run(&with_preset(
        preset,
        "",
        &format!(
            r#"
            horizon = "1s"
            drain = true
            [producers.p]
            arrival = {{ burst = {{ count = 1000 }} }}
            [groups.g]
            workers = 1
            service = {{ constant = {{ value = "10ms" }} }}
            {group}
            "#
        ),
    ));
    assert_eq!(o.groups[0].processed, 1000);
    times_ms(&o, LogKind::Processed, 999)[0] as f64 / 1000.0
}

#[test]
fn the_measured_overheads_cost_each_delivery_and_prefetch_hides_the_fetch() {
    // RabbitMQ's measured 0.67 ms a delivery plus 1.02 ms a fetch (means;
    // lognormal, cv 0.35, so the sum of 1,000 has an sd of about 13 ms),
    // and a hand-off of a few ms before the first delivery.
    let p1 = backlog_done_s("rabbitmq", "");
    assert!((p1 - 11.69).abs() < 0.1, "{p1}");
    // With prefetch 4 the next message is always held: one fetch in all.
    let p4 = backlog_done_s("rabbitmq", "prefetch = 4");
    assert!((p4 - 10.67).abs() < 0.1, "{p4}");
    // Each preset the calibration measured carries its figures; "0s"
    // leaves them out, to the nanosecond.
    for (preset, per_delivery_ms) in [
        ("redis_streams", 1.37),
        ("nats_jetstream", 2.16),
        ("postgres_queue", 1.70),
    ] {
        let got = backlog_done_s(preset, "");
        // Postgres's worker also waits for its first 1 s poll.
        let poll = if preset == "postgres_queue" { 1.0 } else { 0.0 };
        let want = poll + 10.0 + per_delivery_ms;
        assert!((got - want).abs() < 0.1, "{preset}: {got} vs {want}");
        let zero = backlog_done_s(preset, NO_OVERHEAD);
        assert!(zero < poll + 10.0 + 0.02, "{preset}: {zero}");
    }
    assert_eq!(backlog_done_s("kafka", ""), 10.0);
}

/// One message published at `at` through `preset` (plus `topic` lines),
/// taken by `workers` workers in `service` each (plus `group` lines), run
/// until everything has settled.
fn one_message(
    preset: &str,
    topic: &str,
    at: &str,
    (workers, service): (u32, &str),
    group: &str,
) -> RunOutcome {
    run(&with_preset(
        preset,
        topic,
        &format!(
            r#"
            horizon = "1s"
            drain = true
            [producers.p]
            arrival = {{ burst = {{ count = 1, at = "{at}" }} }}
            [groups.g]
            workers = {workers}
            service = {{ constant = {{ value = "{service}" }} }}
            {group}
            "#
        ),
    ))
}

/// One message, processed in `service` by one of two workers, through SQS.
fn sqs(topic: &str, service: &str) -> RunOutcome {
    one_message("sqs", topic, "0s", (2, service), "")
}

#[test]
fn sqs_a_visibility_timeout_shorter_than_processing_duplicates_the_work() {
    // Visible again after 30 s while the first receive still works for 45 s.
    let o = sqs("max_deliveries = 5", "45s");
    let g = &o.groups[0];
    assert_eq!(deliveries_ms(&o, 0)[..2], [0, 30_000]);
    assert!(g.duplicate_deliveries >= 1 && g.duplicate_side_effects >= 1);
    // A visibility timeout longer than the work: one receive, one effect.
    let o = sqs("ack_timeout = \"1m\"", "45s");
    let g = &o.groups[0];
    assert_eq!(
        (g.deliveries, g.duplicate_side_effects, g.processed),
        (1, 0, 1)
    );
}

#[test]
fn sqs_a_failed_message_is_received_again_after_the_visibility_timeout() {
    let text = |topic: &str| {
        with_preset(
            "sqs",
            topic,
            r#"
            horizon = "1s"
            drain = true
            [limits]
            max_drain = "5m"
            [producers.p]
            arrival = { burst = { count = 1 } }
            poison = true
            [groups.g]
            workers = 1
            service = { constant = { value = "1s" } }
            "#,
        )
    };
    // maxReceiveCount = 2: received at 0 s and, 30 s after failing, at 31 s.
    let o = run(&text("max_deliveries = 2"));
    assert_eq!(deliveries_ms(&o, 0), [0, 31_000]);
    close(o.groups[0].dead_letters.samples[0].dead_lettered_s, 32.0);
    // No redrive policy: no dead-letter queue, received every 31 s.
    let o = run(&text(""));
    assert_eq!(o.groups[0].dead_lettered, 0);
    assert_eq!(deliveries_ms(&o, 0)[..4], [0, 31_000, 62_000, 93_000]);
}

/// 1 MiB messages (NATS's max_payload) at 100/s into one subscriber that
/// handles 20/s, with a transient failure on every tenth delivery or so.
fn slow_subscriber(preset: &str) -> RunOutcome {
    run(&with_preset(
        preset,
        "",
        r#"
        horizon = "10s"
        seed = 4
        [producers.p]
        arrival = { constant = { rate_per_s = 100 } }
        size = { constant = { value = 1048576 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "50ms" } }
        failure_probability = 0.1
        "#,
    ))
}

#[test]
fn nats_core_loses_what_a_slow_subscriber_cannot_hold_and_jetstream_loses_nothing() {
    let core = slow_subscriber("nats_core");
    let g = &core.groups[0];
    // 64 MiB of pending limit holds 64 such messages; the rest overflow.
    assert_eq!(g.max_depth, 64);
    assert!(g.dropped.rejected > 600, "{:?}", g.dropped);
    // At most once: a failed delivery is gone, never redelivered.
    assert!(g.dropped.lost > 5 && g.redeliveries == 0, "{g:?}");
    // Fire and forget: the publisher never hears of the overflow.
    let t = &core.topic;
    assert_eq!((t.rejected, t.unreported), (g.dropped.rejected, t.rejected));
    assert_eq!(t.caller_errors, 0);
    // The same publisher waiting for acks sees every refusal.
    let told = run(&with_preset(
        "nats_core",
        "",
        r#"
        horizon = "10s"
        [producers.p]
        arrival = { constant = { rate_per_s = 100 } }
        size = { constant = { value = 1048576 } }
        acks = true
        [groups.g]
        workers = 1
        service = { constant = { value = "50ms" } }
        "#,
    ));
    assert!(told.topic.rejected > 600);
    assert_eq!(told.topic.caller_errors, told.topic.rejected);
    assert_eq!(told.topic.unreported, 0);
    let js = slow_subscriber("nats_jetstream");
    let g = &js.groups[0];
    assert_eq!(g.dropped.total(), 0);
    assert!(g.redeliveries > 5);
    assert_eq!(
        g.processed + g.queued + g.in_flight + g.delayed,
        js.topic.published
    );
    assert!(g.max_depth > 700);
}

#[test]
fn redis_streams_maxlen_trimming_drops_entries_nobody_read() {
    let o = run(&with_preset(
        "redis_streams",
        "capacity = 100",
        r#"
        horizon = "10s"
        [producers.p]
        arrival = { constant = { rate_per_s = 50 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "100ms" } }
        "#,
    ));
    let g = &o.groups[0];
    assert!(g.dropped.evicted > 250, "{:?}", g.dropped);
    assert_eq!(g.max_depth, 100);
    let delivered = logged(&o, LogKind::Delivered);
    let evicted = logged(&o, LogKind::Evicted);
    assert!(evicted.iter().all(|m| !delivered.contains(m)));
}

#[test]
fn pulsar_a_nacked_message_comes_back_after_a_minute_and_nothing_times_out() {
    let o = run(&with_preset(
        "pulsar",
        "max_deliveries = 3",
        r#"
        horizon = "1s"
        drain = true
        [producers.bad]
        arrival = { burst = { count = 1, at = "500ms" } }
        poison = true
        [producers.slow]
        arrival = { burst = { count = 1 } }
        [groups.g]
        workers = 2
        service = { constant = { value = "100ms" } }
        "#,
    ));
    // Fails at 0.6 s, back at 60.6 s; fails at 60.7 s, back at 120.7 s.
    assert_eq!(deliveries_ms(&o, 1), [500, 60_600, 120_700]);
    close(o.groups[0].dead_letters.samples[0].dead_lettered_s, 120.8);
    // ackTimeout 0: a very long delivery is never handed out again.
    let o = one_message("pulsar", "", "0s", (2, "2h"), "");
    assert_eq!(o.groups[0].deliveries, 1);
}

#[test]
fn postgres_queue_polls_and_its_throughput_stops_at_the_cap() {
    let text = |rate: u32| {
        with_preset(
            "postgres_queue",
            "",
            &format!(
                r#"
                horizon = "10s"
                [producers.p]
                arrival = {{ constant = {{ rate_per_s = {rate} }} }}
                [groups.g]
                workers = 50
                service = {{ constant = {{ value = "1ms" }} }}
                "#
            ),
        )
    };
    // 50 workers could do 50,000 rows/s; the table gives 5,000/s.
    let o = run(&text(8000));
    let g = &o.groups[0];
    // Ten seconds at up to 5,000/s plus the first second's burst of
    // tokens; a poller the cap holds back sleeps a full second, so the
    // table's rate is reached by those awake, nearly.
    assert!((48_000..=55_000).contains(&g.processed), "{}", g.processed);
    assert!(g.queued > 24_000, "{}", g.queued);
    let o = run(&text(4000));
    assert!(o.groups[0].queued < 100, "{}", o.groups[0].queued);
    // A row inserted at 0.3 s waits for the 1 s poll.
    let o = one_message("postgres_queue", "", "300ms", (1, "10ms"), "");
    assert_eq!(deliveries_ms(&o, 0), [1000]);
}

#[test]
fn postgres_queue_a_crashed_workers_row_is_visible_again_at_once() {
    let crash = "crash = { mtbf = { constant = { value = \"2s\" } }, \
                 mttr = { constant = { value = \"1s\" } } }";
    let o = one_message("postgres_queue", "", "500ms", (1, "1500ms"), crash);
    // Polled at 1 s, the worker crashes at 2 s: the rolled-back row has no
    // lease to wait out. The worker is back at 3 s and finishes at 4.5 s.
    assert_eq!(deliveries_ms(&o, 0), [1000, 3000]);
    assert_eq!(o.groups[0].processed, 1);
    assert_eq!(times_ms(&o, LogKind::Requeued, 0), [2000]);
}

/// A producer that crashes at 0.5 s holding nothing, with a 1 s consumer.
fn producer_crash(preset: &str, extra: &str) -> RunOutcome {
    run(&with_preset(
        preset,
        extra,
        r#"
        horizon = "1s"
        drain = true
        [producers.p]
        arrival = { burst = { count = 10 } }
        crashes = [ { at = "500ms" } ]
        [groups.g]
        workers = 1
        service = { constant = { value = "1s" } }
        "#,
    ))
}

#[test]
fn in_process_a_producer_crash_loses_the_buffered_work_and_a_broker_loses_none() {
    let o = producer_crash("in_process", "");
    let g = &o.groups[0];
    // The first task is running; the nine queued in memory die with it.
    assert_eq!((g.processed, g.dropped.lost), (1, 9));
    for durable in ["sqs", "rabbitmq", "outbox"] {
        let o = producer_crash(durable, "");
        let g = &o.groups[0];
        assert_eq!((g.processed, g.dropped.total()), (10, 0), "{durable}");
    }
    // A full bounded queue aborts the submit (AbortPolicy): no retry.
    let o = producer_crash("in_process", "capacity = 3");
    assert_eq!((o.topic.rejected, o.topic.retries), (6, 0));
}

#[test]
fn outbox_survives_a_producer_crash_and_duplicates_under_ack_loss() {
    // The relay is still publishing when the producer crashes: nothing lost.
    let o = producer_crash("outbox", "");
    assert_eq!((o.groups[0].processed, o.topic.lost), (10, 0));
    let text = |dedup: &str| {
        with_preset(
            "outbox",
            "",
            &format!(
                r#"
                horizon = "60s"
                drain = true
                seed = 9
                [producers.app]
                arrival = {{ constant = {{ rate_per_s = 10 }} }}
                ack_loss = 0.05
                [groups.g]
                workers = 2
                service = {{ constant = {{ value = "10ms" }} }}
                {dedup}
                "#
            ),
        )
    };
    let o = run(&text(""));
    let g = &o.groups[0];
    assert!(o.topic.duplicate_publishes > 10, "{:?}", o.topic);
    assert_eq!(g.duplicate_side_effects, o.topic.duplicate_publishes);
    // The relay's sweep adds up to 5 s between commit and broker.
    assert!(
        (2.0..3.0).contains(&g.end_to_end.p50_s),
        "{:?}",
        g.end_to_end
    );
    let o = run(&text("dedup_window = \"1h\""));
    let g = &o.groups[0];
    assert_eq!(g.duplicate_side_effects, 0);
    assert!(g.suppressed_duplicates > 10);
}

#[test]
fn sqs_fifo_one_message_per_group_in_flight_and_throughput_per_group_is_capped() {
    let text = |keys: &str, topic: &str| {
        with_preset(
            "sqs_fifo",
            "",
            &format!(
                r#"
                horizon = "10s"
                [producers.p]
                arrival = {{ constant = {{ rate_per_s = 5000 }} }}
                keys = {keys}
                [groups.g]
                workers = 20
                service = {{ constant = {{ value = "1ms" }} }}
                {topic}
                "#
            ),
        )
    };
    // One message group: one at a time, in order, at most 300/s.
    let o = run(&text("\"single\"", ""));
    let g = &o.groups[0];
    assert_eq!(g.out_of_order, 0);
    assert!((2_900..=3_400).contains(&g.processed), "{}", g.processed);
    // High throughput mode lifts the queue's quota; each group keeps 300/s.
    let o = run(&text(
        "{ uniform = { n = 10 } }",
        "max_rate_per_s = 1000000.0",
    ));
    let g = &o.groups[0];
    assert_eq!(g.out_of_order, 0);
    assert!((29_000..=34_000).contains(&g.processed), "{}", g.processed);
}

#[test]
fn an_override_that_clashes_with_a_preset_value_names_the_preset() {
    let text = with_preset(
        "sqs_fifo",
        "",
        r#"
        horizon = "10s"
        [producers.p]
        arrival = { constant = { rate_per_s = 10 } }
        [groups.g]
        workers = 2
        consumption = "partitioned"
        service = { constant = { value = "1ms" } }
        "#,
    );
    let err = mqsim::scenario::Scenario::from_text(
        &text,
        mqsim::scenario::Format::Toml,
        std::path::Path::new("fifo.toml"),
        &[],
    )
    .unwrap_err()
    .to_string();
    // Located at the preset's line, saying where the value came from.
    assert!(
        err.starts_with("fifo.toml:11:1: groups.g.key_max_rate_per_s: applies to competing or key_ordered")
            && err.ends_with("groups.g.key_max_rate_per_s was set by preset \"sqs_fifo\" (a value in the file or --set replaces it)"),
        "{err}"
    );
}
