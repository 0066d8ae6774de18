//! `reports/datasets/`: per-split statistics of every corpus, with provenance.

use std::fmt::Write as _;
use std::path::Path;

use crate::data::stats::{CorpusStats, thousands};
use crate::data::{Corpus, Split};
use crate::encoding::tokenizer::WordTokenizer;
use crate::error::Result;
use crate::files::write_atomic;
use crate::report::Provenance;

/// Published sentence counts to show beside ours: (corpus, split, sentences, source).
const PUBLISHED: &[(&str, Split, usize, &str)] = &[
    (
        "conll2003",
        Split::Dev,
        3250,
        "SeqMix, App. A, Table 3 (# of Dev)",
    ),
    (
        "conll2003",
        Split::Test,
        3453,
        "SeqMix, App. A, Table 3 (# of Test)",
    ),
];

/// How an encoder's word-piece vocabulary splits the words of every corpus split.
#[derive(Debug, Clone, PartialEq)]
pub struct PieceStats {
    /// The encoder, e.g. `all-MiniLM-L6-v2`.
    pub encoder: String,
    /// `(corpus, split, words, word pieces, words that are only [UNK])`.
    pub rows: Vec<(String, Split, usize, usize, usize)>,
}

impl PieceStats {
    /// Counts the pieces of every word of `corpora` under `tokenizer`.
    ///
    /// # Errors
    /// A tokenizer failure.
    pub fn of(corpora: &[&Corpus], tokenizer: &WordTokenizer, encoder: &str) -> Result<Self> {
        let unk = tokenizer.special_ids()[3];
        let mut rows = Vec::new();
        for c in corpora {
            for split in Split::ALL {
                let (mut words, mut pieces, mut unknown) = (0, 0, 0);
                for s in &c.split(split).sentences {
                    for p in tokenizer.word_pieces(&s.tokens)? {
                        words += 1;
                        pieces += p.len();
                        unknown += usize::from(p == [unk]);
                    }
                }
                rows.push((c.name.clone(), split, words, pieces, unknown));
            }
        }
        Ok(PieceStats {
            encoder: encoder.to_string(),
            rows,
        })
    }

    /// The Markdown section.
    pub fn to_markdown(&self) -> String {
        let mut md = format!("## Word pieces per word ({})\n\n", self.encoder);
        md.push_str(
            "How the encoder's word-piece vocabulary splits each corpus: a word cut into many \
             pieces, or read as `[UNK]`, is a word the encoder saw little of in pretraining. The \
             taggers read each word at its first piece.\n\n\
             | corpus | split | words | word pieces | pieces per word | words read as [UNK] (%) |\n\
             |---|---|---:|---:|---:|---:|\n",
        );
        for (c, split, w, p, u) in &self.rows {
            let _ = writeln!(
                md,
                "| {c} | {split} | {} | {} | {:.2} | {:.2} |",
                thousands(*w),
                thousands(*p),
                *p as f64 / (*w).max(1) as f64,
                100.0 * *u as f64 / (*w).max(1) as f64
            );
        }
        md.push('\n');
        md
    }
}

/// Renders the Markdown report for `corpora` (with the word-piece section when `pieces` is
/// given).
pub fn render(corpora: &[&Corpus], pieces: Option<&PieceStats>, provenance: &Provenance) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Datasets\n");
    let _ = writeln!(
        md,
        "Sentences, tokens and entities per split of every corpus seqlab reads, as loaded by \
         `seqlab data stats NAME`. Entities are counted as spans of the tags (an `I-X` after `O` \
         would start one, as conlleval reads it).\n"
    );
    let _ = writeln!(
        md,
        "Scale: full corpora. Model: none for the counts (the word-piece section names its encoder). \
         Seeds: none (splits are fixed by the SHA-256 keys \
         stated per corpus). Produced by `seqlab reproduce`.\n"
    );
    for c in corpora {
        let stats = CorpusStats::of(c);
        let scheme = stats.scheme.map_or("no entities".into(), |s| s.to_string());
        let _ = writeln!(md, "## {} ({scheme})\n", c.name);
        let _ = writeln!(md, "{}\n", c.info.description);
        let _ = writeln!(md, "- package: `{}`", c.info.package);
        let _ = writeln!(md, "- licence: {}", c.info.license);
        let _ = writeln!(md, "- splits: {}", c.info.split);
        let _ = writeln!(
            md,
            "- tags repaired while reading: {}",
            c.info.repaired_tags
        );
        for (file, sha) in &c.info.files {
            let _ = writeln!(md, "- `{file}` sha256 `{sha}`");
        }
        let _ = writeln!(md, "\n{}", stats.to_markdown());
        let published: Vec<_> = PUBLISHED.iter().filter(|p| p.0 == c.name).collect();
        if !published.is_empty() {
            let _ = writeln!(
                md,
                "| split | sentences (paper) | sentences (ours) | source |"
            );
            let _ = writeln!(md, "|---|---:|---:|---|");
            for (_, split, n, src) in published {
                let ours = c.split(*split).len();
                let _ = writeln!(
                    md,
                    "| {split} | {} | {} | {src} |",
                    thousands(*n),
                    thousands(ours)
                );
            }
            let _ = writeln!(md);
        }
    }
    if let Some(p) = pieces {
        md.push_str(&p.to_markdown());
    }
    let _ = writeln!(md, "## Provenance\n\n{}", provenance.to_markdown());
    md
}

/// Writes `index.md` and `stats.csv` into `out_dir`.
///
/// # Errors
/// When a file cannot be written.
pub fn write(
    out_dir: &Path,
    corpora: &[&Corpus],
    pieces: Option<&PieceStats>,
    provenance: &Provenance,
) -> Result<()> {
    write_atomic(
        &out_dir.join("index.md"),
        render(corpora, pieces, provenance).as_bytes(),
    )?;
    let mut csv = format!("{}\n", CorpusStats::CSV_HEADER);
    for c in corpora {
        csv.push_str(&CorpusStats::of(c).csv_rows());
    }
    write_atomic(&out_dir.join("stats.csv"), csv.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CorpusInfo, Dataset, Sentence};
    use crate::encoding::tokenizer::LongPolicy;

    #[test]
    fn word_pieces_are_counted_per_split_with_unknown_words() {
        let dir = tempfile::tempdir().unwrap();
        crate::model::tiny::write_tiny_bert(dir.path(), &["anna", "runs"], 1).unwrap();
        let tok =
            WordTokenizer::from_file(&dir.path().join("tokenizer.json"), 64, LongPolicy::Split)
                .unwrap();
        let data = |words: &[&str]| {
            Dataset::new(
                "x",
                vec![Sentence::new(words.to_vec(), vec!["O"; words.len()])],
            )
        };
        let corpus = Corpus {
            name: "toy".into(),
            // "anna" and "runs" are whole pieces; "xy" is cut into "x" "##y"; "ж" is [UNK].
            train: data(&["Anna", "runs", "xy"]),
            dev: data(&["ж"]),
            test: data(&[]),
            info: CorpusInfo::default(),
        };
        let p = PieceStats::of(&[&corpus], &tok, "tiny").unwrap();
        assert_eq!(
            p.rows,
            vec![
                ("toy".into(), Split::Train, 3, 4, 0),
                ("toy".into(), Split::Dev, 1, 1, 1),
                ("toy".into(), Split::Test, 0, 0, 0),
            ]
        );
        let md = p.to_markdown();
        assert!(md.starts_with("## Word pieces per word (tiny)"), "{md}");
        assert!(md.contains("| toy | train | 3 | 4 | 1.33 | 0.00 |"), "{md}");
        assert!(md.contains("| toy | dev | 1 | 1 | 1.00 | 100.00 |"), "{md}");
    }
}
