//! The anchor of mqsim's speed: a minimal hand-written discrete-event
//! simulation of M/M/c, as small as one can write it. A binary heap of
//! (time, sequence, event) in integer nanoseconds, a FIFO of waiting
//! arrival times, Xoshiro256++ and exponential draws from `rand_distr`, as
//! mqsim uses; its only statistic is the total wait, so the work is not
//! optimised away. mqsim does far more per message (every statistic,
//! failure checks, time series), and the README states the ratio of the
//! two, measured in the same run.

use rand::SeedableRng;
use rand_distr::{Distribution, Exp};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// An event: an arrival, or a departure from a server.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival,
    Departure,
}

/// What a run served.
#[derive(Clone, Copy, Debug)]
pub struct Served {
    /// Customers that arrived before the horizon.
    pub arrived: u64,
    /// Customers whose service started.
    pub served: u64,
    /// Mean wait in queue of those, in seconds.
    pub mean_wait_s: f64,
}

/// M/M/`servers` with arrival rate `lambda` and service rate `mu` per
/// second, until `horizon_s`.
pub fn mmc(lambda: f64, mu: f64, servers: u32, horizon_s: f64, seed: u64) -> Served {
    let ns = |s: f64| (s * 1e9).round() as u64;
    let horizon = ns(horizon_s);
    let arrivals = Exp::new(lambda).expect("a positive rate");
    let services = Exp::new(mu).expect("a positive rate");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut events = BinaryHeap::new();
    let mut seq = 0u64;
    let mut schedule = |events: &mut BinaryHeap<_>, at: u64, e: Event| {
        seq += 1;
        events.push(Reverse((at, seq, e)));
    };
    schedule(&mut events, ns(arrivals.sample(&mut rng)), Event::Arrival);
    let (mut idle, mut waiting) = (servers, VecDeque::new());
    let (mut arrived, mut served, mut wait_ns) = (0u64, 0u64, 0u128);
    while let Some(Reverse((now, _, event))) = events.pop() {
        if now > horizon {
            break;
        }
        match event {
            Event::Arrival => {
                arrived += 1;
                let next = now + ns(arrivals.sample(&mut rng));
                schedule(&mut events, next, Event::Arrival);
                if idle > 0 {
                    idle -= 1;
                    served += 1;
                    let done = now + ns(services.sample(&mut rng));
                    schedule(&mut events, done, Event::Departure);
                } else {
                    waiting.push_back(now);
                }
            }
            Event::Departure => match waiting.pop_front() {
                Some(since) => {
                    served += 1;
                    wait_ns += u128::from(now - since);
                    let done = now + ns(services.sample(&mut rng));
                    schedule(&mut events, done, Event::Departure);
                }
                None => idle += 1,
            },
        }
    }
    Served {
        arrived,
        served,
        mean_wait_s: wait_ns as f64 / 1e9 / served.max(1) as f64,
    }
}
