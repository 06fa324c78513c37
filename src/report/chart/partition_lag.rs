//! Lag per partition over time: ready messages in each partition, so a hot
//! partition falling behind stands out from the ones that keep up.

use super::{Draw, DrawResult, Line, draw_over_time};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Data for the partition lag chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PartitionLagChart {
    /// Caption.
    pub title: String,
    /// Ready messages over time, one line per group and partition.
    pub depth: Vec<Line>,
}

impl Draw for PartitionLagChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_over_time(root, &self.title, "lag (ready messages)", &self.depth)
    }
}
