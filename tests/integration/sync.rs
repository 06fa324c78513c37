//! Sync mode: producers call the downstream directly. Exact
//! micro-scenarios, and the same arrivals as the queued twin.

use crate::common;
use common::{close, scenario};
use mqsim::model::run_replication;
use mqsim::model::sim::RunOutcome;

fn run(text: &str) -> RunOutcome {
    run_replication(&scenario(text).system, 0, true).unwrap_or_else(|e| panic!("{e}"))
}

/// One request a second into one worker taking 0.5 s; the downstream is
/// down from 10 s to 20 s.
const OUTAGE: &str = r#"
    horizon = "100s"
    mode = "sync"
    [sync]
    timeout = "5s"
    [producers.p]
    arrival = { constant = { rate_per_s = 1 } }
    [groups.g]
    workers = 1
    service = { constant = { value = "500ms" } }
    outages = [ { start = "10s", end = "20s" } ]
"#;

#[test]
fn an_outage_fails_exactly_the_requests_that_arrive_during_it() {
    let o = run(OUTAGE);
    let t = &o.topic;
    // Requests at 1 … 99 s; those at 10 … 19 s are refused at once.
    assert_eq!(
        (t.created, t.caller_errors, t.rejected, t.caller_timeouts),
        (99, 10, 10, 0)
    );
    assert_eq!(o.groups[0].processed, 89);
    assert_eq!(o.groups[0].work_lost, 10);
    // Callers that got an answer waited 0.5 s; refused ones 0 s.
    close(t.producer_latency.max_s, 0.5);
    close(t.producer_latency.p50_s, 0.5);
}

#[test]
fn caller_retries_bridge_an_outage_shorter_than_their_backoff() {
    // Retry once after 15 s: every refused request gets through later.
    let o = run(&OUTAGE.replace(
        "timeout = \"5s\"",
        "timeout = \"5s\"\nretry = { attempts = 1, backoff = { fixed = { delay = \"15s\" } } }",
    ));
    let t = &o.topic;
    assert_eq!(
        (t.created, t.published, t.retries, t.caller_errors),
        (99, 109, 10, 0)
    );
    // The request at 10 s is answered at 25.5 s: 15.5 s of caller latency.
    close(t.producer_latency.max_s, 15.5);
}

#[test]
fn overload_turns_into_timeouts_and_wasted_work() {
    // 4 requests/s into 2/s of capacity for 10 s; callers wait at most 2 s.
    // The downstream keeps serving requests whose callers already left.
    let o = run(r#"
        horizon = "10s"
        drain = true
        mode = "sync"
        [sync]
        timeout = "2s"
        [producers.p]
        arrival = { constant = { rate_per_s = 4 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "500ms" } }
    "#);
    let (t, g) = (&o.topic, &o.groups[0]);
    assert_eq!(t.created, 39);
    // Request i arrives at 0.25·i s and, the worker never idling, is
    // answered at 0.25 + 0.5·i s: a wait of 0.25 + 0.25·i s. From i = 7 the
    // wait reaches the 2 s timeout (at exactly 2 s the timeout, scheduled
    // first, wins): 33 of 39 callers give up.
    assert_eq!((t.caller_timeouts, t.caller_errors), (33, 33));
    assert_eq!(t.wasted, 33, "every timed-out request was still processed");
    assert_eq!((g.processed, g.work_lost), (39, 0));
    close(t.producer_latency.max_s, 2.0);
    // The median caller waited the full timeout.
    close(t.producer_latency.p50_s, 2.0);
}

#[test]
fn sync_and_queued_twins_see_the_same_arrivals() {
    let queued = OUTAGE.replace("mode = \"sync\"", "");
    let q = run(&queued);
    let s = run(OUTAGE);
    assert_eq!(q.topic.created, s.topic.created);
    // Queued: the outage only delays; nothing fails.
    assert_eq!(
        (
            q.topic.caller_errors,
            q.groups[0].work_lost,
            q.groups[0].processed
        ),
        (0, 0, 99)
    );
}

#[test]
fn sync_mode_of_a_topic_with_two_readers_calls_each_in_turn() {
    // The topic becomes a service that does no work and calls g (0.5 s)
    // then h (1 s): a request every 5 s waits exactly 1.5 s.
    let text = r#"
        horizon = "100s"
        mode = "sync"
        [producers.p]
        arrival = { constant = { rate_per_s = 0.2 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "500ms" } }
        [groups.h]
        workers = 1
        service = { constant = { value = "1s" } }
    "#;
    let o = run(text);
    let call = |name: &str| o.calls.iter().find(|c| c.name == name).unwrap();
    let (front, g, h) = (call("p.topic"), call("topic.g"), call("topic.h"));
    assert_eq!(front.requests, 19, "one every 5 s from 5 s");
    assert_eq!((g.requests, h.requests), (19, 19));
    close(front.latency.mean_s, 1.5);
    assert!(
        o.topics.is_empty() && o.groups.is_empty(),
        "no topic is left"
    );
}

#[test]
fn sync_mode_of_a_graph_turns_each_topic_edge_into_a_call() {
    // p → t1 → a (1 s) → t2 → b (2 s) becomes p calls a, which calls b:
    // the caller waits for both, exactly 3 s.
    let text = r#"
        horizon = "100s"
        mode = "sync"
        [topics.t1]
        [topics.t2]
        capacity = 5
        [producers.p]
        topic = "t1"
        arrival = { constant = { rate_per_s = 0.1 } }
        [groups.a]
        topic = "t1"
        workers = 1
        service = { constant = { value = "1s" } }
        publish = [{ topic = "t2" }]
        [groups.b]
        topic = "t2"
        workers = 1
        service = { constant = { value = "2s" } }
    "#;
    let s = scenario(text);
    let o = run(text);
    let p = o.calls.iter().find(|c| c.name == "p.a").unwrap();
    assert_eq!((p.requests, p.errors), (9, 0));
    close(p.latency.mean_s, 3.0);
    let b = o.calls.iter().find(|c| c.name == "a.b").unwrap();
    assert_eq!(b.requests, 9);
    // The normalised file is the rewritten one, still in sync mode, and
    // reads back to the same architecture.
    let normalised = s.normalised_toml().unwrap();
    assert!(normalised.contains("mode = \"sync\""), "{normalised}");
    assert!(!normalised.contains("[topics."), "{normalised}");
    let again = scenario(&normalised);
    let names = |s: &mqsim::scenario::Scenario| {
        (s.system.services.iter())
            .map(|g| g.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&again), names(&s));
    assert_eq!(names(&s), ["a", "b"]);
}

/// Regression (review): sync mode ignored producer `poison` and `crashes`,
/// so a `compare --sync` twin saw different requests.
#[test]
fn sync_twins_honour_producer_poison_and_crashes() {
    let text = r#"
        horizon = "10s"
        mode = "sync"
        [producers.p]
        arrival = { constant = { rate_per_s = 10 } }
        poison = true
        crashes = [ { at = "2s", down = "5s" } ]
        [groups.g]
        workers = 2
        service = { constant = { value = "10ms" } }
    "#;
    let s = run(text);
    let q = run(&text.replace("mode = \"sync\"", ""));
    assert_eq!((s.topic.created, q.topic.created), (99, 99));
    // Down from 2 s to 7 s: arrivals at 2.0 … 6.9 s are lost in both.
    assert_eq!(q.topic.lost, 50);
    assert_eq!(s.groups[0].processed, 0, "every poisoned request fails");
    assert_eq!(s.topic.caller_errors, 99);
    assert_eq!(s.groups[0].work_lost, 99);
    assert_eq!(q.groups[0].processed, 0);
}

#[test]
fn sync_modes_downstream_with_no_accept_queue_refuses_while_busy() {
    // A request every 0.5 s, one worker taking 0.7 s, nowhere to wait:
    // every other request finds the worker busy and is refused at once.
    let text = r#"
        horizon = "100s"
        mode = "sync"
        [producers.p]
        arrival = { constant = { rate_per_s = 2 } }
        [groups.g]
        workers = 1
        service = { constant = { value = "700ms" } }
        accept_queue = { capacity = 0 }
    "#;
    let o = run(text);
    assert_eq!(o.topic.created, 199, "one every 0.5 s from 0.5 s");
    assert_eq!(o.topic.rejected, 99, "the even ones");
    let g = &o.groups[0];
    assert_eq!(g.processed + g.in_flight, 100);
    assert_eq!(g.max_depth, 0, "nothing ever waits");
}

#[test]
fn a_cancelled_request_is_dropped_before_it_runs_and_the_queue_stays_short() {
    // A request every second, patience 0.5 s, one worker taking 2 s. The
    // first runs (its caller left while it ran: wasted); the second waits
    // and its caller gives up at 2.5 s, so the service drops it unrun; the
    // third finds the worker free at 3 s, and so on: odd requests run,
    // even ones are cancelled, and nothing piles up.
    let text = |cancel: bool| {
        format!(
            r#"
            horizon = "100s"
            mode = "sync"
            [sync]
            timeout = "500ms"
            [producers.p]
            arrival = {{ constant = {{ rate_per_s = 1 }} }}
            [groups.g]
            workers = 1
            service = {{ constant = {{ value = "2s" }} }}
            accept_queue = {{ cancel = {cancel} }}
            "#
        )
    };
    let o = run(&text(true));
    let g = &o.groups[0];
    assert_eq!(o.topic.created, 99);
    assert_eq!(g.dropped.expired, 49, "a2, a4, ..., a98 dropped unrun");
    assert_eq!(
        (g.processed, g.in_flight),
        (49, 1),
        "a1, a3, ..., a97 ran; a99 runs"
    );
    assert_eq!(g.max_depth, 1);
    assert_eq!(o.topic.wasted, 49, "every one that ran was too late");
    // Without cancellation every request runs, too late, and the queue
    // grows by half a request a second.
    let o = run(&text(false));
    let g = &o.groups[0];
    assert_eq!(g.dropped.expired, 0);
    assert!(g.max_depth >= 45, "{}", g.max_depth);
}
