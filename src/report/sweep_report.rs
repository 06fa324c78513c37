//! The charts and `report.html` of a sweep, drawn from `sweep.json` and
//! the sweep's results only, so a merge of shards draws the same bytes as
//! the sweep run in one go.

use super::chart::{Band, HeatmapChart, Rendered, SweepChart, XAxis, render, time_unit};
use super::html::Page;
use super::text::amount;
use crate::experiment::{PointResult, SweepManifest, meets_all, value_text};
use crate::scenario::RawScenario;

/// A finished sweep: its definition and every point's result.
#[derive(Clone, Debug)]
pub struct SweepView<'a> {
    /// The definition.
    pub manifest: &'a SweepManifest,
    /// The results, sorted by index.
    pub results: &'a [PointResult],
}

/// Lines drawn per chart: the first combinations of the other fields.
pub(super) const MAX_BANDS: usize = 12;
/// Points listed in `report.html`; all of them are in `sweep.csv`.
pub(super) const MAX_ROWS_SHOWN: usize = 500;

/// Per group: end-to-end p99, drops and peak depth.
const DEFAULT_FIELDS: [&str; 3] = ["e2e.p99_s", "dropped", "max_depth"];

impl SweepView<'_> {
    /// The metrics charted by default: per group or service called
    /// directly, `e2e.p99_s`, `dropped` and `max_depth`, those the results
    /// have, then those of the objectives.
    pub fn default_metrics(&self) -> Vec<String> {
        let groups: Vec<String> =
            serde_json::from_value::<RawScenario>(self.manifest.scenario.clone())
                .map(|s| s.groups.keys().cloned().collect())
                .unwrap_or_default();
        let has = |name: &str| self.results.iter().any(|r| r.metrics.contains_key(name));
        groups
            .iter()
            .flat_map(|g| {
                // A service called directly has `services.<g>.*`.
                let place = super::group_place(has, g);
                DEFAULT_FIELDS.iter().map(move |f| format!("{place}.{f}"))
            })
            .chain(self.manifest.slo.iter().map(|s| s.metric.clone()))
            .filter(|name| has(name))
            .fold(Vec::new(), |mut all, name| {
                if !all.contains(&name) {
                    all.push(name);
                }
                all
            })
    }

    /// Whether the point meets every `--slo`; `None` without objectives.
    fn meets(&self, r: &PointResult) -> Option<bool> {
        let slos = &self.manifest.slo;
        (!slos.is_empty()).then(|| r.error.is_none() && meets_all(slos, r))
    }

    /// One chart per metric: the metric against the first varied field,
    /// one line per combination of the others, with 95% bands.
    ///
    /// # Errors
    /// [`super::ReportError::Chart`] if a chart cannot be drawn.
    pub fn charts(&self, metrics: &[String]) -> Result<Vec<Rendered>, super::ReportError> {
        let mut charts = Vec::new();
        for m in metrics {
            charts.push(render(
                &format!("sweep-{m}"),
                &format!("{m} across the sweep"),
                &self.chart(m),
            )?);
            if let Some(heatmap) = self.heatmap(m) {
                charts.push(render(
                    &format!("sweep-heatmap-{m}"),
                    &format!("{m} over both varied fields, one cell per point"),
                    &heatmap,
                )?);
            }
        }
        Ok(charts)
    }

    /// With exactly two varied fields, the heatmap of `metric`: one cell
    /// per point, at its values' positions in the VALUES lists.
    fn heatmap(&self, metric: &str) -> Option<HeatmapChart> {
        let [x, y] = &self.manifest.vary[..] else {
            return None;
        };
        let at = |field: &crate::experiment::VaryManifest, r: &PointResult| {
            let v = r.params.get(&field.path)?;
            field.values.iter().position(|w| w == v)
        };
        let means = || (self.results.iter()).filter_map(|r| r.metrics.get(metric).map(|m| m.mean));
        let (scale, unit) = match metric.ends_with("_s") {
            true => time_unit(means().filter(|v| v.is_finite()).fold(0.0, f64::max)),
            false => (1.0, ""),
        };
        let cells = (self.results.iter())
            .filter_map(|r| {
                let mean = r.metrics.get(metric).map_or(f64::NAN, |m| m.mean * scale);
                Some((at(x, r)?, at(y, r)?, mean))
            })
            .collect();
        let passing = (!self.manifest.slo.is_empty()).then(|| {
            (self.results.iter())
                .filter(|r| self.meets(r) == Some(true))
                .filter_map(|r| Some((at(x, r)?, at(y, r)?)))
                .collect()
        });
        let framed = if passing.is_some() {
            "   (framed: meets every --slo)"
        } else {
            ""
        };
        Some(HeatmapChart {
            title: format!("{}: {metric}", self.manifest.scenario_name),
            x_desc: format!("{}{framed}", x.path),
            y_desc: y.path.clone(),
            x_labels: x.values.iter().map(value_text).collect(),
            y_labels: y.values.iter().map(value_text).collect(),
            metric_desc: if unit.is_empty() {
                metric.to_owned()
            } else {
                format!("{metric} ({unit})")
            },
            cells,
            passing,
        })
    }

    fn chart(&self, metric: &str) -> SweepChart {
        let first = &self.manifest.vary[0];
        let numeric = first.values.iter().all(|v| v.is_number()) && !first.spec.starts_with("log:");
        let x = if numeric {
            XAxis::Linear
        } else {
            XAxis::Categories(first.values.iter().map(value_text).collect())
        };
        let means = self
            .results
            .iter()
            .filter_map(|r| r.metrics.get(metric))
            .map(|m| m.mean);
        let (scale, unit) = match metric.ends_with("_s") {
            true => time_unit(means.filter(|v| v.is_finite()).fold(0.0, f64::max)),
            false => (1.0, ""),
        };
        SweepChart {
            title: format!("{}: {metric}", self.manifest.scenario_name),
            x_desc: first.path.clone(),
            y_desc: if unit.is_empty() {
                metric.to_owned()
            } else {
                format!("{metric} ({unit})")
            },
            x,
            bands: self.bands(metric, scale, numeric),
        }
    }

    /// One band per combination of the other fields, in order of first
    /// appearance: x is the first field's value (or its position in the
    /// VALUES list when not `numeric`), y the metric's mean × `scale`.
    fn bands(&self, metric: &str, scale: f64, numeric: bool) -> Vec<Band> {
        let first = &self.manifest.vary[0];
        let mut bands: Vec<Band> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for r in self.results {
            let Some(v) = r.params.get(&first.path) else {
                continue;
            };
            let position = first.values.iter().position(|w| w == v).unwrap_or(0) as f64;
            let x = if numeric {
                v.as_f64().unwrap_or(position)
            } else {
                position
            };
            let (mean, half) = r.metrics.get(metric).map_or((f64::NAN, 0.0), |m| {
                (m.mean * scale, m.ci95_half_width * scale)
            });
            let point = (x, mean, if half.is_finite() { half } else { 0.0 });
            let label = Some(self.others_label(r))
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| metric.to_owned());
            match index.get(&label) {
                Some(&i) => bands[i].points.push(point),
                None if bands.len() < MAX_BANDS => {
                    index.insert(label.clone(), bands.len());
                    bands.push(Band {
                        label,
                        points: vec![point],
                    });
                }
                None => {}
            }
        }
        for band in &mut bands {
            band.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        bands
    }

    /// `path=value, …` of every varied field but the first.
    fn others_label(&self, r: &PointResult) -> String {
        self.manifest.vary[1..]
            .iter()
            .map(|v| {
                format!(
                    "{}={}",
                    v.path,
                    r.params.get(&v.path).map_or(String::new(), value_text)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The self-contained `report.html`: the definition, a table of every
    /// point, the charts and the scenario.
    pub fn html(&self, charts: &[Rendered], metrics: &[String]) -> String {
        let m = self.manifest;
        let title = format!("mqsim sweep: {}", m.scenario_name);
        let mut page = Page::new(&title);
        let vary: Vec<String> = m
            .vary
            .iter()
            .map(|v| format!("{}={}", v.path, v.spec))
            .collect();
        page.paragraph(&format!(
            "{} points varying {}. Every point uses the scenario's seed (common random numbers); values are means across replications with their 95% confidence interval.",
            m.points,
            vary.join(" × ")
        ));
        if !m.slo.is_empty() {
            let met = self.results.iter().filter(|r| self.meets(r) == Some(true));
            let objectives: Vec<String> = m.slo.iter().map(slo_text).collect();
            page.paragraph(&format!(
                "Objectives (--slo): {}. {} of {} points meet every one; the heatmaps frame them.",
                objectives.join("; "),
                met.count(),
                self.results.len()
            ));
        }
        let mut header: Vec<&str> = vec!["point"];
        header.extend(m.vary.iter().map(|v| v.path.as_str()));
        header.extend(metrics.iter().map(String::as_str));
        if !m.slo.is_empty() {
            header.push("meets every --slo");
        }
        let rows: Vec<Vec<String>> = self
            .results
            .iter()
            .take(MAX_ROWS_SHOWN)
            .map(|r| self.row(r, metrics))
            .collect();
        page.heading("Points").table(&header, &rows);
        if self.results.len() > MAX_ROWS_SHOWN {
            page.paragraph(&format!(
                "The first {MAX_ROWS_SHOWN} points are shown; all {} are in sweep.csv.",
                self.results.len()
            ));
        }
        page.heading("Charts");
        let combinations: usize = m.vary[1..].iter().map(|v| v.values.len()).product();
        if combinations > MAX_BANDS {
            page.paragraph(&format!(
                "Each chart draws the first {MAX_BANDS} of the {combinations} combinations of the other fields."
            ));
        }
        for chart in charts {
            page.figure(chart);
        }
        let toml = serde_json::from_value::<RawScenario>(m.scenario.clone())
            .ok()
            .and_then(|s| toml::to_string(&s).ok());
        page.heading("Base scenario (normalised)")
            .pre(&toml.unwrap_or_default());
        page.finish(&title)
    }

    fn row(&self, r: &PointResult, metrics: &[String]) -> Vec<String> {
        let mut row = vec![r.index.to_string()];
        row.extend(
            self.manifest
                .vary
                .iter()
                .map(|v| r.params.get(&v.path).map_or(String::new(), value_text)),
        );
        for name in metrics {
            row.push(match (&r.error, r.metrics.get(name)) {
                (Some(e), _) => format!("failed: {e}"),
                (None, Some(m)) if m.ci95_half_width > 0.0 => {
                    format!(
                        "{} ± {}",
                        amount(name, m.mean),
                        amount(name, m.ci95_half_width)
                    )
                }
                (None, Some(m)) => amount(name, m.mean),
                (None, None) => "-".into(),
            });
        }
        if let Some(met) = self.meets(r) {
            row.push(if met { "yes" } else { "no" }.to_owned());
        }
        row
    }
}

/// An objective as written, with its full metric name and, when judged
/// there, "at the interval's bound".
pub(super) fn slo_text(s: &crate::experiment::Slo) -> String {
    let bound = if s.at_bound {
        ", at the 95% interval's worse end"
    } else {
        ""
    };
    format!("{} ({}{bound})", s.text, s.metric)
}

/// Stages a sweep's `sweep.json`, `sweep.jsonl` and `sweep.csv` in
/// canonical order and, with `page`, its default charts and `report.html`;
/// returns the charted metrics.
///
/// # Errors
/// [`super::ReportError::Write`] or [`super::ReportError::Chart`].
pub fn write_sweep(
    set: &mut super::OutputSet,
    manifest: &SweepManifest,
    results: &[PointResult],
    page: bool,
) -> Result<Vec<String>, super::ReportError> {
    super::sweep_file::write_results(set, manifest, results)?;
    let view = SweepView { manifest, results };
    let metrics = view.default_metrics();
    if page {
        let charts = view.charts(&metrics)?;
        super::write_page(set, &charts, &view.html(&charts, &metrics))?;
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    /// The metrics charted by default are metrics a run reports.
    #[test]
    fn default_metrics_exist() {
        for field in super::DEFAULT_FIELDS {
            assert!(crate::model::sim::fields::is_group_field(field), "{field}");
        }
    }
}
