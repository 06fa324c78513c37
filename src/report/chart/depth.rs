//! Depth over time per group, with the arrival rate on a second axis: a
//! burst shows as the rate jumping and the depth climbing, the drain as the
//! depth falling back after the rate drops. Alerts shade where they were
//! firing.

use super::{
    AlertBands, Draw, DrawResult, Line, alert_bands, builder, font, lines_and_legend, span, styled,
    swatch, tick,
};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Data for the depth chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DepthChart {
    /// Caption.
    pub title: String,
    /// Ready messages over time, one line per group.
    pub depth: Vec<Line>,
    /// Publishes per second over time.
    pub arrival_per_s: Line,
    /// Where each alert was firing (shaded).
    pub alerts: Vec<AlertBands>,
}

impl Draw for DepthChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let all = || self.depth.iter().flat_map(|l| &l.points);
        let (x0, x1) = span(all().chain(&self.arrival_per_s.points).map(|p| p.0), true);
        let (_, y1) = span(all().map(|p| p.1), true);
        let (_, r1) = span(self.arrival_per_s.points.iter().map(|p| p.1), true);
        let mut chart = builder(root, &self.title, true)
            .build_cartesian_2d(x0..x1, 0.0..y1)?
            .set_secondary_coord(x0..x1, 0.0..r1);
        styled(
            &mut chart.configure_mesh(),
            "simulated time (s)",
            "depth (ready messages)",
        )
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;
        chart
            .configure_secondary_axes()
            .y_desc("arrival rate (msg/s)")
            .y_label_formatter(&|v| tick(*v))
            .label_style(font(15))
            .axis_desc_style(font(18))
            .draw()?;
        alert_bands(&mut chart, &self.alerts, (0.0, y1))?;
        let rate = RGBColor(170, 170, 170);
        chart
            .draw_secondary_series(LineSeries::new(
                super::thin(&self.arrival_per_s.points).iter().copied(),
                rate.stroke_width(1),
            ))?
            .label(format!("{} (right axis)", self.arrival_per_s.label))
            .legend(swatch(rate));
        lines_and_legend(&mut chart, &self.depth, 0, 3)
    }
}
