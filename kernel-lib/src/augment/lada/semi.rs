//! Semi-LADA (§3.4, Eq. 5): a consistency loss on unlabeled sentences. For an unlabeled
//! sentence `x_u` and its paraphrase `x'_u`, the model's soft tag counts (the sum over words of
//! the predicted probability of each non-`O` label, as in the authors' code) should agree:
//! `L_u = ‖ŷ_num − ŷ'_num‖²`, pulled toward the temperature-sharpened counts of `x_u` (computed
//! without gradient). The total loss is `L_sup + γ·r(t)·L_u`, with `r` a linear ramp-up over the
//! first part of training.
//!
//! The paper paraphrases by back-translation, which needs translation models this machine
//! cannot get. A [`Paraphraser`] supplies paraphrases: [`ParaphraseSource::File`] reads them
//! (so back-translations made elsewhere give the paper's setting), and
//! two offline generators replace words that are not likely entities (capitalised words are
//! kept): [`ParaphraseSource::Neighbours`] with probability `rate` by the nearest other
//! whole-word token in the input-embedding table of LADA's sentence embedder (`lada.embedder`,
//! MiniLM unless set; any language its vocabulary covers), and [`ParaphraseSource::WordNet`] with probability `rate` by a WordNet synonym of
//! the word's most frequent sense (English; function words kept; with `pos_column`, in the
//! part of speech of the corpus's POS tag).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::augment::seqmix::table::{Exclusion, TokenTable, WordVector};
use crate::data::wordnet::WordNet;
use crate::error::{Error, Location, Result};
use crate::rng::SeqRng;

/// Where paraphrases come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ParaphraseSource {
    /// Replace each lowercase word with probability `rate` by its nearest embedding neighbour.
    Neighbours {
        /// Probability of replacing an eligible word.
        rate: f64,
    },
    /// Replace each lowercase English word that is a WordNet lemma (function words excepted)
    /// with probability `rate` by a synonym ([`WordNetParaphraser`]).
    #[serde(rename = "wordnet")]
    WordNet {
        /// Probability of replacing a word that has a synonym.
        rate: f64,
        /// The WordNet 3.0 folder (default: `wordnet/` in the data cache).
        #[serde(default)]
        dir: Option<PathBuf>,
        /// The corpus column holding Penn Treebank part-of-speech tags, counted among the
        /// columns between the word and the tag (CoNLL-2003: 0). With it, only words tagged
        /// `NN`, `VB`, `VBP`, `JJ` or `RB` are replaced, by a synonym of that part of speech
        /// ([`WordNet::synonyms_as`]); without it (the default), by a synonym of the part of
        /// speech with the most tagged senses ([`WordNet::synonyms`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pos_column: Option<usize>,
    },
    /// A file of `id<TAB>paraphrase` lines (`id`: the sentence's index in the training split).
    File {
        /// The file.
        path: PathBuf,
    },
}

impl ParaphraseSource {
    /// Checks the neighbour rate is a probability; `field` names it in the error.
    ///
    /// # Errors
    /// [`Error::Config`].
    pub fn check(&self, field: &str) -> Result<()> {
        match self {
            ParaphraseSource::Neighbours { rate } | ParaphraseSource::WordNet { rate, .. }
                if !(0.0..=1.0).contains(rate) =>
            {
                Err(Error::config(field, format!("{rate} is outside 0..=1")))
            }
            _ => Ok(()),
        }
    }
}

impl Default for ParaphraseSource {
    fn default() -> Self {
        ParaphraseSource::Neighbours { rate: 0.3 }
    }
}

fn d_unlabeled() -> usize {
    10_000
}
fn d_t() -> f64 {
    0.6
}
fn d_weight() -> f64 {
    1.0
}
fn d_ramp() -> f64 {
    0.5
}
fn d_batch() -> usize {
    32
}

/// Which counts the consistency loss trains (`lada.semi.consistency`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsistencyTerms {
    /// The paper (§3.4, under Eq. 5): `L_u = ‖ŷ_u,num − ŷ'_u,num‖²` with the sharpened
    /// counts of the original `ŷ_u,num` held fixed, back-propagating "only through
    /// ŷ'_u,num": the paraphrase's counts are pulled toward the original's. The default.
    #[default]
    Paraphrase,
    /// Faithful to the authors' code (`train.py`, `mse_loss(cat[c(x_u), c(x'_u)],
    /// cat[t, t])`): the unsharpened counts of the original sentence, with gradient, are
    /// pulled toward the same fixed target as the paraphrase's, `½·(‖c(x_u) − t‖² + ‖c(x'_u) −
    /// t‖²)`. The first term, absent from the paper, sharpens the model's own predictions
    /// (entropy minimisation). Run folders written before this setting existed trained this
    /// way, and read back as it.
    Both,
}

impl ConsistencyTerms {
    /// Whether this is [`ConsistencyTerms::Both`] (left out of serialized configs, so that configs
    /// and checkpoints written before the setting existed keep their identity).
    pub fn is_both(&self) -> bool {
        *self == ConsistencyTerms::Both
    }
}

/// Semi-LADA's settings. Defaults: 10,000 unlabeled sentences (§4.1), `T = 0.6` (the code),
/// `γ = 1` (§4.2; the code used 0.05) reached linearly over the first half of training, 32
/// unlabeled sentences per step (the code), the consistency loss of the paper (Eq. 5, through
/// the paraphrase only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SemiConfig {
    /// Unlabeled sentences: the last ones of the training split that are not labeled.
    #[serde(default = "d_unlabeled")]
    pub unlabeled: usize,
    /// The paraphrases.
    #[serde(default)]
    pub paraphrases: ParaphraseSource,
    /// Sharpening temperature `T` of the target counts.
    #[serde(default = "d_t")]
    pub temperature: f64,
    /// `γ`.
    #[serde(default = "d_weight")]
    pub weight: f64,
    /// Fraction of training over which the weight ramps up from 0 to `γ`.
    #[serde(default = "d_ramp")]
    pub ramp_up: f64,
    /// Unlabeled sentences per step.
    #[serde(default = "d_batch")]
    pub batch_size: usize,
    /// Which counts `L_u` trains: `paraphrase` (the paper, default) or `both` (the authors'
    /// code). In JSON (a run folder's `config.json`) an absent value reads as `both`: seqlab
    /// writes `paraphrase` out and leaves `both` out
    /// ([`ExperimentConfig::from_json_str`](crate::experiment::ExperimentConfig::from_json_str)).
    #[serde(default, skip_serializing_if = "ConsistencyTerms::is_both")]
    pub consistency: ConsistencyTerms,
}

impl Default for SemiConfig {
    fn default() -> Self {
        SemiConfig {
            unlabeled: d_unlabeled(),
            paraphrases: ParaphraseSource::default(),
            temperature: d_t(),
            weight: d_weight(),
            ramp_up: d_ramp(),
            batch_size: d_batch(),
            consistency: ConsistencyTerms::default(),
        }
    }
}

impl SemiConfig {
    /// Checks every value; the error names the field.
    ///
    /// # Errors
    /// [`Error::Config`].
    pub fn check(&self) -> Result<()> {
        let bad = |f: &str, m: String| Err(Error::config(format!("lada.semi.{f}"), m));
        if !(1..=10_000_000).contains(&self.unlabeled) {
            return bad(
                "unlabeled",
                format!("{} is outside 1..=10000000", self.unlabeled),
            );
        }
        if !(self.temperature > 0.0 && self.temperature <= 10.0) {
            return bad(
                "temperature",
                format!("{} is outside (0, 10]", self.temperature),
            );
        }
        if !(0.0..=1000.0).contains(&self.weight) {
            return bad("weight", format!("{} is outside 0..=1000", self.weight));
        }
        if !(0.0..=1.0).contains(&self.ramp_up) {
            return bad("ramp_up", format!("{} is outside 0..=1", self.ramp_up));
        }
        if !(1..=4096).contains(&self.batch_size) {
            return bad(
                "batch_size",
                format!("{} is outside 1..=4096", self.batch_size),
            );
        }
        self.paraphrases.check("lada.semi.paraphrases.rate")
    }

    /// The weight of `L_u` at `progress` (fraction of training done).
    pub fn weight_at(&self, progress: f64) -> f64 {
        if self.ramp_up <= 0.0 {
            self.weight
        } else {
            self.weight * (progress / self.ramp_up).clamp(0.0, 1.0)
        }
    }
}

/// Makes paraphrases of sentences.
pub trait Paraphraser {
    /// A short name for reports.
    fn name(&self) -> String;

    /// One paraphrase per sentence; `ids` are the sentences' indices in the training split,
    /// `columns` their corpus columns between word and tag, per word ([`crate::data::Sentence::extra`]:
    /// POS, chunk, ...), or empty where the caller has none.
    ///
    /// # Errors
    /// A missing paraphrase or column, or a model failure.
    fn paraphrase(
        &mut self,
        ids: &[usize],
        sentences: &[Vec<String>],
        columns: &[Vec<Vec<String>>],
        rng: &mut SeqRng,
    ) -> Result<Vec<Vec<String>>>;
}

/// Paraphrases read from a file of `id<TAB>text` lines.
#[derive(Debug, Clone)]
pub struct FileParaphrases {
    path: PathBuf,
    map: HashMap<usize, Vec<String>>,
}

impl FileParaphrases {
    /// Reads the file.
    ///
    /// # Errors
    /// An unreadable file, or a line that is not `id<TAB>text` (naming the line).
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed = line
                .split_once('\t')
                .and_then(|(id, t)| id.trim().parse::<usize>().ok().map(|id| (id, t)));
            let Some((id, t)) = parsed else {
                return Err(Error::input(
                    Location::in_path(path, n + 1),
                    "paraphrase",
                    "expected `id<TAB>paraphrase`",
                    "id is the sentence's index in the training split, counting from 0",
                ));
            };
            map.insert(id, t.split_whitespace().map(String::from).collect());
        }
        Ok(FileParaphrases {
            path: path.to_path_buf(),
            map,
        })
    }
}

impl Paraphraser for FileParaphrases {
    fn name(&self) -> String {
        format!("file {}", self.path.display())
    }

    fn paraphrase(
        &mut self,
        ids: &[usize],
        _sentences: &[Vec<String>],
        _columns: &[Vec<Vec<String>>],
        _rng: &mut SeqRng,
    ) -> Result<Vec<Vec<String>>> {
        ids.iter()
            .map(|id| {
                self.map.get(id).cloned().ok_or_else(|| {
                    Error::input(
                        Location::in_path(&self.path, 0),
                        "paraphrase",
                        format!("no paraphrase for sentence {id}"),
                        "add a line `ID<TAB>paraphrase` for every unlabeled sentence",
                    )
                })
            })
            .collect()
    }
}

/// Replaces lowercase words by their nearest embedding neighbours.
pub struct NeighbourParaphraser {
    table: TokenTable,
    rate: f64,
}

impl std::fmt::Debug for NeighbourParaphraser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NeighbourParaphraser")
            .field("rate", &self.rate)
            .finish()
    }
}

impl NeighbourParaphraser {
    /// Over the input embeddings of the BERT folder `dir`.
    ///
    /// # Errors
    /// Missing or malformed model files.
    pub fn load(dir: &Path, rate: f64, device: &candle_core::Device) -> Result<Self> {
        Ok(NeighbourParaphraser {
            table: TokenTable::from_encoder_dir(
                dir,
                device,
                Exclusion::Paper,
                WordVector::Mean,
                None,
            )?,
            rate,
        })
    }
}

fn eligible(word: &str) -> bool {
    word.chars().count() >= 3 && word.chars().all(|c| c.is_alphabetic() && c.is_lowercase())
}

impl Paraphraser for NeighbourParaphraser {
    fn name(&self) -> String {
        format!("embedding neighbours (rate {})", self.rate)
    }

    fn paraphrase(
        &mut self,
        _ids: &[usize],
        sentences: &[Vec<String>],
        _columns: &[Vec<Vec<String>>],
        rng: &mut SeqRng,
    ) -> Result<Vec<Vec<String>>> {
        let mut picks: Vec<(usize, usize)> = Vec::new();
        for (s, words) in sentences.iter().enumerate() {
            for (w, word) in words.iter().enumerate() {
                if eligible(word) && rng.random::<f64>() < self.rate {
                    picks.push((s, w));
                }
            }
        }
        let words: Vec<&str> = picks
            .iter()
            .map(|&(s, w)| sentences[s][w].as_str())
            .collect();
        let vectors = self.table.word_vectors(&words)?;
        let parents: Vec<Vec<&str>> = words.iter().map(|w| vec![*w]).collect();
        let nearest = self.table.nearest(&vectors, &parents)?;
        let mut out = sentences.to_vec();
        for ((s, w), id) in picks.into_iter().zip(nearest) {
            if let Some(id) = id {
                out[s][w] = self.table.token(id).to_string();
            }
        }
        Ok(out)
    }
}

/// English function words and number words the WordNet paraphraser keeps (WordNet lists
/// some of them as nouns or verbs: "can", "will", "who"; "one" and "three" have senses such
/// as "ace" and "threesome").
const FUNCTION_WORDS: &[&str] = &[
    "about", "above", "after", "again", "against", "all", "also", "and", "any", "are", "because",
    "been", "before", "being", "below", "between", "both", "but", "can", "could", "did", "does",
    "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have",
    "having", "her", "here", "hers", "herself", "him", "himself", "his", "how", "into", "its",
    "itself", "just", "may", "might", "more", "most", "must", "nor", "not", "now", "off", "once",
    "only", "other", "our", "ours", "out", "over", "own", "same", "shall", "she", "should", "some",
    "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "through", "too", "under", "until", "very", "was", "were", "what", "when", "where",
    "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "one",
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "billion", "first",
    "second", "third", "half",
];

/// Replaces words by WordNet synonyms: each lowercase word of three or more letters that is
/// not a function word and has a single-word synonym is replaced with probability `rate` by
/// one of its synonyms, drawn uniformly. Synonyms come from the part of speech with the most
/// tagged senses ([`WordNet::synonyms`]), or, with a part-of-speech column
/// ([`WordNetParaphraser::with_pos_column`]), from the part of speech of the word's tag
/// ([`WordNet::synonyms_as`]), so that "near" as a preposition (`IN`) stays and "market" as
/// a verb gets a verb.
#[derive(Debug, Clone)]
pub struct WordNetParaphraser {
    wordnet: WordNet,
    rate: f64,
    pos_column: Option<usize>,
}

impl WordNetParaphraser {
    /// Over the database in `dir` ([`WordNet::load`]).
    ///
    /// # Errors
    /// A missing or malformed database.
    pub fn load(dir: &Path, rate: f64) -> Result<Self> {
        Ok(Self::new(WordNet::load(dir)?, rate))
    }

    /// Over `wordnet`.
    pub fn new(wordnet: WordNet, rate: f64) -> Self {
        WordNetParaphraser {
            wordnet,
            rate,
            pos_column: None,
        }
    }

    /// Reads each word's Penn Treebank tag from corpus column `column` (see
    /// [`ParaphraseSource::WordNet`]'s `pos_column`).
    pub fn with_pos_column(mut self, column: usize) -> Self {
        self.pos_column = Some(column);
        self
    }

    /// The synonyms of word `w` of sentence `s`, by its tag when a column is set.
    fn synonyms(
        &self,
        (id, s, w): (usize, usize, usize),
        word: &str,
        columns: &[Vec<Vec<String>>],
    ) -> Result<Vec<String>> {
        let Some(k) = self.pos_column else {
            return Ok(self.wordnet.synonyms(word));
        };
        let tag = columns
            .get(s)
            .and_then(|c| c.get(w))
            .and_then(|c| c.get(k))
            .ok_or_else(|| {
                Error::config(
                    "lada.semi.paraphrases.pos_column",
                    format!(
                        "sentence {id} has no column {k} at word {} (\"{word}\"): the corpus \
                         gives no part-of-speech tag there; drop `pos_column`, or use a corpus \
                         with a POS column (CoNLL-2003: `pos_column = 0`)",
                        w + 1
                    ),
                )
            })?;
        Ok(crate::data::wordnet::penn_part(tag)
            .map_or_else(Vec::new, |pos| self.wordnet.synonyms_as(word, pos)))
    }
}

impl Paraphraser for WordNetParaphraser {
    fn name(&self) -> String {
        match self.pos_column {
            Some(k) => format!(
                "WordNet synonyms (rate {}, part of speech from column {k})",
                self.rate
            ),
            None => format!("WordNet synonyms (rate {})", self.rate),
        }
    }

    fn paraphrase(
        &mut self,
        ids: &[usize],
        sentences: &[Vec<String>],
        columns: &[Vec<Vec<String>>],
        rng: &mut SeqRng,
    ) -> Result<Vec<Vec<String>>> {
        let mut out = sentences.to_vec();
        for (s, words) in out.iter_mut().enumerate() {
            let id = ids.get(s).copied().unwrap_or(s);
            for (w, word) in words.iter_mut().enumerate() {
                if !eligible(word) || FUNCTION_WORDS.contains(&word.as_str()) {
                    continue;
                }
                let synonyms = self.synonyms((id, s, w), word, columns)?;
                if !synonyms.is_empty() && rng.random::<f64>() < self.rate {
                    *word = synonyms[rng.random_range(0..synonyms.len())].clone();
                }
            }
        }
        Ok(out)
    }
}

/// The paraphraser a config asks for (`encoder_dir`: the model folder whose input embeddings
/// [`ParaphraseSource::Neighbours`] searches; LADA passes its sentence embedder's, `lada.embedder`).
///
/// # Errors
/// A missing file or model.
pub fn paraphraser(
    source: &ParaphraseSource,
    encoder_dir: &Path,
    device: &candle_core::Device,
) -> Result<Box<dyn Paraphraser>> {
    Ok(match source {
        ParaphraseSource::Neighbours { rate } => {
            Box::new(NeighbourParaphraser::load(encoder_dir, *rate, device)?)
        }
        ParaphraseSource::WordNet {
            rate,
            dir,
            pos_column,
        } => {
            let dir = dir
                .clone()
                .unwrap_or_else(|| crate::data::corpora::data_dir().join("wordnet"));
            let p = WordNetParaphraser::load(&dir, *rate)?;
            Box::new(match pos_column {
                Some(k) => p.with_pos_column(*k),
                None => p,
            })
        }
        ParaphraseSource::File { path } => Box::new(FileParaphrases::read(path)?),
    })
}

/// One sentence's corpus columns between word and tag: per word, its column values.
pub type SentenceColumns = Vec<Vec<String>>;

/// Splits lines of `WORD/TAG` tokens (the tag after the last `/`) into the words and a
/// one-column table of tags per word, the input of a paraphraser with `pos_column = 0`.
/// `source` names the input in errors.
///
/// # Errors
/// A token without `/`, or with an empty word or tag, named by line and token.
pub fn split_tagged(
    lines: &[String],
    source: &str,
) -> Result<(Vec<Vec<String>>, Vec<SentenceColumns>)> {
    let mut words = Vec::with_capacity(lines.len());
    let mut columns = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        let (mut w, mut c) = (Vec::new(), Vec::new());
        for (k, token) in line.split_whitespace().enumerate() {
            match token.rsplit_once('/') {
                Some((word, tag)) if !word.is_empty() && !tag.is_empty() => {
                    w.push(word.to_string());
                    c.push(vec![tag.to_string()]);
                }
                _ => {
                    return Err(Error::input(
                        Location::new(source, n + 1)
                            .with_detail(format!("token {} {token:?}", k + 1)),
                        "tag",
                        "expected WORD/TAG",
                        "write every token as its word, a slash and its Penn Treebank tag \
                         (e.g. market/NN), or leave out --tagged",
                    ));
                }
            }
        }
        words.push(w);
        columns.push(c);
    }
    Ok((words, columns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_lines_split_at_the_last_slash_and_name_bad_tokens() {
        let lines = vec!["in/IN near/IN Grozny/NNP".to_string(), "1/2/CD".to_string()];
        let (w, c) = split_tagged(&lines, "<stdin>").unwrap();
        assert_eq!(w, vec![vec!["in", "near", "Grozny"], vec!["1/2"]]);
        assert_eq!(c[0][2], vec!["NNP"]);
        assert_eq!(c[1][0], vec!["CD"]);
        let bad = vec!["ok/JJ".to_string(), "fine/JJ market".to_string()];
        let e = split_tagged(&bad, "<stdin>").unwrap_err().to_string();
        assert!(e.starts_with("<stdin>:2 (token 2 \"market\"): tag:"), "{e}");
        assert!(split_tagged(&["/NN".to_string()], "x").is_err());
        assert!(split_tagged(&["word/".to_string()], "x").is_err());
    }

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn wordnet_paraphrases_replace_only_lemmas_with_synonyms() {
        let wn = WordNet::from_synsets(&[
            (0, 1, &["market", "marketplace", "mart"]),
            (0, 2, &["police", "constabulary"]),
            (1, 3, &["will", "bequeath"]),
            (0, 4, &["london", "capital_of_the_uk"]),
        ]);
        let sentences = vec![words("the Market police will see london markets")];
        let mut all = WordNetParaphraser::new(wn.clone(), 1.0);
        let out = all
            .paraphrase(&[0], &sentences, &[], &mut crate::rng::seeded(1))
            .unwrap();
        let out = &out[0];
        // Capitalised words, function words ("will"), inflected forms and words without a
        // single-word synonym stay.
        assert_eq!(out[..2], ["the", "Market"]);
        assert_eq!(out[2], "constabulary");
        assert_eq!(out[3..], ["will", "see", "london", "markets"]);
        let none = WordNetParaphraser::new(wn.clone(), 0.0)
            .paraphrase(&[0], &sentences, &[], &mut crate::rng::seeded(1))
            .unwrap();
        assert_eq!(none, sentences);
        let many = vec![words(
            "market market market market market market market market",
        )];
        let a = WordNetParaphraser::new(wn.clone(), 0.5)
            .paraphrase(&[0], &many, &[], &mut crate::rng::seeded(7))
            .unwrap();
        let b = WordNetParaphraser::new(wn, 0.5)
            .paraphrase(&[0], &many, &[], &mut crate::rng::seeded(7))
            .unwrap();
        assert_eq!(a, b);
        assert!(
            a[0].iter()
                .all(|w| ["market", "marketplace", "mart"].contains(&w.as_str()))
        );
    }

    #[test]
    fn the_wordnet_source_reads_from_toml_and_checks_its_rate() {
        let s: ParaphraseSource = toml::from_str("kind = \"wordnet\"\nrate = 0.3").unwrap();
        assert_eq!(
            s,
            ParaphraseSource::WordNet {
                rate: 0.3,
                dir: None,
                pos_column: None
            }
        );
        let s: ParaphraseSource =
            toml::from_str("kind = \"wordnet\"\nrate = 0.3\npos_column = 0").unwrap();
        assert!(matches!(
            s,
            ParaphraseSource::WordNet {
                pos_column: Some(0),
                ..
            }
        ));
        assert!(
            toml::from_str::<ParaphraseSource>("kind = \"wordnet\"\nrate = 0.3\npos = 0").is_err()
        );
        let bad = ParaphraseSource::WordNet {
            rate: 1.5,
            dir: None,
            pos_column: None,
        };
        assert!(bad.check("rate").unwrap_err().to_string().contains("1.5"));
    }

    #[test]
    fn wordnet_paraphrases_follow_the_corpus_pos_column() {
        let wn = WordNet::from_synsets(&[
            (0, 1, &["market", "marketplace"]),
            (0, 2, &["market", "mart"]),
            (1, 3, &["market", "commercialize"]),
            (2, 4, &["near", "close"]),
            (3, 5, &["near", "nearly"]),
        ]);
        let sentences = vec![words("they market goods near the market")];
        // CoNLL-2003's columns: POS, then chunk.
        let columns = vec![
            ["PRP", "VBP", "NNS", "IN", "DT", "NN"]
                .iter()
                .map(|t| vec![t.to_string(), "I-NP".to_string()])
                .collect::<Vec<_>>(),
        ];
        let mut p = WordNetParaphraser::new(wn.clone(), 1.0).with_pos_column(0);
        assert!(p.name().contains("column 0"));
        let out = p
            .paraphrase(&[5], &sentences, &columns, &mut crate::rng::seeded(1))
            .unwrap();
        assert_eq!(
            out[0],
            [
                "they",
                "commercialize",
                "goods",
                "near",
                "the",
                "marketplace"
            ]
        );
        // Without the column, "near" becomes an adjective's synonym.
        let plain = WordNetParaphraser::new(wn.clone(), 1.0)
            .paraphrase(&[5], &sentences, &[], &mut crate::rng::seeded(1))
            .unwrap();
        assert_eq!(plain[0][3], "close");
        // A missing column is an error naming the field, the sentence and the word.
        let e = WordNetParaphraser::new(wn, 1.0)
            .with_pos_column(2)
            .paraphrase(&[5], &sentences, &columns, &mut crate::rng::seeded(1))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("pos_column") && e.contains("sentence 5") && e.contains("word 2"),
            "{e}"
        );
    }
}
