//! Exact micro-scenarios: constant arrivals and service, answers computed
//! by hand.

use crate::common;
use common::{close, run, scenario};
use mqsim::model::sim::{LogKind, RunError, Simulation};

/// A burst of `count` messages at t = 0 into one worker taking 1 s each.
fn burst(count: u32, topic: &str) -> String {
    format!(
        r#"
        horizon = "1s"
        drain = true
        sample_interval = "500ms"
        {topic}
        [producers.p]
        arrival = {{ burst = {{ count = {count} }} }}
        [groups.g]
        workers = 1
        service = {{ constant = {{ value = "1s" }} }}
        "#
    )
}

#[test]
fn burst_into_one_worker_peaks_drains_and_waits_as_computed() {
    let o = run(&burst(10, ""));
    let g = &o.groups[0];
    assert_eq!(g.processed, 10);
    // The first goes straight to the worker; nine wait.
    assert_eq!(g.max_depth, 9);
    // Drain time: ten services back to back.
    close(o.end_s, 10.0);
    // The last waits 9 s and finishes at 10 s; the mean of 1..=10 is 5.5.
    close(g.end_to_end.max_s, 10.0);
    close(g.queue_wait.max_s, 9.0);
    close(g.end_to_end.mean_s, 5.5);
    close(g.queue_wait.mean_s, 4.5);
    close(g.utilisation, 1.0);
}

#[test]
fn constant_arrivals_below_capacity_never_wait() {
    let o = run(r#"
        horizon = "100s"
        [producers.p]
        arrival = { constant = { rate_per_s = 1 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "500ms" } }
    "#);
    let g = &o.groups[0];
    // Arrivals at 1, 2, ..., 99 s (the horizon is exclusive).
    assert_eq!(o.topic.published, 99);
    assert_eq!(g.processed, 99);
    close(g.queue_wait.max_s, 0.0);
    close(g.end_to_end.mean_s, 0.5);
    close(g.utilisation, 99.0 * 0.5 / 100.0);
    // Little: L = 0.495 = λW = (99/100)·0.5.
    close(g.littles_law.l, 0.495);
    close(g.littles_law.lambda_per_s * g.littles_law.w_s, 0.495);
}

#[test]
fn reject_keeps_the_first_and_drops_the_newest() {
    let o = run(&burst(10, "[topic]\ncapacity = 3"));
    let g = &o.groups[0];
    // One in service, three ready, six rejected.
    assert_eq!((g.processed, o.topic.rejected), (4, 6));
    let rejected: Vec<u64> = o
        .log
        .iter()
        .filter(|e| e.kind == LogKind::Rejected)
        .map(|e| e.message)
        .collect();
    assert_eq!(rejected, [4, 5, 6, 7, 8, 9]);
}

#[test]
fn drop_oldest_evicts_the_oldest_ready_messages() {
    let o = run(&burst(
        10,
        "[topic]\ncapacity = 3\npolicy = \"drop_oldest\"",
    ));
    let g = &o.groups[0];
    assert_eq!(
        (g.processed, g.dropped.evicted, o.topic.rejected),
        (4, 6, 0)
    );
    let evicted: Vec<u64> = o
        .log
        .iter()
        .filter(|e| e.kind == LogKind::Evicted)
        .map(|e| e.message)
        .collect();
    assert_eq!(evicted, [1, 2, 3, 4, 5, 6]);
    let processed: Vec<u64> = o
        .log
        .iter()
        .filter(|e| e.kind == LogKind::Processed)
        .map(|e| e.message)
        .collect();
    assert_eq!(processed, [0, 7, 8, 9]);
    close(g.end_to_end.max_s, 4.0);
}

#[test]
fn block_admits_when_room_frees_and_times_out_at_max_block() {
    let o = run(&burst(
        10,
        "[topic]\ncapacity = 3\npolicy = { block = { max_block = \"1500ms\" } }",
    ));
    let g = &o.groups[0];
    // t = 1 s: a slot frees and message 4 (blocked 1 s) gets it; at 1.5 s
    // the other five time out.
    assert_eq!(
        (g.processed, o.topic.publish_timeouts, o.topic.rejected),
        (5, 5, 0)
    );
    assert_eq!(o.topic.max_blocked, 6);
    let timeouts: Vec<(u64, u64)> = o
        .log
        .iter()
        .filter(|e| e.kind == LogKind::PublishTimedOut)
        .map(|e| (e.message, e.time_ns))
        .collect();
    assert_eq!(
        timeouts,
        (5..10).map(|m| (m, 1_500_000_000)).collect::<Vec<_>>()
    );
    // Producer-visible latency counts failed publishes too: the five that
    // timed out waited 1.5 s; message 4 was accepted after 1 s.
    close(o.topic.producer_latency.max_s, 1.5);
    assert_eq!(o.topic.producer_latency.count, 10);
    close(o.end_s, 5.0);
}

#[test]
fn block_without_max_block_never_drops() {
    let o = run(&burst(10, "[topic]\ncapacity = 2\npolicy = \"block\""));
    assert_eq!(o.groups[0].processed, 10);
    assert_eq!(o.groups[0].dropped.total(), 0);
    // Message 9 waits for room until t = 7 s (the 7th completion frees it).
    close(o.topic.producer_latency.max_s, 7.0);
}

#[test]
fn spill_overflows_to_disk_and_pays_the_read_latency() {
    let topic = "[topic]\ncapacity = 2\npolicy = { spill = { disk_capacity = 3, \
                 read_latency = { constant = { value = \"500ms\" } } } }";
    let o = run(&burst(10, topic));
    let g = &o.groups[0];
    // 1 in service, 2 in memory, 3 on disk, 4 rejected.
    assert_eq!((g.processed, o.topic.rejected), (6, 4));
    // Memory ones finish at 2 s and 3 s; disk ones take 1.5 s each.
    close(o.end_s, 3.0 + 3.0 * 1.5);
    // The row at t = 0 comes before the burst at t = 0 (scheduled first).
    let at = |t: f64| o.series.iter().find(|r| r.time_s == t).unwrap();
    assert_eq!(
        (at(0.0).depth, at(0.5).depth, at(0.5).disk_depth),
        (0, 5, 3)
    );
    assert_eq!((at(3.5).depth, at(3.5).disk_depth), (2, 2));
}

#[test]
fn ttl_expires_messages_that_reach_the_head_too_old() {
    let o = run(&burst(10, "[topic]\nttl = \"2500ms\""));
    let g = &o.groups[0];
    // Served at 0, 1 and 2 s; at 3 s the rest are 3 s old.
    assert_eq!((g.processed, g.dropped.expired), (3, 7));
    close(o.end_s, 3.0);
}

#[test]
fn every_group_gets_every_message_at_its_own_pace() {
    let o = run(r#"
        horizon = "10s"
        drain = true
        [producers.p]
        arrival = { burst = { count = 4 } }
        [groups.fast]
        workers = 2
        service = { constant = { value = "1s" } }
        [groups.slow]
        workers = 1
        service = { constant = { value = "3s" } }
    "#);
    let (fast, slow) = (&o.groups[0], &o.groups[1]);
    assert_eq!((fast.processed, slow.processed), (4, 4));
    close(fast.end_to_end.max_s, 2.0);
    close(slow.end_to_end.max_s, 12.0);
    close(o.end_s, 12.0);
}

#[test]
fn publish_latency_delays_acceptance_and_counts_as_producer_latency() {
    let o = run(r#"
        horizon = "10s"
        [topic]
        publish_latency = { constant = { value = "10ms" } }
        [producers.p]
        arrival = { constant = { rate_per_s = 1 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "100ms" } }
    "#);
    close(o.topic.producer_latency.mean_s, 0.01);
    close(o.groups[0].end_to_end.mean_s, 0.11);
    close(o.groups[0].queue_wait.max_s, 0.0);
}

#[test]
fn warmup_excludes_early_latencies_but_counts_every_message() {
    let o = run(r#"
        horizon = "10s"
        warmup = "5s"
        drain = true
        [producers.p]
        arrival = { burst = { count = 5 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "2s" } }
    "#);
    let g = &o.groups[0];
    assert_eq!(g.processed, 5);
    // Completions at 2, 4, 6, 8, 10 s: three fall after the warm-up.
    assert_eq!(g.end_to_end.count, 3);
    close(g.end_to_end.mean_s, 8.0);
    close(o.window_s, 5.0);
}

#[test]
fn runaway_growth_stops_with_an_explanation() {
    let s = scenario(
        r#"
        horizon = "1h"
        [limits]
        max_queued = 1000
        [producers.p]
        arrival = { poisson = { rate_per_s = 100 } }
        [groups.db]
        workers = 2
        service = { constant = { value = "1s" } }
    "#,
    );
    let err = Simulation::new(&s.system, 0, false).run().unwrap_err();
    assert!(
        matches!(err, RunError::Runaway { limit: 1000, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("group `db`") && text.contains("at most 2.0 msg/s"),
        "{text}"
    );
}

/// A topic of 10,000 bytes; small messages (100 B) and one of 20,000 B.
fn oversized(policy: &str) -> String {
    format!(
        r#"
        horizon = "10s"
        drain = true
        [topic]
        capacity_bytes = 10000
        policy = "{policy}"
        [producers.small]
        arrival = {{ burst = {{ count = 50 }} }}
        size = {{ constant = {{ value = 100 }} }}
        [producers.huge]
        arrival = {{ burst = {{ count = 1, at = "1s" }} }}
        size = {{ constant = {{ value = 20000 }} }}
        [groups.g]
        workers = 1
        service = {{ constant = {{ value = "10ms" }} }}
        "#
    )
}

/// Regression (review): an oversized message blocked every producer
/// forever under `block`, and emptied the buffer under `drop_oldest`.
#[test]
fn a_message_larger_than_the_buffer_is_refused_at_once_under_every_policy() {
    for policy in ["reject", "drop_oldest", "block"] {
        let o = run(&oversized(policy));
        let g = &o.groups[0];
        assert_eq!(
            (
                g.processed,
                g.dropped.evicted,
                o.topic.rejected,
                o.topic.blocked
            ),
            (50, 0, 1, 0),
            "{policy}"
        );
    }
    // Spill's disk tier (unbounded here) can hold it.
    let o = run(&oversized("spill"));
    assert_eq!((o.groups[0].processed, o.topic.rejected), (51, 0));
}

#[test]
fn e2e_p99_per_interval_covers_the_messages_processed_in_it() {
    // Ten messages at 0.25 s into one worker taking 1 s each: message k
    // finishes at k + 1.25 s after k + 1 s end to end. Rows every 2 s see
    // the one or two finished since the previous row; the p99 of two is
    // the larger.
    let o = run(r#"
        horizon = "12s"
        drain = true
        sample_interval = "2s"
        [producers.p]
        arrival = { burst = { count = 10, at = "250ms" } }
        [groups.g]
        workers = 1
        service = { constant = { value = "1s" } }
    "#);
    let at = |t: f64| {
        o.series
            .iter()
            .find(|r| (r.time_s - t).abs() < 1e-9)
            .unwrap_or_else(|| panic!("no row at {t}s"))
            .e2e_p99_s
    };
    let expected = [
        (0.0, 0.0),
        (2.0, 1.0),
        (4.0, 3.0),
        (6.0, 5.0),
        (8.0, 7.0),
        (10.0, 9.0),
        (12.0, 10.0),
    ];
    for (t, p99) in expected {
        close(at(t), p99);
    }
}
