//! Active learning: the labeled set and the pool ([`pool`]), query policies ([`policy`], one
//! file each in [`policies`]), the augmentation hook ([`augment`]) and the round loop
//! ([`learner`]). The experiment runner ([`crate::experiment`]) drives the loop over seeds,
//! writes results and resumes killed runs.
//!
//! One round (SeqMix Algorithm 1): score the pool `U` with the policy, take the top `K`,
//! reveal their gold labels (the simulated annotator), augment the new batch, train on
//! `L ∪ L*`, evaluate on dev and test. Round 0 labels the seed set instead of querying.

pub mod augment;
pub mod learner;
pub mod policies;
pub mod policy;
pub mod pool;

pub use augment::{Augmenter, NoAugment};
pub use learner::{ActiveConfig, ActiveLearner, Regime, RoundResult, ScoreSummary};
pub use policy::{PolicyConfig, QueryPolicy, ScoreContext};
pub use pool::{BudgetUnit, Pool, SeedStrategy, select_top};
