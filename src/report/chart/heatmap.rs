//! A sweep of two fields as a heatmap: one cell per point, the first
//! field across, the second up, each cell coloured by the metric's mean
//! (its value written in it), with the colour scale beside the grid. With
//! objectives, a frame marks each cell whose point meets them all.

use super::{Draw, DrawResult, SIZE, builder, category, font, styled, tick};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One cell: its column, its row and the metric's mean (NaN: the point
/// failed or lacks the metric, drawn grey).
pub(crate) type Cell = (usize, usize, f64);

/// Data for a heatmap.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HeatmapChart {
    /// Caption.
    pub title: String,
    /// The first field, across.
    pub x_desc: String,
    /// The second field, up.
    pub y_desc: String,
    /// The first field's values, in order.
    pub x_labels: Vec<String>,
    /// The second field's values, in order.
    pub y_labels: Vec<String>,
    /// The metric with its unit, beside the colour scale.
    pub metric_desc: String,
    /// One per point.
    pub cells: Vec<Cell>,
    /// With objectives: the cells (column, row) whose point meets every
    /// one, framed.
    pub passing: Option<Vec<(usize, usize)>>,
}

/// The frame of a cell that meets every objective: a white line inside a
/// black one, seen on dark and light cells alike.
const FRAME: [(f64, RGBColor); 2] = [(0.04, RGBColor(0, 0, 0)), (0.1, RGBColor(255, 255, 255))];

/// Width of the colour scale's column, in pixels.
const SCALE_WIDTH: u32 = 150;
/// Bands of the colour scale.
const SCALE_STEPS: usize = 64;
/// Most cells that get their value written in them.
const MAX_LABELLED: usize = 200;

/// The colour of `t` in [0, 1]: dark blue (low) through green to yellow
/// (high), as viridis, readable in grey and for colour-blind readers.
pub(crate) fn shade(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let at = t * (STOPS.len() - 1) as f64;
    let i = (at.floor() as usize).min(STOPS.len() - 2);
    let f = at - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl HeatmapChart {
    /// The finite values' range (0..1 when none).
    fn range(&self) -> (f64, f64) {
        let finite = self.cells.iter().map(|c| c.2).filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
        if lo > hi {
            (0.0, 1.0)
        } else if hi - lo < 1e-12 {
            (lo, lo + lo.abs().max(1.0))
        } else {
            (lo, hi)
        }
    }
}

impl Draw for HeatmapChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (grid, side) = root.split_horizontally(SIZE.0.saturating_sub(SCALE_WIDTH));
        let (lo, hi) = self.range();
        let (nx, ny) = (self.x_labels.len().max(1), self.y_labels.len().max(1));
        let mut chart = builder(&grid, &self.title, false)
            .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)?;
        styled(&mut chart.configure_mesh(), &self.x_desc, &self.y_desc)
            .disable_mesh()
            .x_labels(nx)
            .y_labels(ny)
            .x_label_formatter(&|x| category(&self.x_labels, *x))
            .y_label_formatter(&|y| category(&self.y_labels, *y))
            .draw()?;
        let t = |v: f64| (v - lo) / (hi - lo);
        chart.draw_series(self.cells.iter().map(|&(x, y, v)| {
            let (x, y) = (x as f64, y as f64);
            let fill = if v.is_finite() {
                shade(t(v))
            } else {
                RGBColor(200, 200, 200)
            };
            Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], fill.filled())
        }))?;
        if self.cells.len() <= MAX_LABELLED {
            let style = |v: f64| {
                let ink: &'static RGBColor = if t(v) > 0.6 { &BLACK } else { &WHITE };
                font(13)
                    .color(ink)
                    .pos(Pos::new(HPos::Center, VPos::Center))
            };
            chart.draw_series(
                self.cells
                    .iter()
                    .filter(|c| c.2.is_finite())
                    .map(|&(x, y, v)| Text::new(tick(v), (x as f64, y as f64), style(v))),
            )?;
        }
        for (inset, colour) in FRAME {
            let h = 0.5 - inset;
            let frames = self.passing.iter().flatten().map(|&(x, y)| {
                let (x, y) = (x as f64, y as f64);
                Rectangle::new([(x - h, y - h), (x + h, y + h)], colour.stroke_width(3))
            });
            chart.draw_series(frames)?;
        }
        self.scale(&side, lo, hi)
    }
}

impl HeatmapChart {
    /// The colour scale: bands from `lo` (bottom) to `hi`, with ticks.
    fn scale<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        lo: f64,
        hi: f64,
    ) -> DrawResult<DB> {
        let mut chart = ChartBuilder::on(area)
            .margin_top(60)
            .margin_bottom(74)
            .margin_right(70)
            .y_label_area_size(0)
            .right_y_label_area_size(60)
            .build_cartesian_2d(0.0..1.0, lo..hi)?
            .set_secondary_coord(0.0..1.0, lo..hi);
        chart
            .configure_secondary_axes()
            .y_desc(self.metric_desc.clone())
            .y_label_formatter(&|v| tick(*v))
            .label_style(font(13))
            .axis_desc_style(font(15))
            .draw()?;
        let step = (hi - lo) / SCALE_STEPS as f64;
        chart.draw_series((0..SCALE_STEPS).map(|k| {
            let y = lo + step * k as f64;
            let c = shade((k as f64 + 0.5) / SCALE_STEPS as f64);
            Rectangle::new([(0.0, y), (1.0, y + step)], c.filled())
        }))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_runs_from_dark_to_light() {
        let luma =
            |c: RGBColor| 0.3 * f64::from(c.0) + 0.59 * f64::from(c.1) + 0.11 * f64::from(c.2);
        let l: Vec<f64> = (0..=10).map(|i| luma(shade(f64::from(i) / 10.0))).collect();
        assert!(l.windows(2).all(|w| w[0] < w[1]), "{l:?}");
        assert_eq!(shade(f64::NAN), shade(0.0));
    }
}
