//! Latency percentiles per group (p50 … max): one marker per series and
//! percentile (they are not a series over anything, so no line joins
//! them), with the 95% interval across replications as error bars. A log
//! scale when the values span more than a factor of 50, where a zero is
//! drawn hollow at the axis floor and labelled `0`. The legend has its own
//! column right of the plot, so it never covers a marker.

use super::{Draw, DrawResult, SIZE, builder, category, color, font, styled, tick, time_unit};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One series: a latency at each percentile.
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
    /// The series.
    pub series: Vec<LatencySeries>,
}

/// Width of the legend's column, in pixels.
const LEGEND_WIDTH: u32 = 300;
/// Longest legend text, in characters.
const MAX_LABEL: usize = 34;

impl LatencyChart {
    fn positive(&self) -> impl Iterator<Item = f64> + '_ {
        self.series
            .iter()
            .flat_map(|s| s.values.iter().flat_map(|(m, h)| [m - h, m + h, *m]))
            .filter(|v| v.is_finite() && *v > 0.0)
    }

    /// The series drawn: those with a value.
    fn drawn(&self) -> impl Iterator<Item = &LatencySeries> {
        (self.series.iter()).filter(|s| s.values.iter().any(|(m, _)| m.is_finite()))
    }
}

impl Draw for LatencyChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (plot, side) = root.split_horizontally(SIZE.0.saturating_sub(LEGEND_WIDTH));
        self.legend(&side)?;
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
            return self.body(&plot, 0.0..1.0, None, scale, format!("latency ({unit})"));
        }
        if hi / lo > 50.0 {
            let floor = lo * scale / 2.0;
            let range = (floor..hi * scale * 2.0).log_scale();
            let desc = format!("latency ({unit}, log scale; 0 drawn hollow at the floor)");
            self.body(&plot, range, Some(floor), scale, desc)
        } else {
            let desc = format!("latency ({unit})");
            self.body(&plot, 0.0..hi * scale * 1.1, None, scale, desc)
        }
    }
}

/// Where series `i` of `n` sits within its percentile's slot.
fn offset(i: usize, n: usize) -> f64 {
    let step = (0.8 / n.max(1) as f64).min(0.12);
    (i as f64 - (n.max(1) - 1) as f64 / 2.0) * step
}

impl LatencyChart {
    /// Draws on a y axis `y`: linear, or log with values at or below
    /// `floor` drawn at it.
    fn body<DB, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        y: Y,
        floor: Option<f64>,
        scale: f64,
        y_desc: String,
    ) -> DrawResult<DB>
    where
        DB: DrawingBackend,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let k = self.percentiles.len().max(1);
        let x: RangedCoordf64 = (-0.5..k as f64 - 0.5).into();
        let mut chart = builder(root, &self.title, false).build_cartesian_2d(x, y)?;
        let labels = &self.percentiles;
        styled(&mut chart.configure_mesh(), "percentile", &y_desc)
            .disable_x_mesh()
            .x_labels(k)
            .y_labels(12)
            .x_label_formatter(&|x| category(labels, *x))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let n = self.drawn().count();
        let at_floor = |v: f64| floor.map_or(v, |f| v.max(f));
        for (i, s) in self.drawn().enumerate() {
            let c = color(i);
            let dx = offset(i, n);
            let values = (s.values.iter().enumerate()).filter(|(_, (m, _))| m.is_finite());
            let bars = values
                .clone()
                .filter(|(_, (_, h))| *h > 0.0)
                .map(|(p, (m, h))| {
                    let x = p as f64 + dx;
                    let (a, b) = (at_floor((m - h) * scale), at_floor((m + h) * scale));
                    PathElement::new(vec![(x, a), (x, b)], c.stroke_width(2))
                });
            chart.draw_series(bars)?;
            for (p, (m, _)) in values {
                let point = (p as f64 + dx, at_floor(m * scale));
                let hidden = floor.is_some_and(|f| m * scale <= f);
                if hidden {
                    chart.draw_series([Circle::new(point, 6, c.stroke_width(2))])?;
                    let text = if *m == 0.0 {
                        "0".to_owned()
                    } else {
                        tick(m * scale)
                    };
                    let style = font(13).pos(Pos::new(HPos::Center, VPos::Bottom));
                    let label = (point.0, point.1 * 1.15);
                    chart.draw_series([Text::new(text, label, style)])?;
                } else {
                    chart.draw_series([Circle::new(point, 6, c.filled())])?;
                }
            }
        }
        Ok(())
    }

    /// The legend, in its own column: a marker and each series' label.
    fn legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        for (i, s) in self.drawn().enumerate() {
            let y = 70 + 26 * i as i32;
            area.draw(&Circle::new((12, y), 6, color(i).filled()))?;
            let label = if s.label.chars().count() > MAX_LABEL {
                let cut: String = s.label.chars().take(MAX_LABEL - 1).collect();
                format!("{cut}…")
            } else {
                s.label.clone()
            };
            let style = font(15).pos(Pos::new(HPos::Left, VPos::Center));
            area.draw(&Text::new(label, (26, y), style))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_sit_side_by_side_within_a_percentile() {
        assert_eq!(offset(0, 1), 0.0);
        let xs: Vec<f64> = (0..4).map(|i| offset(i, 4)).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]));
        assert!((xs[0] + xs[3]).abs() < 1e-12 && xs[3] < 0.5);
    }
}
