//! Accumulators for what a run measures: latency histograms, time-weighted
//! averages, running moments and confidence intervals. No I/O, no engine:
//! times are plain nanoseconds.

mod interval;
mod latency;
pub mod theory;
mod time_average;
mod welford;

pub use interval::{ConfidenceInterval, student_t_quantile};
pub use latency::{LatencyHistogram, LatencySummary};
pub use time_average::TimeAverage;
pub use welford::Welford;
