//! A producer's validated settings.

use super::arrival::ArrivalProcess;
use super::distribution::Distribution;
use super::key::KeyChooser;
use crate::engine::SimTime;

/// A source of messages.
#[derive(Clone, Debug)]
pub struct ProducerSpec {
    /// Name, unique among producers.
    pub name: String,
    /// When messages are created (the initial state of the process).
    pub arrival: ArrivalProcess,
    /// How keys are chosen.
    pub keys: KeyChooser,
    /// Size in bytes.
    pub size: Distribution,
    /// First instant at which the producer may publish.
    pub start: SimTime,
    /// The producer publishes nothing at or after this instant.
    pub stop: SimTime,
}
