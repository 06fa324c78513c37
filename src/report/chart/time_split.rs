//! Where the time goes: for each path through the architecture, its
//! time from the root split by hop, each hop's wait (from entering its
//! buffer to the delivery that succeeded) light and its processing dark.
//! Three bars a path: the means, and grey for the rest of the path's mean
//! (hand-offs between hops, and for a path that starts at a called
//! service, what came before the call); the hops' own p50s, and their own
//! p99s, stacked, with the path's actual p50 and p99 marked (a stack of
//! percentiles is not the percentile of the sum: the mark is the truth,
//! the stack says which hop has the long tail).

use super::{Draw, DrawResult, color, font, titled};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One hop of a path: the group or service, and its wait and
/// processing as mean, p50 and p99, in seconds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HopTimes {
    pub place: String,
    pub wait: [f64; 3],
    pub work: [f64; 3],
    /// The processing's mean parts: own work, calls, the wait for its
    /// publishes.
    pub parts: [f64; 3],
}

/// One path: its name, hops from the root, and its time from the root
/// (mean, p50, p99), in seconds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PathTimes {
    pub name: String,
    pub hops: Vec<HopTimes>,
    pub e2e: [f64; 3],
}

/// Data for the chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TimeSplitChart {
    /// Caption.
    pub title: String,
    pub paths: Vec<PathTimes>,
}

/// The hand-off segment's colour.
const HANDOFF: RGBColor = RGBColor(190, 190, 190);

/// `c` mixed with white: the hop's wait.
fn light(c: RGBColor) -> RGBColor {
    let mix = |v: u8| ((u16::from(v) + 2 * 255) / 3) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// `c` mixed with black: the hop's calls.
fn dark(c: RGBColor) -> RGBColor {
    let mix = |v: u8| (u16::from(v) / 2) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// `c` half grey: the hop's wait for its publishes.
fn greyed(c: RGBColor) -> RGBColor {
    let mix = |v: u8| ((u16::from(v) + 150) / 2) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// A duration in the unit a person reads.
fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} min", s / 60.0)
    }
}

impl PathTimes {
    /// The segments of bar `row` (0 mean, 1 p50, 2 p99): colour and
    /// length in seconds; the mean bar ends with the hand-offs.
    pub(crate) fn segments(&self, row: usize) -> Vec<(RGBColor, f64)> {
        let mut out = Vec::new();
        for (i, hop) in self.hops.iter().enumerate() {
            out.push((light(color(i)), hop.wait[row].max(0.0)));
            if row == 0 {
                // The mean processing, by part.
                let [service, calls, publish] = hop.parts.map(|p| p.max(0.0));
                out.push((color(i), service));
                out.push((dark(color(i)), calls));
                out.push((greyed(color(i)), publish));
            } else {
                out.push((color(i), hop.work[row].max(0.0)));
            }
        }
        if row == 0 {
            let sum: f64 = out.iter().map(|s| s.1).sum();
            out.push((HANDOFF, (self.e2e[0] - sum).max(0.0)));
        }
        out
    }
}

impl Draw for TimeSplitChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (w, h) = titled(root, &self.title)?;
        let note = "light: wait; full: processing (in the mean: own work, calls darker, publish wait \
                    greyed); grey: rest of the mean; mark: the path's own p50 / p99";
        root.draw(&Text::new(
            note,
            (20, 36),
            font(12).color(&RGBColor(80, 80, 80)),
        ))?;
        if self.paths.is_empty() {
            return Ok(());
        }
        let top = 58;
        let panel = (h - top - 6) / self.paths.len() as i32;
        let (bar_x, bar_end) = (60, w - 200);
        for (k, path) in self.paths.iter().enumerate() {
            let y0 = top + k as i32 * panel;
            // The path, then its hops in their colours (about 7 pixels a
            // character).
            root.draw(&Text::new(
                path.name.clone(),
                (20, y0),
                font(13).color(&BLACK),
            ))?;
            let mut x = 20 + 7 * path.name.chars().count() as i32 + 14;
            for (i, hop) in path.hops.iter().enumerate() {
                let text = if i == 0 {
                    hop.place.clone()
                } else {
                    format!("→ {}", hop.place)
                };
                let width = 7 * text.chars().count() as i32 + 8;
                root.draw(&Text::new(text, (x, y0), font(13).color(&color(i))))?;
                x += width;
            }
            let rows: Vec<Vec<(RGBColor, f64)>> = (0..3).map(|r| path.segments(r)).collect();
            let longest = (rows.iter())
                .map(|r| r.iter().map(|s| s.1).sum::<f64>())
                .chain([path.e2e[1], path.e2e[2]])
                .fold(0.0, f64::max);
            let scale = if longest > 0.0 {
                f64::from(bar_end - bar_x) / longest
            } else {
                0.0
            };
            let bar_h = ((panel - 20) / 3 - 3).clamp(4, 18);
            for (r, (label, segments)) in ["mean", "p50", "p99"].iter().zip(&rows).enumerate() {
                let y = y0 + 17 + r as i32 * (bar_h + 3);
                root.draw(&Text::new(*label, (24, y), font(11).color(&BLACK)))?;
                let mut at = 0.0;
                for &(c, len) in segments {
                    let x0 = bar_x + (at * scale).round() as i32;
                    at += len;
                    let x1 = bar_x + (at * scale).round() as i32;
                    if x1 > x0 {
                        root.draw(&Rectangle::new([(x0, y), (x1, y + bar_h)], c.filled()))?;
                    }
                }
                let (total, mark) = match r {
                    0 => (path.e2e[0], None),
                    _ => (at, Some(path.e2e[r])),
                };
                if let Some(m) = mark {
                    let x = bar_x + (m * scale).round() as i32;
                    root.draw(&Rectangle::new(
                        [(x - 1, y - 2), (x + 1, y + bar_h + 2)],
                        BLACK.filled(),
                    ))?;
                }
                let end = bar_x + (at * scale).round() as i32;
                let text = match mark {
                    Some(m) => format!("{} (path {})", seconds(total), seconds(m)),
                    None => seconds(total),
                };
                root.draw(&Text::new(text, (end + 6, y), font(11).color(&BLACK)))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_bar_adds_up_to_the_path_mean_with_the_hand_offs() {
        let path = PathTimes {
            name: "t-a-u-b".into(),
            hops: vec![
                HopTimes {
                    place: "a".into(),
                    wait: [1.0, 0.5, 4.0],
                    work: [2.0, 2.0, 2.0],
                    parts: [1.0, 0.5, 0.5],
                },
                HopTimes {
                    place: "b".into(),
                    wait: [0.5, 0.0, 3.0],
                    work: [1.0, 1.0, 1.0],
                    parts: [1.0, 0.0, 0.0],
                },
            ],
            e2e: [5.0, 4.0, 9.0],
        };
        let mean: f64 = path.segments(0).iter().map(|s| s.1).sum();
        assert!((mean - 5.0).abs() < 1e-12, "{mean}");
        assert_eq!(path.segments(0).last().unwrap(), &(HANDOFF, 0.5));
        let p99: f64 = path.segments(2).iter().map(|s| s.1).sum();
        assert!((p99 - 10.0).abs() < 1e-12, "hops' own p99s, stacked");
        assert_eq!(path.segments(1).len(), 4, "no hand-off segment");
    }
}
