//! The benchmarks of mqsim (see `throughput.rs` and `sweep.rs`), and the
//! minimal event-list simulation they measure mqsim against.

pub mod minimal_des;
