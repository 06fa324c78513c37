//! Architectures of several topics joined by publish links: backpressure
//! from a full topic back to the delivery that published into it, a
//! descendant's TTL, paths past a publish cycle, and conservation per
//! topic and per link on random graphs.

use crate::common;
use common::{group, run};
use mqsim::model::sim::{RunOutcome, TopicOutcome};
use proptest::prelude::*;

fn topic<'o>(o: &'o RunOutcome, name: &str) -> &'o TopicOutcome {
    o.topics.iter().find(|t| t.name == name).unwrap()
}

/// `orders` → billing → `emails` (bounded, `policy`) → mailer, slower than
/// billing.
fn bounded_chain(policy: &str) -> String {
    format!(
        r#"
        seed = 3
        horizon = "600s"
        [topics.orders]
        redelivery_backoff = {{ fixed = {{ delay = "1s" }} }}
        [topics.emails]
        capacity = 5
        policy = "{policy}"
        [producers.web]
        topic = "orders"
        arrival = {{ poisson = {{ rate_per_s = 4 }} }}
        [groups.billing]
        topic = "orders"
        workers = 4
        service = {{ exponential = {{ mean = "100ms" }} }}
        publish = [{{ topic = "emails" }}]
        [groups.mailer]
        topic = "emails"
        workers = 1
        service = {{ exponential = {{ mean = "500ms" }} }}
        "#
    )
}

#[test]
fn a_child_refused_by_a_full_topic_fails_the_delivery_that_published_it() {
    let o = run(&bounded_chain("reject"));
    let (link, billing) = (&o.links[0], group(&o, "billing"));
    assert!(link.refused > 100, "the mailer falls behind: {link:?}");
    assert_eq!(link.sent, link.accepted + link.refused);
    // Each refusal failed one delivery of billing, which was redelivered.
    assert_eq!(billing.failures.failed, link.refused);
    assert!(billing.redeliveries >= link.refused - billing.delayed - billing.in_flight);
    // The refused children are the emails topic's rejections.
    assert_eq!(topic(&o, "emails").rejected, link.refused);
    // The backlog moved upstream: orders' messages wait for billing.
    assert!(billing.max_depth > 5, "{}", billing.max_depth);
}

#[test]
fn a_crash_after_the_side_effect_publishes_the_children_and_the_redelivery_again() {
    // The relay publishes each outbox row to events; its worker crashes
    // every 10.1 s (mid-delivery), always after the side effect (the publish) and before
    // the ack: each crashed delivery's event went out, and the row is
    // redelivered and published again, a duplicate event.
    let text = r#"
        seed = 4
        horizon = "300s"
        [topics.outbox]
        [topics.events]
        [producers.app]
        topic = "outbox"
        arrival = { constant = { rate_per_s = 2 } }
        [groups.relay]
        topic = "outbox"
        workers = 1
        service = { constant = { value = "300ms" } }
        publish = [{ topic = "events" }]
        crash = { mtbf = { constant = { value = "10.1s" } }, mttr = { constant = { value = "1s" } } }
        crash_after_side_effect = 1.0
        [groups.consumer]
        topic = "events"
        workers = 1
        service = { constant = { value = "1ms" } }
        "#;
    let o = run(text);
    let relay = group(&o, "relay");
    let link = o.links.iter().find(|l| l.name == "relay.events").unwrap();
    assert!(relay.failures.crashed > 10, "{:?}", relay.failures);
    // Every crashed delivery had done its side effect: its event is out.
    assert_eq!(link.sent, relay.processed + relay.failures.crashed);
    assert_eq!(link.sent, link.accepted);
    assert!(
        relay.duplicate_side_effects >= relay.failures.crashed - relay.in_flight - relay.queued
    );
    assert_eq!(
        group(&o, "consumer").processed
            + group(&o, "consumer").queued
            + group(&o, "consumer").in_flight,
        link.accepted
    );
}

#[test]
fn a_child_into_a_full_blocking_topic_holds_the_worker_until_there_is_room() {
    // emails blocks when full: billing's workers wait for room instead of
    // failing, so billing goes at the mailer's pace and the backlog moves
    // into orders; nothing is refused.
    let o = run(&bounded_chain("block"));
    let (link, billing) = (&o.links[0], group(&o, "billing"));
    assert_eq!((link.refused, billing.failures.failed), (0, 0), "{link:?}");
    assert_eq!(topic(&o, "emails").rejected, 0);
    assert!(
        topic(&o, "emails").max_blocked >= 1,
        "children waited for room"
    );
    // Billing's 4 workers at 100 ms could do 40/s; held by the mailer
    // (2/s), they are busy almost all the time and orders pile up.
    assert!(billing.utilisation > 0.9, "{}", billing.utilisation);
    assert!(billing.max_depth > 500, "{}", billing.max_depth);
    let mailer = group(&o, "mailer");
    assert!(mailer.utilisation > 0.95, "{}", mailer.utilisation);
    // Each child waited, or got in, or still waits.
    assert!(link.sent - link.accepted <= 4, "{link:?}");
}

#[test]
fn a_child_that_blocks_past_max_block_fails_the_delivery() {
    let text = bounded_chain("block").replace(
        "policy = \"block\"",
        "policy = { block = { max_block = \"500ms\" } }",
    );
    let o = run(&text);
    let (link, billing) = (&o.links[0], group(&o, "billing"));
    assert!(link.refused > 100, "{link:?}");
    assert_eq!(billing.failures.failed, link.refused);
    assert_eq!(topic(&o, "emails").publish_timeouts, link.refused);
}

#[test]
fn under_drop_oldest_a_full_topic_evicts_and_the_delivery_succeeds() {
    let o = run(&bounded_chain("drop_oldest"));
    let (link, billing, mailer) = (&o.links[0], group(&o, "billing"), group(&o, "mailer"));
    assert_eq!(link.refused, 0);
    assert_eq!(billing.failures.failed, 0);
    assert!(mailer.dropped.evicted > 100, "{:?}", mailer.dropped);
}

#[test]
fn a_descendants_ttl_runs_from_its_publish_not_from_its_root() {
    // Billing takes 10 s; the emails topic's TTL is 5 s, and the mailer is
    // fast: a TTL counted from the root would expire every email.
    let o = run(r#"
        horizon = "300s"
        [topics.orders]
        [topics.emails]
        ttl = "5s"
        [producers.web]
        topic = "orders"
        arrival = { constant = { rate_per_s = 0.05 } }
        [groups.billing]
        topic = "orders"
        workers = 1
        service = { constant = { value = "10s" } }
        publish = [{ topic = "emails" }]
        [groups.mailer]
        topic = "emails"
        workers = 1
        service = { constant = { value = "1ms" } }
        "#);
    let mailer = group(&o, "mailer");
    assert!(mailer.processed >= 10, "{}", mailer.processed);
    assert_eq!(mailer.dropped.expired, 0);
    // Its end-to-end time runs from the root: billing's 10 s included.
    assert!(mailer.end_to_end.mean_s > 10.0);
}

#[test]
fn paths_past_a_publish_cycle_share_other_and_every_chain_ends_once() {
    // A retry loop on one topic: a processed message is published back to
    // its own topic half the time.
    let o = run(r#"
        horizon = "2000s"
        drain = true
        [topic]
        [producers.p]
        arrival = { poisson = { rate_per_s = 0.2 } }
        [groups.g]
        workers = 1
        service = { exponential = { mean = "1s" } }
        publish = [{ topic = "topic", probability = 0.5 }]
        "#);
    let names: Vec<&str> = o.paths.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(&names[..2], ["topic-g", "topic-g-topic-g"]);
    assert!(names.contains(&"other") && names.last() == Some(&"all"));
    let all = o.paths.last().unwrap();
    // Drained: every root's chain ended once.
    assert_eq!(all.processed, o.topic.created - o.links[0].sent);
    let processed: u64 = o.paths[..o.paths.len() - 1]
        .iter()
        .map(|p| p.processed)
        .sum();
    assert_eq!(processed, o.groups[0].processed);
}

/// A random graph of up to three topics and four groups, some bounded,
/// some failing, with forward links and feedback links that publish with
/// probability below one.
fn graphs() -> impl Strategy<Value = String> {
    let topic = (0u8..4, 1u64..8, any::<bool>(), any::<bool>());
    let group = (
        0usize..3,
        1u32..3,
        0u8..3,
        proptest::collection::vec((0usize..3, 1u32..3, 0u8..4), 0..3),
    );
    (proptest::collection::vec(topic, 3), proptest::collection::vec(group, 1..5), 0usize..3)
        .prop_map(|(topics, groups, entry)| {
            let mut text = String::from(
                "seed = 5\nhorizon = \"20s\"\ndrain = true\nlimits = { max_drain = \"60s\" }\n",
            );
            for (t, (policy, capacity, bounded, ttl)) in topics.iter().enumerate() {
                text += &format!("[topics.t{t}]\n");
                if *bounded {
                    let policy = ["reject", "drop_oldest", "spill", "block"][*policy as usize];
                    if policy == "spill" {
                        text += "policy = { spill = { disk_capacity = 4 } }\n";
                    } else if policy == "block" {
                        // A bound on the wait: a group blocked on its own
                        // topic (a cycle) would wait for itself.
                        text += "policy = { block = { max_block = \"1s\" } }\n";
                    } else {
                        text += &format!("policy = \"{policy}\"\n");
                    }
                    text += &format!("capacity = {capacity}\nmax_deliveries = 3\n");
                }
                if *ttl {
                    text += "ttl = \"3s\"\n";
                    if !*bounded {
                        // Children sent there hold their worker 50 ms.
                        text += "publish_latency = { constant = { value = \"50ms\" } }\n";
                    }
                }
            }
            text += &format!(
                "[producers.p]\ntopic = \"t{entry}\"\narrival = {{ poisson = {{ rate_per_s = 5 }} }}\n"
            );
            let mut read = [false; 3];
            for (g, (topic, workers, fail, links)) in groups.iter().enumerate() {
                read[*topic] = true;
                text += &format!(
                    "[groups.g{g}]\ntopic = \"t{topic}\"\nworkers = {workers}\nservice = {{ exponential = {{ mean = \"150ms\" }} }}\nfailure_probability = {}\n",
                    f64::from(*fail) * 0.1
                );
                let mut seen = Vec::new();
                for (to, count, chance) in links {
                    if seen.contains(to) {
                        continue;
                    }
                    seen.push(*to);
                    // Links to a topic at or before the group's own may
                    // loop: they publish one child at most half the time.
                    let (count, p) = if to <= topic {
                        (1, 0.1 * f64::from(*chance + 1))
                    } else {
                        (*count, 1.0)
                    };
                    text += &format!(
                        "[[groups.g{g}.publish]]\ntopic = \"t{to}\"\ncount = {count}\nprobability = {p}\n"
                    );
                }
            }
            // Every topic has a reader.
            for (t, r) in read.iter().enumerate() {
                if !r {
                    text += &format!(
                        "[groups.r{t}]\ntopic = \"t{t}\"\nworkers = 2\nservice = {{ constant = {{ value = \"10ms\" }} }}\n"
                    );
                }
            }
            text
        })
}

/// Messages that landed in each topic: from producers and from links.
fn landed(o: &RunOutcome, topic: &str) -> u64 {
    o.links
        .iter()
        .filter(|l| l.name.ends_with(&format!(".{topic}")))
        .map(|l| l.sent)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn conservation_holds_per_topic_and_per_link_on_random_graphs(text in graphs()) {
        // The run itself checks conservation per topic and per link, and
        // fails if it does not hold.
        let o = run(&text);
        for link in &o.links {
            // A child may still wait for room or its ack when the drain
            // stops at its limit (the run's own check counts those).
            prop_assert!(link.sent >= link.accepted + link.refused);
            if o.diagnostics.empty {
                prop_assert_eq!(link.sent, link.accepted + link.refused);
            }
        }
        for t in &o.topics {
            // Each child counted once where it leaves (its link) and once
            // where it lands (the topic): the producer's topic has its
            // messages besides.
            let entry = text.contains(&format!("topic = \"{}\"\narrival", t.name));
            if !entry {
                prop_assert_eq!(t.published, landed(&o, &t.name), "{}", t.name);
            }
            // Decided (accepted, rejected, timed out blocking), or still
            // on its way at the end.
            let decided = t.accepted + t.rejected + t.publish_timeouts;
            prop_assert_eq!(t.published, decided + t.blocked + t.publishing, "{}", t.name);
        }
        // Drained, unless a refused child keeps failing its delivery
        // upstream (redelivered without end) until the drain's limit.
        if o.diagnostics.empty {
            for g in &o.groups {
                prop_assert_eq!(g.queued + g.in_flight + g.delayed, 0);
            }
        }
    }
}

#[test]
fn the_report_and_the_table_of_a_graph_name_every_topic_with_its_figures() {
    let dir = crate::support::tmp("graph-report");
    let file = crate::support::write(&dir, "chain.toml", &bounded_chain("reject"));
    let out = dir.join("out");
    let table = crate::support::ok(&["run", &file, "--out", out.to_str().unwrap()]);
    assert!(table.contains("topic emails") && table.contains("link billing -> emails"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for topic in ["emails", "orders"] {
        // A headline row with a number, not the "-" of a missing metric.
        let row = format!("<td>{topic}: published</td><td>");
        let at = html.find(&row).unwrap_or_else(|| panic!("no row {row}"));
        let cell = &html[at + row.len()..];
        assert!(
            cell.starts_with(|c: char| c.is_ascii_digit()),
            "{}",
            &cell[..20]
        );
    }
    let plotted = dir.join("plot");
    crate::support::ok(&[
        "plot",
        out.to_str().unwrap(),
        "--out",
        plotted.to_str().unwrap(),
    ]);
    let replotted = std::fs::read_to_string(plotted.join("report.html")).unwrap();
    assert!(replotted.contains("<td>orders: published</td>"));
    std::fs::remove_dir_all(&dir).unwrap();
}
