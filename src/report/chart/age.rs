//! Lag over time, per group: the age of the oldest waiting message, and
//! the end-to-end p99 of the messages processed in each sample interval.
//! A backlog that drains shows as the age climbing then falling, a
//! latency spike as the p99 jumping; an interval in which nothing was
//! processed has no p99 and leaves a gap. Alerts shade where they were
//! firing.

use super::time_unit;
use super::{
    AlertBands, Draw, DrawResult, Line, alert_bands, color, font, legend, span, styled, swatch,
    thin, tick,
};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Data for the lag chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AgeChart {
    /// Caption.
    pub title: String,
    /// Age of the oldest ready message (s) over time, one line per group.
    pub oldest_age: Vec<Line>,
    /// End-to-end p99 (s) per interval, one line per group; a NaN y is
    /// an interval with nothing processed (a gap).
    pub e2e_p99: Vec<Line>,
    /// Where each alert was firing (shaded on both panels).
    pub alerts: Vec<AlertBands>,
}

impl Draw for AgeChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let all = self.oldest_age.iter().chain(&self.e2e_p99);
        let x = span(all.flat_map(|l| l.points.iter().map(|p| p.0)), true);
        let titled = root.titled(&self.title, font(26))?;
        let (top, bottom) = titled.split_vertically(titled.dim_in_pixel().1 / 2);
        let alerts = &self.alerts;
        panel(
            &top,
            x,
            "age of the oldest message",
            &self.oldest_age,
            alerts,
        )?;
        panel(
            &bottom,
            x,
            "end-to-end p99 per interval",
            &self.e2e_p99,
            alerts,
        )
    }
}

/// One panel of durations against simulated time, in ms or s.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, x1): (f64, f64),
    what: &str,
    lines: &[Line],
    alerts: &[AlertBands],
) -> DrawResult<DB> {
    let (_, hi) = span(
        lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)),
        true,
    );
    let (scale, unit) = time_unit(hi);
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(88)
        .build_cartesian_2d(x0..x1, 0.0..hi * scale)?;
    styled(
        &mut chart.configure_mesh(),
        "simulated time (s)",
        &format!("{what} ({unit})"),
    )
    .x_label_formatter(&|v| tick(*v))
    .y_label_formatter(&|v| tick(*v))
    .draw()?;
    alert_bands(&mut chart, alerts, (0.0, hi * scale))?;
    for (i, line) in lines.iter().enumerate() {
        let c = color(i);
        for (k, segment) in segments(&line.points).into_iter().enumerate() {
            let points = thin(segment)
                .iter()
                .map(|&(t, y)| (t, y * scale))
                .collect::<Vec<_>>();
            let drawn = if points.len() == 1 {
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 2, c.filled())))?
            } else {
                chart.draw_series(LineSeries::new(points, c.stroke_width(2)))?
            };
            if k == 0 {
                drawn.label(line.label.clone()).legend(swatch(c));
            }
        }
    }
    legend(&mut chart)
}

/// The runs of `points` between NaN values.
fn segments(points: &[(f64, f64)]) -> Vec<&[(f64, f64)]> {
    points
        .split(|p| p.1.is_nan())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nan_splits_a_line() {
        let points = [
            (0.0, f64::NAN),
            (1.0, 2.0),
            (2.0, 3.0),
            (3.0, f64::NAN),
            (4.0, 1.0),
        ];
        let got = segments(&points);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], &[(1.0, 2.0), (2.0, 3.0)]);
        assert_eq!(got[1], &[(4.0, 1.0)]);
    }
}
