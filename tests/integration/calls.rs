//! Direct calls between services (`call` links): a worker held until the
//! answer, timeouts and retries, a called service's outage, calls made
//! with a probability, and conservation on random call graphs.

use crate::common;
use common::{call, group, run, service};
use proptest::prelude::*;

/// Producers at `rate` per second into a topic read by `front` (one worker
/// with no work of its own), which calls `back` with `link`; `back` has
/// constant service `back_s` and `back_extra` settings.
fn front_calls_back(rate: f64, link: &str, back_s: f64, back_extra: &str) -> String {
    format!(
        r#"
        seed = 5
        horizon = "100s"
        [topic]
        redelivery_backoff = {{ fixed = {{ delay = "10ms" }} }}
        [producers.web]
        arrival = {{ poisson = {{ rate_per_s = {rate} }} }}
        [groups.front]
        workers = 1
        service = {{ constant = {{ value = "0s" }} }}
        call = [{{ service = "back"{link} }}]
        [groups.back]
        workers = 10
        service = {{ constant = {{ value = "{back_s}s" }} }}
        {back_extra}
        "#
    )
}

#[test]
fn a_caller_is_held_until_the_answer_so_its_pool_fills_behind_a_slow_service() {
    // The front's one worker spends 1 s on each call: it processes one
    // message a second however many workers the back has, and the rest
    // wait in the front's topic.
    let o = run(&front_calls_back(3.0, "", 1.0, ""));
    let front = group(&o, "front");
    assert!((98..=100).contains(&front.processed), "{}", front.processed);
    assert!(front.utilisation > 0.98, "{}", front.utilisation);
    assert!(
        front.queued > 150,
        "the backlog waits upstream: {}",
        front.queued
    );
    let back = service(&o, "back");
    assert_eq!(back.processed, front.processed);
    assert!(
        back.utilisation < 0.11,
        "nine of its ten workers idle: {}",
        back.utilisation
    );
    let c = call(&o, "front.back");
    assert_eq!(
        c.requests,
        c.succeeded + 1,
        "one call still waits at the end"
    );
    assert_eq!((c.errors, c.timeouts, c.refused), (0, 0, 0));
    assert!(
        (c.latency.mean_s - 1.0).abs() < 1e-9,
        "{}",
        c.latency.mean_s
    );
    // Front's processing is all call: no own work, no publish.
    let path = o.paths.iter().find(|p| p.place == "front").unwrap();
    let parts = path.processing_parts.unwrap();
    assert!(parts[0].abs() < 1e-9 && parts[2].abs() < 1e-9, "{parts:?}");
    assert!((parts[1] - 1.0).abs() < 1e-9, "{parts:?}");
}

#[test]
fn a_timed_out_call_is_retried_and_then_fails_the_delivery() {
    // Every attempt takes 2 s and the caller waits 1 s, twice: each
    // request times out twice and fails the delivery, which the topic
    // redelivers. The back processes every attempt, heard or not.
    let link =
        r#", timeout = "1s", retry = { attempts = 1, backoff = { fixed = { delay = "500ms" } } }"#;
    let o = run(&front_calls_back(0.5, link, 2.0, ""));
    let c = call(&o, "front.back");
    let front = group(&o, "front");
    let waiting = c.requests - c.succeeded - c.errors;
    assert!(waiting <= 1, "{c:?}");
    assert_eq!(c.succeeded, 0);
    // Two attempts and two timeouts per ended request; the one still
    // waiting at the end has made one or two.
    let ended = c.requests - waiting;
    assert!((2 * ended..=2 * c.requests).contains(&c.attempts), "{c:?}");
    assert!((2 * ended..=2 * c.requests).contains(&c.timeouts), "{c:?}");
    assert_eq!(front.failures.failed, c.errors);
    assert_eq!(front.processed, 0);
    // Each request holds the front's one worker exactly 1 + 0.5 + 1 =
    // 2.5 s: its busy time over the 100 s is 2.5 s per ended request, plus
    // the part of the one still waiting.
    let busy_s = front.utilisation * o.window_s;
    let held_s = 2.5 * ended as f64;
    assert!(
        busy_s >= held_s - 1e-6 && busy_s <= held_s + 2.5 + 1e-6,
        "busy {busy_s} s for {ended} ended requests"
    );
    let back = service(&o, "back");
    // The back never fails: every attempt it accepted ran or is running.
    assert_eq!(back.processed + back.in_flight + back.queued, c.attempts);
}

#[test]
fn a_called_service_that_is_down_refuses_calls_at_once() {
    let extra = r#"outages = [{ start = "20s", end = "40s" }]"#;
    let o = run(&front_calls_back(2.0, "", 0.1, extra));
    let c = call(&o, "front.back");
    assert!(c.refused > 20, "{c:?}");
    assert_eq!(c.timeouts, 0);
    // Without retries each refusal is the request's error, and fails the
    // delivery that made it.
    assert_eq!(c.errors, c.refused + service(&o, "back").dropped.lost);
    assert_eq!(group(&o, "front").failures.failed, c.errors);
}

#[test]
fn a_call_made_with_a_probability_is_made_that_share_of_the_time() {
    let o = run(&front_calls_back(50.0, ", probability = 0.3", 0.0, ""));
    let front = group(&o, "front");
    let c = call(&o, "front.back");
    let n = front.processed as f64;
    let share = c.requests as f64 / n;
    // Binomial: four standard errors.
    let bound = 4.0 * (0.3 * 0.7 / n).sqrt();
    assert!((share - 0.3).abs() < bound, "{share} over {n}");
}

#[test]
fn a_chain_of_calls_ends_each_attempt_once_and_drains_empty() {
    let text = r#"
        seed = 9
        horizon = "300s"
        drain = true
        [topic]
        redelivery_backoff = { fixed = { delay = "100ms" } }
        max_deliveries = 3
        dlq = true
        [producers.web]
        arrival = { poisson = { rate_per_s = 20 } }
        [groups.a]
        workers = 8
        service = { exponential = { mean = "10ms" } }
        call = [{ service = "b", timeout = "400ms" }, { service = "c", probability = 0.5 }]
        [groups.b]
        workers = 4
        service = { exponential = { mean = "50ms" } }
        failure_probability = 0.05
        call = [{ service = "c", timeout = "300ms", retry = { attempts = 2 } }]
        [groups.c]
        workers = 3
        service = { exponential = { mean = "60ms" } }
        failure_probability = 0.1
        crash = { mtbf = { exponential = { mean = "60s" } }, mttr = { constant = { value = "2s" } } }
        "#;
    let o = run(text);
    assert!(o.diagnostics.empty, "nothing left after the drain");
    for c in &o.calls {
        assert_eq!(c.requests, c.succeeded + c.errors, "{c:?}");
    }
    // c is called from two places: its attempts are both links' attempts
    // that were not refused.
    let c = service(&o, "c");
    let into_c = call(&o, "a.c").attempts + call(&o, "b.c").attempts
        - call(&o, "a.c").refused
        - call(&o, "b.c").refused;
    assert_eq!(c.deliveries, into_c);
    assert_eq!(c.processed + c.dropped.lost, into_c);
    let a = group(&o, "a");
    assert!(a.failures.failed > 0 && a.dead_lettered > 0, "{a:?}");
    assert_eq!(
        a.failures.failed,
        call(&o, "a.b").errors + call(&o, "a.c").errors
    );
}

/// A random directed acyclic graph of called services behind one group.
fn random_calls() -> impl Strategy<Value = String> {
    let service = (1u32..4, 1u32..40, 0.0..0.3f64, 0u32..3, 1u32..200, 0u8..6);
    (
        prop::collection::vec(service, 1..5),
        prop::collection::vec((0usize..5, 0usize..5, 0.2..1.0f64, 0u8..5), 1..8),
        any::<u64>(),
    )
        .prop_map(|(services, edges, seed)| {
            let n = services.len();
            let mut text = format!(
                "seed = {seed}\nhorizon = \"60s\"\ndrain = true\n[topic]\nmax_deliveries = 2\ndlq = true\n\
                 [producers.p]\narrival = {{ poisson = {{ rate_per_s = 30 }} }}\n\
                 [groups.front]\nworkers = 4\nservice = {{ exponential = {{ mean = \"5ms\" }} }}\n\
                 call = [{{ service = \"s0\" }}]\n"
            );
            for (i, (workers, mean_ms, fail, retries, timeout_ms, queue)) in services.iter().enumerate() {
                // Edges only from a lower to a higher index: no cycle.
                let calls: Vec<String> = (edges.iter())
                    .filter(|(from, to, _, _)| from % n == i && to % n > i)
                    .map(|(_, to, p, policy)| {
                        // Resilience: retries, and a breaker (failing
                        // fast or degraded), hedges, or a deadline.
                        let retry = format!("retry = {{ attempts = {retries} }}");
                        let policy = match policy {
                            0 => retry,
                            1 => format!("{retry}, breaker = {{ window = 5, minimum_calls = 3, open_for = \"2s\", half_open_calls = 2, consecutive_failures = 3 }}"),
                            2 => format!("{retry}, breaker = {{ window = \"300ms\", minimum_calls = 4, open_for = \"1s\", slow_call = \"20ms\", slow_call_rate = 0.5, fallback = \"degraded\" }}"),
                            3 => "hedge = { delay = \"10ms\", max_attempts = 3 }".to_owned(),
                            _ => format!("{retry}, propagate_deadline = true"),
                        };
                        format!(
                            "{{ service = \"s{}\", probability = {p}, timeout = \"{timeout_ms}ms\", {policy} }}",
                            to % n
                        )
                    })
                    .collect();
                // Accept queues: unbounded, none, a few places (LIFO),
                // unbounded with cancellation, adaptive LIFO, CoDel.
                let accept = [
                    "",
                    "accept_queue = { capacity = 0 }\n",
                    "accept_queue = { capacity = 3, discipline = \"lifo\" }\n",
                    "accept_queue = { cancel = true }\n",
                    "accept_queue = { discipline = \"adaptive_lifo\", interval = \"20ms\" }\n",
                    "accept_queue = { discipline = \"codel\", target = \"10ms\", interval = \"50ms\" }\n",
                ][*queue as usize];
                text += &format!(
                    "[groups.s{i}]\nworkers = {workers}\nservice = {{ exponential = {{ mean = \"{mean_ms}ms\" }} }}\n\
                     failure_probability = {fail}\ncall = [{}]\n{accept}",
                    calls.join(", ")
                );
            }
            // A service no one calls would read the topic: call them all.
            let rest: Vec<String> = (1..n).map(|i| format!("{{ service = \"s{i}\", probability = 0.1 }}")).collect();
            text = text.replacen(
                "call = [{ service = \"s0\" }]",
                &format!("call = [{}]", std::iter::once("{ service = \"s0\" }".to_owned()).chain(rest).collect::<Vec<_>>().join(", ")),
                1,
            );
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// On any call graph each request ends once, each attempt ends once at
    /// its service, and the run drains empty (the run's own conservation
    /// checks on every topic, service and link pass).
    #[test]
    fn every_call_ends_once_on_random_call_graphs(text in random_calls()) {
        let o = run(&text);
        prop_assert!(o.diagnostics.empty);
        for c in &o.calls {
            prop_assert_eq!(c.requests, c.succeeded + c.degraded + c.errors);
            // A call past its deadline is a timeout with no attempt.
            prop_assert!(c.attempts + c.short_circuited + c.shed + c.timeouts >= c.requests);
            prop_assert!(c.degraded <= c.short_circuited);
            prop_assert!(c.hedges_won <= c.hedges);
        }
        for s in &o.services {
            prop_assert_eq!(s.queued + s.in_flight, 0);
        }
    }
}

#[test]
fn a_brownout_slows_and_fails_only_what_starts_inside_it() {
    // The back takes 100 ms, ten times longer from 40 s to 50 s, and
    // fails every call from 70 s to 75 s: the slowest call took 1 s, and
    // the errors are the calls made in the failing window: the front's one
    // worker makes one every 100 ms there (a failed delivery is redelivered
    // at once), at most 50.
    let extra = r#"brownouts = [
        { start = "40s", end = "50s", latency_factor = 10 },
        { start = "70s", end = "75s", failure_probability = 1 },
    ]"#;
    let o = run(&front_calls_back(2.0, "", 0.1, extra));
    let c = call(&o, "front.back");
    // Histogram resolution: within 1%.
    assert!((c.latency.max_s - 1.0).abs() < 0.01, "{}", c.latency.max_s);
    assert!(c.latency.p50_s < 0.11, "{}", c.latency.p50_s);
    assert!((40..=51).contains(&c.errors), "{c:?}");
    let logged_failures = group(&o, "front").failures.failed;
    assert_eq!(logged_failures, c.errors);
}

/// A producer at `rate` per second calling `front` (one worker, constant
/// `front_s`), which publishes each processed request to `events`
/// (`topic_extra` settings), read by `back` (one worker, constant
/// `back_s`).
fn producer_calls_a_publisher(rate: f64, front_s: f64, back_s: f64, topic_extra: &str) -> String {
    format!(
        r#"
        seed = 8
        horizon = "100s"
        [topics.events]
        {topic_extra}
        [producers.web]
        arrival = {{ constant = {{ rate_per_s = {rate} }} }}
        call = {{ service = "front", timeout = "1h" }}
        [groups.front]
        workers = 1
        service = {{ constant = {{ value = "{front_s}s" }} }}
        publish = [{{ topic = "events", count = 2 }}]
        [groups.back]
        topic = "events"
        workers = 1
        service = {{ constant = {{ value = "{back_s}s" }} }}
        "#
    )
}

#[test]
fn a_producer_calls_a_service_whose_children_keep_the_requests_root() {
    // One request every 10 s; front takes 1 s and publishes two events,
    // which back handles in 2 s each, one after the other: 3 s and 5 s
    // after the request, exactly, with nothing queued in between.
    let o = run(&producer_calls_a_publisher(0.1, 1.0, 2.0, ""));
    let c = call(&o, "web.front");
    assert_eq!(c.requests, 9, "one every 10 s from 10 s");
    assert_eq!((c.succeeded, c.errors), (9, 0));
    assert!((c.latency.mean_s - 1.0).abs() < 1e-9, "{c:?}");
    let link = o.links.iter().find(|l| l.name == "front.events").unwrap();
    assert_eq!((link.sent, link.accepted, link.refused), (18, 18, 0));
    let path = |name: &str| o.paths.iter().find(|p| p.name == name).unwrap();
    assert_eq!(path("front").processed, 9);
    assert!((path("front").e2e.max_s - 1.0).abs() < 1e-9);
    let back = path("front-events-back");
    assert_eq!(back.processed, 18);
    assert!((back.e2e.max_s - 5.0).abs() < 1e-9, "{:?}", back.e2e);
    assert!((back.e2e.mean_s - 4.0).abs() < 1e-9, "{:?}", back.e2e);
    // Split by hop: the second event waits 2 s for the first; each takes
    // 2 s at back, and front's 1 s came before.
    assert_eq!(back.hops, ["front", "front-events-back"]);
    assert_eq!(back.place, "back");
    let (wait, work) = (
        back.queue_wait.as_ref().unwrap(),
        back.processing.as_ref().unwrap(),
    );
    assert!(
        (wait.mean_s - 1.0).abs() < 1e-9 && (wait.max_s - 2.0).abs() < 1e-9,
        "{wait:?}"
    );
    assert!((work.mean_s - 2.0).abs() < 1e-9, "{work:?}");
    let front = path("front").processing.as_ref().unwrap();
    assert!((front.mean_s - 1.0).abs() < 1e-9, "{front:?}");
    assert_eq!(group(&o, "back").processed, 18);
    // The topic counts the children as published by the service.
    let events = o.topics.iter().find(|t| t.name == "events").unwrap();
    assert_eq!(events.published, 18);
}

#[test]
fn a_child_refused_by_a_full_topic_fails_the_call_that_made_it() {
    // back takes 30 s per event behind a topic of capacity 4 that rejects:
    // once it is full, front's attempts fail and its callers see errors,
    // one for each attempt with a refused child.
    let full = r#"capacity = 4
        policy = "reject""#;
    let o = run(&producer_calls_a_publisher(1.0, 0.1, 30.0, full));
    let c = call(&o, "web.front");
    let link = o.links.iter().find(|l| l.name == "front.events").unwrap();
    assert!(link.refused > 50, "{link:?}");
    assert_eq!(link.sent, link.accepted + link.refused);
    // Each failed attempt published two children: the first may have got
    // in, the second was refused (or both were).
    assert!(c.errors > 0 && c.errors <= link.refused, "{c:?} {link:?}");
    assert_eq!(service(&o, "front").dropped.lost, c.errors);
    assert!(c.requests - c.succeeded - c.errors <= 1, "{c:?}");
}

#[test]
fn a_producer_that_calls_loses_its_waiting_requests_when_it_crashes() {
    // Front holds each request 5 s; the producer crashes at 50 s for 20 s:
    // the request it was waiting on ends as an error, and it sends nothing
    // while it is down.
    let text = r#"
        seed = 3
        horizon = "100s"
        [producers.web]
        arrival = { constant = { rate_per_s = 1 } }
        call = { service = "front" }
        crashes = [{ at = "50.5s", down = "20s" }]
        [groups.front]
        workers = 10
        service = { constant = { value = "5s" } }
        "#;
    let o = run(text);
    let c = call(&o, "web.front");
    // Requests made at 46..=50 s were waiting: each is an error.
    assert_eq!(c.errors, 5 + 20, "{c:?}");
    // What the lost requests started still runs: the service knows
    // nothing of the crash.
    let front = service(&o, "front");
    assert_eq!(front.processed + front.in_flight, c.attempts);
    let waiting = c.requests - c.succeeded - c.errors;
    assert!(
        (4..=5).contains(&waiting),
        "requests of the last 5 s wait: {c:?}"
    );
    // Requests lost while the producer was down made no attempt, and no
    // attempt was a retry.
    assert_eq!(front.redeliveries, 0);
}

#[test]
fn a_chain_goes_on_through_a_called_service_that_publishes() {
    // front reads orders and calls svc, which publishes half of the time
    // to events, read by back. A chain ends at back, or at front when svc
    // published nothing: never at front when svc did.
    let text = r#"
        seed = 12
        horizon = "200s"
        drain = true
        [topics.orders]
        [topics.events]
        [producers.web]
        topic = "orders"
        arrival = { poisson = { rate_per_s = 5 } }
        [groups.front]
        topic = "orders"
        workers = 4
        service = { exponential = { mean = "10ms" } }
        call = [{ service = "svc" }]
        [groups.svc]
        workers = 4
        service = { exponential = { mean = "20ms" } }
        publish = [{ topic = "events", probability = 0.5 }]
        [groups.back]
        topic = "events"
        workers = 2
        service = { exponential = { mean = "30ms" } }
        "#;
    let o = run(text);
    assert!(o.diagnostics.empty, "drained");
    let link = o.links.iter().find(|l| l.name == "svc.events").unwrap();
    let front = group(&o, "front").processed;
    let back = group(&o, "back").processed;
    assert!(
        link.sent > 300 && link.sent < front - 300,
        "{link:?} of {front}"
    );
    assert_eq!(back, link.sent);
    let ends = o.paths.iter().find(|p| p.name == "all").unwrap().processed;
    assert_eq!(ends, back + (front - link.sent));
}

#[test]
fn a_publish_latency_holds_the_worker_until_the_topic_acks() {
    // front does no work of its own, but each of its two children takes
    // 1 s to be acked (sent together): its worker is held 1 s a request,
    // and the caller hears the answer after exactly 1 s.
    let latency = r#"publish_latency = { constant = { value = "1s" } }"#;
    let o = run(&producer_calls_a_publisher(0.5, 0.0, 0.1, latency));
    let c = call(&o, "web.front");
    assert!(c.succeeded >= 48, "{c:?}");
    assert!((c.latency.mean_s - 1.0).abs() < 1e-9, "{:?}", c.latency);
    let front = service(&o, "front");
    let busy_s = front.utilisation * o.window_s;
    assert!(
        (busy_s - c.attempts as f64).abs() <= 1.0 + 1e-6,
        "{busy_s} s for {c:?}"
    );
    let path = o.paths.iter().find(|p| p.name == "front").unwrap();
    let work = path.processing.as_ref().unwrap();
    assert!(
        (work.mean_s - 1.0).abs() < 1e-9,
        "the wait for the ack is processing: {work:?}"
    );
    // ... all of it the wait for the publishes: no own work, no call.
    let parts = path.processing_parts.unwrap();
    assert!(parts[0].abs() < 1e-9 && parts[1].abs() < 1e-9, "{parts:?}");
    assert!((parts[2] - 1.0).abs() < 1e-9, "{parts:?}");
}

#[test]
fn a_callers_pool_refuses_what_it_cannot_hold() {
    // The producer sends a request every 0.1 s but may have one waiting at
    // a time; each takes 0.5 s: one in five gets through, four are shed at
    // once, without an attempt.
    let text = r#"
        seed = 2
        horizon = "10s"
        [producers.web]
        arrival = { constant = { rate_per_s = 10 } }
        call = { service = "svc", pool = 1 }
        [groups.svc]
        workers = 10
        service = { constant = { value = "500ms" } }
        "#;
    let o = run(text);
    let c = call(&o, "web.svc");
    assert_eq!(c.requests, 99);
    assert_eq!((c.succeeded, c.shed, c.errors), (19, 79, 79), "{c:?}");
    assert_eq!(c.attempts, 20, "shed requests make no attempt");
}

#[test]
fn a_bulkhead_keeps_a_dependency_from_taking_every_worker() {
    // front's 8 workers call back (1 s) through a bulkhead of 2: at most
    // two calls are out at once, and the others fail at once instead of
    // holding a worker.
    let text = r#"
        seed = 2
        horizon = "100s"
        [topic]
        redelivery_backoff = { fixed = { delay = "100ms" } }
        max_deliveries = 1
        dlq = true
        [producers.web]
        arrival = { poisson = { rate_per_s = 6 } }
        [groups.front]
        workers = 8
        service = { constant = { value = "0s" } }
        call = [{ service = "back", pool = 2 }]
        [groups.back]
        workers = 10
        service = { constant = { value = "1s" } }
        "#;
    let o = run(text);
    let c = call(&o, "front.back");
    assert!(c.shed > 100, "{c:?}");
    assert_eq!(c.errors, c.shed, "no other error");
    assert_eq!(group(&o, "front").failures.failed, c.shed);
    let back = service(&o, "back");
    assert!(
        back.utilisation * 10.0 <= 2.0 + 1e-9,
        "{}",
        back.utilisation
    );
    assert!(back.utilisation * 10.0 > 1.5, "{}", back.utilisation);
}

#[test]
fn a_retry_budget_stops_the_retries_of_an_outage() {
    // Up to 3 immediate retries; the service is down from 10.5 s to
    // 20.5 s. With gRPC's throttling (4 tokens, a success gives 1 back,
    // retries only above 2): the first request of the outage spends two
    // tokens (one retry), and every later one fails without a retry. Its
    // successes refill the budget afterwards.
    let text = |budget: &str| {
        format!(
            r#"
            seed = 2
            horizon = "100s"
            [producers.web]
            arrival = {{ constant = {{ rate_per_s = 1 }} }}
            call = {{ service = "svc", retry = {{ attempts = 3 }}{budget} }}
            [groups.svc]
            workers = 1
            service = {{ constant = {{ value = "100ms" }} }}
            outages = [{{ start = "10.5s", end = "20.5s" }}]
            "#
        )
    };
    let o = run(&text(
        ", retry_budget = { max_tokens = 4, token_ratio = 1 }",
    ));
    let c = call(&o, "web.svc");
    assert_eq!(c.requests, 99);
    assert_eq!((c.errors, c.throttled), (10, 10), "{c:?}");
    assert_eq!(c.attempts, 99 + 1, "one retry in the whole outage");
    let o = run(&text(""));
    let c = call(&o, "web.svc");
    assert_eq!((c.errors, c.throttled), (10, 0), "{c:?}");
    assert_eq!(
        c.attempts,
        99 + 3 * 10,
        "every failed request retried three times"
    );
}
