//! The token table `{W, E}` of SeqMix (§3.2, App. C.3) and the nearest-token search of Eq. 7.
//!
//! `W` is the encoder's word-piece vocabulary and `E` its input word-piece embedding matrix
//! (the reference code reads the same matrix, `bert.embeddings.word_embeddings.weight`). A
//! word's vector is the **mean of its pieces' rows** by default ([`WordVector::Mean`]), or the
//! first piece's row ([`WordVector::First`]); a word with no piece gets the `[UNK]` row.
//!
//! Eq. 7, `argmin_e ‖e − ẽ‖²`, is computed for many mixed vectors at once as one blocked matrix
//! product on the table's device: `‖e − ẽ‖² = ‖e‖² − 2 e·ẽ + ‖ẽ‖²`, so the nearest row maximises
//! `2 e·ẽ − ‖e‖²`: a dense layer with weights `E` and bias `−‖e‖²` applied to `2ẽ`. Only rows
//! that may be generated take part (about 78 % of MiniLM's table under the paper's rule).
//!
//! [`Metric::Cosine`] (not the paper's) searches by cosine similarity instead: the rows are
//! scaled to unit length and the bias is zero, so the nearest row maximises `ê·ẽ`. A mixed
//! vector of two unrelated words is shorter than either parent, and by L2 its nearest rows are
//! then the short, rarely trained rows of the table (in MiniLM: `california`/`strasbourg` at
//! λ = 0.5 gives `西`, by cosine `sacramento`); the direction of `ẽ` keeps the meaning.

use candle_core::{DType, Device, Tensor};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::encoding::tokenizer::WordTokenizer;
use crate::error::{Error, Result};
use crate::model::params::candle_err;

/// How a word made of several pieces gets one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WordVector {
    /// The mean of its pieces' embeddings.
    #[default]
    Mean,
    /// The embedding of its first piece.
    First,
}

/// Which tokens may be generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exclusion {
    /// The paper (App. C.3): no special token (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]`,
    /// `[unusedN]`, any `[…]`), no continuation piece (`##…`) and neither parent's word; the
    /// nearest remaining token is taken.
    #[default]
    Paper,
    /// The reference code (`most_similar`): only `[UNK]`, `[CLS]`, `[SEP]`, `[PAD]` and the
    /// parents' words are excluded, and only the 7 nearest tokens are considered; when all 7
    /// are excluded the pair yields nothing. (The code takes the first admissible token in
    /// `argpartition` order, which is not reproducible; here it is the nearest admissible one.)
    Faithful,
}

/// Which vocabulary entries may be generated at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vocabulary {
    /// The tokenizer's whole vocabulary `W` (App. C.3), less the [`Exclusion`]s.
    #[default]
    Tokenizer,
    /// Only entries that occur as whole words in the training split's text. A mixed vector of
    /// two unrelated words is shorter than either, and its nearest rows by L2 are then often
    /// rare, barely trained tokens (stray CJK or phonetic characters in MiniLM's table); this
    /// keeps Eq. 7 but over the words of the corpus.
    Corpus,
}

/// How "nearest" is measured in Eq. 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Squared Euclidean distance, `argmin ‖e − ẽ‖²` (Eq. 7, the paper and its code).
    #[default]
    L2,
    /// Cosine similarity, `argmax e·ẽ / ‖e‖` (the length of `ẽ` does not change the order).
    Cosine,
}

/// How many nearest tokens the faithful rule looks at.
pub const FAITHFUL_TOP: usize = 7;
/// Rows of mixed vectors per matrix product.
const BLOCK: usize = 256;

/// `{W, E}` with the admissibility of every token.
pub struct TokenTable {
    tokens: Vec<String>,
    /// `E`, on the CPU, row-major `[V, H]`, for looking up words.
    rows: Vec<f32>,
    /// The vocabulary ids of the rows searched.
    ids: Vec<usize>,
    /// Those rows of `E`, `[V', H]` on the device, for the products.
    table: Tensor,
    /// `−‖e‖²` of those rows, `[V']` on the device.
    bias: Tensor,
    hidden: usize,
    tokenizer: WordTokenizer,
    lowercase: bool,
    exclusion: Exclusion,
    word_vector: WordVector,
}

impl std::fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenTable")
            .field("vocab", &self.tokens.len())
            .field("hidden", &self.hidden)
            .field("exclusion", &self.exclusion)
            .finish()
    }
}

/// Whether the paper's rule lets `token` be generated.
pub fn admissible(token: &str, exclusion: Exclusion) -> bool {
    match exclusion {
        Exclusion::Paper => {
            !(token.is_empty()
                || token.starts_with("##")
                || (token.starts_with('[') && token.ends_with(']')))
        }
        Exclusion::Faithful => !matches!(token, "[UNK]" | "[CLS]" | "[SEP]" | "[PAD]"),
    }
}

impl TokenTable {
    /// A table from a tokenizer and its model's word-piece embedding matrix.
    ///
    /// # Shapes
    /// `embeddings`: `[V, H]` with `V` at least the tokenizer's vocabulary size.
    ///
    /// # Errors
    /// A matrix of the wrong shape, or a device failure.
    pub fn new(
        tokenizer: WordTokenizer,
        embeddings: &Tensor,
        exclusion: Exclusion,
        word_vector: WordVector,
    ) -> Result<Self> {
        Self::restricted(tokenizer, embeddings, exclusion, word_vector, None)
    }

    /// A table whose generated tokens are also limited to `words` (compared lowercased for an
    /// uncased vocabulary): [`Vocabulary::Corpus`].
    ///
    /// # Errors
    /// As [`TokenTable::new`], or no admissible token left.
    pub fn restricted(
        tokenizer: WordTokenizer,
        embeddings: &Tensor,
        exclusion: Exclusion,
        word_vector: WordVector,
        words: Option<&std::collections::HashSet<String>>,
    ) -> Result<Self> {
        let (v, h) = embeddings.dims2().map_err(candle_err)?;
        let n = tokenizer.vocab_size().min(v);
        if n == 0 || h == 0 {
            return Err(Error::Model(
                "SeqMix token table: empty vocabulary or embedding matrix".into(),
            ));
        }
        let e = embeddings
            .narrow(0, 0, n)
            .and_then(|e| e.to_dtype(DType::F32))
            .map_err(candle_err)?;
        let rows: Vec<f32> = e
            .to_device(&Device::Cpu)
            .and_then(|e| e.flatten_all())
            .and_then(|e| e.to_vec1())
            .map_err(candle_err)?;
        let tokens: Vec<String> = (0..n as u32)
            .map(|id| tokenizer.id_to_token(id).unwrap_or_default())
            .collect();
        let lowercase = tokenizer.lowercases();
        let in_words = |t: &str| {
            words.is_none_or(|w| {
                if lowercase {
                    w.contains(&t.to_lowercase())
                } else {
                    w.contains(t)
                }
            })
        };
        // The rows that take part in the search: the admissible ones under the paper's rule;
        // under the faithful rule all of them, since the code excludes only after taking the 7
        // nearest.
        let ids: Vec<usize> = (0..n)
            .filter(|&k| {
                let t = tokens[k].as_str();
                in_words(t) && (exclusion == Exclusion::Faithful || admissible(t, exclusion))
            })
            .collect();
        if !ids.iter().any(|&k| admissible(&tokens[k], exclusion)) {
            return Err(Error::Model(
                "SeqMix token table: no token may be generated (check the vocabulary restriction)"
                    .into(),
            ));
        }
        let bias: Vec<f32> = ids
            .iter()
            .map(|&k| -rows[k * h..(k + 1) * h].iter().map(|x| x * x).sum::<f32>())
            .collect();
        let device = embeddings.device();
        let index = Tensor::from_vec(
            ids.iter().map(|&k| k as u32).collect::<Vec<u32>>(),
            ids.len(),
            device,
        )
        .map_err(candle_err)?;
        let table = e
            .index_select(&index, 0)
            .and_then(|t| t.contiguous())
            .map_err(candle_err)?;
        let bias = Tensor::from_vec(bias, ids.len(), device).map_err(candle_err)?;
        Ok(TokenTable {
            lowercase,
            tokens,
            rows,
            ids,
            table,
            bias,
            hidden: h,
            tokenizer,
            exclusion,
            word_vector,
        })
    }

    /// The same table searched by `metric` ([`Metric::L2`] is how every table is built).
    ///
    /// # Errors
    /// A device failure.
    pub fn with_metric(mut self, metric: Metric) -> Result<Self> {
        if metric == Metric::L2 {
            return Ok(self);
        }
        let h = self.hidden;
        let mut unit = Vec::with_capacity(self.ids.len() * h);
        for &k in &self.ids {
            let row = &self.rows[k * h..(k + 1) * h];
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            // An all-zero row has no direction; it keeps score 0 for every query.
            let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
            unit.extend(row.iter().map(|x| x * scale));
        }
        let device = self.table.device().clone();
        self.table = Tensor::from_vec(unit, (self.ids.len(), h), &device).map_err(candle_err)?;
        self.bias = Tensor::zeros(self.ids.len(), DType::F32, &device).map_err(candle_err)?;
        Ok(self)
    }

    /// The table of a BERT folder (`tokenizer.json` and the input embeddings of
    /// `model.safetensors`), limited to `words` when given ([`TokenTable::restricted`]).
    ///
    /// # Errors
    /// Missing or malformed model files.
    pub fn from_encoder_dir(
        dir: &std::path::Path,
        device: &Device,
        exclusion: Exclusion,
        word_vector: WordVector,
        words: Option<&std::collections::HashSet<String>>,
    ) -> Result<Self> {
        let tokenizer = WordTokenizer::from_file(
            &dir.join("tokenizer.json"),
            512,
            crate::encoding::tokenizer::LongPolicy::Truncate,
        )?;
        let weights = dir.join("model.safetensors");
        let store =
            crate::model::params::ParamStore::load_encoder(&weights, device, false, |_| false)?;
        let name = "embeddings.word_embeddings.weight";
        let matrix = store.tensors().get(name).ok_or_else(|| {
            Error::Model(format!(
                "{}: no {name}; a BERT input embedding matrix is needed",
                weights.display()
            ))
        })?;
        Self::restricted(tokenizer, matrix, exclusion, word_vector, words)
    }

    /// Vocabulary size `|W|`.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the table is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Embedding width.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The token string of a row.
    pub fn token(&self, id: usize) -> &str {
        &self.tokens[id]
    }

    /// The row of a token.
    pub fn row(&self, id: usize) -> &[f32] {
        &self.rows[id * self.hidden..(id + 1) * self.hidden]
    }

    /// Whether the vocabulary is lowercased (an uncased model).
    pub fn lowercase(&self) -> bool {
        self.lowercase
    }

    /// The exclusion rule.
    pub fn exclusion(&self) -> Exclusion {
        self.exclusion
    }

    /// The word-piece ids of each word (no special tokens).
    ///
    /// # Errors
    /// A tokenizer failure.
    pub fn word_pieces<S: AsRef<str>>(&self, words: &[S]) -> Result<Vec<Vec<u32>>> {
        self.tokenizer.word_pieces(words)
    }

    /// One vector per word ([`WordVector`]).
    ///
    /// # Errors
    /// A tokenizer failure.
    pub fn word_vectors<S: AsRef<str>>(&self, words: &[S]) -> Result<Vec<Vec<f32>>> {
        let pieces = self.tokenizer.word_pieces(words)?;
        let unk = self.tokenizer.special_ids()[3] as usize;
        Ok(pieces
            .iter()
            .map(|p| {
                let ids: Vec<usize> = match (p.is_empty(), self.word_vector) {
                    (true, _) => vec![unk],
                    (false, WordVector::First) => vec![p[0] as usize],
                    (false, WordVector::Mean) => p.iter().map(|&i| i as usize).collect(),
                };
                let ids: Vec<usize> = ids.into_iter().filter(|&i| i < self.len()).collect();
                let ids = if ids.is_empty() { vec![unk] } else { ids };
                let mut v = vec![0f32; self.hidden];
                for &id in &ids {
                    for (a, b) in v.iter_mut().zip(self.row(id)) {
                        *a += b;
                    }
                }
                let k = ids.len() as f32;
                v.iter_mut().for_each(|a| *a /= k);
                v
            })
            .collect())
    }

    /// Whether a generated token would repeat a parent's word (compared lowercased when the
    /// vocabulary is).
    fn is_parent(&self, token: &str, parents: &[&str]) -> bool {
        parents.iter().any(|p| {
            if self.lowercase {
                p.to_lowercase() == token
            } else {
                *p == token
            }
        })
    }

    /// The nearest admissible token to each mixed vector (Eq. 7, or by [`Metric`] as set by
    /// [`TokenTable::with_metric`]), never one of that row's
    /// `parents`. `None` only under [`Exclusion::Faithful`], when its 7 nearest are all
    /// excluded.
    ///
    /// # Shapes
    /// `mixed`: `n` vectors of length `H`; `parents`: `n` lists.
    ///
    /// # Errors
    /// A vector of the wrong length, or a device failure.
    pub fn nearest(&self, mixed: &[Vec<f32>], parents: &[Vec<&str>]) -> Result<Vec<Option<usize>>> {
        if mixed.iter().any(|m| m.len() != self.hidden) || parents.len() != mixed.len() {
            return Err(Error::Model(format!(
                "SeqMix nearest: expected {} vectors of length {} with their parents",
                mixed.len(),
                self.hidden
            )));
        }
        let device = self.table.device();
        let top = match self.exclusion {
            Exclusion::Paper => 8,
            Exclusion::Faithful => FAITHFUL_TOP,
        };
        let mut out = Vec::with_capacity(mixed.len());
        let v = self.ids.len();
        for (block, block_parents) in mixed.chunks(BLOCK).zip(parents.chunks(BLOCK)) {
            let flat: Vec<f32> = block.iter().flatten().map(|x| 2.0 * x).collect();
            // 2·ẽ·Eᵀ − ‖e‖² on the device, as one dense layer (fused on the CPU).
            let scores: Vec<f32> = Tensor::from_vec(flat, (block.len(), self.hidden), device)
                .and_then(|m| crate::model::kernels::linear(&m, &self.table, &self.bias))
                .and_then(|s| s.to_device(&Device::Cpu))
                .and_then(|s| s.flatten_all())
                .and_then(|s| s.to_vec1())
                .map_err(candle_err)?;
            let picked: Vec<Option<usize>> = scores
                .par_chunks(v)
                .zip(block_parents.par_iter())
                .map(|(row, ps)| self.pick(row, ps, top))
                .collect();
            out.extend(picked);
        }
        Ok(out)
    }

    /// The best-scoring admissible row that is not a parent's word.
    fn pick(&self, scores: &[f32], parents: &[&str], top: usize) -> Option<usize> {
        let mut best = top_k(scores, top);
        loop {
            for &(row, _) in &best {
                let id = self.ids[row];
                let token = &self.tokens[id];
                if admissible(token, self.exclusion) && !self.is_parent(token, parents) {
                    return Some(id);
                }
            }
            // All of the top candidates were parents: only possible under the paper's rule with
            // many duplicates; widen the search.
            if self.exclusion == Exclusion::Faithful || best.len() >= scores.len() {
                return None;
            }
            best = top_k(scores, (best.len() * 4).min(scores.len()));
        }
    }

    /// Gives `token` the capitalisation of `model` when the vocabulary is lowercased (an uncased
    /// encoder's table has no capitals, but NER depends on them): all capitals, an initial
    /// capital, or as it is.
    pub fn shape_like(&self, token: &str, model: &str) -> String {
        if !self.lowercase {
            return token.to_string();
        }
        let letters: Vec<char> = model.chars().filter(|c| c.is_alphabetic()).collect();
        if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
            token.to_uppercase()
        } else if model.chars().next().is_some_and(char::is_uppercase) {
            let mut c = token.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        } else {
            token.to_string()
        }
    }
}

/// The `k` largest entries `(index, value)`, best first (ties: lower index first).
pub fn top_k(scores: &[f32], k: usize) -> Vec<(usize, f32)> {
    let k = k.min(scores.len());
    let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
    for (i, &s) in scores.iter().enumerate() {
        if best.len() == k && best.last().is_some_and(|&(_, w)| s <= w) {
            continue;
        }
        let at = best.partition_point(|&(_, w)| w >= s);
        best.insert(at, (i, s));
        best.truncate(k);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_is_sorted_and_stable() {
        let s = [1.0, 5.0, 3.0, 5.0, f32::NEG_INFINITY, 4.0];
        assert_eq!(top_k(&s, 3), vec![(1, 5.0), (3, 5.0), (5, 4.0)]);
        assert_eq!(top_k(&s, 10).len(), 6);
        assert!(top_k(&s, 0).is_empty());
    }

    #[test]
    fn admissibility_rules() {
        for t in [
            "[CLS]",
            "[SEP]",
            "[PAD]",
            "[UNK]",
            "[MASK]",
            "[unused7]",
            "##ing",
            "",
        ] {
            assert!(!admissible(t, Exclusion::Paper), "{t}");
        }
        assert!(admissible("paris", Exclusion::Paper));
        assert!(admissible("##ing", Exclusion::Faithful));
        assert!(admissible("[MASK]", Exclusion::Faithful));
        assert!(!admissible("[UNK]", Exclusion::Faithful));
    }
}
