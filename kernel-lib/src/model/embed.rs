//! Sentence embeddings and exact k-nearest neighbours (LADA's partner search, §3.3).
//!
//! [`SentenceEmbedder`] reproduces sentence-transformers' all-MiniLM-L6-v2: mean pooling of the
//! last hidden state over the attention mask, then L2 normalisation. [`knn`] finds the exact
//! nearest neighbours by Euclidean distance with blocked matrix products on the device
//! (`‖q−k‖² = ‖q‖² + ‖k‖² − 2 q·k`), ties broken by index.

use std::path::Path;

use candle_core::{D, DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::encoding::tokenizer::{LongPolicy, WordTokenizer};
use crate::error::{Error, Result};
use crate::model::bert::{BertConfig, BertEncoder, EncoderInput};
use crate::model::ops::Pass;
use crate::model::params::{ParamStore, candle_err};

/// Query rows per block in [`knn`].
pub const KNN_BLOCK: usize = 1024;

/// A sentence encoder: BERT, mean pooling, L2 normalisation.
#[derive(Debug, Clone)]
pub struct SentenceEmbedder {
    encoder: BertEncoder,
    tokenizer: WordTokenizer,
    batch_size: usize,
}

#[derive(Deserialize)]
struct SbertConfig {
    max_seq_length: usize,
}

impl SentenceEmbedder {
    /// Loads a model folder (`config.json`, `model.safetensors`, `tokenizer.json`; the
    /// sentence-transformers `sentence_bert_config.json` sets the input limit when present).
    ///
    /// # Errors
    /// Missing or malformed files.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let cfg = BertConfig::from_file(&dir.join("config.json"))?;
        let store =
            ParamStore::load_encoder(&dir.join("model.safetensors"), device, false, |_| false)?;
        let encoder = BertEncoder::load(store.var_builder(), &cfg).map_err(candle_err)?;
        let limit = std::fs::read_to_string(dir.join("sentence_bert_config.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<SbertConfig>(&s).ok())
            .map_or(cfg.max_position_embeddings, |c| {
                c.max_seq_length.min(cfg.max_position_embeddings)
            });
        let tokenizer =
            WordTokenizer::from_file(&dir.join("tokenizer.json"), limit, LongPolicy::Truncate)?;
        Ok(SentenceEmbedder {
            encoder,
            tokenizer,
            batch_size: 64,
        })
    }

    /// The hidden size (embedding dimension).
    pub fn dim(&self) -> usize {
        self.encoder.config().hidden_size
    }

    /// Embeds texts into unit vectors.
    ///
    /// # Shapes
    /// `n` texts → `[n, H]` f32, each row of L2 norm 1.
    ///
    /// # Errors
    /// A tokenizer or candle failure.
    pub fn embed<S: AsRef<str>>(&self, texts: &[S]) -> Result<Tensor> {
        let device = self.encoder.device().clone();
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.tokenizer.encode_text(t.as_ref()))
            .collect::<Result<_>>()?;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| (ids[i].len(), i));
        let mut rows: Vec<Option<Tensor>> = vec![None; ids.len()];
        for group in order.chunks(self.batch_size) {
            let t = group.iter().map(|&i| ids[i].len()).max().unwrap_or(0);
            let mut flat = vec![self.tokenizer.pad_id(); group.len() * t];
            let mut mask = vec![0f32; group.len() * t];
            for (r, &i) in group.iter().enumerate() {
                for (j, &id) in ids[i].iter().enumerate() {
                    flat[r * t + j] = id;
                    mask[r * t + j] = 1.0;
                }
            }
            let out = (|| -> candle_core::Result<Tensor> {
                let idt = Tensor::from_vec(flat, (group.len(), t), &device)?;
                let mt = Tensor::from_vec(mask, (group.len(), t), &device)?;
                let h = self
                    .encoder
                    .forward(&EncoderInput::new(&idt, &mt), &mut Pass::eval())?;
                l2_normalize(&mean_pool(&h, &mt)?)
            })()
            .map_err(candle_err)?;
            for (r, &i) in group.iter().enumerate() {
                rows[i] = Some(out.get(r).map_err(candle_err)?);
            }
        }
        if rows.is_empty() {
            return Tensor::zeros((0, self.dim()), DType::F32, &device).map_err(candle_err);
        }
        let rows: Vec<Tensor> = rows.into_iter().map(|r| r.expect("filled")).collect();
        Tensor::stack(&rows, 0).map_err(candle_err)
    }

    /// Embeds tokenized sentences (words joined by spaces, as LADA's kNN notebook does).
    ///
    /// # Errors
    /// As [`SentenceEmbedder::embed`].
    pub fn embed_words<S: AsRef<str>>(&self, sentences: &[Vec<S>]) -> Result<Tensor> {
        let texts: Vec<String> = sentences
            .iter()
            .map(|s| s.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" "))
            .collect();
        self.embed(&texts)
    }
}

/// Mean of the hidden states over the attended positions.
///
/// # Shapes
/// `h`: `[B, T, H]`, `mask`: `[B, T]` → `[B, H]`.
pub fn mean_pool(h: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let m = mask.to_dtype(h.dtype())?.unsqueeze(D::Minus1)?;
    let sum = h.broadcast_mul(&m)?.sum(1)?;
    let count = m.sum(1)?.clamp(1e-9, f64::MAX)?;
    sum.broadcast_div(&count)
}

/// Rows scaled to unit L2 norm (rows of norm 0 stay 0).
///
/// # Shapes
/// `[N, H]` → `[N, H]`.
pub fn l2_normalize(x: &Tensor) -> candle_core::Result<Tensor> {
    let norm = x
        .sqr()?
        .sum_keepdim(D::Minus1)?
        .sqrt()?
        .clamp(1e-12, f64::MAX)?;
    x.broadcast_div(&norm)
}

/// A neighbour: its row index and Euclidean distance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Neighbor {
    /// Row index in the key set.
    pub index: usize,
    /// Euclidean distance.
    pub distance: f32,
}

/// The `k` nearest keys of every query (Euclidean distance, ties by index).
///
/// With `exclude_self`, queries and keys are the same set and a row is never its own
/// neighbour (LADA's kNN over the labeled set).
///
/// # Shapes
/// `queries`: `[Q, H]`, `keys`: `[N, H]` → `Q` lists of `min(k, N)` (or `N − 1`) neighbours.
///
/// # Errors
/// Mismatched dimensions or a candle failure.
pub fn knn(
    queries: &Tensor,
    keys: &Tensor,
    k: usize,
    exclude_self: bool,
) -> Result<Vec<Vec<Neighbor>>> {
    let (q, h) = queries.dims2().map_err(candle_err)?;
    let (n, h2) = keys.dims2().map_err(candle_err)?;
    if h != h2 {
        return Err(Error::config(
            "knn",
            format!("queries have dimension {h} but keys {h2}"),
        ));
    }
    if exclude_self && q != n {
        return Err(Error::config(
            "knn",
            "exclude_self needs the queries to be the keys",
        ));
    }
    let run = || -> candle_core::Result<Vec<Vec<Neighbor>>> {
        let keys_sq = keys.sqr()?.sum(1)?.to_vec1::<f32>()?;
        let keys_t = keys.t()?.contiguous()?;
        let mut out = Vec::with_capacity(q);
        for start in (0..q).step_by(KNN_BLOCK) {
            let len = KNN_BLOCK.min(q - start);
            let block = queries.narrow(0, start, len)?;
            let q_sq = block.sqr()?.sum(1)?.to_vec1::<f32>()?;
            let dots = block.matmul(&keys_t)?.to_vec2::<f32>()?;
            for (r, row) in dots.into_iter().enumerate() {
                let i = start + r;
                let mut cand: Vec<(f32, usize)> = row
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| !(exclude_self && j == i))
                    .map(|(j, d)| ((q_sq[r] + keys_sq[j] - 2.0 * d).max(0.0), j))
                    .collect();
                let take = k.min(cand.len());
                let cmp =
                    |a: &(f32, usize), b: &(f32, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if take > 0 && take < cand.len() {
                    cand.select_nth_unstable_by(take - 1, cmp);
                }
                cand.truncate(take);
                cand.sort_by(cmp);
                out.push(
                    cand.into_iter()
                        .map(|(d2, j)| Neighbor {
                            index: j,
                            distance: d2.sqrt(),
                        })
                        .collect(),
                );
            }
        }
        Ok(out)
    };
    run().map_err(candle_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knn_finds_true_neighbours_and_excludes_self() {
        let dev = Device::Cpu;
        // Points on a line: 0, 1, 3, 7, 7.5
        let pts =
            Tensor::new(&[[0f32, 0.], [1., 0.], [3., 0.], [7., 0.], [7.5, 0.]], &dev).unwrap();
        let nn = knn(&pts, &pts, 2, true).unwrap();
        let idx: Vec<Vec<usize>> = nn
            .iter()
            .map(|r| r.iter().map(|x| x.index).collect())
            .collect();
        assert_eq!(
            idx,
            [vec![1, 2], vec![0, 2], vec![1, 0], vec![4, 2], vec![3, 2]]
        );
        assert!((nn[3][0].distance - 0.5).abs() < 1e-6);
        // Without exclusion a point is its own nearest neighbour; k larger than N is capped.
        let all = knn(&pts, &pts, 10, false).unwrap();
        assert_eq!(all[2][0].index, 2);
        assert_eq!(all[2].len(), 5);
        assert!(knn(&pts, &pts.narrow(0, 0, 2).unwrap(), 1, true).is_err());
    }

    #[test]
    fn pooling_ignores_padding() {
        let dev = Device::Cpu;
        let h = Tensor::new(&[[[1f32, 2.], [3., 4.], [100., 100.]]], &dev).unwrap();
        let m = Tensor::new(&[[1f32, 1., 0.]], &dev).unwrap();
        assert_eq!(
            mean_pool(&h, &m).unwrap().to_vec2::<f32>().unwrap(),
            [[2., 3.]]
        );
        let n = l2_normalize(&Tensor::new(&[[3f32, 4.]], &dev).unwrap()).unwrap();
        assert_eq!(n.to_vec2::<f32>().unwrap(), [[0.6, 0.8]]);
    }
}
