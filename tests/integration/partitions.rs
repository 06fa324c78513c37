//! Partitions: routing by key, in-order consumption with head-of-line
//! blocking, idle workers, rebalancing, and hot partitions.

use crate::common;
use common::run;
use mqsim::model::sim::LogKind;

fn spread(extra_topic: &str, keys: &str, consumption: &str, workers: u32) -> String {
    format!(
        r#"
        horizon = "60s"
        seed = 3
        [topic]
        partitions = 4
        {extra_topic}
        [producers.p]
        arrival = {{ poisson = {{ rate_per_s = 20 }} }}
        keys = {keys}
        [groups.g]
        workers = {workers}
        consumption = "{consumption}"
        service = {{ exponential = {{ mean = "50ms" }} }}
        "#
    )
}

#[test]
fn one_key_lands_on_one_partition_and_round_robin_spreads_evenly() {
    let o = run(&spread("", "\"single\"", "competing", 2));
    let busy: Vec<u64> = o.groups[0]
        .partitions
        .iter()
        .map(|p| p.processed)
        .filter(|&n| n > 0)
        .collect();
    assert_eq!(busy.len(), 1, "{:?}", o.groups[0].partitions);
    let o = run(&spread(
        "partitioner = \"round_robin\"",
        "\"single\"",
        "competing",
        2,
    ));
    let published = o.topic.published;
    for p in &o.groups[0].partitions {
        let routed = p.processed + p.queued;
        assert!(
            routed.abs_diff(published / 4) <= 1,
            "{routed} of {published}"
        );
    }
}

#[test]
fn partitioned_consumption_keeps_each_key_in_order_and_competing_does_not() {
    let keys = "{ uniform = { n = 50 } }";
    let o = run(&spread("", keys, "partitioned", 4));
    assert_eq!(o.groups[0].out_of_order, 0);
    let o = run(&spread("", keys, "competing", 4));
    assert!(
        o.groups[0].out_of_order > 0,
        "competing consumers reorder a key's messages"
    );
}

/// A poison message at 0.5 s, then good messages with the same key.
fn head_of_line(consumption: &str) -> String {
    format!(
        r#"
        horizon = "10s"
        [topic]
        partitions = 2
        dlq = false
        [producers.good]
        keys = "single"
        arrival = {{ constant = {{ rate_per_s = 1 }} }}
        [producers.bad]
        keys = "single"
        arrival = {{ burst = {{ count = 1, at = "500ms" }} }}
        poison = true
        [groups.g]
        workers = 2
        consumption = "{consumption}"
        service = {{ constant = {{ value = "100ms" }} }}
        "#
    )
}

#[test]
fn a_failing_head_blocks_its_partition_but_not_competing_consumers() {
    // Same key (single): everything is on one partition behind the poison.
    let o = run(&head_of_line("partitioned"));
    let g = &o.groups[0];
    assert_eq!(
        g.processed, 0,
        "head-of-line blocking: nothing behind the poison moves"
    );
    assert_eq!(g.queued, 9);
    // The other worker owns the empty partition and idles.
    assert!(g.utilisation < 0.5 + 1e-9);
    let o = run(&head_of_line("competing"));
    assert_eq!(
        o.groups[0].processed, 9,
        "the second worker takes the good messages"
    );
}

#[test]
fn workers_beyond_the_partition_count_idle() {
    let o = run(&spread("", "{ uniform = { n = 100 } }", "partitioned", 6));
    let g = &o.groups[0];
    assert_eq!(g.workers_without_partitions, 2);
    // 20/s at 50 ms on 4 busy workers at most: 1 of 6 worker-seconds per second.
    assert!(g.utilisation < 4.0 / 6.0);
}

#[test]
fn a_crash_reassigns_partitions_after_the_rebalance_pause() {
    // Worker crashes every 10 s (constant) and is back 20 s later; each
    // membership change pauses delivery for 5 s.
    let text = r#"
        horizon = "60s"
        [topic]
        partitions = 4
        [producers.p]
        arrival = { constant = { rate_per_s = 10 } }
        keys = { uniform = { n = 40 } }
        [groups.g]
        workers = 2
        consumption = "partitioned"
        rebalance_pause = "5s"
        service = { constant = { value = "10ms" } }
        crash = { mtbf = { constant = { value = "10s" } }, mttr = { constant = { value = "20s" } } }
    "#;
    let o = run(text);
    let g = &o.groups[0];
    // Both workers crash at 10 s and 40 s and restart at 30 s: rebalances
    // at 10 s (twice), 30 s (twice) and 40 s (twice).
    assert_eq!(g.rebalances, 6);
    let delivered_in = |from: f64, to: f64| {
        o.log
            .iter()
            .filter(|e| e.kind == LogKind::Delivered)
            .filter(|e| (from * 1e9) as u64 <= e.time_ns && e.time_ns < (to * 1e9) as u64)
            .count()
    };
    assert_eq!(delivered_in(30.0, 35.0), 0, "paused while partitions move");
    assert!(delivered_in(35.0, 36.0) > 0, "resumed after the pause");
    assert!(delivered_in(5.0, 10.0) > 0);
}

#[test]
fn a_hot_key_makes_its_partition_fall_behind_while_others_idle() {
    let text = r#"
        horizon = "120s"
        seed = 5
        [topic]
        partitions = 8
        [producers.p]
        arrival = { poisson = { rate_per_s = 80 } }
        keys = { hot = { n = 1000, share = 0.3 } }
        [groups.g]
        workers = 8
        consumption = "partitioned"
        service = { exponential = { mean = "40ms" } }
    "#;
    let o = run(text);
    let parts = &o.groups[0].partitions;
    let mut lag: Vec<u64> = parts.iter().map(|p| p.queued).collect();
    lag.sort_unstable();
    // The hot partition gets 30% + 1/8 of 70% ≈ 39% of 80/s = 31/s against
    // 25/s of capacity: it falls behind; the others (≈ 7/s each) keep up.
    assert!(lag[7] > 100, "{lag:?}");
    assert!(lag[6] < 10, "{lag:?}");
    assert!(!o.partition_series.is_empty());
}

#[test]
fn idle_workers_poll_on_their_interval() {
    // One worker polling every 300 ms; a message each second. It polls at
    // 0.3, 0.6, 0.9 and 1.2 s, where it takes the message of 1 s (0.2 s
    // later); it finishes at 1.3 s, fetches at once, finds nothing and
    // sleeps a full interval from then: 1.6, 1.9, 2.2 s, and the message
    // of 2 s waits 0.2 s again. Every wait is 0.2 s (on a fixed grid they
    // would cycle 0.2, 0.1, 0).
    let o = run(r#"
        horizon = "100s"
        [producers.p]
        keys = "single"
        arrival = { constant = { rate_per_s = 1 } }
        [groups.g]
        workers = 1
        poll_interval = "300ms"
        service = { constant = { value = "100ms" } }
    "#);
    let g = &o.groups[0];
    assert_eq!(g.processed, 99);
    common::close(g.queue_wait.mean_s, 0.2);
    common::close(g.queue_wait.max_s, 0.2);
    common::close(g.queue_wait.p50_s.max(0.2), 0.2);
}

#[test]
fn a_topic_cap_spaces_deliveries_after_its_burst() {
    // 100 messages at once, cap 10/s (a bucket of 10 tokens): ten go at
    // once, then one every 100 ms; the 100th is delivered at 9 s.
    let o = run(r#"
        horizon = "1s"
        drain = true
        [producers.p]
        keys = "single"
        arrival = { burst = { count = 100 } }
        [groups.g]
        workers = 10
        max_rate_per_s = 10
        service = { constant = { value = "1ms" } }
    "#);
    assert_eq!(o.groups[0].processed, 100);
    common::close(o.end_s, 9.001);
}

#[test]
fn a_partition_cap_applies_to_each_partition() {
    // 40 messages round robin over 2 partitions, 5/s each: 5 at once, then
    // one every 200 ms per partition; the last go at 3 s.
    let o = run(r#"
        horizon = "1s"
        drain = true
        [topic]
        partitions = 2
        partitioner = "round_robin"
        [producers.p]
        keys = "single"
        arrival = { burst = { count = 40 } }
        [groups.g]
        workers = 4
        partition_max_rate_per_s = 5
        service = { constant = { value = "1ms" } }
    "#);
    assert_eq!(o.groups[0].processed, 40);
    common::close(o.end_s, 3.001);
    // The same cap with in-order consumption.
    let o = run(r#"
        horizon = "1s"
        drain = true
        [topic]
        partitions = 2
        partitioner = "round_robin"
        [producers.p]
        keys = "single"
        arrival = { burst = { count = 40 } }
        [groups.g]
        workers = 4
        consumption = "partitioned"
        partition_max_rate_per_s = 5
        service = { constant = { value = "1ms" } }
    "#);
    assert_eq!(o.groups[0].processed, 40);
    common::close(o.end_s, 3.001);
}

/// Regression (review of the partitions work): after a crash moved a
/// partition to an idle worker, or a partition freed while its owner
/// changed, ready messages sat undelivered with a worker idle.
#[test]
fn no_worker_idles_while_its_partitions_have_messages() {
    for (seed, pause) in (1..=8).flat_map(|s| [(s, "0s"), (s, "1ns")]) {
        let o = run(&format!(
            r#"
            horizon = "300s"
            seed = {seed}
            sample_interval = "1s"
            [topic]
            partitions = 2
            [producers.a]
            keys = "single"
            arrival = {{ burst = {{ count = 1000 }} }}
            [groups.g]
            workers = 2
            consumption = "partitioned"
            rebalance_pause = "{pause}"
            service = {{ constant = {{ value = "100ms" }} }}
            crash = {{ mtbf = {{ exponential = {{ mean = "20s" }} }}, mttr = {{ constant = {{ value = "50s" }} }} }}
            "#
        ));
        let stalled = o
            .series
            .iter()
            .filter(|r| r.workers_up >= 1 && r.depth > 0 && r.in_flight == 0)
            .count();
        assert_eq!(
            stalled, 0,
            "seed {seed}, pause {pause}: {stalled} rows with work, a worker up and nothing in flight"
        );
    }
}

#[test]
fn a_rebalance_pauses_only_the_partitions_that_change_owner() {
    // Two workers own partitions {0, 2} and {1, 3}. At 10 s the autoscaler
    // removes worker 1: partitions 1 and 3 move to worker 0 and pause for
    // 20 s, while 0 and 2 keep flowing.
    let o = run(r#"
        horizon = "60s"
        sample_interval = "1s"
        [topic]
        partitions = 4
        partitioner = "round_robin"
        [producers.p]
        keys = "single"
        arrival = { constant = { rate_per_s = 4 } }
        [groups.g]
        workers = 2
        consumption = "partitioned"
        rebalance_pause = "20s"
        service = { constant = { value = "10ms" } }
        autoscale = { min = 1, max = 2, target_backlog_per_worker = 1000, evaluation_period = "10s", cooldown = "0s" }
        "#);
    let depth = |p: u32, t: f64| {
        o.partition_series
            .iter()
            .find(|r| r.partition == p && (r.time_s - t).abs() < 1e-9)
            .map(|r| r.depth)
            .unwrap()
    };
    assert_eq!(
        (depth(0, 29.0), depth(2, 29.0)),
        (0, 0),
        "unaffected partitions flow"
    );
    // One message a second each for 19 s of pause (11 s ... 29 s).
    assert_eq!((depth(1, 29.0), depth(3, 29.0)), (19, 19));
    assert_eq!(
        (depth(1, 31.0), depth(3, 31.0)),
        (0, 0),
        "drained after the pause"
    );
    assert_eq!(o.groups[0].processed, o.topic.published);
}

#[test]
fn keyless_messages_spread_over_the_partitions_and_one_key_uses_one() {
    // 12,000 keyless messages over 12 partitions: each partition's count
    // is binomial (mean 1,000, sd 30); five sd either way is a bound a
    // correct spread breaks once in millions of runs.
    let text = |keys: &str| {
        format!(
            r#"
            seed = 21
            horizon = "120s"
            drain = true
            [topic]
            partitions = 12
            [producers.p]
            arrival = {{ constant = {{ rate_per_s = 100 }} }}
            {keys}
            [groups.g]
            workers = 12
            consumption = "partitioned"
            service = {{ constant = {{ value = "1ms" }} }}
            "#
        )
    };
    let o = run(&text(""));
    let parts = &o.groups[0].partitions;
    assert_eq!(
        parts.iter().map(|p| p.processed).sum::<u64>(),
        o.topic.published
    );
    assert!(o.topic.published >= 11_990);
    for p in parts {
        assert!((850..=1150).contains(&p.processed), "{parts:?}");
    }
    let o = run(&text("keys = \"single\""));
    let used = o.groups[0]
        .partitions
        .iter()
        .filter(|p| p.processed > 0)
        .count();
    assert_eq!(used, 1);
}

#[test]
fn a_finishing_poller_fetches_for_itself_and_the_others_sleep_on() {
    // Two workers polling every second, starting at 0 s and 0.5 s; two
    // messages at 0.2 s. Worker 1 wakes at 0.5 s and takes one; finishing
    // at 0.6 s it fetches at once and takes the other (waits 0.3 and 0.4
    // s). Worker 0 sleeps on until 1 s: a poll hands out one message, to
    // the worker that polls.
    let o = run(r#"
        horizon = "2s"
        drain = true
        [producers.p]
        arrival = { burst = { count = 2, at = "200ms" } }
        [groups.g]
        workers = 2
        poll_interval = "1s"
        service = { constant = { value = "100ms" } }
    "#);
    let g = &o.groups[0];
    assert_eq!(g.processed, 2);
    common::close(g.queue_wait.max_s, 0.4);
    common::close(g.queue_wait.mean_s, 0.35);
}
