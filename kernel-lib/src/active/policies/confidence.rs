//! Least confidence.
//!
//! - Token sum, SeqMix Eq. 2: `γ_LC'(x) = Σ_t (1 − max_y P(y_t|x))`. It grows with the
//!   sentence length, so long sentences are preferred.
//! - Token mean: the same divided by the number of words.
//! - Sequence, the Eq. 1 analogue for a softmax tagger: `1 − P(y*|x)` with `y*` the best
//!   sequence allowed by the tag scheme and `P(y*|x) = Π_t P(y*_t|x)`. The score returned is
//!   `−log P(y*|x)`, which orders sentences exactly as `1 − P(y*|x)` does but does not saturate
//!   at 1 for long sentences (where `P(y*|x)` underflows and every sentence would tie).

use crate::active::policy::{QueryPolicy, ScoreContext, from_predictions};
use crate::error::Result;
use crate::train::Prediction;

/// Which least-confidence measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LcVariant {
    /// `Σ_t (1 − max p_t)` (SeqMix Eq. 2).
    TokenSum,
    /// `(1/T) Σ_t (1 − max p_t)`.
    TokenMean,
    /// `1 − P(y*|x)`, ranked through `−log P(y*|x)`.
    Sequence,
}

/// Least-confidence sampling.
#[derive(Debug, Clone, Copy)]
pub struct LeastConfidence(pub LcVariant);

/// `Σ_t (1 − max_y p_t(y))`.
pub fn token_least_confidence(p: &Prediction) -> f64 {
    p.probs
        .iter()
        .map(|row| 1.0 - row.iter().copied().fold(0f32, f32::max) as f64)
        .sum()
}

impl QueryPolicy for LeastConfidence {
    fn name(&self) -> String {
        match self.0 {
            LcVariant::TokenSum => "lc",
            LcVariant::TokenMean => "lc-mean",
            LcVariant::Sequence => "lc-sequence",
        }
        .into()
    }

    fn scores(&self, ctx: &mut ScoreContext<'_>, sentences: &[Vec<&str>]) -> Result<Vec<f64>> {
        let variant = self.0;
        from_predictions(ctx, sentences, |p, c| match variant {
            LcVariant::TokenSum => token_least_confidence(p),
            LcVariant::TokenMean => token_least_confidence(p) / p.len().max(1) as f64,
            LcVariant::Sequence => -p.viterbi(c).1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_sum_by_hand() {
        let p = Prediction {
            probs: vec![vec![0.9, 0.1], vec![0.6, 0.4]],
        };
        assert!((token_least_confidence(&p) - 0.5).abs() < 1e-6);
    }
}
