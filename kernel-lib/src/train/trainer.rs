//! Fine-tuning a [`Tagger`]: epochs over shuffled, length-bucketed batches; AdamW with linear
//! warmup and decay; gradient clipping; evaluation on dev after every epoch; model selection
//! (best dev F1, or the papers' code's lowest training loss, or the last epoch) and optional
//! early stopping.
//!
//! ```no_run
//! # use seqlab::train::{fit, TrainConfig, TrainItem, Tagger};
//! # fn demo(tagger: &Tagger, items: &[TrainItem], dev: &seqlab::data::Dataset) -> seqlab::Result<()> {
//! let cfg = TrainConfig { epochs: 10, ..TrainConfig::default() };
//! cfg.check()?;
//! let mut rng = seqlab::rng::seeded(1);
//! let report = fit(tagger, items, Some(dev), &cfg, &mut rng, &mut |e| println!("{e}"))?;
//! println!("best epoch {}", report.best_epoch);
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::Instant;

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::encoding::{EncodeStats, Example, plan_batches};
use crate::error::{Error, Result};
use crate::metrics::{Mode, Scores, score};
use crate::model::ops::Pass;
use crate::model::params::candle_err;
use crate::rng::SeqRng;
use crate::train::checkpoint::{
    Checkpoint, FitState, RngState, VERSION as CHECKPOINT_VERSION, pack, unpack_weights,
};
use crate::train::optim::{AdamW, AdamWConfig, LinearSchedule};
use crate::train::predict::{Constraints, Decode};
use crate::train::tagger::{Tagger, TrainItem};

/// Which epoch's weights to keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// The epoch with the best dev micro F1 (needs a dev set).
    #[default]
    DevF1,
    /// The epoch with the lowest mean training loss (what the SeqMix code does).
    TrainLoss,
    /// The last epoch.
    Last,
}

impl std::str::FromStr for Selection {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "dev-f1" | "dev" => Ok(Selection::DevF1),
            "train-loss" => Ok(Selection::TrainLoss),
            "last" => Ok(Selection::Last),
            other => Err(Error::config(
                "selection",
                format!("unknown selection {other:?}; expected dev-f1, train-loss or last"),
            )),
        }
    }
}

/// Training hyper-parameters. Defaults follow SeqMix App. C.4 (lr 5e-5, batch 32, 10 epochs,
/// Adam ε 1e-8, dropout 0.1 in the model) with 10 % warmup and clipping at norm 1 as the BERT
/// fine-tuning scripts both papers build on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Passes over the training data.
    pub epochs: usize,
    /// Sentences (chunks) per batch.
    pub batch_size: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Fraction of the updates spent warming up, in [0, 1).
    pub warmup_ratio: f64,
    /// Clip the global gradient norm to this (`None`: no clipping).
    pub max_grad_norm: Option<f64>,
    /// AdamW's other settings.
    pub adam: AdamWConfig,
    /// Which epoch to keep.
    pub selection: Selection,
    /// Stop after this many epochs without improvement of the selection criterion.
    pub patience: Option<usize>,
    /// Batch size for evaluation.
    pub eval_batch_size: usize,
    /// How dev predictions are scored.
    pub eval_mode: Mode,
    /// How dev (and, in experiments, test) distributions become tags.
    pub decode: Decode,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 32,
            learning_rate: 5e-5,
            warmup_ratio: 0.1,
            max_grad_norm: Some(1.0),
            adam: AdamWConfig::default(),
            selection: Selection::DevF1,
            patience: None,
            eval_batch_size: 64,
            eval_mode: Mode::Conlleval,
            decode: Decode::Argmax,
        }
    }
}

impl TrainConfig {
    /// Checks every value; the error names the field and the allowed range.
    ///
    /// # Errors
    /// [`Error::Config`].
    pub fn check(&self) -> Result<()> {
        let bad = |f: &str, m: String| Err(Error::config(f, m));
        if self.epochs == 0 {
            return bad("epochs", "must be at least 1".into());
        }
        if self.batch_size == 0 || self.eval_batch_size == 0 {
            return bad("batch_size", "must be at least 1".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate < 1.0) {
            return bad(
                "learning_rate",
                format!("{} is outside (0, 1)", self.learning_rate),
            );
        }
        if !(0.0..1.0).contains(&self.warmup_ratio) {
            return bad(
                "warmup_ratio",
                format!("{} is outside [0, 1)", self.warmup_ratio),
            );
        }
        if let Some(n) = self.max_grad_norm.filter(|n| *n <= 0.0) {
            return bad("max_grad_norm", format!("{n} must be positive"));
        }
        let a = &self.adam;
        for (f, v) in [("adam.beta1", a.beta1), ("adam.beta2", a.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(f, format!("{v} is outside [0, 1)"));
            }
        }
        if a.eps <= 0.0 || a.weight_decay < 0.0 {
            return bad(
                "adam",
                "eps must be positive and weight_decay non-negative".into(),
            );
        }
        if self.patience == Some(0) {
            return bad("patience", "must be at least 1 when set".into());
        }
        Ok(())
    }
}

/// Dev-set figures after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DevScore {
    /// Micro F1 in [0, 1].
    pub f1: f64,
    /// Mean word-level cross-entropy of the gold labels.
    pub loss: f64,
}

/// What happened in one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Dev figures, when a dev set was given.
    pub dev: Option<DevScore>,
    /// Updates so far.
    pub updates: u64,
    /// Seconds of this epoch (training and evaluation).
    pub seconds: f64,
}

impl fmt::Display for EpochLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "epoch {:>2}  train loss {:.4}",
            self.epoch, self.train_loss
        )?;
        if let Some(d) = self.dev {
            write!(f, "  dev F1 {:.2}  dev loss {:.4}", 100.0 * d.f1, d.loss)?;
        }
        write!(f, "  ({:.1} s)", self.seconds)
    }
}

/// The outcome of [`fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// One entry per epoch run.
    pub epochs: Vec<EpochLog>,
    /// The epoch whose weights the tagger holds now (1-based).
    pub best_epoch: usize,
    /// Whether early stopping ended training.
    pub stopped_early: bool,
    /// Unusual cases met while encoding the training data.
    pub encode: EncodeStats,
    /// Total updates.
    pub updates: u64,
    /// Word pieces processed per second of training (evaluation excluded).
    pub train_pieces_per_second: f64,
    /// Wall seconds of the epochs restored from a checkpoint, spent by earlier processes (the
    /// sum of their [`EpochLog::seconds`]); 0 when training started from the first epoch.
    #[serde(default)]
    pub resumed_seconds: f64,
}

/// The training loss of one batch. [`fit`] uses [`PlainLoss`]; mixup methods (LADA) bring
/// their own through [`fit_with`].
pub trait BatchLoss {
    /// Called once before the first epoch with the training items and their encoded examples
    /// (`examples[e].sentence` indexes `items`).
    ///
    /// # Errors
    /// Whatever the preparation needs that can fail (a model, a file).
    fn prepare(
        &mut self,
        _tagger: &Tagger,
        _items: &[TrainItem],
        _examples: &[Example],
    ) -> Result<()> {
        Ok(())
    }

    /// The scalar loss of the batch made of `rows` (indices into `examples`). `progress` is
    /// the fraction of the updates already done, in `[0, 1)`. Draw randomness (dropout masks
    /// included) from `rng` only.
    ///
    /// # Errors
    /// A model failure.
    fn loss(
        &mut self,
        tagger: &Tagger,
        examples: &[Example],
        rows: &[usize],
        rng: &mut SeqRng,
        progress: f64,
    ) -> Result<Tensor>;

    /// A line on what the loss observed during training, if it has one to give.
    fn summary(&self) -> Option<String> {
        None
    }

    /// What the loss carries from one batch to the next (counters, not the prepared data),
    /// saved in [`Checkpoint`]s.
    fn state(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// Restores [`BatchLoss::state`] after [`BatchLoss::prepare`], when a training resumes.
    ///
    /// # Errors
    /// A state this loss did not write.
    fn restore_state(&mut self, _state: &serde_json::Value) -> Result<()> {
        Ok(())
    }
}

/// The soft cross-entropy of the batch itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainLoss;

impl BatchLoss for PlainLoss {
    fn loss(
        &mut self,
        tagger: &Tagger,
        examples: &[Example],
        rows: &[usize],
        rng: &mut SeqRng,
        _progress: f64,
    ) -> Result<Tensor> {
        let batch = tagger.batch(examples, rows)?;
        tagger.loss(&batch, &mut Pass::train(rng))
    }
}

/// Trains `tagger` in place on `items`, evaluating on `dev` after each epoch.
///
/// # Errors
/// Invalid configuration, [`Selection::DevF1`] without dev data, empty training data, or a
/// failure during training.
pub fn fit(
    tagger: &Tagger,
    items: &[TrainItem],
    dev: Option<&Dataset>,
    cfg: &TrainConfig,
    rng: &mut SeqRng,
    on_epoch: &mut dyn FnMut(&EpochLog),
) -> Result<TrainReport> {
    fit_with(tagger, items, dev, cfg, rng, on_epoch, &mut PlainLoss)
}

/// [`fit`] with another batch loss.
///
/// # Errors
/// See [`fit`], and the batch loss's own.
pub fn fit_with(
    tagger: &Tagger,
    items: &[TrainItem],
    dev: Option<&Dataset>,
    cfg: &TrainConfig,
    rng: &mut SeqRng,
    on_epoch: &mut dyn FnMut(&EpochLog),
    batch_loss: &mut dyn BatchLoss,
) -> Result<TrainReport> {
    fit_checkpointed(tagger, items, dev, cfg, rng, on_epoch, batch_loss, None)
}

/// [`fit_with`] that saves its state to `checkpoint` between epochs and, when the file
/// exists, continues from it: the weights, AdamW's moments, the epoch logs, the best epoch
/// and the RNG's position are restored, so a training killed at any moment ends with the
/// same weights and report as an uninterrupted one (on the same device). `on_epoch` is
/// called for the restored epochs too, in order. The file stays after the last epoch; the
/// caller removes it once the result is committed ([`Checkpoint::remove`]).
///
/// # Errors
/// See [`fit_with`]; a checkpoint written for another training ([`Checkpoint::new`]'s
/// identity), or one that cannot be read or written.
#[allow(clippy::too_many_arguments)]
pub fn fit_checkpointed(
    tagger: &Tagger,
    items: &[TrainItem],
    dev: Option<&Dataset>,
    cfg: &TrainConfig,
    rng: &mut SeqRng,
    on_epoch: &mut dyn FnMut(&EpochLog),
    batch_loss: &mut dyn BatchLoss,
    checkpoint: Option<&Checkpoint>,
) -> Result<TrainReport> {
    cfg.check()?;
    if cfg.selection == Selection::DevF1 && dev.is_none() {
        return Err(Error::config(
            "selection",
            "dev-f1 needs dev data; use train-loss or last without it",
        ));
    }
    let (examples, encode) = tagger.examples(items)?;
    if examples.is_empty() {
        return Err(Error::config("train", "no training sentence"));
    }
    batch_loss.prepare(tagger, items, &examples)?;
    let lengths: Vec<usize> = examples.iter().map(|e| e.chunk.len()).collect();
    let per_epoch = examples.len().div_ceil(cfg.batch_size);
    let total = per_epoch * cfg.epochs;
    let schedule = LinearSchedule {
        peak: cfg.learning_rate,
        warmup: (cfg.warmup_ratio * total as f64).round() as usize,
        total,
    };
    let mut opt = AdamW::new(tagger.store().vars(), cfg.adam)?;
    let mut logs: Vec<EpochLog> = Vec::new();
    let mut best: Option<(f64, usize)> = None; // (criterion, epoch), higher is better
    let mut best_weights = None;
    let mut stopped_early = false;
    let (mut pieces, mut train_secs, mut resumed_seconds) = (0usize, 0f64, 0f64);
    if let Some((state, tensors)) = checkpoint.map(Checkpoint::load).transpose()?.flatten() {
        let get = |k: &str| tensors.get(k).cloned();
        tagger
            .store()
            .restore(&unpack_weights(&tensors, tagger, "w")?)?;
        if state.best_weights {
            best_weights = Some(unpack_weights(&tensors, tagger, "best")?);
        }
        opt.set_state(state.steps, &get)?;
        *rng = state.rng.restore()?;
        batch_loss.restore_state(&state.loss)?;
        for log in &state.epochs {
            on_epoch(log);
        }
        resumed_seconds = state.epochs.iter().map(|e| e.seconds).sum();
        (logs, best, pieces, train_secs) =
            (state.epochs, state.best, state.pieces, state.train_seconds);
    }
    let mut last_saved = Instant::now();
    for epoch in logs.len() + 1..=cfg.epochs {
        let started = Instant::now();
        let (mut loss_sum, mut batches) = (0f64, 0usize);
        for rows in plan_batches(&lengths, cfg.batch_size, Some(rng)) {
            let progress = opt.steps() as f64 / total.max(1) as f64;
            let loss = batch_loss.loss(tagger, &examples, &rows, rng, progress)?;
            let grads = loss.backward().map_err(candle_err)?;
            let lr = schedule.lr(opt.steps() as usize);
            opt.step(&grads, lr, cfg.max_grad_norm)?;
            loss_sum += loss.to_scalar::<f32>().map_err(candle_err)? as f64;
            batches += 1;
            pieces += rows.iter().map(|&i| lengths[i]).sum::<usize>();
        }
        train_secs += started.elapsed().as_secs_f64();
        let train_loss = loss_sum / batches.max(1) as f64;
        let dev_score = match dev {
            Some(d) => {
                let e = evaluate(tagger, d, cfg.eval_mode, cfg.decode, cfg.eval_batch_size)?;
                Some(DevScore {
                    f1: e.scores.micro().f1,
                    loss: e.loss,
                })
            }
            None => None,
        };
        let log = EpochLog {
            epoch,
            train_loss,
            dev: dev_score,
            updates: opt.steps(),
            seconds: started.elapsed().as_secs_f64(),
        };
        on_epoch(&log);
        let criterion = match cfg.selection {
            Selection::DevF1 => dev_score.map(|d| d.f1),
            Selection::TrainLoss => Some(-train_loss),
            Selection::Last => None,
        };
        logs.push(log);
        if let Some(c) = criterion {
            if best.is_none_or(|(b, _)| c > b) {
                best = Some((c, epoch));
                if epoch < cfg.epochs {
                    best_weights = Some(tagger.store().snapshot()?);
                } else {
                    best_weights = None; // the current weights are the best
                }
            } else if cfg
                .patience
                .is_some_and(|p| epoch - best.map_or(0, |b| b.1) >= p)
            {
                stopped_early = true;
                break;
            }
        }
        if let Some(c) =
            checkpoint.filter(|c| epoch < cfg.epochs && last_saved.elapsed() >= c.interval())
        {
            let (steps, tensors) = pack(tagger, &opt, best_weights.as_ref())?;
            let state = FitState {
                version: CHECKPOINT_VERSION,
                identity: c.identity().to_string(),
                epochs: logs.clone(),
                best,
                best_weights: best_weights.is_some(),
                pieces,
                train_seconds: train_secs,
                steps,
                rng: RngState::of(rng),
                loss: batch_loss.state(),
            };
            c.save(&state, tensors)?;
            last_saved = Instant::now();
        }
    }
    let last = logs.len();
    let best_epoch = best.map_or(last, |(_, e)| e);
    if let (true, Some(w)) = (best_epoch != last, &best_weights) {
        tagger.store().restore(w)?;
    }
    Ok(TrainReport {
        epochs: logs,
        best_epoch,
        stopped_early,
        encode,
        updates: opt.steps(),
        train_pieces_per_second: pieces as f64 / train_secs.max(1e-9),
        resumed_seconds,
    })
}

/// Predictions on a dataset, their scores and the mean word-level loss.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Entity-level scores.
    pub scores: Scores,
    /// Mean cross-entropy of the gold labels over words (labels outside the tagger's set are
    /// skipped).
    pub loss: f64,
    /// Predicted tags per sentence.
    pub predicted: Vec<Vec<String>>,
}

/// Evaluates on a labeled dataset, decoding tags with `decode` ([`Decode::Argmax`] as both
/// papers).
///
/// # Errors
/// A tagger failure.
pub fn evaluate(
    tagger: &Tagger,
    data: &Dataset,
    mode: Mode,
    decode: Decode,
    batch_size: usize,
) -> Result<Evaluation> {
    let words: Vec<&Vec<String>> = data.sentences.iter().map(|s| &s.tokens).collect();
    let words: Vec<Vec<&str>> = words
        .iter()
        .map(|w| w.iter().map(String::as_str).collect())
        .collect();
    let preds = tagger.predict(&words, batch_size)?;
    let vocab = tagger.labels();
    let (mut loss, mut n) = (0f64, 0usize);
    for (s, p) in data.sentences.iter().zip(&preds) {
        for (tag, probs) in s.tags.iter().zip(&p.probs) {
            if let Some(id) = vocab.id(tag) {
                loss -= (probs[id].max(1e-12) as f64).ln();
                n += 1;
            }
        }
    }
    let constraints = Constraints::new(vocab, tagger.config().scheme);
    let predicted: Vec<Vec<String>> = preds
        .iter()
        .map(|p| p.decoded_tags(decode, &constraints, vocab))
        .collect();
    let gold: Vec<Vec<String>> = data.sentences.iter().map(|s| s.tags.clone()).collect();
    let scores = score(&gold, &predicted, mode)?;
    Ok(Evaluation {
        scores,
        loss: loss / n.max(1) as f64,
        predicted,
    })
}
