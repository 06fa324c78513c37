//! Workers over time: those up and those paid for (starting, up, crashed
//! or leaving), per group, so autoscaling's reaction and crashes show.

use super::{Draw, DrawResult, Line, draw_over_time};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Data for the workers chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct WorkersChart {
    /// Caption.
    pub title: String,
    /// Workers over time, up and paid for, per group.
    pub workers: Vec<Line>,
}

impl Draw for WorkersChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_over_time(root, &self.title, "workers", &self.workers)
    }
}
