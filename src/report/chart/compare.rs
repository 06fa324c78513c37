//! Scenarios side by side: grouped bars (e.g. p50 and p99 of each latency)
//! per scenario, with 95% error bars.

use super::{
    Draw, DrawResult, builder, category, color, font, legend, span, styled, tick, time_unit,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The bars of one scenario.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BarGroup {
    /// The scenario's label, under its bars.
    pub label: String,
    /// (mean, 95% half-width) in seconds, one per series.
    pub values: Vec<(f64, f64)>,
}

/// Data for the comparison chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CompareChart {
    /// Caption.
    pub title: String,
    /// What each bar of a group shows, e.g. `end-to-end p99`.
    pub series: Vec<String>,
    /// One group of bars per scenario.
    pub groups: Vec<BarGroup>,
    /// The y axis title for plain values; `None`: latencies in seconds,
    /// drawn in ms or s.
    pub y_desc: Option<String>,
}

/// Two bar charts side by side (what callers saw, and what was lost).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ComparePair {
    /// The left chart.
    pub left: CompareChart,
    /// The right chart.
    pub right: CompareChart,
}

impl Draw for ComparePair {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
        self.left.draw(&left)?;
        self.right.draw(&right)
    }
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

impl Draw for CompareChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let tops = || {
            self.groups
                .iter()
                .flat_map(|g| g.values.iter().map(|(m, h)| m + h))
        };
        let (scale, y_desc) = match &self.y_desc {
            Some(desc) => (1.0, desc.clone()),
            None => {
                let hi = tops().filter(|v| v.is_finite()).fold(0.0, f64::max);
                let (scale, unit) = time_unit(hi);
                (scale, format!("latency ({unit})"))
            }
        };
        let (_, y1) = span(tops().map(|v| v * scale), true);
        // Headroom above the tallest bar for the legend, a row a series.
        let y1 = y1 * (1.1 + 0.08 * self.series.len() as f64);
        let n = self.groups.len().max(1);
        let mut chart =
            builder(root, &self.title, false).build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..y1)?;
        let labels: Vec<String> = self.groups.iter().map(|g| g.label.clone()).collect();
        styled(&mut chart.configure_mesh(), "scenario", &y_desc)
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| category(&labels, *x))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        for s in 0..self.series.len() {
            self.draw_series(&mut chart, s, scale)?;
        }
        legend(&mut chart)
    }
}

impl CompareChart {
    /// The bars and error bars of series `s`.
    fn draw_series<DB: DrawingBackend>(
        &self,
        chart: &mut Chart<'_, DB>,
        s: usize,
        scale: f64,
    ) -> DrawResult<DB> {
        let c = color(s);
        let width = 0.8 / self.series.len().max(1) as f64;
        let left = |g: usize| g as f64 - 0.4 + s as f64 * width;
        let value = |g: &BarGroup| g.values.get(s).copied().filter(|(m, _)| m.is_finite());
        let bars = self.groups.iter().enumerate().filter_map(|(g, group)| {
            let (m, _) = value(group)?;
            Some(Rectangle::new(
                [(left(g), 0.0), (left(g) + width * 0.9, m * scale)],
                c.filled(),
            ))
        });
        chart
            .draw_series(bars)?
            .label(self.series[s].clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()));
        let errors = self.groups.iter().enumerate().filter_map(|(g, group)| {
            let (m, h) = value(group).filter(|(_, h)| *h > 0.0)?;
            let x = left(g) + width * 0.45;
            Some(PathElement::new(
                vec![(x, (m - h) * scale), (x, (m + h) * scale)],
                BLACK.stroke_width(2),
            ))
        });
        chart.draw_series(errors)?;
        // Each bar's value above it, so a zero shows as `0`; a latency
        // as a person reads it (`34m28s`, `52.0 ms`), whatever the axis unit.
        let seconds = self.y_desc.is_none();
        let values = self.groups.iter().enumerate().filter_map(|(g, group)| {
            let (m, h) = value(group)?;
            let style = font(13).pos(Pos::new(HPos::Center, VPos::Bottom));
            let at = (left(g) + width * 0.45, (m + h.max(0.0)) * scale);
            let text = if seconds {
                crate::report::duration::human(m)
            } else {
                tick(m * scale)
            };
            Some(Text::new(text, at, style))
        });
        chart.draw_series(values)?;
        Ok(())
    }
}
