//! `plan`: bisection finds the same cheapest point as trying every value,
//! in about log₂(n + 1) runs; objectives parse, resolve and explain.

use crate::support;
use mqsim::experiment::{Slo, Sweep, Vary, meets_all, metric_names, plan, with_jobs};
use support::{mqsim, ok, text, tmp, write};

/// Constant arrivals at 100/s for 20 s into workers of 50 ms each: the
/// backlog, and so p99, shrinks as workers are added until 5 keep up.
const STEADY: &str = r#"
    name = "steady"
    horizon = "20s"
    [producers.web]
    arrival = { constant = { rate_per_s = 100 } }
    [groups.workers]
    workers = 1
    service = { constant = { value = "50ms" } }
"#;

#[test]
fn bisection_finds_the_first_value_trying_every_one_would_find_in_log_runs() {
    let dir = tmp("plan-bisect");
    let file = write(&dir, "steady.toml", STEADY);
    let sweep = Sweep::new(
        file.as_ref(),
        &[],
        vec![Vary::parse("groups.workers.workers=1..32").unwrap()],
    )
    .unwrap();
    let names = metric_names(&sweep.base).unwrap();
    let slos = vec![Slo::parse("e2e.p99 < 200ms", &names).unwrap()];
    let outcome = with_jobs(2, || plan(&sweep, &slos, &|_| {})).unwrap();
    assert!(
        outcome.evaluated.len() <= 6,
        "32 values need at most ⌈log₂ 33⌉ = 6 runs, not {}",
        outcome.evaluated.len()
    );
    let all: Vec<usize> = (0..32).collect();
    let every = with_jobs(2, || sweep.run(&all, &|_| {})).unwrap();
    let met: Vec<bool> = every.iter().map(|r| meets_all(&slos, r)).collect();
    let first = met
        .iter()
        .position(|m| *m)
        .expect("some worker count meets it");
    assert!(met[first..].iter().all(|m| *m), "monotone: {met:?}");
    assert_eq!(outcome.chosen, Some(first));
    assert_eq!(sweep.points[first].label(), "groups.workers.workers=5");
}

#[test]
fn two_fields_bisect_the_last_for_each_value_of_the_first() {
    let dir = tmp("plan-two");
    let file = write(&dir, "steady.toml", STEADY);
    let varies = [
        "groups.workers.service={ constant = { value = \"50ms\" } },{ constant = { value = \"25ms\" } }",
        "groups.workers.workers=1..16",
    ];
    let sweep = Sweep::new(
        file.as_ref(),
        &[],
        varies.map(|v| Vary::parse(v).unwrap()).to_vec(),
    )
    .unwrap();
    let slos = vec![Slo::parse("e2e.p99 < 200ms", &metric_names(&sweep.base).unwrap()).unwrap()];
    let outcome = with_jobs(2, || plan(&sweep, &slos, &|_| {})).unwrap();
    assert!(
        outcome.evaluated.len() <= 2 * 5,
        "{} runs",
        outcome.evaluated.len()
    );
    // 5 workers at 50 ms (positions 0 + 4) against 3 at 25 ms (1 + 2): the latter is cheaper.
    let chosen = outcome.chosen.unwrap();
    assert!(
        sweep.points[chosen]
            .label()
            .ends_with("groups.workers.workers=3"),
        "{}",
        sweep.points[chosen].label()
    );
}

#[test]
fn plan_prints_the_choice_and_margins_or_says_nothing_meets() {
    let dir = tmp("plan-cli");
    let file = write(&dir, "steady.toml", STEADY);
    let out = ok(&[
        "plan",
        &file,
        "--vary",
        "groups.workers.workers=1..32",
        "--slo",
        "e2e.p99 < 200ms",
        "--slo",
        "dropped == 0",
    ]);
    assert!(
        out.contains("cheapest configuration meeting every objective: groups.workers.workers=5"),
        "{out}"
    );
    assert!(
        out.contains("e2e.p99 < 200ms") && out.contains("margin"),
        "{out}"
    );
    assert!(
        out.contains("groups.workers.e2e.p99_s < 200.0 ms"),
        "the short name is resolved: {out}"
    );

    let none = mqsim(&[
        "plan",
        &file,
        "--vary",
        "groups.workers.workers=1..4",
        "--slo",
        "e2e.p99 < 200ms",
    ]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        text(&none.stdout).contains("nothing in the range meets every objective"),
        "{}",
        text(&none.stdout)
    );
    assert!(text(&none.stderr).contains("no configuration in the range meets every objective"));

    let fanout = mqsim(&[
        "plan",
        "scenarios/checkout-fanout.toml",
        "--vary",
        "groups.email.workers=1..4",
        "--slo",
        "e2e.p99 < 2s",
    ]);
    assert_eq!(fanout.status.code(), Some(2));
    let err = text(&fanout.stderr);
    assert!(
        err.contains("\"e2e.p99\" is ambiguous")
            && err.contains("groups.email.e2e.p99_s")
            && err.contains("groups.loyalty.e2e.p99_s"),
        "{err}"
    );
    for (slo, says) in [
        ("e2e.p98 < 2s", "unknown metric \"e2e.p98\""),
        ("dropped 0", "expected <metric> <op> <value>"),
        ("dropped < 2s", "not a duration"),
    ] {
        let r = mqsim(&[
            "plan",
            &file,
            "--vary",
            "groups.workers.workers=1..4",
            "--slo",
            slo,
        ]);
        assert_eq!(r.status.code(), Some(2), "{slo}");
        assert!(text(&r.stderr).contains(says), "{slo}: {}", text(&r.stderr));
    }
}

/// Regression (review): an objective met at the cheap end of the range
/// ("utilisation above half") was reported as met nowhere, and `nan` was
/// accepted as a threshold.
#[test]
fn an_objective_met_by_the_cheapest_value_picks_it() {
    let file = std::path::Path::new("scenarios/mm4.toml");
    let sweep = Sweep::new(
        file,
        &[mqsim::scenario::Override::parse("horizon=\"2000s\"").unwrap()],
        vec![Vary::parse("groups.workers.workers=5..64").unwrap()],
    )
    .unwrap();
    let names = metric_names(&sweep.base).unwrap();
    let slos = vec![Slo::parse("utilisation > 0.5", &names).unwrap()];
    let outcome = with_jobs(2, || plan(&sweep, &slos, &|_| {})).unwrap();
    assert_eq!(
        outcome.chosen,
        Some(0),
        "5 workers at λ = 3.2/s are 64% busy"
    );
    assert!(Slo::parse("e2e.p99 < nan", &names).is_err());
}
