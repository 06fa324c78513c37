//! `compare`: a side-by-side table, `compare.json`, a bar chart of
//! latencies, and `report.html`.

use super::chart::{BarGroup, CompareChart, ComparePair, Rendered, render};
use super::duration::DURATION;
use super::html::{Page, with_ci};
use super::{ReportError, read_input};
use crate::experiment::{Entry, MetricValue, check_metric_name, metric_values};
use crate::scenario::RawScenario;
use crate::scenario::name::check_scenario_names;
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
}

/// The callers' rows: label, field of a topic, field of a call link,
/// scale, digits.
const CALLER_ROWS: [(&str, &str, &str, f64, usize); 5] = [
    ("requests / messages", "created", "requests", 1.0, 0),
    (
        "caller latency p50",
        "producer_latency.p50_s",
        "latency.p50_s",
        1.0,
        DURATION,
    ),
    (
        "caller latency p99",
        "producer_latency.p99_s",
        "latency.p99_s",
        1.0,
        DURATION,
    ),
    ("caller-visible errors", "caller_errors", "errors", 1.0, 0),
    (
        "caller-visible errors (%)",
        "caller_error_share",
        "error_rate",
        100.0,
        2,
    ),
];

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
    let (_, topic_field, call_field, _, _) = CALLER_ROWS[row];
    Some(format!(
        "{prefix}.{}",
        if call { call_field } else { topic_field }
    ))
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
            .map(|(i, &(label, _, _, scale, digits))| RowSpec {
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

    /// The bar chart: producer and end-to-end p50/p99 per scenario (and
    /// per group when a scenario has several).
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
                        caller_metric(&s.scenario, 1).map_or((f64::NAN, 0.0), |m| get(s, &m)),
                        caller_metric(&s.scenario, 2).map_or((f64::NAN, 0.0), |m| get(s, &m)),
                        get(s, &format!("{p}.{}", GROUP_ROWS[0].1)),
                        get(s, &format!("{p}.{}", GROUP_ROWS[1].1)),
                    ],
                });
            }
        }
        let chart = CompareChart {
            title: "Latency side by side".into(),
            series: [
                "producer p50",
                "producer p99",
                "end-to-end p50",
                "end-to-end p99",
            ]
            .map(String::from)
            .to_vec(),
            groups,
            y_desc: None,
        };
        Ok(vec![
            render(
                "compare-latency",
                "Producer-visible and end-to-end latency, p50 and p99",
                &chart,
            )?,
            render(
                "compare-errors",
                "Beside the latencies, what they leave out: the share of requests whose caller saw an error, and per group the messages dropped and the work lost",
                &self.errors_chart(several),
            )?,
        ])
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
                values: vec![get(s, caller_metric(&s.scenario, 4), 100.0)],
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
                series: vec![CALLER_ROWS[4].0.to_owned()],
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
        for (_, topic, call, _, _) in CALLER_ROWS {
            assert!(is_metric(&format!("topic.{topic}")), "{topic}");
            assert!(is_metric(&format!("calls.shop.checkout.{call}")), "{call}");
        }
        for (_, field, _, _) in GROUP_ROWS {
            assert!(is_group_field(field), "{field}");
        }
    }
}
