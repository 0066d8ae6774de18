//! Word-aligned word-piece encoding with a model's `tokenizer.json`.
//!
//! Sentences arrive as words (CoNLL tokens); each word becomes one or more pieces and every
//! piece remembers its word. The padding and truncation baked into a `tokenizer.json` (128
//! for all-MiniLM-L6-v2) are switched off: seqlab pads per batch and never cuts silently. A
//! sentence with more pieces than the model accepts is split at word boundaries into several
//! chunks (or truncated, if asked), and [`EncodeStats`] counts it.

use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};

/// What to do with a sentence longer than the model's limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LongPolicy {
    /// Split at word boundaries into chunks that fit (every word keeps a prediction).
    #[default]
    Split,
    /// Keep the first chunk; later words are not encoded (they are predicted `O`).
    Truncate,
}

/// One encoded chunk of a sentence: `[CLS] pieces… [SEP]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Piece ids, special tokens included.
    pub ids: Vec<u32>,
    /// For each piece, the index of its word in the whole sentence (`None` for specials).
    pub word_of: Vec<Option<usize>>,
    /// For each piece, whether it is the first piece of its word.
    pub first: Vec<bool>,
    /// The words of the sentence this chunk covers.
    pub words: Range<usize>,
}

impl Encoded {
    /// Number of pieces, special tokens included.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the chunk has no piece.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Positions of each word's first piece, in word order.
    pub fn first_positions(&self) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.first[i]).collect()
    }
}

/// Counts of the unusual cases met while encoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodeStats {
    /// Sentences encoded.
    pub sentences: usize,
    /// Sentences split into more than one chunk.
    pub split: usize,
    /// Words dropped by [`LongPolicy::Truncate`], or cut because one word alone exceeds the
    /// limit (it keeps its first pieces, so it still gets a prediction).
    pub truncated_words: usize,
    /// Words that produced no piece at all and were encoded as the unknown token.
    pub unknown_words: usize,
}

impl EncodeStats {
    /// Adds another set of counts.
    pub fn add(&mut self, o: EncodeStats) {
        self.sentences += o.sentences;
        self.split += o.split;
        self.truncated_words += o.truncated_words;
        self.unknown_words += o.unknown_words;
    }

    /// A warning line, or `None` when nothing unusual happened.
    pub fn warning(&self) -> Option<String> {
        if self.split + self.truncated_words + self.unknown_words == 0 {
            return None;
        }
        Some(format!(
            "encoding: {} of {} sentences were longer than the model's limit and split; {} words truncated; {} words had no piece and became the unknown token",
            self.split, self.sentences, self.truncated_words, self.unknown_words
        ))
    }
}

/// A BERT-style tokenizer (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`) used word by word.
#[derive(Clone)]
pub struct WordTokenizer {
    inner: tokenizers::Tokenizer,
    cls: u32,
    sep: u32,
    pad: u32,
    unk: u32,
    max_pieces: usize,
    long: LongPolicy,
}

impl std::fmt::Debug for WordTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordTokenizer")
            .field("vocab", &self.vocab_size())
            .field("max_pieces", &self.max_pieces)
            .field("long", &self.long)
            .finish()
    }
}

fn tok_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::input(
        Location::in_path(path, 0),
        "tokenizer",
        e.to_string(),
        "expected a Hugging Face tokenizer.json",
    )
}

impl WordTokenizer {
    /// Loads `tokenizer.json`; `max_pieces` is the model's limit including `[CLS]`/`[SEP]`.
    ///
    /// # Errors
    /// The file is not a tokenizer, lacks BERT's special tokens, or `max_pieces < 3`.
    pub fn from_file(path: &Path, max_pieces: usize, long: LongPolicy) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::Missing {
                what: "tokenizer".into(),
                path: path.to_path_buf(),
                hint: "a model folder needs tokenizer.json".into(),
            });
        }
        let mut inner = tokenizers::Tokenizer::from_file(path).map_err(|e| tok_err(path, e))?;
        inner.with_padding(None);
        inner.with_truncation(None).map_err(|e| tok_err(path, e))?;
        let id = |t: &str| {
            inner.token_to_id(t).ok_or_else(|| {
                tok_err(
                    path,
                    format!("no {t} token; a BERT-style word-piece tokenizer is needed"),
                )
            })
        };
        if max_pieces < 3 {
            return Err(Error::config("max_pieces", "must be at least 3"));
        }
        Ok(WordTokenizer {
            cls: id("[CLS]")?,
            sep: id("[SEP]")?,
            pad: id("[PAD]")?,
            unk: id("[UNK]")?,
            inner,
            max_pieces,
            long,
        })
    }

    /// Writes the tokenizer as `tokenizer.json` (padding and truncation off), atomically.
    ///
    /// # Errors
    /// Serialization or file errors.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = self
            .inner
            .to_string(false)
            .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        crate::files::write_atomic(path, json.as_bytes())
    }

    /// Whether the tokenizer lowercases (an uncased model): `Paris` and `paris` encode alike.
    pub fn lowercases(&self) -> bool {
        matches!(
            (self.word_pieces(&["Paris"]), self.word_pieces(&["paris"])),
            (Ok(a), Ok(b)) if a == b
        )
    }

    /// Vocabulary size, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The padding id.
    pub fn pad_id(&self) -> u32 {
        self.pad
    }

    /// Ids of `[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`.
    pub fn special_ids(&self) -> [u32; 4] {
        [self.cls, self.sep, self.pad, self.unk]
    }

    /// The longest chunk, special tokens included.
    pub fn max_pieces(&self) -> usize {
        self.max_pieces
    }

    /// The token string of an id.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// The id of a token string.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The pieces of each word, without special tokens.
    ///
    /// # Errors
    /// A tokenizer failure.
    pub fn word_pieces<S: AsRef<str>>(&self, words: &[S]) -> Result<Vec<Vec<u32>>> {
        let refs: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
        let enc = self
            .inner
            .encode(refs.as_slice(), false)
            .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        let mut pieces = vec![Vec::new(); words.len()];
        for (id, w) in enc.get_ids().iter().zip(enc.get_word_ids()) {
            if let Some(p) = w.and_then(|w| pieces.get_mut(w as usize)) {
                p.push(*id);
            }
        }
        Ok(pieces)
    }

    /// Encodes a sentence given as words into one or more chunks.
    ///
    /// # Errors
    /// A tokenizer failure.
    pub fn encode_words<S: AsRef<str>>(&self, words: &[S]) -> Result<(Vec<Encoded>, EncodeStats)> {
        let mut stats = EncodeStats {
            sentences: 1,
            ..EncodeStats::default()
        };
        let mut pieces = self.word_pieces(words)?;
        for p in &mut pieces {
            if p.is_empty() {
                p.push(self.unk);
                stats.unknown_words += 1;
            }
        }
        let budget = self.max_pieces - 2;
        let mut chunks = Vec::new();
        let mut start = 0;
        while start < words.len() {
            let mut end = start;
            let mut used = 0;
            while end < words.len() && used + pieces[end].len() <= budget {
                used += pieces[end].len();
                end += 1;
            }
            if end == start {
                // One word alone exceeds the limit: keep its first pieces.
                end = start + 1;
                stats.truncated_words += 1;
            }
            chunks.push(self.chunk(&pieces, start..end, budget));
            start = end;
            if self.long == LongPolicy::Truncate && start < words.len() {
                stats.truncated_words += words.len() - start;
                break;
            }
        }
        if chunks.len() > 1 {
            stats.split += 1;
        }
        if chunks.is_empty() {
            chunks.push(Encoded {
                ids: vec![self.cls, self.sep],
                word_of: vec![None, None],
                first: vec![false, false],
                words: 0..0,
            });
        }
        Ok((chunks, stats))
    }

    fn chunk(&self, pieces: &[Vec<u32>], words: Range<usize>, budget: usize) -> Encoded {
        let mut ids = vec![self.cls];
        let mut word_of = vec![None];
        let mut first = vec![false];
        for w in words.clone() {
            for (k, &id) in pieces[w].iter().enumerate() {
                if ids.len() > budget {
                    break;
                }
                ids.push(id);
                word_of.push(Some(w));
                first.push(k == 0);
            }
        }
        ids.push(self.sep);
        word_of.push(None);
        first.push(false);
        Encoded {
            ids,
            word_of,
            first,
            words,
        }
    }

    /// Encodes running text (as a sentence encoder does), truncated to the limit.
    ///
    /// # Errors
    /// A tokenizer failure.
    pub fn encode_text(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .inner
            .encode(text, true)
            .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        let mut ids = enc.get_ids().to_vec();
        if ids.len() > self.max_pieces {
            ids.truncate(self.max_pieces - 1);
            ids.push(self.sep);
        }
        Ok(ids)
    }
}
