//! Causal language models as a plausibility score: SeqMix's discriminator (§3.3, Eq. 9–10)
//! accepts a generated sentence `x` when `s₁ ≤ PPL(x) ≤ s₂`, with
//! `PPL(x) = exp(−(1/T) Σₜ log p(xₜ | x₍<ₜ₎))`.
//!
//! Two implementations of [`CausalLm`]: [`crate::model::llama::QuantizedLlama`] (SmolLM2-135M
//! from its GGUF file, the model this machine can get) and [`crate::model::gpt2::Gpt2`] (any
//! Hugging Face GPT-2 folder; GPT-2 is what the paper names). Both score every position in
//! one batched forward pass; text is prefixed with the model's document-start token so that
//! the first word is predicted too.

use candle_core::{D, Tensor};

use crate::error::Result;
use crate::model::params::candle_err;

/// A left-to-right language model that scores texts.
pub trait CausalLm {
    /// A short name for reports.
    fn name(&self) -> String;

    /// Token ids of a text, without the document-start prefix.
    ///
    /// # Errors
    /// A tokenizer failure.
    fn encode(&self, text: &str) -> Result<Vec<u32>>;

    /// Log-probability of every token of each sequence given its prefix (the first token given
    /// the document-start token). Sequences are scored in batches by length.
    ///
    /// # Errors
    /// A model failure.
    fn token_logprobs(&self, sequences: &[Vec<u32>]) -> Result<Vec<Vec<f32>>>;

    /// Perplexities `exp(mean NLL)` of texts (SeqMix Eq. 9); an empty text gets `NaN`.
    ///
    /// # Errors
    /// A tokenizer or model failure.
    fn perplexity(&self, texts: &[&str]) -> Result<Vec<f64>> {
        let seqs = texts
            .iter()
            .map(|t| self.encode(t))
            .collect::<Result<Vec<_>>>()?;
        Ok(self
            .token_logprobs(&seqs)?
            .iter()
            .map(|lp| perplexity_of(lp))
            .collect())
    }
}

/// `exp(−mean(log p))`, or `NaN` for no token.
pub fn perplexity_of(logprobs: &[f32]) -> f64 {
    if logprobs.is_empty() {
        return f64::NAN;
    }
    let mean: f64 = logprobs.iter().map(|&l| l as f64).sum::<f64>() / logprobs.len() as f64;
    (-mean).exp()
}

/// Log-probabilities of `targets` under `logits`.
///
/// # Shapes
/// `logits`: `[B, T, V]`, `targets`: `[B, T]` u32 → `[B, T]` f32.
pub fn gather_logprobs(logits: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    log_p
        .gather(&targets.unsqueeze(D::Minus1)?, D::Minus1)?
        .squeeze(D::Minus1)
}

/// Batches sequences by length, runs `forward` on `[prefix] + tokens` (right-padded with
/// `pad`) and collects each real token's log-probability. `forward` maps `[B, T]` ids to
/// `[B, T, V]` logits with causal attention, so right padding never reaches real tokens.
///
/// # Errors
/// A model failure.
pub fn score_batched(
    sequences: &[Vec<u32>],
    prefix: u32,
    pad: u32,
    max_len: usize,
    batch_size: usize,
    device: &candle_core::Device,
    forward: &dyn Fn(&Tensor) -> candle_core::Result<Tensor>,
) -> Result<Vec<Vec<f32>>> {
    let mut order: Vec<usize> = (0..sequences.len()).collect();
    order.sort_by_key(|&i| (sequences[i].len(), i));
    let mut out = vec![Vec::new(); sequences.len()];
    for group in order.chunks(batch_size.max(1)) {
        // Input: prefix + tokens[..n-1]; targets: tokens. Long sequences keep their head.
        let lens: Vec<usize> = group
            .iter()
            .map(|&i| sequences[i].len().min(max_len.saturating_sub(1)))
            .collect();
        let t = lens.iter().copied().max().unwrap_or(0);
        if t == 0 {
            continue;
        }
        let mut inputs = vec![pad; group.len() * t];
        let mut targets = vec![pad; group.len() * t];
        for (r, (&i, &n)) in group.iter().zip(&lens).enumerate() {
            let s = &sequences[i][..n];
            for j in 0..n {
                inputs[r * t + j] = if j == 0 { prefix } else { s[j - 1] };
                targets[r * t + j] = s[j];
            }
        }
        let lp = (|| -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = Tensor::from_vec(inputs, (group.len(), t), device)?;
            let tg = Tensor::from_vec(targets, (group.len(), t), device)?;
            gather_logprobs(&forward(&ids)?, &tg)?.to_vec2::<f32>()
        })()
        .map_err(candle_err)?;
        for ((&i, &n), row) in group.iter().zip(&lens).zip(lp) {
            out[i] = row[..n].to_vec();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perplexity_is_exp_of_mean_nll() {
        let lp = [(0.5f32).ln(), (0.25f32).ln()];
        // mean NLL = (ln 2 + ln 4)/2 = 1.5 ln 2 → PPL = 2^1.5
        assert!((perplexity_of(&lp) - 2f64.powf(1.5)).abs() < 1e-6);
        assert!(perplexity_of(&[]).is_nan());
    }

    #[test]
    fn gather_picks_target_logprobs() {
        let dev = candle_core::Device::Cpu;
        let logits = Tensor::new(&[[[0f32, 0.], [2., 0.]]], &dev).unwrap();
        let targets = Tensor::new(&[[1u32, 0]], &dev).unwrap();
        let lp: Vec<Vec<f32>> = gather_logprobs(&logits, &targets)
            .unwrap()
            .to_vec2()
            .unwrap();
        assert!((lp[0][0] - 0.5f32.ln()).abs() < 1e-6);
        let s = 1.0 / (1.0 + (-2f32).exp());
        assert!((lp[0][1] - s.ln()).abs() < 1e-6);
    }
}
