//! The shipped scenarios answer their questions as their headers and the
//! README say (full horizons, fixed seeds).

use mqsim::experiment::Experiment;
use mqsim::scenario::{Override, Scenario};
use std::path::Path;

fn run(file: &str, sets: &[&str]) -> Experiment {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let scenario = Scenario::load(Path::new(file), &overrides).unwrap_or_else(|e| panic!("{e}"));
    Experiment::run(&scenario).unwrap_or_else(|e| panic!("{e}"))
}

fn mean(e: &Experiment, name: &str) -> f64 {
    e.metric(name)
        .unwrap_or_else(|| panic!("no metric {name}"))
        .ci
        .mean
}

#[test]
fn signup_email_outage_holds_the_work_and_drains_in_about_twelve_minutes() {
    let e = run("scenarios/signup-email-outage.toml", &[]);
    assert_eq!(mean(&e, "groups.email.dropped"), 0.0, "nothing is lost");
    assert_eq!(mean(&e, "groups.email.queued"), 0.0, "drained by the end");
    // 2/s for an hour: about 7,200 (± 4.5 Poisson standard deviations).
    let peak = mean(&e, "groups.email.max_depth");
    assert!((peak - 7200.0).abs() < 4.5 * 7200f64.sqrt(), "{peak}");
    // Empty again between 10 and 15 minutes after the outage ends.
    let series = &e.outcomes[0].series;
    let empty = series
        .iter()
        .find(|r| r.time_s > 7200.0 && r.depth == 0)
        .unwrap()
        .time_s;
    assert!((7800.0..8100.0).contains(&empty), "{empty}");
}

#[test]
fn poison_message_is_harmless_with_a_dlq_and_jams_without_one() {
    let with = run("scenarios/poison-message.toml", &[]);
    assert_eq!(mean(&with, "groups.fulfilment.dead_lettered"), 1.0);
    assert!(mean(&with, "groups.fulfilment.queued") < 50.0);
    let o = &with.outcomes[0].groups[0];
    assert_eq!(o.dead_letters.samples[0].deliveries, 5);

    let without = run("scenarios/poison-message.toml", &["topic.dlq=false"]);
    assert_eq!(mean(&without, "groups.fulfilment.dead_lettered"), 0.0);
    // One of two workers is lost to the poison for good: the backlog grows
    // by about 50 − 33 = 17 messages a second after 60 s.
    let queued = mean(&without, "groups.fulfilment.queued");
    assert!((7000.0..11000.0).contains(&queued), "{queued}");
    let late: Vec<_> = without.outcomes[0]
        .series
        .iter()
        .filter(|r| r.time_s >= 300.0)
        .collect();
    let completed = late.iter().map(|r| r.completed_per_s).sum::<f64>() / late.len() as f64;
    let redelivered = late.iter().map(|r| r.redelivered_per_s).sum::<f64>() / late.len() as f64;
    assert!(
        (30.0..37.0).contains(&completed) && (28.0..37.0).contains(&redelivered),
        "{completed} {redelivered}"
    );
}

#[test]
fn crashes_duplicate_charges_and_idempotency_removes_them() {
    let plain = run("scenarios/at-least-once-duplicates.toml", &[]);
    let duplicates = mean(&plain, "groups.charge.duplicate_side_effects");
    assert!(duplicates > 10.0, "{duplicates}");
    assert_eq!(mean(&plain, "groups.charge.dropped"), 0.0);
    let idempotent = run(
        "scenarios/at-least-once-duplicates.toml",
        &["groups.charge.dedup_window=\"1h\""],
    );
    assert_eq!(
        mean(&idempotent, "groups.charge.duplicate_side_effects"),
        0.0
    );
    // Same seeds, same crashes: what the dedup store caught is what got through before.
    assert_eq!(
        mean(&idempotent, "groups.charge.suppressed_duplicates"),
        duplicates
    );
}

#[test]
fn a_flaky_downstream_fails_a_tenth_of_sync_signups_and_no_queued_one() {
    let queued = run("scenarios/signup-sync-vs-queued.toml", &[]);
    let sync = run("scenarios/signup-sync-vs-queued.toml", &["mode=\"sync\""]);
    assert_eq!(mean(&queued, "topic.caller_errors"), 0.0);
    assert_eq!(mean(&queued, "groups.email.work_lost"), 0.0);
    // Down 6 minutes an hour: about 10% of sync requests fail.
    let share = mean(&sync, "topic.caller_error_share");
    assert!((0.08..0.12).contains(&share), "{share}");
    // Same seed, same arrivals.
    assert_eq!(mean(&queued, "topic.created"), mean(&sync, "topic.created"));
}

#[test]
fn a_spike_makes_sync_callers_fail_while_the_queue_only_delays() {
    let queued = run("scenarios/spike-10x.toml", &[]);
    let sync = run("scenarios/spike-10x.toml", &["mode=\"sync\""]);
    assert_eq!(mean(&queued, "topic.caller_errors"), 0.0);
    assert_eq!(mean(&queued, "groups.fulfilment.queued"), 0.0, "drained");
    // The backlog: (1000 − 300)/s for 15 minutes, about 630,000.
    let peak = mean(&queued, "groups.fulfilment.max_depth");
    assert!((600_000.0..660_000.0).contains(&peak), "{peak}");
    assert!(mean(&queued, "groups.fulfilment.e2e.p99_s") > 600.0);
    // Called directly by a downstream where at most 100 wait: the
    // spike's excess is refused, about 630,000 of 1.53 M, and no answer
    // goes to a caller who left.
    let errors = mean(&sync, "topic.caller_errors");
    assert!((600_000.0..660_000.0).contains(&errors), "{errors}");
    assert_eq!(mean(&sync, "topic.wasted"), 0.0);
}

#[test]
fn a_retry_storm_is_stopped_by_a_breaker_not_by_a_budget() {
    let calls = |file: &str| run(file, &[]);
    let m = |e: &Experiment, f: &str| mean(e, &format!("calls.shop.fulfilment.{f}"));
    let retries = calls("scenarios/retry-storm.toml");
    let budget = calls("scenarios/retry-storm-budget.toml");
    let breaker = calls("scenarios/retry-storm-breaker.toml");
    let requests = m(&retries, "requests");
    // Retries: about four attempts a request, most answered too late.
    assert!(m(&retries, "attempts") > 3.5 * requests);
    assert!(m(&retries, "wasted") > 3.0 * requests);
    // The budget stops the retries, not the failures.
    // (at most the retries of the first failures, while tokens last).
    assert!(m(&budget, "attempts") - requests <= 10.0);
    assert!(m(&budget, "error_rate") > 0.9);
    // The breaker fails fast and lets more through.
    assert!(m(&breaker, "short_circuited") > 0.5 * requests);
    assert!(m(&breaker, "succeeded") > 4.0 * m(&retries, "succeeded"));
}

#[test]
fn hedging_at_the_p95_halves_the_p99_for_five_percent_more_attempts() {
    let off = run("scenarios/hedging-off.toml", &[]);
    let on = run("scenarios/hedging.toml", &[]);
    let m = |e: &Experiment, f: &str| mean(e, &format!("calls.web.search.{f}"));
    assert!(m(&on, "latency.p99_s") < 0.6 * m(&off, "latency.p99_s"));
    let extra = m(&on, "hedges") / m(&on, "requests");
    assert!((0.04..0.06).contains(&extra), "{extra}");
}

#[test]
fn a_brownout_fails_a_few_direct_calls_a_tight_breaker_many_and_a_queue_none() {
    let errors = |file: &str| mean(&run(file, &[]), "calls.shop.checkout.errors");
    let direct = errors("scenarios/brownout.toml");
    assert!(
        (100.0..600.0).contains(&direct),
        "about 1% of 30,000: {direct}"
    );
    assert!(errors("scenarios/brownout-breaker.toml") > 50.0 * direct);
    assert_eq!(errors("scenarios/brownout-queued.toml"), 0.0);
}

#[test]
fn under_overload_codel_fails_fast_where_fifo_serves_callers_who_left() {
    let file = "scenarios/overload-shedding.toml";
    let discipline = |d: &str| format!("groups.api.accept_queue.discipline=\"{d}\"");
    let fifo = run(file, &[]);
    let lifo = run(file, &[&discipline("adaptive_lifo")]);
    let codel = run(file, &[&discipline("codel")]);
    let call = |e: &Experiment, f: &str| mean(e, &format!("calls.clients.api.{f}"));
    let succeeded = |e: &Experiment| call(e, "succeeded") / call(e, "requests");
    // FIFO: every request waits behind the full queue; many are served
    // after their caller left (54% succeed, 39% of the work wasted here).
    assert!(succeeded(&fifo) < 0.6, "{}", succeeded(&fifo));
    assert!(call(&fifo, "wasted") > 0.3 * mean(&fifo, "services.api.processed"));
    // The newest first, or shedding what waited too long: 86% each.
    assert!(succeeded(&lifo) > 0.8 && succeeded(&codel) > 0.8);
    // Adaptive LIFO strands the oldest for minutes; CoDel keeps every
    // wait under a second, so no caller times out and no work is wasted:
    // what it sheds is an error at once.
    assert!(mean(&lifo, "services.api.max_age_s") > 60.0);
    assert!(mean(&codel, "services.api.max_age_s") < 1.0);
    assert_eq!(call(&codel, "timeouts") + call(&codel, "wasted"), 0.0);
    assert_eq!(
        call(&codel, "errors"),
        mean(&codel, "services.api.dropped.evicted")
    );
}

#[test]
fn priorities_keep_premium_fast_through_an_overload() {
    let with = run("scenarios/priority-overload.toml", &[]);
    let fifo = run("scenarios/priority-overload-fifo.toml", &[]);
    let premium = mean(&with, "groups.orders.classes.1.e2e.p99_s");
    let free = mean(&with, "groups.orders.classes.0.e2e.p99_s");
    let everyone = mean(&fifo, "groups.orders.e2e.p99_s");
    assert!(
        premium < 1.0 && everyone > 60.0 && free > everyone,
        "{premium} {free} {everyone}"
    );
}

#[test]
fn a_caller_that_needs_the_answer_only_gets_slower_through_a_queue() {
    let queued = run("scenarios/caller-needs-answer.toml", &[]);
    let sync = run("scenarios/caller-needs-answer.toml", &["mode=\"sync\""]);
    let direct = sync.metric("topic.producer_latency.p50_s").unwrap().ci;
    let via_queue = queued.metric("groups.pricing.e2e.p50_s").unwrap().ci;
    // Faster directly, beyond both intervals.
    assert!(via_queue.mean - via_queue.half_width > direct.mean + direct.half_width + 0.002);
    assert_eq!(mean(&sync, "topic.caller_errors"), 0.0);
}

#[test]
fn a_hot_key_makes_one_partition_lag_while_the_others_idle() {
    let e = run("scenarios/hot-partition.toml", &[]);
    let lag: Vec<f64> = (0..8)
        .map(|p| mean(&e, &format!("groups.projector.partitions.{p}.queued")))
        .collect();
    let hot = lag.iter().cloned().fold(0.0, f64::max);
    // (46.5 − 40)/s for 600 s is about 3,900, less the warm start.
    assert!((2500.0..5000.0).contains(&hot), "{lag:?}");
    assert_eq!(lag.iter().filter(|&&l| l > 20.0).count(), 1, "{lag:?}");
    assert!(mean(&e, "groups.projector.utilisation") < 0.5);
    assert_eq!(mean(&e, "groups.projector.out_of_order"), 0.0);
    let competing = run(
        "scenarios/hot-partition.toml",
        &["groups.projector.consumption=\"competing\""],
    );
    assert!(mean(&competing, "groups.projector.queued") < 50.0);
    assert!(mean(&competing, "groups.projector.out_of_order") > 1000.0);
}

/// Regression (duplicates review): metric names are unique.
#[test]
fn every_metric_name_is_unique() {
    let e = run("scenarios/hot-partition.toml", &["horizon=\"10s\""]);
    let mut names: Vec<&str> = e.metrics.iter().map(|m| m.name.as_str()).collect();
    let all = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all);
}

#[test]
fn an_iot_firehose_is_absorbed_by_a_kafka_log_and_drained_within_the_minute() {
    let e = run("scenarios/iot-firehose.toml", &[]);
    assert_eq!(mean(&e, "groups.database.dropped"), 0.0);
    assert_eq!(mean(&e, "groups.database.queued"), 0.0, "drained");
    // Each minute: 100,000 readings in 2 s, 16,000 written meanwhile.
    let peak = mean(&e, "groups.database.max_depth");
    assert!((80_000.0..88_000.0).contains(&peak), "{peak}");
    // The last reading of a burst waits for the 84,000 ahead at 8,000/s.
    let p99 = mean(&e, "groups.database.e2e.p99_s");
    assert!((9.5..12.0).contains(&p99), "{p99}");
    // A bounded queue instead drops most of each burst.
    let bounded = run(
        "scenarios/iot-firehose.toml",
        &["topic.preset=\"rabbitmq\"", "topic.capacity=10000"],
    );
    let evicted = mean(&bounded, "groups.database.dropped");
    assert!(
        evicted > 0.7 * mean(&bounded, "topic.published"),
        "{evicted}"
    );
}

#[test]
fn in_a_checkout_fan_out_email_falls_behind_in_the_sale_and_holds_nobody_back() {
    let e = run("scenarios/checkout-fanout.toml", &[]);
    for g in ["email", "analytics", "loyalty"] {
        // Caught up: at most a few orders waiting when the horizon ends.
        assert!(mean(&e, &format!("groups.{g}.queued")) < 5.0, "{g}");
        assert_eq!(mean(&e, &format!("groups.{g}.dropped")), 0.0, "{g}");
    }
    // About 19/s more than email sends, for 5 minutes.
    let email = mean(&e, "groups.email.max_depth");
    assert!((4_000.0..7_500.0).contains(&email), "{email}");
    assert!(mean(&e, "groups.email.e2e.p99_s") > 60.0);
    assert!(mean(&e, "groups.loyalty.max_depth") < 500.0);
    assert!(mean(&e, "groups.loyalty.e2e.p99_s") < 3.0);
    assert!(mean(&e, "groups.analytics.e2e.p99_s") < 0.05);
}

#[test]
fn a_postgres_queue_keeps_up_to_5000_per_second_and_falls_behind_above() {
    // 16 workers at 2 ms a job, plus the preset's measured 1.7 ms of fetch
    // and commit, take about 16 / 3.7 ms = 4,324/s: they fall behind at
    // 5,000/s (minutes 8 to 10) before the table's cap does.
    let e = run("scenarios/postgres-as-queue.toml", &[]);
    let series = &e.outcomes[0].series;
    let at_5000: Vec<_> = (series.iter())
        .filter(|r| (490.0..600.0).contains(&r.time_s))
        .collect();
    let done = at_5000.iter().map(|r| r.completed_per_s).sum::<f64>() / at_5000.len() as f64;
    assert!((4_150.0..4_500.0).contains(&done), "{done}");
    assert!(at_5000.last().unwrap().depth > 50_000);
    // With 32 workers the table is the bottleneck.
    let e = run(
        "scenarios/postgres-as-queue.toml",
        &["groups.workers.workers=32"],
    );
    let series = &e.outcomes[0].series;
    // Up to 4,000/s (the first 8 minutes) it keeps up: rows wait for the
    // sleeping pollers (a second at most), never more.
    let early = series
        .iter()
        .filter(|r| r.time_s < 480.0)
        .map(|r| r.depth)
        .max()
        .unwrap();
    assert!(early < 5_000, "{early}");
    // At 6,000/s it completes 5,000/s and falls behind by 1,000/s.
    let last: Vec<_> = series.iter().filter(|r| r.time_s > 610.0).collect();
    let done = last.iter().map(|r| r.completed_per_s).sum::<f64>() / last.len() as f64;
    assert!((4_900.0..5_100.0).contains(&done), "{done}");
    let behind = mean(&e, "groups.workers.queued");
    assert!((100_000.0..130_000.0).contains(&behind), "{behind}");
    assert!(
        mean(&e, "groups.workers.utilisation") < 0.5,
        "the table, not the workers"
    );
}

#[test]
fn rabbitmq_prefetch_decides_whether_a_fast_consumer_keeps_up() {
    // 2 ms jobs at 1,300/s on 4 workers: with the preset's measured
    // 1.69 ms a delivery they take 4 / 3.69 ms = 1,084/s at prefetch 1.
    let p1 = run("scenarios/rabbitmq-prefetch.toml", &[]);
    let done = mean(&p1, "groups.thumbnails.throughput_per_s");
    assert!((1_050.0..1_120.0).contains(&done), "{done}");
    assert!(mean(&p1, "groups.thumbnails.queued") > 50_000.0);
    // At prefetch 4 the fetch is hidden: 4 / 2.67 ms = 1,498/s of room.
    let p4 = run(
        "scenarios/rabbitmq-prefetch.toml",
        &["groups.thumbnails.prefetch=4"],
    );
    assert!(mean(&p4, "groups.thumbnails.max_depth") < 1_000.0);
    assert!(mean(&p4, "groups.thumbnails.e2e.p99_s") < 0.2);
    let busy = mean(&p4, "groups.thumbnails.utilisation");
    assert!((0.85..0.92).contains(&busy), "{busy}");
}

#[test]
fn a_depth_alert_warns_before_the_buffer_fills_and_a_lag_alert_does_not() {
    let e = run("scenarios/alert-before-the-buffer-fills.toml", &[]);
    let alerts = &e.outcomes[0].alerts;
    let alert = |name: &str| alerts.iter().find(|a| a.name == name).unwrap();
    let refusing = alert("refusing");
    let damage = refusing.damage_s.expect("the buffer fills");
    assert_eq!(refusing.first_fired_s, damage, "refusals are the damage");
    // Half full for 30 s: fires once, more than a minute before the
    // refusals (the backlog grows 300/s: 30,000 more takes 100 s, less
    // the 30 s hold and the sampling).
    let half = alert("half_full");
    assert!(half.before_damage && half.fired == 1, "{half:?}");
    assert!(damage - half.first_fired_s >= 60.0, "{half:?}");
    // A buffer that holds 60 s of work: the 1-minute lag alert comes
    // after the damage, and flaps while the age hovers at a minute.
    let lag = alert("lag");
    assert!(!lag.before_damage && lag.first_fired_s > damage, "{lag:?}");
    assert!(lag.fired > 1, "{lag:?}");
    assert!(mean(&e, "groups.workers.max_age_s") < 65.0);
    assert!(mean(&e, "groups.workers.dropped.rejected") > 250_000.0);
}
