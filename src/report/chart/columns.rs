//! Compared scenarios over time: one line per scenario (column) on a time
//! axis they share, the horizons marked, in units a person reads (ms, s,
//! min or h). The legend has its own column right of the plot, so it
//! never covers a line; a scenario keeps its colour in every such chart.

use super::{
    Draw, DrawResult, Line, SIZE, builder, clock_unit, color, font, span, styled, swatch, tick,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Data for one chart of compared scenarios over time.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ColumnsChart {
    /// Caption.
    pub title: String,
    /// The y axis title; for durations, without the unit (it is added).
    pub y_desc: String,
    /// The y values are durations in seconds (drawn in ms, s, min or h).
    pub durations: bool,
    /// End of the shared time axis (s).
    pub end_s: f64,
    /// Each scenario's horizon (s), marked where it falls.
    pub horizons: Vec<f64>,
    /// One line per scenario, in column order (x in seconds), its label's
    /// second line (after `\n`) a detail for the legend; an empty one (a
    /// column without series) is skipped but keeps its colour.
    pub lines: Vec<Line>,
}

/// Width of the legend's column, in pixels.
const LEGEND_WIDTH: u32 = 300;
/// Longest legend text, in characters (a label's, then its detail's in
/// a smaller font).
const MAX_LABEL: [usize; 2] = [30, 36];

impl Draw for ColumnsChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (plot, side) = root.split_horizontally(SIZE.0.saturating_sub(LEGEND_WIDTH));
        self.legend(&side)?;
        let (sx, x_unit) = clock_unit(self.end_s);
        let values = || self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.1));
        let (_, hi) = span(values(), true);
        let (sy, y_desc) = if self.durations {
            let (sy, unit) = clock_unit(values().filter(|v| v.is_finite()).fold(0.0, f64::max));
            (sy, format!("{} ({unit})", self.y_desc))
        } else {
            (1.0, self.y_desc.clone())
        };
        let x1 = if self.end_s > 0.0 { self.end_s } else { 1.0 };
        let mut chart =
            builder(&plot, &self.title, false).build_cartesian_2d(0.0..x1 * sx, 0.0..hi * sy)?;
        styled(
            &mut chart.configure_mesh(),
            &format!("simulated time ({x_unit})"),
            &y_desc,
        )
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;
        let mut horizons = self.horizons.clone();
        horizons.sort_by(f64::total_cmp);
        horizons.dedup();
        let grey = RGBColor(120, 120, 120);
        for h in horizons.into_iter().filter(|h| *h > 0.0 && *h <= x1) {
            let x = h * sx;
            chart.draw_series(DashedLineSeries::new(
                [(x, 0.0), (x, hi * sy)],
                6,
                4,
                grey.stroke_width(1),
            ))?;
            let style = font(14).color(&grey).pos(Pos::new(HPos::Right, VPos::Top));
            chart.draw_series([Text::new("horizon ", (x, hi * sy), style)])?;
        }
        for (i, line) in self.lines.iter().enumerate() {
            let points = line.points.iter().map(|&(t, y)| (t * sx, y * sy));
            chart.draw_series(LineSeries::new(points, color(i).stroke_width(2)))?;
        }
        Ok(())
    }
}

impl ColumnsChart {
    /// The legend, in its own column: a swatch and each scenario's label,
    /// and under it, smaller, what the label's second line says.
    fn legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let drawn = (self.lines.iter().enumerate()).filter(|(_, l)| !l.points.is_empty());
        for (row, (i, line)) in drawn.enumerate() {
            let y = 70 + 46 * row as i32;
            area.draw(&swatch(color(i))((4, y)))?;
            let mut texts = line.label.lines();
            let left = Pos::new(HPos::Left, VPos::Center);
            let name = cut(texts.next().unwrap_or_default(), MAX_LABEL[0]);
            area.draw(&Text::new(name, (32, y), font(15).pos(left)))?;
            if let Some(detail) = texts.next() {
                let style = font(13).color(&RGBColor(90, 90, 90)).pos(left);
                area.draw(&Text::new(cut(detail, MAX_LABEL[1]), (32, y + 18), style))?;
            }
        }
        Ok(())
    }
}

/// `text` cut to `max` characters, an ellipsis marking the cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let kept: String = text.chars().take(max - 1).collect();
        format!("{kept}…")
    } else {
        text.to_owned()
    }
}
