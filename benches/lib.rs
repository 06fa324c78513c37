//! The benchmarks of mqsim (see `throughput.rs` and `sweep.rs`); this
//! library is empty, a package needs a target besides its benchmarks.
