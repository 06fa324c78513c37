//! Domain-free discrete-event kernel: simulated time, the event queue and
//! random streams. Nothing in here knows about messages.

mod queue;
mod rng;
mod time;

pub use queue::EventQueue;
pub use rng::{RngStream, StreamId};
pub use time::{SimDuration, SimTime};
