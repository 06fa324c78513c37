//! Message keys: how a producer picks each message's key (which, through
//! the partitioner, picks its partition and ordering group).

mod alias;

use alias::AliasTable;
use rand::RngExt;
use rand::distr::{Bernoulli, Uniform};
use rand_distr::Zipf;

use super::ParamError;
use super::distribution::check;
use crate::engine::RngStream;

/// How a producer picks each message's key, a number in `0..key_count()`.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyChooser {
    /// No key: each message gets a key of its own, [`KEYLESS`] with its
    /// id (see [`own_key`]), which spreads keyless messages evenly over
    /// partitions, as Kafka's partitioner spreads records without a key.
    Keyless,
    /// Every message has key 0.
    Single,
    /// Keys uniform over `0..n`.
    Uniform(UniformKeys),
    /// Zipf-distributed keys: key `r − 1` has weight `1/rˢ`.
    Zipf(ZipfKeys),
    /// One hot key (0) takes a share; the rest are uniform over `1..n`.
    Hot(HotKey),
}

/// Keys uniform over `0..n`.
#[derive(Clone, Debug, PartialEq)]
pub struct UniformKeys {
    n: u64,
    keys: Uniform<u64>,
}

/// Zipf keys over `0..n` with exponent `s` (rank 1 is key 0).
#[derive(Clone, Debug, PartialEq)]
pub struct ZipfKeys {
    n: u64,
    sampler: ZipfSampler,
}

/// Up to this many keys, Zipf keys are drawn from an alias table (O(1),
/// no `powf`; 12 bytes a key, 768 KiB at most); above it by
/// rejection-inversion (O(1) expected, two `powf` a draw; no table).
pub(crate) const ZIPF_TABLE_MAX_KEYS: u64 = 1 << 16;

/// How Zipf keys are drawn.
#[derive(Clone, Debug, PartialEq)]
enum ZipfSampler {
    /// Walker's alias method over the ranks' weights.
    Table(AliasTable),
    /// Hörmann and Derflinger's rejection-inversion (`rand_distr::Zipf`).
    Rejection(Zipf<f64>),
}

/// Key 0 with probability `share`, otherwise uniform over `1..n`.
#[derive(Clone, Debug, PartialEq)]
pub struct HotKey {
    n: u64,
    hot: Bernoulli,
    cold: Uniform<u64>,
}

impl KeyChooser {
    /// Messages without a key.
    pub fn keyless() -> KeyChooser {
        KeyChooser::Keyless
    }

    /// Every message has key 0.
    pub fn single() -> KeyChooser {
        KeyChooser::Single
    }

    /// Keys uniform over `0..n`.
    ///
    /// # Errors
    /// If `n` is 0.
    pub fn uniform(n: u64) -> Result<KeyChooser, ParamError> {
        let keys = Uniform::new(0, n).map_err(|_| at_least("n", 1, n))?;
        Ok(KeyChooser::Uniform(UniformKeys { n, keys }))
    }

    /// Zipf keys over `0..n` with exponent `s >= 0` (`s = 0` is uniform):
    /// key `r − 1` has probability `r⁻ˢ / H(n, s)`.
    ///
    /// # Errors
    /// If `n` is 0 or `s` is negative or not finite.
    pub fn zipf(n: u64, s: f64) -> Result<KeyChooser, ParamError> {
        if n == 0 {
            return Err(at_least("n", 1, n));
        }
        let s = check::non_negative("s", s)?;
        let zipf = Zipf::new(n as f64, s)
            .map_err(|e| ParamError::new("s", format!("gives no valid Zipf distribution ({e})")))?;
        let sampler = if n <= ZIPF_TABLE_MAX_KEYS {
            let weights: Vec<f64> = (1..=n).map(|r| (r as f64).powf(-s)).collect();
            ZipfSampler::Table(AliasTable::new(&weights))
        } else {
            ZipfSampler::Rejection(zipf)
        };
        Ok(KeyChooser::Zipf(ZipfKeys { n, sampler }))
    }

    /// Key 0 takes `share` of the messages; the others are uniform over
    /// `1..n`.
    ///
    /// # Errors
    /// If `n` is below 2 or `share` is not in `[0, 1]`.
    pub fn hot(n: u64, share: f64) -> Result<KeyChooser, ParamError> {
        let cold = Uniform::new(1, n).map_err(|_| at_least("n", 2, n))?;
        let share = check::probability("share", share)?;
        let hot = Bernoulli::new(share).map_err(|_| {
            ParamError::new("share", format!("must be between 0 and 1 (got {share})"))
        })?;
        Ok(KeyChooser::Hot(HotKey { n, hot, cold }))
    }

    /// Draws one key.
    #[inline]
    pub fn sample(&self, rng: &mut RngStream) -> u64 {
        match self {
            KeyChooser::Keyless => KEYLESS,
            KeyChooser::Single => 0,
            KeyChooser::Uniform(u) => rng.sample(u.keys),
            KeyChooser::Zipf(z) => match &z.sampler {
                ZipfSampler::Table(table) => table.sample(rng),
                ZipfSampler::Rejection(zipf) => {
                    let rank: f64 = rng.sample(zipf);
                    (rank as u64).clamp(1, z.n) - 1
                }
            },
            KeyChooser::Hot(h) => {
                if rng.sample(h.hot) {
                    0
                } else {
                    rng.sample(h.cold)
                }
            }
        }
    }

    /// How many distinct keys can be drawn.
    pub fn key_count(&self) -> u64 {
        match self {
            KeyChooser::Keyless => u64::MAX,
            KeyChooser::Single => 1,
            KeyChooser::Uniform(u) => u.n,
            KeyChooser::Zipf(z) => z.n,
            KeyChooser::Hot(h) => h.n,
        }
    }
}

/// The bit every keyless message's key has (explicit keys stay below it).
pub const KEYLESS: u64 = 1 << 63;

/// The key message `id` goes with, given the `key` drawn for it: a
/// keyless message's own key (unique, so a key hash spreads them).
#[inline]
pub fn own_key(key: u64, id: u64) -> u64 {
    if key == KEYLESS { KEYLESS | id } else { key }
}

/// `field` must be at least `min`.
fn at_least(field: &str, min: u64, got: u64) -> ParamError {
    ParamError::new(field, format!("must be >= {min} (got {got})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StreamId;

    /// Draws per test; counts are Binomial(N, p), compared with a 4.5σ
    /// band (two-sided false-failure rate ~7e-6 per comparison).
    const N: u64 = 200_000;
    const Z: f64 = 4.5;

    fn counts(keys: &KeyChooser, name: &str) -> Vec<u64> {
        let mut rng = StreamId::named(name).rng(1, 0);
        let mut counts = vec![0; keys.key_count() as usize];
        for _ in 0..N {
            counts[keys.sample(&mut rng) as usize] += 1;
        }
        counts
    }

    fn assert_share(count: u64, p: f64, what: &str) {
        let n = N as f64;
        let tol = Z * (n * p * (1.0 - p)).sqrt();
        let expected = n * p;
        let got = count as f64;
        assert!(
            (got - expected).abs() <= tol,
            "{what}: {got} vs {expected} ± {tol}"
        );
    }

    #[test]
    fn single_is_always_zero() {
        let mut rng = StreamId::named("keys/single").rng(1, 0);
        assert_eq!(KeyChooser::single().sample(&mut rng), 0);
    }

    #[test]
    fn uniform_frequencies_are_equal() {
        let counts = counts(&KeyChooser::uniform(10).unwrap(), "keys/uniform");
        for (key, &c) in counts.iter().enumerate() {
            assert_share(c, 0.1, &format!("key {key}"));
        }
    }

    #[test]
    fn hot_key_takes_its_share() {
        let counts = counts(&KeyChooser::hot(5, 0.3).unwrap(), "keys/hot");
        assert_share(counts[0], 0.3, "hot key");
        for (key, &c) in counts.iter().enumerate().skip(1) {
            assert_share(c, 0.7 / 4.0, &format!("cold key {key}"));
        }
    }

    #[test]
    fn zipf_keys_use_the_table_up_to_its_limit() {
        let sampler = |n| match KeyChooser::zipf(n, 1.0).unwrap() {
            KeyChooser::Zipf(z) => matches!(z.sampler, ZipfSampler::Table(_)),
            _ => unreachable!("zipf keys"),
        };
        assert!(sampler(1));
        assert!(sampler(ZIPF_TABLE_MAX_KEYS));
        assert!(!sampler(ZIPF_TABLE_MAX_KEYS + 1));
    }

    #[test]
    fn zipf_rank_one_frequency_is_one_over_h() {
        // The alias table, and rejection-inversion above its limit.
        let above = ZIPF_TABLE_MAX_KEYS + 1000;
        for (n, s) in [
            (100, 1.1),
            (1000, 0.8),
            (7, 0.0),
            (above, 1.1),
            (above, 0.6),
        ] {
            let keys = KeyChooser::zipf(n, s).unwrap();
            let counts = counts(&keys, &format!("keys/zipf/{n}"));
            let h: f64 = (1..=n).map(|r| (r as f64).powf(-s)).sum();
            assert_share(counts[0], 1.0 / h, &format!("zipf({n}, {s}) rank 1"));
            assert_share(
                counts[1],
                2f64.powf(-s) / h,
                &format!("zipf({n}, {s}) rank 2"),
            );
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let err = |r: Result<KeyChooser, ParamError>| r.unwrap_err();
        assert_eq!(
            err(KeyChooser::uniform(0)),
            ParamError::new("n", "must be >= 1 (got 0)")
        );
        assert_eq!(err(KeyChooser::zipf(0, 1.0)).field, "n");
        assert_eq!(
            err(KeyChooser::zipf(10, -1.0)),
            ParamError::new("s", "must be a finite number >= 0 (got -1)")
        );
        assert_eq!(
            err(KeyChooser::hot(1, 0.5)),
            ParamError::new("n", "must be >= 2 (got 1)")
        );
        assert_eq!(
            err(KeyChooser::hot(3, 1.5)),
            ParamError::new("share", "must be between 0 and 1 (got 1.5)")
        );
        assert_eq!(err(KeyChooser::hot(3, f64::NAN)).field, "share");
    }
}
