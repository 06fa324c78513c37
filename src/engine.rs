//! Domain-free discrete-event kernel: simulated time, the event queue and
//! random streams. Nothing in here knows about messages.

mod queue;
mod rng;
mod slab;
mod time;

pub use queue::EventQueue;
pub use rng::{RngStream, StreamId, hash_uniform};
pub use slab::Slab;
pub use time::{SimDuration, SimTime, round_positive};
