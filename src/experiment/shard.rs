//! `--shard K/N`: the points whose index mod N is K − 1, so N machines
//! split a sweep without talking to each other.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Shard `k` of `n` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 1 ..= n.
    pub k: usize,
    /// Number of shards.
    pub n: usize,
}

impl Shard {
    /// Parses `K/N` with 1 ≤ K ≤ N.
    ///
    /// # Errors
    /// A message saying what was expected.
    ///
    /// ```
    /// use mqsim::experiment::Shard;
    /// let s = Shard::parse("2/3").unwrap();
    /// assert!(s.contains(1) && s.contains(4) && !s.contains(2));
    /// ```
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("expected --shard K/N with 1 <= K <= N, e.g. 2/8 (got \"{text}\")");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        match (k.trim().parse(), n.trim().parse()) {
            (Ok(k), Ok(n)) if 1 <= k && k <= n => Ok(Shard { k, n }),
            _ => Err(bad()),
        }
    }

    /// True when point `index` belongs to this shard.
    pub fn contains(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_points() {
        let shards: Vec<Shard> = (1..=3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for index in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(index)).count(), 1);
        }
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
