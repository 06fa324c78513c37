//! Saved sweep results checked against a sweep's definition: what
//! `--resume` keeps and what `merge` joins. Points are matched by index
//! and parameters; anything that does not belong is refused, never mixed.

use super::sweep::{PointResult, SweepManifest};
use std::collections::BTreeMap;

/// Which parts of two manifests differ, for messages.
pub fn differences(a: &SweepManifest, b: &SweepManifest) -> Vec<String> {
    let mut out = Vec::new();
    if a.mqsim_version != b.mqsim_version {
        out.push("mqsim version".to_owned());
    }
    if a.scenario != b.scenario || a.scenario_name != b.scenario_name {
        out.push("scenario (file or --set)".to_owned());
    }
    if a.vary != b.vary || a.points != b.points {
        out.push("--vary".to_owned());
    }
    if a.shard != b.shard {
        out.push("--shard".to_owned());
    }
    if a.slo != b.slo {
        out.push("--slo".to_owned());
    }
    if a.inputs != b.inputs {
        let changed: Vec<String> = a
            .inputs
            .iter()
            .chain(&b.inputs)
            .filter(|f| !(a.inputs.contains(f) && b.inputs.contains(f)))
            .map(|f| f.path.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        out.push(format!("the content of {}", changed.join(", ")));
    }
    out
}

/// Checks saved `results` of the manifest `saved` against the sweep now
/// asked for (`now`), for `--resume`.
///
/// # Errors
/// A message naming what changed, or the first result that does not
/// belong (unknown index, other parameters, outside the shard, repeated).
pub fn check_resume(
    now: &SweepManifest,
    saved: &SweepManifest,
    results: &[PointResult],
) -> Result<(), String> {
    let changed = differences(now, saved);
    if !changed.is_empty() {
        return Err(format!(
            "cannot resume: the sweep definition changed ({}); rerun without --resume into another --out, \
             or restore the original definition",
            changed.join(", ")
        ));
    }
    let mut seen = vec![false; now.points];
    for r in results {
        now.check_point(r)?;
        if now.shard.is_some_and(|s| !s.contains(r.index)) {
            return Err(format!(
                "point {} is not in shard {}",
                r.index,
                now.shard.map_or(String::new(), |s| s.to_string())
            ));
        }
        if std::mem::replace(&mut seen[r.index], true) {
            return Err(format!("point {} appears twice in the results", r.index));
        }
    }
    Ok(())
}

/// Joins the results of several shards (or partial runs) of one sweep into
/// the whole sweep, sorted by index.
///
/// # Errors
/// A message when the parts belong to different sweeps, a point appears
/// twice, or points are missing (listing the first few).
pub fn merge(
    parts: Vec<(SweepManifest, Vec<PointResult>)>,
) -> Result<(SweepManifest, Vec<PointResult>), String> {
    let Some(first) = parts.first().map(|(m, _)| SweepManifest {
        shard: None,
        ..m.clone()
    }) else {
        return Err("nothing to merge: name at least one results folder".into());
    };
    let mut by_index: BTreeMap<usize, PointResult> = BTreeMap::new();
    for (i, (manifest, results)) in parts.into_iter().enumerate() {
        if !manifest.same_sweep(&first) {
            let what = differences(
                &SweepManifest {
                    shard: None,
                    ..manifest
                },
                &first,
            );
            return Err(format!(
                "results {} belong to a different sweep than results 1 ({} differ)",
                i + 1,
                what.join(", ")
            ));
        }
        for r in results {
            first.check_point(&r)?;
            if by_index.contains_key(&r.index) {
                let label = first.point(r.index).map(|p| p.label()).unwrap_or_default();
                return Err(format!(
                    "point {} ({label}) appears in more than one of the results",
                    r.index
                ));
            }
            by_index.insert(r.index, r);
        }
    }
    let missing: Vec<usize> = (0..first.points)
        .filter(|i| !by_index.contains_key(i))
        .collect();
    if !missing.is_empty() {
        return Err(missing_message(&missing, first.points));
    }
    Ok((first, by_index.into_values().collect()))
}

/// `3 of 8 points are missing (points 1, 4, 7): …`, listing at most ten.
fn missing_message(missing: &[usize], total: usize) -> String {
    let shown: Vec<String> = missing.iter().take(10).map(usize::to_string).collect();
    let more = match missing.len() {
        n if n > 10 => format!(" and {} more", n - 10),
        _ => String::new(),
    };
    format!(
        "{} of {total} points are missing (points {}{more}): run or resume the shards that hold them",
        missing.len(),
        shown.join(", ")
    )
}
