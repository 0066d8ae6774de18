//! Results of a run as rows, a polars DataFrame, CSV and Parquet. Scores are in percent.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::active::RoundResult;
use crate::error::{Error, Result};
use crate::experiment::summary::{CurvePoint, learning_curve};
use crate::files::write_atomic;

/// One round of one seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoundRow {
    /// Query policy.
    pub policy: String,
    /// Seed of the curve.
    pub seed: u64,
    /// Round (0 = seed set).
    pub round: usize,
    /// `|L|` in sentences (the data-usage point).
    pub labeled_sentences: usize,
    /// `|L|` in words.
    pub labeled_tokens: usize,
    /// Augmented sequences in the training set.
    pub augmented: usize,
    /// Kept epoch.
    pub best_epoch: usize,
    /// Dev micro F1 (%).
    pub dev_f1: f64,
    /// Dev support-weighted F1 (%).
    pub dev_weighted_f1: f64,
    /// Test micro precision (%).
    pub test_precision: f64,
    /// Test micro recall (%).
    pub test_recall: f64,
    /// Test micro F1 (%).
    pub test_f1: f64,
    /// Test support-weighted F1 (%).
    pub test_weighted_f1: f64,
    /// Test F1 per entity type (%), as `(type, f1)`.
    pub test_type_f1: Vec<(String, f64)>,
    /// Seconds training.
    pub train_seconds: f64,
    /// Seconds for the round.
    pub seconds: f64,
    /// Semi-LADA: the share (%) of paraphrases that kept their sentence's predicted entity
    /// counts per type during training (see [`RoundResult::consistency`]); `None` otherwise.
    pub paraphrase_kept: Option<f64>,
}

impl RoundRow {
    /// The row of a finished round.
    pub fn new(policy: &str, seed: u64, r: &RoundResult) -> Self {
        let epoch_seconds: f64 = r.epochs.iter().map(|e| e.seconds).sum();
        RoundRow {
            policy: policy.to_string(),
            seed,
            round: r.round,
            labeled_sentences: r.labeled_sentences,
            labeled_tokens: r.labeled_tokens,
            augmented: r.augmented,
            best_epoch: r.best_epoch,
            dev_f1: 100.0 * r.dev.f1,
            dev_weighted_f1: 100.0 * r.dev.weighted_f1,
            test_precision: 100.0 * r.test.precision,
            test_recall: 100.0 * r.test.recall,
            test_f1: 100.0 * r.test.f1,
            test_weighted_f1: 100.0 * r.test.weighted_f1,
            test_type_f1: r
                .test
                .per_type_f1
                .iter()
                .map(|(t, f)| (t.clone(), 100.0 * f))
                .collect(),
            train_seconds: at_least_epochs(r.train_seconds, epoch_seconds),
            seconds: at_least_epochs(r.seconds, epoch_seconds),
            paraphrase_kept: r
                .consistency
                .as_ref()
                .filter(|c| c.compared > 0)
                .map(|c| 100.0 * c.kept as f64 / c.compared as f64),
        }
    }
}

/// A round's recorded time, or its epochs' summed time where that is larger by more than a
/// second: a round resumed from a checkpoint before [`RoundResult`] counted its earlier
/// processes' epochs recorded only its last process's time. (Within a second the record is
/// kept: an uninterrupted round's training time equals its epochs' sum up to rounding.)
fn at_least_epochs(recorded: f64, epoch_seconds: f64) -> f64 {
    if epoch_seconds > recorded + 1.0 {
        epoch_seconds
    } else {
        recorded
    }
}

/// One queried sentence: `(seed, round, rank, training-split index, score)`.
pub type QueryRow = (u64, usize, usize, usize, Option<f64>);

/// All finished rounds of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// Experiment name.
    pub name: String,
    /// One row per (seed, round).
    pub rows: Vec<RoundRow>,
    /// The query trace.
    pub queries: Vec<QueryRow>,
    /// Rounds each seed runs after its seed round (from the config).
    pub planned_rounds: usize,
}

const FIXED: [&str; 17] = [
    "experiment",
    "policy",
    "seed",
    "round",
    "labeled_sentences",
    "labeled_tokens",
    "augmented",
    "best_epoch",
    "dev_f1",
    "dev_weighted_f1",
    "test_precision",
    "test_recall",
    "test_f1",
    "test_weighted_f1",
    "train_seconds",
    "seconds",
    "paraphrase_kept",
];

impl Results {
    /// Results from rows and the query trace of a run of `planned_rounds` query rounds.
    pub fn new(
        name: String,
        rows: Vec<RoundRow>,
        queries: Vec<QueryRow>,
        planned_rounds: usize,
    ) -> Self {
        Results {
            name,
            rows,
            queries,
            planned_rounds,
        }
    }

    /// Entity types with a per-type column.
    pub fn types(&self) -> Vec<String> {
        let set: BTreeSet<&String> = self
            .rows
            .iter()
            .flat_map(|r| r.test_type_f1.iter().map(|(t, _)| t))
            .collect();
        set.into_iter().cloned().collect()
    }

    /// The rows as a polars DataFrame (one column per field, `test_f1_TYPE` per type).
    ///
    /// # Errors
    /// A polars failure.
    pub fn frame(&self) -> Result<DataFrame> {
        let r = &self.rows;
        let f = |name: &str, v: Vec<f64>| Column::new(name.into(), v);
        let u = |name: &str, v: Vec<u64>| Column::new(name.into(), v);
        let mut cols = vec![
            Column::new("experiment".into(), vec![self.name.clone(); r.len()]),
            Column::new(
                "policy".into(),
                r.iter().map(|x| x.policy.clone()).collect::<Vec<_>>(),
            ),
            u("seed", r.iter().map(|x| x.seed).collect()),
            u("round", r.iter().map(|x| x.round as u64).collect()),
            u(
                "labeled_sentences",
                r.iter().map(|x| x.labeled_sentences as u64).collect(),
            ),
            u(
                "labeled_tokens",
                r.iter().map(|x| x.labeled_tokens as u64).collect(),
            ),
            u("augmented", r.iter().map(|x| x.augmented as u64).collect()),
            u(
                "best_epoch",
                r.iter().map(|x| x.best_epoch as u64).collect(),
            ),
            f("dev_f1", r.iter().map(|x| x.dev_f1).collect()),
            f(
                "dev_weighted_f1",
                r.iter().map(|x| x.dev_weighted_f1).collect(),
            ),
            f(
                "test_precision",
                r.iter().map(|x| x.test_precision).collect(),
            ),
            f("test_recall", r.iter().map(|x| x.test_recall).collect()),
            f("test_f1", r.iter().map(|x| x.test_f1).collect()),
            f(
                "test_weighted_f1",
                r.iter().map(|x| x.test_weighted_f1).collect(),
            ),
            f("train_seconds", r.iter().map(|x| x.train_seconds).collect()),
            f("seconds", r.iter().map(|x| x.seconds).collect()),
            Column::new(
                "paraphrase_kept".into(),
                r.iter().map(|x| x.paraphrase_kept).collect::<Vec<_>>(),
            ),
        ];
        for t in self.types() {
            let v: Vec<Option<f64>> = r
                .iter()
                .map(|x| x.test_type_f1.iter().find(|(k, _)| *k == t).map(|p| p.1))
                .collect();
            cols.push(Column::new(format!("test_f1_{t}").into(), v));
        }
        DataFrame::new(r.len(), cols).map_err(polars_err)
    }

    /// The rows as CSV (header line first; numbers with full precision).
    pub fn to_csv(&self) -> String {
        let types = self.types();
        let mut out = FIXED.join(",");
        for t in &types {
            let _ = write!(out, ",test_f1_{t}");
        }
        out.push('\n');
        for x in &self.rows {
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(&self.name),
                csv_field(&x.policy),
                x.seed,
                x.round,
                x.labeled_sentences,
                x.labeled_tokens,
                x.augmented,
                x.best_epoch,
                x.dev_f1,
                x.dev_weighted_f1,
                x.test_precision,
                x.test_recall,
                x.test_f1,
                x.test_weighted_f1,
                x.train_seconds,
                x.seconds,
                x.paraphrase_kept.map_or(String::new(), |v| v.to_string())
            );
            for t in &types {
                match x.test_type_f1.iter().find(|(k, _)| k == t) {
                    Some((_, v)) => {
                        let _ = write!(out, ",{v}");
                    }
                    None => out.push(','),
                }
            }
            out.push('\n');
        }
        out
    }

    /// The query trace as CSV.
    pub fn queries_csv(&self) -> String {
        let mut out = String::from("seed,round,rank,sentence,score\n");
        for (seed, round, rank, id, score) in &self.queries {
            let s = score.map_or(String::new(), |v| v.to_string());
            let _ = writeln!(out, "{seed},{round},{rank},{id},{s}");
        }
        out
    }

    /// Mean ± std of test F1 per (policy, round) across seeds.
    pub fn curve(&self) -> Vec<CurvePoint> {
        learning_curve(&self.rows, |r| r.test_f1)
    }

    /// Writes `results.csv`, `results.parquet`, `queries.csv` and `summary.csv` into `dir`,
    /// each atomically.
    ///
    /// # Errors
    /// A write or polars failure.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_atomic(&dir.join("results.csv"), self.to_csv().as_bytes())?;
        let mut df = self.frame()?;
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf)
            .finish(&mut df)
            .map_err(polars_err)?;
        write_atomic(&dir.join("results.parquet"), &buf)?;
        write_atomic(&dir.join("queries.csv"), self.queries_csv().as_bytes())?;
        let mut s = String::from("policy,round,labeled_sentences,seeds,test_f1_mean,test_f1_std\n");
        for p in self.curve() {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{}",
                csv_field(&p.policy),
                p.round,
                p.labeled_sentences,
                p.n,
                p.mean,
                p.std
            );
        }
        write_atomic(&dir.join("summary.csv"), s.as_bytes())
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn polars_err(e: PolarsError) -> Error {
    Error::Model(format!("polars: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::active::ScoreSummary;
    use crate::train::EpochLog;

    fn round(epoch_seconds: &[f64], train_seconds: f64, seconds: f64) -> RoundResult {
        RoundResult {
            round: 0,
            queried: vec![0, 1],
            query_scores: Vec::new(),
            labeled_sentences: 2,
            labeled_tokens: 9,
            augmented: 0,
            new_augmented: Vec::new(),
            best_epoch: epoch_seconds.len(),
            epochs: epoch_seconds
                .iter()
                .enumerate()
                .map(|(i, &s)| EpochLog {
                    epoch: i + 1,
                    train_loss: 0.5,
                    dev: None,
                    updates: i as u64 + 1,
                    seconds: s,
                })
                .collect(),
            dev: ScoreSummary::default(),
            test: ScoreSummary::default(),
            train_seconds,
            seconds,
            consistency: None,
        }
    }

    #[test]
    fn a_rounds_time_is_at_least_its_epochs_time() {
        // As recorded by a resume that counted only its own process (the last of 3 epochs).
        let r = RoundRow::new("random", 1, &round(&[300.0, 310.0, 320.0], 330.0, 345.0));
        assert_eq!((r.train_seconds, r.seconds), (930.0, 930.0));
        // An uninterrupted round keeps its own, larger, times, and its own rounding.
        let r = RoundRow::new("random", 1, &round(&[300.0, 310.0], 615.0, 640.0));
        assert_eq!((r.train_seconds, r.seconds), (615.0, 640.0));
        let (a, b) = (0.1, 0.2);
        let r = RoundRow::new("random", 1, &round(&[a, b], 0.3, 0.5));
        assert!(a + b > 0.3, "the sum rounds up");
        assert_eq!((r.train_seconds, r.seconds), (0.3, 0.5));
    }
}
