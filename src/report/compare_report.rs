//! `compare`: a side-by-side table, `compare.json`, a bar chart of
//! latencies, and `report.html`.

use super::chart::{BarGroup, CompareChart, ComparePair, Rendered, render};
use super::compare_series::ColumnSeries;
use super::duration::DURATION;
use super::html::{Page, with_ci};
use super::{ReportError, read_input};
use crate::experiment::{Entry, MetricValue, check_metric_name, metric_values};
use crate::scenario::name::check_scenario_names;
use crate::scenario::{RawMode, RawScenario};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One scenario of a comparison, as saved in `compare.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompareColumn {
    /// Column label.
    pub label: String,
    /// Seed.
    pub seed: u64,
    /// Replications.
    pub replications: u32,
    /// Every metric by name.
    pub metrics: BTreeMap<String, MetricValue>,
    /// The normalised scenario.
    pub scenario: RawScenario,
    /// Its time series (replication 0), for the charts over time; `None`
    /// in a file written before they were saved.
    #[serde(default)]
    pub series: Option<ColumnSeries>,
}

/// Where a caller row's value is, in a column whose callers publish to a
/// topic (queued) or call a service (sync).
#[derive(Clone, Copy)]
enum CallerField {
    /// A field of the topic and one of the call link; `None`: the column
    /// has no such thing (a direct call has no publish to acknowledge).
    Both(Option<&'static str>, Option<&'static str>),
    /// The answer the caller needs: the call link's latency, the sync
    /// callers' (their producer latency is request → answer), or, queued,
    /// the end-to-end latency of the one group that reads the topic
    /// (created → processed: when the result exists).
    Answer(&'static str, &'static str, &'static str),
}

/// The callers' rows: label, field, scale, digits. Like beside like: the
/// answer's latency is the call's (sync) or the reader's end-to-end
/// (queued), never the publish's.
const CALLER_ROWS: [(&str, CallerField, f64, usize); 7] = [
    (
        "requests / messages",
        CallerField::Both(Some("created"), Some("requests")),
        1.0,
        0,
    ),
    (
        "answer p50 (request → result)",
        CallerField::Answer("latency.p50_s", "producer_latency.p50_s", "e2e.p50_s"),
        1.0,
        DURATION,
    ),
    (
        "answer p99 (request → result)",
        CallerField::Answer("latency.p99_s", "producer_latency.p99_s", "e2e.p99_s"),
        1.0,
        DURATION,
    ),
    (
        "publish acknowledged p50",
        CallerField::Both(Some("producer_latency.p50_s"), None),
        1.0,
        DURATION,
    ),
    (
        "publish acknowledged p99",
        CallerField::Both(Some("producer_latency.p99_s"), None),
        1.0,
        DURATION,
    ),
    (
        "caller-visible errors",
        CallerField::Both(Some("caller_errors"), Some("errors")),
        1.0,
        0,
    ),
    (
        "caller-visible errors (%)",
        CallerField::Both(Some("caller_error_share"), Some("error_rate")),
        100.0,
        2,
    ),
];

/// The caller rows the latency chart draws: the publish acknowledged,
/// p50 and p99 (a direct call has none: its answer is its end-to-end).
const PUBLISH_ROWS: [usize; 2] = [3, 4];

/// The caller row of the share of requests whose caller saw an error.
const ERROR_SHARE_ROW: usize = 6;

/// Where a column's callers are measured: the topic its producers
/// publish to (`topic`, or `topics.<t>` in a file that names its topics),
/// or the call link of its one producer that calls a service
/// (`calls.<producer>.<service>`); `None` when its callers enter in
/// several places.
fn entry(s: &RawScenario) -> Option<(String, bool)> {
    let calls: Vec<(&String, &String)> = (s.producers.iter())
        .filter_map(|(name, p)| Some((name, &p.call.as_ref()?.service)))
        .collect();
    let publishers = s.producers.values().filter(|p| p.call.is_none());
    if let [(producer, service)] = calls[..] {
        let only = publishers.count() == 0;
        return only.then(|| (format!("calls.{producer}.{service}"), true));
    }
    if !calls.is_empty() {
        return None;
    }
    if s.topics.is_empty() {
        return Some(("topic".to_owned(), false));
    }
    let only = (s.topics.len() == 1)
        .then(|| s.topics.keys().next())
        .flatten();
    let mut fed: Vec<&String> = publishers
        .filter_map(|p| p.topic.as_ref().or(only))
        .collect();
    fed.sort();
    fed.dedup();
    match fed[..] {
        [t] => Some((format!("topics.{t}"), false)),
        _ => None,
    }
}

/// The metric of caller row `row` in column `s`.
fn caller_metric(s: &RawScenario, row: usize) -> Option<String> {
    let (prefix, call) = entry(s)?;
    if s.mode == RawMode::Sync {
        // Sync mode: the topic's callers wait for the answer, and their
        // producer latency is request → answer; there is no publish.
        return match CALLER_ROWS[row].1 {
            CallerField::Answer(_, field, _) => Some(format!("{prefix}.{field}")),
            CallerField::Both(Some(field), _) if !field.starts_with("producer_latency") => {
                Some(format!("{prefix}.{field}"))
            }
            CallerField::Both(..) => None,
        };
    }
    match (CALLER_ROWS[row].1, call) {
        (CallerField::Both(_, Some(field)), true) | (CallerField::Answer(field, ..), true) => {
            Some(format!("{prefix}.{field}"))
        }
        (CallerField::Both(Some(field), _), false) => Some(format!("{prefix}.{field}")),
        (CallerField::Answer(.., field), false) => {
            Some(format!("groups.{}.{field}", reader(s, &prefix)?))
        }
        (CallerField::Both(..), _) => None,
    }
}

/// The one group that reads the topic at `prefix` (`topic`, or
/// `topics.<t>`); `None` when several do (each has its own answer).
fn reader<'s>(s: &'s RawScenario, prefix: &str) -> Option<&'s String> {
    let named = prefix.strip_prefix("topics.");
    let called: Vec<&String> = (s.groups.values())
        .flat_map(|g| g.call.iter().map(|c| &c.service))
        .chain(
            s.producers
                .values()
                .filter_map(|p| Some(&p.call.as_ref()?.service)),
        )
        .collect();
    let readers: Vec<&String> = (s.groups.iter())
        .filter(|(name, g)| match (named, &g.topic) {
            (Some(t), Some(own)) => own == t,
            (Some(_), None) => s.topics.len() == 1,
            (None, _) => !called.contains(name),
        })
        .map(|(name, _)| name)
        .collect();
    match readers[..] {
        [g] => Some(g),
        _ => None,
    }
}

/// Each group's rows (drops by reason after the first four): label,
/// field, scale, digits.
const GROUP_ROWS: [(&str, &str, f64, usize); 9] = [
    ("end-to-end p50", "e2e.p50_s", 1.0, DURATION),
    ("end-to-end p99", "e2e.p99_s", 1.0, DURATION),
    ("processed", "processed", 1.0, 0),
    ("dropped (all reasons)", "dropped", 1.0, 0),
    ("work lost", "work_lost", 1.0, 0),
    ("peak backlog (messages)", "max_depth", 1.0, 0),
    ("throughput (msg/s)", "throughput_per_s", 1.0, 2),
    ("workers, mean paid for", "workers_mean", 1.0, 1),
    ("workers, most at once", "workers_max", 1.0, 0),
];

/// The losses charted beside the latencies: label, group field.
const LOST: [(&str, &str); 2] = [
    ("dropped (all reasons)", "dropped"),
    ("work lost", "work_lost"),
];

/// The structure of `compare.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompareView {
    /// mqsim's version.
    pub mqsim_version: String,
    /// The scenarios, in the order given.
    pub scenarios: Vec<CompareColumn>,
}

impl CompareView {
    /// The view of freshly run entries.
    pub fn of(entries: &[Entry]) -> CompareView {
        let scenarios = entries
            .iter()
            .map(|e| CompareColumn {
                label: e.label.clone(),
                seed: e.scenario.system.seed,
                replications: e.scenario.replications,
                metrics: metric_values(&e.experiment.metrics),
                scenario: e.scenario.normalised.clone(),
                series: (e.experiment.outcomes.first())
                    .map(|o| ColumnSeries::of(&e.scenario.system, o)),
            })
            .collect();
        CompareView {
            mqsim_version: env!("CARGO_PKG_VERSION").to_owned(),
            scenarios,
        }
    }

    /// Reads `compare.json` from `dir`.
    ///
    /// # Errors
    /// [`ReportError::Input`] if it is missing or malformed.
    pub fn load(dir: &Path) -> Result<CompareView, ReportError> {
        let path = dir.join("compare.json");
        let bad = |reason: String| ReportError::Input {
            path: path.clone(),
            reason,
        };
        let view: CompareView =
            serde_json::from_str(&read_input(&path)?).map_err(|e| bad(e.to_string()))?;
        for column in &view.scenarios {
            check_scenario_names(&column.scenario).map_err(|e| bad(format!("scenario: {e}")))?;
            for name in column.metrics.keys() {
                check_metric_name(name).map_err(&bad)?;
            }
            if let Some(series) = &column.series {
                (series.check()).map_err(|e| bad(format!("{}: series.{e}", column.label)))?;
            }
        }
        Ok(view)
    }

    /// `compare.json` text.
    ///
    /// # Errors
    /// Only if encoding fails, which the types rule out.
    pub fn json(&self) -> Result<String, ReportError> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// Group names across all scenarios, sorted.
    fn groups(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .scenarios
            .iter()
            .flat_map(|s| s.scenario.groups.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Rows of the side-by-side table: label, then one cell per scenario.
    /// A group is found under `groups.<g>` in one column and under
    /// `services.<g>` in another where it is called directly.
    pub fn rows(&self) -> Vec<Vec<String>> {
        let mut specs: Vec<RowSpec> = (CALLER_ROWS.iter().enumerate())
            .map(|(i, &(label, _, scale, digits))| RowSpec {
                label: label.to_owned(),
                metric: Box::new(move |s: &CompareColumn| caller_metric(&s.scenario, i)),
                scale,
                digits,
            })
            .collect();
        for g in self.groups() {
            let mut add = |label: &str, field: &str, scale: f64, digits: usize| {
                let (g, field) = (g.clone(), field.to_owned());
                specs.push(RowSpec {
                    label: format!("{g}: {label}"),
                    metric: Box::new(move |s: &CompareColumn| {
                        let p = super::group_place(|name| s.metrics.contains_key(name), &g);
                        Some(format!("{p}.{field}"))
                    }),
                    scale,
                    digits,
                });
            };
            for (label, field, scale, digits) in GROUP_ROWS[..4].iter().copied() {
                add(label, field, scale, digits);
            }
            for reason in self.drop_reasons(&g) {
                add(
                    &format!("  dropped, {}", reason.replace('_', " ")),
                    &format!("dropped.{reason}"),
                    1.0,
                    0,
                );
            }
            for (label, field, scale, digits) in GROUP_ROWS[4..].iter().copied() {
                add(label, field, scale, digits);
            }
        }
        specs
            .into_iter()
            .map(|spec| {
                let cell = |s: &CompareColumn| {
                    let metric = (spec.metric)(s);
                    let value = (metric.and_then(|m| s.metrics.get(&m)))
                        .map(|m| (m.mean, m.ci95_half_width));
                    with_ci(value, spec.scale, spec.digits)
                };
                std::iter::once(spec.label.clone())
                    .chain(self.scenarios.iter().map(cell))
                    .collect()
            })
            .collect()
    }

    /// Drop reasons of group `g` (`groups.<g>.dropped.<reason>`, or
    /// `services.<g>.…`) any scenario reports.
    fn drop_reasons(&self, g: &str) -> Vec<String> {
        let starts = [
            format!("groups.{g}.dropped."),
            format!("services.{g}.dropped."),
        ];
        let mut reasons: Vec<String> = self
            .scenarios
            .iter()
            .flat_map(|s| {
                s.metrics.keys().filter_map(|k| {
                    let mut rest = starts.iter().filter_map(|start| k.strip_prefix(start));
                    rest.next().map(str::to_owned)
                })
            })
            .collect();
        reasons.sort();
        reasons.dedup();
        reasons
    }

    /// The table as terminal text.
    pub fn table(&self) -> String {
        let mut header = vec![String::new()];
        header.extend(self.scenarios.iter().map(|s| s.label.clone()));
        let rows: Vec<Vec<String>> = std::iter::once(header).chain(self.rows()).collect();
        super::columns(&rows)
    }

    /// The bar charts: producer and end-to-end p50/p99 per scenario (and
    /// per group when a scenario has several), errors and losses; then,
    /// every scenario a line on one time axis, depth, the oldest message's
    /// age and failures per second.
    ///
    /// # Errors
    /// [`ReportError::Chart`] if it cannot be drawn.
    pub fn charts(&self) -> Result<Vec<Rendered>, ReportError> {
        let several = self.scenarios.iter().any(|s| s.scenario.groups.len() > 1);
        let get = |s: &CompareColumn, name: &str| {
            s.metrics
                .get(name)
                .map_or((f64::NAN, 0.0), |m| (m.mean, m.ci95_half_width))
        };
        let mut groups = Vec::new();
        for s in &self.scenarios {
            for g in s.scenario.groups.keys() {
                let p = super::group_place(|name| s.metrics.contains_key(name), g);
                groups.push(BarGroup {
                    label: if several {
                        format!("{} / {g}", s.label)
                    } else {
                        s.label.clone()
                    },
                    values: vec![
                        caller_metric(&s.scenario, PUBLISH_ROWS[0])
                            .map_or((f64::NAN, 0.0), |m| get(s, &m)),
                        caller_metric(&s.scenario, PUBLISH_ROWS[1])
                            .map_or((f64::NAN, 0.0), |m| get(s, &m)),
                        get(s, &format!("{p}.{}", GROUP_ROWS[0].1)),
                        get(s, &format!("{p}.{}", GROUP_ROWS[1].1)),
                    ],
                });
            }
        }
        let chart = CompareChart {
            title: "Latency side by side".into(),
            series: [
                "publish acknowledged p50",
                "publish acknowledged p99",
                "end-to-end p50",
                "end-to-end p99",
            ]
            .map(String::from)
            .to_vec(),
            groups,
            y_desc: None,
        };
        let mut charts = vec![
            render(
                "compare-latency",
                "Publish acknowledged (queued only) and end-to-end latency, p50 and p99",
                &chart,
            )?,
            render(
                "compare-errors",
                "Beside the latencies, what they leave out: the share of requests whose caller saw an error, and per group the messages dropped and the work lost",
                &self.errors_chart(several),
            )?,
        ];
        charts.extend(super::compare_series::charts(&self.scenarios)?);
        Ok(charts)
    }

    /// Caller-visible errors (%) per scenario, and per scenario and group
    /// the messages dropped (all reasons) and the work lost.
    fn errors_chart(&self, several: bool) -> ComparePair {
        let get = |s: &CompareColumn, name: Option<String>, scale: f64| {
            (name.and_then(|n| s.metrics.get(&n))).map_or((f64::NAN, 0.0), |m| {
                (m.mean * scale, m.ci95_half_width * scale)
            })
        };
        let errors = (self.scenarios.iter())
            .map(|s| BarGroup {
                label: s.label.clone(),
                values: vec![get(s, caller_metric(&s.scenario, ERROR_SHARE_ROW), 100.0)],
            })
            .collect();
        let mut lost = Vec::new();
        for s in &self.scenarios {
            for g in s.scenario.groups.keys() {
                let p = super::group_place(|name| s.metrics.contains_key(name), g);
                lost.push(BarGroup {
                    label: if several {
                        format!("{} / {g}", s.label)
                    } else {
                        s.label.clone()
                    },
                    values: LOST
                        .iter()
                        .map(|(_, field)| get(s, Some(format!("{p}.{field}")), 1.0))
                        .collect(),
                });
            }
        }
        ComparePair {
            left: CompareChart {
                title: "Caller-visible errors".into(),
                series: vec![CALLER_ROWS[ERROR_SHARE_ROW].0.to_owned()],
                groups: errors,
                y_desc: Some("requests whose caller saw an error (%)".into()),
            },
            right: CompareChart {
                title: "Messages dropped and work lost".into(),
                series: LOST.iter().map(|(label, _)| (*label).to_owned()).collect(),
                groups: lost,
                y_desc: Some("messages".into()),
            },
        }
    }

    /// The self-contained `report.html`.
    pub fn html(&self, charts: &[Rendered]) -> String {
        let labels: Vec<&str> = self.scenarios.iter().map(|s| s.label.as_str()).collect();
        let title = format!("mqsim compare: {}", labels.join(" vs "));
        let mut page = Page::new(&title);
        page.paragraph("Each scenario runs with its own seed and replications; values are means across replications with their 95% confidence interval.");
        let mut header = vec![""];
        header.extend(&labels);
        page.heading("Side by side").table(&header, &self.rows());
        page.heading("Charts");
        for chart in charts {
            page.figure(chart);
        }
        for s in &self.scenarios {
            page.heading(&format!("Scenario {} (normalised)", s.label))
                .pre(&toml::to_string(&s.scenario).unwrap_or_default());
        }
        page.finish(&title)
    }
}

/// A row's metric in a column, if the column has it.
type MetricOf = Box<dyn Fn(&CompareColumn) -> Option<String>>;

/// One row of the comparison table: its label, its metric in a column
/// (`None`: the column has none), the scale to its unit and the decimals
/// shown.
struct RowSpec {
    label: String,
    metric: MetricOf,
    scale: f64,
    digits: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sim::fields::{is_group_field, is_metric};

    /// Every metric the comparison names is one a run reports.
    #[test]
    fn every_named_metric_exists() {
        for (_, field, _, _) in CALLER_ROWS {
            let (topic, call, group) = match field {
                CallerField::Both(topic, call) => (topic, call, None),
                CallerField::Answer(call, sync, group) => (Some(sync), Some(call), Some(group)),
            };
            if let Some(topic) = topic {
                assert!(is_metric(&format!("topic.{topic}")), "{topic}");
            }
            if let Some(call) = call {
                assert!(is_metric(&format!("calls.shop.checkout.{call}")), "{call}");
            }
            if let Some(group) = group {
                assert!(is_group_field(group), "{group}");
            }
        }
        for (_, field, _, _) in GROUP_ROWS {
            assert!(is_group_field(field), "{field}");
        }
    }
}
