//! Charts, one per file, each drawn from ready data to both PNG and SVG.
//!
//! No system library is involved: the bundled DejaVu Sans (see
//! `assets/fonts/LICENSE-DejaVu.txt`) is registered as `sans-serif` before
//! anything is drawn, and PNGs are encoded in memory so they are written
//! atomically like every other output.

mod age;
mod calls;
mod columns;
mod compare;
mod depth;
mod drops;
mod heatmap;
mod latency;
mod partition_lag;
mod sweep;
mod time_split;
mod topology;
mod workers;

pub(crate) use age::AgeChart;
pub(crate) use calls::CallsChart;
pub(crate) use columns::ColumnsChart;
pub(crate) use compare::{BarGroup, CompareChart, ComparePair};
pub(crate) use depth::DepthChart;
pub(crate) use drops::{DropsChart, REASONS as DROP_REASONS, ReasonBars};
pub(crate) use heatmap::HeatmapChart;
pub(crate) use latency::{LatencyChart, LatencySeries};
pub(crate) use partition_lag::PartitionLagChart;
pub(crate) use sweep::{Band, SweepChart, XAxis};
pub(crate) use time_split::{HopTimes, PathTimes, TimeSplitChart};
pub(crate) use topology::{Edge, Node, NodeKind, TopologyChart};
pub(crate) use workers::WorkersChart;

use super::ReportError;
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::sync::OnceLock;

/// Pixel size of every chart.
pub(crate) const SIZE: (u32, u32) = (1000, 560);

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// A chart drawn both ways.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// File stem, e.g. `depth` (files `depth.png`, `depth.svg`).
    pub name: String,
    /// Caption shown above it in the HTML report.
    pub title: String,
    /// The SVG document.
    pub svg: String,
    /// The PNG file's bytes.
    pub png: Vec<u8>,
}

/// The result of drawing on some backend.
pub(crate) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that can draw itself on any backend.
pub(crate) trait Draw {
    /// Draws the whole chart on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// A labelled line of (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Legend text.
    pub label: String,
    /// The points, x ascending.
    pub points: Vec<(f64, f64)>,
}

/// An alert's firing episodes, shown as shaded bands over time.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AlertBands {
    /// Legend text.
    pub label: String,
    /// Each episode: fired at, resolved at (seconds).
    pub episodes: Vec<[f64; 2]>,
}

/// The i-th alert's colour: reds and purples, apart from the lines'.
pub(crate) fn alert_color(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 4] = [
        RGBColor(220, 40, 40),
        RGBColor(150, 60, 200),
        RGBColor(200, 140, 0),
        RGBColor(0, 150, 150),
    ];
    PALETTE[i % PALETTE.len()]
}

/// Marks where each alert was firing: a bar in its own lane along the top
/// of the plot `y0..y1` (in the headroom [`span`] leaves above the data),
/// and a thin line down the plot where each episode began; the legend
/// names it. Drawn before the lines, which stay on top.
pub(crate) fn alert_bands<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    alerts: &[AlertBands],
    (y0, y1): (f64, f64),
) -> DrawResult<DB> {
    let lane = (y1 - y0) * 0.022;
    for (i, alert) in alerts.iter().enumerate() {
        let c = alert_color(i);
        let top = y1 - lane * i as f64;
        let onsets = alert.episodes.iter().map(|&[from, _]| {
            PathElement::new(vec![(from, y0), (from, top)], c.mix(0.5).stroke_width(1))
        });
        chart.draw_series(onsets)?;
        let bars = alert.episodes.iter().map(|&[from, to]| {
            Rectangle::new([(from, top - lane * 0.8), (to, top)], c.mix(0.75).filled())
        });
        chart
            .draw_series(bars)?
            .label(alert.label.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 22, y + 4)], c.filled()));
    }
    Ok(())
}

/// Draws `chart` as SVG and PNG.
///
/// # Errors
/// [`ReportError::Chart`] if drawing or encoding fails.
pub(crate) fn render(name: &str, title: &str, chart: &impl Draw) -> Result<Rendered, ReportError> {
    register_font();
    let fail = |reason: String| ReportError::Chart {
        chart: name.to_owned(),
        reason,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        chart.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let (w, h) = SIZE;
    let mut pixels = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        chart.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        &pixels,
        w,
        h,
        image::ColorType::Rgb8,
    )
    .map_err(|e| fail(e.to_string()))?;
    Ok(Rendered {
        name: name.to_owned(),
        title: title.to_owned(),
        svg,
        png,
    })
}

fn register_font() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        // The font is bundled and known to parse; a failure would show as
        // missing text, never as a panic.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// The sans-serif font at `size` pixels.
pub(crate) fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().into()
}

/// The i-th colour of a palette that stays distinct in print and for the
/// common colour-vision deficiencies (Okabe–Ito, then a few more).
pub(crate) fn color(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 10] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(120, 120, 120),
        RGBColor(170, 60, 60),
        RGBColor(60, 60, 170),
        RGBColor(0, 0, 0),
    ];
    PALETTE[i % PALETTE.len()]
}

/// A white canvas with `title` at its top left, for the charts drawn in
/// pixels (the diagram, the time split); its width and height.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<(i32, i32), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    root.draw(&Text::new(
        title.to_owned(),
        (20, 12),
        font(20).color(&BLACK),
    ))?;
    Ok((w as i32, h as i32))
}

/// Caption, margins and label areas shared by every chart.
pub(crate) fn builder<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    right_axis: bool,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(root);
    b.caption(title, font(26))
        .margin(18)
        .x_label_area_size(56)
        .y_label_area_size(88);
    if right_axis {
        b.right_y_label_area_size(88);
    }
    b
}

/// Lines of a level over simulated time, from zero up.
pub(crate) fn draw_over_time<DB: DrawingBackend>(
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

/// Most points drawn per line: two per pixel column of a chart.
pub(crate) const MAX_POINTS_DRAWN: usize = 2 * SIZE.0 as usize;

/// At most about [`MAX_POINTS_DRAWN`] of `points` (x ascending), chosen so
/// the drawn line looks the same: the x range is cut into buckets, and
/// each bucket keeps its lowest and highest point in x order, with the
/// first and last points of all. Peaks survive; a chart stays small however
/// long the series.
pub(crate) fn thin(points: &[(f64, f64)]) -> std::borrow::Cow<'_, [(f64, f64)]> {
    if points.len() <= MAX_POINTS_DRAWN {
        return points.into();
    }
    let buckets = MAX_POINTS_DRAWN / 2 - 1;
    let (x0, x1) = (points[0].0, points[points.len() - 1].0);
    let width = (x1 - x0) / buckets as f64;
    let bucket = |x: f64| {
        if width > 0.0 {
            (((x - x0) / width) as usize).min(buckets - 1)
        } else {
            0
        }
    };
    let mut out = vec![points[0]];
    let mut i = 1;
    while i < points.len() - 1 {
        let b = bucket(points[i].0);
        let (mut lo, mut hi) = (i, i);
        let mut j = i;
        while j < points.len() - 1 && bucket(points[j].0) == b {
            if points[j].1 < points[lo].1 {
                lo = j;
            }
            if points[j].1 > points[hi].1 {
                hi = j;
            }
            j += 1;
        }
        out.push(points[lo.min(hi)]);
        if lo != hi {
            out.push(points[lo.max(hi)]);
        }
        i = j;
    }
    out.push(points[points.len() - 1]);
    out.into()
}

/// Draws `lines` (colours from `first` on, `width` pixels wide), then the
/// legend.
pub(crate) fn lines_and_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    lines: &[Line],
    first: usize,
    width: u32,
) -> DrawResult<DB> {
    for (i, line) in lines.iter().enumerate() {
        let c = color(first + i);
        chart
            .draw_series(LineSeries::new(
                thin(&line.points).iter().copied(),
                c.stroke_width(width),
            ))?
            .label(line.label.clone())
            .legend(swatch(c));
    }
    legend(chart)
}

/// The legend, in the upper right on a translucent box.
pub(crate) fn legend<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
{
    legend_at(chart, SeriesLabelPosition::UpperRight)
}

/// The legend at `position`.
pub(crate) fn legend_at<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(font(16))
        .position(position)
        .draw()
}

/// Axis titles and the label, title and grid styles every chart shares.
pub(crate) fn styled<'m, 'a, 'b, X, Y, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    x_desc: &str,
    y_desc: &str,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
    DB: DrawingBackend,
{
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(font(15))
        .axis_desc_style(font(18))
        .light_line_style(BLACK.mix(0.05))
}

/// The label of category `x` (positions 0, 1, 2 …), empty between them.
pub(crate) fn category(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-6 && i >= 0.0 {
        labels.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// A range covering `values` with a little headroom; [0, 1] when empty.
pub(crate) fn span(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if lo > hi {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
    }
    if hi - lo < 1e-12 {
        hi = lo + lo.abs().max(1.0);
    }
    (lo, hi + (hi - lo) * 0.08)
}

/// The scale and unit for durations up to `max_s` seconds: ms below 1 s,
/// s below 3 minutes, min below 3 hours, then h (a 34-minute lag reads
/// 34 min, not 2040 s).
pub(crate) fn time_unit(max_s: f64) -> (f64, &'static str) {
    if max_s < 1.0 {
        (1e3, "ms")
    } else if max_s < 180.0 {
        (1.0, "s")
    } else if max_s < 3.0 * 3600.0 {
        (1.0 / 60.0, "min")
    } else {
        (1.0 / 3600.0, "h")
    }
}

/// Seconds on an axis in a unit a person reads, for values up to
/// `max_s`: ms below 1 s, s below 3 min, min below 3 h, then h; the
/// scale and the unit's name.
pub(crate) fn clock_unit(max_s: f64) -> (f64, &'static str) {
    if max_s < 1.0 {
        (1e3, "ms")
    } else if max_s < 180.0 {
        (1.0, "s")
    } else if max_s < 10_800.0 {
        (1.0 / 60.0, "min")
    } else {
        (1.0 / 3600.0, "h")
    }
}

/// A legend entry drawn as a short line in `c`.
pub(crate) fn swatch(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3))
}

/// A tick label: `20k`, `1.5M`, `12`, `0.25`, without trailing zeros.
pub(crate) fn tick(v: f64) -> String {
    let a = v.abs();
    if a > 0.0 && a < 1e-3 {
        return format!("{v:.0e}");
    }
    let (value, suffix) = if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let text = if text == "-0" { "0" } else { text };
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_unit_a_person_reads() {
        let unit = |s: f64| time_unit(s).1;
        assert_eq!(
            [0.25, 1.0, 179.0, 180.0, 2040.0, 10_800.0].map(unit),
            ["ms", "s", "s", "min", "min", "h"]
        );
        let (scale, _) = time_unit(2040.0);
        assert!((2040.0 * scale - 34.0).abs() < 1e-12);
    }

    #[test]
    fn long_lines_are_thinned_keeping_their_peaks() {
        let points: Vec<(f64, f64)> = (0..1_000_000)
            .map(|i| {
                (
                    f64::from(i),
                    if i == 123_457 { 1e9 } else { f64::from(i % 7) },
                )
            })
            .collect();
        let drawn = thin(&points);
        assert!(drawn.len() <= MAX_POINTS_DRAWN, "{}", drawn.len());
        assert!(drawn.contains(&(123_457.0, 1e9)));
        assert_eq!(drawn.first(), points.first());
        assert_eq!(drawn.last(), points.last());
        assert!(drawn.windows(2).all(|w| w[0].0 < w[1].0));
        let short = [(0.0, 1.0), (1.0, 2.0)];
        assert_eq!(&*thin(&short), &short);
    }

    #[test]
    fn clock_units_keep_axis_numbers_small() {
        let got: Vec<&str> = [0.25, 30.0, 600.0, 7200.0, 86_400.0]
            .map(|s| clock_unit(s).1)
            .to_vec();
        assert_eq!(got, ["ms", "s", "min", "min", "h"]);
        assert_eq!(7200.0 * clock_unit(7200.0).0, 120.0);
    }

    #[test]
    fn ticks_are_short() {
        let got: Vec<String> = [0.0, 2.0, 0.25, 1234.5, 20000.0, 1.5e6, 0.0001]
            .map(tick)
            .to_vec();
        assert_eq!(got, ["0", "2", "0.25", "1234.5", "20k", "1.5M", "1e-4"]);
    }
}
