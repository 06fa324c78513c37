//! Drops: messages dropped per interval, one line per group, beside the
//! totals by reason (rejected, evicted, expired …), one bar per reason
//! and group; and, when the series has them, the running totals of dead
//! letters and duplicate side effects. Not drawn when nothing dropped.

use super::{Draw, DrawResult, Line, category, color, font, lines_and_legend, span, styled, tick};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One reason's totals, one per group.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ReasonBars {
    /// The reason, e.g. `rejected`.
    pub reason: String,
    /// Messages dropped for it, one per group (in [`DropsChart::groups`]).
    pub counts: Vec<f64>,
}

/// Data for the drops chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DropsChart {
    /// Caption.
    pub title: String,
    /// Unit of the per-interval panel, e.g. `dropped per 250 ms interval`.
    pub y_desc: String,
    /// Drops per interval, one line per group.
    pub per_interval: Vec<Line>,
    /// Group names, under the bars.
    pub groups: Vec<String>,
    /// Totals per reason, only reasons that dropped something.
    pub by_reason: Vec<ReasonBars>,
    /// Running totals (dead letters, duplicates); no panel when empty.
    pub so_far: Vec<Line>,
}

impl Draw for DropsChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let all = self.per_interval.iter().chain(&self.so_far);
        let x = span(all.flat_map(|l| l.points.iter().map(|p| p.0)), true);
        let titled = root.titled(&self.title, font(26))?;
        let so_far = |area: &DrawingArea<DB, Shift>| {
            let first = self.per_interval.len();
            panel(area, x, "so far (messages)", &self.so_far, first)
        };
        if self.by_reason.is_empty() && self.so_far.is_empty() {
            return panel(&titled, x, &self.y_desc, &self.per_interval, 0);
        }
        let (top, bottom) = titled.split_vertically(titled.dim_in_pixel().1 / 2);
        panel(&top, x, &self.y_desc, &self.per_interval, 0)?;
        match (self.by_reason.is_empty(), self.so_far.is_empty()) {
            (false, true) => self.reasons(&bottom),
            (true, _) => so_far(&bottom),
            (false, false) => {
                let (left, right) = bottom.split_horizontally(bottom.dim_in_pixel().0 / 2);
                self.reasons(&left)?;
                so_far(&right)
            }
        }
    }
}

impl DropsChart {
    /// Grouped bars: per group, one bar per reason, its count above it.
    fn reasons<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.groups.len().max(1);
        let (_, y1) = span(self.by_reason.iter().flat_map(|r| r.counts.clone()), true);
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(88)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..y1 * 1.1)?;
        styled(&mut chart.configure_mesh(), "", "dropped, by reason")
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| category(&self.groups, *x))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let width = (0.8 / self.by_reason.len().max(1) as f64).min(0.3);
        let start = -width * self.by_reason.len() as f64 / 2.0;
        for (k, r) in self.by_reason.iter().enumerate() {
            // Reasons keep their colour whatever else dropped.
            let c = color(reason_color(&r.reason));
            let left = |g: usize| g as f64 + start + k as f64 * width;
            let bars = (r.counts.iter().enumerate()).map(|(g, &v)| {
                Rectangle::new([(left(g), 0.0), (left(g) + width * 0.9, v)], c.filled())
            });
            chart
                .draw_series(bars)?
                .label(r.reason.replace('_', " "))
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()));
            let values = (r.counts.iter().enumerate())
                .filter(|(_, v)| **v > 0.0)
                .map(|(g, &v)| {
                    Text::new(
                        tick(v),
                        (left(g) + width * 0.45, v),
                        font(13).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    )
                });
            chart.draw_series(values)?;
        }
        super::legend(&mut chart)
    }
}

/// The drop reasons, in the order of `groups.<g>.dropped.<reason>`.
pub(crate) const REASONS: [&str; 6] = [
    "rejected",
    "publish_timeout",
    "retries_exhausted",
    "lost",
    "evicted",
    "expired",
];

/// A fixed palette index per reason.
fn reason_color(reason: &str) -> usize {
    REASONS
        .iter()
        .position(|r| *r == reason)
        .map_or(9, |i| i + 1)
}

/// How far to stretch a panel's y axis so its legend (upper right, one
/// 20-pixel row per line) sits above every line: running totals end high
/// on the right, where the legend is.
fn headroom<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, lines: usize) -> f64 {
    let legend_px = 20.0 * lines as f64 + 16.0;
    // The plot's height: the area less its margins and the x labels.
    let plot_px = (f64::from(area.dim_in_pixel().1) - 2.0 * 14.0 - 50.0).max(1.0);
    1.0 / (1.0 - (legend_px / plot_px).min(0.6))
}

/// One panel of lines against simulated time; colours start at `first`.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, x1): (f64, f64),
    y_desc: &str,
    lines: &[Line],
    first: usize,
) -> DrawResult<DB> {
    let (_, y1) = span(
        lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)),
        true,
    );
    let counts = lines
        .iter()
        .flat_map(|l| &l.points)
        .all(|p| p.1.fract() == 0.0);
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(88)
        .build_cartesian_2d(x0..x1, 0.0..y1 * headroom(area, lines.len()))?;
    let y_tick = |v: &f64| {
        if counts && v.fract() != 0.0 {
            String::new()
        } else {
            tick(*v)
        }
    };
    styled(&mut chart.configure_mesh(), "simulated time (s)", y_desc)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&y_tick)
        .draw()?;
    lines_and_legend(&mut chart, lines, first, 2)
}
