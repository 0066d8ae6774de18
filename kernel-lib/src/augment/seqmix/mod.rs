//! SeqMix (Zhang, Yu & Zhang, EMNLP 2020): sequence mixup for active sequence labeling.
//!
//! For two labeled parents, SeqMix draws `λ ~ Beta(α, α)`, mixes the input embeddings of the
//! paired words, `ẽ = λ·eᵢ + (1 − λ)·eⱼ`, and writes the token nearest to `ẽ` (Eq. 7, see
//! [`table`]). The labels are mixed with the same `λ` (Eq. 8): `ỹ = λ·yᵢ + (1 − λ)·yⱼ`.
//! Pairs come from the valid-label density rule ([`pairing`]), and a language model keeps
//! only the mixed sentences whose perplexity is in range ([`discriminator`]). Algorithm 1
//! augments the seed set and then each newly queried batch, generating
//! `N = ⌊r · |batch|⌋` sentences each time ([`SeqMixConfig::rate`]).
//!
//! Beyond the paper:
//! - The dominant label of every generated position is checked against IOB2. A stray `I-X` can
//!   appear where a window cuts an entity. It is repaired under a counted policy
//!   ([`LabelRepair`]) by moving probability mass between the two tags, so the label stays a
//!   distribution with the same values.
//! - An uncased vocabulary has no capitals. A generated word then takes the capitalisation of
//!   the dominant parent's word ([`table::TokenTable::shape_like`]).
//! - The nearest token can be searched by cosine similarity ([`Metric::Cosine`]); Eq. 7's L2
//!   picks short, rarely trained rows for the mixed vector of two unrelated words.
//! - Every candidate is recorded ([`CaseRecord`]: parents, windows, λ, tokens, soft labels,
//!   perplexity, verdict) for the case study of Figure 5.
//!
//! Options that reproduce the reference code are off by default:
//! [`SeqMixConfig::faithful_windows`] (a window must start on an entity label; the last start
//! is skipped; the first window is used; whole-sequence parents need `η₀·s` valid labels
//! rather than density `η₀` over the sentence) and [`Exclusion::Faithful`] (an admissible token among
//! the 7 nearest, with only `[UNK] [CLS] [SEP] [PAD]` excluded).
//!
//! ```
//! use seqlab::augment::seqmix::{SeqMix, SeqMixConfig, Variant, DiscriminatorConfig};
//! use seqlab::data::LabelVocab;
//! use seqlab::train::TrainItem;
//!
//! let dir = tempfile::tempdir()?;
//! let words = ["ada", "lovelace", "met", "babbage", "in", "london", "paris", "turing", "saw"];
//! seqlab::model::tiny::write_tiny_bert(dir.path(), &words, 3)?;
//! let labels = LabelVocab::for_types(["LOC", "PER"], seqlab::data::TagScheme::Iob2);
//! let cfg = SeqMixConfig {
//!     variant: Variant::Sub,
//!     window: 2,
//!     min_density: 0.5,
//!     rate: 1.0,
//!     discriminator: DiscriminatorConfig::None,
//!     ..SeqMixConfig::default()
//! };
//! let mut seqmix = SeqMix::new(cfg, dir.path(), labels.clone(), Vec::new(), None, &candle_core::Device::Cpu)?;
//! let item = |w: &[&str], t: &[&str]| {
//!     let s = seqlab::data::Sentence::new(w.iter().copied(), t.iter().copied());
//!     TrainItem::from_sentence(&s, &labels)
//! };
//! let batch = vec![
//!     item(&["Ada", "Lovelace", "met", "Babbage"], &["B-PER", "I-PER", "O", "B-PER"])?,
//!     item(&["Turing", "saw", "Paris"], &["B-PER", "O", "B-LOC"])?,
//! ];
//! let out = seqmix.generate(&batch, None, &mut seqlab::rng::seeded(1))?;
//! assert_eq!(out.items.len(), 2); // ⌊1.0 × 2⌋ sentences
//! for item in &out.items {
//!     for dist in &item.targets {
//!         assert!((dist.iter().sum::<f32>() - 1.0).abs() < 1e-5);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod discriminator;
pub mod pairing;
pub mod table;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use candle_core::Device;
use rand_distr::{Beta, Distribution};
use serde::{Deserialize, Serialize};

pub use discriminator::{Discriminator, DiscriminatorConfig};
pub use pairing::{Pair, Variant};
pub use table::{Exclusion, Metric, TokenTable, Vocabulary, WordVector};

use crate::active::Augmenter;
use crate::data::LabelVocab;
use crate::data::scheme::{Repair, TagScheme, repair};
use crate::error::{Error, Result};
use crate::model::CausalLm;
use crate::rng::{SeqRng, derived};
use crate::train::{Tagger, TrainItem};

/// What to do when the dominant labels of a generated sentence are not valid IOB2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelRepair {
    /// Read a stray `I-X` as the start of an entity (as conlleval does): its mass and the mass
    /// of `B-X` swap places.
    #[default]
    Begin,
    /// Drop the stray entity: the masses of its tags and of `O` swap places.
    Outside,
    /// Discard the generated sentence.
    Drop,
    /// Keep it as it is (only counted).
    Keep,
}

/// Which embedding matrix is the token table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TableSource {
    /// The pretrained encoder's input embeddings (loaded once).
    #[default]
    Pretrained,
    /// The current tagger's input embeddings (the reference code used a fine-tuned model's);
    /// the pretrained ones before the first training.
    Tagger,
}

fn d_alpha() -> f64 {
    8.0
}
fn d_window() -> usize {
    5
}
fn d_density() -> f64 {
    0.6
}
fn d_rate() -> f64 {
    0.2
}
fn d_lm() -> String {
    "smollm2".into()
}
fn d_pairs() -> usize {
    50
}

/// SeqMix's hyper-parameters. Defaults: the paper's CoNLL-2003 setting (§4.1, App. C.4):
/// sub-sequence mixup, `α = 8`, `s = 5`, `η₀ = 0.6`, augment rate 0.2. For WebPage the paper
/// used `s = 4`, `η₀ = 0.5`. The discriminator defaults to the 0th–90th percentile of the
/// training sentences' perplexity under SmolLM2-135M; the paper's `(0, 500)` was set for GPT-2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeqMixConfig {
    /// Whole-sequence, sub-sequence or label-constrained mixup.
    #[serde(default)]
    pub variant: Variant,
    /// `α` of `λ ~ Beta(α, α)`.
    #[serde(default = "d_alpha")]
    pub alpha: f64,
    /// Window length `s` in words (sub-sequence variants).
    #[serde(default = "d_window")]
    pub window: usize,
    /// Valid-label density threshold `η₀`.
    #[serde(default = "d_density")]
    pub min_density: f64,
    /// Augment rate `r = |L*| / |batch|`.
    #[serde(default = "d_rate")]
    pub rate: f64,
    /// The perplexity filter.
    #[serde(default)]
    pub discriminator: DiscriminatorConfig,
    /// The language model: `smollm2`, a `.gguf` file or a GPT-2 folder.
    #[serde(default = "d_lm")]
    pub lm: String,
    /// Vector of a multi-piece word.
    #[serde(default)]
    pub word_vector: WordVector,
    /// Which tokens may be generated.
    #[serde(default)]
    pub exclusion: Exclusion,
    /// The tokenizer's vocabulary, or only the words of the training text.
    #[serde(default)]
    pub vocabulary: Vocabulary,
    /// How the nearest token is measured: L2 (Eq. 7) or cosine.
    #[serde(default)]
    pub metric: Metric,
    /// Which embedding matrix is the table.
    #[serde(default)]
    pub table: TableSource,
    /// Repair of invalid IOB2 label sequences.
    #[serde(default)]
    pub repair: LabelRepair,
    /// The reference code's window rule (see [`pairing::eligible_windows`]); for
    /// whole-sequence mixup its parent rule, `η₀·s` valid labels anywhere in the sentence
    /// (see [`pairing::candidate_pairs`]).
    #[serde(default)]
    pub faithful_windows: bool,
    /// At most `N ×` this many pairs are tried per batch.
    #[serde(default = "d_pairs")]
    pub max_pairs_per_sample: usize,
}

impl Default for SeqMixConfig {
    fn default() -> Self {
        SeqMixConfig {
            variant: Variant::default(),
            alpha: d_alpha(),
            window: d_window(),
            min_density: d_density(),
            rate: d_rate(),
            discriminator: DiscriminatorConfig::default(),
            lm: d_lm(),
            word_vector: WordVector::default(),
            exclusion: Exclusion::default(),
            vocabulary: Vocabulary::default(),
            metric: Metric::default(),
            table: TableSource::default(),
            repair: LabelRepair::default(),
            faithful_windows: false,
            max_pairs_per_sample: d_pairs(),
        }
    }
}

impl SeqMixConfig {
    /// Checks every value; the error names the field and the allowed range.
    ///
    /// # Errors
    /// [`Error::Config`].
    pub fn check(&self) -> Result<()> {
        let bad = |field: &str, msg: String| Err(Error::config(format!("augment.{field}"), msg));
        if !(self.alpha > 0.0 && self.alpha <= 1000.0) {
            return bad("alpha", format!("{} is outside (0, 1000]", self.alpha));
        }
        if !(1..=512).contains(&self.window) {
            return bad("window", format!("{} is outside 1..=512", self.window));
        }
        if !(0.0..=1.0).contains(&self.min_density) {
            return bad(
                "min_density",
                format!("{} is outside 0..=1", self.min_density),
            );
        }
        if !(self.rate > 0.0 && self.rate <= 100.0) {
            return bad("rate", format!("{} is outside (0, 100]", self.rate));
        }
        if !(1..=100_000).contains(&self.max_pairs_per_sample) {
            return bad(
                "max_pairs_per_sample",
                format!("{} is outside 1..=100000", self.max_pairs_per_sample),
            );
        }
        self.discriminator.check()
    }
}

/// One generated candidate and what became of it (SeqMix Figure 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// The variant.
    pub variant: Variant,
    /// The parents' words.
    pub parents: [Vec<String>; 2],
    /// The parents' tags.
    pub parent_tags: [Vec<String>; 2],
    /// Where the mixed windows start in each parent.
    pub windows: [usize; 2],
    /// Window length in words.
    pub len: usize,
    /// The mixing coefficient.
    pub lambda: f64,
    /// Which parent's frame the sentence keeps (0 or 1; 0 for whole-sequence mixup).
    pub frame: usize,
    /// The generated words (empty when no admissible token was found).
    pub tokens: Vec<String>,
    /// The label distribution of every word (non-zero entries).
    pub soft_labels: Vec<BTreeMap<String, f32>>,
    /// The dominant tag of every word, after repair.
    pub tags: Vec<String>,
    /// Positions changed by the IOB2 repair.
    pub repaired: usize,
    /// The language model's perplexity.
    pub perplexity: Option<f64>,
    /// Whether it joined the training set.
    pub accepted: bool,
    /// Why not, when it did not.
    pub rejected: Option<String>,
}

/// Counts of one generation (a count missing from a record reads as 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationStats {
    /// `N`: sentences wanted.
    pub target: usize,
    /// Candidate pairs found by ζ.
    pub pairs_available: usize,
    /// Pairs mixed.
    pub pairs_tried: usize,
    /// Pairs without an admissible token for some position (faithful rule only).
    pub no_token: usize,
    /// Candidates whose dominant labels were repaired.
    pub repaired: usize,
    /// Candidates dropped for invalid labels ([`LabelRepair::Drop`]).
    pub dropped_invalid: usize,
    /// Candidates the discriminator rejected.
    pub rejected_perplexity: usize,
    /// Sentences returned.
    pub accepted: usize,
}

/// What [`SeqMix::generate`] returns.
#[derive(Debug, Clone, Default)]
pub struct Generation {
    /// The new training sequences.
    pub items: Vec<TrainItem>,
    /// Every candidate that was scored or failed, in order.
    pub cases: Vec<CaseRecord>,
    /// Counts.
    pub stats: GenerationStats,
}

/// The SeqMix augmenter.
pub struct SeqMix {
    cfg: SeqMixConfig,
    labels: LabelVocab,
    outside: usize,
    table: TokenTable,
    words: Option<HashSet<String>>,
    discriminator: Discriminator,
    reference: Vec<String>,
    ppl_cache: Option<std::path::PathBuf>,
    records: Vec<serde_json::Value>,
}

/// The words of the reference text for [`Vocabulary::Corpus`] (`None` otherwise).
fn corpus_words(cfg: &SeqMixConfig, reference: &[String]) -> Result<Option<HashSet<String>>> {
    if cfg.vocabulary != Vocabulary::Corpus {
        return Ok(None);
    }
    if reference.is_empty() {
        return Err(Error::config(
            "augment.vocabulary",
            "`corpus` needs the training text (reference sentences)",
        ));
    }
    Ok(Some(
        reference
            .iter()
            .flat_map(|s| s.split_whitespace())
            .flat_map(|w| [w.to_string(), w.to_lowercase()])
            .collect(),
    ))
}

impl std::fmt::Debug for SeqMix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeqMix")
            .field("cfg", &self.cfg)
            .field("table", &self.table)
            .field("discriminator", &self.discriminator)
            .finish()
    }
}

/// The generator of the percentile calibration sample: fixed, so that every seed and every
/// resumed run measures the same bounds.
const CALIBRATION_STREAM: u64 = 0x5E9_417;

impl SeqMix {
    /// SeqMix over the encoder folder `encoder_dir` (its `tokenizer.json` and input embeddings
    /// form the token table). `reference` holds training sentences (words joined by spaces) for
    /// percentile bounds. `lm` is the discriminator's model; `None` loads [`SeqMixConfig::lm`]
    /// when the discriminator needs one.
    ///
    /// # Errors
    /// A bad config, missing or malformed model files, or labels without `O`.
    pub fn new(
        cfg: SeqMixConfig,
        encoder_dir: &Path,
        labels: LabelVocab,
        reference: Vec<String>,
        lm: Option<Box<dyn CausalLm + Send>>,
        device: &Device,
    ) -> Result<Self> {
        cfg.check()?;
        let words = corpus_words(&cfg, &reference)?;
        let table = TokenTable::from_encoder_dir(
            encoder_dir,
            device,
            cfg.exclusion,
            cfg.word_vector,
            words.as_ref(),
        )?
        .with_metric(cfg.metric)?;
        let lm = match lm {
            Some(lm) => Some(lm),
            None if cfg.discriminator.needs_lm() => Some(discriminator::load_lm(&cfg.lm, device)?),
            None => None,
        };
        let discriminator = Discriminator::new(cfg.discriminator.clone(), lm)?;
        let outside = labels.id("O").ok_or_else(|| {
            Error::config(
                "labels",
                "SeqMix needs an `O` label to tell valid labels apart",
            )
        })?;
        Ok(SeqMix {
            cfg,
            labels,
            outside,
            table,
            words,
            discriminator,
            reference,
            ppl_cache: None,
            records: Vec::new(),
        })
    }

    /// Keeps the perplexities of the percentile calibration sample in `dir`, so that other
    /// runs with the same language model and reference text skip the scoring.
    pub fn with_ppl_cache(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.ppl_cache = Some(dir.into());
        self
    }

    /// The configuration.
    pub fn config(&self) -> &SeqMixConfig {
        &self.cfg
    }

    /// The discriminator (its bounds once calibrated).
    pub fn discriminator(&self) -> &Discriminator {
        &self.discriminator
    }

    /// The token table.
    pub fn table(&self) -> &TokenTable {
        &self.table
    }

    /// Generates `⌊rate · |batch|⌋` sentences from pairs within `batch` (Algorithm 2).
    /// `tagger` supplies the table when [`TableSource::Tagger`] is chosen.
    ///
    /// # Errors
    /// Model or language-model failures.
    pub fn generate(
        &mut self,
        batch: &[TrainItem],
        tagger: Option<&Tagger>,
        rng: &mut SeqRng,
    ) -> Result<Generation> {
        let target = (self.cfg.rate * batch.len() as f64 + 1e-9).floor() as usize;
        let mut out = Generation::default();
        out.stats.target = target;
        if target == 0 || batch.len() < 2 {
            return Ok(out);
        }
        let mut cal = derived(0, &[CALIBRATION_STREAM]);
        self.discriminator
            .calibrate(&self.reference, &mut cal, self.ppl_cache.as_deref())?;
        let tagger_table;
        let table = match (self.cfg.table, tagger) {
            (TableSource::Tagger, Some(t)) => {
                tagger_table = TokenTable::restricted(
                    t.tokenizer().clone(),
                    t.encoder().embeddings().word_table(),
                    self.cfg.exclusion,
                    self.cfg.word_vector,
                    self.words.as_ref(),
                )?
                .with_metric(self.cfg.metric)?;
                &tagger_table
            }
            _ => &self.table,
        };
        let ids: Vec<Vec<usize>> = batch.iter().map(|it| argmax_rows(&it.targets)).collect();
        let mut pairs = pairing::candidate_pairs(
            self.cfg.variant,
            &ids,
            self.outside,
            self.cfg.window,
            self.cfg.min_density,
            self.cfg.faithful_windows,
            rng,
        );
        out.stats.pairs_available = pairs.len();
        pairs.truncate(target.saturating_mul(self.cfg.max_pairs_per_sample));
        // Word vectors of the sentences that take part, computed when first needed.
        let mut vectors: Vec<Option<Vec<Vec<f32>>>> = vec![None; batch.len()];
        let beta = Beta::new(self.cfg.alpha, self.cfg.alpha)
            .map_err(|e| Error::config("augment.alpha", e.to_string()))?;
        let mut next = 0;
        while out.items.len() < target && next < pairs.len() {
            let want = target - out.items.len();
            // Enough pairs for what is missing, with a margin for rejections.
            let per_pair = if self.cfg.variant == Variant::Whole {
                1
            } else {
                2
            };
            let size = want.div_ceil(per_pair) * 5 / 4 + 1;
            let chunk = &pairs[next..pairs.len().min(next + size)];
            next += chunk.len();
            out.stats.pairs_tried += chunk.len();
            // Mixed vectors of every paired position in the chunk, one product for all.
            let lambdas: Vec<f64> = chunk.iter().map(|_| beta.sample(rng)).collect();
            for p in chunk {
                for k in [p.i, p.j] {
                    if vectors[k].is_none() {
                        vectors[k] = Some(table.word_vectors(&batch[k].tokens)?);
                    }
                }
            }
            let vec_of = |k: usize, t: usize| -> &[f32] {
                vectors[k].as_ref().map_or(&[][..], |v| v[t].as_slice())
            };
            let mut mixed = Vec::new();
            let mut parents = Vec::new();
            for (p, &lam) in chunk.iter().zip(&lambdas) {
                for t in 0..p.len {
                    let (a, b) = (vec_of(p.i, p.start_i + t), vec_of(p.j, p.start_j + t));
                    let l = lam as f32;
                    mixed.push(
                        a.iter()
                            .zip(b)
                            .map(|(x, y)| l * x + (1.0 - l) * y)
                            .collect(),
                    );
                    parents.push(vec![
                        batch[p.i].tokens[p.start_i + t].as_str(),
                        batch[p.j].tokens[p.start_j + t].as_str(),
                    ]);
                }
            }
            let nearest = table.nearest(&mixed, &parents)?;
            let mut candidates: Vec<(TrainItem, CaseRecord)> = Vec::new();
            let mut offset = 0;
            for (p, &lam) in chunk.iter().zip(&lambdas) {
                let found = &nearest[offset..offset + p.len];
                offset += p.len;
                let case = |frame: usize| CaseRecord {
                    variant: self.cfg.variant,
                    parents: [batch[p.i].tokens.clone(), batch[p.j].tokens.clone()],
                    parent_tags: [self.tags_of(&ids[p.i]), self.tags_of(&ids[p.j])],
                    windows: [p.start_i, p.start_j],
                    len: p.len,
                    lambda: lam,
                    frame,
                    tokens: Vec::new(),
                    soft_labels: Vec::new(),
                    tags: Vec::new(),
                    repaired: 0,
                    perplexity: None,
                    accepted: false,
                    rejected: None,
                };
                if found.iter().any(Option::is_none) {
                    out.stats.no_token += 1;
                    let mut c = case(0);
                    c.rejected = Some("no admissible token among the nearest".into());
                    out.cases.push(c);
                    continue;
                }
                let words: Vec<String> = found
                    .iter()
                    .enumerate()
                    .map(|(t, id)| {
                        let dominant = if lam >= 0.5 {
                            &batch[p.i].tokens[p.start_i + t]
                        } else {
                            &batch[p.j].tokens[p.start_j + t]
                        };
                        table.shape_like(table.token(id.unwrap_or(0)), dominant)
                    })
                    .collect();
                let mixed_labels: Vec<Vec<f32>> = (0..p.len)
                    .map(|t| {
                        let (a, b) = (
                            &batch[p.i].targets[p.start_i + t],
                            &batch[p.j].targets[p.start_j + t],
                        );
                        let l = lam as f32;
                        a.iter()
                            .zip(b)
                            .map(|(x, y)| l * x + (1.0 - l) * y)
                            .collect()
                    })
                    .collect();
                let frames: &[usize] = match self.cfg.variant {
                    Variant::Whole => &[0],
                    Variant::Sub | Variant::LabelConstrained => &[0, 1],
                };
                for &frame in frames {
                    let (k, start) = if frame == 0 {
                        (p.i, p.start_i)
                    } else {
                        (p.j, p.start_j)
                    };
                    let mut item = batch[k].clone();
                    for t in 0..p.len {
                        item.tokens[start + t] = words[t].clone();
                        if self.cfg.variant != Variant::LabelConstrained {
                            item.targets[start + t] = mixed_labels[t].clone();
                        }
                    }
                    let mut c = case(frame);
                    let changed = self.repair_labels(&mut item.targets);
                    c.repaired = changed;
                    if changed > 0 {
                        out.stats.repaired += 1;
                    }
                    c.tokens = item.tokens.clone();
                    c.soft_labels = self.soft_of(&item.targets);
                    c.tags = self.tags_of(&argmax_rows(&item.targets));
                    if changed > 0 && self.cfg.repair == LabelRepair::Drop {
                        out.stats.dropped_invalid += 1;
                        c.rejected = Some("labels are not valid IOB2".into());
                        out.cases.push(c);
                        continue;
                    }
                    candidates.push((item, c));
                }
            }
            // The discriminator scores the chunk's candidates in one batch.
            let texts: Vec<String> = candidates
                .iter()
                .map(|(it, _)| it.tokens.join(" "))
                .collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let ppl = if self.discriminator.config() == &DiscriminatorConfig::None {
                vec![f64::NAN; refs.len()]
            } else {
                self.discriminator.perplexities(&refs)?
            };
            for ((item, mut c), v) in candidates.into_iter().zip(ppl) {
                c.perplexity = (!v.is_nan()).then_some(v);
                if out.items.len() >= target {
                    c.rejected = Some("enough sentences already".into());
                } else if self.discriminator.accepts(v)? {
                    c.accepted = true;
                    out.items.push(item);
                } else {
                    out.stats.rejected_perplexity += 1;
                    c.rejected = Some("perplexity out of range".into());
                }
                out.cases.push(c);
            }
        }
        out.stats.accepted = out.items.len();
        Ok(out)
    }

    fn tags_of(&self, ids: &[usize]) -> Vec<String> {
        ids.iter()
            .map(|&i| self.labels.label(i).unwrap_or("O").to_string())
            .collect()
    }

    fn soft_of(&self, targets: &[Vec<f32>]) -> Vec<BTreeMap<String, f32>> {
        targets
            .iter()
            .map(|d| {
                d.iter()
                    .enumerate()
                    .filter(|(_, p)| **p > 0.0)
                    .map(|(i, p)| (self.labels.label(i).unwrap_or("?").to_string(), *p))
                    .collect()
            })
            .collect()
    }

    /// Makes the dominant tags valid IOB2 by swapping the masses of the found and the repaired
    /// tag at each changed position; returns how many positions were invalid.
    fn repair_labels(&self, targets: &mut [Vec<f32>]) -> usize {
        let ids = argmax_rows(targets);
        let tags = self.tags_of(&ids);
        let policy = match self.cfg.repair {
            LabelRepair::Outside => Repair::Outside,
            _ => Repair::Begin,
        };
        let Ok((fixed, changed)) = repair(&tags, TagScheme::Iob2, policy) else {
            return 0;
        };
        if changed == 0 || matches!(self.cfg.repair, LabelRepair::Keep | LabelRepair::Drop) {
            return changed;
        }
        for (t, (old, new)) in tags.iter().zip(&fixed).enumerate() {
            if old != new
                && let Some(n) = self.labels.id(new)
            {
                targets[t].swap(ids[t], n);
            }
        }
        changed
    }
}

/// The index of the largest entry of each row (the first on ties).
fn argmax_rows(rows: &[Vec<f32>]) -> Vec<usize> {
    rows.iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
                    if v > best.1 { (i, v) } else { best }
                })
                .0
        })
        .collect()
}

impl Augmenter for SeqMix {
    fn name(&self) -> String {
        format!("seqmix-{}", self.cfg.variant)
    }

    fn augment(
        &mut self,
        new: &[TrainItem],
        _labeled: &[TrainItem],
        tagger: Option<&Tagger>,
        rng: &mut SeqRng,
    ) -> Result<Vec<TrainItem>> {
        let g = self.generate(new, tagger, rng)?;
        let bounds = self.discriminator.bounds();
        self.records.push(serde_json::json!({
            "stats": g.stats,
            "discriminator": self.cfg.discriminator.label(),
            "bounds": bounds.map(|(a, b)| [a, b]),
        }));
        self.records.extend(
            g.cases
                .iter()
                .map(|c| serde_json::to_value(c).unwrap_or(serde_json::Value::Null)),
        );
        Ok(g.items)
    }

    fn take_records(&mut self) -> Vec<serde_json::Value> {
        std::mem::take(&mut self.records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Sentence;
    use crate::encoding::tokenizer::{LongPolicy, WordTokenizer};
    use crate::model::params::ParamStore;
    use crate::rng::seeded;

    const WORDS: [&str; 24] = [
        "ada",
        "lovelace",
        "met",
        "babbage",
        "in",
        "london",
        "paris",
        "turing",
        "saw",
        "bletchley",
        "park",
        "acme",
        "corp",
        "hired",
        "grace",
        "hopper",
        "at",
        "yale",
        "the",
        "navy",
        "visited",
        "berlin",
        "and",
        "rome",
    ];

    fn batch(labels: &LabelVocab) -> Vec<TrainItem> {
        let rows: [(&str, &str); 6] = [
            (
                "Ada Lovelace met Babbage in London",
                "B-PER I-PER O B-PER O B-LOC",
            ),
            (
                "Turing saw Bletchley Park in Paris",
                "B-PER O B-LOC I-LOC O B-LOC",
            ),
            (
                "Acme Corp hired Grace Hopper at Yale",
                "B-ORG I-ORG O B-PER I-PER O B-ORG",
            ),
            (
                "The Navy visited Berlin and Rome",
                "O B-ORG O B-LOC O B-LOC",
            ),
            (
                "Grace Hopper saw Rome and Paris",
                "B-PER I-PER O B-LOC O B-LOC",
            ),
            ("Babbage visited Yale", "B-PER O B-ORG"),
        ];
        rows.iter()
            .map(|(w, t)| {
                let s = Sentence::new(w.split(' '), t.split(' '));
                TrainItem::from_sentence(&s, labels).unwrap()
            })
            .collect()
    }

    fn seqmix(cfg: SeqMixConfig) -> (SeqMix, LabelVocab, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        crate::model::tiny::write_tiny_bert(dir.path(), &WORDS, 11).unwrap();
        let labels = LabelVocab::for_types(["LOC", "ORG", "PER"], TagScheme::Iob2);
        let cfg = SeqMixConfig {
            discriminator: DiscriminatorConfig::None,
            ..cfg
        };
        let m = SeqMix::new(
            cfg,
            dir.path(),
            labels.clone(),
            Vec::new(),
            None,
            &Device::Cpu,
        )
        .unwrap();
        (m, labels, dir)
    }

    fn cfg(variant: Variant) -> SeqMixConfig {
        SeqMixConfig {
            variant,
            window: 3,
            min_density: 0.6,
            rate: 2.0,
            ..SeqMixConfig::default()
        }
    }

    #[test]
    fn soft_labels_sum_to_one_and_follow_lambda() {
        let (mut m, labels, _dir) = seqmix(cfg(Variant::Sub));
        let b = batch(&labels);
        let g = m.generate(&b, None, &mut seeded(3)).unwrap();
        assert_eq!(g.stats.target, 12);
        assert_eq!(g.items.len(), 12, "{:?}", g.stats);
        let onehot = |tag: &str| labels.id(tag).unwrap();
        let accepted: Vec<&CaseRecord> = g.cases.iter().filter(|c| c.accepted).collect();
        assert_eq!(accepted.len(), g.items.len());
        for (c, item) in accepted.iter().zip(&g.items) {
            assert!(c.lambda > 0.0 && c.lambda < 1.0);
            for d in &item.targets {
                assert!((d.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            }
            if c.repaired > 0 {
                continue;
            }
            let start = c.windows[c.frame];
            for (t, d) in item.targets.iter().enumerate() {
                let mut want = vec![0f32; labels.len()];
                if (start..start + c.len).contains(&t) {
                    let k = t - start;
                    want[onehot(&c.parent_tags[0][c.windows[0] + k])] += c.lambda as f32;
                    want[onehot(&c.parent_tags[1][c.windows[1] + k])] += 1.0 - c.lambda as f32;
                } else {
                    want[onehot(&c.parent_tags[c.frame][t])] = 1.0;
                }
                for (a, b) in d.iter().zip(&want) {
                    assert!((a - b).abs() < 1e-5, "position {t}: {d:?} vs {want:?}");
                }
            }
        }
    }

    #[test]
    fn generated_tokens_are_admissible_and_new() {
        for variant in [Variant::Whole, Variant::Sub, Variant::LabelConstrained] {
            let (mut m, labels, _dir) = seqmix(SeqMixConfig {
                min_density: 0.3,
                ..cfg(variant)
            });
            let g = m.generate(&batch(&labels), None, &mut seeded(4)).unwrap();
            assert!(!g.items.is_empty(), "{variant}: {:?}", g.stats);
            for c in g.cases.iter().filter(|c| c.accepted) {
                let start = c.windows[c.frame];
                for k in 0..c.len {
                    let tok = c.tokens[start + k].to_lowercase();
                    assert!(admissible_word(&tok), "{variant}: generated {tok:?}");
                    assert_ne!(tok, c.parents[0][c.windows[0] + k].to_lowercase());
                    assert_ne!(tok, c.parents[1][c.windows[1] + k].to_lowercase());
                }
                // Outside the window the frame parent is unchanged.
                for (t, w) in c.tokens.iter().enumerate() {
                    if !(start..start + c.len).contains(&t) {
                        assert_eq!(w, &c.parents[c.frame][t]);
                    }
                }
                if variant == Variant::LabelConstrained {
                    assert_eq!(c.tags, c.parent_tags[c.frame], "hard labels are kept");
                }
                if variant == Variant::Whole {
                    assert_eq!(
                        (c.len, c.tokens.len()),
                        (c.parents[0].len(), c.parents[1].len())
                    );
                }
            }
        }
    }

    fn seqlab_admissible(t: &str) -> bool {
        table::admissible(t, Exclusion::Paper)
    }

    fn admissible_word(t: &str) -> bool {
        seqlab_admissible(t)
    }

    #[test]
    fn the_same_seed_generates_the_same_set() {
        let (mut m, labels, _dir) = seqmix(cfg(Variant::Sub));
        let b = batch(&labels);
        let a = m.generate(&b, None, &mut seeded(5)).unwrap();
        let again = m.generate(&b, None, &mut seeded(5)).unwrap();
        assert_eq!(a.items, again.items);
        assert_eq!(a.cases, again.cases);
        let other = m.generate(&b, None, &mut seeded(6)).unwrap();
        assert_ne!(a.cases, other.cases);
    }

    #[test]
    fn no_pair_without_dense_windows_and_rate_sets_the_count() {
        let (mut m, labels, _dir) = seqmix(SeqMixConfig {
            min_density: 1.0,
            window: 4,
            ..cfg(Variant::Sub)
        });
        let g = m.generate(&batch(&labels), None, &mut seeded(1)).unwrap();
        assert_eq!((g.stats.pairs_available, g.items.len()), (0, 0));
        let (mut m, labels, _dir) = seqmix(SeqMixConfig {
            rate: 0.5,
            ..cfg(Variant::Sub)
        });
        let g = m.generate(&batch(&labels), None, &mut seeded(1)).unwrap();
        assert_eq!((g.stats.target, g.items.len()), (3, 3));
    }

    #[test]
    fn a_corpus_vocabulary_generates_only_corpus_words() {
        let dir = tempfile::tempdir().unwrap();
        crate::model::tiny::write_tiny_bert(dir.path(), &WORDS, 11).unwrap();
        let labels = LabelVocab::for_types(["LOC", "ORG", "PER"], TagScheme::Iob2);
        let reference: Vec<String> = ["Ada met Babbage in London", "The Navy saw Rome and Paris"]
            .map(String::from)
            .to_vec();
        let allowed: HashSet<String> = reference
            .iter()
            .flat_map(|s| s.split(' '))
            .map(str::to_lowercase)
            .collect();
        let cfg = SeqMixConfig {
            vocabulary: Vocabulary::Corpus,
            discriminator: DiscriminatorConfig::None,
            ..cfg(Variant::Sub)
        };
        let mut m = SeqMix::new(
            cfg.clone(),
            dir.path(),
            labels.clone(),
            reference,
            None,
            &Device::Cpu,
        )
        .unwrap();
        let g = m.generate(&batch(&labels), None, &mut seeded(2)).unwrap();
        assert!(!g.items.is_empty());
        for c in g.cases.iter().filter(|c| c.accepted) {
            let start = c.windows[c.frame];
            for w in &c.tokens[start..start + c.len] {
                assert!(
                    allowed.contains(&w.to_lowercase()),
                    "{w:?} is not in the corpus"
                );
            }
        }
        // Without reference text the restriction is refused with the field named.
        let e = SeqMix::new(cfg, dir.path(), labels, Vec::new(), None, &Device::Cpu).unwrap_err();
        assert!(e.to_string().contains("augment.vocabulary"), "{e}");
    }

    /// The tokenizer and word-piece embedding matrix of a tiny BERT over [`WORDS`] (and the
    /// folder that holds it).
    fn tiny_table_parts() -> (WordTokenizer, candle_core::Tensor, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        crate::model::tiny::write_tiny_bert(dir.path(), &WORDS, 11).unwrap();
        let tok =
            WordTokenizer::from_file(&dir.path().join("tokenizer.json"), 64, LongPolicy::Truncate)
                .unwrap();
        let store = ParamStore::load_encoder(
            &dir.path().join("model.safetensors"),
            &Device::Cpu,
            false,
            |_| false,
        )
        .unwrap();
        let e = store.tensors()["embeddings.word_embeddings.weight"].clone();
        (tok, e, dir)
    }

    #[test]
    fn nearest_is_the_exact_l2_argmin_and_faithful_stays_in_the_top_7() {
        use rand::Rng;
        let (tok, matrix, _dir) = tiny_table_parts();
        let e = &matrix;
        let mut rng = seeded(8);
        for exclusion in [Exclusion::Paper, Exclusion::Faithful] {
            let t = TokenTable::new(tok.clone(), e, exclusion, WordVector::Mean).unwrap();
            let vecs = t.word_vectors(&["ada", "paris", "rome", "navy"]).unwrap();
            let mut mixed: Vec<(Vec<f32>, &str)> = Vec::new();
            for _ in 0..40 {
                let (a, b) = (rng.random_range(0..4), rng.random_range(0..4));
                let l: f32 = rng.random();
                mixed.push((
                    vecs[a]
                        .iter()
                        .zip(&vecs[b])
                        .map(|(x, y)| l * x + (1.0 - l) * y)
                        .collect(),
                    ["ada", "paris", "rome", "navy"][a],
                ));
            }
            let m: Vec<Vec<f32>> = mixed.iter().map(|(v, _)| v.clone()).collect();
            let parents: Vec<Vec<&str>> = mixed.iter().map(|(_, p)| vec![*p]).collect();
            let got = t.nearest(&m, &parents).unwrap();
            for ((v, parent), id) in mixed.iter().zip(got) {
                let d = |k: usize| -> f32 {
                    t.row(k).iter().zip(v).map(|(a, b)| (a - b).powi(2)).sum()
                };
                let mut order: Vec<usize> = (0..t.len()).collect();
                order.sort_by(|&a, &b| d(a).total_cmp(&d(b)));
                let ok =
                    |k: &usize| table::admissible(t.token(*k), exclusion) && t.token(*k) != *parent;
                match exclusion {
                    Exclusion::Paper => assert_eq!(id, order.iter().copied().find(ok)),
                    Exclusion::Faithful => {
                        assert_eq!(id, order[..table::FAITHFUL_TOP].iter().copied().find(ok));
                    }
                }
            }
        }
    }

    #[test]
    fn cosine_nearest_is_the_exact_cosine_argmax_and_ignores_the_query_length() {
        use rand::Rng;
        let (tok, matrix, _dir) = tiny_table_parts();
        let e = &matrix;
        let t = TokenTable::new(tok, e, Exclusion::Paper, WordVector::Mean)
            .unwrap()
            .with_metric(Metric::Cosine)
            .unwrap();
        let mut rng = seeded(9);
        let words = ["ada", "paris", "rome", "navy"];
        let vecs = t.word_vectors(&words).unwrap();
        let cos = |k: usize, v: &[f32]| -> f32 {
            let r = t.row(k);
            let dot: f32 = r.iter().zip(v).map(|(a, b)| a * b).sum();
            dot / r.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-30)
        };
        let mut mixed = Vec::new();
        let mut parents = Vec::new();
        for _ in 0..40 {
            let (a, b) = (rng.random_range(0..4), rng.random_range(0..4));
            let l: f32 = rng.random();
            let v: Vec<f32> = vecs[a]
                .iter()
                .zip(&vecs[b])
                .map(|(x, y)| l * x + (1.0 - l) * y)
                .collect();
            // The same direction, 3 times longer: the same nearest token.
            mixed.push(v.iter().map(|x| 3.0 * x).collect());
            mixed.push(v);
            parents.push(vec![words[a]]);
            parents.push(vec![words[a]]);
        }
        let got = t.nearest(&mixed, &parents).unwrap();
        for ((v, ps), id) in mixed.iter().zip(&parents).zip(&got) {
            let best = (0..t.len())
                .filter(|&k| table::admissible(t.token(k), Exclusion::Paper) && t.token(k) != ps[0])
                .max_by(|&a, &b| cos(a, v).total_cmp(&cos(b, v)).then(b.cmp(&a)));
            assert_eq!(*id, best);
        }
        for pair in got.chunks(2) {
            assert_eq!(pair[0], pair[1]);
        }
        // Unknown metric names are refused when the config is read.
        let bad: std::result::Result<SeqMixConfig, _> =
            serde_json::from_str(r#"{"variant":"sub","metric":"manhattan"}"#);
        assert!(bad.unwrap_err().to_string().contains("manhattan"));
    }

    #[test]
    fn invalid_dominant_labels_are_repaired_by_swapping_mass() {
        let (m, labels, _dir) = seqmix(cfg(Variant::Sub));
        let id = |t: &str| labels.id(t).unwrap();
        let dist = |pairs: &[(&str, f32)]| {
            let mut d = vec![0f32; labels.len()];
            for (t, p) in pairs {
                d[id(t)] = *p;
            }
            d
        };
        // O, then a stray I-PER (0.6) over B-LOC (0.4).
        let mut targets = vec![dist(&[("O", 1.0)]), dist(&[("I-PER", 0.6), ("B-LOC", 0.4)])];
        assert_eq!(m.repair_labels(&mut targets), 1);
        assert_eq!(targets[1][id("B-PER")], 0.6);
        assert_eq!(targets[1][id("I-PER")], 0.0);
        assert_eq!(targets[1][id("B-LOC")], 0.4);
        let (m, _, _dir) = seqmix(SeqMixConfig {
            repair: LabelRepair::Outside,
            ..cfg(Variant::Sub)
        });
        let mut targets = vec![dist(&[("O", 1.0)]), dist(&[("I-PER", 0.6), ("O", 0.4)])];
        assert_eq!(m.repair_labels(&mut targets), 1);
        assert_eq!((targets[1][id("O")], targets[1][id("I-PER")]), (0.6, 0.4));
    }
}
