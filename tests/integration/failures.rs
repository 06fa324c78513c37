//! Exact micro-scenarios for failure semantics: acks, redelivery,
//! dead-lettering, duplicates, idempotency, outages and producer faults.
//! Constant arrivals and service; the answers are computed by hand.

use crate::common;
use common::{close, run};
use mqsim::model::sim::LogKind;

/// One good producer (1 msg/s) and one poison message at 0.5 s, into one
/// worker taking 100 ms; `topic` adds delivery settings.
fn poison(topic: &str) -> String {
    format!(
        r#"
        horizon = "10s"
        [topic]
        redelivery_backoff = {{ fixed = {{ delay = "0s" }} }}
        {topic}
        [producers.good]
        arrival = {{ constant = {{ rate_per_s = 1 }} }}
        [producers.bad]
        arrival = {{ burst = {{ count = 1, at = "500ms" }} }}
        poison = true
        [groups.g]
        workers = 1
        service = {{ constant = {{ value = "100ms" }} }}
        "#
    )
}

#[test]
fn a_poison_message_without_a_dlq_stalls_its_worker_forever() {
    let o = run(&poison("dlq = false"));
    let g = &o.groups[0];
    // Requeued at the head, the poison is all the worker ever does after 0.5 s:
    // deliveries at 0.5, 0.6, ..., 9.9 s.
    assert_eq!(g.processed, 0);
    assert_eq!(g.deliveries, 95);
    assert_eq!((g.failures.failed, g.dead_lettered), (94, 0));
    // The nine good messages (1 s ... 9 s) wait behind it.
    assert_eq!(g.queued, 9);
}

#[test]
fn with_a_dlq_the_poison_is_dead_lettered_after_exactly_max_deliveries() {
    let o = run(&poison("max_deliveries = 3"));
    let g = &o.groups[0];
    assert_eq!((g.dead_lettered, g.processed), (1, 9));
    let dead = &g.dead_letters.samples[0];
    assert_eq!(
        (dead.deliveries, dead.failed, dead.reason.as_str()),
        (3, 3, "failed")
    );
    close(dead.created_s, 0.5);
    // Deliveries at 0.5, 0.6 and 0.7 s; the third fails at 0.8 s.
    close(dead.dead_lettered_s, 0.8);
    assert_eq!(g.dead_letters.by_reason["failed"], 1);
    close(g.dead_letters.mean_deliveries, 3.0);
}

#[test]
fn an_ack_timeout_shorter_than_processing_hands_the_message_out_again() {
    // One message, service 2.5 s, ack timeout 1 s, three workers:
    // delivery 1 at 0 s; at 1 s its ack times out and delivery 2 starts on
    // another worker (a duplicate delivery: the first still runs); at 2 s,
    // delivery 3; at 3 s delivery 3 times out with 3 deliveries made, and
    // the message is dead-lettered. Each delivery still finishes its work
    // (at 2.5, 3.5 and 4.5 s): three side effects, two of them duplicates.
    let o = run(r#"
        horizon = "1s"
        drain = true
        [topic]
        ack_timeout = "1s"
        max_deliveries = 3
        [producers.p]
        arrival = { burst = { count = 1 } }
        [groups.g]
        workers = 3
        service = { constant = { value = "2500ms" } }
    "#);
    let g = &o.groups[0];
    assert_eq!(
        (g.deliveries, g.redeliveries, g.duplicate_deliveries),
        (3, 2, 2)
    );
    assert_eq!(g.failures.ack_timeouts, 3);
    assert_eq!((g.dead_lettered, g.processed), (1, 0));
    assert_eq!((g.side_effects, g.duplicate_side_effects), (3, 2));
    assert_eq!(g.dead_letters.by_reason["ack_timeout"], 1);
    let effects: Vec<u64> = o
        .log
        .iter()
        .filter(|e| e.kind == LogKind::SideEffect)
        .map(|e| e.time_ns)
        .collect();
    assert_eq!(effects, [2_500_000_000, 3_500_000_000, 4_500_000_000]);
}

#[test]
fn an_outage_builds_a_backlog_of_rate_times_duration_that_drains_at_the_spare_capacity() {
    // 10 msg/s into 2 workers at 50 ms (40 msg/s of capacity); the group is
    // down from 10 s to 40 s. Backlog at 40 s: 10 · 30 = 300 messages. It
    // drains at 40 − 10 = 30 msg/s: empty 10 s later, at 50 s.
    let o = run(r#"
        horizon = "60s"
        sample_interval = "1s"
        [producers.p]
        arrival = { constant = { rate_per_s = 10 } }
        [groups.email]
        workers = 2
        service = { constant = { value = "50ms" } }
        outages = [ { start = "10s", end = "40s" } ]
    "#);
    let g = &o.groups[0];
    assert_eq!(g.max_depth, 300);
    assert_eq!(
        g.dropped.total(),
        0,
        "the queue holds the work: nothing is lost"
    );
    let depth = |t: f64| {
        o.series
            .iter()
            .find(|r| (r.time_s - t).abs() < 1e-9)
            .unwrap()
            .depth
    };
    assert_eq!(depth(39.0), 290);
    // Halfway through the drain: 300 − 30 · 5 = 150, within one message.
    assert!((149..=151).contains(&depth(45.0)), "{}", depth(45.0));
    assert!(
        depth(49.0) <= 31 && depth(51.0) == 0,
        "{} {}",
        depth(49.0),
        depth(51.0)
    );
    assert_eq!(
        o.series
            .iter()
            .find(|r| (r.time_s - 20.0).abs() < 1e-9)
            .unwrap()
            .workers_up,
        0
    );
}

/// One message at 0 s, service 1 s; an outage from 0.5 s to 1 s interrupts
/// the delivery after its side effect (crash between side effect and ack).
fn crash_after_side_effect(extra: &str) -> String {
    format!(
        r#"
        horizon = "1s"
        drain = true
        {extra}
        [producers.p]
        arrival = {{ burst = {{ count = 1 }} }}
        [groups.g]
        workers = 1
        service = {{ constant = {{ value = "1s" }} }}
        outages = [ {{ start = "500ms", end = "1s" }} ]
        crash_after_side_effect = 1.0
        "#
    )
}

#[test]
fn a_crash_between_side_effect_and_ack_duplicates_the_side_effect() {
    let o = run(&crash_after_side_effect(""));
    let g = &o.groups[0];
    // Redelivered at 1 s, processed at 2 s: the email went out twice.
    assert_eq!((g.processed, g.failures.crashed, g.deliveries), (1, 1, 2));
    assert_eq!(
        (
            g.side_effects,
            g.duplicate_side_effects,
            g.duplicate_deliveries
        ),
        (2, 1, 1)
    );
    close(o.end_s, 2.0);
}

#[test]
fn an_idempotent_consumer_suppresses_duplicates_inside_its_window_only() {
    let o = run(&crash_after_side_effect("").replace(
        "crash_after_side_effect = 1.0",
        "crash_after_side_effect = 1.0\ndedup_window = \"forever\"",
    ));
    let g = &o.groups[0];
    assert_eq!(
        (
            g.side_effects,
            g.duplicate_side_effects,
            g.suppressed_duplicates
        ),
        (1, 0, 1)
    );
    // A window of 1 s has passed by the redelivery's side effect (1.5 s after).
    let o = run(&crash_after_side_effect("").replace(
        "crash_after_side_effect = 1.0",
        "crash_after_side_effect = 1.0\ndedup_window = \"1s\"",
    ));
    let g = &o.groups[0];
    assert_eq!(
        (
            g.side_effects,
            g.duplicate_side_effects,
            g.suppressed_duplicates
        ),
        (2, 1, 0)
    );
}

#[test]
fn at_most_once_loses_what_a_crash_interrupts() {
    let o = run(&crash_after_side_effect(
        "[topic]\ndelivery = \"at_most_once\"",
    ));
    let g = &o.groups[0];
    assert_eq!(
        (g.processed, g.dropped.lost, g.deliveries, g.redeliveries),
        (0, 1, 1, 0)
    );
}

#[test]
fn refused_publishes_are_retried_with_backoff_until_exhausted() {
    // Five at once, capacity 1, one worker at 1 s; retries after 1 s, twice.
    // t=0: 0 in service, 1 ready, 2–4 refused. t=1: 2 gets the freed slot,
    // 3 and 4 refused again. t=2: 3 gets in, 4 has no retry left.
    let o = run(r#"
        horizon = "1s"
        drain = true
        [topic]
        capacity = 1
        [producers.p]
        arrival = { burst = { count = 5 } }
        retry = { attempts = 2, backoff = { fixed = { delay = "1s" } } }
        [groups.g]
        workers = 1
        service = { constant = { value = "1s" } }
    "#);
    let t = &o.topic;
    assert_eq!((t.retries, t.retries_exhausted, t.rejected), (5, 1, 0));
    assert_eq!(o.groups[0].processed, 4);
    assert_eq!(o.groups[0].dropped.retries_exhausted, 1);
    // Producer-visible latency includes the retries: message 3 waited 2 s.
    close(t.producer_latency.max_s, 2.0);
}

/// Every ack is lost; the producer retries once after 1 s.
fn lost_acks(idempotent: bool) -> String {
    format!(
        r#"
        horizon = "10s"
        drain = true
        [producers.p]
        arrival = {{ constant = {{ rate_per_s = 1 }} }}
        ack_loss = 1.0
        ack_timeout = "1s"
        idempotent = {idempotent}
        retry = {{ attempts = 1 }}
        [groups.g]
        workers = 1
        service = {{ constant = {{ value = "100ms" }} }}
        "#
    )
}

#[test]
fn a_lost_ack_makes_a_duplicate_publish_unless_the_producer_is_idempotent() {
    let o = run(&lost_acks(false));
    let (t, g) = (&o.topic, &o.groups[0]);
    // Nine messages (1 … 9 s), each published twice.
    assert_eq!(
        (t.created, t.published, t.duplicate_publishes, t.acks_lost),
        (9, 18, 9, 18)
    );
    assert_eq!(
        (g.processed, g.side_effects, g.duplicate_side_effects),
        (18, 18, 9)
    );
    assert_eq!(o.diagnostics.tracked, [0], "bookkeeping released");

    let o = run(&lost_acks(true));
    let (t, g) = (&o.topic, &o.groups[0]);
    assert_eq!(
        (t.published, t.duplicate_publishes, t.duplicates_suppressed),
        (9, 0, 9)
    );
    assert_eq!((g.processed, g.duplicate_side_effects), (9, 0));
    // The producer hears the ack of its retry: 1 s after sending.
    close(t.producer_latency.max_s, 1.0);
}

#[test]
fn a_producer_crash_loses_what_it_holds_and_nothing_the_topic_accepted() {
    // Block policy, capacity 1: at 0 s message 0 is in service, 1 is in the
    // topic, 2–4 wait in the producer. The producer crashes at 0.5 s.
    let o = run(r#"
        horizon = "1s"
        drain = true
        [topic]
        capacity = 1
        policy = "block"
        [producers.p]
        arrival = { burst = { count = 5 } }
        crashes = [ { at = "500ms", down = "1s" } ]
        [groups.g]
        workers = 1
        service = { constant = { value = "1s" } }
    "#);
    assert_eq!((o.topic.lost, o.groups[0].processed), (3, 2));
    assert_eq!(o.groups[0].dropped.lost, 3);
}

#[test]
fn ttl_can_dead_letter_instead_of_dropping() {
    let o = run(r#"
        horizon = "1s"
        drain = true
        [topic]
        ttl = "2500ms"
        ttl_action = "dead_letter"
        [producers.p]
        arrival = { burst = { count = 10 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "1s" } }
    "#);
    let g = &o.groups[0];
    assert_eq!((g.processed, g.dead_lettered, g.dropped.expired), (3, 7, 0));
    assert_eq!(g.dead_letters.by_reason["expired"], 7);
}

#[test]
fn exponential_redelivery_backoff_spaces_the_retries() {
    // The poison (id 0, at 0.5 s) with backoff 100 ms · 2ⁿ⁻¹:
    // delivered 0.5, fails 0.6, back at 0.7; delivered 0.7, fails 0.8, back
    // at 1.0, where the good message arriving at 1.0 s (scheduled earlier,
    // so first at that instant) takes the worker until 1.1; delivered 1.1,
    // fails 1.2, back at 1.6; delivered 1.6, fails 1.7: the 4th delivery,
    // so it is dead-lettered.
    let o = run(&poison(
        "max_deliveries = 4\nredelivery_backoff = { exponential = { initial = \"100ms\", max = \"1s\" } }",
    )
    .replace("redelivery_backoff = { fixed = { delay = \"0s\" } }\n", ""));
    let delivered: Vec<u64> = o
        .log
        .iter()
        .filter(|e| e.kind == LogKind::Delivered && e.message == 0)
        .map(|e| e.time_ns / 1_000_000)
        .collect();
    assert_eq!(delivered, [500, 700, 1100, 1600]);
    let dead = &o.groups[0].dead_letters.samples[0];
    assert_eq!((dead.deliveries, o.groups[0].dead_lettered), (4, 1));
    close(dead.dead_lettered_s, 1.7);
}

#[test]
fn a_buffer_inside_the_producer_dies_with_it() {
    // durable = false: the topic is an in-process queue. At 0.5 s, message
    // 0 is on the worker; 1–4 wait in the producer's memory and are lost.
    let o = run(r#"
        horizon = "1s"
        drain = true
        [topic]
        durable = false
        [producers.p]
        arrival = { burst = { count = 5 } }
        crashes = [ { at = "500ms", down = "1s" } ]
        [groups.g]
        workers = 1
        service = { constant = { value = "1s" } }
    "#);
    let g = &o.groups[0];
    assert_eq!((g.processed, g.dropped.lost, g.work_lost), (1, 4, 4));
    // The same crash with a broker loses nothing it had accepted.
    let o = run(r#"
        horizon = "1s"
        drain = true
        [producers.p]
        arrival = { burst = { count = 5 } }
        crashes = [ { at = "500ms", down = "1s" } ]
        [groups.g]
        workers = 1
        service = { constant = { value = "1s" } }
    "#);
    assert_eq!((o.groups[0].processed, o.groups[0].dropped.lost), (5, 0));
}

/// Regression (review): a delivery failing after 1 ns, redelivered at
/// once, crawled forward a nanosecond at a time for minutes. Time advances,
/// so it is not stuck (issue 9: a fast clock never is); the event budget
/// stops it, naming the events it loops on and their usual cause.
#[test]
fn a_loop_that_crawls_forward_in_nanoseconds_stops_at_the_event_budget() {
    let s = common::scenario(
        r#"
        horizon = "5s"
        limits = { max_events = 2000000 }
        [producers.p]
        arrival = { constant = { rate_per_s = 10 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "1ms" } }
        processing_timeout = "1ns"
    "#,
    );
    let err = mqsim::model::sim::Simulation::new(&s.system, 0, false)
        .run()
        .unwrap_err();
    assert!(
        matches!(err, mqsim::model::sim::RunError::TooManyEvents { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("deliveries finishing in group `g`")
            && message.contains("redelivery_backoff"),
        "{message}"
    );
}

/// Regression (review): delivery counts are 16-bit, so a larger
/// `max_deliveries` never triggered; and TTL dead-lettering ignored `dlq = false`.
#[test]
fn max_deliveries_is_bounded_and_ttl_without_a_dlq_drops() {
    let text = poison("max_deliveries = 70000");
    let err = mqsim::scenario::Scenario::from_text(
        &text,
        mqsim::scenario::Format::Toml,
        "m.toml".as_ref(),
        &[],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("max_deliveries: must be between 1 and 65535 (got 70000)"),
        "{err}"
    );
    let o = run(r#"
        horizon = "1s"
        drain = true
        [topic]
        ttl = "2500ms"
        ttl_action = "dead_letter"
        dlq = false
        [producers.p]
        arrival = { burst = { count = 10 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "1s" } }
    "#);
    let g = &o.groups[0];
    assert_eq!((g.processed, g.dead_lettered, g.dropped.expired), (3, 0, 7));
}

#[test]
fn a_purged_redelivery_does_not_fire_for_the_message_reusing_its_slot() {
    // Message 0 waits out a 30 s backoff when its producer crashes at 5 s
    // (non-durable topic: lost). Message 1 fails at 6.1 s and takes the
    // freed slot: its own redelivery is at 36.1 s, not at 31.1 s (message
    // 0's old event).
    let o = run(r#"
        horizon = "60s"
        [topic]
        durable = false
        redelivery_backoff = { fixed = { delay = "30s" } }
        max_deliveries = 2
        [producers.a]
        arrival = { burst = { count = 1, at = "1s" } }
        poison = true
        crashes = [ { at = "5s", down = "1s" } ]
        [producers.b]
        arrival = { burst = { count = 1, at = "6s" } }
        poison = true
        [groups.g]
        workers = 2
        service = { constant = { value = "100ms" } }
        "#);
    let dead = &o.groups[0].dead_letters.samples[0];
    assert_eq!(dead.message, 1);
    close(dead.dead_lettered_s, 36.2);
}
