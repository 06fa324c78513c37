//! Latency percentiles per group (p50 … max) on a log scale, with the 95%
//! interval across replications as error bars.

use super::{Draw, DrawResult, builder, color, legend_at, styled, swatch, tick, time_unit};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// One line: a latency at each percentile.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LatencySeries {
    /// Legend text, e.g. `email: end-to-end`.
    pub label: String,
    /// (mean, 95% half-width) in seconds, one per percentile.
    pub values: Vec<(f64, f64)>,
}

/// Data for the latency chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LatencyChart {
    /// Caption.
    pub title: String,
    /// Percentile names along the x axis, e.g. `p50`.
    pub percentiles: Vec<String>,
    /// The lines.
    pub series: Vec<LatencySeries>,
}

impl LatencyChart {
    fn positive(&self) -> impl Iterator<Item = f64> + '_ {
        self.series
            .iter()
            .flat_map(|s| s.values.iter().flat_map(|(m, h)| [m - h, m + h, *m]))
            .filter(|v| v.is_finite() && *v > 0.0)
    }
}

impl Draw for LatencyChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let hi = self.positive().fold(0.0, f64::max);
        let (scale, unit) = time_unit(hi);
        // Down to a millionth of the largest value: a near-zero wait would
        // otherwise squash everything else into the top of the chart.
        let lo = self
            .positive()
            .fold(f64::INFINITY, f64::min)
            .min(hi)
            .max(hi * 1e-6);
        if hi <= 0.0 {
            return self.body(root, 0.0..1.0, 0.0, scale, format!("latency ({unit})"));
        }
        if hi / lo > 50.0 {
            let range = (lo * scale / 2.0..hi * scale * 2.0).log_scale();
            self.body(
                root,
                range,
                lo * scale / 2.0,
                scale,
                format!("latency ({unit}, log scale)"),
            )
        } else {
            self.body(
                root,
                0.0..hi * scale * 1.1,
                0.0,
                scale,
                format!("latency ({unit})"),
            )
        }
    }
}

impl LatencyChart {
    /// Draws on a y axis `y` (linear or log); values are clamped to `floor`.
    fn body<DB, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        y: Y,
        floor: f64,
        scale: f64,
        y_desc: String,
    ) -> DrawResult<DB>
    where
        DB: DrawingBackend,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let last = self.percentiles.len().max(1) as i32 - 1;
        let mut chart =
            builder(root, &self.title, false).build_cartesian_2d((0..last).into_segmented(), y)?;
        let labels = &self.percentiles;
        styled(&mut chart.configure_mesh(), "percentile", &y_desc)
            .x_labels(labels.len())
            .y_labels(12)
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let drawn = self
            .series
            .iter()
            .filter(|s| s.values.iter().any(|(m, _)| *m > 0.0));
        for (i, s) in drawn.enumerate() {
            let c = color(i);
            let points = line_points(s, floor, scale);
            chart
                .draw_series(LineSeries::new(points.clone(), c.stroke_width(3)))?
                .label(s.label.clone())
                .legend(swatch(c));
            chart.draw_series(points.iter().map(|p| Circle::new(p.clone(), 5, c.filled())))?;
            let bars = error_bars(s, floor, scale);
            chart.draw_series(
                bars.into_iter()
                    .map(|bar| PathElement::new(bar, c.stroke_width(2))),
            )?;
        }
        legend_at(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

type Point = (SegmentValue<i32>, f64);

/// The series' points, scaled and clamped to `floor` (values that a log
/// axis cannot show are left out).
fn line_points(s: &LatencySeries, floor: f64, scale: f64) -> Vec<Point> {
    s.values
        .iter()
        .enumerate()
        .filter(|(_, (m, _))| m.is_finite() && (*m > 0.0 || floor == 0.0))
        .map(|(k, (m, _))| (SegmentValue::CenterOf(k as i32), (m * scale).max(floor)))
        .collect()
}

/// Vertical bars from mean − half-width to mean + half-width.
fn error_bars(s: &LatencySeries, floor: f64, scale: f64) -> Vec<Vec<Point>> {
    s.values
        .iter()
        .enumerate()
        .filter(|(_, (m, h))| *h > 0.0 && (m - h) * scale > floor)
        .map(|(k, (m, h))| {
            let x = SegmentValue::CenterOf(k as i32);
            vec![(x.clone(), (m - h) * scale), (x, (m + h) * scale)]
        })
        .collect()
}
