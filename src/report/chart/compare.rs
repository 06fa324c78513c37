//! Scenarios side by side: grouped bars (e.g. p50 and p99 of each latency)
//! per scenario, with 95% error bars.

use super::{Draw, DrawResult, builder, color, font, legend, span, tick, time_unit};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The bars of one scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct BarGroup {
    /// The scenario's label, under its bars.
    pub label: String,
    /// (mean, 95% half-width) in seconds, one per series.
    pub values: Vec<(f64, f64)>,
}

/// Data for the comparison chart.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareChart {
    /// Caption.
    pub title: String,
    /// What each bar of a group shows, e.g. `end-to-end p99`.
    pub series: Vec<String>,
    /// One group of bars per scenario.
    pub groups: Vec<BarGroup>,
}

impl Draw for CompareChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let all = || {
            self.groups
                .iter()
                .flat_map(|g| g.values.iter().map(|(m, h)| m + h))
        };
        let (scale, unit) = time_unit(all().filter(|v| v.is_finite()).fold(0.0, f64::max));
        let (_, y1) = span(all().map(|v| v * scale), true);
        let n = self.groups.len().max(1);
        let mut chart =
            builder(root, &self.title, false).build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..y1)?;
        let labels: Vec<&str> = self.groups.iter().map(|g| g.label.as_str()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("scenario")
            .y_desc(format!("latency ({unit})"))
            .x_labels(n)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels
                        .get(i as usize)
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| tick(*v))
            .label_style(font(15))
            .axis_desc_style(font(18))
            .light_line_style(BLACK.mix(0.05))
            .draw()?;
        let k = self.series.len().max(1) as f64;
        let width = 0.8 / k;
        for (s, name) in self.series.iter().enumerate() {
            let c = color(s);
            let left = |g: usize| g as f64 - 0.4 + s as f64 * width;
            let bars = self.groups.iter().enumerate().filter_map(|(g, group)| {
                let (m, _) = *group.values.get(s)?;
                m.is_finite().then(|| {
                    Rectangle::new(
                        [(left(g), 0.0), (left(g) + width * 0.9, m * scale)],
                        c.filled(),
                    )
                })
            });
            chart
                .draw_series(bars)?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()));
            let errors = self.groups.iter().enumerate().filter_map(|(g, group)| {
                let (m, h) = *group.values.get(s)?;
                let x = left(g) + width * 0.45;
                (h > 0.0 && m.is_finite()).then(|| {
                    PathElement::new(
                        vec![(x, (m - h) * scale), (x, (m + h) * scale)],
                        BLACK.stroke_width(2),
                    )
                })
            });
            chart.draw_series(errors)?;
        }
        legend(&mut chart)
    }
}
