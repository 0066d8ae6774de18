//! The mixed forward passes of LADA (§3.1): run the encoder's layers `1..m`, interpolate the
//! hidden states `h̃ₘ = λ·hₘ + (1 − λ)·h'ₘ`, run layers `m+1..L` on `h̃ₘ`, and mix the label
//! distributions with the same `λ`. The loss (Eq. 1) is then the soft cross-entropy against the
//! mixed labels, which has the same gradient as the KL divergence.
//!
//! `layer` counts the encoder layers run before mixing: `0` mixes the embeddings, `L` the
//! final hidden states.

use candle_core::{D, Tensor};

use crate::encoding::Batch;
use crate::error::{Error, Result};
use crate::model::params::candle_err;
use crate::model::{BertEncoder, Pass};
use crate::train::Tagger;

/// What a mixed pass returns: logits and the targets and loss mask to score them against.
#[derive(Debug, Clone)]
pub struct Mixed {
    /// `[B, T, C]`.
    pub logits: Tensor,
    /// Mixed targets `[B, T, C]`.
    pub targets: Tensor,
    /// Where the loss applies, `[B, T]`.
    pub mask: Tensor,
}

fn check_layer(tagger: &Tagger, layer: usize) -> Result<usize> {
    let l = tagger.encoder().num_layers();
    if layer > l {
        return Err(Error::config(
            "lada.layers",
            format!("layer {layer} is beyond this encoder's {l} layers"),
        ));
    }
    Ok(l)
}

fn labeled(batch: &Batch) -> Result<(&Tensor, &Tensor)> {
    match (&batch.targets, &batch.loss_mask) {
        (Some(t), Some(m)) => Ok((t, m)),
        _ => Err(Error::config("batch", "LADA needs labeled batches")),
    }
}

/// Intra-LADA (Eq. 3): position `t` of row `r` is mixed with position `perm[r][t]` of the same
/// sentence, hidden states at `layer` and labels alike. The context is unchanged.
///
/// # Shapes
/// `batch` of `[B, T]`, `perm`: `B` rows of `T` positions → logits `[B, T, C]`.
///
/// # Errors
/// An unlabeled batch, a bad layer or permutation, or a candle error.
pub fn intra_forward(
    tagger: &Tagger,
    batch: &Batch,
    perm: &[Vec<usize>],
    lambda: f64,
    layer: usize,
    pass: &mut Pass,
) -> Result<Mixed> {
    let l = check_layer(tagger, layer)?;
    let (targets, mask) = labeled(batch)?;
    let (b, t) = batch.ids.dims2().map_err(candle_err)?;
    if perm.len() != b
        || perm
            .iter()
            .any(|p| p.len() != t || p.iter().any(|&j| j >= t))
    {
        return Err(Error::Model(format!(
            "intra-LADA: the permutation must have {b} rows of {t} positions"
        )));
    }
    let enc = tagger.encoder();
    let mut run = || -> candle_core::Result<Mixed> {
        let bias = BertEncoder::attention_bias(&batch.mask)?;
        let h = enc.embed(&Tagger::input(batch), pass)?;
        let h = enc.run_layers(&h, &bias, 0..layer, pass)?;
        let hidden = h.dim(D::Minus1)?;
        let c = targets.dim(D::Minus1)?;
        let flat: Vec<u32> = perm.iter().flatten().map(|&j| j as u32).collect();
        let idx = Tensor::from_vec(flat, (b, t, 1), h.device())?;
        let partner = h.gather(&idx.broadcast_as((b, t, hidden))?.contiguous()?, 1)?;
        let mixed = ((&h * lambda)? + (partner * (1.0 - lambda))?)?;
        let h = enc.run_layers(&mixed, &bias, layer..l, pass)?;
        let logits = tagger.head(&h, pass)?;
        let t_partner = targets.gather(&idx.broadcast_as((b, t, c))?.contiguous()?, 1)?;
        let mixed_targets = ((targets * lambda)? + (t_partner * (1.0 - lambda))?)?;
        Ok(Mixed {
            logits,
            targets: mixed_targets,
            mask: mask.clone(),
        })
    };
    run().map_err(candle_err)
}

/// Inter-LADA (Eq. 4): `pair` holds `2B` rows padded to one length, the sentences `x` first
/// and their partners `x'` after. Both streams run layers `1..layer` under the union of the two
/// attention masks (as the authors' code does), are mixed row by row, and continue together.
/// The targets are `λ·y + (1 − λ)·y'` where either side has a label (a side without a label
/// there contributes nothing, so the loss is the λ-weighted mixture of the two losses).
///
/// # Shapes
/// `pair` of `[2B, T]` → logits `[B, T, C]`.
///
/// # Errors
/// An unlabeled or odd-sized batch, a bad layer, or a candle error.
pub fn inter_forward(
    tagger: &Tagger,
    pair: &Batch,
    lambda: f64,
    layer: usize,
    pass: &mut Pass,
) -> Result<Mixed> {
    let l = check_layer(tagger, layer)?;
    let (targets, mask) = labeled(pair)?;
    let (n2, _) = pair.ids.dims2().map_err(candle_err)?;
    if n2 % 2 != 0 || n2 == 0 {
        return Err(Error::Model(format!(
            "inter-LADA: a pair batch needs an even number of rows, found {n2}"
        )));
    }
    let b = n2 / 2;
    let enc = tagger.encoder();
    let mut run = || -> candle_core::Result<Mixed> {
        let union = pair
            .mask
            .narrow(0, 0, b)?
            .maximum(&pair.mask.narrow(0, b, b)?)?;
        let bias = BertEncoder::attention_bias(&union)?;
        let both = Tensor::cat(&[&bias, &bias], 0)?;
        let h = enc.embed(&Tagger::input(pair), pass)?;
        let h = enc.run_layers(&h, &both, 0..layer, pass)?;
        let mixed = ((h.narrow(0, 0, b)? * lambda)? + (h.narrow(0, b, b)? * (1.0 - lambda))?)?;
        let h = enc.run_layers(&mixed, &bias, layer..l, pass)?;
        let logits = tagger.head(&h, pass)?;
        let mixed_targets =
            ((targets.narrow(0, 0, b)? * lambda)? + (targets.narrow(0, b, b)? * (1.0 - lambda))?)?;
        let mask = mask.narrow(0, 0, b)?.maximum(&mask.narrow(0, b, b)?)?;
        Ok(Mixed {
            logits,
            targets: mixed_targets,
            mask,
        })
    };
    run().map_err(candle_err)
}
