//! Validation of alert rules (`[alerts.<name>]`): the group or service
//! each watches, one threshold of the metric's unit, and its `for`.

use super::Checker;
use crate::model::alert::AlertSpec;
use crate::model::group::GroupSpec;
use crate::scenario::decode::closest;
use crate::scenario::path::FieldPath;
use crate::scenario::raw::{RawAlert, RawScenario, RawThreshold};

/// The rules of `raw`, watching `groups` (numbered first, as the time
/// series numbers them) and `services` (after them).
pub(super) fn alerts(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    groups: &[GroupSpec],
    services: &[GroupSpec],
) -> Vec<AlertSpec> {
    let names: Vec<&str> = (groups.iter().chain(services))
        .map(|g| g.name.as_str())
        .collect();
    (raw.alerts.iter())
        .filter_map(|(name, a)| {
            let path = FieldPath::root().key("alerts").key(name);
            c.name(&path, name);
            alert(c, &path, name, a, &names)
        })
        .collect()
}

fn alert(
    c: &mut Checker<'_>,
    path: &FieldPath,
    name: &str,
    raw: &RawAlert,
    names: &[&str],
) -> Option<AlertSpec> {
    let place = match &raw.group {
        Some(group) => match names.iter().position(|n| n == group) {
            Some(p) => p,
            None => {
                let hint = closest(group, &names.join(", "))
                    .map_or(String::new(), |k| format!("; did you mean {k:?}?"));
                c.fail(
                    &path.key("group"),
                    format!(
                        "no group or service named {group:?}{hint} (there are: {})",
                        names.join(", ")
                    ),
                );
                return None;
            }
        },
        None if names.len() == 1 => 0,
        None => {
            c.fail(
                &path.key("group"),
                format!(
                    "the scenario has several groups and services: name the one alert {name:?} watches (one of: {})",
                    names.join(", ")
                ),
            );
            return None;
        }
    };
    let metric = raw.metric;
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
