//! What SeqMix actually wrote: the words of the mixed windows that joined the training set,
//! read from a run folder's `seed-S/augment-RRR.jsonl` records ([`CaseRecord`]).
//!
//! A mixed window is only as useful as its words. The shares below tell at a glance whether
//! the nearest-token search ([`crate::augment::seqmix::Metric`],
//! [`crate::augment::seqmix::Vocabulary`]) lands on words of the language or on stray
//! characters of other scripts, and whether it keeps writing the same few words.
//!
//! ```
//! use seqlab::report::generated::{GeneratedWords, word_kind, WordKind};
//! assert_eq!(word_kind("Kenyan"), WordKind::Latin);
//! assert_eq!(word_kind("西"), WordKind::OtherScript);
//! assert_eq!(word_kind("1626"), WordKind::NoLetter);
//! let none = GeneratedWords::of_run(std::path::Path::new("no/such/run"))?;
//! assert_eq!(none.candidates, 0);
//! # Ok::<(), seqlab::Error>(())
//! ```

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use crate::augment::seqmix::{CaseRecord, GenerationStats};
use crate::error::{Error, Result};

/// The script class of a generated word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordKind {
    /// Has letters, all of them ASCII (`Kenyan`, `O'Neill`).
    Latin,
    /// Has at least one letter outside ASCII (`西`, `ʲ`, `Ј`, also `Zürich`).
    OtherScript,
    /// No letter at all (numbers, punctuation).
    NoLetter,
}

/// The [`WordKind`] of `word`.
pub fn word_kind(word: &str) -> WordKind {
    let mut letters = word.chars().filter(|c| c.is_alphabetic()).peekable();
    if letters.peek().is_none() {
        WordKind::NoLetter
    } else if letters.all(|c| c.is_ascii()) {
        WordKind::Latin
    } else {
        WordKind::OtherScript
    }
}

/// Counts over the accepted mixed windows of one run (all seeds and rounds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratedWords {
    /// Generations recorded (one per seed and round that ran the augmenter).
    pub generations: usize,
    /// Sentences the generations wanted (Σ `N` = rate × batch, [`crate::augment::seqmix::GenerationStats::target`]).
    pub wanted: usize,
    /// Candidate pairs the pairing function ζ found (Σ
    /// [`crate::augment::seqmix::GenerationStats::pairs_available`]).
    pub pairs: usize,
    /// Candidate sentences recorded (accepted or not).
    pub candidates: usize,
    /// Candidates that joined the training set.
    pub accepted: usize,
    /// Words in the mixed windows of the accepted sentences.
    pub words: usize,
    /// Of those, [`WordKind::Latin`].
    pub latin: usize,
    /// Of those, [`WordKind::OtherScript`].
    pub other_script: usize,
    /// Distinct words (compared lowercased).
    pub distinct: usize,
    /// Up to three accepted windows: the two parents' windows and the generated words.
    pub examples: Vec<[String; 3]>,
}

impl GeneratedWords {
    /// Reads every `seed-*/augment-*.jsonl` of `run_dir` (seeds and rounds in name order).
    /// A run without augmentation records gives all zeros.
    ///
    /// # Errors
    /// An unreadable file, or a line that is not a record (named with its line number).
    pub fn of_run(run_dir: &Path) -> Result<Self> {
        let mut out = GeneratedWords::default();
        let mut distinct: HashSet<String> = HashSet::new();
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        if let Ok(seeds) = std::fs::read_dir(run_dir) {
            for s in seeds.flatten() {
                let is_seed = s.file_name().to_string_lossy().starts_with("seed-");
                if !is_seed || !s.path().is_dir() {
                    continue;
                }
                let rounds = std::fs::read_dir(s.path()).map_err(|e| Error::io(s.path(), e))?;
                for f in rounds.flatten() {
                    let name = f.file_name().to_string_lossy().into_owned();
                    if name.starts_with("augment-") && name.ends_with(".jsonl") {
                        files.push(f.path());
                    }
                }
            }
        }
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            for (i, line) in text.lines().enumerate() {
                let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                    Error::Model(format!(
                        "{} line {}: not JSON ({e}); the file is written by `seqlab run`",
                        path.display(),
                        i + 1
                    ))
                })?;
                // The first line of a round is the generation's summary, not a candidate.
                if value.get("parents").is_none() {
                    if let Some(stats) = value.get("stats") {
                        let stats: GenerationStats = serde_json::from_value(stats.clone())
                            .map_err(|e| {
                                Error::Model(format!(
                                    "{} line {}: not a SeqMix generation summary ({e})",
                                    path.display(),
                                    i + 1
                                ))
                            })?;
                        out.generations += 1;
                        out.wanted += stats.target;
                        out.pairs += stats.pairs_available;
                    }
                    continue;
                }
                let c: CaseRecord = serde_json::from_value(value).map_err(|e| {
                    Error::Model(format!(
                        "{} line {}: not a SeqMix case record ({e})",
                        path.display(),
                        i + 1
                    ))
                })?;
                out.candidates += 1;
                if !c.accepted {
                    continue;
                }
                out.accepted += 1;
                let Some(&start) = c.windows.get(c.frame) else {
                    continue;
                };
                let window = c.tokens.get(start..start + c.len).unwrap_or(&[]);
                for w in window {
                    out.words += 1;
                    match word_kind(w) {
                        WordKind::Latin => out.latin += 1,
                        WordKind::OtherScript => out.other_script += 1,
                        WordKind::NoLetter => {}
                    }
                    distinct.insert(w.to_lowercase());
                }
                if out.examples.len() < 3 {
                    let parent = |k: usize| {
                        let s = c.windows[k];
                        c.parents[k]
                            .get(s..s + c.len)
                            .map_or_else(String::new, |w| w.join(" "))
                    };
                    let example = [parent(0), parent(1), window.join(" ")];
                    if !out.examples.contains(&example) {
                        out.examples.push(example);
                    }
                }
            }
        }
        out.distinct = distinct.len();
        Ok(out)
    }

    fn share(&self, n: usize) -> String {
        if self.words == 0 {
            "–".into()
        } else {
            format!("{:.1} %", 100.0 * n as f64 / self.words as f64)
        }
    }
}

/// Markdown tables of `(run, counts)` and of their examples, and the counts as CSV
/// (`run,generations,wanted,pairs,candidates,accepted,words,latin,other_script,distinct`).
/// Runs without records are left out; `None` when none has any.
pub fn generated_tables(runs: &[(String, GeneratedWords)]) -> Option<(String, String, String)> {
    let runs: Vec<&(String, GeneratedWords)> = runs
        .iter()
        .filter(|(_, g)| g.generations > 0 || g.candidates > 0)
        .collect();
    if runs.is_empty() {
        return None;
    }
    let mut md = String::from(
        "| run | sentences wanted | pairs found | candidates | accepted | words in mixed windows | Latin letters | other scripts | distinct words |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut csv = String::from(
        "run,generations,wanted,pairs,candidates,accepted,words,latin,other_script,distinct\n",
    );
    for (name, g) in &runs {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} ({}) |",
            g.wanted,
            g.pairs,
            g.candidates,
            g.accepted,
            g.words,
            g.share(g.latin),
            g.share(g.other_script),
            g.distinct,
            g.share(g.distinct)
        );
        let _ = writeln!(
            csv,
            "{name},{},{},{},{},{},{},{},{},{}",
            g.generations,
            g.wanted,
            g.pairs,
            g.candidates,
            g.accepted,
            g.words,
            g.latin,
            g.other_script,
            g.distinct
        );
    }
    let mut examples = String::from(
        "| run | parent window A | parent window B | generated window |\n|---|---|---|---|\n",
    );
    for (name, g) in &runs {
        for [a, b, w] in &g.examples {
            // A table cell cannot hold a bar.
            let cell = |s: &str| s.replace('|', "¦");
            let _ = writeln!(
                examples,
                "| {name} | {} | {} | {} |",
                cell(a),
                cell(b),
                cell(w)
            );
        }
    }
    Some((md, examples, csv))
}

/// A sentence naming the runs whose augmenter ran but found no pair in any generation
/// (their training sets, hence their curves, are those of the same policy without mixup), or
/// `None` when every run found pairs.
pub fn no_pairs_note(runs: &[(String, GeneratedWords)]) -> Option<String> {
    let idle: Vec<&str> = runs
        .iter()
        .filter(|(_, g)| g.generations > 0 && g.pairs == 0)
        .map(|(n, _)| n.as_str())
        .collect();
    (!idle.is_empty()).then(|| {
        format!(
            "No candidate pair in any round: {}. The pairing function found no two labeled \
             sentences (windows) that meet the variant's conditions (whole-sequence mixup: the \
             same length and a valid-label density of at least eta0 over the whole sentence), \
             so nothing was added and the curve is that of the same policy without mixup.",
            idle.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_a_run_folder_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let seed = dir.path().join("seed-1");
        std::fs::create_dir_all(&seed).unwrap();
        let record = |tokens: &[&str], accepted: bool| {
            serde_json::json!({
                "variant": "sub", "parents": [["South", "Africa", "won"], ["Max", "told", "Reuters"]],
                "parent_tags": [["B-LOC", "I-LOC", "O"], ["B-PER", "O", "B-ORG"]],
                "windows": [0, 1], "len": 2, "lambda": 0.6, "frame": 0, "tokens": tokens,
                "soft_labels": [], "tags": [], "repaired": 0, "perplexity": 10.0,
                "accepted": accepted, "rejected": null
            })
            .to_string()
        };
        let lines = [
            r#"{"stats":{"target":2,"pairs_available":5}}"#.to_string(),
            record(&["Kenyan", "西", "won"], true),
            record(&["1626", "1626", "won"], true),
            record(&["x", "y", "won"], false),
        ];
        std::fs::write(seed.join("augment-000.jsonl"), lines.join("\n")).unwrap();
        let g = GeneratedWords::of_run(dir.path()).unwrap();
        assert_eq!((g.candidates, g.accepted, g.words), (3, 2, 4));
        assert_eq!((g.generations, g.wanted, g.pairs), (1, 2, 5));
        assert_eq!((g.latin, g.other_script, g.distinct), (1, 1, 3));
        assert_eq!(g.examples[0][0], "South Africa");
        assert_eq!(g.examples[0][1], "told Reuters");
        assert_eq!(g.examples[0][2], "Kenyan 西");
        let (md, examples, csv) = generated_tables(&[("r".into(), g.clone())]).unwrap();
        assert!(
            md.contains("| r | 2 | 5 | 3 | 2 | 4 | 25.0 % | 25.0 % | 3 (75.0 %) |"),
            "{md}"
        );
        assert!(
            examples.contains("| r | South Africa | told Reuters | Kenyan 西 |"),
            "{examples}"
        );
        assert_eq!(csv.lines().nth(1), Some("r,1,2,5,3,2,4,1,1,3"));
        assert!(no_pairs_note(&[("r".into(), g.clone())]).is_none());
        // A run whose augmenter found no pair is listed, with "–" for its shares.
        let idle_dir = dir.path().join("idle");
        std::fs::create_dir_all(idle_dir.join("seed-1")).unwrap();
        std::fs::write(
            idle_dir.join("seed-1/augment-000.jsonl"),
            r#"{"stats":{"target":12,"pairs_available":0}}"#,
        )
        .unwrap();
        let idle = GeneratedWords::of_run(&idle_dir).unwrap();
        assert_eq!((idle.generations, idle.wanted, idle.candidates), (1, 12, 0));
        let both = [("r".to_string(), g), ("idle".to_string(), idle)];
        let (md, _, _) = generated_tables(&both).unwrap();
        assert!(
            md.contains("| idle | 12 | 0 | 0 | 0 | 0 | – | – | 0 (–) |"),
            "{md}"
        );
        let note = no_pairs_note(&both).unwrap();
        assert!(
            note.starts_with("No candidate pair in any round: idle."),
            "{note}"
        );
        // A broken line is named with its file and line number.
        std::fs::write(seed.join("augment-001.jsonl"), "{not json").unwrap();
        let e = GeneratedWords::of_run(dir.path()).unwrap_err().to_string();
        assert!(e.contains("augment-001.jsonl line 1"), "{e}");
        assert!(generated_tables(&[("r".into(), GeneratedWords::default())]).is_none());
    }
}
