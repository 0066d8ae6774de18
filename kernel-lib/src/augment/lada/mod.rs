//! LADA (Chen et al., EMNLP 2020): local additivity based data augmentation. Hidden states
//! of two sequences are interpolated at an encoder layer and their labels with the same `λ`
//! ([`mix`]). The partner is close to the sentence:
//!
//! - **Intra-LADA** (Eq. 3): the sentence itself, positions permuted, so each token mixes with
//!   another token of the same sentence and the context stays. The paper's mix layer set is
//!   `{12}` of 12 (the final layer), as in the authors' code; here the default is the last
//!   layer of whatever encoder is used.
//! - **Inter-LADA** (Eq. 4): a sentence drawn from the `k` nearest neighbours (sentence
//!   embeddings, [`partners`]) with probability `µ`, else uniformly from the labeled set. The
//!   paper's layer set `{8, 9, 10}` of 12 is scaled to the encoder's depth (`{4, 5}` of
//!   MiniLM's 6).
//! - **Intra&Inter** (§4.3): Intra with probability `π` (0.3), else Inter, drawn once per
//!   training step for the whole batch, as the authors' code (`--intra-mix-ratio`); §4.3 words
//!   it per data point, which gives the same share of Intra in expectation.
//! - **Semi-LADA** (§3.4): a consistency loss on unlabeled sentences and their paraphrases
//!   ([`semi`]).
//!
//! LADA changes how a batch's loss is computed, so it plugs into training as a
//! [`BatchLoss`] ([`Lada`]); the experiment runner uses it for every
//! round of an active-learning run (`[lada]` in a config) or for one supervised run on a fixed
//! subset (`rounds = 0`, `seed_strategy = "first"`).
//!
//! Defaults: `λ ~ Beta(60, 1.5)` folded to `max(λ, 1 − λ)` as in the authors' code (the paper
//! writes `Beta(α, α)` without a value); `k = 3` as in §4.2 (the code used 5); `µ = 0.5`, the
//! paper's starting point; the mixed batch replaces the original one, as in the code.

pub mod mix;
pub mod partners;
pub mod semi;

use std::path::PathBuf;

use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Beta, Distribution};
use serde::{Deserialize, Serialize};

pub use mix::{Mixed, inter_forward, intra_forward};
pub use partners::PartnerTable;
pub use semi::{ConsistencyTerms, ParaphraseSource, Paraphraser, SemiConfig};

use crate::encoding::Example;
use crate::error::{Error, Result};
use crate::model::Pass;
use crate::model::embed::SentenceEmbedder;
use crate::model::params::candle_err;
use crate::rng::SeqRng;
use crate::train::loss::soft_cross_entropy;
use crate::train::{BatchLoss, Tagger, TrainItem};

/// Which LADA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LadaKind {
    /// Intra-LADA.
    Intra,
    /// Inter-LADA.
    #[default]
    Inter,
    /// Intra with probability `intra_ratio`, else Inter.
    IntraInter,
}

impl std::fmt::Display for LadaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LadaKind::Intra => "intra",
            LadaKind::Inter => "inter",
            LadaKind::IntraInter => "intra-inter",
        })
    }
}

impl std::str::FromStr for LadaKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "intra" => Ok(LadaKind::Intra),
            "inter" => Ok(LadaKind::Inter),
            "intra-inter" | "both" => Ok(LadaKind::IntraInter),
            other => Err(Error::config(
                "lada.kind",
                format!("unknown LADA {other:?}; expected intra, inter or intra-inter"),
            )),
        }
    }
}

/// What the mixed batch does to the original one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Originals {
    /// Train on the mixed batch only (the authors' code).
    #[default]
    Replace,
    /// Train on both: the mean of the original and the mixed loss.
    Add,
}

fn d_ratio() -> f64 {
    0.3
}
fn d_alpha() -> f64 {
    60.0
}
fn d_beta() -> Option<f64> {
    Some(1.5)
}
fn d_true() -> bool {
    true
}
fn d_k() -> usize {
    3
}
fn d_mu() -> f64 {
    0.5
}
fn d_embedder() -> String {
    "minilm".into()
}

/// LADA's hyper-parameters (see the module docs for the defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadaConfig {
    /// Intra, Inter or both.
    #[serde(default)]
    pub kind: LadaKind,
    /// `π`: the probability of an Intra step under [`LadaKind::IntraInter`] (one draw per step
    /// for the whole batch, as the authors' code).
    #[serde(default = "d_ratio")]
    pub intra_ratio: f64,
    /// Inter-LADA's mix layers (layers run before mixing, 1-based); empty: `{8, 9, 10}` of 12
    /// scaled to the encoder.
    #[serde(default)]
    pub inter_layers: Vec<usize>,
    /// Intra-LADA's mix layers; empty: the last layer.
    #[serde(default)]
    pub intra_layers: Vec<usize>,
    /// `α` of `λ ~ Beta(α, β)`.
    #[serde(default = "d_alpha")]
    pub alpha: f64,
    /// `β`; `None` means `β = α`.
    #[serde(default = "d_beta")]
    pub beta: Option<f64>,
    /// `λ ← max(λ, 1 − λ)`.
    #[serde(default = "d_true")]
    pub fold: bool,
    /// `k` nearest neighbours.
    #[serde(default = "d_k")]
    pub k: usize,
    /// `µ`: the probability of a kNN partner.
    #[serde(default = "d_mu")]
    pub mu: f64,
    /// Replace or add to the original batch.
    #[serde(default)]
    pub originals: Originals,
    /// The sentence embedder for kNN: `minilm` or a sentence-transformers / BERT folder.
    #[serde(default = "d_embedder")]
    pub embedder: String,
    /// Semi-LADA: a consistency loss on unlabeled sentences and their paraphrases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semi: Option<SemiConfig>,
}

impl Default for LadaConfig {
    fn default() -> Self {
        LadaConfig {
            kind: LadaKind::default(),
            intra_ratio: d_ratio(),
            inter_layers: Vec::new(),
            intra_layers: Vec::new(),
            alpha: d_alpha(),
            beta: d_beta(),
            fold: true,
            k: d_k(),
            mu: d_mu(),
            originals: Originals::default(),
            embedder: d_embedder(),
            semi: None,
        }
    }
}

impl LadaConfig {
    /// Checks every value; the error names the field and the allowed range.
    ///
    /// # Errors
    /// [`Error::Config`].
    pub fn check(&self) -> Result<()> {
        let bad = |f: &str, m: String| Err(Error::config(format!("lada.{f}"), m));
        if !(0.0..=1.0).contains(&self.intra_ratio) {
            return bad(
                "intra_ratio",
                format!("{} is outside 0..=1", self.intra_ratio),
            );
        }
        if !(0.0..=1.0).contains(&self.mu) {
            return bad("mu", format!("{} is outside 0..=1", self.mu));
        }
        for (f, v) in [("alpha", Some(self.alpha)), ("beta", self.beta)] {
            if let Some(v) = v
                && !(v > 0.0 && v <= 1000.0)
            {
                return bad(f, format!("{v} is outside (0, 1000]"));
            }
        }
        if !(1..=1000).contains(&self.k) {
            return bad("k", format!("{} is outside 1..=1000", self.k));
        }
        if self
            .inter_layers
            .iter()
            .chain(&self.intra_layers)
            .any(|&l| l == 0 || l > 1000)
        {
            return bad(
                "inter_layers",
                "layers count from 1 (after the first layer)".into(),
            );
        }
        self.semi.as_ref().map_or(Ok(()), SemiConfig::check)
    }

    /// The embedder folder.
    pub fn embedder_dir(&self) -> PathBuf {
        if self.embedder == "minilm" {
            crate::data::corpora::data_dir().join("models/all-MiniLM-L6-v2")
        } else {
            PathBuf::from(&self.embedder)
        }
    }

    /// Inter-LADA's layers for an encoder of `depth` layers.
    pub fn inter_layers_for(&self, depth: usize) -> Vec<usize> {
        if !self.inter_layers.is_empty() {
            return self.inter_layers.clone();
        }
        let mut v: Vec<usize> = [8usize, 9, 10]
            .iter()
            .map(|&m| ((m * depth) as f64 / 12.0).round().max(1.0) as usize)
            .collect();
        v.dedup();
        v
    }

    /// Intra-LADA's layers for an encoder of `depth` layers.
    pub fn intra_layers_for(&self, depth: usize) -> Vec<usize> {
        if self.intra_layers.is_empty() {
            vec![depth]
        } else {
            self.intra_layers.clone()
        }
    }
}

/// The random choices of one LADA step.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Intra (else Inter).
    pub intra: bool,
    /// `λ`.
    pub lambda: f64,
    /// Layers run before mixing.
    pub layer: usize,
    /// Inter: the partner example of each row; Intra: the permutation, row after row.
    pub partners: Vec<usize>,
}

/// LADA as the batch loss of training.
pub struct Lada {
    cfg: LadaConfig,
    table: Option<PartnerTable>,
    first_example: Vec<usize>,
    last: Option<Draw>,
    unlabeled: Vec<(usize, Vec<String>)>,
    unlabeled_columns: Vec<Vec<Vec<String>>>,
    seed: u64,
    semi: Option<SemiState>,
}

/// Encoded unlabeled sentences and their paraphrases (first chunks, aligned).
struct SemiState {
    original: Vec<Example>,
    paraphrase: Vec<Example>,
    non_outside: candle_core::Tensor,
    kept: usize,
    compared: usize,
    change: ParaphraseChange,
}

/// How often a paraphrase kept the entity counts of its sentence under the model in training,
/// and how much the paraphraser changed the unlabeled sentences.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Consistency {
    /// Pairs whose predicted entity counts per type were equal.
    pub kept: usize,
    /// Pairs compared.
    pub compared: usize,
    /// What the paraphraser did to the unlabeled sentences (absent in rounds recorded before
    /// it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ParaphraseChange>,
}

/// What a paraphraser did to the unlabeled sentences of one training run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ParaphraseChange {
    /// Unlabeled sentences paraphrased.
    pub sentences: usize,
    /// Of those, the sentences left word for word the same.
    pub unchanged: usize,
    /// Words of the unlabeled sentences.
    pub words: usize,
    /// Words replaced (at the same position; a paraphrase of another length counts all its
    /// sentence's words as replaced).
    pub replaced: usize,
    /// The first [`ParaphraseChange::EXAMPLES`] changed sentences, as `(index in the training
    /// split, sentence, paraphrase)`.
    pub examples: Vec<(usize, String, String)>,
}

impl ParaphraseChange {
    /// How many changed sentences are kept as examples.
    pub const EXAMPLES: usize = 5;

    /// Compares sentences with their paraphrases (`ids`: indices in the training split).
    pub fn measure(ids: &[usize], sentences: &[Vec<String>], paraphrases: &[Vec<String>]) -> Self {
        let mut c = ParaphraseChange::default();
        for ((&id, a), b) in ids.iter().zip(sentences).zip(paraphrases) {
            let replaced =
                kept_positions(a, b).map_or(a.len(), |k| k.iter().filter(|&&x| !x).count());
            c.sentences += 1;
            c.words += a.len();
            c.replaced += replaced;
            if replaced == 0 {
                c.unchanged += 1;
            } else if c.examples.len() < Self::EXAMPLES {
                c.examples.push((id, a.join(" "), b.join(" ")));
            }
        }
        c
    }
}

/// Per position, whether the paraphrase `b` kept the word of `a`; `None` when their lengths
/// differ (then no word counts as kept). The one rule behind [`ParaphraseChange`]'s counts and
/// the reports' bold replaced words.
pub fn kept_positions<S: AsRef<str>>(a: &[S], b: &[S]) -> Option<Vec<bool>> {
    (a.len() == b.len()).then(|| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.as_ref() == y.as_ref())
            .collect()
    })
}

const SEMI_STREAM: u64 = 0x5E_3111;

impl std::fmt::Debug for Lada {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lada").field("cfg", &self.cfg).finish()
    }
}

impl Lada {
    /// LADA with `cfg`; Inter-LADA's neighbours are found in [`BatchLoss::prepare`].
    ///
    /// # Errors
    /// A bad config.
    pub fn new(cfg: LadaConfig) -> Result<Self> {
        cfg.check()?;
        Ok(Lada {
            cfg,
            table: None,
            first_example: Vec::new(),
            last: None,
            unlabeled: Vec::new(),
            unlabeled_columns: Vec::new(),
            seed: 0,
            semi: None,
        })
    }

    /// The unlabeled sentences of Semi-LADA, as `(index in the training split, words)`; `seed`
    /// seeds their paraphrasing.
    pub fn with_unlabeled(mut self, unlabeled: Vec<(usize, Vec<String>)>, seed: u64) -> Self {
        self.unlabeled = unlabeled;
        self.seed = seed;
        self
    }

    /// The corpus columns of the unlabeled sentences ([`crate::data::Sentence::extra`], in the
    /// order of [`Lada::with_unlabeled`]), for a paraphraser that reads them (WordNet with
    /// `pos_column`).
    pub fn with_unlabeled_columns(mut self, columns: Vec<Vec<Vec<String>>>) -> Self {
        self.unlabeled_columns = columns;
        self
    }

    /// Semi-LADA's paraphrase consistency so far (`None` without Semi-LADA).
    pub fn consistency(&self) -> Option<Consistency> {
        self.semi.as_ref().map(|s| Consistency {
            kept: s.kept,
            compared: s.compared,
            change: Some(s.change.clone()),
        })
    }

    fn prepare_semi(&mut self, tagger: &Tagger) -> Result<()> {
        let Some(cfg) = self.cfg.semi.clone() else {
            return Ok(());
        };
        if self.unlabeled.is_empty() {
            return Err(Error::config(
                "lada.semi",
                "Semi-LADA needs unlabeled sentences (none were given)",
            ));
        }
        let mut rng = crate::rng::derived(self.seed, &[SEMI_STREAM]);
        let mut para =
            semi::paraphraser(&cfg.paraphrases, &self.cfg.embedder_dir(), tagger.device())?;
        let ids: Vec<usize> = self.unlabeled.iter().map(|(i, _)| *i).collect();
        let words: Vec<Vec<String>> = self.unlabeled.iter().map(|(_, w)| w.clone()).collect();
        let paraphrases = para.paraphrase(&ids, &words, &self.unlabeled_columns, &mut rng)?;
        let change = ParaphraseChange::measure(&ids, &words, &paraphrases);
        let outside = tagger.labels().id("O").ok_or_else(|| {
            Error::config("labels", "Semi-LADA needs an `O` label to count entities")
        })?;
        let c = tagger.labels().len();
        let as_item = |w: &Vec<String>| TrainItem {
            tokens: w.clone(),
            targets: vec![crate::encoding::align::one_hot(outside, c); w.len()],
        };
        let (a, b): (Vec<TrainItem>, Vec<TrainItem>) = words
            .iter()
            .zip(&paraphrases)
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .map(|(a, b)| (as_item(a), as_item(b)))
            .unzip();
        let firsts = |items: &[TrainItem]| -> Result<Vec<Example>> {
            let (ex, _) = tagger.examples(items)?;
            let mut seen = vec![false; items.len()];
            Ok(ex
                .into_iter()
                .filter(|e| !std::mem::replace(&mut seen[e.sentence], true))
                .collect())
        };
        let original = firsts(&a)?;
        let paraphrase = firsts(&b)?;
        if original.len() != paraphrase.len() || original.is_empty() {
            return Err(Error::Model(
                "Semi-LADA: unlabeled sentences and paraphrases do not pair up".into(),
            ));
        }
        let keep: Vec<u32> = (0..c as u32).filter(|&i| i as usize != outside).collect();
        let n = keep.len();
        let non_outside =
            candle_core::Tensor::from_vec(keep, n, tagger.device()).map_err(candle_err)?;
        self.semi = Some(SemiState {
            original,
            paraphrase,
            non_outside,
            kept: 0,
            compared: 0,
            change,
        });
        Ok(())
    }

    /// `γ·r(t)·L_u` on a random batch of unlabeled sentences (Eq. 5).
    fn semi_loss(
        &mut self,
        tagger: &Tagger,
        rng: &mut SeqRng,
        progress: f64,
    ) -> Result<Option<candle_core::Tensor>> {
        let (Some(cfg), Some(state)) = (self.cfg.semi.as_ref(), self.semi.as_mut()) else {
            return Ok(None);
        };
        let n = state.original.len();
        let rows = rand::seq::index::sample(rng, n, cfg.batch_size.min(n)).into_vec();
        let bu = tagger.batch(&state.original, &rows)?;
        let bp = tagger.batch(&state.paraphrase, &rows)?;
        let first =
            |examples: &[Example], b: &crate::encoding::Batch| -> Result<candle_core::Tensor> {
                let (r, t) = b.ids.dims2().map_err(candle_err)?;
                let mut m = vec![0f32; r * t];
                for (k, &row) in rows.iter().enumerate() {
                    for (pos, &f) in examples[row].chunk.first.iter().enumerate() {
                        if f {
                            m[k * t + pos] = 1.0;
                        }
                    }
                }
                candle_core::Tensor::from_vec(m, (r, t), tagger.device()).map_err(candle_err)
            };
        let (fu, fp) = (first(&state.original, &bu)?, first(&state.paraphrase, &bp)?);
        let keep = &state.non_outside;
        let counts = |p: &candle_core::Tensor, f: &candle_core::Tensor| {
            p.broadcast_mul(&f.unsqueeze(2)?)?
                .sum(1)?
                .index_select(keep, 1)
        };
        type Probs = Vec<Vec<Vec<f32>>>;
        let mut run = || -> candle_core::Result<(candle_core::Tensor, Probs, Probs)> {
            // The target: sharpened counts of the original, without gradient (dropout on).
            let pt = candle_nn::ops::softmax_last_dim(
                &tagger.logits(&bu, &mut Pass::train(rng))?.detach(),
            )?;
            let sharp = pt.powf(1.0 / cfg.temperature)?;
            let sharp = sharp.broadcast_div(&sharp.sum_keepdim(2)?)?;
            let target = counts(&sharp, &fu)?.detach();
            // The original's counts with gradient only for the authors' loss, drawn before the
            // paraphrase's (the order of the dropout draws of runs made before the setting).
            let pu = match cfg.consistency {
                ConsistencyTerms::Paraphrase => None,
                ConsistencyTerms::Both => Some(candle_nn::ops::softmax_last_dim(
                    &tagger.logits(&bu, &mut Pass::train(rng))?,
                )?),
            };
            let pp = candle_nn::ops::softmax_last_dim(&tagger.logits(&bp, &mut Pass::train(rng))?)?;
            let orig = pu.map(|pu| counts(&pu, &fu)).transpose()?;
            let lu = consistency_loss(
                &target,
                &counts(&pp, &fp)?,
                orig.as_ref(),
                cfg.weight_at(progress),
            )?;
            Ok((lu, pt.to_vec3()?, pp.detach().to_vec3()?))
        };
        let (lu, pu, pp) = run().map_err(candle_err)?;
        // Entity counts per type under the current model, sentence and paraphrase.
        let labels = tagger.labels();
        let entity_counts = |probs: &[Vec<f32>], example: &Example| {
            let mut c: std::collections::BTreeMap<String, usize> = Default::default();
            for (pos, &f) in example.chunk.first.iter().enumerate() {
                let best = probs[pos]
                    .iter()
                    .enumerate()
                    .fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b })
                    .0;
                if f && let Some(ty) = labels.label(best).and_then(|l| l.strip_prefix("B-")) {
                    *c.entry(ty.to_string()).or_default() += 1;
                }
            }
            c
        };
        for (k, &row) in rows.iter().enumerate() {
            let same = entity_counts(&pu[k], &state.original[row])
                == entity_counts(&pp[k], &state.paraphrase[row]);
            state.kept += usize::from(same);
            state.compared += 1;
        }
        Ok(Some(lu))
    }

    /// Uses these neighbours instead of computing them (one list per training item).
    pub fn with_partners(mut self, table: PartnerTable) -> Self {
        self.table = Some(table);
        self
    }

    /// The partner table once prepared.
    pub fn partners(&self) -> Option<&PartnerTable> {
        self.table.as_ref()
    }

    /// The choices of the last step.
    pub fn last_draw(&self) -> Option<&Draw> {
        self.last.as_ref()
    }

    fn lambda(&self, rng: &mut SeqRng) -> Result<f64> {
        let beta = Beta::new(self.cfg.alpha, self.cfg.beta.unwrap_or(self.cfg.alpha))
            .map_err(|e| Error::config("lada.alpha", e.to_string()))?;
        let l: f64 = beta.sample(rng);
        Ok(if self.cfg.fold { l.max(1.0 - l) } else { l })
    }
}

impl BatchLoss for Lada {
    fn state(&self) -> serde_json::Value {
        match &self.semi {
            Some(s) => serde_json::json!({ "kept": s.kept, "compared": s.compared }),
            None => serde_json::Value::Null,
        }
    }

    fn restore_state(&mut self, state: &serde_json::Value) -> Result<()> {
        if let Some(s) = self.semi.as_mut() {
            let get = |k: &str| {
                state
                    .get(k)
                    .and_then(serde_json::Value::as_u64)
                    .map(|v| v as usize)
                    .ok_or_else(|| {
                        Error::config("checkpoint", format!("the Semi-LADA state lacks `{k}`"))
                    })
            };
            s.kept = get("kept")?;
            s.compared = get("compared")?;
        }
        Ok(())
    }

    fn summary(&self) -> Option<String> {
        self.consistency().map(|c| {
            format!(
                "Semi-LADA: {} of {} paraphrases kept the predicted entity counts per type ({:.1} %)",
                c.kept,
                c.compared,
                100.0 * c.kept as f64 / c.compared.max(1) as f64
            )
        })
    }

    fn prepare(
        &mut self,
        tagger: &Tagger,
        items: &[TrainItem],
        examples: &[Example],
    ) -> Result<()> {
        self.prepare_semi(tagger)?;
        self.first_example = vec![usize::MAX; items.len()];
        for (e, ex) in examples.iter().enumerate() {
            if self.first_example[ex.sentence] == usize::MAX {
                self.first_example[ex.sentence] = e;
            }
        }
        let needs = self.cfg.kind != LadaKind::Intra;
        if needs && self.table.as_ref().is_none_or(|t| t.len() != items.len()) {
            let embedder = SentenceEmbedder::load(&self.cfg.embedder_dir(), tagger.device())?;
            let words: Vec<&Vec<String>> = items.iter().map(|it| &it.tokens).collect();
            let words: Vec<Vec<&str>> = words
                .iter()
                .map(|w| w.iter().map(String::as_str).collect())
                .collect();
            self.table = Some(PartnerTable::build(
                &embedder,
                &words,
                self.cfg.k.min(items.len().saturating_sub(1).max(1)),
            )?);
        }
        Ok(())
    }

    fn loss(
        &mut self,
        tagger: &Tagger,
        examples: &[Example],
        rows: &[usize],
        rng: &mut SeqRng,
        progress: f64,
    ) -> Result<candle_core::Tensor> {
        let depth = tagger.encoder().num_layers();
        let intra = match self.cfg.kind {
            LadaKind::Intra => true,
            LadaKind::Inter => false,
            LadaKind::IntraInter => rng.random::<f64>() < self.cfg.intra_ratio,
        };
        let layers = if intra {
            self.cfg.intra_layers_for(depth)
        } else {
            self.cfg.inter_layers_for(depth)
        };
        let layer = layers[rng.random_range(0..layers.len())];
        let lambda = self.lambda(rng)?;
        let (mixed, partners) = if intra {
            let batch = tagger.batch(examples, rows)?;
            let mask: Vec<Vec<f32>> = batch
                .loss_mask
                .as_ref()
                .ok_or_else(|| Error::config("batch", "LADA needs labeled batches"))?
                .to_vec2()
                .map_err(candle_err)?;
            let perm: Vec<Vec<usize>> = mask
                .iter()
                .map(|m| {
                    let labeled: Vec<usize> = (0..m.len()).filter(|&t| m[t] > 0.0).collect();
                    let mut shuffled = labeled.clone();
                    shuffled.shuffle(rng);
                    let mut p: Vec<usize> = (0..m.len()).collect();
                    for (&a, &b) in labeled.iter().zip(&shuffled) {
                        p[a] = b;
                    }
                    p
                })
                .collect();
            let flat = perm.iter().flatten().copied().collect();
            let m = intra_forward(tagger, &batch, &perm, lambda, layer, &mut Pass::train(rng))?;
            (m, flat)
        } else {
            let table = self
                .table
                .as_ref()
                .ok_or_else(|| Error::Model("inter-LADA: partners were not prepared".into()))?;
            let partner_rows: Vec<usize> = rows
                .iter()
                .map(|&r| {
                    let p = table.sample(examples[r].sentence, self.cfg.mu, rng);
                    self.first_example.get(p).copied().unwrap_or(r)
                })
                .map(|e| if e == usize::MAX { 0 } else { e })
                .collect();
            let mut all = rows.to_vec();
            all.extend(&partner_rows);
            let pair = tagger.batch(examples, &all)?;
            let m = inter_forward(tagger, &pair, lambda, layer, &mut Pass::train(rng))?;
            (m, partner_rows)
        };
        let mut loss =
            soft_cross_entropy(&mixed.logits, &mixed.targets, &mixed.mask).map_err(candle_err)?;
        if self.cfg.originals == Originals::Add {
            let batch = tagger.batch(examples, rows)?;
            let plain = tagger.loss(&batch, &mut Pass::train(rng))?;
            loss = ((loss + plain).map_err(candle_err)? * 0.5).map_err(candle_err)?;
        }
        if let Some(lu) = self.semi_loss(tagger, rng, progress)? {
            loss = (loss + lu).map_err(candle_err)?;
        }
        self.last = Some(Draw {
            intra,
            lambda,
            layer,
            partners,
        });
        Ok(loss)
    }
}

/// `γ·r(t)·L_u` of Eq. 5 from the fixed (sharpened, detached) target counts and the
/// paraphrase's counts: `w·mean((ŷ'_num − t)²)`, the paper's loss, which back-propagates
/// only through the paraphrase. With the original's counts too (the authors' code,
/// [`ConsistencyTerms::Both`]): `w·½·(mean((ŷ_num − t)²) + mean((ŷ'_num − t)²))`.
///
/// # Shapes
/// `target`, `para`, `orig`: `(batch, labels)`, the soft counts of the non-`O` labels.
fn consistency_loss(
    target: &candle_core::Tensor,
    para: &candle_core::Tensor,
    orig: Option<&candle_core::Tensor>,
    weight: f64,
) -> candle_core::Result<candle_core::Tensor> {
    let term = |c: &candle_core::Tensor| (c - target)?.sqr()?.mean_all();
    match orig {
        None => term(para)? * weight,
        Some(o) => (term(o)? + term(para)?)? * (0.5 * weight),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::scheme::TagScheme;
    use crate::data::{LabelVocab, Sentence};
    use crate::rng::seeded;
    use crate::train::{TaggerOptions, TrainConfig, fit_with};
    use candle_core::Device;

    const WORDS: [&str; 16] = [
        "ada", "met", "babbage", "in", "london", "grace", "saw", "rome", "the", "navy", "visited",
        "paris", "turing", "left", "berlin", "today",
    ];

    fn setup() -> (Tagger, Vec<TrainItem>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        crate::model::tiny::write_tiny_bert(dir.path(), &WORDS, 5).unwrap();
        let labels = LabelVocab::for_types(["LOC", "ORG", "PER"], TagScheme::Iob2);
        let tagger = Tagger::from_pretrained(
            dir.path(),
            labels.clone(),
            TagScheme::Iob2,
            &TaggerOptions::default(),
            &Device::Cpu,
            &mut seeded(1),
        )
        .unwrap();
        // Four sentences of four words (equal lengths), two of five.
        let rows = [
            ("Ada met Babbage today", "B-PER O B-PER O"),
            ("Grace saw Rome today", "B-PER O B-LOC O"),
            ("The Navy visited Paris", "O B-ORG O B-LOC"),
            ("Turing left Berlin today", "B-PER O B-LOC O"),
            ("Ada met Grace in London", "B-PER O B-PER O B-LOC"),
            ("Turing saw the Navy today", "B-PER O O B-ORG O"),
        ];
        let items = rows
            .iter()
            .map(|(w, t)| {
                TrainItem::from_sentence(&Sentence::new(w.split(' '), t.split(' ')), &labels)
                    .unwrap()
            })
            .collect();
        (tagger, items, dir)
    }

    fn max_diff(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    #[test]
    fn mixing_with_lambda_one_is_the_unmixed_forward() {
        let (tagger, items, _dir) = setup();
        let (examples, _) = tagger.examples(&items).unwrap();
        let rows = [0, 1, 2, 3];
        let batch = tagger.batch(&examples, &rows).unwrap();
        let plain = tagger.logits(&batch, &mut Pass::eval()).unwrap();
        let (_, t) = batch.ids.dims2().unwrap();
        let reversed: Vec<Vec<usize>> = (0..4).map(|_| (0..t).rev().collect()).collect();
        for layer in [0, 1, 2] {
            let m =
                intra_forward(&tagger, &batch, &reversed, 1.0, layer, &mut Pass::eval()).unwrap();
            assert!(max_diff(&m.logits, &plain) < 1e-5, "intra, layer {layer}");
            assert!(max_diff(&m.targets, batch.targets.as_ref().unwrap()) < 1e-7);
            // Partners of the same length: the union mask is each row's own mask.
            let pair = tagger.batch(&examples, &[0, 1, 2, 3, 3, 2, 1, 0]).unwrap();
            let m = inter_forward(&tagger, &pair, 1.0, layer, &mut Pass::eval()).unwrap();
            assert!(max_diff(&m.logits, &plain) < 1e-5, "inter, layer {layer}");
            // A sentence mixed with itself is itself, whatever λ.
            let same = tagger.batch(&examples, &[0, 1, 2, 3, 0, 1, 2, 3]).unwrap();
            let m = inter_forward(&tagger, &same, 0.3, layer, &mut Pass::eval()).unwrap();
            assert!(max_diff(&m.logits, &plain) < 1e-5, "self, layer {layer}");
        }
        // λ < 1 with another partner changes the output, and the targets mix with λ.
        let pair = tagger.batch(&examples, &[0, 1, 2, 3, 3, 2, 1, 0]).unwrap();
        let m = inter_forward(&tagger, &pair, 0.6, 1, &mut Pass::eval()).unwrap();
        assert!(max_diff(&m.logits, &plain) > 1e-4);
        let t = pair.targets.as_ref().unwrap();
        let want = ((t.narrow(0, 0, 4).unwrap() * 0.6).unwrap()
            + (t.narrow(0, 4, 4).unwrap() * 0.4).unwrap())
        .unwrap();
        assert!(max_diff(&m.targets, &want) < 1e-6);
        assert!(inter_forward(&tagger, &pair, 0.5, 3, &mut Pass::eval()).is_err());
    }

    #[test]
    fn knn_partners_are_the_true_nearest_neighbours() {
        let (_, items, dir) = setup();
        let embedder = SentenceEmbedder::load(dir.path(), &Device::Cpu).unwrap();
        let words: Vec<Vec<&str>> = items
            .iter()
            .map(|it| it.tokens.iter().map(String::as_str).collect())
            .collect();
        let table = PartnerTable::build(&embedder, &words, 2).unwrap();
        let e: Vec<Vec<f32>> = embedder.embed_words(&words).unwrap().to_vec2().unwrap();
        for i in 0..words.len() {
            let d =
                |j: usize| -> f32 { e[i].iter().zip(&e[j]).map(|(a, b)| (a - b).powi(2)).sum() };
            let mut others: Vec<usize> = (0..words.len()).filter(|&j| j != i).collect();
            others.sort_by(|&a, &b| d(a).total_cmp(&d(b)).then(a.cmp(&b)));
            assert_eq!(table.neighbours(i), &others[..2], "sentence {i}");
        }
        // µ = 1 always picks a neighbour; µ = 0 draws over everything.
        let mut rng = seeded(3);
        for _ in 0..50 {
            assert!(
                table
                    .neighbours(0)
                    .contains(&table.sample(0, 1.0, &mut rng))
            );
        }
        let drawn: std::collections::BTreeSet<usize> =
            (0..200).map(|_| table.sample(0, 0.0, &mut rng)).collect();
        assert_eq!(drawn.len(), words.len());
    }

    #[test]
    fn the_same_seed_gives_the_same_partners_and_lambda() {
        let (tagger, items, _dir) = setup();
        let (examples, _) = tagger.examples(&items).unwrap();
        let table =
            PartnerTable::from_lists(vec![vec![1], vec![0], vec![3], vec![2], vec![5], vec![4]]);
        for kind in [LadaKind::Intra, LadaKind::Inter, LadaKind::IntraInter] {
            let cfg = LadaConfig {
                kind,
                intra_ratio: 0.5,
                ..LadaConfig::default()
            };
            let mut lada = Lada::new(cfg).unwrap().with_partners(table.clone());
            lada.prepare(&tagger, &items, &examples).unwrap();
            let mut draws = Vec::new();
            for seed in [5, 5, 6] {
                let l = lada
                    .loss(&tagger, &examples, &[0, 2, 4], &mut seeded(seed), 0.0)
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap();
                assert!(l.is_finite() && l > 0.0);
                let d = lada.last_draw().unwrap().clone();
                assert!(d.lambda >= 0.5 && d.lambda <= 1.0, "folded λ {}", d.lambda);
                let layers = if d.intra { vec![2] } else { vec![1, 2] };
                assert!(layers.contains(&d.layer), "{kind}: layer {} of 2", d.layer);
                draws.push((d, l));
            }
            assert_eq!(draws[0], draws[1], "{kind}");
            assert_ne!(draws[0].0, draws[2].0, "{kind}");
        }
    }

    #[test]
    fn lada_trains_a_tagger_through_fit_with() {
        let (tagger, items, _dir) = setup();
        let before = tagger.store().snapshot().unwrap();
        let cfg = TrainConfig {
            epochs: 2,
            batch_size: 3,
            learning_rate: 1e-3,
            selection: crate::train::Selection::Last,
            ..TrainConfig::default()
        };
        let lada_cfg = LadaConfig {
            kind: LadaKind::IntraInter,
            embedder: _dir.path().display().to_string(),
            k: 2,
            ..LadaConfig::default()
        };
        let mut lada = Lada::new(lada_cfg).unwrap();
        let report = fit_with(
            &tagger,
            &items,
            None,
            &cfg,
            &mut seeded(2),
            &mut |_| {},
            &mut lada,
        )
        .unwrap();
        assert_eq!(report.epochs.len(), 2);
        assert!(report.epochs.iter().all(|e| e.train_loss.is_finite()));
        assert_eq!(lada.partners().unwrap().len(), items.len());
        let after = tagger.store().snapshot().unwrap();
        let changed = before
            .iter()
            .filter(|(k, v)| max_diff(v, &after[*k]) > 0.0)
            .count();
        assert!(changed > 10, "{changed} tensors changed");
    }

    #[test]
    fn semi_lada_adds_a_consistency_loss_reproducibly() {
        let (_, items, dir) = setup();
        let unlabeled: Vec<(usize, Vec<String>)> = [
            "grace visited the navy today",
            "turing met ada in berlin",
            "the navy left rome today",
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| (100 + i, s.split(' ').map(String::from).collect()))
        .collect();
        let cfg = TrainConfig {
            epochs: 2,
            batch_size: 3,
            learning_rate: 1e-3,
            selection: crate::train::Selection::Last,
            ..TrainConfig::default()
        };
        let lada_cfg = LadaConfig {
            kind: LadaKind::Intra,
            embedder: dir.path().display().to_string(),
            semi: Some(SemiConfig {
                paraphrases: ParaphraseSource::Neighbours { rate: 0.5 },
                batch_size: 2,
                ramp_up: 0.0,
                ..SemiConfig::default()
            }),
            ..LadaConfig::default()
        };
        // Twice with the paper's loss (Eq. 5, through the paraphrase only), then with the
        // authors' (both counts).
        let mut weights = Vec::new();
        for terms in [
            ConsistencyTerms::Paraphrase,
            ConsistencyTerms::Paraphrase,
            ConsistencyTerms::Both,
        ] {
            let (tagger, _, _d) = setup();
            let mut run_cfg = lada_cfg.clone();
            run_cfg.semi.as_mut().unwrap().consistency = terms;
            let mut lada = Lada::new(run_cfg)
                .unwrap()
                .with_unlabeled(unlabeled.clone(), 9);
            let report = fit_with(
                &tagger,
                &items,
                None,
                &cfg,
                &mut seeded(4),
                &mut |_| {},
                &mut lada,
            )
            .unwrap();
            assert!(report.epochs.iter().all(|e| e.train_loss.is_finite()));
            let c = lada.consistency().unwrap();
            assert_eq!(c.compared, 2 * 2 * 2, "2 epochs × 2 steps × 2 sentences");
            assert!(c.kept <= c.compared);
            let change = c.change.unwrap();
            assert_eq!(change.sentences, unlabeled.len());
            assert!(change.replaced <= change.words && change.unchanged <= change.sentences);
            assert_eq!(
                change.examples.len(),
                (change.sentences - change.unchanged).min(ParaphraseChange::EXAMPLES)
            );
            weights.push(tagger.store().snapshot().unwrap());
        }
        for (k, v) in &weights[0] {
            assert_eq!(max_diff(v, &weights[1][k]), 0.0, "{k}");
        }
        // The setting is wired: the authors' loss trains other weights.
        assert!(
            weights[0]
                .iter()
                .any(|(k, v)| max_diff(v, &weights[2][k]) > 0.0)
        );
        // Without unlabeled sentences Semi-LADA is refused.
        let (tagger, _, _d) = setup();
        let mut lada = Lada::new(lada_cfg).unwrap();
        let e = fit_with(
            &tagger,
            &items,
            None,
            &cfg,
            &mut seeded(4),
            &mut |_| {},
            &mut lada,
        );
        assert!(e.unwrap_err().to_string().contains("lada.semi"));
    }

    #[test]
    fn the_papers_consistency_loss_trains_only_the_paraphrase_counts() {
        use candle_core::{Tensor, Var};
        let dev = Device::Cpu;
        let target = Tensor::new(&[[1f32, 0.0], [0.0, 2.0]], &dev).unwrap();
        let para = Var::new(&[[0.5f32, 0.5], [0.0, 1.0]], &dev).unwrap();
        let orig = Var::new(&[[1f32, 1.0], [1.0, 1.0]], &dev).unwrap();
        let scalar = |t: &Tensor| t.to_scalar::<f32>().unwrap();
        // The paper: w·mean((para − t)²) = 3·(0.25 + 0.25 + 0 + 1)/4, and no gradient reaches
        // the original's counts.
        let paper = consistency_loss(&target, para.as_tensor(), None, 3.0).unwrap();
        assert!((scalar(&paper) - 1.125).abs() < 1e-6);
        let grads = paper.backward().unwrap();
        assert!(grads.get(orig.as_tensor()).is_none());
        // d/dpara = w·2·(para − t)/4.
        let g = grads
            .get(para.as_tensor())
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        assert_eq!(g, vec![vec![-0.75, 0.75], vec![0.0, -1.5]]);
        // The authors' code: w·½·(mean((orig − t)²) + mean((para − t)²)), term for term the
        // expression of the runs made before the setting existed (bit for bit).
        let both =
            consistency_loss(&target, para.as_tensor(), Some(orig.as_tensor()), 3.0).unwrap();
        let before = ((orig.as_tensor() - &target)
            .unwrap()
            .sqr()
            .unwrap()
            .mean_all()
            .unwrap()
            + (para.as_tensor() - &target)
                .unwrap()
                .sqr()
                .unwrap()
                .mean_all()
                .unwrap())
        .unwrap()
            * (0.5 * 3.0);
        assert_eq!(scalar(&both).to_bits(), scalar(&before.unwrap()).to_bits());
        let grads = both.backward().unwrap();
        let g = grads
            .get(orig.as_tensor())
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        assert_eq!(g, vec![vec![0.0, 0.75], vec![0.75, -0.75]]);
    }

    #[test]
    fn a_training_resumed_from_a_checkpoint_ends_as_an_uninterrupted_one() {
        use crate::train::{Checkpoint, fit_checkpointed};
        let (_, items, dir) = setup();
        let dev = crate::data::Dataset::new(
            "dev",
            vec![
                Sentence::new(
                    "Grace met Turing in Paris".split(' '),
                    "B-PER O B-PER O B-LOC".split(' '),
                ),
                Sentence::new(
                    "The Navy saw Berlin today".split(' '),
                    "O B-ORG O B-LOC O".split(' '),
                ),
            ],
        );
        let unlabeled: Vec<(usize, Vec<String>)> =
            ["grace visited the navy today", "turing met ada in berlin"]
                .iter()
                .enumerate()
                .map(|(i, s)| (100 + i, s.split(' ').map(String::from).collect()))
                .collect();
        let cfg = TrainConfig {
            epochs: 4,
            batch_size: 3,
            learning_rate: 1e-3,
            ..TrainConfig::default()
        };
        let lada_cfg = LadaConfig {
            kind: LadaKind::IntraInter,
            embedder: dir.path().display().to_string(),
            k: 2,
            semi: Some(SemiConfig {
                paraphrases: ParaphraseSource::Neighbours { rate: 0.5 },
                batch_size: 2,
                ..SemiConfig::default()
            }),
            ..LadaConfig::default()
        };
        let ckdir = tempfile::tempdir().unwrap();
        let path = ckdir.path().join("partial-000.safetensors");
        let after_one = ckdir.path().join("after-epoch-1.safetensors");
        // `ck`: None = no checkpoint; Some(file) = resume from / save to that file.
        let train = |ck: Option<&std::path::Path>, keep_first: bool| {
            let (tagger, _, _d) = setup();
            let mut lada = Lada::new(lada_cfg.clone())
                .unwrap()
                .with_unlabeled(unlabeled.clone(), 9);
            let checkpoint =
                ck.map(|p| Checkpoint::new(p, "test run").every(std::time::Duration::ZERO));
            let mut seen = Vec::new();
            let report = fit_checkpointed(
                &tagger,
                &items,
                Some(&dev),
                &cfg,
                &mut seeded(4),
                &mut |e| {
                    // Epoch 2 is logged before its checkpoint replaces epoch 1's.
                    if keep_first && e.epoch == 2 {
                        std::fs::copy(&path, &after_one).unwrap();
                    }
                    seen.push(e.epoch);
                },
                &mut lada,
                checkpoint.as_ref(),
            )
            .unwrap();
            assert_eq!(seen, [1, 2, 3, 4]);
            let c = lada.consistency().unwrap();
            (
                tagger.store().snapshot().unwrap(),
                report,
                (c.kept, c.compared),
            )
        };
        let (plain, plain_report, plain_counts) = train(None, false);
        let (saved, saved_report, _) = train(Some(&path), true);
        assert!(path.is_file() && after_one.is_file());
        assert_eq!(plain_report.resumed_seconds, 0.0);
        for (resume_from, label, restored) in [
            (&path, "after epoch 3", 3),
            (&after_one, "after epoch 1", 1),
        ] {
            let (w, report, counts) = train(Some(resume_from), false);
            // The restored epochs' times are counted, those run here are not.
            let earlier: f64 = report.epochs[..restored].iter().map(|e| e.seconds).sum();
            assert!(earlier > 0.0, "{label}");
            assert_eq!(report.resumed_seconds, earlier, "{label}");
            assert_eq!(counts, plain_counts, "{label}");
            assert_eq!(report.best_epoch, plain_report.best_epoch, "{label}");
            assert_eq!(report.updates, plain_report.updates, "{label}");
            for (a, b) in report.epochs.iter().zip(&plain_report.epochs) {
                assert_eq!(
                    (a.train_loss, a.dev, a.updates),
                    (b.train_loss, b.dev, b.updates),
                    "{label}"
                );
            }
            for (k, v) in &plain {
                assert_eq!(max_diff(v, &w[k]), 0.0, "{label}: {k}");
                assert_eq!(max_diff(v, &saved[k]), 0.0, "saving changed {k}");
            }
        }
        assert_eq!(saved_report.best_epoch, plain_report.best_epoch);
        // A checkpoint of another training is refused, naming the file.
        let (tagger, _, _d) = setup();
        let mut lada = Lada::new(lada_cfg.clone())
            .unwrap()
            .with_unlabeled(unlabeled.clone(), 9);
        let err = fit_checkpointed(
            &tagger,
            &items,
            Some(&dev),
            &cfg,
            &mut seeded(4),
            &mut |_| {},
            &mut lada,
            Some(&Checkpoint::new(&path, "another run")),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("partial-000.safetensors"), "{err}");
    }

    #[test]
    fn paraphrase_changes_are_counted_per_word_and_sentence() {
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let c = ParaphraseChange::measure(
            &[7, 8, 9],
            &[w("police said so"), w("no change"), w("a b")],
            &[w("police says so"), w("no change"), w("a b c")],
        );
        assert_eq!(
            (c.sentences, c.unchanged, c.words, c.replaced),
            (3, 1, 7, 3)
        );
        assert_eq!(
            c.examples,
            vec![
                (7, "police said so".into(), "police says so".into()),
                (9, "a b".into(), "a b c".into())
            ]
        );
    }

    #[test]
    fn paraphrasers_keep_capitalised_words_and_read_files() {
        let (_, _, dir) = setup();
        let mut p = semi::NeighbourParaphraser::load(dir.path(), 1.0, &Device::Cpu).unwrap();
        let s = vec![
            "Ada".to_string(),
            "visited".into(),
            "London".into(),
            "today".into(),
        ];
        let out = p
            .paraphrase(&[0], std::slice::from_ref(&s), &[], &mut seeded(1))
            .unwrap();
        assert_eq!((out[0][0].as_str(), out[0][2].as_str()), ("Ada", "London"));
        assert_ne!(out[0][1], "visited");
        assert_ne!(out[0][3], "today");
        let file = dir.path().join("para.tsv");
        std::fs::write(&file, "0\tAda saw London now\n\n7\tsomething else\n").unwrap();
        let mut f = semi::FileParaphrases::read(&file).unwrap();
        let got = f
            .paraphrase(&[0], std::slice::from_ref(&s), &[], &mut seeded(1))
            .unwrap();
        assert_eq!(got[0], ["Ada", "saw", "London", "now"]);
        let e = f
            .paraphrase(&[3], std::slice::from_ref(&s), &[], &mut seeded(1))
            .unwrap_err();
        assert!(e.to_string().contains("sentence 3"), "{e}");
        std::fs::write(&file, "0\tfine\nno tab here\n").unwrap();
        let e = semi::FileParaphrases::read(&file).unwrap_err().to_string();
        assert!(e.contains("para.tsv:2"), "{e}");
    }

    #[test]
    fn layers_scale_to_the_encoder_and_configs_are_checked() {
        let c = LadaConfig::default();
        assert_eq!(c.inter_layers_for(12), vec![8, 9, 10]);
        assert_eq!(c.inter_layers_for(6), vec![4, 5]);
        assert_eq!(c.intra_layers_for(6), vec![6]);
        let bad = LadaConfig {
            mu: 1.5,
            ..LadaConfig::default()
        };
        assert!(bad.check().unwrap_err().to_string().contains("lada.mu"));
        assert!("both".parse::<LadaKind>().unwrap() == LadaKind::IntraInter);
        assert!("half".parse::<LadaKind>().is_err());
    }
}
