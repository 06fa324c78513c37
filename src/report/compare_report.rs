//! `compare`: a side-by-side table, `compare.json`, a bar chart of
//! latencies, and `report.html`.

use super::chart::{BarGroup, CompareChart, Rendered, render};
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

/// The callers' rows: label, metric, scale, digits.
const TOPIC_ROWS: [(&str, &str, f64, usize); 5] = [
    ("requests / messages", "topic.created", 1.0, 0),
    (
        "caller latency p50 (ms)",
        "topic.producer_latency.p50_s",
        1e3,
        3,
    ),
    (
        "caller latency p99 (ms)",
        "topic.producer_latency.p99_s",
        1e3,
        3,
    ),
    ("caller-visible errors", "topic.caller_errors", 1.0, 0),
    (
        "caller-visible errors (%)",
        "topic.caller_error_share",
        100.0,
        2,
    ),
];

/// Each group's rows (drops by reason after the first four): label,
/// field, scale, digits.
const GROUP_ROWS: [(&str, &str, f64, usize); 9] = [
    ("end-to-end p50 (ms)", "e2e.p50_s", 1e3, 3),
    ("end-to-end p99 (ms)", "e2e.p99_s", 1e3, 3),
    ("processed", "processed", 1.0, 0),
    ("dropped (all reasons)", "dropped", 1.0, 0),
    ("work lost", "work_lost", 1.0, 0),
    ("peak backlog (messages)", "max_depth", 1.0, 0),
    ("throughput (msg/s)", "throughput_per_s", 1.0, 2),
    ("workers, mean paid for", "workers_mean", 1.0, 1),
    ("workers, most at once", "workers_max", 1.0, 0),
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
    pub fn rows(&self) -> Vec<Vec<String>> {
        let mut specs: Vec<RowSpec> = TOPIC_ROWS
            .iter()
            .map(|&(label, name, scale, digits)| row(label, name, scale, digits))
            .collect();
        for g in self.groups() {
            // A service called directly (in any column) has `services.<g>.*`.
            let has = |name: &str| self.scenarios.iter().any(|s| s.metrics.contains_key(name));
            let p = super::group_place(has, &g);
            let mut add = |label: &str, field: &str, scale: f64, digits: usize| {
                specs.push(row(
                    &format!("{g}: {label}"),
                    &format!("{p}.{field}"),
                    scale,
                    digits,
                ));
            };
            for (label, field, scale, digits) in GROUP_ROWS[..4].iter().copied() {
                add(label, field, scale, digits);
            }
            for reason in self.drop_reasons(&p) {
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
                    let value = s
                        .metrics
                        .get(&spec.metric)
                        .map(|m| (m.mean, m.ci95_half_width));
                    with_ci(value, spec.scale, spec.digits)
                };
                std::iter::once(spec.label.clone())
                    .chain(self.scenarios.iter().map(cell))
                    .collect()
            })
            .collect()
    }

    /// Drop reasons (`groups.<g>.dropped.<reason>`) any scenario reports.
    fn drop_reasons(&self, prefix: &str) -> Vec<String> {
        let start = format!("{prefix}.dropped.");
        let mut reasons: Vec<String> = self
            .scenarios
            .iter()
            .flat_map(|s| {
                s.metrics
                    .keys()
                    .filter_map(|k| k.strip_prefix(&start).map(str::to_owned))
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
                        get(s, TOPIC_ROWS[1].1),
                        get(s, TOPIC_ROWS[2].1),
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
        };
        Ok(vec![render(
            "compare-latency",
            "Producer-visible and end-to-end latency, p50 and p99",
            &chart,
        )?])
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

/// One row of the comparison table: its label, the metric, the scale to
/// its unit and the decimals shown.
struct RowSpec {
    label: String,
    metric: String,
    scale: f64,
    digits: usize,
}

fn row(label: &str, metric: &str, scale: f64, digits: usize) -> RowSpec {
    RowSpec {
        label: label.to_owned(),
        metric: metric.to_owned(),
        scale,
        digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sim::fields::{is_group_field, is_metric};

    /// Every metric the comparison names is one a run reports.
    #[test]
    fn every_named_metric_exists() {
        for (_, name, _, _) in TOPIC_ROWS {
            assert!(is_metric(name), "{name}");
        }
        for (_, field, _, _) in GROUP_ROWS {
            assert!(is_group_field(field), "{field}");
        }
    }
}
