//! The active-learning loop, one round at a time, so that a runner can save each finished
//! round and resume after a crash.
//!
//! Every random draw of round `r` comes from generators derived from `(seed, r, purpose)`
//! ([`crate::rng::derived`]): a run resumed at round `r` (from the saved rounds and, for warm
//! starts, the saved model) draws exactly what an uninterrupted run draws.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use candle_core::Device;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::active::augment::Augmenter;
use crate::active::policy::{PolicyConfig, QueryPolicy, ScoreContext};
use crate::active::pool::{BudgetUnit, Pool, SeedStrategy, select_top};
use crate::augment::lada::{Consistency, Lada, LadaConfig};
use crate::data::scheme::TagScheme;
use crate::data::{Dataset, LabelVocab};
use crate::error::{Error, Result};
use crate::metrics::{Mode, Scores};
use crate::rng::derived;
use crate::train::{
    BatchLoss, Checkpoint, Constraints, EpochLog, PlainLoss, Selection, Tagger, TaggerOptions,
    TrainConfig, TrainItem, TrainReport, evaluate, fit, fit_checkpointed,
};

/// How the model is trained in each round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Regime {
    /// Keep training the previous round's model (the SeqMix code).
    #[default]
    WarmStart,
    /// Start again from the pretrained encoder and a new head every round.
    Retrain,
}

fn d_seed() -> usize {
    200
}
fn d_rounds() -> usize {
    5
}
fn d_query() -> usize {
    100
}
fn d_batch() -> usize {
    64
}

/// The active-learning protocol. Defaults: SeqMix's CoNLL-2003 setting (App. A.2, Table 3):
/// 200 random seed sentences, 5 rounds of 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveConfig {
    /// The query policy.
    pub policy: PolicyConfig,
    /// Seed set size (in sentences).
    #[serde(default = "d_seed")]
    pub seed_size: usize,
    /// How the seed set is drawn.
    #[serde(default)]
    pub seed_strategy: SeedStrategy,
    /// Query rounds after the seed round.
    #[serde(default = "d_rounds")]
    pub rounds: usize,
    /// Budget per round, in [`ActiveConfig::budget`] units.
    #[serde(default = "d_query")]
    pub query_size: usize,
    /// Whether `query_size` counts sentences or words.
    #[serde(default)]
    pub budget: BudgetUnit,
    /// Warm start or retraining per round.
    #[serde(default)]
    pub regime: Regime,
    /// Sentences per forward pass when scoring the pool.
    #[serde(default = "d_batch")]
    pub score_batch_size: usize,
}

impl ActiveConfig {
    /// Checks every value; the error names the field and the allowed range.
    ///
    /// # Errors
    /// [`Error::Config`].
    pub fn check(&self) -> Result<()> {
        self.policy.check()?;
        let range = |field: &str, v: usize, lo: usize, hi: usize| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(Error::config(
                    format!("active.{field}"),
                    format!("{v} is outside {lo}..={hi}"),
                ))
            }
        };
        range("seed_size", self.seed_size, 1, 10_000_000)?;
        range("rounds", self.rounds, 0, 10_000)?;
        range("query_size", self.query_size, 1, 10_000_000)?;
        range("score_batch_size", self.score_batch_size, 2, 4096)
    }
}

/// Entity scores of one evaluation, as recorded per round.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScoreSummary {
    /// Micro precision.
    pub precision: f64,
    /// Micro recall.
    pub recall: f64,
    /// Micro F1.
    pub f1: f64,
    /// Support-weighted F1 over the gold types (what the SeqMix code reports).
    pub weighted_f1: f64,
    /// F1 per entity type.
    pub per_type_f1: BTreeMap<String, f64>,
}

impl From<&Scores> for ScoreSummary {
    fn from(s: &Scores) -> Self {
        let m = s.micro();
        ScoreSummary {
            precision: m.precision,
            recall: m.recall,
            f1: m.f1,
            weighted_f1: s.weighted().f1,
            per_type_f1: s
                .per_type
                .keys()
                .map(|t| (t.clone(), s.of_type(t).f1))
                .collect(),
        }
    }
}

/// What one round did and measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundResult {
    /// 0 for the seed round.
    pub round: usize,
    /// Training-split indices labeled in this round, in query order (the seed set in round 0).
    pub queried: Vec<usize>,
    /// The policy's scores of the queried sentences (empty in round 0).
    pub query_scores: Vec<f64>,
    /// `|L|` after the round, in sentences.
    pub labeled_sentences: usize,
    /// `|L|` after the round, in words.
    pub labeled_tokens: usize,
    /// Augmented sequences in the training set after the round.
    pub augmented: usize,
    /// The augmented sequences added in this round.
    pub new_augmented: Vec<TrainItem>,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Per-epoch training loss and, when dev selects the epoch, dev loss and F1 (LADA
    /// Fig. 3). Empty in rounds recorded before it was kept.
    #[serde(default)]
    pub epochs: Vec<EpochLog>,
    /// Scores on the dev split.
    pub dev: ScoreSummary,
    /// Scores on the test split.
    pub test: ScoreSummary,
    /// Seconds spent training (the main model and any committee). A round resumed from a
    /// checkpoint includes the epochs its earlier processes ran
    /// ([`TrainReport::resumed_seconds`]).
    pub train_seconds: f64,
    /// Seconds for the whole round, counted the same way.
    pub seconds: f64,
    /// Semi-LADA: how often a paraphrase kept its sentence's predicted entity counts per type
    /// under the model in training, over every unlabeled batch of the round (absent for other
    /// methods and in rounds recorded before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<Consistency>,
}

/// Everything a learner needs besides its seed.
pub struct Setup {
    /// The protocol.
    pub active: ActiveConfig,
    /// Training per round.
    pub train: TrainConfig,
    /// The pool's source (gold labels revealed on query).
    pub train_data: Dataset,
    /// Model selection and per-round evaluation.
    pub dev: Dataset,
    /// Per-round evaluation.
    pub test: Dataset,
    /// Pretrained encoder folder.
    pub encoder: PathBuf,
    /// Tagger options.
    pub options: TaggerOptions,
    /// Tag scheme of the data.
    pub scheme: TagScheme,
    /// Labels (from all splits, so that every round's tagger has the same head).
    pub labels: LabelVocab,
    /// Compute device.
    pub device: Device,
    /// How evaluations are scored.
    pub eval_mode: Mode,
    /// LADA mixup in the main model's training (not the committee's).
    pub lada: Option<LadaConfig>,
}

// Purposes of the derived generators of a round.
const RNG_QUERY: u64 = 0;
const RNG_AUGMENT: u64 = 1;
const RNG_INIT: u64 = 2;
const RNG_TRAIN: u64 = 3;
const RNG_SEED_SET: u64 = 4;
const RNG_COMMITTEE: u64 = 100;

/// The loop for one seed.
pub struct ActiveLearner<'a> {
    setup: &'a Setup,
    seed: u64,
    policy: Box<dyn QueryPolicy>,
    augmenter: Box<dyn Augmenter>,
    pool: Pool,
    augmented: Vec<TrainItem>,
    tagger: Option<Tagger>,
    next: usize,
    /// Folder and interval of mid-round checkpoints ([`ActiveLearner::with_checkpoints`]).
    checkpoints: Option<(PathBuf, std::time::Duration)>,
}

/// The mid-round checkpoint file of round `round` in `dir`.
pub fn checkpoint_file(dir: &std::path::Path, round: usize) -> PathBuf {
    dir.join(format!("partial-{round:03}.safetensors"))
}

impl<'a> ActiveLearner<'a> {
    /// A learner before its seed round.
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn new(setup: &'a Setup, seed: u64, augmenter: Box<dyn Augmenter>) -> Result<Self> {
        setup.active.check()?;
        setup.train.check()?;
        Ok(ActiveLearner {
            policy: setup.active.policy.build(),
            pool: Pool::new(setup.train_data.len()),
            setup,
            seed,
            augmenter,
            augmented: Vec::new(),
            tagger: None,
            next: 0,
            checkpoints: None,
        })
    }

    /// Saves each round's training state in `dir` ([`checkpoint_file`]) at most once per
    /// `every`, and continues a round's training from such a file when one exists, so that a
    /// long round killed midway loses at most `every` of work and ends as an uninterrupted
    /// one. The caller removes the file once the round is committed.
    #[must_use]
    pub fn with_checkpoints(mut self, dir: impl Into<PathBuf>, every: std::time::Duration) -> Self {
        self.checkpoints = Some((dir.into(), every));
        self
    }

    /// Re-applies finished rounds (from a saved run) without training: the pool and the
    /// augmented set are rebuilt, and `tagger` (the model saved after the last of them) is
    /// taken as the current model.
    ///
    /// # Errors
    /// Rounds out of order, or queries the pool refuses.
    pub fn replay(&mut self, done: &[RoundResult], tagger: Option<Tagger>) -> Result<()> {
        for r in done {
            if r.round != self.next {
                return Err(Error::Model(format!(
                    "saved rounds are out of order: expected round {}, found {}",
                    self.next, r.round
                )));
            }
            self.pool.label(&r.queried)?;
            self.augmented.extend(r.new_augmented.iter().cloned());
            self.next += 1;
        }
        self.tagger = tagger;
        Ok(())
    }

    /// Re-applies finished rounds whose saved model is gone (a run folder copied without
    /// models), training the model again: with warm starts every round's training is
    /// repeated in order (each starts from the one before), with retraining only the last
    /// round's. Queries, augmentation and evaluations are read from `done`, not repeated.
    /// Every round's training draws from its own `(seed, round)` generators, so on CPU the
    /// rebuilt model is the one the original run saved.
    ///
    /// Returns the rebuilt model's dev F1 and the F1 recorded for it, for the caller to
    /// compare (they differ only when the device or the code changed in between).
    ///
    /// # Errors
    /// Rounds out of order, queries the pool refuses, or training failures.
    pub fn replay_retraining(
        &mut self,
        done: &[RoundResult],
        log: &mut dyn FnMut(&str),
    ) -> Result<(f64, f64)> {
        let Some(last) = done.last() else {
            return Ok((0.0, 0.0));
        };
        for (k, r) in done.iter().enumerate() {
            let current = self.tagger.take();
            self.replay(std::slice::from_ref(r), current)?;
            let is_last = k + 1 == done.len();
            if is_last || self.setup.active.regime == Regime::WarmStart {
                let (tagger, _, _) = self.train_round(r.round, false, log)?;
                self.tagger = Some(tagger);
            }
        }
        let s = self.setup;
        let tagger = self
            .tagger
            .as_ref()
            .ok_or_else(|| Error::Model("replay trained no model".into()))?;
        let dev = evaluate(
            tagger,
            &s.dev,
            s.eval_mode,
            s.train.decode,
            s.train.eval_batch_size,
        )?;
        Ok((ScoreSummary::from(&dev.scores).f1, last.dev.f1))
    }

    /// The round [`ActiveLearner::step`] runs next.
    pub fn next_round(&self) -> usize {
        self.next
    }

    /// Whether the seed round and all query rounds are done.
    pub fn finished(&self) -> bool {
        self.next > self.setup.active.rounds
    }

    /// The current model.
    pub fn tagger(&self) -> Option<&Tagger> {
        self.tagger.as_ref()
    }

    /// The augmenter's records since the last call (written beside each round).
    pub fn take_augment_records(&mut self) -> Vec<serde_json::Value> {
        self.augmenter.take_records()
    }

    /// The labeled set and pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    fn item(&self, id: usize) -> Result<TrainItem> {
        TrainItem::from_sentence(&self.setup.train_data.sentences[id], &self.setup.labels)
    }

    fn new_tagger(&self, rng: &mut crate::rng::SeqRng) -> Result<Tagger> {
        let s = self.setup;
        Tagger::from_pretrained(
            &s.encoder,
            s.labels.clone(),
            s.scheme,
            &s.options,
            &s.device,
            rng,
        )
    }

    /// Trains round `round`'s model on the labeled set and every augmented sequence so far
    /// (warm start: the current model, else a fresh one). Draws only from `(seed, round)`
    /// generators, so the same round on the same sets gives the same model on CPU. With
    /// `checkpointed` (and [`ActiveLearner::with_checkpoints`]) the training saves and resumes
    /// its state between epochs.
    fn train_round(
        &mut self,
        round: usize,
        checkpointed: bool,
        log: &mut dyn FnMut(&str),
    ) -> Result<(Tagger, TrainReport, Option<Consistency>)> {
        let s = self.setup;
        let mut items: Vec<TrainItem> = self
            .pool
            .labeled()
            .iter()
            .map(|&i| self.item(i))
            .collect::<Result<_>>()?;
        items.extend(self.augmented.iter().cloned());
        let tagger = match (s.active.regime, self.tagger.take()) {
            (Regime::WarmStart, Some(t)) => t,
            _ => self.new_tagger(&mut derived(self.seed, &[round as u64, RNG_INIT]))?,
        };
        log(&format!(
            "round {round}: training on {} sentences + {} augmented",
            self.pool.labeled().len(),
            self.augmented.len()
        ));
        let mut rng = derived(self.seed, &[round as u64, RNG_TRAIN]);
        // Dev is evaluated after every epoch only when it selects the epoch.
        let dev_for_fit = (s.train.selection == Selection::DevF1).then_some(&s.dev);
        let mut lada = match &s.lada {
            Some(c) => {
                let mut lada = Lada::new(c.clone())?;
                if let Some(semi) = &c.semi {
                    // The last unlabeled sentences of the pool (their labels stay hidden).
                    let pool = self.pool.unlabeled();
                    let take = pool.len().min(semi.unlabeled);
                    let last = &pool[pool.len() - take..];
                    let unlabeled = last
                        .iter()
                        .map(|&i| (i, s.train_data.sentences[i].tokens.clone()))
                        .collect();
                    let columns = last
                        .iter()
                        .map(|&i| s.train_data.sentences[i].extra.clone())
                        .collect();
                    lada = lada
                        .with_unlabeled(unlabeled, self.seed)
                        .with_unlabeled_columns(columns);
                }
                Some(lada)
            }
            None => None,
        };
        let mut plain = PlainLoss;
        let batch_loss: &mut dyn BatchLoss = match lada.as_mut() {
            Some(l) => l,
            None => &mut plain,
        };
        let checkpoint = match (&self.checkpoints, checkpointed) {
            (Some((dir, every)), true) => Some(
                Checkpoint::new(
                    checkpoint_file(dir, round),
                    self.training_identity(round, &items),
                )
                .every(*every),
            ),
            _ => None,
        };
        let report = fit_checkpointed(
            &tagger,
            &items,
            dev_for_fit,
            &s.train,
            &mut rng,
            &mut |e| log(&e.to_string()),
            batch_loss,
            checkpoint.as_ref(),
        )?;
        if let Some(line) = batch_loss.summary() {
            log(&line);
        }
        Ok((tagger, report, lada.and_then(|l| l.consistency())))
    }

    /// What a round's checkpoint must have been written for: seed, round, the training
    /// items' words and targets, and the training and LADA settings (hashed).
    fn training_identity(&self, round: usize, items: &[TrainItem]) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for it in items {
            h.update(it.tokens.join(" ").as_bytes());
            for t in &it.targets {
                for v in t {
                    h.update(v.to_le_bytes());
                }
            }
            h.update(b"\n");
        }
        h.update(serde_json::to_string(&self.setup.train).unwrap_or_default());
        h.update(serde_json::to_string(&self.setup.lada).unwrap_or_default());
        h.update(serde_json::to_string(&self.setup.options).unwrap_or_default());
        let digest = crate::files::hex(&h.finalize());
        format!(
            "seed {} round {round}: {} items, settings {}",
            self.seed,
            items.len(),
            &digest[..16]
        )
    }

    /// Trains `C − 1` committee members on bootstrap resamples of the labeled set.
    fn committee(
        &self,
        round: usize,
        items: &[TrainItem],
        log: &mut dyn FnMut(&str),
    ) -> Result<Vec<Tagger>> {
        let mut members = Vec::new();
        for m in 0..self.policy.extra_models() {
            let mut rng = derived(self.seed, &[round as u64, RNG_COMMITTEE + m as u64]);
            let sample: Vec<TrainItem> = (0..items.len())
                .map(|_| items[rng.random_range(0..items.len())].clone())
                .collect();
            let tagger = self.new_tagger(&mut rng)?;
            let cfg = TrainConfig {
                selection: Selection::Last,
                patience: None,
                ..self.setup.train.clone()
            };
            log(&format!(
                "committee member {} of {}",
                m + 2,
                m + 1 + self.policy.extra_models()
            ));
            fit(&tagger, &sample, None, &cfg, &mut rng, &mut |_| {})?;
            members.push(tagger);
        }
        Ok(members)
    }

    /// Runs the next round: query (or seed), annotate, augment, train, evaluate.
    ///
    /// # Errors
    /// The loop is finished, or a step failed.
    pub fn step(&mut self, log: &mut dyn FnMut(&str)) -> Result<RoundResult> {
        if self.finished() {
            return Err(Error::Model("all rounds are done".into()));
        }
        let started = Instant::now();
        let (round, s) = (self.next, self.setup);
        let mut train_seconds = 0.0;
        let labeled_items = |me: &Self| -> Result<Vec<TrainItem>> {
            me.pool.labeled().iter().map(|&i| me.item(i)).collect()
        };
        // 1. Choose what to label.
        let (queried, query_scores) = if round == 0 {
            let mut rng = derived(self.seed, &[0, RNG_SEED_SET]);
            let ids = Pool::seed_ids(
                s.active.seed_strategy,
                s.active.seed_size,
                self.pool.total(),
                &mut rng,
            )?;
            (ids, Vec::new())
        } else {
            let tagger = self
                .tagger
                .as_ref()
                .ok_or_else(|| Error::Model("no model to score the pool with".into()))?;
            let t0 = Instant::now();
            let committee = if self.policy.extra_models() > 0 {
                self.committee(round, &labeled_items(self)?, log)?
            } else {
                Vec::new()
            };
            train_seconds += t0.elapsed().as_secs_f64();
            let candidates = self.pool.unlabeled();
            let words: Vec<Vec<&str>> = candidates
                .iter()
                .map(|&i| {
                    s.train_data.sentences[i]
                        .tokens
                        .iter()
                        .map(String::as_str)
                        .collect()
                })
                .collect();
            log(&format!(
                "scoring {} pool sentences with {}",
                words.len(),
                self.policy.name()
            ));
            let constraints = Constraints::new(&s.labels, s.scheme);
            let mut rng = derived(self.seed, &[round as u64, RNG_QUERY]);
            let mut ctx = ScoreContext {
                tagger,
                committee: &committee,
                constraints: &constraints,
                batch_size: s.active.score_batch_size,
                rng: &mut rng,
            };
            let scores = self.policy.scores(&mut ctx, &words)?;
            if scores.len() != candidates.len() || scores.iter().any(|v| v.is_nan()) {
                return Err(Error::Model(format!(
                    "policy {} gave {} scores (NaN included?) for {} sentences",
                    self.policy.name(),
                    scores.len(),
                    candidates.len()
                )));
            }
            let lengths: Vec<usize> = words.iter().map(Vec::len).collect();
            let ids = select_top(
                &candidates,
                &scores,
                &lengths,
                s.active.query_size,
                s.active.budget,
            );
            let by_id: BTreeMap<usize, f64> = candidates.iter().copied().zip(scores).collect();
            let chosen = ids.iter().map(|i| by_id[i]).collect();
            (ids, chosen)
        };
        // 2. Annotate: the gold labels of the chosen sentences are revealed.
        self.pool.label(&queried)?;
        let new_items: Vec<TrainItem> = queried
            .iter()
            .map(|&i| self.item(i))
            .collect::<Result<_>>()?;
        let labeled = labeled_items(self)?;
        // 3. Augment the new batch.
        let mut rng = derived(self.seed, &[round as u64, RNG_AUGMENT]);
        let new_augmented =
            self.augmenter
                .augment(&new_items, &labeled, self.tagger.as_ref(), &mut rng)?;
        self.augmented.extend(new_augmented.iter().cloned());
        // 4. Train on L ∪ L*.
        let t0 = Instant::now();
        let (tagger, report, consistency) = self.train_round(round, true, log)?;
        // A round resumed from a checkpoint also counts its earlier processes' epochs.
        train_seconds += t0.elapsed().as_secs_f64() + report.resumed_seconds;
        // 5. Evaluate.
        let dev = evaluate(
            &tagger,
            &s.dev,
            s.eval_mode,
            s.train.decode,
            s.train.eval_batch_size,
        )?;
        let test = evaluate(
            &tagger,
            &s.test,
            s.eval_mode,
            s.train.decode,
            s.train.eval_batch_size,
        )?;
        self.tagger = Some(tagger);
        self.next += 1;
        Ok(RoundResult {
            round,
            queried,
            query_scores,
            labeled_sentences: self.pool.labeled().len(),
            labeled_tokens: self
                .pool
                .labeled()
                .iter()
                .map(|&i| s.train_data.sentences[i].len())
                .sum(),
            augmented: self.augmented.len(),
            new_augmented,
            best_epoch: report.best_epoch,
            epochs: report.epochs,
            dev: ScoreSummary::from(&dev.scores),
            test: ScoreSummary::from(&test.scores),
            train_seconds,
            seconds: started.elapsed().as_secs_f64() + report.resumed_seconds,
            consistency,
        })
    }
}
