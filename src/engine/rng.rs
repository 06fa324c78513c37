//! Portable, value-stable random streams. Every stochastic source gets its
//! own generator seeded from (scenario seed, replication, stream id), so
//! adding a producer never shifts the numbers another one draws.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every random stream: Xoshiro256++, whose output for
/// a given seed is fixed by its published algorithm, not by a crate version.
pub type RngStream = Xoshiro256PlusPlus;

/// Identifies one random stream within a replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamId(pub u64);

impl StreamId {
    /// A stream id from a stable name such as `"producer/web/arrival"`
    /// (64-bit FNV-1a), independent of declaration order.
    pub fn named(name: &str) -> StreamId {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in name.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        StreamId(hash)
    }

    /// The generator for this stream in replication `replication` of a run
    /// seeded with `seed`.
    pub fn rng(self, seed: u64, replication: u64) -> RngStream {
        let mixed = splitmix64(splitmix64(splitmix64(seed) ^ replication) ^ self.0);
        RngStream::seed_from_u64(mixed)
    }
}

/// A uniform number in [0, 1) that is a fixed function of `(salt, x)`: for
/// properties drawn once per item (is this message poison?) without state.
pub fn hash_uniform(salt: u64, x: u64) -> f64 {
    (splitmix64(salt ^ splitmix64(x)) >> 11) as f64 / (1u64 << 53) as f64
}

/// SplitMix64's finaliser: a bijective 64-bit mix.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Pins the first draws of a fixed seed: if this changes, every
    /// published result changes, so it must only change on purpose.
    #[test]
    fn first_samples_of_a_fixed_seed_are_pinned() {
        let mut rng = StreamId::named("producer/web/arrival").rng(42, 0);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(got, PINNED);
    }

    const PINNED: [u64; 3] = [
        16_754_640_021_663_558_339,
        8_535_649_027_210_331_465,
        7_632_737_236_703_356_679,
    ];

    #[test]
    fn hash_uniform_is_fixed_and_roughly_uniform() {
        assert_eq!(hash_uniform(7, 3), hash_uniform(7, 3));
        assert_ne!(hash_uniform(7, 3), hash_uniform(8, 3));
        // 100,000 draws: the share below 0.3 within 4.5 standard errors.
        let n = 100_000u64;
        let below = (0..n).filter(|&x| hash_uniform(42, x) < 0.3).count() as f64;
        let sd = (n as f64 * 0.3 * 0.7).sqrt();
        assert!((below - 0.3 * n as f64).abs() < 4.5 * sd, "{below}");
    }

    #[test]
    fn streams_differ_by_seed_replication_and_name() {
        let a = StreamId::named("a").rng(1, 0).next_u64();
        assert_ne!(a, StreamId::named("a").rng(2, 0).next_u64());
        assert_ne!(a, StreamId::named("a").rng(1, 1).next_u64());
        assert_ne!(a, StreamId::named("b").rng(1, 0).next_u64());
        assert_eq!(a, StreamId::named("a").rng(1, 0).next_u64());
    }
}
