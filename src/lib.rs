//! mqsim: a discrete-event simulator for message-queue architectures.
pub mod cli;
pub mod engine;
pub mod experiment;
pub mod model;
pub mod report;
pub mod scenario;
pub mod stats;
