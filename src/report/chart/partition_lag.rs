//! Lag per partition over time: ready messages in each partition, so a hot
//! partition falling behind stands out from the ones that keep up.

use super::{Draw, DrawResult, Line, builder, lines_and_legend, span, styled, tick};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Data for the partition lag chart.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionLagChart {
    /// Caption.
    pub title: String,
    /// Ready messages over time, one line per group and partition.
    pub depth: Vec<Line>,
}

impl Draw for PartitionLagChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_over_time(root, &self.title, "lag (ready messages)", &self.depth)
    }
}

/// Lines of a level over simulated time, from zero up.
pub(super) fn draw_over_time<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    lines: &[Line],
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let all = || lines.iter().flat_map(|l| &l.points);
    let (x0, x1) = span(all().map(|p| p.0), true);
    let (_, y1) = span(all().map(|p| p.1), true);
    let mut chart = builder(root, title, false).build_cartesian_2d(x0..x1, 0.0..y1)?;
    styled(&mut chart.configure_mesh(), "simulated time (s)", y_desc)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;
    lines_and_legend(&mut chart, lines, 0, 2)
}
