//! Ordering groups (keys): key-ordered consumption, one message per key in
//! flight and in order per key, as SQS FIFO message groups; and caps per
//! key. Constant arrivals and service; answers computed by hand.

use crate::common;
use common::{close, run};

/// 10 messages of one key at 0 s into 3 workers taking 1 s each.
fn one_key(consumption: &str) -> String {
    format!(
        r#"
        horizon = "60s"
        [producers.p]
        keys = "single"
        arrival = {{ burst = {{ count = 10, at = "0s" }} }}
        [groups.g]
        workers = 3
        consumption = "{consumption}"
        service = {{ constant = {{ value = "1s" }} }}
        "#
    )
}

#[test]
fn one_key_is_processed_one_message_at_a_time_whatever_the_workers() {
    let ordered = run(&one_key("key_ordered"));
    let g = &ordered.groups[0];
    // One after the other: the last completes at 10 s.
    close(g.end_to_end.max_s, 10.0);
    assert_eq!((g.processed, g.out_of_order), (10, 0));
    // Competing consumers take three at a time: done at 4 s.
    let competing = run(&one_key("competing"));
    close(competing.groups[0].end_to_end.max_s, 4.0);
}

#[test]
fn distinct_keys_go_in_parallel() {
    // Two keys (0 and 1), 10 messages each, 3 workers: each key takes 10 s,
    // side by side; the third worker has nothing it may take.
    let o = run(r#"
        horizon = "60s"
        [producers.a]
        keys = "single"
        arrival = { burst = { count = 10, at = "0s" } }
        [producers.b]
        arrival = { burst = { count = 10, at = "0s" } }
        keys = { hot = { n = 2, share = 0.0 } }
        [groups.g]
        workers = 3
        consumption = "key_ordered"
        service = { constant = { value = "1s" } }
        "#);
    let g = &o.groups[0];
    close(g.end_to_end.max_s, 10.0);
    assert_eq!((g.processed, g.out_of_order), (20, 0));
    // Two workers busy for 10 s of the 3 × 60 worker-seconds.
    close(g.utilisation, 20.0 / 180.0);
}

/// Key 0 gets a message a second from 1 s and a poison message at 0.5 s;
/// key 1 gets a message a second from 1 s. Two workers of 100 ms.
fn poison(consumption: &str, topic: &str) -> String {
    format!(
        r#"
        horizon = "10s"
        [topic]
        redelivery_backoff = {{ fixed = {{ delay = "0s" }} }}
        {topic}
        [producers.a]
        keys = "single"
        arrival = {{ constant = {{ rate_per_s = 1 }} }}
        [producers.b]
        arrival = {{ constant = {{ rate_per_s = 1 }} }}
        keys = {{ hot = {{ n = 2, share = 0.0 }} }}
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
fn a_poison_message_blocks_its_key_and_only_its_key() {
    let o = run(&poison("key_ordered", "dlq = false"));
    let g = &o.groups[0];
    // Key 0's nine messages (1 s ... 9 s) wait behind the poison; key 1's
    // nine flow on the other worker.
    assert_eq!((g.queued, g.processed), (9, 9));
    // Competing consumers: the poison holds one worker, the other serves all.
    let c = run(&poison("competing", "dlq = false"));
    assert_eq!((c.groups[0].queued, c.groups[0].processed), (0, 18));
    // With a DLQ after 3 deliveries the key is blocked for 0.3 s only.
    let d = run(&poison("key_ordered", "max_deliveries = 3"));
    let g = &d.groups[0];
    assert_eq!((g.queued, g.processed, g.dead_lettered), (0, 18, 1));
    assert_eq!(g.out_of_order, 0);
}

#[test]
fn a_key_cap_spaces_one_keys_deliveries_and_not_the_others() {
    // 20 messages of key 0 at 0 s, capped at 2 per second per key: a
    // bucket of 2 tokens, then one every 0.5 s, so the 20th starts at 9 s.
    let one = run(r#"
        horizon = "60s"
        [producers.p]
        keys = "single"
        arrival = { burst = { count = 20, at = "0s" } }
        [groups.g]
        workers = 10
        key_max_rate_per_s = 2
        service = { constant = { value = "10ms" } }
        "#);
    close(one.groups[0].end_to_end.max_s, 9.01);
    // Half of them on another key: each key runs its own bucket.
    let two = run(r#"
        horizon = "60s"
        [producers.p]
        keys = "single"
        arrival = { burst = { count = 10, at = "0s" } }
        [producers.q]
        arrival = { burst = { count = 10, at = "0s" } }
        keys = { hot = { n = 2, share = 0.0 } }
        [groups.g]
        workers = 10
        key_max_rate_per_s = 2
        service = { constant = { value = "10ms" } }
        "#);
    close(two.groups[0].end_to_end.max_s, 4.01);
    assert_eq!(two.groups[0].processed, 20);
}

#[test]
fn a_returned_message_stays_first_of_its_key() {
    // Every first delivery of key 0 fails once (ack timeout shorter than
    // the service for a third of them would reorder competing consumers);
    // key-ordered consumption keeps completions in creation order per key.
    let o = run(r#"
        horizon = "30s"
        drain = true
        [topic]
        ack_timeout = "250ms"
        redelivery_backoff = { fixed = { delay = "50ms" } }
        [producers.p]
        arrival = { poisson = { rate_per_s = 20 } }
        keys = { uniform = { n = 3 } }
        [groups.g]
        workers = 4
        consumption = "key_ordered"
        failure_probability = 0.2
        service = { exponential = { mean = "100ms" } }
        "#);
    let g = &o.groups[0];
    assert_eq!(g.out_of_order, 0);
    assert_eq!(g.processed, o.topic.published);
    assert!(g.redeliveries > 0 && g.failures.ack_timeouts > 0);
}

#[test]
fn a_key_freed_by_a_purge_or_a_timeout_delivers_at_once() {
    // Key 0's poison message waits out a 30 s backoff when its producer
    // crashes at 5 s and the non-durable topic loses it: the message of
    // the same key queued behind it (2 s) goes at once, not never.
    let o = run(r#"
        horizon = "60s"
        drain = true
        [topic]
        durable = false
        redelivery_backoff = { fixed = { delay = "30s" } }
        [producers.a]
        keys = "single"
        arrival = { burst = { count = 1, at = "1s" } }
        poison = true
        crashes = [ { at = "5s", down = "1s" } ]
        [producers.b]
        keys = "single"
        arrival = { burst = { count = 1, at = "2s" } }
        [groups.g]
        workers = 2
        service = { constant = { value = "100ms" } }
        consumption = "key_ordered"
        "#);
    let g = &o.groups[0];
    assert_eq!((g.processed, g.dropped.lost), (1, 1));
    close(g.end_to_end.max_s, 3.1);
    // An ack timeout that dead-letters the first message (max 1 delivery)
    // frees its key at 1 s, though the zombie delivery runs on to 10 s.
    let o = run(r#"
        horizon = "30s"
        [topic]
        ack_timeout = "1s"
        max_deliveries = 1
        [producers.p]
        keys = "single"
        arrival = { burst = { count = 2, at = "0s", over = "200ms" } }
        [groups.g]
        workers = 2
        service = { constant = { value = "10s" } }
        consumption = "key_ordered"
        "#);
    let second = o
        .log
        .iter()
        .find(|e| e.kind == mqsim::model::sim::LogKind::Delivered && e.message == 1)
        .expect("the second message is delivered");
    assert_eq!(second.time_ns, 1_000_000_000);
}

#[test]
fn partition_lag_counts_messages_held_behind_their_key() {
    // Two keys at 20/s into key-ordered consumption of 5/s per key: the
    // backlog waits behind its key, and each partition's lag shows it.
    let o = run(r#"
        horizon = "20s"
        [topic]
        partitions = 2
        [producers.p]
        arrival = { constant = { rate_per_s = 20 } }
        keys = { uniform = { n = 2 } }
        [groups.g]
        workers = 4
        service = { constant = { value = "200ms" } }
        consumption = "key_ordered"
        "#);
    let g = &o.groups[0];
    assert_eq!(g.partitions.iter().map(|p| p.queued).sum::<u64>(), g.queued);
    for p in &g.partitions {
        // Half the backlog built over 20 s: the oldest waits about 10 s.
        assert!(p.queued > 50 && p.oldest_age_s > 8.0, "{p:?}");
    }
}
