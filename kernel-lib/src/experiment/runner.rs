//! Running an experiment: seeds × rounds into a run folder that survives a crash.
//!
//! Run folder:
//! - `config.json`: the checked configuration (paths resolved); a resumed run reads it back.
//! - `provenance.json`: git commit, crate version, device, threads, data hashes, and every
//!   start or resume of the run.
//! - `seed-S/round-RRR.json`: one finished round (written atomically: the commit point).
//! - `seed-S/model-RRR/`: the model after the newest finished round, while the seed runs.
//! - `seed-S/partial-RRR.safetensors`: the state of round RRR's training between epochs
//!   ([`crate::train::checkpoint`]), while it trains.
//! - `results.csv`, `results.parquet`, `queries.csv`, `summary.csv`: rewritten after every
//!   round from the round files.
//!
//! A run killed at any moment resumes from its newest finished round (and a round in training
//! from its last checkpoint) and ends with the same results as an uninterrupted run: every
//! random draw of a round comes from `(seed, round)` ([`crate::rng::derived`]) and the saved
//! model holds the exact weights.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::active::learner::{Setup, checkpoint_file};
use crate::active::{ActiveLearner, Augmenter, NoAugment, RoundResult};
use crate::augment::SeqMix;
use crate::data::conll::read_conll;
use crate::data::corpora::{data_dir, load_corpus};
use crate::data::{ConllFormat, Dataset, TagScheme};
use crate::error::{Error, Result};
use crate::experiment::config::{AugmentConfig, ExperimentConfig};
use crate::experiment::progress::Progress;
use crate::experiment::results::{Results, RoundRow};
use crate::files::{sha256_file, write_atomic};
use crate::metrics::Mode;
use crate::report::Provenance;
use crate::train::{Checkpoint, Tagger};

/// A data file and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataHash {
    /// The file.
    pub path: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
}

/// What `provenance.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunProvenance {
    /// Data files and hashes.
    pub data: Vec<DataHash>,
    /// One entry per start or resume that had rounds left to run: provenance and time (Unix
    /// seconds). A pass over a finished run checks the data but adds no entry.
    pub sessions: Vec<serde_json::Value>,
}

/// An experiment ready to run (or to resume) in its run folder.
#[derive(Debug, Clone)]
pub struct Experiment {
    cfg: ExperimentConfig,
    out: PathBuf,
    /// Seeds this call runs (all of the config's when `None`).
    only: Option<Vec<u64>>,
    /// Minimum time between mid-round checkpoints (`None`: none).
    checkpoint_every: Option<Duration>,
}

/// The default minimum time between two mid-round checkpoints.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(300);

impl Experiment {
    /// Reads and checks a TOML or JSON config; the run folder is `runs/NAME` (relative to the
    /// working directory) unless [`Experiment::with_output`] changes it.
    ///
    /// # Errors
    /// See [`ExperimentConfig::from_file`].
    pub fn from_config(path: impl AsRef<Path>) -> Result<Self> {
        let cfg = ExperimentConfig::from_file(path.as_ref())?;
        Ok(Experiment {
            out: PathBuf::from("runs").join(&cfg.name),
            cfg,
            only: None,
            checkpoint_every: Some(CHECKPOINT_EVERY),
        })
    }

    /// An experiment from a config value (paths should be absolute or relative to the
    /// working directory).
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn new(cfg: ExperimentConfig) -> Result<Self> {
        cfg.check()?;
        Ok(Experiment {
            out: PathBuf::from("runs").join(&cfg.name),
            cfg,
            only: None,
            checkpoint_every: Some(CHECKPOINT_EVERY),
        })
    }

    /// The experiment of an existing run folder, to resume it.
    ///
    /// # Errors
    /// No readable `config.json` in `run_dir`.
    pub fn resume(run_dir: impl AsRef<Path>) -> Result<Self> {
        let dir = run_dir.as_ref();
        let path = dir.join("config.json");
        if !path.is_file() {
            return Err(Error::Missing {
                what: "run configuration".into(),
                path,
                hint: "resume takes a run folder written by `seqlab run`".into(),
            });
        }
        let cfg = ExperimentConfig::from_file(&path)?;
        Ok(Experiment {
            cfg,
            out: dir.to_path_buf(),
            only: None,
            checkpoint_every: Some(CHECKPOINT_EVERY),
        })
    }

    /// How often a round's training saves its state (`seed-S/partial-RRR.safetensors`, removed
    /// once the round is committed): at most once per `every` (default [`CHECKPOINT_EVERY`];
    /// zero: after every epoch); `None` turns checkpoints off. A round killed midway then
    /// continues from its last checkpoint and ends as an uninterrupted one.
    #[must_use]
    pub fn with_checkpoints(mut self, every: Option<Duration>) -> Self {
        self.checkpoint_every = every;
        self
    }

    /// Writes into `dir` instead of `runs/NAME`.
    pub fn with_output(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out = dir.into();
        self
    }

    /// Runs only `seeds` of the config in this call; the others stay for a later call (a
    /// grid can take the first seed of every setting before the second of any). Results
    /// and summaries still hold every finished seed in the folder.
    ///
    /// # Errors
    /// A seed the config does not list, or an empty list.
    pub fn with_seeds(mut self, seeds: &[u64]) -> Result<Self> {
        if seeds.is_empty() {
            return Err(Error::config(
                "--seeds",
                "give at least one seed (or leave it out to run all)",
            ));
        }
        if let Some(s) = seeds.iter().find(|s| !self.cfg.seeds.contains(s)) {
            return Err(Error::config(
                "--seeds",
                format!(
                    "seed {s} is not in the config's seeds {:?}; add it to the config's \
                     `seeds` or choose among those",
                    self.cfg.seeds
                ),
            ));
        }
        self.only = Some(seeds.to_vec());
        Ok(self)
    }

    /// The run folder.
    pub fn output(&self) -> &Path {
        &self.out
    }

    /// The configuration.
    pub fn config(&self) -> &ExperimentConfig {
        &self.cfg
    }

    fn load_data(&self) -> Result<(Dataset, Dataset, Dataset, Vec<DataHash>)> {
        let d = &self.cfg.data;
        let (train, dev, test, files) = match d.corpus {
            Some(name) => {
                let dir = data_dir();
                let c = load_corpus(name, &dir)?;
                let files = name.files().iter().map(|f| dir.join(f)).collect();
                (c.train, c.dev, c.test, files)
            }
            None => {
                let paths: Vec<PathBuf> = [&d.train, &d.dev, &d.test]
                    .iter()
                    .map(|p| (*p).clone().expect("checked: three files"))
                    .collect();
                let fmt = ConllFormat::default();
                let read = |p: &Path| read_conll(p, &fmt).map(|ds| ds.converted(TagScheme::Iob2));
                (read(&paths[0])?, read(&paths[1])?, read(&paths[2])?, paths)
            }
        };
        let hashes = files
            .iter()
            .map(|p| {
                Ok(DataHash {
                    path: p.display().to_string(),
                    sha256: sha256_file(p)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((
            train.subset(&d.pool_subset)?,
            dev.subset(&d.dev_subset)?,
            test.subset(&d.test_subset)?,
            hashes,
        ))
    }

    fn augmenter(&self, setup: &Setup) -> Result<Box<dyn Augmenter>> {
        Ok(match &self.cfg.augment {
            AugmentConfig::None => Box::new(NoAugment),
            AugmentConfig::Seqmix(c) => {
                // Percentile bounds come from the training split's own sentences (text only).
                let reference = setup
                    .train_data
                    .sentences
                    .iter()
                    .map(|s| s.tokens.join(" "))
                    .collect();
                Box::new(
                    SeqMix::new(
                        c.clone(),
                        &setup.encoder,
                        setup.labels.clone(),
                        reference,
                        None,
                        &setup.device,
                    )?
                    .with_ppl_cache(crate::data::corpora::data_dir().join("ppl")),
                )
            }
        })
    }

    /// The config's seeds this call runs.
    fn selected_seeds(&self) -> impl Iterator<Item = &u64> {
        self.cfg
            .seeds
            .iter()
            .filter(|s| self.only.as_ref().is_none_or(|o| o.contains(s)))
    }

    /// Writes `config.json` or checks that the folder's config is this one.
    fn claim_folder(&self) -> Result<()> {
        let path = self.out.join("config.json");
        let json = serde_json::to_string_pretty(&self.cfg).expect("config serializes");
        if path.is_file() {
            let old = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            // Read through the config type, so that a folder written before a field with a
            // default existed still matches a config that leaves that field at its default.
            let same = ExperimentConfig::from_json_str(&old)
                .ok()
                .and_then(|c| serde_json::to_value(&c).ok())
                == serde_json::from_str::<serde_json::Value>(&json).ok();
            if !same {
                return Err(Error::config(
                    "output",
                    format!(
                        "{} holds a run of a different configuration; resume it with `seqlab resume {}` or choose another output folder",
                        self.out.display(),
                        self.out.display()
                    ),
                ));
            }
            return Ok(());
        }
        write_atomic(&path, json.as_bytes())
    }

    /// Checks that the data files are those the run started with and, when `runs_rounds`, adds
    /// this session's entry.
    fn record_session(&self, data: Vec<DataHash>, device: &str, runs_rounds: bool) -> Result<()> {
        let path = self.out.join("provenance.json");
        let mut prov = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str::<RunProvenance>(&text).unwrap_or(RunProvenance {
                data: data.clone(),
                sessions: Vec::new(),
            }),
            Err(_) => RunProvenance {
                data: data.clone(),
                sessions: Vec::new(),
            },
        };
        // Files are compared by content: a run folder moved to another checkout or machine
        // (other absolute paths) still resumes.
        let hashes = |d: &[DataHash]| d.iter().map(|h| h.sha256.clone()).collect::<Vec<_>>();
        if hashes(&prov.data) != hashes(&data) {
            return Err(Error::config(
                "data",
                format!(
                    "the data files changed since this run started (see {}); start a new run",
                    path.display()
                ),
            ));
        }
        if !runs_rounds && path.is_file() {
            return Ok(());
        }
        let mut p = Provenance::collect();
        p.device = device.to_string();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        prov.sessions
            .push(serde_json::json!({ "provenance": p, "unix_time": now }));
        let json = serde_json::to_string_pretty(&prov).expect("provenance serializes");
        write_atomic(&path, json.as_bytes())
    }

    /// Runs every seed's remaining rounds and returns all results.
    ///
    /// # Errors
    /// Data, model or training failures, or a run folder that belongs to another config.
    pub fn run(&self) -> Result<Results> {
        self.run_with(&mut Progress::auto())
    }

    /// [`Experiment::run`] reporting to `progress`.
    ///
    /// # Errors
    /// See [`Experiment::run`].
    pub fn run_with(&self, progress: &mut Progress) -> Result<Results> {
        std::fs::create_dir_all(&self.out).map_err(|e| Error::io(&self.out, e))?;
        self.claim_folder()?;
        let (train, dev, test, hashes) = self.load_data()?;
        let device = crate::model::device(self.cfg.model.gpu)?;
        let total_rounds = self.cfg.active.rounds + 1;
        let mut runs_rounds = false;
        for &seed in self.selected_seeds() {
            let done = read_rounds(&self.out.join(format!("seed-{seed}")))?;
            runs_rounds |= done.len() < total_rounds;
        }
        self.record_session(hashes, &crate::model::device_name(&device), runs_rounds)?;
        let mut labels_src = vec![&train, &dev, &test];
        labels_src.dedup_by(|a, b| std::ptr::eq(*a, *b));
        let mut types = std::collections::BTreeSet::new();
        for d in &labels_src {
            types.extend(d.types());
        }
        let setup = Setup {
            active: self.cfg.active.clone(),
            train: self.cfg.train.clone(),
            labels: crate::data::LabelVocab::for_types(types, TagScheme::Iob2),
            train_data: train,
            dev,
            test,
            encoder: self.cfg.encoder_dir(),
            options: self.cfg.model.tagger.clone(),
            scheme: TagScheme::Iob2,
            device,
            eval_mode: Mode::Conlleval,
            lada: self.cfg.lada.clone(),
        };
        for &seed in self.selected_seeds() {
            let dir = self.out.join(format!("seed-{seed}"));
            let done = read_rounds(&dir)?;
            if done.len() >= total_rounds {
                progress.note(&format!("seed {seed}: all {total_rounds} rounds done"));
                continue;
            }
            let mut learner = ActiveLearner::new(&setup, seed, self.augmenter(&setup)?)?;
            if let Some(every) = self.checkpoint_every {
                learner = learner.with_checkpoints(&dir, every);
            }
            if let Some(r) = done.last() {
                let saved = model_dir(&dir, r.round);
                if saved.is_dir() {
                    learner.replay(&done, Some(Tagger::load(&saved, &setup.device)?))?;
                } else {
                    // A run folder copied without models: the model is trained again from
                    // the recorded rounds (same generators, so the same model on CPU).
                    progress.note(&format!(
                        "seed {seed}: the model of round {} is not saved; training it again \
                         from the {} recorded rounds",
                        r.round,
                        done.len()
                    ));
                    let (rebuilt, recorded) =
                        learner.replay_retraining(&done, &mut |m| progress.message(m))?;
                    progress.note(&format!(
                        "seed {seed}: rebuilt model of round {}: dev F1 {:.4} (recorded {:.4}{})",
                        r.round,
                        rebuilt,
                        recorded,
                        if (rebuilt - recorded).abs() < 1e-9 {
                            ", identical"
                        } else {
                            "; the device or code differs from the original run"
                        }
                    ));
                    save_model_atomic(learner.tagger().expect("replay leaves a model"), &saved)?;
                }
                progress.note(&format!(
                    "seed {seed}: resuming at round {}",
                    learner.next_round()
                ));
            }
            while !learner.finished() {
                let round = learner.next_round();
                progress.start_round(seed, round, total_rounds);
                let partial = checkpoint_file(&dir, round);
                if self.checkpoint_every.is_some() && partial.is_file() {
                    progress.note(&format!(
                        "seed {seed} round {round}: continuing from {}",
                        partial.display()
                    ));
                }
                let result = learner.step(&mut |m| progress.message(m))?;
                // Commit order: model, then the round file, then cleanup of older models.
                let model = model_dir(&dir, round);
                if round + 1 < total_rounds {
                    save_model_atomic(learner.tagger().expect("a round leaves a model"), &model)?;
                }
                let records = learner.take_augment_records();
                if !records.is_empty() {
                    let mut lines = String::new();
                    for r in &records {
                        lines.push_str(&r.to_string());
                        lines.push('\n');
                    }
                    write_atomic(
                        &dir.join(format!("augment-{round:03}.jsonl")),
                        lines.as_bytes(),
                    )?;
                }
                let json = serde_json::to_string(&result).expect("round serializes");
                write_atomic(&dir.join(format!("round-{round:03}.json")), json.as_bytes())?;
                Checkpoint::new(checkpoint_file(&dir, round), "").remove()?;
                remove_models_except(&dir, (round + 1 < total_rounds).then_some(round))?;
                progress.finish_round(seed, &result);
                self.collect()?.write(&self.out)?;
            }
        }
        let results = self.collect()?;
        results.write(&self.out)?;
        Ok(results)
    }

    /// Every finished round in the run folder with its seed, in seed then round order (the
    /// full records: queried ids, augmented sentences, per-epoch losses).
    ///
    /// # Errors
    /// Unreadable round files.
    pub fn rounds(&self) -> Result<Vec<(u64, RoundResult)>> {
        let mut out = Vec::new();
        for &seed in &self.cfg.seeds {
            for r in read_rounds(&self.out.join(format!("seed-{seed}")))? {
                out.push((seed, r));
            }
        }
        Ok(out)
    }

    /// Where the run stands: per seed, the finished rounds and, for a round in training, the
    /// epochs of its last checkpoint ([`super::status`]). Reads a run while it trains.
    ///
    /// # Errors
    /// Unreadable round or checkpoint files.
    pub fn status(&self) -> Result<super::status::RunStatus> {
        let mut seeds = Vec::new();
        for &seed in &self.cfg.seeds {
            let dir = self.out.join(format!("seed-{seed}"));
            let done = read_rounds(&dir)?;
            let partial = checkpoint_file(&dir, done.len());
            let training = if partial.is_file() {
                let state = crate::train::checkpoint::read_state(&partial)?;
                Some(super::status::Training {
                    round: done.len(),
                    epochs: state.epochs,
                    best_epoch: state.best.map(|(_, e)| e),
                    saved: std::fs::metadata(&partial).and_then(|m| m.modified()).ok(),
                })
            } else {
                None
            };
            seeds.push(super::status::SeedStatus {
                seed,
                rounds_done: done.len(),
                rounds_planned: self.cfg.active.rounds + 1,
                seconds_done: done.iter().map(|r| r.seconds).sum(),
                training,
            });
        }
        Ok(super::status::RunStatus {
            name: self.cfg.name.clone(),
            dir: self.out.clone(),
            epochs: self.cfg.train.epochs,
            seeds,
        })
    }

    /// Results of all finished rounds in the run folder.
    ///
    /// # Errors
    /// Unreadable round files.
    pub fn collect(&self) -> Result<Results> {
        let mut rows = Vec::new();
        let mut queries = Vec::new();
        let pool = self.cfg.active.clone();
        for &seed in &self.cfg.seeds {
            for r in read_rounds(&self.out.join(format!("seed-{seed}")))? {
                for (rank, (&id, score)) in r
                    .queried
                    .iter()
                    .zip(
                        r.query_scores
                            .iter()
                            .map(Some)
                            .chain(std::iter::repeat(None)),
                    )
                    .enumerate()
                {
                    queries.push((seed, r.round, rank, id, score.copied()));
                }
                rows.push(RoundRow::new(&pool.policy.to_string(), seed, &r));
            }
        }
        Ok(Results::new(
            self.cfg.name.clone(),
            rows,
            queries,
            self.cfg.active.rounds,
        ))
    }
}

fn model_dir(seed_dir: &Path, round: usize) -> PathBuf {
    seed_dir.join(format!("model-{round:03}"))
}

/// Saves into a temporary folder, then renames it into place.
fn save_model_atomic(tagger: &Tagger, dir: &Path) -> Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    tagger.save(&tmp)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::rename(&tmp, dir).map_err(|e| Error::io(dir, e))
}

/// Removes saved models (and leftovers of interrupted saves) except `keep`'s.
fn remove_models_except(seed_dir: &Path, keep: Option<usize>) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(seed_dir) else {
        return Ok(());
    };
    let keep_name = keep.map(|r| format!("model-{r:03}"));
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_model = name.starts_with("model-") || name.starts_with(".model-");
        if is_model && Some(&name) != keep_name.as_ref() {
            let p = e.path();
            std::fs::remove_dir_all(&p).map_err(|err| Error::io(&p, err))?;
        } else if name.starts_with(".partial-") {
            // A checkpoint whose writing was interrupted.
            let p = e.path();
            std::fs::remove_file(&p).map_err(|err| Error::io(&p, err))?;
        }
    }
    Ok(())
}

/// The finished rounds of one seed, in order; stops at the first gap.
fn read_rounds(seed_dir: &Path) -> Result<Vec<RoundResult>> {
    let mut out = Vec::new();
    loop {
        let path = seed_dir.join(format!("round-{:03}.json", out.len()));
        if !path.is_file() {
            return Ok(out);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let r: RoundResult = serde_json::from_str(&text).map_err(|e| {
            Error::config(
                "round",
                format!(
                    "{}: {e}; delete the file to redo that round",
                    path.display()
                ),
            )
        })?;
        out.push(r);
    }
}
