//! The architecture a scenario describes, as the topology diagram draws
//! it: its producers, topics, groups and called services, their links,
//! and what each measured (means across replications). The bottleneck
//! is the group or service where messages waited longest on average
//! (then the busiest).

use super::chart::{Edge, HopTimes, Node, NodeKind, PathTimes, TimeSplitChart, TopologyChart};
use crate::experiment::MetricValue;
use crate::scenario::RawScenario;
use std::collections::{BTreeMap, BTreeSet};

/// The diagram of `raw`, annotated from `metrics`.
pub(crate) fn topology(
    name: &str,
    raw: &RawScenario,
    metrics: &BTreeMap<String, MetricValue>,
) -> TopologyChart {
    let get = |m: String| metrics.get(&m).map(|v| v.mean);
    let called = raw.called_services();
    // Topics by name and metric prefix; a single-topic file's one topic
    // (by its `name`) only if something publishes to it.
    let topics: Vec<(String, String)> = if raw.topics.is_empty() {
        let used = raw.producers.values().any(|p| p.call.is_none())
            || raw.groups.values().any(|g| !g.publish.is_empty());
        let name = raw.topic.clone().unwrap_or_default().name;
        let one = (name, "topic".to_owned());
        used.then_some(one).into_iter().collect()
    } else {
        (raw.topics.keys())
            .map(|t| (t.clone(), format!("topics.{t}")))
            .collect()
    };
    let only_topic = (topics.len() == 1).then(|| topics[0].0.clone());
    let topic_of = |named: &Option<String>| named.clone().or_else(|| only_topic.clone());
    let mut nodes = Vec::new();
    let mut index: BTreeMap<(u8, String), usize> = BTreeMap::new();
    let mut add = |nodes: &mut Vec<Node>, order: u8, name: &str, kind: NodeKind, lines| {
        index.insert((order, name.to_owned()), nodes.len());
        nodes.push(Node {
            name: name.to_owned(),
            kind,
            lines,
            hot: false,
        });
    };
    for (p, spec) in &raw.producers {
        let lines = match &spec.call {
            Some(link) => {
                let at = format!("calls.{p}.{}", link.service);
                let mut lines = Vec::new();
                if let Some(n) = get(format!("{at}.requests")) {
                    lines.push(format!("{} requests", count(n)));
                }
                if let Some(p99) = get(format!("{at}.latency.p99_s")) {
                    lines.push(format!("answer p99 {}", duration(p99)));
                }
                if let Some(share) = get(format!("{at}.error_rate")) {
                    lines.push(format!("errors {}", percent(share)));
                }
                lines
            }
            None => Vec::new(),
        };
        add(&mut nodes, 0, p, NodeKind::Producer, lines);
    }
    for (t, place) in &topics {
        let mut lines = Vec::new();
        if let Some(n) = get(format!("{place}.published")) {
            lines.push(format!("{} published", count(n)));
        }
        let refused = get(format!("{place}.rejected")).unwrap_or(0.0)
            + get(format!("{place}.publish_timeouts")).unwrap_or(0.0);
        if refused > 0.0 {
            lines.push(format!("{} refused", count(refused)));
        }
        add(&mut nodes, 1, t, NodeKind::Topic, lines);
    }
    let mut busiest: Option<((f64, f64), usize)> = None;
    for service in [false, true] {
        for (g, _) in (raw.groups.iter()).filter(|(g, _)| called.contains(g) == service) {
            let place = if service {
                format!("services.{g}")
            } else {
                format!("groups.{g}")
            };
            let at = |field: &str| get(format!("{place}.{field}"));
            let mut lines = Vec::new();
            if let (Some(rate), Some(busy)) = (at("throughput_per_s"), at("utilisation")) {
                lines.push(format!("{rate:.1}/s, {} busy", percent(busy)));
            }
            if let Some(depth) = at("max_depth") {
                lines.push(format!("peak depth {}", count(depth)));
            }
            let failed = at("dropped").unwrap_or(0.0) + at("dead_lettered").unwrap_or(0.0);
            if failed > 0.0 {
                lines.push(format!("{} failed or dropped", count(failed)));
            }
            if let Some(p99) = at("e2e.p99_s") {
                lines.push(format!("p99 {}", duration(p99)));
            }
            let kind = if service {
                NodeKind::Service
            } else {
                NodeKind::Group
            };
            // The bottleneck: where messages waited longest on average,
            // then the busiest.
            let node = nodes.len();
            let rank = (
                at("queue_wait.mean_s").unwrap_or(0.0),
                at("utilisation").unwrap_or(0.0),
            );
            if busiest.is_none_or(|(most, _)| rank > most) {
                busiest = Some((rank, node));
            }
            add(&mut nodes, 2, g, kind, lines);
        }
    }
    if let Some((rank, node)) = busiest
        && rank > (0.0, 0.0)
    {
        nodes[node].hot = true;
    }
    let find = |order: u8, name: &str| index.get(&(order, name.to_owned())).copied();
    let mut edges = Vec::new();
    let mut link = |from: Option<usize>, to: Option<usize>, call: bool| {
        if let (Some(from), Some(to)) = (from, to) {
            edges.push(Edge { from, to, call });
        }
    };
    for (p, spec) in &raw.producers {
        match &spec.call {
            Some(l) => link(find(0, p), find(2, &l.service), true),
            None => link(
                find(0, p),
                topic_of(&spec.topic).and_then(|t| find(1, &t)),
                false,
            ),
        }
    }
    for (g, spec) in &raw.groups {
        if !called.contains(g) {
            link(
                topic_of(&spec.topic).and_then(|t| find(1, &t)),
                find(2, g),
                false,
            );
        }
        for l in &spec.publish {
            link(find(2, g), find(1, &l.topic), false);
        }
        for l in &spec.call {
            link(find(2, g), find(2, &l.service), true);
        }
    }
    TopologyChart {
        title: format!("{name}: architecture"),
        nodes,
        edges,
    }
}

/// Most paths the time-split chart shows (the slowest ends of chains).
const MOST_PATHS: usize = 6;

/// One listed path: its name, its last group or service, and its hops
/// (the paths ending at a group or service along it, itself last).
pub(crate) type ListedPath = (String, String, Vec<String>);

/// Where the time goes along each path that ends a chain (no other path
/// continues it), the slowest first: its hops' wait and processing from
/// `metrics`.
pub(crate) fn time_split(
    name: &str,
    paths: &[ListedPath],
    metrics: &BTreeMap<String, MetricValue>,
) -> TimeSplitChart {
    let get = |m: String| metrics.get(&m).map_or(0.0, |v| v.mean);
    let three =
        |prefix: &str| ["mean_s", "p50_s", "p99_s"].map(|q| get(format!("paths.{prefix}.{q}")));
    let continued: BTreeSet<&String> = (paths.iter())
        .flat_map(|(p, _, hops)| hops.iter().filter(move |h| *h != p))
        .collect();
    let place = |hop: &String| {
        (paths.iter())
            .find(|(p, _, _)| p == hop)
            .map_or_else(String::new, |(_, place, _)| place.clone())
    };
    let mut out: Vec<PathTimes> = (paths.iter())
        .filter(|(p, _, hops)| !hops.is_empty() && !continued.contains(p))
        .map(|(p, _, hops)| PathTimes {
            name: p.clone(),
            hops: (hops.iter())
                .map(|h| HopTimes {
                    place: place(h),
                    wait: three(&format!("{h}.queue_wait")),
                    work: three(&format!("{h}.processing")),
                    parts: ["service", "calls", "publish_wait"]
                        .map(|part| get(format!("paths.{h}.{part}.mean_s"))),
                })
                .collect(),
            e2e: three(&format!("{p}.e2e")),
        })
        .collect();
    out.sort_by(|a, b| b.e2e[0].total_cmp(&a.e2e[0]).then(a.name.cmp(&b.name)));
    out.truncate(MOST_PATHS);
    TimeSplitChart {
        title: format!("{name}: where the time goes, by path and hop"),
        paths: out,
    }
}

/// A count with thousands separators (`28,520`).
pub(crate) fn count(n: f64) -> String {
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < -0.5 { format!("-{out}") } else { out }
}

/// A share as a percentage (`12.4%`; `0.01%` below 1%).
fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.01 {
        format!("{:.2}%", share * 100.0)
    } else {
        format!("{:.1}%", share * 100.0)
    }
}

/// A duration in the unit a person reads (`630 ms`, `3.2 s`, `12.8 min`).
fn duration(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Format, Scenario};

    #[test]
    fn the_diagram_has_every_part_and_link_and_marks_where_messages_waited() {
        let text = r#"
            horizon = "1m"
            [topics.orders]
            [topics.mail]
            [producers.web]
            topic = "orders"
            arrival = { poisson = { rate_per_s = 1 } }
            [producers.app]
            call = { service = "api" }
            arrival = { poisson = { rate_per_s = 1 } }
            [groups.billing]
            topic = "orders"
            workers = 1
            service = { constant = { value = "1s" } }
            publish = [{ topic = "mail" }]
            call = [{ service = "ledger" }]
            [groups.mailer]
            topic = "mail"
            workers = 1
            service = { constant = { value = "1s" } }
            [groups.api]
            workers = 1
            service = { constant = { value = "1s" } }
            publish = [{ topic = "orders" }]
            [groups.ledger]
            workers = 1
            service = { constant = { value = "1s" } }
        "#;
        let s = Scenario::from_text(text, Format::Toml, "t.toml".as_ref(), &[]).unwrap();
        let value = |mean| MetricValue {
            mean,
            ci95_half_width: 0.0,
        };
        let metrics: BTreeMap<String, MetricValue> = [
            ("groups.mailer.queue_wait.mean_s", 3.0),
            ("groups.billing.queue_wait.mean_s", 1.0),
            ("groups.billing.utilisation", 0.9),
            ("services.ledger.max_depth", 1234.0),
        ]
        .map(|(k, v)| (k.to_owned(), value(v)))
        .into_iter()
        .collect();
        let chart = topology("t", &s.normalised, &metrics);
        let names: Vec<(&str, NodeKind)> = (chart.nodes.iter())
            .map(|n| (n.name.as_str(), n.kind))
            .collect();
        use NodeKind::*;
        assert_eq!(
            names,
            [
                ("app", Producer),
                ("web", Producer),
                ("mail", Topic),
                ("orders", Topic),
                ("billing", Group),
                ("mailer", Group),
                ("api", Service),
                ("ledger", Service),
            ]
        );
        let edges: Vec<(usize, usize, bool)> = (chart.edges.iter())
            .map(|e| (e.from, e.to, e.call))
            .collect();
        // app ⇢ api, web → orders, orders → billing, billing → mail,
        // billing ⇢ ledger, mail → mailer, api → orders.
        let mut expected = vec![
            (0, 6, true),
            (1, 3, false),
            (3, 4, false),
            (4, 2, false),
            (4, 7, true),
            (2, 5, false),
            (6, 3, false),
        ];
        let mut got = edges.clone();
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, expected);
        let hot: Vec<&str> = (chart.nodes.iter())
            .filter(|n| n.hot)
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(hot, ["mailer"], "the longest mean wait, not the busiest");
        assert!(
            chart.nodes[7]
                .lines
                .contains(&"peak depth 1,234".to_owned())
        );
        // Left to right: producers, then what each feeds.
        let columns = chart.columns();
        assert_eq!(columns[0], 0);
        assert!(columns[6] < columns[3] && columns[3] < columns[4] && columns[4] < columns[5]);
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(count(28520.0), "28,520");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(12.0), "12");
        assert_eq!(percent(0.4532), "45.3%");
        assert_eq!(percent(0.000125), "0.01%");
        assert_eq!(duration(0.63), "630 ms");
        assert_eq!(duration(3.21), "3.2 s");
        assert_eq!(duration(767.0), "12.8 min");
    }
}
