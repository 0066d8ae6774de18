//! Experiment configuration: one TOML or JSON file that says what to run, checked before
//! anything runs.
//!
//! ```toml
//! name = "conll-lc"
//! seeds = [1, 2, 3]
//!
//! [data]
//! corpus = "conll2003"          # or: train = "a.txt", dev = "b.txt", test = "c.txt"
//!
//! [model]
//! encoder = "minilm"            # the fetched all-MiniLM-L6-v2, or a path to any BERT folder
//!
//! [train]                       # seqlab::train::TrainConfig; every field optional
//! epochs = 10
//!
//! [active]                      # seqlab::active::ActiveConfig
//! policy = "lc"                 # or { kind = "qbc", committee = 3 }
//! seed_size = 200
//! rounds = 5
//! query_size = 100
//!
//! [augment]                     # optional: kind = "seqmix" (seqlab::augment::SeqMixConfig)
//! [lada]                        # optional: LADA in training (seqlab::augment::LadaConfig)
//! kind = "inter"
//! ```
//!
//! A supervised run on a fixed subset is a run without query rounds: `rounds = 0`,
//! `seed_strategy = "first"`, `seed_size = 700` (LADA's 5 % of CoNLL-2003).
//!
//! Relative paths are read from the folder of the config file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::active::ActiveConfig;
use crate::augment::lada::LadaConfig;
use crate::augment::seqmix::SeqMixConfig;
use crate::data::Subset;
use crate::data::corpora::{CorpusName, data_dir};
use crate::error::{Error, Result};
use crate::train::{TaggerOptions, TrainConfig};

/// Where the sentences come from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// A fetched corpus (`conll2003`, `estner`, `wnut16`) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpus: Option<CorpusName>,
    /// … or three CoNLL files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train: Option<PathBuf>,
    /// Development file (with `train`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<PathBuf>,
    /// Test file (with `train`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<PathBuf>,
    /// Restrict the pool to a subset of the training split (`all`, `first:N`, `random:N:SEED`).
    #[serde(default)]
    pub pool_subset: Subset,
    /// Restrict the dev split (e.g. for quick runs).
    #[serde(default)]
    pub dev_subset: Subset,
    /// Restrict the test split.
    #[serde(default)]
    pub test_subset: Subset,
}

/// The model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// `minilm` (the fetched all-MiniLM-L6-v2) or a path to a BERT folder.
    pub encoder: String,
    /// Tagger options (sub-token labels, casing, long sentences).
    #[serde(default)]
    pub tagger: TaggerOptions,
    /// Run on the first CUDA GPU (needs a `cuda` build).
    #[serde(default)]
    pub gpu: bool,
}

/// Augmentation of each newly labeled batch (the seed set first).
///
/// ```toml
/// [augment]
/// kind = "seqmix"        # or "none"
/// variant = "sub"        # whole | sub | label-constrained
/// discriminator = { kind = "range", low = 0, high = 500 }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AugmentConfig {
    /// None (the active-learning baselines).
    #[default]
    None,
    /// SeqMix ([`crate::augment::seqmix::SeqMixConfig`]; every field optional).
    Seqmix(SeqMixConfig),
}

impl AugmentConfig {
    /// Checks the method's values.
    ///
    /// # Errors
    /// [`Error::Config`] naming the field.
    pub fn check(&self) -> Result<()> {
        match self {
            AugmentConfig::None => Ok(()),
            AugmentConfig::Seqmix(c) => c.check(),
        }
    }
}

/// A whole experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Name (used for the default output folder `runs/NAME`).
    pub name: String,
    /// Seeds; one learning curve each.
    pub seeds: Vec<u64>,
    /// Data.
    pub data: DataConfig,
    /// Model.
    pub model: ModelConfig,
    /// Training in each round.
    #[serde(default)]
    pub train: TrainConfig,
    /// The active-learning protocol.
    pub active: ActiveConfig,
    /// Augmentation.
    #[serde(default)]
    pub augment: AugmentConfig,
    /// LADA mixup in every training of the run (none when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lada: Option<LadaConfig>,
}

impl ExperimentConfig {
    /// Reads a `.toml` or `.json` file, resolves relative paths against its folder and checks
    /// every value.
    ///
    /// # Errors
    /// An unreadable file, a syntax error or unknown field (with its line), or a value out of
    /// range (naming the field).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        // An absolute base, so that `config.json` in the run folder holds absolute paths and a
        // resumed run finds the same files from any working directory.
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let base = std::path::absolute(parent.unwrap_or(Path::new(".")))
            .map_err(|e| Error::io(path, e))?;
        let base = base.as_path();
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if is_json {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        };
        parsed
            .and_then(|mut cfg| {
                cfg.resolve_paths(base);
                cfg.check().map(|()| cfg)
            })
            .map_err(|e| match e {
                Error::Config { field, message } => Error::Config {
                    field,
                    message: format!("{message} (in {})", path.display()),
                },
                other => other,
            })
    }

    /// Parses TOML (paths stay as written).
    ///
    /// # Errors
    /// A syntax error or unknown field, with its line and column.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::config("config", e.to_string().trim().to_string()))
    }

    /// Parses JSON (paths stay as written).
    ///
    /// # Errors
    /// A syntax error or unknown field, with its line and column.
    ///
    /// JSON is the run folder's format (`config.json`), so one migration applies: a
    /// `lada.semi` without `consistency` was written before that setting existed and trained
    /// with the authors' loss, so it reads as `both` ([`crate::augment::lada::ConsistencyTerms`]);
    /// TOML leaves it at the paper's `paraphrase`.
    pub fn from_json_str(text: &str) -> Result<Self> {
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::config("config", e.to_string()))?;
        match value
            .pointer_mut("/lada/semi")
            .and_then(|s| s.as_object_mut())
            .filter(|s| !s.contains_key("consistency"))
        {
            Some(semi) => {
                semi.insert("consistency".into(), "both".into());
                serde_json::from_value(value)
            }
            // From the text, so that an error keeps its line and column.
            None => serde_json::from_str(text),
        }
        .map_err(|e| Error::config("config", e.to_string()))
    }

    /// Makes relative data and model paths relative to `base` (absolute when `base` is).
    pub fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut Option<PathBuf>| {
            if let Some(path) = p.as_mut().filter(|p| p.is_relative()) {
                *path = base.join(&*path);
            }
        };
        fix(&mut self.data.train);
        fix(&mut self.data.dev);
        fix(&mut self.data.test);
        if self.model.encoder != "minilm" && Path::new(&self.model.encoder).is_relative() {
            self.model.encoder = base.join(&self.model.encoder).display().to_string();
        }
        if let Some(l) = self.lada.as_mut()
            && l.embedder != "minilm"
            && Path::new(&l.embedder).is_relative()
        {
            l.embedder = base.join(&l.embedder).display().to_string();
        }
    }

    /// The encoder folder.
    pub fn encoder_dir(&self) -> PathBuf {
        if self.model.encoder == "minilm" {
            data_dir().join("models/all-MiniLM-L6-v2")
        } else {
            PathBuf::from(&self.model.encoder)
        }
    }

    /// Checks every value; the error names the field and the allowed range.
    ///
    /// # Errors
    /// [`Error::Config`].
    pub fn check(&self) -> Result<()> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(Error::config(
                "name",
                format!(
                    "{:?} must be non-empty ASCII letters, digits, '-', '_' or '.'",
                    self.name
                ),
            ));
        }
        if self.seeds.is_empty() || self.seeds.len() > 1000 {
            return Err(Error::config("seeds", "give between 1 and 1000 seeds"));
        }
        let mut sorted = self.seeds.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != self.seeds.len() {
            return Err(Error::config("seeds", "seeds must be distinct"));
        }
        let d = &self.data;
        let files = [&d.train, &d.dev, &d.test];
        match (d.corpus, files.iter().filter(|f| f.is_some()).count()) {
            (Some(_), 0) | (None, 3) => {}
            (Some(_), _) => {
                return Err(Error::config(
                    "data",
                    "give either `corpus` or the three files `train`, `dev`, `test`, not both",
                ));
            }
            (None, _) => {
                return Err(Error::config(
                    "data",
                    "give `corpus` (conll2003, estner, wnut16) or all three of `train`, `dev`, `test`",
                ));
            }
        }
        self.train.check().map_err(|e| match e {
            Error::Config { field, message } => Error::config(format!("train.{field}"), message),
            other => other,
        })?;
        self.active.check()?;
        self.augment.check()?;
        self.lada.as_ref().map_or(Ok(()), LadaConfig::check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
name = "t"
seeds = [1, 2]
[data]
corpus = "conll2003"
[model]
encoder = "minilm"
[train]
epochs = 2
[active]
policy = { kind = "qbc", committee = 3 }
seed_size = 10
rounds = 2
query_size = 5
"#;

    #[test]
    fn a_good_config_parses_and_checks() {
        let cfg = ExperimentConfig::from_toml_str(OK).unwrap();
        cfg.check().unwrap();
        assert_eq!(cfg.train.epochs, 2);
        assert_eq!(cfg.train.batch_size, 32, "defaults fill the rest");
        assert_eq!(cfg.active.rounds, 2);
        // JSON round trip.
        let json = serde_json::to_string(&cfg).unwrap();
        assert_eq!(ExperimentConfig::from_json_str(&json).unwrap(), cfg);
    }

    #[test]
    fn semi_lada_trains_the_papers_loss_unless_a_run_was_made_with_the_authors() {
        use crate::augment::lada::ConsistencyTerms;
        let semi = |extra: &str| {
            format!(
                "{OK}[lada]\nkind = \"inter\"\n[lada.semi]\nparaphrases = {{ kind = \"neighbours\", rate = 0.3 }}\n{extra}"
            )
        };
        let terms = |cfg: &ExperimentConfig| {
            cfg.lada
                .as_ref()
                .unwrap()
                .semi
                .as_ref()
                .unwrap()
                .consistency
        };
        // TOML: the paper's loss unless `both` is asked for.
        let paper = ExperimentConfig::from_toml_str(&semi("")).unwrap();
        assert_eq!(terms(&paper), ConsistencyTerms::Paraphrase);
        let code = ExperimentConfig::from_toml_str(&semi("consistency = \"both\"")).unwrap();
        assert_eq!(terms(&code), ConsistencyTerms::Both);
        let e = ExperimentConfig::from_toml_str(&semi("consistency = \"none\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("paraphrase") && e.contains("both"), "{e}");
        // A run folder's config.json reads back as what the run trained.
        for cfg in [&paper, &code] {
            let json = serde_json::to_string_pretty(cfg).unwrap();
            assert_eq!(json.contains("consistency"), *cfg == paper, "{json}");
            assert_eq!(&ExperimentConfig::from_json_str(&json).unwrap(), cfg);
        }
        // One written before the setting existed (no `consistency`) trained with both terms.
        let mut old = serde_json::to_value(&paper).unwrap();
        old["lada"]["semi"]
            .as_object_mut()
            .unwrap()
            .remove("consistency");
        let old = ExperimentConfig::from_json_str(&old.to_string()).unwrap();
        assert_eq!(terms(&old), ConsistencyTerms::Both);
        // JSON errors keep their line.
        let e = ExperimentConfig::from_json_str("{\n\"name\": \"t\",\n\"oops\": 1\n}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn bad_values_name_their_field() {
        let err = |text: &str| {
            let r = ExperimentConfig::from_toml_str(text).and_then(|c| c.check());
            r.unwrap_err().to_string()
        };
        let e = err(&OK.replace("query_size = 5", "query_size = 0"));
        assert!(e.contains("active.query_size") && e.contains("1..="), "{e}");
        let e = err(&OK.replace("epochs = 2", "epochs = 0"));
        assert!(e.contains("train.epochs"), "{e}");
        let e = err(&OK.replace("rounds = 2", "roundz = 2"));
        assert!(e.contains("roundz") && e.contains("line"), "{e}");
        let e = err(&OK.replace("seeds = [1, 2]", "seeds = [1, 1]"));
        assert!(e.contains("seeds"), "{e}");
        let e = err(&OK.replace("corpus = \"conll2003\"", "train = \"a.txt\""));
        assert!(e.contains("data"), "{e}");
        let e = err(&OK.replace("committee = 3", "committee = 1"));
        assert!(e.contains("active.policy.committee"), "{e}");
    }
}
