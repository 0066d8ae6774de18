//! Data augmentation for sequence labeling. Each method is an
//! [`Augmenter`](crate::active::Augmenter): the active-learning loop hands it every newly
//! labeled batch (the seed set first) and trains on what it returns as well.
//!
//! - [`seqmix`]: SeqMix (Zhang, Yu & Zhang, EMNLP 2020). It mixes word sequences in the
//!   encoder's input-embedding space and their labels with the same λ, then keeps the mixed
//!   sentences that a causal language model finds plausible.
//! - [`lada`]: LADA (Chen et al., EMNLP 2020). It interpolates hidden states of a sentence
//!   with itself (Intra) or with a near neighbour (Inter) at an encoder layer. It changes the
//!   training loss rather than adding sentences, so it plugs into training as a
//!   [`BatchLoss`](crate::train::BatchLoss).

pub mod lada;
pub mod seqmix;

pub use lada::{Lada, LadaConfig, LadaKind};
pub use seqmix::{SeqMix, SeqMixConfig, Variant};
