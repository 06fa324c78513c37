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
    assert_eq!(
        names,
        ["fired", "first_fired_s", "firing_s", "before_damage"].map(|f| format!("alerts.late.{f}"))
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
