//! Query-by-committee with vote entropy, SeqMix Eq. 4:
//! `γ_VE(x) = −(1/T) Σ_t Σ_m (V_m(y_t)/C) log(V_m(y_t)/C)`, where `V_m(y_t)` is the number of
//! the `C` committee members whose argmax label for word `t` is `m`.
//!
//! The committee is the main model plus `C − 1` models trained on bootstrap resamples of the
//! labeled set with their own seeds (the learner trains them, see
//! [`crate::active::learner`]); identical copies, as in the SeqMix code, would never disagree.

use crate::active::policy::{QueryPolicy, ScoreContext};
use crate::error::{Error, Result};

/// Vote-entropy query-by-committee.
#[derive(Debug, Clone, Copy)]
pub struct VoteEntropy {
    /// Committee size `C`.
    pub committee: usize,
}

/// Vote entropy of one sentence from the members' label ids (`votes[member][word]`).
pub fn vote_entropy(votes: &[Vec<usize>]) -> f64 {
    let c = votes.len() as f64;
    let t_len = votes.first().map_or(0, Vec::len);
    if t_len == 0 || votes.is_empty() {
        return 0.0;
    }
    let mut total = 0.0;
    for t in 0..t_len {
        let mut counts: Vec<(usize, usize)> = Vec::new();
        for member in votes {
            match counts.iter_mut().find(|(l, _)| *l == member[t]) {
                Some((_, n)) => *n += 1,
                None => counts.push((member[t], 1)),
            }
        }
        total -= counts
            .iter()
            .map(|&(_, n)| {
                let v = n as f64 / c;
                v * v.ln()
            })
            .sum::<f64>();
    }
    total / t_len as f64
}

impl QueryPolicy for VoteEntropy {
    fn name(&self) -> String {
        "qbc".into()
    }

    fn extra_models(&self) -> usize {
        self.committee.saturating_sub(1)
    }

    fn scores(&self, ctx: &mut ScoreContext<'_>, sentences: &[Vec<&str>]) -> Result<Vec<f64>> {
        if ctx.committee.len() + 1 != self.committee {
            return Err(Error::Model(format!(
                "qbc: committee of {} asked for, {} models given",
                self.committee,
                ctx.committee.len() + 1
            )));
        }
        let mut votes: Vec<Vec<Vec<usize>>> = vec![Vec::new(); sentences.len()];
        for model in std::iter::once(ctx.tagger).chain(ctx.committee) {
            for (k, p) in model.predict(sentences, ctx.batch_size)?.iter().enumerate() {
                votes[k].push(p.argmax());
            }
        }
        Ok(votes.iter().map(|v| vote_entropy(v)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_is_zero_and_a_split_vote_is_not() {
        assert_eq!(vote_entropy(&[vec![1, 2], vec![1, 2], vec![1, 2]]), 0.0);
        // Word 0: votes 2:1 → −(2/3 ln 2/3 + 1/3 ln 1/3); word 1 agrees.
        let want =
            -((2.0f64 / 3.0) * (2.0f64 / 3.0).ln() + (1.0 / 3.0) * (1.0f64 / 3.0).ln()) / 2.0;
        assert!((vote_entropy(&[vec![1, 2], vec![1, 2], vec![0, 2]]) - want).abs() < 1e-12);
    }
}
