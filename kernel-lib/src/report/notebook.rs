//! Notebook drivers: the scale a notebook runs at ([`Scale`], from `SEQLAB_SCALE`) and
//! [`Item`], one table or figure of a paper — its runs (configs in `notebooks/configs/`), where
//! they live, and its report. A notebook is then a few short cells:
//!
//! ```no_run
//! use seqlab::report::notebook::{Item, ItemReport};
//! use seqlab::report::paper;
//!
//! # fn main() -> seqlab::Result<()> {
//! let item: Item = Item::new("lada-table3", "LADA Table 3 (CoNLL-2003, 5 %)",
//!     &["lada-conll-5-base", "lada-conll-5-inter"])?
//!     .with_paper(paper::lada_table3_conll());
//! item.prepare()?;                       // quick: runs shrunk configs; cpu: finds the runs
//! let report: ItemReport = item.write_report()?;
//! report.evcxr_display();                // the table and the chart, inline
//! # Ok(()) }
//! ```
//!
//! Scales: `quick` runs every config shrunk to seconds on real
//! data and the real model (CI re-executes notebooks at this scale; reports go to
//! `target/notebooks/reports/` unless `SEQLAB_REPORTS` says otherwise); `cpu` reads the runs of
//! the paper protocol made on CPU (`$SEQLAB_RUNS/NAME`, else `runs/NAME`, else the committed
//! snapshot `reports/runs/NAME`) and writes the committed `reports/<item>/`; `paper` is the
//! same with runs made at the paper's sizes (a GPU and bert-base-cased).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::augment::seqmix::DiscriminatorConfig;
use crate::data::Subset;
use crate::data::subset::Amount;
use crate::error::{Error, Result};
use crate::experiment::{AugmentConfig, Experiment, ExperimentConfig, Progress, Results};
use crate::report::claims::Claim;
use crate::report::learning::LearningReport;
use crate::report::paper::{PaperCurve, for_runs};
use crate::report::repo_root;
use crate::report::sweep::Dots;

/// How much a notebook computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Seconds per run: one seed, one epoch, tiny subsets (CI).
    #[default]
    Quick,
    /// The papers' protocols on 2 CPU cores with MiniLM (the committed reports).
    Cpu,
    /// The papers' sizes (GPU, bert-base-cased).
    Paper,
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scale::Quick => "quick",
            Scale::Cpu => "cpu",
            Scale::Paper => "paper",
        })
    }
}

impl FromStr for Scale {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "quick" => Ok(Scale::Quick),
            "cpu" => Ok(Scale::Cpu),
            "paper" => Ok(Scale::Paper),
            other => Err(Error::config(
                "SEQLAB_SCALE",
                format!("unknown scale `{other}`; use quick, cpu or paper"),
            )),
        }
    }
}

impl Scale {
    /// `SEQLAB_SCALE`, default `quick`.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown value.
    pub fn from_env() -> Result<Scale> {
        match std::env::var("SEQLAB_SCALE") {
            Ok(v) if !v.trim().is_empty() => v.parse(),
            _ => Ok(Scale::Quick),
        }
    }
}

/// How far [`Shrink::apply`] cuts an experiment down. The method settings are kept, so a
/// shrunk run exercises the same code as the full one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shrink {
    /// Epochs per training, at most.
    pub epochs: usize,
    /// The pool becomes the first this many training sentences (`None`: the config's pool).
    pub pool: Option<usize>,
    /// Dev and test are cut to their first this many sentences.
    pub dev: usize,
    /// See `dev`.
    pub test: usize,
    /// Seed set size, at most.
    pub seed_size: usize,
    /// Query rounds and their size, at most (no query round stays none).
    pub rounds: usize,
    /// See `rounds`.
    pub query_size: usize,
    /// Semi-LADA's unlabeled sentences and the SeqMix discriminator's calibration sample,
    /// at most.
    pub unlabeled: usize,
}

impl Shrink {
    /// The quick scale (CI): seconds per run; the figures only show that the code runs.
    pub const QUICK: Shrink = Shrink {
        epochs: 1,
        pool: Some(200),
        dev: 200,
        test: 200,
        seed_size: 40,
        rounds: 1,
        query_size: 20,
        unlabeled: 64,
    };

    /// The main job (`seqlab reproduce`): a minute or two per run on 2 cores, enough
    /// training for real F1 levels (the paper's pools and seed sets, 5 epochs, 2 query rounds,
    /// dev and test cut to 1,000 sentences).
    pub const MAIN_JOB: Shrink = Shrink {
        epochs: 5,
        pool: None,
        dev: 1000,
        test: 1000,
        seed_size: 700,
        rounds: 2,
        query_size: 100,
        unlabeled: 500,
    };

    /// Cuts `cfg` down: its first seed, and every size above to at most this.
    pub fn apply(&self, cfg: &mut ExperimentConfig) {
        cfg.seeds.truncate(1);
        cfg.train.epochs = cfg.train.epochs.min(self.epochs);
        let first = |n| Subset::First(Amount::Count(n));
        if let Some(n) = self.pool {
            cfg.data.pool_subset = first(n);
        }
        cfg.data.dev_subset = first(self.dev);
        cfg.data.test_subset = first(self.test);
        let a = &mut cfg.active;
        a.seed_size = a.seed_size.min(self.seed_size);
        if a.rounds > 0 {
            a.rounds = a.rounds.min(self.rounds);
            a.query_size = a.query_size.min(self.query_size);
        }
        if let Some(semi) = cfg.lada.as_mut().and_then(|l| l.semi.as_mut()) {
            semi.unlabeled = semi.unlabeled.min(self.unlabeled);
        }
        if let AugmentConfig::Seqmix(m) = &mut cfg.augment
            && let DiscriminatorConfig::Percentile { sample, .. } = &mut m.discriminator
        {
            *sample = (*sample).min(self.unlabeled);
        }
    }

    /// A line for reports: what was cut.
    pub fn describe(&self) -> String {
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let evaluation = if self.dev == self.test {
            format!("dev and test cut to their first {} sentences", self.dev)
        } else {
            format!(
                "dev and test cut to their first {} and {} sentences",
                self.dev, self.test
            )
        };
        format!(
            "1 seed, at most {}, {}{evaluation}, at most {} of {}",
            plural(self.epochs, "epoch"),
            self.pool
                .map_or(String::new(), |n| format!("a pool of {n} sentences, ")),
            plural(self.rounds, "query round"),
            self.query_size
        )
    }
}

/// Shrinks an experiment to the quick scale ([`Shrink::QUICK`]): its first seed, one epoch, a
/// pool of the first 200 training sentences with a seed set of at most 40 and one query round
/// of 20, dev and test cut to their first 200 sentences, and Semi-LADA's unlabeled set and the
/// SeqMix discriminator's calibration sample to 64 sentences.
pub fn quick_config(cfg: &mut ExperimentConfig) {
    Shrink::QUICK.apply(cfg);
}

/// One table or figure of a paper: its runs and its report.
#[derive(Debug, Clone)]
pub struct Item {
    /// Report folder name, e.g. `lada-table3`.
    pub name: String,
    /// Title: the table or figure, dataset and setting.
    pub title: String,
    /// Config names (`notebooks/configs/NAME.toml`), one curve each.
    pub runs: Vec<String>,
    /// The scale.
    pub scale: Scale,
    /// The paper's numbers for these runs.
    pub paper: Vec<PaperCurve>,
    /// Protocol differences from the paper (footnotes).
    pub notes: Vec<String>,
    /// Report dev F1 instead of test F1.
    pub dev: bool,
    /// `(run, series)`: runs drawn as one curve (see [`LearningReport::groups`]).
    pub groups: Vec<(String, String)>,
    /// The runs executed at the quick scale (all when `None`), for items whose runs differ
    /// only in sizes that the quick scale shrinks to the same thing.
    pub quick_runs: Option<Vec<String>>,
    /// One value per run as a dot chart (sweeps, ablations, gains).
    pub dots: Option<Dots>,
    /// Dev-loss curves per epoch (LADA Fig. 3).
    pub loss: bool,
    /// The words SeqMix generated, per run.
    pub generated: bool,
    /// The papers' claims checked against the runs.
    pub claims: Vec<Claim>,
    /// A run on all training data, drawn as a dashed line at the cpu and paper scales
    /// ([`LearningReport::full_data`]); the quick scale leaves it out.
    pub full_data: Option<String>,
    /// How the quick scale cuts the configs ([`Shrink::QUICK`] unless [`Item::shrunk`]).
    pub shrink: Shrink,
    /// The scale as reports print it, when not the scale's name ([`Item::shrunk`]).
    pub scale_label: Option<String>,
    /// Run and report folders that replace [`Item::runs_dir`] and [`Item::report_dir`].
    pub dirs: Option<(PathBuf, PathBuf)>,
}

impl Item {
    /// An item at the scale of `SEQLAB_SCALE`.
    ///
    /// # Errors
    /// An unknown scale, or a run without a config in `notebooks/configs/`.
    pub fn new(name: &str, title: &str, runs: &[&str]) -> Result<Item> {
        let item = Item {
            name: name.into(),
            title: title.into(),
            runs: runs.iter().map(|r| r.to_string()).collect(),
            scale: Scale::from_env()?,
            paper: Vec::new(),
            notes: Vec::new(),
            dev: false,
            groups: Vec::new(),
            quick_runs: None,
            dots: None,
            loss: false,
            generated: false,
            claims: Vec::new(),
            full_data: None,
            shrink: Shrink::QUICK,
            scale_label: None,
            dirs: None,
        };
        for r in &item.runs {
            let p = item.config_path(r);
            if !p.is_file() {
                return Err(Error::config(
                    "runs",
                    format!("no config {} for run `{r}`", p.display()),
                ));
            }
        }
        Ok(item)
    }

    /// The same item at another scale.
    pub fn at_scale(mut self, scale: Scale) -> Self {
        self.scale = scale;
        self
    }

    /// At the quick scale, cuts the configs by `shrink` instead of [`Shrink::QUICK`]; reports
    /// print `label` as the scale.
    pub fn shrunk(mut self, shrink: Shrink, label: &str) -> Self {
        self.scale = Scale::Quick;
        self.shrink = shrink;
        self.scale_label = Some(label.to_string());
        self
    }

    /// Puts the runs in `runs` (one folder per config) and the report in `report`.
    pub fn in_dirs(mut self, runs: impl Into<PathBuf>, report: impl Into<PathBuf>) -> Self {
        self.dirs = Some((runs.into(), report.into()));
        self
    }

    /// Adds the paper curves that belong to this item's runs.
    pub fn with_paper(mut self, curves: Vec<PaperCurve>) -> Self {
        let runs: Vec<&str> = self.runs.iter().map(String::as_str).collect();
        self.paper.extend(for_runs(curves, &runs));
        self
    }

    /// Adds footnotes.
    pub fn with_notes(mut self, notes: &[&str]) -> Self {
        self.notes.extend(notes.iter().map(|n| n.to_string()));
        self
    }

    /// Draws the runs that differ only in a size token (`lada-conll-5-inter`,
    /// `lada-conll-10-inter`, …) as one curve named without it (`lada-conll-inter`).
    pub fn group_sizes(mut self) -> Self {
        self.groups = self
            .runs
            .iter()
            .map(|r| {
                let parts: Vec<&str> = r
                    .split('-')
                    .filter(|p| !p.chars().all(|c| c.is_ascii_digit()))
                    .collect();
                (r.clone(), parts.join("-"))
            })
            .collect();
        self
    }

    /// At the quick scale, runs only these (the others are skipped and left out of the
    /// report).
    pub fn quick_only(mut self, runs: &[&str]) -> Self {
        self.quick_runs = Some(runs.iter().map(|r| r.to_string()).collect());
        self
    }

    fn active_runs(&self) -> Vec<&String> {
        match (&self.quick_runs, self.scale) {
            (Some(q), Scale::Quick) => self.runs.iter().filter(|r| q.contains(r)).collect(),
            _ => self.runs.iter().collect(),
        }
    }

    /// Adds a dot chart of one value per setting (see [`crate::report::sweep`]): each entry's
    /// run must be one of the item's runs.
    ///
    /// # Errors
    /// An entry (or baseline, or reference) naming a run the item does not have.
    pub fn with_dots(mut self, dots: Dots) -> Result<Self> {
        let named = dots
            .entries
            .iter()
            .flat_map(|e| std::iter::once(&e.run).chain(e.baseline.as_ref()))
            .chain(dots.reference.as_ref());
        for r in named {
            if !self.runs.contains(r) {
                return Err(Error::config(
                    "dots",
                    format!("`{r}` is not one of the item's runs {:?}", self.runs),
                ));
            }
        }
        self.dots = Some(dots);
        Ok(self)
    }

    /// Adds the dev-loss curves per epoch of the runs' first round.
    pub fn loss_curves(mut self) -> Self {
        self.loss = true;
        self
    }

    /// Adds a table of the words SeqMix generated in each run: shares of Latin-letter and
    /// other-script words, distinct words, examples ([`crate::report::generated`]).
    pub fn generated_words(mut self) -> Self {
        self.generated = true;
        self
    }

    /// Checks a claim of the paper ([`crate::report::claims`]): both runs must be the item's
    /// runs or groups of them ([`Item::group_sizes`]).
    ///
    /// # Errors
    /// A run the item does not have.
    pub fn with_claim(mut self, claim: Claim) -> Result<Self> {
        for r in [&claim.run, &claim.baseline] {
            if !self.runs.contains(r) && !self.groups.iter().any(|(_, g)| g == r) {
                return Err(Error::config(
                    "claims",
                    format!(
                        "`{r}` is neither one of the item's runs {:?} nor a group of them",
                        self.runs
                    ),
                ));
            }
        }
        self.claims.push(claim);
        Ok(self)
    }

    /// Checks the claim the item's transcribed paper numbers make: `run` beats `baseline` by
    /// their mean difference ([`Claim::from_paper`]). `run` and `baseline` may be groups
    /// ([`Item::group_sizes`]): the claim then pools the sizes, the paper's gain is the mean
    /// over them and ours pairs every seed and size, which gives the test more points than one
    /// size alone (with 3 seeds a single size can at best give p = 0.25).
    ///
    /// # Errors
    /// A run the item or its paper numbers lack.
    pub fn with_paper_claim(self, run: &str, baseline: &str, statement: &str) -> Result<Self> {
        let mut curves = self.paper.clone();
        curves.extend(crate::report::paper::grouped(&self.paper, &self.groups));
        let claim = Claim::from_paper(&curves, run, baseline, statement)?;
        self.with_claim(claim)
    }

    /// Draws `run`, a tagger trained on all training data (e.g. `lada-conll-full-base`), as a
    /// dashed line: the level the low-resource curves approach. Its config must exist; the
    /// run itself may not have been made yet (the report then says so).
    ///
    /// # Errors
    /// No config `notebooks/configs/RUN.toml`.
    pub fn with_full_data(mut self, run: &str) -> Result<Self> {
        let p = self.config_path(run);
        if !p.is_file() {
            return Err(Error::config(
                "full_data",
                format!("no config {} for run `{run}`", p.display()),
            ));
        }
        self.full_data = Some(run.to_string());
        Ok(self)
    }

    /// Reports dev F1 (the paper's numbers are validation F1).
    pub fn dev_f1(mut self) -> Self {
        self.dev = true;
        self
    }

    fn config_path(&self, run: &str) -> PathBuf {
        repo_root()
            .join("notebooks/configs")
            .join(format!("{run}.toml"))
    }

    /// Where the runs live: at quick scale `$SEQLAB_QUICK_RUNS` or `target/notebooks/runs`;
    /// otherwise `$SEQLAB_RUNS` or `runs`.
    pub fn runs_dir(&self) -> PathBuf {
        if let Some((runs, _)) = &self.dirs {
            return runs.clone();
        }
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        match self.scale {
            Scale::Quick => env("SEQLAB_QUICK_RUNS")
                .unwrap_or_else(|| repo_root().join("target/notebooks/runs")),
            Scale::Cpu | Scale::Paper => {
                env("SEQLAB_RUNS").unwrap_or_else(|| repo_root().join("runs"))
            }
        }
    }

    /// The report folder: `$SEQLAB_REPORTS/NAME` when set; else `reports/NAME` at the cpu and
    /// paper scales and `target/notebooks/reports/NAME` at the quick scale (so that CI does not
    /// touch the committed reports).
    pub fn report_dir(&self) -> PathBuf {
        if let Some((_, report)) = &self.dirs {
            return report.clone();
        }
        if let Some(dir) = std::env::var_os("SEQLAB_REPORTS").filter(|v| !v.is_empty()) {
            return PathBuf::from(dir).join(&self.name);
        }
        match self.scale {
            Scale::Quick => repo_root()
                .join("target/notebooks/reports")
                .join(&self.name),
            Scale::Cpu | Scale::Paper => repo_root().join("reports").join(&self.name),
        }
    }

    /// The folder of one run: at quick scale under [`Item::runs_dir`]; otherwise there if it
    /// exists, else the committed snapshot `reports/runs/NAME`.
    pub fn run_dir(&self, run: &str) -> PathBuf {
        let dir = self.runs_dir().join(run);
        if self.scale == Scale::Quick || dir.join("config.json").is_file() {
            return dir;
        }
        let snapshot = repo_root().join("reports/runs").join(run);
        if snapshot.join("config.json").is_file() {
            snapshot
        } else {
            dir
        }
    }

    /// Makes the runs available and returns the folders of those that exist. Quick: runs (or
    /// resumes) every config shrunk by [`Item::shrink`] ([`quick_config`] by default), printing
    /// a progress line per round (on stdout: evcxr reports a cell's errors on stderr).
    /// Cpu and paper: finds the run folders; the grids are long and run outside the notebook
    /// (`notebooks/configs/run-*.sh`), a report reads their finished rounds, and a run not
    /// started yet is listed (and marked "not run yet" beside the paper).
    ///
    /// # Errors
    /// A config or run failure.
    pub fn prepare(&self) -> Result<Vec<PathBuf>> {
        let mut dirs = Vec::new();
        for run in self.active_runs() {
            let dir = self.run_dir(run);
            if self.scale == Scale::Quick {
                let mut cfg = ExperimentConfig::from_file(&self.config_path(run))?;
                self.shrink.apply(&mut cfg);
                let exp = if dir.join("config.json").is_file() {
                    Experiment::resume(&dir)?
                } else {
                    Experiment::new(cfg)?.with_output(&dir)
                };
                println!("== {run} ({} scale)", self.scale_name());
                exp.run_with(&mut Progress::stdout())?;
            } else if !dir.join("config.json").is_file() {
                println!(
                    "not started: {run} (seqlab run notebooks/configs/{run}.toml --out {})",
                    crate::report::repo_relative(&dir)
                );
                continue;
            }
            dirs.push(dir);
        }
        Ok(dirs)
    }

    /// The scale as reports print it.
    pub fn scale_name(&self) -> String {
        self.scale_label
            .clone()
            .unwrap_or_else(|| self.scale.to_string())
    }

    /// The finished rounds of the runs that exist.
    ///
    /// # Errors
    /// An unreadable run folder.
    pub fn results(&self) -> Result<Vec<Results>> {
        self.existing_runs()
            .iter()
            .map(|d| Experiment::resume(d)?.collect())
            .collect()
    }

    fn existing_runs(&self) -> Vec<PathBuf> {
        self.active_runs()
            .into_iter()
            .map(|r| self.run_dir(r))
            .filter(|d| d.join("config.json").is_file())
            .collect()
    }

    /// Writes the report (Markdown, HTML, chart, CSV, configs, provenance) of the runs that
    /// exist into [`Item::report_dir`] and returns what a notebook shows. With no run yet, the
    /// report holds the paper's numbers, each marked "not run yet".
    ///
    /// # Errors
    /// An unreadable run folder or an unwritable report folder.
    pub fn write_report(&self) -> Result<ItemReport> {
        let dirs = self.existing_runs();
        let out = self.report_dir();
        let report = LearningReport {
            title: self.title.clone(),
            scale: self.scale_name(),
            dev: self.dev,
            paper: self.paper.clone(),
            notes: self.notes.clone(),
            groups: self.groups.clone(),
            dots: self.dots.clone(),
            loss: self.loss,
            generated: self.generated,
            claims: self.claims.clone(),
            full_data: self
                .full_data
                .as_deref()
                .filter(|_| self.scale != Scale::Quick)
                .map(|r| self.run_dir(r)),
            not_started: self
                .active_runs()
                .into_iter()
                .filter(|r| !self.run_dir(r).join("config.json").is_file())
                .map(|r| r.to_string())
                .collect(),
        };
        report.write(&dirs, &out)?;
        ItemReport::read(&out)
    }
}

/// A written report, for display in a notebook.
#[derive(Debug, Clone)]
pub struct ItemReport {
    /// The report folder.
    pub dir: PathBuf,
    /// `index.md`.
    pub markdown: String,
    /// The chart as SVG.
    pub svg: String,
}

impl ItemReport {
    /// Reads a report folder written by [`Item::write_report`].
    ///
    /// # Errors
    /// A missing `index.md` or `curve.svg`.
    pub fn read(dir: &Path) -> Result<ItemReport> {
        let read = |f: &str| {
            let p = dir.join(f);
            std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))
        };
        Ok(ItemReport {
            dir: dir.to_path_buf(),
            markdown: read("index.md")?,
            svg: read("curve.svg")?,
        })
    }

    /// The body of the HTML report (tables and the inline chart).
    pub fn html(&self) -> String {
        let dir = self.dir.join("index.html");
        let html = std::fs::read_to_string(dir).unwrap_or_default();
        let start = html.find("<body>").map_or(0, |i| i + "<body>".len());
        let end = html.rfind("</body>").unwrap_or(html.len());
        html[start..end].to_string()
    }

    /// evcxr's rich display: the report's HTML (tables and chart).
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT",
            self.html()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_parse_and_reject_unknown_names() {
        assert_eq!("cpu".parse::<Scale>().unwrap(), Scale::Cpu);
        assert_eq!(" quick ".parse::<Scale>().unwrap(), Scale::Quick);
        let e = "fast".parse::<Scale>().unwrap_err().to_string();
        let item = Item::new("t", "T", &["lada-conll-5-inter", "lada-conll-10-inter"])
            .unwrap()
            .group_sizes();
        assert!(item.groups.iter().all(|(_, g)| g == "lada-conll-inter"));
        assert!(
            e.contains("SEQLAB_SCALE") && e.contains("quick, cpu or paper"),
            "{e}"
        );
    }

    #[test]
    fn quick_config_keeps_the_method_and_shrinks_the_protocol() {
        let dir = repo_root().join("notebooks/configs");
        let mut cfg = ExperimentConfig::from_file(&dir.join("conll-nte.toml")).unwrap();
        let policy = cfg.active.policy;
        quick_config(&mut cfg);
        assert_eq!(cfg.seeds, vec![1]);
        assert_eq!(
            (
                cfg.active.seed_size,
                cfg.active.rounds,
                cfg.active.query_size
            ),
            (40, 1, 20)
        );
        assert_eq!(cfg.active.policy, policy);
        assert_eq!(cfg.train.epochs, 1);
        let mut lada =
            ExperimentConfig::from_file(&dir.join("lada-conll-5-semi-inter.toml")).unwrap();
        quick_config(&mut lada);
        assert_eq!(lada.active.rounds, 0);
        assert_eq!(lada.lada.unwrap().semi.unwrap().unlabeled, 64);
        cfg.check().unwrap();
    }
}
