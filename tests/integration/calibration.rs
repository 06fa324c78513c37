//! What brokers add that the service does not (issue 14): the hand-off
//! from accepted to deliverable, and prefetch.

use crate::common;
use common::{close, logged, run};
use mqsim::model::sim::LogKind;

/// A burst of `count` messages at t = 0 into one worker taking 1 s each,
/// behind a topic with `topic` settings.
fn burst(count: u32, topic: &str) -> String {
    format!(
        r#"
        horizon = "1s"
        drain = true
        sample_interval = "500ms"
        [topic]
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
fn a_hand_off_delays_delivery_and_counts_in_the_depth() {
    let o = run(&burst(
        3,
        r#"handoff_latency = { constant = { value = "2s" } }"#,
    ));
    let g = &o.groups[0];
    assert_eq!(g.processed, 3);
    // All three are queued (in hand-off) from 0 s; they land at 2 s and
    // are served back to back: waits 2, 3 and 4 s, done at 3, 4 and 5 s.
    assert_eq!(g.max_depth, 3);
    close(g.queue_wait.mean_s, 3.0);
    close(g.queue_wait.max_s, 4.0);
    close(o.end_s, 5.0);
    // Little's law holds with the hand-off counted: the three spend 3, 4
    // and 5 s in the system over the 5 s, L = 12/5 = 2.4 = λW = (3/5)·4.
    close(g.littles_law.l, 2.4);
    close(g.littles_law.lambda_per_s * g.littles_law.w_s, 2.4);
}

#[test]
fn a_copy_in_hand_off_holds_its_room_in_the_buffer() {
    let o = run(&burst(
        5,
        r#"capacity = 2
        handoff_latency = { constant = { value = "2s" } }"#,
    ));
    // Two fit while in hand-off; the other three find no room.
    assert_eq!((o.groups[0].processed, o.topic.rejected), (2, 3));
    assert_eq!(logged(&o, LogKind::Rejected), [2, 3, 4]);
}

#[test]
fn a_drawn_hand_off_keeps_the_order_of_acceptance() {
    let o = run(&burst(
        50,
        r#"handoff_latency = { exponential = { mean = "1s" } }"#,
    ));
    let delivered = logged(&o, LogKind::Delivered);
    assert_eq!(delivered, (0..50).collect::<Vec<u64>>());
    // The last lands after the longest of fifty draws (mean 1 s), not at
    // once: the first delivery waited for a draw, and so did the rest.
    assert!(o.groups[0].queue_wait.max_s > 49.0);
}

#[test]
fn a_hand_off_refuses_a_topic_with_no_room() {
    let err = mqsim::scenario::Scenario::from_text(
        &burst(
            1,
            "capacity = 0\nhandoff_latency = { constant = { value = \"1s\" } }",
        ),
        mqsim::scenario::Format::Toml,
        std::path::Path::new("t.toml"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("topic.handoff_latency"), "{err}");
    assert!(err.contains("capacity is 0"), "{err}");
}
