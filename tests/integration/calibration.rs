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

/// A burst of `count` messages at t = 0 into one worker taking 1 s each,
/// with `group` settings added to the worker's group.
fn burst_into(count: u32, group: &str) -> String {
    format!(
        r#"
        horizon = "1s"
        drain = true
        sample_interval = "500ms"
        [producers.p]
        arrival = {{ burst = {{ count = {count} }} }}
        [groups.g]
        workers = 1
        service = {{ constant = {{ value = "1s" }} }}
        {group}
        "#
    )
}

#[test]
fn a_held_message_skips_the_round_trip_to_the_broker() {
    let fetch = r#"fetch_overhead = { constant = { value = "500ms" } }"#;
    // Prefetch 1: each of four deliveries pays the round trip: 4 × 1.5 s.
    let one = run(&burst_into(4, fetch));
    close(one.end_s, 6.0);
    // Prefetch 2 (pushed): the first is fetched; each later one was held
    // while the one before it ran (the broker sends the next as the
    // worker takes one): 1.5 + 3 × 1 s.
    let two = run(&burst_into(4, &format!("{fetch}\nprefetch = 2")));
    close(two.end_s, 4.5);
    assert_eq!(two.groups[0].processed, 4);
}

#[test]
fn held_messages_are_in_flight_not_queued() {
    // One worker with prefetch 4: of ten, one runs and three are held,
    // so six wait in the broker at most (nine without prefetch).
    let o = run(&burst_into(10, "prefetch = 4"));
    let g = &o.groups[0];
    assert_eq!(g.max_depth, 6);
    assert_eq!(g.processed, 10);
    // The broker's wait ends at the hand-over: m1..m3 left at once.
    let first_four: u64 = 4;
    assert!(o.series.iter().any(|r| r.in_flight == first_four));
    close(g.end_to_end.max_s, 10.0);
}

#[test]
fn a_poller_with_prefetch_takes_a_batch_per_poll() {
    // One poller (its first poll at 1 s) fetching up to 3: m0–m2 at 1 s,
    // then m3–m4 when it has run them (at 4 s, with no poll in between).
    // The round trip is paid once per fetch: done at 1 + 0.25 + 3 = 4.25
    // and 4.25 + 0.25 + 2 = 6.5 s.
    let o = run(&burst_into(
        5,
        r#"poll_interval = "1s"
        prefetch = 3
        fetch_overhead = { constant = { value = "250ms" } }"#,
    ));
    let g = &o.groups[0];
    close(o.end_s, 6.5);
    // Broker waits: 1, 1, 1 and 4.25, 4.25 s.
    close(g.queue_wait.mean_s, (3.0 + 2.0 * 4.25) / 5.0);
}

#[test]
fn an_outage_returns_what_workers_held() {
    // At 0.5 s the group goes down for 1 s: the delivery in progress and
    // the three held are interrupted and delivered again after it.
    let o = run(&burst_into(
        4,
        r#"prefetch = 4
        outages = [{ start = "500ms", end = "1500ms" }]"#,
    ));
    let g = &o.groups[0];
    assert_eq!(g.processed, 4);
    assert_eq!(g.redeliveries, 4);
    close(o.end_s, 1.5 + 4.0);
}

#[test]
fn one_worker_with_prefetch_is_still_m_m_1_end_to_end() {
    // With one worker, prefetch moves the wait from the broker to the
    // worker but keeps the order: W = 1/(μ − λ) = 5 s. 20 replications.
    let outs = mqsim::experiment::Experiment::run(&common::scenario(
        r#"
        seed = 97
        horizon = "40000s"
        warmup = "2000s"
        replications = 20
        sample_interval = "1000s"
        [producers.web]
        arrival = { poisson = { rate_per_s = 0.8 } }
        [groups.s]
        workers = 1
        prefetch = 5
        service = { exponential = { mean = "1s" } }
        "#,
    ))
    .unwrap()
    .outcomes;
    let values: Vec<f64> = outs.iter().map(|o| o.groups[0].end_to_end.mean_s).collect();
    let ci = mqsim::stats::ConfidenceInterval::of(&values, 0.999);
    eprintln!(
        "M/M/1 with prefetch 5: W {:.5} ± {:.5}",
        ci.mean, ci.half_width
    );
    assert!((ci.mean - 5.0).abs() <= ci.half_width, "{ci:?}");
    assert!(ci.half_width < 0.05 * 5.0);
}

#[test]
fn prefetch_is_refused_where_it_would_break_an_order() {
    for consumption in ["partitioned", "key_ordered"] {
        let text = format!(
            "horizon = \"10s\"\n[topic]\npartitions = 2\n[producers.p]\narrival = {{ poisson = {{ rate_per_s = 1 }} }}\n\
             [groups.g]\nworkers = 1\nconsumption = \"{consumption}\"\nprefetch = 2\n\
             service = {{ constant = {{ value = \"1s\" }} }}\n"
        );
        let err = mqsim::scenario::Scenario::from_text(
            &text,
            mqsim::scenario::Format::Toml,
            std::path::Path::new("t.toml"),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("groups.g.prefetch"), "{err}");
        assert!(err.contains("competing consumers"), "{err}");
    }
}

/// The per-message log of a run written as the delivery log `mqsim fit`
/// reads (no worker column: the log does not say which worker).
fn delivery_log(o: &mqsim::model::sim::RunOutcome) -> String {
    let mut created = std::collections::BTreeMap::new();
    let mut delivered = std::collections::BTreeMap::new();
    let mut csv = String::from("id,created,delivered,done,outcome\n");
    for e in &o.log {
        let t = e.time_ns as f64 / 1e9;
        match e.kind {
            LogKind::Published => {
                created.insert(e.message, t);
            }
            LogKind::Delivered => {
                delivered.insert(e.message, t);
            }
            LogKind::Processed => {
                let (c, d) = (created[&e.message], delivered[&e.message]);
                csv.push_str(&format!("m{},{c:.9},{d:.9},{t:.9},ack\n", e.message));
            }
            _ => {}
        }
    }
    csv
}

const TWO_WORKERS: &str = r#"
    seed = 5
    horizon = "2000s"
    drain = true
    sample_interval = "100s"
    [topic]
    HANDOFF
    [producers.p]
    arrival = { poisson = { rate_per_s = 1.6 } }
    [groups.g]
    workers = 2
    service = { exponential = { mean = "1s" } }
"#;

#[test]
fn fit_recovers_what_a_simulated_system_did() {
    let o = run(&TWO_WORKERS.replace("HANDOFF", ""));
    let dir = std::env::temp_dir().join(format!("mqsim-fit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log.csv");
    std::fs::write(&log, delivery_log(&o)).unwrap();
    let fit = mqsim::fit::Fit::of(&mqsim::fit::read_log(&log).unwrap());
    assert_eq!(fit.messages, o.groups[0].processed);
    assert_eq!(fit.workers, 2);
    // The service samples are the run's own draws: mean 1 s, within four
    // standard errors of ~3,200 exponential draws.
    let n = fit.service.len() as f64;
    let mean = fit.service.iter().sum::<f64>() / n;
    assert!((mean - 1.0).abs() < 4.0 / n.sqrt(), "service mean {mean}");
    assert!((fit.rate_per_s - 1.6).abs() < 4.0 * (1.6 / 2000.0f64).sqrt());
    // Pushed at once: a message that found a worker free waited nothing.
    assert!(fit.handoff.len() > 100);
    assert!(
        fit.handoff.iter().all(|&w| w < 1e-8),
        "{:?}",
        &fit.handoff[..5]
    );

    // The fitted scenario runs as written, from its own folder.
    let out = dir.join("fitted");
    let bin = env!("CARGO_BIN_EXE_mqsim");
    let status = |args: &[&str]| std::process::Command::new(bin).args(args).output().unwrap();
    let fitted = status(&["fit", log.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(
        fitted.status.success(),
        "{}",
        String::from_utf8_lossy(&fitted.stderr)
    );
    let scenario = out.join("fitted.toml");
    let ran = status(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        dir.join("run").to_str().unwrap(),
        "--json",
    ]);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    let processed = &summary["metrics"]["groups.consumers.processed"]["mean"];
    assert_eq!(processed.as_f64(), Some(fit.messages as f64), "{summary:#}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fit_measures_a_hand_off() {
    let o = run(&TWO_WORKERS.replace(
        "HANDOFF",
        r#"handoff_latency = { constant = { value = "50ms" } }"#,
    ));
    let dir = std::env::temp_dir().join(format!("mqsim-fit-h-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log.csv");
    std::fs::write(&log, delivery_log(&o)).unwrap();
    let fit = mqsim::fit::Fit::of(&mqsim::fit::read_log(&log).unwrap());
    // Every message that found a worker free and nothing waiting or in
    // hand-off waited exactly the hand-off.
    assert!(fit.handoff.len() > 100);
    for w in &fit.handoff {
        assert!((w - 0.05).abs() < 1e-8, "{w}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fit_refuses_a_bad_log_with_its_line_and_status_2() {
    let dir = std::env::temp_dir().join(format!("mqsim-fit-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("bad.csv");
    std::fs::write(
        &log,
        "id,created,delivered,done,outcome\na,0,1,2,ack\nb,1,2,3,nack\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mqsim"))
        .args([
            "fit",
            log.to_str().unwrap(),
            "--out",
            dir.join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3: column \"outcome\": expected ack, fail or dead (got \"nack\")"),
        "{err}"
    );
    assert!(!dir.join("o").exists(), "nothing written for a bad log");
    let _ = std::fs::remove_dir_all(&dir);
}
