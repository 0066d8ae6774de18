//! Per-split statistics: documents, sentences, tokens, entities per type.
//!
//! ```
//! use seqlab::data::{conll, stats::CorpusStats, ConllFormat};
//!
//! let d = conll::parse_str("A B-PER\nb I-PER\n\nC B-LOC\n", "t", &ConllFormat::default()).unwrap();
//! let s = CorpusStats::of_datasets("toy", [("all", &d)]);
//! assert_eq!(s.splits[0].entities, 2);
//! assert_eq!(s.splits[0].per_type["PER"], 1);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::data::scheme::TagScheme;
use crate::data::{Corpus, Dataset, Split};

/// Counts for one split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitStats {
    /// Split name.
    pub split: String,
    /// Distinct documents.
    pub documents: usize,
    /// Sentences.
    pub sentences: usize,
    /// Tokens.
    pub tokens: usize,
    /// Entities of all types.
    pub entities: usize,
    /// Entities per type.
    pub per_type: BTreeMap<String, usize>,
    /// Longest sentence in tokens.
    pub max_len: usize,
    /// Tags changed by the repair policy while reading.
    pub repaired_tags: usize,
}

impl SplitStats {
    /// Counts of one dataset.
    pub fn of(split: &str, d: &Dataset) -> Self {
        let per_type = d.entity_counts();
        SplitStats {
            split: split.to_string(),
            documents: d.num_documents(),
            sentences: d.len(),
            tokens: d.num_tokens(),
            entities: per_type.values().sum(),
            per_type,
            max_len: d.sentences.iter().map(|s| s.len()).max().unwrap_or(0),
            repaired_tags: d.repaired_tags,
        }
    }
}

/// Counts for all splits of a corpus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CorpusStats {
    /// Corpus name.
    pub corpus: String,
    /// Tag scheme of the training split.
    pub scheme: Option<TagScheme>,
    /// Entity types over all splits.
    pub types: Vec<String>,
    /// One row per split.
    pub splits: Vec<SplitStats>,
}

impl CorpusStats {
    /// Statistics of a corpus's train, dev and test splits.
    pub fn of(corpus: &Corpus) -> Self {
        let named: Vec<(String, &Dataset)> = Split::ALL
            .iter()
            .map(|&s| (s.to_string(), corpus.split(s)))
            .collect();
        Self::of_datasets(&corpus.name, named.iter().map(|(n, d)| (n.as_str(), *d)))
    }

    /// Statistics of named datasets.
    pub fn of_datasets<'a>(
        corpus: &str,
        datasets: impl IntoIterator<Item = (&'a str, &'a Dataset)>,
    ) -> Self {
        let mut scheme = None;
        let splits: Vec<SplitStats> = datasets
            .into_iter()
            .map(|(name, d)| {
                scheme = scheme.or(d.scheme);
                SplitStats::of(name, d)
            })
            .collect();
        let types: BTreeSet<String> = splits
            .iter()
            .flat_map(|s| s.per_type.keys().cloned())
            .collect();
        CorpusStats {
            corpus: corpus.to_string(),
            scheme,
            types: types.into_iter().collect(),
            splits,
        }
    }

    fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = ["split", "docs", "sentences", "tokens", "entities"]
            .map(String::from)
            .to_vec();
        h.extend(self.types.iter().cloned());
        h.push("max len".into());
        h
    }

    fn rows(&self, sep: bool) -> Vec<Vec<String>> {
        let n = |x: usize| if sep { thousands(x) } else { x.to_string() };
        self.splits
            .iter()
            .map(|s| {
                let mut r = vec![
                    s.split.clone(),
                    n(s.documents),
                    n(s.sentences),
                    n(s.tokens),
                    n(s.entities),
                ];
                r.extend(
                    self.types
                        .iter()
                        .map(|t| n(s.per_type.get(t).copied().unwrap_or(0))),
                );
                r.push(n(s.max_len));
                r
            })
            .collect()
    }

    /// An aligned text table.
    pub fn to_text(&self) -> String {
        let header = self.header();
        let rows = self.rows(true);
        let widths: Vec<usize> = (0..header.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].len())
                    .chain([header[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let scheme = self.scheme.map_or("no entities".into(), |s| s.to_string());
        let _ = writeln!(out, "{} ({scheme})", self.corpus);
        for row in std::iter::once(&header).chain(&rows) {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, x)| {
                    if c == 0 {
                        format!("{x:<w$}", w = widths[c])
                    } else {
                        format!("{x:>w$}", w = widths[c])
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
        out
    }

    /// A Markdown table.
    pub fn to_markdown(&self) -> String {
        let header = self.header();
        let mut out = format!("| {} |\n|", header.join(" | "));
        for c in 0..header.len() {
            out.push_str(if c == 0 { "---|" } else { "---:|" });
        }
        out.push('\n');
        for r in self.rows(true) {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        out
    }

    /// Header of [`CorpusStats::csv_rows`].
    pub const CSV_HEADER: &'static str =
        "corpus,split,documents,sentences,tokens,max_len,type,entities";

    /// Tidy CSV rows (no header): one per split and entity type, plus type `ALL` for the total.
    pub fn csv_rows(&self) -> String {
        let mut out = String::new();
        for s in &self.splits {
            let base = format!(
                "{},{},{},{},{},{}",
                self.corpus, s.split, s.documents, s.sentences, s.tokens, s.max_len
            );
            for t in &self.types {
                let n = s.per_type.get(t).copied().unwrap_or(0);
                let _ = writeln!(out, "{base},{t},{n}");
            }
            let _ = writeln!(out, "{base},ALL,{}", s.entities);
        }
        out
    }
}

/// `14041` → `"14,041"`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(14041), "14,041");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
