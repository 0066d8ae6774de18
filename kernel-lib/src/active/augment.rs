//! The augmentation hook of the active-learning loop (SeqMix Algorithm 1: `L* = SeqMix(⟨X,Y⟩)`,
//! `L = L ∪ ⟨X,Y⟩ ∪ L*`; the seed set is augmented too). SeqMix and LADA plug in here.

use crate::error::Result;
use crate::rng::SeqRng;
use crate::train::{Tagger, TrainItem};

/// Produces extra labeled sequences (hard or soft labels) from a newly labeled batch.
pub trait Augmenter: Send {
    /// A short name for tables.
    fn name(&self) -> String;

    /// Extra training sequences made from `new` (the batch just annotated). `labeled` is the
    /// whole labeled set including `new`; `tagger` is the model of the previous round (`None`
    /// before the first training). Draw randomness from `rng` only.
    ///
    /// # Errors
    /// Whatever the augmentation needs that can fail (a model, a file).
    fn augment(
        &mut self,
        new: &[TrainItem],
        labeled: &[TrainItem],
        tagger: Option<&Tagger>,
        rng: &mut SeqRng,
    ) -> Result<Vec<TrainItem>>;

    /// Records of the calls since the last take (for example SeqMix's case-study records), as
    /// JSON values; the experiment runner writes them beside each finished round. None by
    /// default.
    fn take_records(&mut self) -> Vec<serde_json::Value> {
        Vec::new()
    }
}

/// No augmentation: the plain active-learning baseline.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAugment;

impl Augmenter for NoAugment {
    fn name(&self) -> String {
        "none".into()
    }

    fn augment(
        &mut self,
        _new: &[TrainItem],
        _labeled: &[TrainItem],
        _tagger: Option<&Tagger>,
        _rng: &mut SeqRng,
    ) -> Result<Vec<TrainItem>> {
        Ok(Vec::new())
    }
}
