//! Validation of a group's autoscaling settings.

use super::Checker;
use crate::engine::SimDuration;
use crate::model::group::{AutoscaleSpec, ScaleTarget};
use crate::scenario::path::FieldPath;
use crate::scenario::raw::RawAutoscale;

/// The autoscaling of the group at `group`, which starts with `workers`
/// workers; `None` when a setting is wrong (each problem is reported).
pub(super) fn autoscale(
    c: &mut Checker<'_>,
    group: &FieldPath,
    raw: &RawAutoscale,
    workers: u32,
    most: u32,
) -> Option<AutoscaleSpec> {
    let path = &group.key("autoscale");
    let before = c.problems();
    if raw.max == 0 || raw.max > most {
        c.fail(
            &path.key("max"),
            format!("must be between 1 and {most} (got {})", raw.max),
        );
    } else if raw.min > raw.max {
        c.fail(
            &path.key("min"),
            format!("must be at most max = {} (got {})", raw.max, raw.min),
        );
    } else if !(raw.min..=raw.max).contains(&workers) {
        c.fail(
            &group.key("workers"),
            format!(
                "is the starting count, so it must lie between autoscale.min = {} and autoscale.max = {} (got {workers})",
                raw.min, raw.max
            ),
        );
    }
    let target = match (raw.target_backlog_per_worker, raw.target_utilisation) {
        (Some(b), None) => {
            if !(b.is_finite() && b > 0.0) {
                c.fail(
                    &path.key("target_backlog_per_worker"),
                    format!("must be a number of messages above 0 (got {b})"),
                );
            }
            Some(ScaleTarget::BacklogPerWorker(b))
        }
        (None, Some(u)) => {
            if !(u > 0.0 && u <= 1.0) {
                c.fail(
                    &path.key("target_utilisation"),
                    format!("must be a share above 0 and at most 1 (got {u})"),
                );
            }
            if raw.min == 0 {
                c.fail(
                    &path.key("min"),
                    "must be at least 1 with target_utilisation (a group with no workers has no utilisation to scale up from); use target_backlog_per_worker to scale from zero",
                );
            }
            Some(ScaleTarget::Utilisation(u))
        }
        (Some(_), Some(_)) => {
            c.fail(
                &path.key("target_utilisation"),
                "expected one target, target_backlog_per_worker or target_utilisation (got both)",
            );
            None
        }
        (None, None) => {
            c.fail(
                path,
                "expected a target: target_backlog_per_worker or target_utilisation (got neither)",
            );
            None
        }
    };
    if raw.evaluation_period.0 == SimDuration::ZERO {
        c.fail(
            &path.key("evaluation_period"),
            "must be longer than 0s (got 0s)",
        );
    }
    if !(0.0..1.0).contains(&raw.tolerance) {
        c.fail(
            &path.key("tolerance"),
            format!(
                "must be a share from 0 up to (not including) 1 (got {})",
                raw.tolerance
            ),
        );
    }
    if c.problems() > before {
        return None;
    }
    Some(AutoscaleSpec {
        min: raw.min,
        max: raw.max,
        target: target?,
        evaluation_period: raw.evaluation_period.0,
        tolerance: raw.tolerance,
        reaction_delay: raw.reaction_delay.0,
        startup_delay: raw.startup_delay.0,
        cooldown: raw.cooldown.0,
    })
}
