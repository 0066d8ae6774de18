//! Normalized token entropy, SeqMix Eq. 3:
//! `γ_TE(x) = −(1/T) Σ_t Σ_m P_m(y_t|x) log P_m(y_t|x)` (with `0 log 0 = 0`).

use crate::active::policy::{QueryPolicy, ScoreContext, from_predictions};
use crate::error::Result;
use crate::train::Prediction;

/// Normalized-token-entropy sampling.
#[derive(Debug, Clone, Copy)]
pub struct TokenEntropy;

/// Entropy of one distribution, in nats.
pub(crate) fn entropy(row: &[f32]) -> f64 {
    -row.iter()
        .filter(|&&v| v > 0.0)
        .map(|&v| v as f64 * (v as f64).ln())
        .sum::<f64>()
}

/// `−(1/T) Σ_t Σ_m p log p`.
pub fn normalized_entropy(p: &Prediction) -> f64 {
    p.probs.iter().map(|r| entropy(r)).sum::<f64>() / p.len().max(1) as f64
}

impl QueryPolicy for TokenEntropy {
    fn name(&self) -> String {
        "nte".into()
    }

    fn scores(&self, ctx: &mut ScoreContext<'_>, sentences: &[Vec<&str>]) -> Result<Vec<f64>> {
        from_predictions(ctx, sentences, |p, _| normalized_entropy(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_rows_have_log_m_entropy() {
        let p = Prediction {
            probs: vec![vec![0.25; 4], vec![1.0, 0.0, 0.0, 0.0]],
        };
        assert!((normalized_entropy(&p) - 4f64.ln() / 2.0).abs() < 1e-9);
    }
}
