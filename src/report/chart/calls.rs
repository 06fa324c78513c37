//! Calls over time: per call link, what its resilience patterns did each
//! second (errors, calls the breaker refused, hedges, retries a budget
//! held back), from `calls.csv`, so a breaker opening or a retry storm
//! shows where it happened.

use super::{Draw, DrawResult, Line, draw_over_time};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Data for the calls chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CallsChart {
    /// Caption.
    pub title: String,
    /// Per link and count, its rate per second over time.
    pub lines: Vec<Line>,
}

impl Draw for CallsChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_over_time(root, &self.title, "per second", &self.lines)
    }
}
