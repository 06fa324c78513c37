//! The resilience patterns of direct calls (issue 13): the circuit
//! breaker's exact state sequence and its fallback, a hedge's exact win,
//! accept-queue disciplines under overload (adaptive LIFO, CoDel),
//! deadlines that travel down a chain, and `[sync]`'s accept queue.

use crate::common;
use common::{call, run, service};
use mqsim::model::sim::{CallOutcome, RunOutcome};

/// One request a second into `svc` (one worker, 100 ms), down from 10.5 s
/// to 30.5 s, called through `link`.
fn breaker_case(link: &str) -> String {
    format!(
        r#"
        seed = 2
        horizon = "60s"
        sample_interval = "1s"
        [producers.web]
        arrival = {{ constant = {{ rate_per_s = 1 }} }}
        call = {{ service = "svc"{link} }}
        [groups.svc]
        workers = 1
        service = {{ constant = {{ value = "100ms" }} }}
        outages = [{{ start = "10.5s", end = "30.5s" }}]
        "#
    )
}

const BREAKER: &str =
    ", breaker = { window = 4, minimum_calls = 4, open_for = \"10s\", half_open_calls = 2 }";

#[test]
fn a_breaker_opens_probes_half_open_and_closes_in_the_exact_sequence() {
    // Requests at 1 s, 2 s, ...: those at 11 and 12 s are refused (the
    // service is down); the window of four then holds two failures (50%),
    // so it opens at 12 s until 22 s. The 9 requests from 13 to 21 s are
    // short-circuited. At 22 s it goes half-open: the probes at 22 and
    // 23 s fail, so it opens again until 33 s (9 more short-circuited).
    // At 33 s the service is back: the probes at 33 and 34 s succeed and
    // it closes.
    let o = run(&breaker_case(BREAKER));
    let c = call(&o, "web.svc");
    assert_eq!(c.breaker_opened, 2, "{c:?}");
    assert_eq!(c.short_circuited, 18, "{c:?}");
    assert_eq!(
        c.attempts,
        c.requests - 18,
        "a refused call makes no attempt"
    );
    assert_eq!(c.refused, 4, "11, 12, 22 and 23 s reached the service down");
    assert_eq!(
        c.errors,
        4 + 18,
        "fail fast: every refused call is an error"
    );
    assert_eq!(c.degraded, 0);
    // Its state over time, from calls.csv's rows.
    let state_at = |t: f64| {
        let row = o.call_series.iter().find(|r| r.time_s == t).unwrap();
        row.breaker
    };
    assert_eq!(
        [5.0, 15.0, 21.0, 25.0, 32.0, 40.0].map(state_at),
        [0, 1, 1, 1, 1, 0],
        "closed, open, open again after the probes, closed"
    );
    let opened: u64 = o.call_series.iter().map(|r| r.breaker_opened).sum();
    let short: u64 = o.call_series.iter().map(|r| r.short_circuited).sum();
    assert_eq!((opened, short), (2, 18), "the series counts every change");
}

#[test]
fn a_degraded_fallback_answers_instead_of_failing() {
    let degraded = BREAKER.replace(" }", ", fallback = \"degraded\" }");
    let o = run(&breaker_case(&degraded));
    let c = call(&o, "web.svc");
    assert_eq!((c.short_circuited, c.degraded), (18, 18), "{c:?}");
    assert_eq!(
        c.errors, 4,
        "only the calls that reached the service down fail"
    );
    assert_eq!(c.requests, c.succeeded + c.degraded + c.errors);
}

#[test]
fn without_a_breaker_every_call_of_the_outage_reaches_the_service() {
    let o = run(&breaker_case(""));
    let c = call(&o, "web.svc");
    assert_eq!((c.refused, c.short_circuited, c.breaker_opened), (20, 0, 0));
}

/// A request a second into `svc` (10 workers, 100 ms constant) that is 20
/// times slower for what starts between 0.5 s and 10.2 s; its caller
/// hedges after 300 ms.
const HEDGE: &str = r#"
    seed = 4
    horizon = "30s"
    [producers.web]
    arrival = { constant = { rate_per_s = 1 } }
    call = { service = "svc", hedge = { delay = "300ms" } }
    [groups.svc]
    workers = 10
    service = { constant = { value = "100ms" } }
    brownouts = [{ start = "500ms", end = "10.2s", latency_factor = 20 }]
"#;

#[test]
fn a_hedge_wins_exactly_when_the_first_attempt_is_the_slow_one() {
    // The requests at 1..=9 s start inside the brownout (2 s), and so do
    // their hedges 300 ms later: the first attempt wins each. The request
    // at 10 s starts slow; its hedge at 10.3 s starts after the brownout
    // and answers at 10.4 s: the hedge wins. Later requests answer in
    // 100 ms, before any hedge.
    let o = run(HEDGE);
    let c = call(&o, "web.svc");
    assert_eq!((c.hedges, c.hedges_won), (10, 1), "{c:?}");
    assert_eq!(c.attempts, c.requests + 10);
    assert_eq!(c.errors, 0);
    // Every loser was already running: each finished for nobody.
    assert_eq!(c.wasted, 10, "{c:?}");
    assert_eq!(service(&o, "svc").processed, c.requests + 10);
    assert!((c.latency.max_s - 2.0).abs() < 1e-6, "{:?}", c.latency);
}

#[test]
fn a_losing_hedge_still_waiting_is_cancelled_before_it_runs() {
    // One worker: the hedge waits behind its own first attempt, which wins
    // at 2 s; the waiting hedge is cancelled, never run.
    let one = HEDGE.replace("workers = 10", "workers = 1");
    let o = run(&one.replace("horizon = \"30s\"", "horizon = \"1.5s\"\ndrain = true"));
    let c = call(&o, "web.svc");
    assert_eq!((c.requests, c.hedges, c.hedges_won), (1, 1, 0), "{c:?}");
    let s = service(&o, "svc");
    assert_eq!((s.processed, s.dropped.expired), (1, 1), "{s:?}");
    assert_eq!(c.wasted, 0);
}

/// `svc`, `workers` workers of 100 ms with accept queue `queue`, called
/// with `arrival` by callers who wait 1 s (and the rest of the call link).
fn called_svc(arrival: &str, link: &str, workers: u32, queue: &str) -> RunOutcome {
    run(&format!(
        r#"
        seed = 3
        horizon = "20m"
        [producers.web]
        arrival = {arrival}
        call = {{ service = "svc", timeout = "1s"{link} }}
        [groups.svc]
        workers = {workers}
        service = {{ exponential = {{ mean = "100ms" }} }}
        {queue}
        "#
    ))
}

/// An M/M/1 called at 1.2 times its capacity, by callers who wait 1 s,
/// with accept queue `queue`.
fn overload(queue: &str) -> RunOutcome {
    called_svc("{ poisson = { rate_per_s = 12 } }", "", 1, queue)
}

#[test]
fn under_overload_fifo_serves_only_callers_who_left_and_adaptive_lifo_the_fresh() {
    // FIFO: the queue grows without bound, so almost every request is
    // served after its caller gave up. Adaptive LIFO (the queue never
    // empties, so it stays LIFO): the newest are served first, so most of
    // the capacity (at most μ/λ = 5/6 of the callers) answers callers who
    // still wait. Each processed attempt answers its caller or is wasted.
    let fifo = call(&overload(""), "web.svc").clone();
    let lifo = overload("accept_queue = { discipline = \"adaptive_lifo\" }");
    let c = call(&lifo, "web.svc");
    let processed = service(&lifo, "svc").processed;
    assert_eq!(c.succeeded + c.wasted, processed, "{c:?}");
    let share = |c: &CallOutcome| c.succeeded as f64 / c.requests as f64;
    assert!(share(&fifo) < 0.01, "{fifo:?}");
    assert!(share(c) <= 5.0 / 6.0, "{c:?}");
    assert!(share(c) > 50.0 * share(&fifo).max(0.001), "{c:?}");
    assert!(fifo.wasted > 5 * c.wasted.max(1), "{fifo:?} {c:?}");
}

#[test]
fn codel_sheds_a_standing_queue_so_waits_stay_short() {
    // CoDel keeps the wait of what it serves near its target: none of its
    // callers time out, and what it sheds is an error at once.
    let o = overload("accept_queue = { discipline = \"codel\", target = \"200ms\" }");
    let c = call(&o, "web.svc");
    let s = service(&o, "svc");
    assert!(s.dropped.evicted > 1000, "{s:?}");
    assert!(
        c.timeouts * 100 < c.requests,
        "FIFO's callers nearly all time out: {c:?}"
    );
    // Each shed request is its caller's error (one shed after its caller
    // timed out counts once).
    assert!(c.errors >= s.dropped.evicted, "{c:?}");
    assert!(c.errors <= s.dropped.evicted + c.timeouts, "{c:?}");
    assert!(s.queue_wait.p50_s < 0.3, "{:?}", s.queue_wait);
    assert!(c.wasted <= c.timeouts, "{c:?}");
}

/// `svc` called at 6/s, 14/s from 5 to 10 minutes, 6/s again, and
/// nothing after 15 minutes: by the end of the 20 every attempt has left.
fn overload_then_quiet(queue: &str, link: &str) -> RunOutcome {
    let steps = "{ schedule = { steps = [ { at = \"0s\", rate_per_s = 6 }, \
        { at = \"5m\", rate_per_s = 14 }, { at = \"10m\", rate_per_s = 6 }, \
        { at = \"15m\", rate_per_s = 0 } ] } }";
    called_svc(steps, link, 1, queue)
}

#[test]
fn littles_law_counts_the_attempts_a_service_drops_unrun() {
    // Shed by CoDel, cancelled when their caller gives up, or dropped
    // past their deadline: each such attempt was in the queue (L) and
    // leaves it unrun, so its time there counts in W. With no warm-up and
    // every attempt gone by the end, L·T and the sum of the sojourns are
    // the same area summed two ways: equal but for floating-point
    // rounding (far below 1e-9 of it), where leaving out the attempts
    // dropped unrun made λW 34% short under CoDel.
    let cases = [
        (
            "codel",
            "accept_queue = { discipline = \"codel\", target = \"200ms\" }",
            "",
        ),
        ("fifo, cancel", "accept_queue = { cancel = true }", ""),
        (
            "adaptive lifo, cancel",
            "accept_queue = { discipline = \"adaptive_lifo\", cancel = true }",
            "",
        ),
        ("deadline", "", ", propagate_deadline = true"),
    ];
    for (label, queue, link) in cases {
        let o = overload_then_quiet(queue, link);
        let s = service(&o, "svc");
        let unrun = s.dropped.evicted + s.dropped.expired;
        assert!(unrun > 100, "{label}: the case drops attempts unrun: {s:?}");
        assert_eq!(
            (s.queued, s.in_flight),
            (0, 0),
            "{label}: all gone by the end"
        );
        let law = &s.littles_law;
        assert!(
            law.relative_error < 1e-6,
            "{label}: L {} against λW {} ({law:?})",
            law.l,
            law.lambda_per_s * law.w_s
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// The same identity on random services and call links: any
    /// discipline, cancellation or not, retries, hedges, propagated
    /// deadlines, pools, 1 to 3 workers, an overload of 1 to 2.5 times
    /// capacity. A run that still holds attempts at its end (retries
    /// without cancellation can pile up faster than they drain) is
    /// skipped: its stays are cut by the end and the identity needs them
    /// whole.
    #[test]
    fn littles_law_holds_on_random_services_that_end_empty(
        discipline in proptest::sample::select(vec!["fifo", "lifo", "adaptive_lifo", "codel"]),
        cancel in proptest::bool::ANY,
        link in proptest::sample::select(vec![
            "",
            ", retry = { attempts = 2, backoff = { fixed = { delay = \"50ms\" } } }",
            ", hedge = { delay = \"150ms\", max_attempts = 2 }",
            ", propagate_deadline = true",
            ", pool = 5",
        ]),
        workers in 1u32..4,
        overload in 1.0f64..2.5,
    ) {
        let base = 6.0 * f64::from(workers);
        let peak = 10.0 * f64::from(workers) * overload;
        let steps = format!(
            "{{ schedule = {{ steps = [ {{ at = \"0s\", rate_per_s = {base} }}, \
             {{ at = \"5m\", rate_per_s = {peak} }}, {{ at = \"10m\", rate_per_s = {base} }}, \
             {{ at = \"15m\", rate_per_s = 0 }} ] }} }}"
        );
        let queue = format!("accept_queue = {{ discipline = \"{discipline}\", cancel = {cancel} }}");
        let o = called_svc(&steps, link, workers, &queue);
        let s = service(&o, "svc");
        proptest::prop_assume!(s.queued == 0 && s.in_flight == 0);
        let law = &s.littles_law;
        proptest::prop_assert!(
            law.relative_error < 1e-6,
            "L {} against λW {} ({law:?})",
            law.l,
            law.lambda_per_s * law.w_s
        );
    }
}

/// `front` (one worker, no work) is called by producers who wait 1 s and
/// calls `back` (one worker, `back_s` each) with a 10 s timeout.
fn chain(propagate: &str, back_s: f64, rate: f64) -> RunOutcome {
    run(&format!(
        r#"
        seed = 6
        horizon = "60s"
        [producers.web]
        arrival = {{ constant = {{ rate_per_s = {rate} }} }}
        call = {{ service = "front", timeout = "1s"{propagate} }}
        [groups.front]
        workers = 100
        service = {{ constant = {{ value = "0s" }} }}
        call = [{{ service = "back", timeout = "10s" }}]
        [groups.back]
        workers = 1
        service = {{ constant = {{ value = "{back_s}s" }} }}
        "#
    ))
}

#[test]
fn a_propagated_deadline_ends_the_calls_down_the_chain_with_it() {
    // Back takes 1.5 s: without propagation front waits the whole 1.5 s
    // for an answer its caller gave up on at 1 s; with it, front's call
    // ends at the caller's deadline.
    let without = chain("", 1.5, 0.25);
    let with = chain(", propagate_deadline = true", 1.5, 0.25);
    let (w, p) = (call(&without, "front.back"), call(&with, "front.back"));
    assert_eq!((w.timeouts, w.errors), (0, 0), "{w:?}");
    assert_eq!(
        p.timeouts, p.requests,
        "every call ends at the deadline: {p:?}"
    );
    assert!((p.latency.max_s - 1.0).abs() < 1e-6, "{:?}", p.latency);
    assert_eq!(call(&with, "web.front").errors, p.requests);
}

#[test]
fn a_service_drops_unstarted_what_is_past_its_deadline() {
    // Back takes 0.6 s and is called twice a second: its queue grows.
    // With deadlines, what waits past its caller's second is dropped
    // unstarted.
    let without = chain("", 0.6, 2.0);
    let with = chain(", propagate_deadline = true", 0.6, 2.0);
    let (bw, bp) = (service(&without, "back"), service(&with, "back"));
    assert_eq!(bw.dropped.expired, 0);
    assert!(bp.dropped.expired > 10, "{bp:?}");
    assert!(bw.queue_wait.max_s > 5.0, "{:?}", bw.queue_wait);
    assert!(
        bp.queue_wait.max_s < 1.0,
        "nothing starts past its deadline: {:?}",
        bp.queue_wait
    );
    // Its queue stays as short as a deadline's worth of arrivals. (FIFO
    // still serves the oldest, nearly expired, so the callers' successes
    // barely change: that takes LIFO or CoDel too.)
    assert!(bp.max_depth <= 2 && bw.max_depth > 10, "{bp:?} {bw:?}");
}

#[test]
fn sync_modes_accept_queue_bounds_the_downstream() {
    // M/M/2 called in sync mode with [sync] accept_queue capacity 0: a
    // loss system, whose refused share is Erlang B (same as the group's
    // own accept_queue would give).
    let text = |queue: &str| {
        format!(
            r#"
            seed = 8
            horizon = "2000s"
            mode = "sync"
            [sync]
            timeout = "100s"
            {queue}
            [producers.web]
            arrival = {{ poisson = {{ rate_per_s = 2 }} }}
            [groups.svc]
            workers = 2
            service = {{ exponential = {{ mean = "1s" }} }}
            "#
        )
    };
    let o = run(&text("accept_queue = { capacity = 0 }"));
    let g = &o.groups[0];
    let refused = g.dropped.rejected as f64 / (g.accepted + g.dropped.rejected) as f64;
    assert!(refused > 0.3, "Erlang B(2, 2) = 0.4 of attempts: {refused}");
    let o = run(&text(""));
    assert_eq!(o.groups[0].dropped.rejected, 0);
}

#[test]
fn a_sync_breaker_turns_the_file_into_a_graph_with_its_call_link() {
    let o = run(r#"
        seed = 8
        horizon = "60s"
        mode = "sync"
        [sync]
        breaker = {}
        [producers.web]
        arrival = { poisson = { rate_per_s = 2 } }
        [groups.svc]
        workers = 2
        service = { exponential = { mean = "100ms" } }
    "#);
    let c = call(&o, "web.svc");
    assert_eq!(c.breaker_opened, 0);
    assert!(c.requests > 60, "{c:?}");
    assert!(!o.call_series.is_empty());
}

#[test]
fn envoys_retry_budget_caps_the_retries_in_progress() {
    // A service that never answers in time (10 s against a 3 s timeout),
    // called once a second with 3 retries each. Envoy's budget with a
    // minimum of 1 and a tiny share lets one retry be in progress at a
    // time; each lasts its 3 s timeout, so over the ~100 s of requests at
    // most ~35 retries go out, against 3 per request without a budget.
    let text = |budget: &str| {
        format!(
            r#"
            seed = 9
            horizon = "100s"
            [producers.web]
            arrival = {{ constant = {{ rate_per_s = 1 }} }}
            call = {{ service = "svc", timeout = "3s", retry = {{ attempts = 3 }}{budget} }}
            [groups.svc]
            workers = 100
            service = {{ constant = {{ value = "10s" }} }}
            "#
        )
    };
    let budget = ", retry_budget = { budget_percent = 0.001, min_retry_concurrency = 1 }";
    let o = run(&text(budget));
    let c = call(&o, "web.svc");
    let retries = c.attempts - c.requests;
    assert!((20..=36).contains(&retries), "{c:?}");
    assert!(c.throttled > 50, "{c:?}");
    let o = run(&text(""));
    let c = call(&o, "web.svc");
    assert_eq!(c.throttled, 0);
    assert!(c.attempts >= 3 * c.requests, "{c:?}");
}

#[test]
fn a_breaker_with_hedges_still_probes_and_closes_after_an_outage() {
    // Hedges take none of the half-open probes: once the service is
    // back, the probes succeed and the breaker closes (with hedges taking
    // probes, losers never answered and it stayed half-open for good).
    let o = run(r#"
        seed = 12
        horizon = "120s"
        sample_interval = "1s"
        [producers.web]
        arrival = { poisson = { rate_per_s = 20 } }
        call = { service = "svc", timeout = "2s", hedge = { delay = "30ms" }, breaker = { window = 10, minimum_calls = 10, open_for = "5s", half_open_calls = 2 } }
        [groups.svc]
        workers = 4
        service = { exponential = { mean = "40ms" } }
        outages = [{ start = "20s", end = "40s" }]
    "#);
    let c = call(&o, "web.svc");
    assert!(c.breaker_opened >= 1 && c.short_circuited > 0, "{c:?}");
    let last = o.call_series.last().unwrap();
    assert_eq!(last.breaker, 0, "closed again: {last:?}");
    let late: u64 = (o.call_series.iter())
        .filter(|r| r.time_s > 60.0)
        .map(|r| r.short_circuited)
        .sum();
    assert_eq!(late, 0, "nothing refused long after the outage");
}

#[test]
fn an_attempts_timeout_during_the_backoff_is_stale() {
    // Every attempt fails after 100 ms; one retry 2 s later; timeout 1 s.
    // Each request makes exactly two attempts and times out on none (the
    // first attempt's timeout falls in the backoff, when it is stale).
    let o = run(r#"
        seed = 13
        horizon = "60s"
        drain = true
        [producers.web]
        arrival = { constant = { rate_per_s = 1 } }
        call = { service = "svc", timeout = "1s", retry = { attempts = 1, backoff = { fixed = { delay = "2s" } } } }
        poison = true
        [groups.svc]
        workers = 4
        service = { constant = { value = "100ms" } }
    "#);
    let c = call(&o, "web.svc");
    assert_eq!(c.attempts, 2 * c.requests, "{c:?}");
    assert_eq!((c.timeouts, c.errors), (0, c.requests), "{c:?}");
}

#[test]
fn a_producer_crash_during_a_backoff_sends_no_retry() {
    // The producer crashes while its requests back off before their
    // retry: they end as errors once, and no retry goes out for them
    // (the run's conservation check holds: `run` fails otherwise).
    let o = run(r#"
        seed = 14
        horizon = "60s"
        sample_interval = "1s"
        drain = true
        [producers.web]
        arrival = { constant = { rate_per_s = 10 } }
        call = { service = "svc", timeout = "1s", retry = { attempts = 2, backoff = { fixed = { delay = "3s" } } }, retry_budget = { budget_percent = 50, min_retry_concurrency = 3 } }
        crashes = [{ at = "20.5s", down = "10s" }]
        [groups.svc]
        workers = 2
        service = { constant = { value = "100ms" } }
        failure_probability = 0.5
    "#);
    let c = call(&o, "web.svc");
    assert_eq!(c.requests, c.succeeded + c.errors, "{c:?}");
    // After the crash, half the attempts fail and are retried: about 1.75
    // attempts a request (a leaked retry count would block them all).
    let late: Vec<_> = o
        .call_series
        .iter()
        .filter(|r| r.time_s > 40.0 && r.time_s <= 60.0)
        .collect();
    let attempts: f64 = late.iter().map(|r| r.attempts_per_s).sum();
    let requests: f64 = late.iter().map(|r| r.requests_per_s).sum();
    assert!(
        attempts > 1.5 * requests,
        "{attempts} attempts for {requests} requests"
    );
}

#[test]
fn a_priority_above_a_called_services_maximum_counts_as_the_maximum() {
    let o = run(r#"
        seed = 15
        horizon = "200s"
        mode = "sync"
        [topic]
        max_priority = 1
        [producers.premium]
        arrival = { constant = { rate_per_s = 1 } }
        priority = 5
        [groups.svc]
        workers = 1
        service = { constant = { value = "100ms" } }
    "#);
    let classes = &o.groups[0].classes;
    assert_eq!(classes.len(), 2);
    assert_eq!(classes[1].processed, o.groups[0].processed, "{classes:?}");
}
