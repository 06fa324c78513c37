//! # mqsim
//!
//! A fast, deterministic discrete-event simulator for message-queue
//! architectures. The `mqsim` binary only drives this library.
//!
//! ## Concepts
//!
//! A **scenario** has **producers** publishing **messages** to one **topic**,
//! which every **consumer group** reads in full (fan-out). Inside a group,
//! **workers** compete for messages, one at a time each. The topic bounds
//! each group's buffer of ready messages and applies a backpressure
//! **policy** when it is full (`reject`, `drop_oldest`, `block`, `spill`).
//! A message that leaves without being processed is a **drop**, always with a
//! reason. Failures (nacks, poison messages, ack timeouts, crashes,
//! outages, lost acks) are simulated with their duplicates and dead
//! letters. Topics have partitions; groups consume them competing or in
//! order. The vocabulary is the one in the design document.
//!
//! ## Lifecycle
//!
//! 1. [`scenario::Scenario::load`] reads a TOML or JSON file, applies
//!    `--set` overrides and validates everything, reporting every problem
//!    with its file position and field path ([`scenario::ScenarioError`]).
//! 2. [`experiment::Experiment::run`] runs the replications in parallel,
//!    each a [`model::sim::Simulation`] on the [`engine`] kernel, and
//!    aggregates every metric with a Student-t confidence interval.
//! 3. [`report`] writes `summary.json`, `timeseries.csv`, the charts and
//!    `report.html`, and the terminal table, atomically.
//!
//! The command line adds `compare` (with `--sync`, the direct-call twin:
//! the same producers linked to the group by a call instead of the topic,
//! [`model::system::Link`]), `sweep`, `merge`, `plan` and `plot` on top of
//! these ([`experiment`] holds sweeps, shards, SLOs and plans).
//!
//! ## Determinism contract
//!
//! Simulated time is integer nanoseconds, and events at equal times run in
//! the order they were scheduled. Every random source has its own portable
//! Xoshiro256++ stream, seeded from (scenario seed, replication, stream name).
//! Replications are collected in index order. The same scenario and seed
//! give byte-identical outputs at any thread count.
//!
//! ## Example
//!
//! ```
//! use mqsim::experiment::Experiment;
//! use mqsim::scenario::{Format, Scenario};
//!
//! let text = r#"
//!     horizon = "1h"
//!     replications = 4
//!     [topic]
//!     capacity = 100
//!     policy = "drop_oldest"
//!     [producers.web]
//!     arrival = { poisson = { rate_per_s = 9 } }
//!     [groups.workers]
//!     workers = 1
//!     service = { exponential = { mean = "100ms" } }
//! "#;
//! let scenario = Scenario::from_text(text, Format::Toml, "example.toml".as_ref(), &[])?;
//! let experiment = Experiment::run(&scenario)?;
//! let p99 = experiment.metric("groups.workers.e2e.p99_s").unwrap();
//! assert!(p99.ci.mean > 0.1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

//! ## The library's API
//!
//! What a program needs is re-exported here: [`Scenario`] (load and
//! validate), [`Experiment`] (run and aggregate), [`Simulation`] (one
//! replication, for tests and tools) and their errors. The modules below
//! are its namespaces; everything else is crate-private, which the
//! `unreachable_pub` lint keeps honest. The command line is the binary's
//! (`src/main.rs`, `src/cli/`), built on this API alone.

#![warn(unreachable_pub)]

pub use experiment::Experiment;
pub use model::sim::{RunError, RunOutcome, Simulation};
pub use model::system::System;
pub use scenario::{Format, Override, Scenario, ScenarioError};

pub mod decide;
pub mod engine;
pub mod experiment;
pub mod fit;
pub mod input;
pub mod model;
pub mod report;
pub mod scenario;
pub mod stats;
