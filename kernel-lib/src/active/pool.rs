//! Who is labeled: the labeled set `L` and the unlabeled pool `U` over the sentences of a
//! training split, with the invariants of active learning checked on every change.
//!
//! Sentences are named by their index in the training split. Labels stay with the dataset;
//! the pool only moves indices, so the query policies never see gold tags of `U` (they get
//! the words only, see [`crate::active::learner`]).

use std::collections::BTreeSet;

use rand::seq::index::sample;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::SeqRng;

/// How the seed set is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeedStrategy {
    /// A uniformly random subset (from the injected RNG), as the SeqMix code.
    #[default]
    Random,
    /// The first `n` sentences of the split, as LADA's low-resource settings.
    First,
}

/// What a round's query size counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BudgetUnit {
    /// Sentences (the papers).
    #[default]
    Sentences,
    /// Words: sentences are taken in score order while their words fit the budget.
    Tokens,
}

/// The labeled set and the unlabeled pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    total: usize,
    labeled: Vec<usize>,
    unlabeled: BTreeSet<usize>,
}

impl Pool {
    /// Everything unlabeled.
    pub fn new(total: usize) -> Self {
        Pool {
            total,
            labeled: Vec::new(),
            unlabeled: (0..total).collect(),
        }
    }

    /// The seed set's indices for a split of `total` sentences.
    ///
    /// # Errors
    /// `n` larger than the split.
    pub fn seed_ids(
        strategy: SeedStrategy,
        n: usize,
        total: usize,
        rng: &mut SeqRng,
    ) -> Result<Vec<usize>> {
        if n > total {
            return Err(Error::config(
                "active.seed_size",
                format!("{n} seed sentences asked for, but the training split has {total}"),
            ));
        }
        Ok(match strategy {
            SeedStrategy::First => (0..n).collect(),
            SeedStrategy::Random => {
                let mut ids = sample(rng, total, n).into_vec();
                ids.sort_unstable();
                ids
            }
        })
    }

    /// Moves `ids` from the pool to the labeled set, in the given order.
    ///
    /// # Errors
    /// An index that is out of range, already labeled, or listed twice; nothing moves then.
    pub fn label(&mut self, ids: &[usize]) -> Result<()> {
        let mut seen = BTreeSet::new();
        for &id in ids {
            if id >= self.total {
                return Err(Error::Model(format!(
                    "active learning: sentence {id} is outside the pool of {}",
                    self.total
                )));
            }
            if !self.unlabeled.contains(&id) || !seen.insert(id) {
                return Err(Error::Model(format!(
                    "active learning: sentence {id} was queried twice"
                )));
            }
        }
        for &id in ids {
            self.unlabeled.remove(&id);
            self.labeled.push(id);
        }
        self.check()
    }

    /// Checks `|L| + |U| = N` and that the two sets are disjoint.
    ///
    /// # Errors
    /// A broken invariant (a bug, reported rather than hidden).
    pub fn check(&self) -> Result<()> {
        let distinct: BTreeSet<usize> = self.labeled.iter().copied().collect();
        if distinct.len() != self.labeled.len()
            || self.labeled.len() + self.unlabeled.len() != self.total
            || distinct.iter().any(|id| self.unlabeled.contains(id))
        {
            return Err(Error::Model(format!(
                "active learning invariant broken: |L| = {}, |U| = {}, N = {}",
                self.labeled.len(),
                self.unlabeled.len(),
                self.total
            )));
        }
        Ok(())
    }

    /// The labeled indices, in the order they were labeled.
    pub fn labeled(&self) -> &[usize] {
        &self.labeled
    }

    /// The unlabeled indices, ascending.
    pub fn unlabeled(&self) -> Vec<usize> {
        self.unlabeled.iter().copied().collect()
    }

    /// `|U|`.
    pub fn unlabeled_len(&self) -> usize {
        self.unlabeled.len()
    }

    /// `N = |L| + |U|`.
    pub fn total(&self) -> usize {
        self.total
    }
}

/// The top of a ranking: candidates sorted by score (highest first, ties by the lower index),
/// then taken while the budget lasts. With [`BudgetUnit::Tokens`] a sentence that does not fit
/// is skipped and smaller ones after it may still be taken; when none fits, the best one is
/// taken alone.
///
/// `lengths[i]` is the word count of `candidates[i]`.
pub fn select_top(
    candidates: &[usize],
    scores: &[f64],
    lengths: &[usize],
    budget: usize,
    unit: BudgetUnit,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        scores[b]
            .total_cmp(&scores[a])
            .then(candidates[a].cmp(&candidates[b]))
    });
    match unit {
        BudgetUnit::Sentences => order
            .into_iter()
            .take(budget)
            .map(|i| candidates[i])
            .collect(),
        BudgetUnit::Tokens => {
            let (mut used, mut out) = (0usize, Vec::new());
            for &i in &order {
                if used + lengths[i] <= budget {
                    used += lengths[i];
                    out.push(candidates[i]);
                }
                if used >= budget {
                    break;
                }
            }
            if out.is_empty() {
                out.extend(order.first().map(|&i| candidates[i]));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labeling_keeps_the_invariants_and_refuses_repeats() {
        let mut pool = Pool::new(10);
        let seed = Pool::seed_ids(SeedStrategy::Random, 3, 10, &mut crate::rng::seeded(1)).unwrap();
        assert_eq!(seed.len(), 3);
        pool.label(&seed).unwrap();
        assert_eq!(pool.labeled().len() + pool.unlabeled_len(), 10);
        assert!(pool.label(&[seed[0]]).is_err(), "queried twice");
        let free = pool.unlabeled();
        assert!(pool.label(&[free[0], free[0]]).is_err(), "listed twice");
        assert!(pool.label(&[10]).is_err(), "out of range");
        // A refused call moves nothing.
        assert_eq!(pool.unlabeled(), free);
        pool.label(&free[..2]).unwrap();
        assert_eq!(pool.labeled().len(), 5);
        assert_eq!(
            Pool::seed_ids(SeedStrategy::First, 2, 10, &mut crate::rng::seeded(1)).unwrap(),
            [0, 1]
        );
        assert!(Pool::seed_ids(SeedStrategy::First, 11, 10, &mut crate::rng::seeded(1)).is_err());
    }

    #[test]
    fn top_k_by_score_then_index_and_token_budgets() {
        let cands = [4, 7, 9, 12];
        let scores = [0.5, 0.9, 0.5, 0.1];
        let lens = [3, 10, 2, 1];
        assert_eq!(
            select_top(&cands, &scores, &lens, 3, BudgetUnit::Sentences),
            [7, 4, 9]
        );
        // 7 (10 words) does not fit in 6; then 4 (3) and 9 (2) and 12 (1) do.
        assert_eq!(
            select_top(&cands, &scores, &lens, 6, BudgetUnit::Tokens),
            [4, 9, 12]
        );
        // Nothing fits: the best one is still taken.
        assert_eq!(
            select_top(&cands, &scores, &lens, 0, BudgetUnit::Tokens),
            [7]
        );
    }
}
