//! BALD with MC dropout (Houlsby et al., 2011; Gal et al., 2017), the policy most used by the
//! peer toolkits: per word, the mutual information between the label and the weights,
//! estimated from `S` forward passes with dropout on,
//! `I_t = H(mean_s p_t^s) − mean_s H(p_t^s)`, averaged over the words.

use crate::active::policies::entropy::entropy;
use crate::active::policy::{QueryPolicy, ScoreContext};
use crate::error::Result;

/// BALD sampling.
#[derive(Debug, Clone, Copy)]
pub struct Bald {
    /// Dropout samples `S`.
    pub samples: usize,
}

impl QueryPolicy for Bald {
    fn name(&self) -> String {
        "bald".into()
    }

    fn scores(&self, ctx: &mut ScoreContext<'_>, sentences: &[Vec<&str>]) -> Result<Vec<f64>> {
        let s = self.samples.max(1);
        // mean[k][t][m] and the summed entropies per word.
        let mut mean: Vec<Vec<Vec<f64>>> = Vec::new();
        let mut ent: Vec<Vec<f64>> = Vec::new();
        for _ in 0..s {
            let preds = ctx
                .tagger
                .predict_sampled(sentences, ctx.batch_size, ctx.rng)?;
            if mean.is_empty() {
                mean = preds
                    .iter()
                    .map(|p| p.probs.iter().map(|r| vec![0.0; r.len()]).collect())
                    .collect();
                ent = preds.iter().map(|p| vec![0.0; p.len()]).collect();
            }
            for (k, p) in preds.iter().enumerate() {
                for (t, row) in p.probs.iter().enumerate() {
                    ent[k][t] += entropy(row) / s as f64;
                    for (m, &v) in row.iter().enumerate() {
                        mean[k][t][m] += v as f64 / s as f64;
                    }
                }
            }
        }
        Ok(mean
            .iter()
            .zip(&ent)
            .map(|(words, e)| {
                let n = words.len().max(1) as f64;
                words
                    .iter()
                    .zip(e)
                    .map(|(m, &h)| {
                        let hm: f64 = -m
                            .iter()
                            .filter(|&&v| v > 0.0)
                            .map(|&v| v * v.ln())
                            .sum::<f64>();
                        (hm - h).max(0.0)
                    })
                    .sum::<f64>()
                    / n
            })
            .collect())
    }
}
