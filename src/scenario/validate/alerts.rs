//! Validation of alert rules (`[alerts.<name>]`): the group, service or
//! topic each watches, a metric that place has, one threshold of the
//! metric's unit, and its `for`.

use super::Checker;
use crate::model::alert::{AlertMetric, AlertSpec};
use crate::model::group::GroupSpec;
use crate::model::topic::TopicSpec;
use crate::scenario::decode::closest;
use crate::scenario::path::FieldPath;
use crate::scenario::raw::{RawAlert, RawMode, RawScenario, RawThreshold};

/// What alerts may watch: the groups and services (numbered first, as
/// the time series numbers them), the topics (after them), and which
/// groups and services are called directly.
struct Places<'a> {
    services: Vec<&'a str>,
    topics: Vec<&'a str>,
    called: Vec<bool>,
}

/// The rules of `raw`, watching `groups`, `services` (after them) and
/// `topics` (after both).
pub(super) fn alerts(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    (groups, services): (&[GroupSpec], &[GroupSpec]),
    topics: &[TopicSpec],
) -> Vec<AlertSpec> {
    let sync = raw.mode == RawMode::Sync;
    let places = Places {
        services: (groups.iter().chain(services))
            .map(|g| g.name.as_str())
            .collect(),
        topics: topics.iter().map(|t| t.name.as_str()).collect(),
        // Sync mode's one group is called; else the services are.
        called: (0..groups.len())
            .map(|_| sync)
            .chain(services.iter().map(|_| true))
            .collect(),
    };
    (raw.alerts.iter())
        .filter_map(|(name, a)| {
            let path = FieldPath::root().key("alerts").key(name);
            c.name(&path, name);
            alert(c, &path, name, a, &places)
        })
        .collect()
}

fn alert(
    c: &mut Checker<'_>,
    path: &FieldPath,
    name: &str,
    raw: &RawAlert,
    places: &Places<'_>,
) -> Option<AlertSpec> {
    let place = place(c, path, name, raw, places)?;
    let metric = raw.metric;
    if !metric_fits(c, path, metric, place, places) {
        return None;
    }
    let (above, threshold) = match (raw.above, raw.below) {
        (Some(t), None) => (true, t),
        (None, Some(t)) => (false, t),
        _ => {
            c.fail(
                path,
                "expected one threshold: `above = …` (fires while the metric is above it) or `below = …`",
            );
            return None;
        }
    };
    let key = if above { "above" } else { "below" };
    let threshold = match threshold {
        RawThreshold::Number(v) if metric == AlertMetric::CallerErrorShare && v > 1.0 => {
            c.fail(
                &path.key(key),
                format!("caller_error_share is a share of requests: expected a number from 0 to 1 (got {v})"),
            );
            return None;
        }
        RawThreshold::Number(v) if v.is_finite() && v >= 0.0 => v,
        RawThreshold::Number(v) => {
            c.fail(&path.key(key), format!("expected a number >= 0 (got {v})"));
            return None;
        }
        RawThreshold::Duration(d) if metric.is_duration() => d.secs(),
        RawThreshold::Duration(d) => {
            c.fail(
                &path.key(key),
                format!(
                    "{} is not a duration: expected a number (got \"{d}\")",
                    metric.name()
                ),
            );
            return None;
        }
    };
    Some(AlertSpec {
        name: name.to_owned(),
        place: place as u32,
        metric,
        above,
        threshold,
        hold: raw.hold.0,
    })
}

/// The place the rule watches, numbered as [`AlertSpec::place`].
fn place(
    c: &mut Checker<'_>,
    path: &FieldPath,
    name: &str,
    raw: &RawAlert,
    places: &Places<'_>,
) -> Option<usize> {
    let services = places.services.len();
    match (&raw.group, &raw.topic) {
        (Some(_), Some(_)) => {
            c.fail(
                &path.key("topic"),
                "expected one place: a `group` or a `topic`, not both",
            );
            None
        }
        (Some(group), None) => find(
            c,
            &path.key("group"),
            group,
            "group or service",
            &places.services,
        ),
        (None, Some(topic)) => find(c, &path.key("topic"), topic, "topic", &places.topics)
            .map(|t| AlertSpec::topic_place(services, t) as usize),
        (None, None) if services == 1 => Some(0),
        (None, None) => {
            c.fail(
                &path.key("group"),
                format!(
                    "the scenario has several groups and services: name the one alert {name:?} watches (one of: {}), or a `topic`",
                    places.services.join(", ")
                ),
            );
            None
        }
    }
}

/// The position of `name` among `names` (of `kind`), or a located error
/// with a did-you-mean.
fn find(
    c: &mut Checker<'_>,
    path: &FieldPath,
    name: &str,
    kind: &str,
    names: &[&str],
) -> Option<usize> {
    let found = names.iter().position(|n| *n == name);
    if found.is_none() {
        let hint = closest(name, &names.join(", "))
            .map_or(String::new(), |k| format!("; did you mean {k:?}?"));
        c.fail(
            path,
            format!(
                "no {kind} named {name:?}{hint} (there are: {})",
                names.join(", ")
            ),
        );
    }
    found
}

/// Whether the place has `metric`: a topic has its own few, the callers'
/// metrics need a service called directly. Records the error if not.
fn metric_fits(
    c: &mut Checker<'_>,
    path: &FieldPath,
    metric: AlertMetric,
    place: usize,
    places: &Places<'_>,
) -> bool {
    let path = path.key("metric");
    let Some(&called) = places.called.get(place) else {
        let topic = places.topics[place - places.services.len()];
        let fits = AlertMetric::ON_TOPIC.contains(&metric);
        if !fits {
            let names: Vec<&str> = AlertMetric::ON_TOPIC.iter().map(|m| m.name()).collect();
            c.fail(
                &path,
                format!(
                    "topic {topic:?} has no {}: a topic's metrics are {} (watch a group for the others)",
                    metric.name(),
                    names.join(", ")
                ),
            );
        }
        return fits;
    };
    if metric.is_callers() && !called {
        let group = places.services[place];
        let called: Vec<&str> = (places.services.iter().zip(&places.called))
            .filter(|(_, c)| **c)
            .map(|(n, _)| *n)
            .collect();
        let which = if called.is_empty() {
            "none is, in this file (`mode = \"sync\"` calls the group)".to_owned()
        } else {
            format!("these are: {}", called.join(", "))
        };
        c.fail(
            &path,
            format!(
                "{} reads the callers of a service called directly, and {group:?} reads a topic ({which}); for refused publishes watch the topic's drop_rate",
                metric.name()
            ),
        );
        return false;
    }
    true
}
