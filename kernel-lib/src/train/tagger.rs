//! The token tagger: a pretrained encoder, dropout and a linear layer over the labels (SeqMix
//! App. C.2, LADA §4.2), trained on label distributions so that hard, mixed and soft labels
//! share one path.
//!
//! Special tokens (`[CLS]`, `[SEP]`, padding) carry no label and no loss; continuation pieces
//! follow the [`SubtokenLabels`] strategy; predictions are read at each word's first piece.
//! A trained tagger saves to a folder (`tagger.json`, `model.safetensors`, `tokenizer.json`)
//! and loads back from it.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::data::scheme::TagScheme;
use crate::data::{LabelVocab, Sentence};
use crate::encoding::align::{continuation_map, one_hot, piece_targets};
use crate::encoding::casing::{self, Casing, NUM_SHAPES};
use crate::encoding::{
    Batch, EncodeStats, Encoded, Example, LongPolicy, SubtokenLabels, WordTokenizer, make_batch,
    plan_batches,
};
use crate::error::{Error, Location, Result};
use crate::files::write_atomic;
use crate::model::bert::{BertConfig, BertEncoder, EncoderInput};
use crate::model::ops::{Linear, Pass};
use crate::model::params::{ParamStore, candle_err};
use crate::rng::SeqRng;
use crate::train::loss::soft_cross_entropy;
use crate::train::predict::Prediction;

/// Everything needed to rebuild a tagger; saved as `tagger.json` beside its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerConfig {
    /// The encoder's configuration.
    pub encoder: BertConfig,
    /// The output labels, in id order.
    pub labels: LabelVocab,
    /// The scheme of the labels.
    pub scheme: TagScheme,
    /// How continuation pieces are labeled in training.
    pub subtoken_labels: SubtokenLabels,
    /// Longest input in pieces, special tokens included.
    pub max_pieces: usize,
    /// Splitting or truncating longer sentences.
    pub long_sentences: LongPolicy,
    /// Dropout before the classifier.
    pub classifier_dropout: f64,
    /// Whether word-shape embeddings are added to the input (see [`crate::encoding::casing`]).
    #[serde(default)]
    pub casing: bool,
    /// The pretrained model folder's name (provenance).
    pub base_model: String,
}

/// Choices when creating a tagger from a pretrained encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaggerOptions {
    /// Sub-token labeling strategy.
    pub subtoken_labels: SubtokenLabels,
    /// Longest input in pieces (capped by the model's position embeddings).
    pub max_pieces: Option<usize>,
    /// What to do with longer sentences.
    pub long_sentences: LongPolicy,
    /// Dropout before the classifier (default: the encoder's hidden dropout, 0.1 for BERT).
    pub classifier_dropout: Option<f64>,
    /// Word-shape embeddings: on when the tokenizer lowercases by default.
    pub casing: Casing,
}

impl Default for TaggerOptions {
    fn default() -> Self {
        TaggerOptions {
            subtoken_labels: SubtokenLabels::Real,
            max_pieces: None,
            long_sentences: LongPolicy::Split,
            classifier_dropout: None,
            casing: Casing::Auto,
        }
    }
}

/// A sentence with one label distribution per word (a one-hot vector for a gold tag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainItem {
    /// The words.
    pub tokens: Vec<String>,
    /// Per word, a distribution over the tagger's labels.
    pub targets: Vec<Vec<f32>>,
}

impl TrainItem {
    /// One-hot targets from a sentence's tags.
    ///
    /// # Errors
    /// A tag that is not in `vocab`.
    pub fn from_sentence(s: &Sentence, vocab: &LabelVocab) -> Result<Self> {
        let ids = vocab.encode(&s.tags).map_err(|tag| {
            Error::input(
                Location::new(format!("sentence {}", s.id), s.line),
                "tag",
                format!("tag {tag:?} is not one of the tagger's labels"),
                format!("labels: {}", vocab.labels().join(", ")),
            )
        })?;
        Ok(TrainItem {
            tokens: s.tokens.clone(),
            targets: ids.into_iter().map(|i| one_hot(i, vocab.len())).collect(),
        })
    }
}

/// Encoder + dropout + linear head.
#[derive(Debug, Clone)]
pub struct Tagger {
    cfg: TaggerConfig,
    encoder: BertEncoder,
    classifier: Linear,
    store: ParamStore,
    tokenizer: WordTokenizer,
    cont: Vec<usize>,
    outside: usize,
}

impl Tagger {
    /// A new tagger on a pretrained BERT folder (`config.json`, `model.safetensors`,
    /// `tokenizer.json`); the head is initialised `N(0, initializer_range)` from `rng`.
    ///
    /// # Errors
    /// Missing or malformed model files, or labels without `O`.
    pub fn from_pretrained(
        dir: &Path,
        labels: LabelVocab,
        scheme: TagScheme,
        options: &TaggerOptions,
        device: &Device,
        rng: &mut SeqRng,
    ) -> Result<Self> {
        let encoder_cfg = BertConfig::from_file(&dir.join("config.json"))?;
        let mut store =
            ParamStore::load_encoder(&dir.join("model.safetensors"), device, true, |_| false)?;
        let (h, c) = (encoder_cfg.hidden_size, labels.len());
        let normal = Normal::new(0.0f32, encoder_cfg.initializer_range as f32)
            .map_err(|e| Error::config("initializer_range", e.to_string()))?;
        let w: Vec<f32> = (0..c * h).map(|_| normal.sample(rng)).collect();
        let init = || -> candle_core::Result<(Tensor, Tensor)> {
            Ok((
                Tensor::from_vec(w, (c, h), device)?,
                Tensor::zeros(c, DType::F32, device)?,
            ))
        };
        let (w, b) = init().map_err(candle_err)?;
        store.insert("classifier.weight", w, true)?;
        store.insert("classifier.bias", b, true)?;
        let max_pieces = options
            .max_pieces
            .unwrap_or(encoder_cfg.max_position_embeddings)
            .min(encoder_cfg.max_position_embeddings);
        let tokenizer = WordTokenizer::from_file(
            &dir.join("tokenizer.json"),
            max_pieces,
            options.long_sentences,
        )?;
        let casing = match options.casing {
            Casing::On => true,
            Casing::Off => false,
            Casing::Auto => tokenizer.lowercases(),
        };
        if casing {
            // Zero rows: the encoder starts exactly as pretrained.
            let z = Tensor::zeros((NUM_SHAPES, h), DType::F32, device).map_err(candle_err)?;
            store.insert("embeddings.case_embeddings.weight", z, true)?;
        }
        let cfg = TaggerConfig {
            classifier_dropout: options
                .classifier_dropout
                .unwrap_or(encoder_cfg.hidden_dropout_prob),
            encoder: encoder_cfg,
            labels,
            scheme,
            subtoken_labels: options.subtoken_labels,
            max_pieces,
            long_sentences: options.long_sentences,
            casing,
            base_model: dir
                .file_name()
                .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into()),
        };
        Self::assemble(cfg, store, tokenizer)
    }

    fn assemble(cfg: TaggerConfig, store: ParamStore, tokenizer: WordTokenizer) -> Result<Self> {
        let outside = cfg
            .labels
            .id("O")
            .ok_or_else(|| Error::config("labels", "the label set needs an `O` label"))?;
        let vb = store.var_builder();
        let encoder = BertEncoder::load(vb.clone(), &cfg.encoder).map_err(candle_err)?;
        let classifier = Linear::load(
            vb.pp("classifier"),
            cfg.encoder.hidden_size,
            cfg.labels.len(),
        )
        .map_err(candle_err)?;
        Ok(Tagger {
            cont: continuation_map(&cfg.labels),
            outside,
            cfg,
            encoder,
            classifier,
            store,
            tokenizer,
        })
    }

    /// Saves `tagger.json`, `model.safetensors` and `tokenizer.json` into `dir`.
    ///
    /// # Errors
    /// File errors.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let json = serde_json::to_string_pretty(&self.cfg).expect("config serializes");
        write_atomic(&dir.join("tagger.json"), json.as_bytes())?;
        self.store.save(&dir.join("model.safetensors"))?;
        self.tokenizer.save(&dir.join("tokenizer.json"))
    }

    /// Loads a tagger saved by [`Tagger::save`] (trainable, so training can continue).
    ///
    /// # Errors
    /// Missing or malformed files.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let path = dir.join("tagger.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let cfg: TaggerConfig = serde_json::from_str(&text).map_err(|e| {
            Error::input(
                Location::in_path(&path, e.line()),
                "tagger.json",
                e.to_string(),
                "expected a file written by seqlab's Tagger::save",
            )
        })?;
        let store = ParamStore::load_encoder(&dir.join("model.safetensors"), device, true, |n| {
            n.starts_with("classifier.")
        })?;
        if cfg.casing
            != store
                .tensors()
                .contains_key("embeddings.case_embeddings.weight")
        {
            return Err(Error::config(
                "casing",
                "tagger.json and model.safetensors disagree about the case embeddings",
            ));
        }
        let tokenizer = WordTokenizer::from_file(
            &dir.join("tokenizer.json"),
            cfg.max_pieces,
            cfg.long_sentences,
        )?;
        Self::assemble(cfg, store, tokenizer)
    }

    /// The configuration.
    pub fn config(&self) -> &TaggerConfig {
        &self.cfg
    }

    /// The labels.
    pub fn labels(&self) -> &LabelVocab {
        &self.cfg.labels
    }

    /// The encoder.
    pub fn encoder(&self) -> &BertEncoder {
        &self.encoder
    }

    /// The parameters (encoder and head).
    pub fn store(&self) -> &ParamStore {
        &self.store
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &WordTokenizer {
        &self.tokenizer
    }

    /// The device.
    pub fn device(&self) -> &Device {
        self.store.device()
    }

    /// Encodes items with their per-piece targets.
    ///
    /// # Errors
    /// A tokenizer failure, or targets whose count or width does not match.
    pub fn examples(&self, items: &[TrainItem]) -> Result<(Vec<Example>, EncodeStats)> {
        let mut stats = EncodeStats::default();
        let mut out = Vec::new();
        for (k, item) in items.iter().enumerate() {
            if item.targets.len() != item.tokens.len()
                || item
                    .targets
                    .iter()
                    .any(|t| t.len() != self.cfg.labels.len())
            {
                return Err(Error::config(
                    "targets",
                    format!(
                        "item {k}: {} words but {} target rows (each of width {} expected)",
                        item.tokens.len(),
                        item.targets.len(),
                        self.cfg.labels.len()
                    ),
                ));
            }
            let (chunks, s) = self.tokenizer.encode_words(&item.tokens)?;
            stats.add(s);
            for chunk in chunks {
                let targets = piece_targets(
                    &chunk,
                    &item.targets,
                    self.cfg.subtoken_labels,
                    &self.cont,
                    self.outside,
                );
                let case = self.piece_shapes(&chunk, &item.tokens);
                out.push(Example {
                    chunk,
                    targets,
                    sentence: k,
                    case,
                });
            }
        }
        Ok((out, stats))
    }

    /// Per piece, the shape of its word (empty when casing is off).
    fn piece_shapes<S: AsRef<str>>(&self, chunk: &Encoded, words: &[S]) -> Vec<u32> {
        if !self.cfg.casing {
            return Vec::new();
        }
        chunk
            .word_of
            .iter()
            .map(|w| w.map_or(casing::NONE, |w| casing::shape(words[w].as_ref())))
            .collect()
    }

    /// Pads examples `rows` into a batch on the tagger's device.
    ///
    /// # Errors
    /// A candle error.
    pub fn batch(&self, examples: &[Example], rows: &[usize]) -> Result<Batch> {
        let refs: Vec<&Example> = rows.iter().map(|&i| &examples[i]).collect();
        make_batch(
            &refs,
            rows.to_vec(),
            self.tokenizer.pad_id(),
            self.cfg.labels.len(),
            self.device(),
        )
    }

    /// Dropout and the linear head over hidden states.
    ///
    /// # Shapes
    /// `[B, T, H]` → `[B, T, C]`.
    pub fn head(&self, hidden: &Tensor, pass: &mut Pass) -> candle_core::Result<Tensor> {
        let h = pass.dropout(hidden, self.cfg.classifier_dropout)?;
        self.classifier.forward(&h)
    }

    /// Label scores for a batch.
    ///
    /// # Shapes
    /// batch of `[B, T]` → `[B, T, C]`.
    pub fn logits(&self, batch: &Batch, pass: &mut Pass) -> candle_core::Result<Tensor> {
        let h = self.encoder.forward(&Self::input(batch), pass)?;
        self.head(&h, pass)
    }

    /// The encoder input of a batch.
    pub fn input(batch: &Batch) -> EncoderInput<'_> {
        EncoderInput {
            case_ids: batch.case_ids.as_ref(),
            ..EncoderInput::new(&batch.ids, &batch.mask)
        }
    }

    /// The mean soft cross-entropy of a labeled batch.
    ///
    /// # Errors
    /// An unlabeled batch, or a candle error.
    pub fn loss(&self, batch: &Batch, pass: &mut Pass) -> Result<Tensor> {
        let (Some(t), Some(m)) = (&batch.targets, &batch.loss_mask) else {
            return Err(Error::config("batch", "the batch has no targets"));
        };
        let logits = self.logits(batch, pass).map_err(candle_err)?;
        soft_cross_entropy(&logits, t, m).map_err(candle_err)
    }

    /// Per-word label distributions for tokenized sentences (dropout off).
    ///
    /// Words that were not encoded (only with [`LongPolicy::Truncate`]) get `O` with
    /// probability 1.
    ///
    /// # Errors
    /// A tokenizer or candle failure.
    pub fn predict<S: AsRef<str>>(
        &self,
        sentences: &[Vec<S>],
        batch_size: usize,
    ) -> Result<Vec<Prediction>> {
        self.predict_with(sentences, batch_size, None)
    }

    /// Like [`Tagger::predict`] but with dropout on, masks drawn from `rng`: one sample of MC
    /// dropout.
    ///
    /// # Errors
    /// A tokenizer or candle failure.
    pub fn predict_sampled<S: AsRef<str>>(
        &self,
        sentences: &[Vec<S>],
        batch_size: usize,
        rng: &mut SeqRng,
    ) -> Result<Vec<Prediction>> {
        self.predict_with(sentences, batch_size, Some(rng))
    }

    fn predict_with<S: AsRef<str>>(
        &self,
        sentences: &[Vec<S>],
        batch_size: usize,
        mut rng: Option<&mut SeqRng>,
    ) -> Result<Vec<Prediction>> {
        let c = self.cfg.labels.len();
        let mut examples = Vec::new();
        for (k, words) in sentences.iter().enumerate() {
            let (chunks, _) = self.tokenizer.encode_words(words)?;
            examples.extend(chunks.into_iter().map(|chunk| Example {
                case: self.piece_shapes(&chunk, words),
                chunk,
                targets: Vec::new(),
                sentence: k,
            }));
        }
        let mut out: Vec<Prediction> = sentences
            .iter()
            .map(|w| Prediction {
                probs: vec![one_hot(self.outside, c); w.len()],
            })
            .collect();
        let lengths: Vec<usize> = examples.iter().map(|e| e.chunk.len()).collect();
        for rows in plan_batches(&lengths, batch_size, None) {
            let batch = self.batch(&examples, &rows)?;
            let mut pass = match rng.as_deref_mut() {
                Some(r) => Pass::sample(r),
                None => Pass::eval(),
            };
            let probs = self
                .logits(&batch, &mut pass)
                .and_then(|l| candle_nn::ops::softmax_last_dim(&l))
                .and_then(|p| p.to_vec3::<f32>())
                .map_err(candle_err)?;
            for (r, &i) in rows.iter().enumerate() {
                let e = &examples[i];
                for (pos, (w, &first)) in e.chunk.word_of.iter().zip(&e.chunk.first).enumerate() {
                    if let (Some(w), true) = (w, first) {
                        out[e.sentence].probs[*w] = probs[r][pos].clone();
                    }
                }
            }
        }
        Ok(out)
    }
}
