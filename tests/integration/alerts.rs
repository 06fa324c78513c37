//! Alert rules evaluated inside the run: pending for their `for`, firing,
//! resolving, and in time (or not) for the damage.

use crate::common::{close, run, scenario};
use mqsim::model::sim::{RunOutcome, SeriesRow};

/// A bounded topic (capacity 2,000) and a 20-second burst at four times
/// what the workers do: the backlog climbs through 1,000 at about 3.5 s
/// and fills the buffer at about 7 s, then drains after the burst.
const BURST: &str = r#"
    seed = 3
    horizon = "60s"
    sample_interval = "250ms"
    [topic]
    capacity = 2000
    policy = "reject"
    [producers.web]
    arrival = { schedule = { steps = [ { at = "0s", rate_per_s = 100 }, { at = "2s", rate_per_s = 800 }, { at = "22s", rate_per_s = 100 } ] } }
    [groups.workers]
    workers = 2
    service = { exponential = { mean = "10ms" } }
    [alerts.early]
    metric = "depth"
    above = 1000
    for = "1s"
    [alerts.late]
    metric = "depth"
    above = 1999
    [alerts.lag]
    metric = "oldest_age"
    above = "1500ms"
    for = "500ms"
    [alerts.drops]
    metric = "drop_rate"
    above = 0
"#;

/// The rule's first firing, replayed from the time series: the first
/// sample at which `breached` has held at every sample for `hold_s`.
fn first_firing(o: &RunOutcome, hold_s: f64, breached: impl Fn(&SeriesRow) -> bool) -> Option<f64> {
    let mut since = None;
    for r in &o.series {
        if !breached(r) {
            since = None;
            continue;
        }
        let start = *since.get_or_insert(r.time_s);
        if r.time_s - start >= hold_s - 1e-9 {
            return Some(r.time_s);
        }
    }
    None
}

#[test]
fn an_early_alert_fires_before_the_buffer_fills_and_a_late_one_after() {
    let o = run(BURST);
    let alert = |name: &str| o.alerts.iter().find(|a| a.name == name).unwrap();
    let g = &o.groups[0];
    assert!(g.dropped.rejected > 0, "the burst overflows the topic");
    // The first drop, seen at a sample: the damage.
    let damage = (o.series.iter()).find(|r| r.dropped > 0).unwrap().time_s;
    close(alert("drops").damage_s.unwrap(), damage);
    close(alert("drops").first_fired_s, damage);

    let early = alert("early");
    let want = first_firing(&o, 1.0, |r| r.depth > 1000).unwrap();
    close(early.first_fired_s, want);
    assert!(early.first_fired_s < damage && early.before_damage);
    assert_eq!(early.fired, 1, "one episode: the burst");
    // Firing from then until the backlog fell back under 1,000.
    let resolved = (o.series.iter())
        .find(|r| r.time_s > want && r.depth <= 1000)
        .unwrap()
        .time_s;
    close(early.firing_s, resolved - want);

    // Full means already dropping: too late.
    let late = alert("late");
    assert!(late.fired >= 1 && !late.before_damage, "{late:?}");
    assert!(late.first_fired_s >= damage);

    let lag = alert("lag");
    let want = first_firing(&o, 0.5, |r| r.oldest_age_s > 1.5).unwrap();
    close(lag.first_fired_s, want);

    // The burst is the fault: a schedule step above the baseline at 2 s.
    let faults: Vec<(&str, f64)> = (early.faults.iter())
        .map(|f| (f.fault.as_str(), f.at_s))
        .collect();
    assert_eq!(faults, [("producers.web.arrival.schedule.steps[1]", 2.0)]);
    for a in [early, late, lag] {
        close(a.after_fault_s.unwrap(), a.first_fired_s - 2.0);
        assert_eq!(a.fired_before_fault, 0, "{a:?}");
        // The episodes are the firings, and add up to the time firing.
        assert_eq!(a.episodes.len() as u64, a.fired);
        close(a.episodes.iter().map(|e| e[1] - e[0]).sum(), a.firing_s);
        close(a.episodes[0][0], a.first_fired_s);
    }
}

/// A steady 100/s for workers that do 400/s, and the group down from
/// 10 to 15 minutes: the backlog grows by the arrival rate while down.
const OUTAGE: &str = r#"
    seed = 5
    horizon = "20m"
    sample_interval = "1s"
    [topic]
    [producers.web]
    arrival = { poisson = { rate_per_s = 100 } }
    [groups.workers]
    workers = 2
    service = { constant = { value = "5ms" } }
    outages = [ { start = "10m", end = "15m" } ]
    [alerts.backlog]
    metric = "depth"
    above = 500
    for = "10s"
    [alerts.down]
    metric = "workers_up"
    below = 1
"#;

#[test]
fn a_depth_alert_detects_an_outage_in_the_time_the_backlog_takes_to_pass_it() {
    let o = run(OUTAGE);
    let alert = |name: &str| o.alerts.iter().find(|a| a.name == name).unwrap();
    let backlog = alert("backlog");
    // The backlog passes 500 after 500 / 100 = 5 s of outage (Poisson:
    // a standard deviation of √500 / 100 ≈ 0.22 s), is seen at the next
    // 1-second sample, then must hold 10 s: 15 s to 16 s, and 1.5 s of
    // slack either side (about 7 standard deviations).
    let (rate, threshold, hold, interval) = (100.0, 500.0, 10.0, 1.0);
    let after = backlog.after_fault_s.unwrap();
    let low = threshold / rate + hold - 1.5;
    let high = threshold / rate + hold + interval + 1.5;
    assert!(
        (low..=high).contains(&after),
        "{after} not in {low}..={high}"
    );
    assert_eq!((backlog.fired, backlog.fired_before_fault), (1, 0));
    let faults: Vec<(&str, f64, Option<f64>)> = (backlog.faults.iter())
        .map(|f| (f.fault.as_str(), f.at_s, f.after_s))
        .collect();
    assert_eq!(faults, [("groups.workers.outages[0]", 600.0, Some(after))]);
    // It resolves once the backlog of 300 s × 100/s = 30,000 drained
    // below 500 at 400 − 100 = 300/s, about 98 s after the outage (the
    // backlog's standard deviation, √30,000 ≈ 173, is under 1 s of that).
    let [[from, to]] = backlog.episodes[..] else {
        panic!("{:?}", backlog.episodes)
    };
    close(from, 600.0 + after);
    let drained = 900.0 + (300.0 * rate - threshold) / (400.0 - rate);
    assert!((to - drained).abs() < 5.0, "{to} vs {drained}");

    // Workers down is seen at the first sample of the outage.
    let down = alert("down");
    assert!(down.after_fault_s.unwrap() <= interval, "{down:?}");
    assert_eq!((down.fired, down.fired_before_fault), (1, 0));
    assert!(down.episodes[0][1] >= 900.0 && down.episodes[0][1] <= 900.0 + interval);
}

/// Sync mode: callers wait at most 1 s for a service down from 60 s to
/// 90 s; each request they give up on is an error they see.
const SYNC_OUTAGE: &str = r#"
    seed = 2
    horizon = "150s"
    sample_interval = "1s"
    mode = "sync"
    [sync]
    timeout = "1s"
    [producers.web]
    arrival = { poisson = { rate_per_s = 50 } }
    [groups.api]
    workers = 4
    service = { constant = { value = "10ms" } }
    outages = [ { start = "60s", end = "90s" } ]
    [alerts.errors]
    metric = "caller_error_rate"
    above = 5
    for = "2s"
    [alerts.error_share]
    metric = "caller_error_share"
    above = 0.5
"#;

#[test]
fn a_caller_error_alert_fires_during_a_downstream_outage_and_not_before() {
    let o = run(SYNC_OUTAGE);
    let alert = |name: &str| o.alerts.iter().find(|a| a.name == name).unwrap();
    let errors = alert("errors");
    // Nothing fails before the outage; in it, the first requests time out
    // 1 s after it began, then 50 a second fail: seen at the next sample,
    // held 2 s. The share crosses 50% at the first sample after that.
    let (timeout, hold, interval) = (1.0, 2.0, 1.0);
    assert_eq!(errors.fired_before_fault, 0);
    let after = errors.after_fault_s.unwrap();
    assert!(
        after >= timeout && after <= timeout + hold + 2.0 * interval,
        "{after}"
    );
    close(errors.first_fired_s, 60.0 + after);
    let share = alert("error_share");
    assert_eq!(share.fired_before_fault, 0);
    let after = share.after_fault_s.unwrap();
    assert!(
        after >= timeout && after <= timeout + 2.0 * interval,
        "{after}"
    );
    // Both resolve once the service is back and its backlog served.
    for a in [errors, share] {
        let last = a.episodes.last().unwrap()[1];
        assert!(last > 90.0 && last < 110.0, "{a:?}");
    }
    // The errors are the callers' errors, replayed from the call rows.
    let first_error = (o.sync_call_series.iter())
        .find(|r| r.errors > 0)
        .map(|r| r.time_s)
        .unwrap();
    assert!(first_error > 60.0 && first_error <= share.first_fired_s);
}

/// One topic and two readers: `slow` falls 50/s behind and fills its
/// 1,000 places in about 20 s; the producer is down from 5 s to 8 s.
const FANOUT: &str = r#"
    seed = 9
    horizon = "40s"
    sample_interval = "500ms"
    [topic]
    capacity = 1000
    policy = "reject"
    [producers.web]
    arrival = { poisson = { rate_per_s = 150 } }
    crashes = [ { at = "5s", down = "3s" } ]
    [groups.fast]
    workers = 4
    service = { constant = { value = "1ms" } }
    [groups.slow]
    workers = 1
    service = { constant = { value = "10ms" } }
    [alerts.deep]
    metric = "depth"
    topic = "topic"
    above = 500
    [alerts.refused]
    metric = "drop_rate"
    topic = "topic"
    above = 0
    [alerts.quiet]
    metric = "arrival_rate"
    topic = "topic"
    below = 1
"#;

#[test]
fn a_topic_alert_watches_its_deepest_reader_its_refusals_and_its_publishers() {
    let o = run(FANOUT);
    let alert = |name: &str| o.alerts.iter().find(|a| a.name == name).unwrap();
    // Per sample, the deepest reader's depth, and whether it refused.
    let mut rows: Vec<(f64, u64, u64)> = Vec::new();
    for r in &o.series {
        match rows.last_mut() {
            Some(last) if last.0 == r.time_s => {
                last.1 = last.1.max(r.depth);
                last.2 = last.2.max(r.dropped);
            }
            _ => rows.push((r.time_s, r.depth, r.dropped)),
        }
    }
    let first = |f: &dyn Fn(&(f64, u64, u64)) -> bool| rows.iter().find(|r| f(r)).unwrap().0;
    let deep = alert("deep");
    close(deep.first_fired_s, first(&|r| r.1 > 500));
    assert!(o.groups[1].dropped.rejected > 0, "slow fills the topic");
    let refused = alert("refused");
    close(refused.first_fired_s, first(&|r| r.2 > 0));
    close(refused.damage_s.unwrap(), refused.first_fired_s);
    // The crash stops the publishes: seen at the first sample after it,
    // over at the first sample after the restart.
    let quiet = alert("quiet");
    assert_eq!(quiet.episodes, [[5.5, 8.5]]);
    assert_eq!(quiet.faults[0].fault, "producers.web.crashes[0]");
    close(quiet.after_fault_s.unwrap(), 0.5);
}

#[test]
fn rules_on_topics_and_callers_are_refused_with_their_place() {
    let bad = |text: &str, old: &str, new: &str| {
        assert!(text.contains(old), "{old} not in the text");
        mqsim::scenario::Scenario::from_text(
            &text.replace(old, new),
            mqsim::scenario::Format::Toml,
            std::path::Path::new("test.toml"),
            &[],
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("accepted: {new}"))
    };
    // File, line, field and what was expected.
    let e = bad(
        FANOUT,
        "topic = \"topic\"\n    above = 500",
        "topic = \"topc\"\n    above = 500",
    );
    let line = 1 + FANOUT
        .lines()
        .position(|l| l.contains("above = 500"))
        .unwrap()
        - 1;
    assert!(
        e.contains(&format!("test.toml:{line}:")) && e.contains("alerts.deep.topic"),
        "{e}"
    );
    assert!(
        e.contains("no topic named \"topc\"; did you mean \"topic\"?"),
        "{e}"
    );
    let e = bad(FANOUT, "metric = \"drop_rate\"", "metric = \"workers_up\"");
    assert!(
        e.contains("alerts.refused.metric")
            && e.contains("a topic's metrics are depth, oldest_age, drop_rate, arrival_rate"),
        "{e}"
    );
    let e = bad(
        FANOUT,
        "metric = \"depth\"\n    topic = \"topic\"",
        "metric = \"depth\"\n    group = \"slow\"\n    topic = \"topic\"",
    );
    assert!(
        e.contains("alerts.deep.topic") && e.contains("not both"),
        "{e}"
    );
    // The callers' errors belong to a service called directly.
    let e = bad(
        FANOUT,
        "metric = \"drop_rate\"\n    topic = \"topic\"",
        "metric = \"caller_error_rate\"\n    group = \"slow\"",
    );
    assert!(
        e.contains("alerts.refused.metric") && e.contains("\"slow\" reads a topic"),
        "{e}"
    );
    let e = bad(SYNC_OUTAGE, "above = 0.5", "above = 50");
    assert!(
        e.contains("alerts.error_share.above") && e.contains("from 0 to 1 (got 50)"),
        "{e}"
    );
    // Without a place, several groups need one named.
    let e = bad(
        FANOUT,
        "metric = \"depth\"\n    topic = \"topic\"",
        "metric = \"depth\"",
    );
    assert!(
        e.contains("alerts.deep.group") && e.contains("or a `topic`"),
        "{e}"
    );
}

#[test]
fn an_alert_that_never_fires_says_so_and_the_summary_names_every_number() {
    let quiet = BURST.replace("above = 1999", "above = 5000");
    let o = run(&quiet);
    let late = o.alerts.iter().find(|a| a.name == "late").unwrap();
    assert_eq!(late.fired, 0);
    close(late.first_fired_s, o.end_s);
    assert_eq!(late.firing_s, 0.0);
    assert!(!late.before_damage, "the damage came and it never fired");
    let names: Vec<String> = mqsim::experiment::metrics_of(&o)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n.starts_with("alerts.late."))
        .collect();
    // The burst (a schedule step above the baseline, at 2 s) is the
    // scenario's fault, so the rule is measured against it too.
    let fields = [
        "fired",
        "flaps",
        "first_fired_s",
        "firing_s",
        "before_damage",
        "after_fault_s",
        "fired_before_fault",
    ];
    assert_eq!(names, fields.map(|f| format!("alerts.late.{f}")));
    assert!(late.after_fault_s.is_none());
    let metrics = mqsim::experiment::metrics_of(&o);
    let value = |n: &str| metrics.iter().find(|(m, _)| m == n).unwrap().1;
    assert!(
        value("alerts.late.after_fault_s").is_nan(),
        "never fired: no time"
    );
    // Without a fault there is nothing to be late for: no such metrics.
    let steady = quiet.replace(
        "{ at = \"2s\", rate_per_s = 800 }, { at = \"22s\", rate_per_s = 100 }",
        "{ at = \"2s\", rate_per_s = 100 }",
    );
    let o = run(&steady);
    assert!(o.alerts.iter().all(|a| a.faults.is_empty()));
    assert!(
        (mqsim::experiment::metrics_of(&o).iter())
            .all(|(n, _)| !n.ends_with(".after_fault_s") && !n.ends_with(".fired_before_fault"))
    );
}

#[test]
fn bad_rules_are_refused_with_their_place() {
    let bad = |old: &str, new: &str| {
        let text = BURST.replace(old, new);
        mqsim::scenario::Scenario::from_text(
            &text,
            mqsim::scenario::Format::Toml,
            std::path::Path::new("test.toml"),
            &[],
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("accepted: {new}"))
    };
    let e = bad(
        "metric = \"drop_rate\"\n    above = 0",
        "metric = \"drop_rate\"\n    group = \"worker\"\n    above = 0",
    );
    assert!(
        e.contains("alerts.drops.group") && e.contains("did you mean \"workers\""),
        "{e}"
    );
    let e = bad("above = 1999", "above = \"2s\"");
    assert!(
        e.contains("alerts.late.above") && e.contains("not a duration"),
        "{e}"
    );
    let e = bad("above = 1999", "below = 5\n    above = 1999");
    assert!(
        e.contains("alerts.late") && e.contains("one threshold"),
        "{e}"
    );
    let e = bad(
        "metric = \"depth\"\n    above = 1999",
        "metric = \"lag\"\n    above = 1999",
    );
    assert!(
        e.contains("alerts.late.metric") && e.contains("oldest_age"),
        "{e}"
    );
    // Valid rules keep the scenario valid.
    assert_eq!(scenario(BURST).system.alerts.len(), 4);
}

/// The faults a scenario schedules (model/fault.rs): the story its
/// alerts should detect.
#[test]
fn outages_brownouts_crashes_and_surges_are_the_story() {
    let text = r#"
        horizon = "1h"
        [topic]
        [producers.web]
        arrival = { schedule = { steps = [ { at = "0s", rate_per_s = 100 }, { at = "10m", rate_per_s = 300 }, { at = "20m", rate_per_s = 100 }, { at = "30m", rate_per_s = 50 }, { at = "40m", rate_per_s = 200 } ] } }
        crashes = [ { at = "5m", down = "10s" } ]
        [groups.workers]
        workers = 2
        service = { constant = { value = "1ms" } }
        outages = [ { start = "15m", end = "16m" } ]
        brownouts = [ { start = "25m", end = "26m", latency_factor = 2.0 } ]
    "#;
    let s = mqsim::scenario::Scenario::from_text(
        text,
        mqsim::scenario::Format::Toml,
        std::path::Path::new("t.toml"),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(String, f64)> = (s.system.faults().into_iter())
        .map(|f| (f.what, f.at.as_secs_f64()))
        .collect();
    let want = [
        ("producers.web.crashes[0]", 300.0),
        ("producers.web.arrival.schedule.steps[1]", 600.0),
        ("groups.workers.outages[0]", 900.0),
        ("groups.workers.brownouts[0]", 1500.0),
        ("producers.web.arrival.schedule.steps[4]", 2400.0),
    ];
    let want: Vec<(String, f64)> = want.iter().map(|(w, t)| (w.to_string(), *t)).collect();
    assert_eq!(got, want);
}
