//! The time series of each compared scenario (replication 0), saved in
//! `compare.json` so `plot` redraws them: its depth, the age of its oldest
//! message and its failures on one time axis, every scenario a line.

use super::ReportError;
use super::chart::{ColumnsChart, Line, Rendered, render};
use super::compare_report::CompareColumn;
use super::duration::human;
use crate::model::sim::{CallRow, RunOutcome, SeriesRow};
use crate::model::system::{Link, System};
use serde::{Deserialize, Serialize};

/// Most points kept per scenario.
pub(crate) const MAX_POINTS: usize = 1000;

/// One scenario's time series, sampled as its run sampled them: each
/// point is the state at `time_s`, and its counts cover the time since
/// the point before. Beyond [`MAX_POINTS`] samples, runs of consecutive
/// samples merge into one point at the last one's time: levels keep their
/// highest value (peaks survive), counts add up (totals survive).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnSeries {
    /// The horizon (s): producers stop there, and a drain follows.
    pub horizon_s: f64,
    /// Simulated time of each point (s), ascending.
    pub time_s: Vec<f64>,
    /// Ready messages, summed over the groups and the services called
    /// directly (in sync mode: the requests waiting at the called service).
    pub depth: Vec<u64>,
    /// Age of the oldest ready message (s): the oldest in any group or
    /// service.
    pub oldest_age_s: Vec<f64>,
    /// Messages the groups reading a topic dropped, any reason (publishes
    /// the topic refused among them: each counts once per group reading
    /// it, as each group's `dropped` does), summed over those groups.
    /// Empty when no group reads a topic (sync mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<u64>,
    /// Requests whose caller, a producer calling a service directly (sync
    /// mode's callers among them), finally saw an error: errors and
    /// timeouts after its retries. Empty when no producer calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caller_errors: Vec<u64>,
}

impl ColumnSeries {
    /// The series of replication 0 of a run of `system`.
    pub(crate) fn of(system: &System, outcome: &RunOutcome) -> ColumnSeries {
        let sync = matches!(system.link, Link::Call(_));
        let mut series = ColumnSeries {
            horizon_s: system.horizon.as_secs_f64(),
            ..ColumnSeries::default()
        };
        // One row per group and service a sample (sync mode: the called
        // service's); a sample at the time of the one before (the row
        // that closes a run) joins it: its levels stand, its counts add.
        let per_sample = if sync {
            1
        } else {
            system.groups.len() + system.services.len()
        };
        let mut dropped: Vec<u64> = Vec::new();
        for sample in outcome.series.chunks(per_sample.max(1)) {
            let t = sample[0].time_s;
            let depth = sample.iter().map(|r| r.depth).sum();
            let oldest = sample.iter().map(|r| r.oldest_age_s).fold(0.0, f64::max);
            // A called service's `dropped` counts attempts, not messages.
            let read = |r: &&SeriesRow| !sync && (r.group as usize) < system.groups.len();
            let lost: u64 = sample.iter().filter(read).map(|r| r.dropped).sum();
            if series.time_s.last() == Some(&t) {
                *series.depth.last_mut().unwrap_or(&mut 0) = depth;
                *series.oldest_age_s.last_mut().unwrap_or(&mut 0.0) = oldest;
                *dropped.last_mut().unwrap_or(&mut 0) += lost;
                continue;
            }
            series.time_s.push(t);
            series.depth.push(depth);
            series.oldest_age_s.push(oldest);
            dropped.push(lost);
        }
        if !sync && !system.groups.is_empty() {
            series.dropped = dropped;
        }
        // Producers' call links come after those of groups and services.
        let first = (system.groups.iter().chain(&system.services))
            .map(|g| g.calls.len())
            .sum::<usize>();
        let calls: Vec<&CallRow> = (outcome.sync_call_series.iter())
            .chain(
                outcome
                    .call_series
                    .iter()
                    .filter(|r| r.link as usize >= first),
            )
            .collect();
        if sync || system.producers.iter().any(|p| p.call.is_some()) {
            series.caller_errors = errors_at(&series.time_s, calls);
        }
        series.thinned(MAX_POINTS)
    }

    /// Why a saved series cannot be drawn: times not ascending or not
    /// finite, or a column whose length differs from the times'.
    ///
    /// # Errors
    /// The reason, naming the field.
    pub(crate) fn check(&self) -> Result<(), String> {
        let n = self.time_s.len();
        if !(self.time_s.iter().all(|t| t.is_finite()) && self.time_s.is_sorted()) {
            return Err("time_s: must be finite and ascending".into());
        }
        let lengths = [
            ("depth", self.depth.len(), false),
            ("oldest_age_s", self.oldest_age_s.len(), false),
            ("dropped", self.dropped.len(), true),
            ("caller_errors", self.caller_errors.len(), true),
        ];
        for (name, len, optional) in lengths {
            if len != n && !(optional && len == 0) {
                return Err(format!("{name}: {len} values for {n} times"));
            }
        }
        Ok(())
    }

    /// At most `max` points: runs of consecutive points merged into their
    /// last, levels at their highest, counts summed.
    fn thinned(self, max: usize) -> ColumnSeries {
        let k = self.time_s.len().div_ceil(max.max(1)).max(1);
        if k == 1 {
            return self;
        }
        let last = |v: &[f64]| v.chunks(k).map(|c| c[c.len() - 1]).collect();
        let high = |v: &[f64]| -> Vec<f64> {
            (v.chunks(k))
                .map(|c| c.iter().copied().fold(0.0, f64::max))
                .collect()
        };
        let sum = |v: &[u64]| v.chunks(k).map(|c| c.iter().sum()).collect();
        ColumnSeries {
            horizon_s: self.horizon_s,
            time_s: last(&self.time_s),
            depth: (self.depth.chunks(k))
                .map(|c| c.iter().copied().max().unwrap_or(0))
                .collect(),
            oldest_age_s: high(&self.oldest_age_s),
            dropped: sum(&self.dropped),
            caller_errors: sum(&self.caller_errors),
        }
    }

    /// Failures per second at each point: messages dropped and requests
    /// whose caller saw an error, over the time since the point before.
    fn failures_per_s(&self) -> Vec<(f64, f64)> {
        let count = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0) as f64;
        let mut before = 0.0;
        (self.time_s.iter().enumerate())
            .map(|(i, &t)| {
                let n = count(&self.dropped, i) + count(&self.caller_errors, i);
                let span = t - before;
                before = t;
                (t, if span > 0.0 { n / span } else { 0.0 })
            })
            .collect()
    }

    /// What [`ColumnSeries::failures_per_s`] counts, with the totals, for
    /// a legend: `in all: 693 dropped, 12 caller errors`.
    fn failures_in_all(&self) -> String {
        let kinds = [
            ("dropped", &self.dropped),
            ("caller errors", &self.caller_errors),
        ];
        let counted: Vec<String> = (kinds.iter())
            .filter(|(_, counts)| !counts.is_empty())
            .map(|(kind, counts)| format!("{} {kind}", counts.iter().sum::<u64>()))
            .collect();
        format!("in all: {}", counted.join(", "))
    }
}

/// Each call row's errors, added to the first point at or after its time
/// (rows are sampled with the points, so they meet; a row past the last
/// point joins the last): one count per point of `time_s`.
fn errors_at(time_s: &[f64], rows: Vec<&CallRow>) -> Vec<u64> {
    let mut errors = vec![0; time_s.len()];
    for r in rows {
        let at = time_s.partition_point(|&t| t < r.time_s);
        if let Some(slot) = errors.get_mut(at.min(time_s.len().saturating_sub(1))) {
            *slot += r.errors;
        }
    }
    errors
}

/// One line per column: `points` of its series, labelled with the
/// column and, on a second line, what `what` says of it; a column
/// without series gets an empty line (its colour stays its own).
fn lines(
    columns: &[CompareColumn],
    points: impl Fn(&ColumnSeries) -> Vec<(f64, f64)>,
    what: impl Fn(&ColumnSeries) -> String,
) -> Vec<Line> {
    (columns.iter())
        .map(|c| Line {
            label: match &c.series {
                Some(s) => format!("{}\n{}", c.label, what(s)),
                None => c.label.clone(),
            },
            points: c.series.as_ref().map(&points).unwrap_or_default(),
        })
        .collect()
}

/// A level of series `s` at each point, against time.
fn level(s: &ColumnSeries, y: impl Fn(usize) -> Option<f64>) -> Vec<(f64, f64)> {
    (s.time_s.iter().enumerate())
        .map(|(i, &t)| (t, y(i).unwrap_or(f64::NAN)))
        .collect()
}

/// The charts over time of the compared scenarios: depth, the oldest
/// message's age, failures per second; none when no scenario has series
/// (a `compare.json` written before they were saved).
///
/// # Errors
/// [`ReportError::Chart`] if one cannot be drawn.
pub(super) fn charts(columns: &[CompareColumn]) -> Result<Vec<Rendered>, ReportError> {
    let series = || columns.iter().filter_map(|c| c.series.as_ref());
    if series().next().is_none() {
        return Ok(Vec::new());
    }
    let end_s = (series().filter_map(|s| s.time_s.last().copied())).fold(0.0, f64::max);
    let chart = |title: &str, y_desc: &str, durations: bool, lines: Vec<Line>| ColumnsChart {
        title: title.to_owned(),
        y_desc: y_desc.to_owned(),
        durations,
        end_s,
        horizons: series().map(|s| s.horizon_s).collect(),
        lines,
    };
    let depth = lines(
        columns,
        |s| level(s, |i| Some(*s.depth.get(i)? as f64)),
        |s| format!("peak {}", s.depth.iter().max().unwrap_or(&0)),
    );
    let age = lines(
        columns,
        |s| level(s, |i| s.oldest_age_s.get(i).copied()),
        |s| {
            format!(
                "peak {}",
                human(s.oldest_age_s.iter().copied().fold(0.0, f64::max))
            )
        },
    );
    let failures = lines(
        columns,
        ColumnSeries::failures_per_s,
        ColumnSeries::failures_in_all,
    );
    Ok(vec![
        render(
            "compare-depth",
            "Depth over time, every scenario on one time axis: ready messages summed over its groups and services (sync: the requests waiting at the called service)",
            &chart(
                "Depth over time",
                "ready messages (all groups)",
                false,
                depth,
            ),
        )?,
        render(
            "compare-age",
            "Age of the oldest waiting message over time: the oldest in any group or service of each scenario",
            &chart(
                "Oldest message over time",
                "age of the oldest message",
                true,
                age,
            ),
        )?,
        render(
            "compare-failures",
            "Failures per second over time: messages the groups dropped (any reason, refused publishes among them), and requests whose caller saw an error after its retries (sync mode, or producers calling a service directly)",
            &chart(
                "Failures over time",
                "failed for good (per second)",
                false,
                failures,
            ),
        )?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_row(time_s: f64, errors: u64) -> CallRow {
        CallRow {
            time_s,
            link: 0,
            requests_per_s: 0.0,
            attempts_per_s: 0.0,
            errors,
            timeouts: 0,
            short_circuited: 0,
            degraded: 0,
            breaker_opened: 0,
            breaker: 0,
            tokens: 0.0,
            throttled: 0,
            hedges: 0,
            hedges_won: 0,
        }
    }

    #[test]
    fn a_long_series_is_thinned_keeping_peaks_and_totals() {
        let n: u32 = 2_500;
        let series = ColumnSeries {
            horizon_s: 100.0,
            time_s: (0..n).map(|i| f64::from(i) * 0.1).collect(),
            depth: (0..n).map(|i| u64::from(i == 1_234) * 7 + 1).collect(),
            oldest_age_s: (0..n).map(|i| if i == 99 { 9.5 } else { 0.5 }).collect(),
            dropped: vec![2; n as usize],
            caller_errors: Vec::new(),
        };
        let thin = series.clone().thinned(MAX_POINTS);
        assert!(thin.time_s.len() <= MAX_POINTS, "{}", thin.time_s.len());
        assert_eq!(thin.time_s.last(), series.time_s.last());
        assert!(thin.check().is_ok());
        assert_eq!(thin.depth.iter().max(), Some(&8));
        assert_eq!(thin.oldest_age_s.iter().copied().fold(0.0, f64::max), 9.5);
        assert_eq!(thin.dropped.iter().sum::<u64>(), 2 * u64::from(n));
        assert!(thin.caller_errors.is_empty());
        // Within the budget: unchanged.
        assert_eq!(series.clone().thinned(n as usize), series);
    }

    #[test]
    fn call_errors_join_the_point_at_or_after_their_time() {
        let time_s = [0.0, 1.0, 2.0];
        let rows = [
            call_row(0.0, 1),
            call_row(1.0, 2),
            call_row(1.5, 4),
            call_row(9.0, 8),
        ];
        assert_eq!(errors_at(&time_s, rows.iter().collect()), [1, 2, 12]);
        assert_eq!(errors_at(&[], rows.iter().collect()), Vec::<u64>::new());
    }

    #[test]
    fn failures_per_second_divide_by_each_points_span() {
        let series = ColumnSeries {
            time_s: vec![0.0, 0.5, 2.5],
            dropped: vec![0, 5, 4],
            caller_errors: vec![0, 1, 0],
            ..ColumnSeries::default()
        };
        assert_eq!(
            series.failures_per_s(),
            [(0.0, 0.0), (0.5, 12.0), (2.5, 2.0)]
        );
        assert_eq!(
            series.failures_in_all(),
            "in all: 9 dropped, 1 caller errors"
        );
    }

    #[test]
    fn a_saved_series_of_uneven_lengths_is_refused() {
        let series = ColumnSeries {
            time_s: vec![0.0, 1.0],
            depth: vec![1, 2],
            oldest_age_s: vec![0.0],
            ..ColumnSeries::default()
        };
        assert_eq!(
            series.check(),
            Err("oldest_age_s: 1 values for 2 times".into())
        );
    }
}
