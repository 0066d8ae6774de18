//! `reports/datasets/`: per-split statistics of every corpus, with provenance.

use std::fmt::Write as _;
use std::path::Path;

use crate::data::stats::{CorpusStats, thousands};
use crate::data::{Corpus, Split};
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

/// Renders the Markdown report for `corpora`.
pub fn render(corpora: &[&Corpus], provenance: &Provenance) -> String {
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
        "Scale: full corpora. Model: none. Seeds: none (splits are fixed by the SHA-256 keys \
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
    let _ = writeln!(md, "## Provenance\n\n{}", provenance.to_markdown());
    md
}

/// Writes `index.md` and `stats.csv` into `out_dir`.
///
/// # Errors
/// When a file cannot be written.
pub fn write(out_dir: &Path, corpora: &[&Corpus], provenance: &Provenance) -> Result<()> {
    write_atomic(
        &out_dir.join("index.md"),
        render(corpora, provenance).as_bytes(),
    )?;
    let mut csv = format!("{}\n", CorpusStats::CSV_HEADER);
    for c in corpora {
        csv.push_str(&CorpusStats::of(c).csv_rows());
    }
    write_atomic(&out_dir.join("stats.csv"), csv.as_bytes())
}
