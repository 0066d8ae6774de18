//! Seeded randomness.
//!
//! Every random draw in seqlab (splits, shuffles, dropout masks, λ, partners, committees,
//! bootstrap resamples) comes from an RNG the caller passes in, created from a seed with
//! [`seeded`]. The generator is ChaCha8, whose output is fixed by its specification, so the
//! same seed gives the same draws on every platform.
//!
//! ```
//! use rand::Rng;
//!
//! let mut a = seqlab::rng::seeded(7);
//! let mut b = seqlab::rng::seeded(7);
//! assert_eq!(a.random::<u64>(), b.random::<u64>());
//! ```

use rand::SeedableRng;

/// The RNG type used across seqlab.
pub type SeqRng = rand_chacha::ChaCha8Rng;

/// A generator seeded with `seed`.
pub fn seeded(seed: u64) -> SeqRng {
    SeqRng::seed_from_u64(seed)
}
