//! Reproducible subsets of a dataset: first N, seeded random N, or a percentage of either.
//!
//! Random subsets do not depend on any RNG implementation: sentences are ordered by the SHA-256
//! of `"{seed}:{index}"` and the first N are taken, then returned in source order. The same
//! subset can be computed anywhere, e.g. in Python:
//!
//! ```text
//! sorted(sorted(range(n), key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).digest())[:k])
//! ```
//!
//! Textual forms (used in configs and on the command line): `all`, `first:700`, `first:5%`,
//! `random:700:seed=1`, `random:10%:seed=3`. A percentage is of the dataset's size, rounded
//! down: `first:5%` of CoNLL-2003 train (14,041) is 702 sentences, while LADA's "5 %" is the
//! first 700, i.e. `first:700`.
//!
//! ```
//! use seqlab::data::Subset;
//!
//! let s: Subset = "random:3:seed=7".parse().unwrap();
//! let ids = s.select(10).unwrap();
//! assert_eq!(ids.len(), 3);
//! assert_eq!(ids, s.select(10).unwrap()); // same seed, same subset
//! assert_eq!("first:50%".parse::<Subset>().unwrap().select(5).unwrap(), [0, 1]);
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// How many sentences a subset takes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Amount {
    /// An exact number of sentences.
    Count(usize),
    /// A percentage (0, 100] of the dataset, rounded down.
    Percent(f64),
}

impl Amount {
    fn resolve(self, n: usize) -> Result<usize> {
        let k = match self {
            Amount::Count(k) => k,
            Amount::Percent(p) => {
                if !(p > 0.0 && p <= 100.0) {
                    return Err(Error::config(
                        "subset",
                        format!("percentage {p} is outside (0, 100]"),
                    ));
                }
                (p / 100.0 * n as f64).floor() as usize
            }
        };
        if k > n {
            return Err(Error::config(
                "subset",
                format!("asks for {k} sentences but the dataset has {n}"),
            ));
        }
        Ok(k)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amount::Count(k) => write!(f, "{k}"),
            Amount::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// A reproducible selection of sentences.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Subset {
    /// Every sentence.
    #[default]
    All,
    /// The first sentences in source order.
    First(Amount),
    /// A seeded random sample, returned in source order.
    Random {
        /// How many.
        amount: Amount,
        /// The seed.
        seed: u64,
    },
}

impl Subset {
    /// The selected indices into a dataset of `n` sentences, ascending.
    ///
    /// # Errors
    /// If the subset asks for more than `n` sentences or the percentage is out of range.
    pub fn select(&self, n: usize) -> Result<Vec<usize>> {
        match *self {
            Subset::All => Ok((0..n).collect()),
            Subset::First(a) => Ok((0..a.resolve(n)?).collect()),
            Subset::Random { amount, seed } => {
                let k = amount.resolve(n)?;
                let mut ids = hash_order(&seed.to_string(), n);
                ids.truncate(k);
                ids.sort_unstable();
                Ok(ids)
            }
        }
    }
}

/// `0..n` ordered by SHA-256 of `"{key}:{i}"`: a permutation that depends only on `key`.
pub fn hash_order(key: &str, n: usize) -> Vec<usize> {
    let mut keyed: Vec<([u8; 32], usize)> = (0..n)
        .map(|i| (Sha256::digest(format!("{key}:{i}").as_bytes()).into(), i))
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

impl fmt::Display for Subset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subset::All => f.write_str("all"),
            Subset::First(a) => write!(f, "first:{a}"),
            Subset::Random { amount, seed } => write!(f, "random:{amount}:seed={seed}"),
        }
    }
}

impl FromStr for Subset {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::config(
                "subset",
                format!(
                    "{s:?}: {why}; expected all, first:N, first:P%, random:N:seed=S or random:P%:seed=S"
                ),
            )
        };
        let parse_amount = |a: &str| -> Result<Amount> {
            if let Some(p) = a.strip_suffix('%') {
                p.parse::<f64>()
                    .map(Amount::Percent)
                    .map_err(|_| bad("the percentage is not a number"))
            } else {
                a.parse::<usize>()
                    .map(Amount::Count)
                    .map_err(|_| bad("the count is not a whole number"))
            }
        };
        let parts: Vec<&str> = s.trim().split(':').collect();
        match parts.as_slice() {
            ["all"] => Ok(Subset::All),
            ["first", a] => Ok(Subset::First(parse_amount(a)?)),
            ["random", a, seed] => {
                let seed = seed.strip_prefix("seed=").unwrap_or(seed);
                let seed = seed
                    .parse::<u64>()
                    .map_err(|_| bad("the seed is not a whole number"))?;
                Ok(Subset::Random {
                    amount: parse_amount(a)?,
                    seed,
                })
            }
            ["random", _] => Err(bad("a random subset needs a seed")),
            _ => Err(bad("unknown form")),
        }
    }
}

impl TryFrom<String> for Subset {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<Subset> for String {
    fn from(s: Subset) -> Self {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_form() {
        for s in [
            "all",
            "first:700",
            "first:5%",
            "random:700:seed=1",
            "random:12.5%:seed=3",
        ] {
            let parsed: Subset = s.parse().unwrap();
            assert_eq!(parsed.to_string(), s);
        }
        assert_eq!(
            "random:5:9".parse::<Subset>().unwrap(),
            Subset::Random {
                amount: Amount::Count(5),
                seed: 9
            }
        );
        for bad in [
            "",
            "first",
            "first:x",
            "random:5",
            "random:5:seed=-1",
            "last:3",
        ] {
            let e = bad.parse::<Subset>().unwrap_err().to_string();
            assert!(e.contains("subset"), "{e}");
        }
    }

    #[test]
    fn sizes_and_bounds() {
        assert_eq!(
            "first:5%"
                .parse::<Subset>()
                .unwrap()
                .select(14041)
                .unwrap()
                .len(),
            702
        );
        assert!("first:11".parse::<Subset>().unwrap().select(10).is_err());
        assert!("first:0%".parse::<Subset>().unwrap().select(10).is_err());
        assert!("first:101%".parse::<Subset>().unwrap().select(10).is_err());
    }

    #[test]
    fn random_subsets_are_seeded_sorted_and_distinct() {
        let a = "random:50:seed=1"
            .parse::<Subset>()
            .unwrap()
            .select(1000)
            .unwrap();
        let b = "random:50:seed=2"
            .parse::<Subset>()
            .unwrap()
            .select(1000)
            .unwrap();
        assert_eq!(a.len(), 50);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_ne!(a, b);
        // Growing the sample keeps the smaller one (prefix of the same order).
        let big = "random:100:seed=1"
            .parse::<Subset>()
            .unwrap()
            .select(1000)
            .unwrap();
        assert!(a.iter().all(|i| big.contains(i)));
    }

    #[test]
    fn hash_order_matches_the_documented_python() {
        // python3 -c 'import hashlib; print(sorted(range(8), key=lambda i:
        //   hashlib.sha256(f"7:{i}".encode()).digest()))'
        assert_eq!(hash_order("7", 8), [4, 7, 3, 2, 1, 5, 6, 0]);
    }
}
