//! A producer's validated settings.

use super::arrival::ArrivalProcess;
use super::backoff::Backoff;
use super::distribution::Distribution;
use super::key::KeyChooser;
use super::link::CallLinkSpec;
use crate::engine::{SimDuration, SimTime};

/// A source of messages.
#[derive(Clone, Debug)]
pub struct ProducerSpec {
    /// Name, unique among producers.
    pub name: String,
    /// Index of the topic it publishes to (in [`super::system::System::topics`]);
    /// `usize::MAX` for a producer that calls a service instead.
    pub topic: usize,
    /// The service it calls directly instead of publishing: each message
    /// is a request that holds its caller until the answer.
    pub call: Option<CallLinkSpec>,
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
    /// Publish failures and retries.
    pub faults: ProducerFaults,
    /// Its messages' priorities.
    pub priority: Priorities,
}

/// The priorities of a producer's messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Priorities {
    /// Every message has this one.
    Fixed(u8),
    /// By share: (cumulative share, priority), in order; past the last
    /// cumulative share, priority 0.
    Shares(Vec<(f64, u8)>),
}

impl Priorities {
    /// The priority of the message whose draw is `u` (uniform in 0-1).
    pub fn of(&self, u: f64) -> u8 {
        match self {
            Priorities::Fixed(p) => *p,
            Priorities::Shares(shares) => (shares.iter())
                .find(|(upto, _)| u < *upto)
                .map_or(0, |&(_, p)| p),
        }
    }

    /// Whether every message has priority 0.
    pub fn is_none(&self) -> bool {
        *self == Priorities::Fixed(0)
    }
}

impl ProducerSpec {
    /// Whether it publishes to topic `t` (a producer that calls publishes
    /// nowhere).
    pub fn publishes_to(&self, t: usize) -> bool {
        self.call.is_none() && self.topic == t
    }
}

/// How a producer's publishes fail and are retried.
#[derive(Clone, Debug)]
pub struct ProducerFaults {
    /// The publish waits for the broker's answer; without (fire and
    /// forget) a refusal is never reported, retried or counted as the
    /// caller's error.
    pub acks: bool,
    /// Probability that an accepted publish's ack never arrives.
    pub ack_loss: f64,
    /// How long the producer waits for an ack before retrying.
    pub ack_timeout: SimDuration,
    /// The broker discards a retried publish it already has.
    pub idempotent: bool,
    /// Retries after a rejected or unacknowledged publish (0: none).
    pub retry_attempts: u32,
    /// Wait before each retry.
    pub retry_backoff: Backoff,
    /// Crashes: when, and how long the producer stays down.
    pub crashes: Vec<(SimTime, SimDuration)>,
    /// Every message is malformed (poison for every group).
    pub poison: bool,
}

impl Default for ProducerFaults {
    fn default() -> Self {
        ProducerFaults {
            acks: true,
            ack_loss: 0.0,
            ack_timeout: SimDuration::from_secs(5),
            idempotent: false,
            retry_attempts: 0,
            retry_backoff: Backoff::NONE,
            crashes: Vec::new(),
            poison: false,
        }
    }
}
