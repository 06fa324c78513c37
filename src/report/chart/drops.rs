//! Drops over time: messages dropped per interval, one line per group, and,
//! when the series has them, a second panel with the running totals of
//! dead letters and duplicate side effects.

use super::{Draw, DrawResult, Line, font, lines_and_legend, span, styled, tick};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Data for the drops chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DropsChart {
    /// Caption.
    pub title: String,
    /// Unit of the per-interval panel, e.g. `dropped per 250 ms interval`.
    pub y_desc: String,
    /// Drops per interval, one line per group.
    pub per_interval: Vec<Line>,
    /// Running totals (dead letters, duplicates); no panel when empty.
    pub so_far: Vec<Line>,
}

impl Draw for DropsChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let all = self.per_interval.iter().chain(&self.so_far);
        let x = span(all.flat_map(|l| l.points.iter().map(|p| p.0)), true);
        let titled = root.titled(&self.title, font(26))?;
        if self.so_far.is_empty() {
            return panel(&titled, x, &self.y_desc, &self.per_interval, 0);
        }
        let (top, bottom) = titled.split_vertically(titled.dim_in_pixel().1 / 2);
        panel(&top, x, &self.y_desc, &self.per_interval, 0)?;
        panel(
            &bottom,
            x,
            "so far (messages)",
            &self.so_far,
            self.per_interval.len(),
        )
    }
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
        .build_cartesian_2d(x0..x1, 0.0..y1)?;
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
