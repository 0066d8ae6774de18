//! From words to model inputs: word-aligned word-piece encoding ([`tokenizer`]), training
//! targets for every piece under LADA's sub-token strategies ([`align`]), word shapes for
//! uncased encoders ([`casing`]), and batches with dynamic, length-bucketed padding
//! ([`batch`]).

pub mod align;
pub mod batch;
pub mod casing;
pub mod tokenizer;

pub use align::SubtokenLabels;
pub use batch::{Batch, Example, make_batch, plan_batches};
pub use casing::Casing;
pub use tokenizer::{EncodeStats, Encoded, LongPolicy, WordTokenizer};
