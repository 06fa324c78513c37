//! A sweep curve: one metric against the first varied field, one line per
//! value of the other fields, each with its 95% confidence band.

use super::{Draw, DrawResult, builder, category, color, legend_at, span, styled, swatch, tick};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// How the x axis is laid out.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum XAxis {
    /// Values on a linear axis.
    Linear,
    /// Evenly spaced named positions 0, 1, 2 … (text values, or powers of
    /// two from `log:` which are evenly spaced on a log axis).
    Categories(Vec<String>),
}

/// One line with its band: (x, mean, 95% half-width).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Band {
    /// Legend text.
    pub label: String,
    /// The points, x ascending.
    pub points: Vec<(f64, f64, f64)>,
}

/// Data for a sweep chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SweepChart {
    /// Caption.
    pub title: String,
    /// X axis title, e.g. `groups.email.workers`.
    pub x_desc: String,
    /// Y axis title with unit.
    pub y_desc: String,
    /// Layout of the x axis.
    pub x: XAxis,
    /// The lines.
    pub bands: Vec<Band>,
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl Draw for SweepChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let points = || self.bands.iter().flat_map(|b| b.points.iter());
        let (x0, x1) = match &self.x {
            XAxis::Categories(names) => (-0.5, names.len() as f64 - 0.5),
            XAxis::Linear => {
                let (lo, hi) = span(points().map(|p| p.0), false);
                (lo - (hi - lo) * 0.02, hi)
            }
        };
        let (y0, y1) = span(points().flat_map(|p| [p.1 - p.2, p.1 + p.2]), true);
        let mut chart = builder(root, &self.title, false).build_cartesian_2d(x0..x1, y0..y1)?;
        let integers = points().all(|p| p.0.fract() == 0.0);
        let n_labels = match &self.x {
            XAxis::Categories(names) => names.len(),
            XAxis::Linear => 10,
        };
        let format_x = |x: &f64| match &self.x {
            XAxis::Categories(names) => category(names, *x),
            XAxis::Linear if integers && x.fract() != 0.0 => String::new(),
            XAxis::Linear => tick(*x),
        };
        styled(&mut chart.configure_mesh(), &self.x_desc, &self.y_desc)
            .x_labels(n_labels)
            .x_label_formatter(&format_x)
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        for (i, band) in self.bands.iter().enumerate() {
            draw_band(&mut chart, band, color(i))?;
        }
        // One line needs no legend (the title names it). Rising curves
        // leave the lower right free, falling ones the upper right.
        match self.bands.as_slice() {
            [_] => Ok(()),
            bands if rising(bands) => legend_at(&mut chart, SeriesLabelPosition::LowerRight),
            _ => legend_at(&mut chart, SeriesLabelPosition::UpperRight),
        }
    }
}

/// True when the lines end higher than they start, on average.
fn rising(bands: &[Band]) -> bool {
    let mean_y =
        |p: Option<&(f64, f64, f64)>| p.map(|p| p.1).filter(|v| v.is_finite()).unwrap_or(0.0);
    let first: f64 = bands.iter().map(|b| mean_y(b.points.first())).sum();
    let last: f64 = bands.iter().map(|b| mean_y(b.points.last())).sum();
    last > first
}

/// The shaded band, the line and its points.
fn draw_band<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    band: &Band,
    c: RGBColor,
) -> DrawResult<DB> {
    let finite: Vec<(f64, f64, f64)> = band
        .points
        .iter()
        .copied()
        .filter(|p| p.1.is_finite())
        .collect();
    let mut outline: Vec<(f64, f64)> = finite.iter().map(|p| (p.0, p.1 + p.2)).collect();
    outline.extend(finite.iter().rev().map(|p| (p.0, p.1 - p.2)));
    chart.draw_series(std::iter::once(Polygon::new(outline, c.mix(0.18))))?;
    chart
        .draw_series(LineSeries::new(
            finite.iter().map(|p| (p.0, p.1)),
            c.stroke_width(3),
        ))?
        .label(band.label.clone())
        .legend(swatch(c));
    chart.draw_series(
        finite
            .iter()
            .map(|p| Circle::new((p.0, p.1), 5, c.filled())),
    )?;
    Ok(())
}
