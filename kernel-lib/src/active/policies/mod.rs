//! The query policies, one file each.

mod bald;
mod confidence;
mod entropy;
mod mnlp;
mod qbc;
mod random;

pub use bald::Bald;
pub use confidence::{LcVariant, LeastConfidence};
pub use entropy::{TokenEntropy, normalized_entropy};
pub use mnlp::Mnlp;
pub use qbc::{VoteEntropy, vote_entropy};
pub use random::Random;
