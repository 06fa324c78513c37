//! The integration tests, as modules of one test binary (one link instead of
//! one per file).

mod alerts;
mod analytic;
mod autoscale;
mod browser;
mod calibration;
mod calls;
mod cli;
mod common;
mod compare;
mod decide;
mod determinism;
mod failures;
mod golden;
mod keys;
mod layers;
mod micro;
mod networks;
mod partitions;
mod plan;
mod presets;
mod properties;
mod reference;
mod reliability;
mod report;
mod resilience;
mod scenarios;
mod schema;
mod support;
mod sweep;
mod sync;
