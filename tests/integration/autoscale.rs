//! Autoscaling, exactly: constant service times and bursts make every
//! evaluation's backlog, every decision and every worker's start known by
//! hand.

use crate::common;
use common::{run, scenario};
use mqsim::model::sim::{RunOutcome, SeriesRow};

/// The time-series row at `t` seconds of the only group.
fn row(o: &RunOutcome, t: f64) -> &SeriesRow {
    o.series
        .iter()
        .find(|r| (r.time_s - t).abs() < 1e-9)
        .unwrap_or_else(|| panic!("no row at {t}s"))
}

/// 1,000 messages at 1 s into one worker taking 1 s each; the group scales
/// on 10 messages of backlog per worker, up to 100.
fn burst(autoscale: &str) -> String {
    format!(
        r#"
        horizon = "400s"
        sample_interval = "5s"
        [producers.p]
        arrival = {{ burst = {{ count = 1000, at = "1s" }} }}
        [groups.g]
        workers = 1
        service = {{ constant = {{ value = "1s" }} }}
        autoscale = {{ min = 1, max = 100, target_backlog_per_worker = 10, {autoscale} }}
        "#
    )
}

#[test]
fn scales_up_to_the_backlog_and_down_only_after_the_stabilisation_window() {
    let o = run(&burst("reaction_delay = \"0s\""));
    let g = &o.groups[0];
    // At the first evaluation (15 s) one worker has served 14 messages:
    // 986 are left, so ceil(98.6) = 99 workers, started at once.
    assert_eq!(row(&o, 10.0).workers_up, 1);
    assert_eq!(row(&o, 15.0).workers_up, 99);
    // They clear the backlog within seconds; the recommendation falls to 1
    // at 30 s, but the 99 of 15 s stays in the 300 s window until 330 s.
    assert_eq!(row(&o, 325.0).workers_up, 99);
    assert_eq!(row(&o, 330.0).workers_up, 1);
    assert_eq!((g.scale_ups, g.scale_downs, g.workers_max), (1, 1, 99));
    assert_eq!(g.processed, 1000);
    // Paid for: 1 worker for 15 s, 99 for 315 s, 1 for 70 s.
    let worker_seconds = 15.0 + 99.0 * 315.0 + 70.0;
    assert!((g.workers_mean * 400.0 - worker_seconds).abs() < 1e-6);
}

#[test]
fn reaction_and_start_up_delays_add_up_before_new_workers_take_messages() {
    let o = run(&burst(
        "reaction_delay = \"30s\", startup_delay = \"45s\", cooldown = \"10m\"",
    ));
    // Decided at 15 s, requested at 45 s, serving at 90 s. In between the
    // new workers are paid for (starting) but take nothing.
    assert_eq!(row(&o, 40.0).workers, 1);
    assert_eq!(row(&o, 50.0).workers, 99);
    assert_eq!(row(&o, 85.0).workers_up, 1);
    assert_eq!(row(&o, 90.0).workers_up, 99);
    // Later evaluations (30 s, 45 s, 60 s, 75 s) still see a backlog the
    // single worker barely dents, but 99 members are already counted.
    let g = &o.groups[0];
    assert_eq!(g.processed, 1000);
    assert_eq!(g.scale_downs, 0, "the 10 minute window outlasts the run");
    // Until then the one original worker served a message a second: 88 by
    // the row at 90 s (its 89th completes at 90 s, after the row).
    let at_90 = row(&o, 90.0);
    assert_eq!(at_90.depth + at_90.in_flight, 1000 - 88);
}

#[test]
fn a_busy_worker_scaled_away_finishes_its_delivery_first() {
    // Four deliveries of 30 s from 1 s; at 10 s the backlog (4 in flight)
    // wants one worker, and with no stabilisation window three leave.
    let o = run(r#"
        horizon = "60s"
        sample_interval = "5s"
        [producers.p]
        arrival = { burst = { count = 4, at = "1s" } }
        [groups.g]
        workers = 4
        service = { constant = { value = "30s" } }
        autoscale = { min = 1, max = 4, target_backlog_per_worker = 100, evaluation_period = "10s", cooldown = "0s" }
        "#);
    let g = &o.groups[0];
    // Leaving, they are still up and paid for until their deliveries end at 31 s.
    assert_eq!((row(&o, 15.0).workers_up, row(&o, 15.0).workers), (4, 4));
    assert_eq!((row(&o, 35.0).workers_up, row(&o, 35.0).workers), (1, 1));
    assert_eq!(g.processed, 4);
    assert_eq!((g.failures.crashed, g.redeliveries), (0, 0));
    assert_eq!(g.scale_downs, 1);
}

#[test]
fn utilisation_target_scales_like_the_hpa() {
    // 8 workers all busy (constant 1 s service, 20 msg/s offered) against a
    // 50% target: each evaluation asks for busy / 0.5 = twice the workers up.
    let o = run(r#"
        horizon = "40s"
        sample_interval = "5s"
        [producers.p]
        arrival = { constant = { rate_per_s = 20 } }
        [groups.g]
        workers = 2
        service = { constant = { value = "1s" } }
        autoscale = { min = 1, max = 8, target_utilisation = 0.5, evaluation_period = "10s" }
        "#);
    // 2 busy → 4 at 10 s; 4 busy → 8 at 20 s; then capped at the maximum.
    assert_eq!(row(&o, 5.0).workers_up, 2);
    assert_eq!(row(&o, 10.0).workers_up, 4);
    assert_eq!(row(&o, 20.0).workers_up, 8);
    assert_eq!(row(&o, 40.0).workers_up, 8);
    let g = &o.groups[0];
    assert_eq!((g.scale_ups, g.workers_max), (2, 8));
    // Utilisation is measured against the workers up, so it stays near 1.
    assert!(g.utilisation > 0.99, "{}", g.utilisation);
}

#[test]
fn partitioned_groups_rebalance_as_they_scale_and_keep_order() {
    let o = run(r#"
        horizon = "120s"
        drain = true
        sample_interval = "5s"
        [topic]
        partitions = 8
        [producers.p]
        arrival = { constant = { rate_per_s = 20 } }
        keys = { uniform = { n = 64 } }
        [groups.g]
        workers = 1
        consumption = "partitioned"
        rebalance_pause = "2s"
        service = { constant = { value = "200ms" } }
        autoscale = { min = 1, max = 8, target_backlog_per_worker = 5, evaluation_period = "10s", cooldown = "30s" }
        "#);
    let g = &o.groups[0];
    assert!(
        g.scale_ups >= 1,
        "one worker cannot keep up with 20/s at 200 ms"
    );
    assert!(g.rebalances >= g.scale_ups, "{} rebalances", g.rebalances);
    assert_eq!(
        g.out_of_order, 0,
        "partitions keep per-key order across rebalances"
    );
    assert_eq!(g.processed, o.topic.published);
    assert!(g.workers_max > 1 && g.workers_max <= 8);
}

#[test]
fn crashes_while_scaling_keep_workers_within_bounds_and_the_census_exact() {
    // Crashes every ~5 s with 3 s repairs while the group scales: every
    // count stays in bounds, and `run` fails if conservation or the worker
    // census (checked against a recount at the end) is off.
    let o = run(r#"
        horizon = "200s"
        sample_interval = "1s"
        [producers.p]
        arrival = { schedule = { steps = [ { at = "0s", rate_per_s = 5 }, { at = "50s", rate_per_s = 60 }, { at = "100s", rate_per_s = 5 } ] } }
        [groups.g]
        workers = 2
        service = { exponential = { mean = "100ms" } }
        crash = { mtbf = { exponential = { mean = "5s" } }, mttr = { constant = { value = "3s" } } }
        autoscale = { min = 2, max = 12, target_utilisation = 0.6, evaluation_period = "5s", startup_delay = "2s", cooldown = "20s" }
        "#);
    let g = &o.groups[0];
    assert!(g.scale_ups >= 1 && g.scale_downs >= 1);
    for r in &o.series {
        assert!(r.workers_up <= r.workers && r.workers <= 12, "{r:?}");
    }
    assert!(g.failures.crashed > 0);
}

#[test]
fn sync_mode_scales_the_downstream_too() {
    let s = scenario(
        r#"
        mode = "sync"
        horizon = "120s"
        sample_interval = "5s"
        [sync]
        timeout = "5s"
        [producers.p]
        arrival = { constant = { rate_per_s = 40 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "100ms" } }
        autoscale = { min = 1, max = 10, target_backlog_per_worker = 2, evaluation_period = "10s", startup_delay = "10s" }
        "#,
    );
    let o = mqsim::model::run_replication(&s.system, 0, true).unwrap();
    let g = &o.groups[0];
    // 40 requests/s need 4 workers of 10/s; one alone falls behind and its
    // queue makes callers time out until help arrives.
    assert!(g.scale_ups >= 1);
    assert!(g.workers_max >= 4);
    let last = o.series.last().unwrap();
    assert!(last.workers_up >= 4, "{last:?}");
    assert!(o.topic.caller_timeouts > 0);
}

/// Runs replication 0 of a shipped scenario, with `overrides` (`path=value`).
fn shipped(file: &str, overrides: &[&str]) -> RunOutcome {
    let overrides: Vec<mqsim::scenario::Override> = overrides
        .iter()
        .map(|o| mqsim::scenario::Override::parse(o).unwrap())
        .collect();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let s = mqsim::scenario::Scenario::load(&path, &overrides).unwrap_or_else(|e| panic!("{e}"));
    mqsim::model::run_replication(&s.system, 0, false).unwrap_or_else(|e| panic!("{e}"))
}

/// The header of `scenarios/autoscale-vs-queue.toml`: a queue wins short
/// bursts, autoscaling that reacts in 75-90 s wins long ones, and both
/// together win both.
#[test]
fn autoscale_vs_queue_holds_its_stated_answer() {
    const QUEUE: &str = "scenarios/autoscale-vs-queue.toml";
    const HPA: &str = "scenarios/autoscale-vs-queue-hpa.toml";
    const LONG: &str = "producers.shop.arrival.schedule.steps[2].at=\"25m\"";
    let error_share = |o: &RunOutcome| o.topic.caller_errors as f64 / o.topic.created as f64;
    let e2e = |o: &RunOutcome| o.groups[0].end_to_end;

    // A 1-minute burst: the queue loses nothing and delays by about a
    // minute at worst; direct calls lose the burst's excess.
    let (queue, hpa) = (shipped(QUEUE, &[]), shipped(HPA, &[]));
    assert_eq!(error_share(&queue), 0.0);
    assert!(e2e(&queue).max_s < 90.0, "{:?}", e2e(&queue));
    let short_errors = hpa.topic.caller_errors;
    // The burst brings 60 s × 300/s = 18,000 requests beyond the 30
    // workers' 300/s; a downstream where at most 100 wait refuses them.
    assert!((15_000..=21_000).contains(&short_errors), "{short_errors}");
    assert!(hpa.groups[0].workers_mean > queue.groups[0].workers_mean * 1.5);

    // A 20-minute burst: the queue's fixed pool falls far behind; direct
    // calls fail only while the autoscaler reacts, then keep up.
    let (queue, hpa) = (shipped(QUEUE, &[LONG]), shipped(HPA, &[LONG]));
    assert_eq!(error_share(&queue), 0.0);
    assert!(e2e(&queue).p50_s > 300.0, "{:?}", e2e(&queue));
    assert!(e2e(&hpa).p50_s < 0.2, "{:?}", e2e(&hpa));
    assert!(
        hpa.topic.caller_errors < 2 * short_errors,
        "errors do not grow with the burst: {} vs {short_errors}",
        hpa.topic.caller_errors
    );

    // Both: the queue in front of autoscaled consumers.
    let both = shipped(
        QUEUE,
        &[
            LONG,
            "groups.fulfilment.autoscale={min=30,max=120,target_backlog_per_worker=1,reaction_delay=\"30s\",startup_delay=\"45s\"}",
        ],
    );
    assert_eq!(error_share(&both), 0.0);
    assert!(e2e(&both).p99_s < 60.0, "{:?}", e2e(&both));
}

#[test]
fn a_scale_down_decided_in_a_lull_is_dropped_when_the_load_returns() {
    // 200/s, nothing from 120 s, 200/s again from 200 s. Decisions take
    // 60 s to apply: the lull's scale-downs (decided up to 210 s) must not
    // strip the group once evaluations see the backlog again.
    let o = run(r#"
        horizon = "8m"
        sample_interval = "5s"
        [producers.p]
        arrival = { schedule = { steps = [ { at = "0s", rate_per_s = 200 }, { at = "120s", rate_per_s = 0 }, { at = "200s", rate_per_s = 200 } ] } }
        [groups.g]
        workers = 30
        service = { constant = { value = "100ms" } }
        autoscale = { min = 1, max = 40, target_backlog_per_worker = 1, evaluation_period = "15s", reaction_delay = "60s", startup_delay = "30s", cooldown = "30s" }
        "#);
    let fewest = o
        .series
        .iter()
        .filter(|r| (200.0..=300.0).contains(&r.time_s))
        .map(|r| r.workers)
        .min()
        .unwrap();
    assert!(
        fewest >= 15,
        "dropped to {fewest} workers while the backlog grew"
    );
    // Counted are changes that happened, not decisions.
    let g = &o.groups[0];
    assert!(g.scale_ups >= 1 && g.scale_downs >= 1);
    assert!(
        g.scale_ups + g.scale_downs <= 8,
        "{} + {}",
        g.scale_ups,
        g.scale_downs
    );
}
