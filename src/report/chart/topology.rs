//! The architecture as a diagram: producers, topics, groups and the
//! services they call, in columns from left (where messages enter) to
//! right, joined by their links (a publish or a topic's readers as solid
//! arrows, a direct call dashed). Each node carries what was measured
//! there, and the bottleneck is drawn in red.

use super::{Draw, DrawResult, font, titled};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeKind {
    /// Creates messages or requests.
    Producer,
    /// Buffers messages for its readers.
    Topic,
    /// Reads a topic.
    Group,
    /// Is called directly.
    Service,
}

/// One node: its name, kind, the lines measured there, and whether it is
/// the bottleneck.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub name: String,
    pub kind: NodeKind,
    pub lines: Vec<String>,
    pub hot: bool,
}

/// A link from node `from` to node `to` (indexes into the nodes); `call`:
/// a direct call (the caller waits), else a message handed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    pub from: usize,
    pub to: usize,
    pub call: bool,
}

/// Data for the topology diagram.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TopologyChart {
    /// Caption.
    pub title: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// Colours of the kinds: outline and fill.
fn palette(kind: NodeKind) -> (RGBColor, RGBColor) {
    match kind {
        NodeKind::Producer => (RGBColor(90, 90, 90), RGBColor(238, 238, 238)),
        NodeKind::Topic => (RGBColor(0, 90, 160), RGBColor(222, 235, 247)),
        NodeKind::Group => (RGBColor(0, 109, 44), RGBColor(229, 245, 224)),
        NodeKind::Service => (RGBColor(117, 107, 177), RGBColor(239, 237, 245)),
    }
}

/// The bottleneck's outline.
const HOT: RGBColor = RGBColor(200, 0, 0);

impl TopologyChart {
    /// Each node's column: producers first, then each node one column
    /// right of the furthest node that links into it (a link that closes
    /// a cycle does not push further: at most one pass per node).
    pub(crate) fn columns(&self) -> Vec<usize> {
        let n = self.nodes.len();
        let mut column = vec![0usize; n];
        for _ in 0..n {
            let mut moved = false;
            for e in &self.edges {
                let want = column[e.from] + 1;
                if e.from != e.to && want < n && column[e.to] < want {
                    column[e.to] = want;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        column
    }
}

impl Draw for TopologyChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (w, h) = titled(root, &self.title)?;
        if self.nodes.is_empty() {
            return Ok(());
        }
        let column = self.columns();
        let columns = column.iter().max().map_or(1, |c| c + 1) as i32;
        let mut in_column = vec![Vec::new(); columns as usize];
        for (i, &c) in column.iter().enumerate() {
            in_column[c].push(i);
        }
        let (top, bottom) = (48, h - 12);
        let col_w = w / columns;
        let box_w = (col_w - 36).clamp(60, 190);
        let most = in_column.iter().map(Vec::len).max().unwrap_or(1) as i32;
        let slot = (bottom - top) / most.max(1);
        let box_h = (slot - 10).clamp(18, 78);
        let lines_fit = ((box_h - 18) / 13).max(0) as usize;
        // Each node's box: (left, top, right, bottom).
        let mut boxes = vec![(0, 0, 0, 0); self.nodes.len()];
        for (c, members) in in_column.iter().enumerate() {
            let k = members.len() as i32;
            let gap = (bottom - top - k * box_h) / (k + 1);
            for (j, &i) in members.iter().enumerate() {
                let x = c as i32 * col_w + (col_w - box_w) / 2;
                let y = top + gap + j as i32 * (box_h + gap);
                boxes[i] = (x, y, x + box_w, y + box_h);
            }
        }
        for e in &self.edges {
            let (from, to) = (boxes[e.from], boxes[e.to]);
            let start = (from.2, (from.1 + from.3) / 2);
            let end = (to.0, (to.1 + to.3) / 2);
            let style = if e.call {
                RGBColor(117, 107, 177).stroke_width(2)
            } else {
                RGBColor(120, 120, 120).stroke_width(2)
            };
            if e.call {
                root.draw(&DashedPathElement::new(vec![start, end], 6, 4, style))?;
            } else {
                root.draw(&PathElement::new(vec![start, end], style))?;
            }
            // The arrowhead, pointing along the link.
            let (dx, dy) = (f64::from(end.0 - start.0), f64::from(end.1 - start.1));
            let len = dx.hypot(dy).max(1.0);
            let (ux, uy) = (dx / len, dy / len);
            let back = |along: f64, side: f64| {
                (
                    (f64::from(end.0) - ux * along - uy * side).round() as i32,
                    (f64::from(end.1) - uy * along + ux * side).round() as i32,
                )
            };
            root.draw(&Polygon::new(
                vec![end, back(10.0, 5.0), back(10.0, -5.0)],
                style.color.filled(),
            ))?;
        }
        for (node, &(x0, y0, x1, y1)) in self.nodes.iter().zip(&boxes) {
            let (outline, fill) = palette(node.kind);
            let outline = if node.hot { HOT } else { outline };
            root.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))?;
            // Outlines one pixel wide (SVG and PNG alike), three for the
            // bottleneck.
            let width = if node.hot { 1 } else { 0 };
            for d in -width..=width {
                root.draw(&Rectangle::new(
                    [(x0 - d, y0 - d), (x1 + d, y1 + d)],
                    outline.stroke_width(1),
                ))?;
            }
            let kind = match node.kind {
                NodeKind::Producer => "producer",
                NodeKind::Topic => "topic",
                NodeKind::Group => "group",
                NodeKind::Service => "service",
            };
            // The bottleneck says so at the top right, in red.
            let mark = if node.hot { 72 } else { 0 };
            let title = fit(&format!("{} ({kind})", node.name), box_w - mark, 7);
            root.draw(&Text::new(title, (x0 + 5, y0 + 3), font(13).color(&BLACK)))?;
            if node.hot {
                let at = (x1 - mark + 2, y0 + 4);
                root.draw(&Text::new("bottleneck", at, font(12).color(&HOT)))?;
            }
            for (i, line) in node.lines.iter().take(lines_fit).enumerate() {
                let text = fit(line, box_w, 6);
                let at = (x0 + 5, y0 + 18 + 13 * i as i32);
                root.draw(&Text::new(text, at, font(11).color(&RGBColor(60, 60, 60))))?;
            }
        }
        Ok(())
    }
}

/// `text` cut to what fits in `width` pixels at about `per_char` pixels a
/// character, with an ellipsis when cut.
fn fit(text: &str, width: i32, per_char: i32) -> String {
    let most = ((width - 8) / per_char).max(3) as usize;
    if text.chars().count() <= most {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(most - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, kind: NodeKind) -> Node {
        Node {
            name: name.to_owned(),
            kind,
            lines: Vec::new(),
            hot: false,
        }
    }

    #[test]
    fn each_node_sits_one_column_right_of_what_feeds_it_and_cycles_end() {
        // p → t → a → u → b, and b publishes back to t (a cycle).
        let kinds = [
            NodeKind::Producer,
            NodeKind::Topic,
            NodeKind::Group,
            NodeKind::Topic,
            NodeKind::Group,
        ];
        let chart = TopologyChart {
            title: String::new(),
            nodes: (kinds.iter().enumerate())
                .map(|(i, &k)| node(&i.to_string(), k))
                .collect(),
            edges: [(0, 1), (1, 2), (2, 3), (3, 4), (4, 1)]
                .map(|(from, to)| Edge {
                    from,
                    to,
                    call: false,
                })
                .to_vec(),
        };
        let columns = chart.columns();
        assert_eq!(columns[..3], [0, 1, 2]);
        assert!(columns.iter().all(|&c| c < 5), "{columns:?}");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(fit("short", 100, 7), "short");
        let cut = fit("a very long name indeed", 60, 7);
        assert!(cut.ends_with('…') && cut.chars().count() == 7, "{cut}");
    }
}
