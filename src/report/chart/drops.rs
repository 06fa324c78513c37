//! Drops over time, one line per group and reason column present in the
//! data (drops, and dead letters or duplicates when the series has them).

use super::{Draw, DrawResult, Line, builder, color, font, legend, span, swatch, tick};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Data for the drops chart.
#[derive(Clone, Debug, PartialEq)]
pub struct DropsChart {
    /// Caption.
    pub title: String,
    /// Unit of the y axis, e.g. `messages per 250 ms interval`.
    pub y_desc: String,
    /// One line per group and kind.
    pub lines: Vec<Line>,
}

impl Draw for DropsChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (x0, x1) = span(
            self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)),
            true,
        );
        let (_, y1) = span(
            self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)),
            true,
        );
        let mut chart = builder(root, &self.title, false).build_cartesian_2d(x0..x1, 0.0..y1)?;
        chart
            .configure_mesh()
            .x_desc("simulated time (s)")
            .y_desc(self.y_desc.as_str())
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .label_style(font(15))
            .axis_desc_style(font(18))
            .light_line_style(BLACK.mix(0.05))
            .draw()?;
        for (i, line) in self.lines.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    c.stroke_width(2),
                ))?
                .label(line.label.clone())
                .legend(swatch(c));
        }
        legend(&mut chart)
    }
}
