//! The charts and `report.html` of one run, drawn from what `summary.json`
//! and `timeseries.csv` hold, so `mqsim plot` redraws them byte for byte.

use super::chart::{
    AgeChart, AlertBands, CallsChart, DROP_REASONS, DepthChart, DropsChart, LatencyChart,
    LatencySeries, Line, PartitionLagChart, ReasonBars, Rendered, TimeSplitChart, TopologyChart,
    WorkersChart, render,
};
use super::duration::DURATION;
use super::html::{Page, with_ci};
use super::series::SeriesTable;
use super::topology::ListedPath;
use super::{ReportError, read_input};
use crate::experiment::{
    AnalyticRow, Experiment, MetricValue, analytic_rows, check_metric_name, metric_values,
};
use crate::model::sim::{AlertOutcome, fields};
use crate::scenario::name::{check_name, check_scenario_names};
use crate::scenario::{Format, RawScenario, Scenario};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Everything the run report shows.
#[derive(Clone, Debug)]
pub struct RunView {
    /// Scenario name.
    pub name: String,
    /// The question the scenario answers (its `description`).
    pub question: Option<String>,
    /// Seed.
    pub seed: u64,
    /// Replications.
    pub replications: u32,
    /// The normalised scenario as TOML.
    pub scenario_toml: String,
    /// Group names, in scenario order (services called directly among
    /// them: see [`RunView::place`]).
    pub groups: Vec<String>,
    /// Each topic's name and metric prefix: (`""`, `topic`) for the one
    /// topic of a single-topic file, (`<name>`, `topics.<name>`) for each
    /// topic of a file that names them.
    pub topics: Vec<(String, String)>,
    /// Each producer that calls a service: its call link's label
    /// (`<producer> → <service>`), metric prefix
    /// (`calls.<producer>.<service>`) and the service.
    pub entries: Vec<(String, String, String)>,
    /// Every metric by name.
    pub metrics: BTreeMap<String, MetricValue>,
    /// The architecture, annotated with what each part measured.
    pub(crate) topology: TopologyChart,
    /// Where the time goes along each path (none without paths).
    pub(crate) time_split: TimeSplitChart,
    /// The time series of replication 0.
    pub series: SeriesTable,
    /// Analytic values that apply.
    pub analytic: Vec<AnalyticRow>,
    /// Ready messages per group and partition over time (several
    /// partitions only; `partitions.csv`).
    pub partitions: Vec<Line>,
    /// Per call link, its errors, breaker refusals, hedges and throttled
    /// retries per second over time (`calls.csv`; only those not always
    /// zero).
    pub calls: Vec<Line>,
    /// What each alert did in replication 0: its firing episodes are
    /// shaded on the depth and lag charts.
    pub alerts: Vec<AlertOutcome>,
}

/// The parts of `summary.json` the report needs.
#[derive(Deserialize)]
struct SavedSummary {
    scenario_name: String,
    seed: u64,
    replications: u32,
    metrics: BTreeMap<String, MetricValue>,
    scenario: RawScenario,
    /// Replication 0's paths are read (a file without them has none).
    #[serde(default)]
    outcomes: Vec<SavedOutcome>,
}

/// The part of a saved replication the report needs: its paths and
/// what its alerts did.
#[derive(Deserialize)]
struct SavedOutcome {
    #[serde(default)]
    paths: Vec<SavedPath>,
    #[serde(default)]
    alerts: Vec<AlertOutcome>,
}

/// A saved path: its name, last group and hops.
#[derive(Deserialize)]
struct SavedPath {
    name: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    hops: Vec<String>,
}

impl RunView {
    /// The view of a run just made; `csv` is the `timeseries.csv` text.
    ///
    /// # Errors
    /// [`ReportError::Input`] if `csv` is malformed (never expected).
    pub fn of_run(
        scenario: &Scenario,
        experiment: &Experiment,
        csv: &str,
    ) -> Result<RunView, ReportError> {
        let metrics = metric_values(&experiment.metrics);
        Ok(RunView {
            name: scenario.name.clone(),
            question: scenario.normalised.description.clone(),
            seed: scenario.system.seed,
            replications: scenario.replications,
            scenario_toml: toml::to_string(&scenario.normalised).unwrap_or_default(),
            groups: (scenario.system.groups.iter())
                .chain(&scenario.system.services)
                .map(|g| g.name.clone())
                .collect(),
            topics: topic_places(&scenario.normalised),
            entries: entries(&scenario.normalised),
            topology: super::topology::topology(&scenario.name, &scenario.normalised, &metrics),
            time_split: {
                let paths: Vec<ListedPath> = (experiment.outcomes[0].paths.iter())
                    .map(|p| (p.name.clone(), p.place.clone(), p.hops.clone()))
                    .collect();
                super::topology::time_split(&scenario.name, &paths, &metrics)
            },
            metrics,
            series: SeriesTable::parse(csv).map_err(|reason| ReportError::Input {
                path: "timeseries.csv".into(),
                reason,
            })?,
            analytic: analytic_rows(scenario),
            partitions: partition_lines(&super::timeseries::partitions_csv(
                scenario,
                &experiment.outcomes[0].partition_series,
            )),
            calls: call_lines(&super::timeseries::calls_csv(
                scenario,
                &experiment.outcomes[0].call_series,
            )),
            alerts: experiment.outcomes[0].alerts.clone(),
        })
    }

    /// Where group `g`'s metrics are: `services.<g>` for a service called
    /// directly, else `groups.<g>`.
    pub fn place(&self, g: &str) -> String {
        super::group_place(|name| self.metrics.contains_key(name), g)
    }

    /// The view of a saved run: `summary.json` and `timeseries.csv` in `dir`.
    ///
    /// # Errors
    /// [`ReportError::Input`] naming a missing or malformed file.
    pub fn load(dir: &Path) -> Result<RunView, ReportError> {
        let summary_path = dir.join("summary.json");
        let bad = |reason: String| ReportError::Input {
            path: summary_path.clone(),
            reason,
        };
        let saved: SavedSummary =
            serde_json::from_str(&read_input(&summary_path)?).map_err(|e| bad(e.to_string()))?;
        check_name(&saved.scenario_name).map_err(|e| bad(format!("scenario_name: {e}")))?;
        check_scenario_names(&saved.scenario).map_err(|e| bad(format!("scenario: {e}")))?;
        for name in saved.metrics.keys() {
            check_metric_name(name).map_err(&bad)?;
        }
        let csv_path = dir.join("timeseries.csv");
        let series =
            SeriesTable::parse(&read_input(&csv_path)?).map_err(|reason| ReportError::Input {
                path: csv_path,
                reason,
            })?;
        // The analytic values need the validated scenario; a scenario that no
        // longer validates (say, a trace file that moved) just has none.
        let analytic = serde_json::to_string(&saved.scenario)
            .ok()
            .and_then(|json| Scenario::from_text(&json, Format::Json, &summary_path, &[]).ok())
            .map(|s| analytic_rows(&s))
            .unwrap_or_default();
        // Groups, then the services called directly, as a run lists them.
        let mut groups: Vec<String> = saved.scenario.groups.keys().cloned().collect();
        groups.sort_by_key(|g| {
            super::group_place(|name| saved.metrics.contains_key(name), g).starts_with("services.")
        });
        let topology =
            super::topology::topology(&saved.scenario_name, &saved.scenario, &saved.metrics);
        let paths: Vec<ListedPath> = (saved.outcomes.first().into_iter())
            .flat_map(|o| &o.paths)
            .map(|p| (p.name.clone(), p.place.clone(), p.hops.clone()))
            .collect();
        let time_split = super::topology::time_split(&saved.scenario_name, &paths, &saved.metrics);
        let alerts = (saved.outcomes.first()).map_or_else(Vec::new, |o| o.alerts.clone());
        Ok(RunView {
            question: saved.scenario.description.clone(),
            name: saved.scenario_name,
            seed: saved.seed,
            replications: saved.replications,
            scenario_toml: toml::to_string(&saved.scenario).unwrap_or_default(),
            groups,
            topics: topic_places(&saved.scenario),
            entries: entries(&saved.scenario),
            topology,
            time_split,
            metrics: saved.metrics,
            series,
            analytic,
            // Absent with one partition.
            partitions: read_input(&dir.join("partitions.csv"))
                .map(|text| partition_lines(&text))
                .unwrap_or_default(),
            // Absent without call links.
            calls: read_input(&dir.join("calls.csv"))
                .map(|text| call_lines(&text))
                .unwrap_or_default(),
            alerts,
        })
    }

    fn get(&self, name: &str) -> Option<(f64, f64)> {
        self.metrics.get(name).map(|m| (m.mean, m.ci95_half_width))
    }

    /// The run's charts: depth with arrival rate, latency percentiles, drops,
    /// lag per partition when there are several, and workers over time when
    /// their number changes (autoscaling, crashes).
    ///
    /// # Errors
    /// [`ReportError::Chart`] if a chart cannot be drawn.
    pub fn charts(&self) -> Result<Vec<Rendered>, ReportError> {
        // Alerts are marked on the depth and lag charts when some fired.
        let marks = if self.alert_bands().is_empty() {
            ""
        } else if self.replications > 1 {
            "; bars along the top: where each alert was firing in replication 1 (a thin line where it fired)"
        } else {
            "; bars along the top: where each alert was firing (a thin line where it fired)"
        };
        let mut charts = vec![
            render(
                "topology",
                "The architecture: what each part handled (busy: utilisation; p99: end to end, for a called service from the call), the bottleneck (the longest mean queue wait) in red; dashed arrows are direct calls",
                &self.topology,
            )?,
            render(
                "depth",
                &format!("Depth and arrival rate over time{marks}"),
                &self.depth_chart(),
            )?,
            render(
                "age",
                &format!(
                    "Lag over time: the age of the oldest waiting message, and the end-to-end p99 of the messages processed in each interval (a gap: none processed){marks}"
                ),
                &self.age_chart(),
            )?,
            render("latency", "Latency percentiles", &self.latency_chart())?,
        ];
        if !self.time_split.paths.is_empty() {
            charts.push(render(
                "time-split",
                "Where the time goes: each path's time from its root, split by hop (wait light, processing dark)",
                &self.time_split,
            )?);
        }
        if let Some(drops) = self.drops_chart() {
            charts.push(render(
                "drops",
                "Drops: per interval over time, and in all by reason",
                &drops,
            )?);
        }
        if !self.partitions.is_empty() {
            let shown = hottest(&self.partitions, MAX_PARTITIONS_SHOWN);
            let title = if shown.len() < self.partitions.len() {
                format!(
                    "{}: lag of the {} partitions with the highest peak (of {})",
                    self.name,
                    shown.len(),
                    self.partitions.len()
                )
            } else {
                format!("{}: lag per partition", self.name)
            };
            let lag = PartitionLagChart {
                title,
                depth: shown,
            };
            charts.push(render("partitions", "Lag per partition over time", &lag)?);
        }
        if let Some(workers) = self.workers_chart() {
            charts.push(render("workers", "Workers over time", &workers)?);
        }
        if !self.calls.is_empty() {
            let calls = CallsChart {
                title: format!("{}: calls over time", self.name),
                lines: self.calls.clone(),
            };
            charts.push(render(
                "calls",
                "Calls over time, per link: errors, calls the breaker refused, hedges and retries the budget held back, per second",
                &calls,
            )?);
        }
        Ok(charts)
    }

    /// Workers up and paid for per group, if their number ever changes.
    fn workers_chart(&self) -> Option<WorkersChart> {
        let mut lines = Vec::new();
        for g in self.series.groups() {
            for (column, what) in WORKER_COLUMNS {
                lines.push(Line {
                    label: format!("{g}: {what}"),
                    points: self.series.column(&g, column).unwrap_or_default(),
                });
            }
        }
        let changes = lines
            .iter()
            .any(|l| l.points.windows(2).any(|w| w[0].1 != w[1].1));
        changes.then(|| WorkersChart {
            title: format!("{}: workers", self.name),
            workers: lines,
        })
    }

    fn depth_chart(&self) -> DepthChart {
        let groups = self.series.groups();
        let depth = groups
            .iter()
            .map(|g| Line {
                label: format!("{g}: depth"),
                points: self.series.column(g, DEPTH_COLUMN).unwrap_or_default(),
            })
            .collect();
        // Requests arrive at the service the producers call, messages
        // at the first group's topic.
        let entry = self.entries.first().map(|(_, _, service)| service);
        let arrival = (entry.or(groups.first()))
            .and_then(|g| self.series.column(g, RATE_COLUMN))
            .unwrap_or_default();
        DepthChart {
            title: format!("{}: depth and arrival rate", self.name),
            depth,
            arrival_per_s: Line {
                label: "arrival rate".into(),
                points: arrival,
            },
            alerts: self.alert_bands(),
        }
    }

    /// Per group, the oldest message's age and the p99 per interval (a
    /// zero p99, an interval with nothing processed, is a gap).
    fn age_chart(&self) -> AgeChart {
        let lines = |column: &str, gap_at_zero: bool| -> Vec<Line> {
            (self.series.groups().iter())
                .map(|g| Line {
                    label: g.clone(),
                    points: (self.series.column(g, column).unwrap_or_default())
                        .into_iter()
                        .map(|(t, y)| (t, if gap_at_zero && y == 0.0 { f64::NAN } else { y }))
                        .collect(),
                })
                .collect()
        };
        AgeChart {
            title: format!("{}: lag over time", self.name),
            oldest_age: lines(AGE_COLUMN, false),
            e2e_p99: lines(P99_COLUMN, true),
            alerts: self.alert_bands(),
        }
    }

    /// The alerts that fired in replication 0, where they were firing.
    fn alert_bands(&self) -> Vec<AlertBands> {
        let first = if self.replications > 1 {
            " (replication 1)"
        } else {
            ""
        };
        (self.alerts.iter())
            .filter(|a| !a.episodes.is_empty())
            .map(|a| AlertBands {
                label: format!("alert {} firing{first}", a.name),
                episodes: a.episodes.clone(),
            })
            .collect()
    }

    fn latency_chart(&self) -> LatencyChart {
        let series_of = |label: String, prefix: String| LatencySeries {
            label,
            values: FIELDS
                .iter()
                .map(|(_, f)| {
                    self.get(&format!("{prefix}.{f}"))
                        .unwrap_or((f64::NAN, 0.0))
                })
                .collect(),
        };
        let mut series = Vec::new();
        for g in &self.groups {
            for (label, prefix) in GROUP_LATENCIES {
                series.push(series_of(
                    format!("{g}: {label}"),
                    format!("{}.{prefix}", self.place(g)),
                ));
            }
        }
        for (name, place) in &self.topics {
            series.push(series_of(
                format!("{}producer: send → accepted", labelled(name)),
                format!("{place}.{}", fields::TOPIC_LATENCY),
            ));
        }
        for (label, place, _) in &self.entries {
            series.push(series_of(
                format!("{label}: request → answer"),
                format!("{place}.latency"),
            ));
        }
        LatencyChart {
            title: format!("{}: latency percentiles", self.name),
            percentiles: FIELDS.iter().map(|(p, _)| p.to_string()).collect(),
            series,
        }
    }

    /// Drops per interval (`dropped`), the totals by reason
    /// (`<place>.dropped.<reason>`), and the running totals the series may
    /// have (`dead_lettered`, `duplicate_side_effects`: "so far"); none
    /// when nothing dropped and those totals stay at zero.
    fn drops_chart(&self) -> Option<DropsChart> {
        let lines = |pick: &dyn Fn(&str) -> bool| -> Vec<Line> {
            let kinds: Vec<&String> = self.series.columns().iter().filter(|c| pick(c)).collect();
            let groups = self.series.groups();
            groups
                .iter()
                .flat_map(|g| kinds.iter().map(move |k| (g, k)))
                .map(|(g, k)| Line {
                    label: format!("{g}: {}", column_label(k)),
                    points: self.series.column(g, k).unwrap_or_default(),
                })
                .collect()
        };
        let interval = self
            .series
            .interval_s()
            .map_or(String::new(), |s| format!(" of {}", seconds_text(s)));
        let by_reason: Vec<ReasonBars> = (DROP_REASONS.iter())
            .map(|reason| ReasonBars {
                reason: (*reason).to_owned(),
                counts: (self.groups.iter())
                    .map(|g| {
                        let name = format!("{}.dropped.{reason}", self.place(g));
                        self.get(&name).map_or(0.0, |(mean, _)| mean)
                    })
                    .collect(),
            })
            .filter(|r| r.counts.iter().any(|c| *c > 0.0))
            .collect();
        let per_interval = lines(&|c| c == DROPPED_COLUMN);
        // Running totals that stay at zero say nothing: no line (and no
        // panel when none moves).
        let so_far: Vec<Line> =
            lines(&|c| c.starts_with("dead_letter") || c.contains("duplicate") || c == "wasted")
                .into_iter()
                .filter(|l| l.points.iter().any(|p| p.1 != 0.0))
                .collect();
        let dropped = (per_interval.iter().flat_map(|l| &l.points)).any(|p| p.1 > 0.0);
        (dropped || !by_reason.is_empty() || !so_far.is_empty()).then(|| DropsChart {
            title: format!("{}: drops", self.name),
            y_desc: format!("dropped per interval{interval}"),
            per_interval,
            groups: self.groups.clone(),
            by_reason,
            so_far,
        })
    }

    /// The self-contained `report.html`.
    pub fn html(&self, charts: &[Rendered]) -> String {
        let title = format!("mqsim run: {}", self.name);
        let mut page = Page::new(&title);
        if let Some(q) = self.question.as_deref().filter(|q| !q.trim().is_empty()) {
            page.question(q);
        }
        let verdicts = self.verdicts();
        if !verdicts.is_empty() {
            page.heading("Verdict").named_list(&verdicts);
        }
        page.paragraph(&format!(
            "Seed {}, {} replication{}. Values are means across replications with their 95% confidence interval.",
            self.seed,
            self.replications,
            if self.replications == 1 { "" } else { "s" }
        ));
        // The architecture first: what the numbers below are about.
        let (topology, charts): (Vec<&Rendered>, Vec<&Rendered>) =
            charts.iter().partition(|c| c.name == "topology");
        for chart in topology {
            page.heading("Architecture").figure(chart);
        }
        page.heading("Headline numbers")
            .table(&["metric", "value"], &self.headline_rows());
        if !self.analytic.is_empty() {
            page.heading("Simulated against queueing theory").table(
                &["model", "quantity", "simulated (95% CI)", "theory"],
                &analytic_table(&self.analytic, |n| self.get(n)),
            );
        }
        page.heading("Charts");
        for chart in charts {
            page.figure(chart);
        }
        let shown = hottest_partitions(
            self.metrics.iter().map(|(n, m)| (n.clone(), m.mean)),
            MAX_PARTITIONS_SHOWN,
        );
        let listed =
            |n: &str| partition_of(n).is_none_or(|(g, p)| shown.contains(&(g.to_owned(), p)));
        let all: Vec<Vec<String>> = self
            .metrics
            .iter()
            .filter(|(n, _)| listed(n))
            .map(|(n, m)| {
                vec![
                    n.clone(),
                    with_ci(Some((m.mean, m.ci95_half_width)), 1.0, 6),
                ]
            })
            .collect();
        let left_out = self.metrics.len() - all.len();
        let caption = if left_out > 0 {
            format!(
                "Every metric (summary.json names and units; {left_out} metrics of partitions \
                 beyond the {MAX_PARTITIONS_SHOWN} with the highest peak per group are in summary.json)"
            )
        } else {
            "Every metric (summary.json names and units)".to_owned()
        };
        page.details(&caption, &["metric", "value"], &all);
        page.heading("Scenario (normalised)")
            .pre(&self.scenario_toml);
        page.finish(&title)
    }

    /// Per group and service, how it fared (see [`super::verdict::verdict`]).
    pub fn verdicts(&self) -> Vec<(String, String)> {
        (self.groups.iter())
            .filter_map(|g| {
                let place = self.place(g);
                let line = super::verdict::verdict(|field| {
                    self.get(&format!("{place}.{field}")).map(|(mean, _)| mean)
                })?;
                Some((g.clone(), line))
            })
            .collect()
    }

    fn headline_rows(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        let mut add = |label: String, name: String, scale: f64, digits: usize| {
            rows.push(vec![label, with_ci(self.get(&name), scale, digits)]);
        };
        for (topic, place) in &self.topics {
            for (label, name, scale, digits) in TOPIC_HEADLINE {
                let name = name.replacen("topic", place, 1);
                add(format!("{}{label}", labelled(topic)), name, scale, digits);
            }
        }
        for (label, place, _) in &self.entries {
            for (row, field, scale, digits) in CALL_HEADLINE {
                add(
                    format!("{label}: {row}"),
                    format!("{place}.{field}"),
                    scale,
                    digits,
                );
            }
        }
        for g in &self.groups {
            for (label, field, scale, digits) in HEADLINE {
                add(
                    format!("{g}: {label}"),
                    format!("{}.{field}", self.place(g)),
                    scale,
                    digits,
                );
            }
            let drain = format!("{}.drain_s", self.place(g));
            if self.metrics.contains_key(&drain) {
                add(
                    format!("{g}: drained after the horizon"),
                    drain,
                    1.0,
                    DURATION,
                );
            }
        }
        let alerts = (self.metrics.keys())
            .filter_map(|n| n.strip_prefix("alerts.")?.strip_suffix(".fired"))
            .map(str::to_owned)
            .collect::<Vec<_>>();
        for a in alerts {
            for (label, field, digits) in ALERT_HEADLINE {
                let name = format!("alerts.{a}.{field}");
                if self.metrics.contains_key(&name) {
                    add(format!("alert {a}: {label}"), name, 1.0, digits);
                }
            }
        }
        // Each fault, met by each alert, in the first replication.
        let first = if self.replications > 1 {
            ", replication 1"
        } else {
            ""
        };
        // (With one fault, the row "fired after the first fault" says it.)
        for a in self.alerts.iter().filter(|a| a.faults.len() > 1) {
            for f in &a.faults {
                let at = super::duration::human(f.at_s);
                rows.push(vec![
                    format!("alert {}: fired after {} (at {at}{first})", a.name, f.fault),
                    f.after_s
                        .map_or_else(|| "never".into(), super::duration::human),
                ]);
            }
        }
        rows
    }
}

/// The topics' names and metric prefixes, from the names a file gave its
/// topics (none: the one `topic`, unless nothing publishes to it: every
/// producer calls a service, and no service publishes).
fn topic_places(raw: &RawScenario) -> Vec<(String, String)> {
    let places: Vec<(String, String)> = (raw.topics.keys())
        .map(|t| (t.clone(), format!("topics.{t}")))
        .collect();
    let unused = raw.producers.values().all(|p| p.call.is_some())
        && raw.groups.values().all(|g| g.publish.is_empty());
    if !places.is_empty() {
        places
    } else if unused {
        Vec::new()
    } else {
        vec![(String::new(), "topic".to_owned())]
    }
}

/// Each producer that calls a service: its call link's label, metric
/// prefix and service.
fn entries(raw: &RawScenario) -> Vec<(String, String, String)> {
    (raw.producers.iter())
        .filter_map(|(p, spec)| {
            let service = &spec.call.as_ref()?.service;
            let label = format!("{p} → {service}");
            Some((label, format!("calls.{p}.{service}"), service.clone()))
        })
        .collect()
}

/// `name: ` before a label, or nothing for the unnamed single topic.
fn labelled(name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!("{name}: ")
    }
}

/// `timeseries.csv` columns charted.
const DEPTH_COLUMN: &str = "depth";
const RATE_COLUMN: &str = "published_per_s";
const DROPPED_COLUMN: &str = "dropped";
const AGE_COLUMN: &str = "oldest_age_s";
const P99_COLUMN: &str = "e2e_p99_s";
const WORKER_COLUMNS: [(&str, &str); 2] = [("workers", "paid for"), ("workers_up", "up")];

/// Latency percentiles charted: label, field.
const FIELDS: [(&str, &str); 5] = [
    ("p50", "p50_s"),
    ("p90", "p90_s"),
    ("p99", "p99_s"),
    ("p99.9", "p999_s"),
    ("max", "max_s"),
];

/// A group's latencies charted: label, prefix.
const GROUP_LATENCIES: [(&str, &str); 2] = [("end-to-end", "e2e"), ("queue wait", "queue_wait")];

/// The topic's headline rows: label, metric, scale, digits.
const TOPIC_HEADLINE: [(&str, &str, f64, usize); 3] = [
    ("published", "topic.published", 1.0, 0),
    ("rejected", "topic.rejected", 1.0, 0),
    (
        "producer latency p99",
        "topic.producer_latency.p99_s",
        1.0,
        DURATION,
    ),
];

/// Each producer call link's headline rows: label, field, scale, digits.
const CALL_HEADLINE: [(&str, &str, f64, usize); 5] = [
    ("requests", "requests", 1.0, 0),
    ("caller latency p50", "latency.p50_s", 1.0, DURATION),
    ("caller latency p99", "latency.p99_s", 1.0, DURATION),
    ("caller-visible errors", "errors", 1.0, 0),
    ("caller-visible errors (%)", "error_rate", 100.0, 2),
];

/// Each alert's headline rows, in the terminal and the report: label,
/// field, digits. The rows against the faults are there when the
/// scenario schedules some.
pub(super) const ALERT_HEADLINE: [(&str, &str, usize); 7] = [
    ("times fired", "fired", 0),
    ("flaps (fired again)", "flaps", 0),
    ("first fired at", "first_fired_s", DURATION),
    ("fired after the first fault", "after_fault_s", DURATION),
    ("fired before any fault", "fired_before_fault", 0),
    ("time firing", "firing_s", DURATION),
    ("fired before the damage (share)", "before_damage", 2),
];

/// Each group's headline rows: label, field, scale, digits.
const HEADLINE: [(&str, &str, f64, usize); 10] = [
    ("processed", "processed", 1.0, 0),
    ("dropped (all reasons)", "dropped", 1.0, 0),
    ("max depth", "max_depth", 1.0, 0),
    (
        "oldest message's worst age (lag)",
        "max_age_s",
        1.0,
        DURATION,
    ),
    ("utilisation (%)", "utilisation", 100.0, 1),
    ("throughput (msg/s)", "throughput_per_s", 1.0, 2),
    ("queue wait p99", "queue_wait.p99_s", 1.0, DURATION),
    ("end-to-end p50", "e2e.p50_s", 1.0, DURATION),
    ("end-to-end p99", "e2e.p99_s", 1.0, DURATION),
    ("end-to-end max", "e2e.max_s", 1.0, DURATION),
];

/// Rows `model, quantity, simulated, theory` for the analytic table.
pub(crate) fn analytic_table(
    rows: &[AnalyticRow],
    get: impl Fn(&str) -> Option<(f64, f64)>,
) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            vec![
                r.model.clone(),
                r.quantity.to_owned(),
                with_ci(get(&r.metric), 1.0, 4),
                format!("{:.4}", r.theory),
            ]
        })
        .collect()
}

/// `0.25 s` or `250 ms`.
fn seconds_text(s: f64) -> String {
    if s < 1.0 {
        format!("{} ms", (s * 1e6).round() / 1e3)
    } else {
        format!("{} s", (s * 1e3).round() / 1e3)
    }
}

/// Partitions shown by name in charts, tables and the report; the others
/// are in `summary.json` and `partitions.csv`.
pub(super) const MAX_PARTITIONS_SHOWN: usize = 20;

/// The `n` lines with the highest peak, in their original order.
fn hottest(lines: &[Line], n: usize) -> Vec<Line> {
    let peak = |l: &Line| l.points.iter().map(|p| p.1).fold(0.0, f64::max);
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| peak(&lines[b]).total_cmp(&peak(&lines[a])).then(a.cmp(&b)));
    order.truncate(n);
    order.sort_unstable();
    order.into_iter().map(|i| lines[i].clone()).collect()
}

/// Whether a metric is a partition's (`groups.g.partitions.<p>.…`) and,
/// if so, its group and partition.
pub(crate) fn partition_of(metric: &str) -> Option<(&str, u32)> {
    let rest = metric.strip_prefix("groups.")?;
    let (group, rest) = rest.split_once(".partitions.")?;
    let (p, _) = rest.split_once('.')?;
    Some((group, p.parse().ok()?))
}

/// Per group, the partitions with the highest peak depth (`max_depth`),
/// at most `n` each; `get` reads a metric's mean.
pub(crate) fn hottest_partitions(
    metrics: impl Iterator<Item = (String, f64)>,
    n: usize,
) -> std::collections::BTreeSet<(String, u32)> {
    let mut peaks: BTreeMap<String, Vec<(f64, u32)>> = BTreeMap::new();
    for (name, mean) in metrics {
        if name.ends_with(".max_depth")
            && let Some((group, p)) = partition_of(&name)
        {
            peaks.entry(group.to_owned()).or_default().push((mean, p));
        }
    }
    let mut shown = std::collections::BTreeSet::new();
    for (group, mut list) in peaks {
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        shown.extend(list.into_iter().take(n).map(|(_, p)| (group.clone(), p)));
    }
    shown
}

/// One line per group and partition from `partitions.csv` text
/// (`time_s,group,partition,depth,oldest_age_s`); malformed rows are skipped.
fn partition_lines(csv: &str) -> Vec<Line> {
    let mut lines: BTreeMap<(String, u32), Vec<(f64, f64)>> = BTreeMap::new();
    for row in csv.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        if let [t, g, p, depth, ..] = f[..]
            && let (Ok(t), Ok(p), Ok(depth)) =
                (t.parse::<f64>(), p.parse::<u32>(), depth.parse::<f64>())
        {
            lines.entry((g.to_owned(), p)).or_default().push((t, depth));
        }
    }
    lines
        .into_iter()
        .map(|((g, p), points)| Line {
            label: format!("{g}: partition {p}"),
            points,
        })
        .collect()
}

/// Counts of `calls.csv` drawn per second over time, with their labels.
const CALL_COUNTS: [(&str, &str); 4] = [
    ("errors", "errors (beside the breaker's)"),
    ("short_circuited", "refused by the breaker"),
    ("hedges", "hedges"),
    ("throttled", "retries held back"),
];

/// The lines of the calls chart from `calls.csv`: each link's counts per
/// interval as rates, those never zero-only.
fn call_lines(csv: &str) -> Vec<Line> {
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap_or_default().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name);
    let (Some(time), Some(call)) = (at("time_s"), at("call")) else {
        return Vec::new();
    };
    let columns: Vec<(usize, &str)> = (CALL_COUNTS.iter())
        .filter_map(|(column, label)| Some((at(column)?, *label)))
        .collect();
    let mut lines: BTreeMap<(String, usize), Vec<(f64, f64)>> = BTreeMap::new();
    let mut last: BTreeMap<String, f64> = BTreeMap::new();
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        let (Some(Ok(t)), Some(link)) = (f.get(time).map(|t| t.parse::<f64>()), f.get(call)) else {
            continue;
        };
        // Counts cover the time since the link's previous row.
        let since = last.insert((*link).to_owned(), t);
        let span = since.map_or(0.0, |s| t - s);
        let count = |c: usize| f.get(c).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // The breaker's refusals are errors too (failing fast) unless its
        // fallback answered them: drawn once, on their own line.
        let degraded = at("degraded").map_or(0.0, count);
        let refused = at("short_circuited").map_or(0.0, count) - degraded;
        for (i, (c, _)) in columns.iter().enumerate() {
            let mut n = count(*c);
            if Some(*c) == at("errors") {
                n = (n - refused).max(0.0);
            }
            let rate = if span > 0.0 { n / span } else { 0.0 };
            lines
                .entry(((*link).to_owned(), i))
                .or_default()
                .push((t, rate));
        }
    }
    lines
        .into_iter()
        .filter(|(_, points)| points.iter().any(|&(_, v)| v > 0.0))
        .map(|((link, i), points)| Line {
            label: format!("{link}: {}", columns[i].1),
            points,
        })
        .collect()
}

/// A time-series column as a chart's legend names it.
fn column_label(column: &str) -> String {
    match column {
        "wasted" => "wasted work (answered too late)".to_owned(),
        other => other.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sim::fields::{LATENCY, is_column, is_group_field, is_metric};

    /// Every metric and column the report names is one a run writes.
    #[test]
    fn every_named_metric_and_column_exists() {
        for (_, name, _, _) in TOPIC_HEADLINE {
            assert!(is_metric(name), "{name}");
        }
        for (_, field, _, _) in HEADLINE {
            assert!(is_group_field(field), "{field}");
        }
        for (_, prefix) in GROUP_LATENCIES {
            for (_, field) in FIELDS {
                assert!(is_group_field(&format!("{prefix}.{field}")));
            }
        }
        assert!(FIELDS.iter().all(|(_, f)| LATENCY.contains(f)));
        let columns = [DEPTH_COLUMN, RATE_COLUMN, DROPPED_COLUMN];
        for c in columns.into_iter().chain(WORKER_COLUMNS.map(|w| w.0)) {
            assert!(is_column(c), "{c}");
        }
    }
}
