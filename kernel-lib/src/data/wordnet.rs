//! Princeton WordNet 3.0's database files (`index.POS` and `data.POS` for nouns, verbs,
//! adjectives and adverbs, and the irregular forms in `noun.exc`, `verb.exc`, `adj.exc`;
//! fetched by `data/fetch.sh wordnet` into `data/cache/wordnet/`): which synsets a lemma
//! belongs to, in order of sense frequency, the words of each synset, and whether a word is
//! an inflected form of a lemma (WordNet's `morphy` rules). Semi-LADA's synonym paraphraser draws on it
//! ([`crate::augment::lada::semi::WordNetParaphraser`]).
//!
//! File format (WordNet's `wndb(5)`): an index line is `lemma pos synset_cnt p_cnt
//! [ptr_symbol]{p_cnt} sense_cnt tagsense_cnt synset_offset{synset_cnt}`; a data line starts
//! `synset_offset lex_filenum ss_type w_cnt (word lex_id){w_cnt}` with `w_cnt` in hex. Lines
//! that begin with a space are the licence header.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Location, Result};

/// The four parts of speech, in the order their files are read.
pub const PARTS: [&str; 4] = ["noun", "verb", "adj", "adv"];

/// A WordNet database in memory.
#[derive(Debug, Clone, Default)]
pub struct WordNet {
    /// Lemma → `(part of speech, senses tagged in the SemCor corpus, synset offsets in sense
    /// order)`.
    index: HashMap<String, Vec<(usize, u32, Vec<u32>)>>,
    /// Irregular inflected forms (`went`, `said`, `better`).
    irregular: std::collections::HashSet<String>,
    /// `(part of speech, offset)` → the synset's words (`_` joins multi-word lemmas).
    synsets: HashMap<(usize, u32), Vec<String>>,
}

impl WordNet {
    /// Reads `index.{noun,verb,adj,adv}` and `data.{…}` from `dir`.
    ///
    /// # Errors
    /// A missing folder or file (with how to fetch it), or a malformed line (naming file and
    /// line).
    pub fn load(dir: &Path) -> Result<WordNet> {
        if !dir.join("index.noun").is_file() {
            return Err(Error::Missing {
                what: "WordNet 3.0 database".into(),
                path: dir.to_path_buf(),
                hint: "fetch it with `bash data/fetch.sh data/cache wordnet` (or `seqlab data \
                       fetch wordnet`)"
                    .into(),
            });
        }
        let mut wn = WordNet::default();
        for (pos, part) in PARTS.iter().enumerate() {
            for_entries(&dir.join(format!("index.{part}")), "index", |line| {
                let (tagged, offsets) = parse_index(line)?;
                let lemma = line.split(' ').next()?.to_string();
                wn.index
                    .entry(lemma)
                    .or_default()
                    .push((pos, tagged, offsets));
                Some(())
            })?;
            for_entries(&dir.join(format!("data.{part}")), "data", |line| {
                let (offset, words) = parse_data(line)?;
                wn.synsets.insert((pos, offset), words);
                Some(())
            })?;
            if pos < 3 {
                let path = dir.join(format!("{part}.exc"));
                let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                wn.irregular.extend(
                    text.lines()
                        .filter_map(|l| l.split(' ').next())
                        .filter(|w| !w.is_empty())
                        .map(String::from),
                );
            }
        }
        Ok(wn)
    }

    /// Builds a database from `(part of speech index, offset, words)` synsets, each word's
    /// senses in the order given (for tests and small examples).
    pub fn from_synsets(synsets: &[(usize, u32, &[&str])]) -> WordNet {
        let mut wn = WordNet::default();
        for &(pos, offset, words) in synsets {
            wn.synsets
                .insert((pos, offset), words.iter().map(|w| w.to_string()).collect());
            for w in words {
                let senses = wn.index.entry(w.to_lowercase()).or_default();
                match senses.iter_mut().find(|(p, _, _)| *p == pos) {
                    Some((_, tagged, offsets)) => {
                        offsets.push(offset);
                        *tagged += 1;
                    }
                    None => senses.push((pos, 1, vec![offset])),
                }
            }
        }
        wn
    }

    /// Lemmas in the database.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the database is empty.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Adds irregular inflected forms (as `verb.exc` lists them).
    pub fn with_irregular(mut self, forms: &[&str]) -> WordNet {
        self.irregular.extend(forms.iter().map(|f| f.to_string()));
        self
    }

    /// Whether `word` is an inflected form of another lemma: listed as irregular, or reduced
    /// to a lemma of the same part of speech by WordNet's regular `morphy` suffix rules
    /// (`buses` → `bus`, `required` → `require`, `larger` → `large`).
    pub fn is_inflected(&self, word: &str) -> bool {
        const RULES: [&[(&str, &str)]; 3] = [
            &[
                ("s", ""),
                ("ses", "s"),
                ("xes", "x"),
                ("zes", "z"),
                ("ches", "ch"),
                ("shes", "sh"),
                ("men", "man"),
                ("ies", "y"),
            ],
            &[
                ("s", ""),
                ("ies", "y"),
                ("es", "e"),
                ("es", ""),
                ("ed", "e"),
                ("ed", ""),
                ("ing", "e"),
                ("ing", ""),
            ],
            &[("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
        ];
        if self.irregular.contains(word) {
            return true;
        }
        RULES.iter().enumerate().any(|(pos, rules)| {
            rules.iter().any(|(suffix, ending)| {
                word.strip_suffix(suffix).is_some_and(|stem| {
                    let base = format!("{stem}{ending}");
                    base != word
                        && self
                            .index
                            .get(&base)
                            .is_some_and(|s| s.iter().any(|(p, _, _)| *p == pos))
                })
            })
        })
    }

    /// Synonyms of `word` (a lemma as written, lowercase): the other words of its most
    /// frequent sense, in the part of speech with the most senses tagged in the SemCor
    /// corpus (nouns first on a tie), keeping only single lowercase words of 3+ letters (no
    /// multi-word lemma, no proper noun, so that a replacement adds no entity; no roman
    /// numeral), sorted. Empty when `word`
    /// is not a lemma, or is also an inflected form of another lemma ([`WordNet::is_inflected`]:
    /// `said` is an adjective lemma but mostly the past of `say`), since a synonym would come
    /// uninflected or in the wrong part of speech.
    pub fn synonyms(&self, word: &str) -> Vec<String> {
        let Some(senses) = self.index.get(word) else {
            return Vec::new();
        };
        if self.is_inflected(word) {
            return Vec::new();
        }
        // The first of the most-tagged parts of speech (the index is read nouns first).
        let best = senses
            .iter()
            .fold(None::<&(usize, u32, Vec<u32>)>, |b, s| match b {
                Some(b) if b.1 >= s.1 => Some(b),
                _ => Some(s),
            });
        best.map_or_else(Vec::new, |(pos, _, offsets)| {
            self.first_sense(word, *pos, offsets)
        })
    }

    /// Synonyms of `word` (lowercase) in the part of speech `pos` (an index into [`PARTS`],
    /// e.g. from [`penn_part`]): the other words of its most frequent sense of that part of
    /// speech, filtered as in [`WordNet::synonyms`]. Empty when `word` has no sense there. The
    /// caller vouches that `word` is a base form (a tagger said so), so no inflection check.
    pub fn synonyms_as(&self, word: &str, pos: usize) -> Vec<String> {
        self.index
            .get(word)
            .and_then(|senses| senses.iter().find(|(p, _, _)| *p == pos))
            .map_or_else(Vec::new, |(_, _, offsets)| {
                self.first_sense(word, pos, offsets)
            })
    }

    /// The words of the first synset in `offsets` but `word`: single lowercase words of 3+
    /// letters, sorted.
    fn first_sense(&self, word: &str, pos: usize, offsets: &[u32]) -> Vec<String> {
        let Some(words) = offsets.first().and_then(|o| self.synsets.get(&(pos, *o))) else {
            return Vec::new();
        };
        let mut out: Vec<String> = words
            .iter()
            .filter(|w| {
                w.as_str() != word && w.len() >= 3 && w.chars().all(|c| c.is_ascii_lowercase())
            })
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The WordNet part of speech (an index into [`PARTS`]) of a Penn Treebank tag that marks a
/// base form: `NN` noun, `VB`/`VBP` verb, `JJ` adjective, `RB` adverb. `None` for every other
/// tag: inflected forms (`NNS`, `VBD`, `VBZ`, `JJR`, ...), whose WordNet synonyms would come
/// uninflected, proper nouns (`NNP`), and closed classes (`IN`, `DT`, ...).
pub fn penn_part(tag: &str) -> Option<usize> {
    match tag {
        "NN" => Some(0),
        "VB" | "VBP" => Some(1),
        "JJ" => Some(2),
        "RB" => Some(3),
        _ => None,
    }
}

/// Calls `entry` on every line of `path` but the licence header and blank lines; `None` from
/// it is a malformed `what` line (the error names file and line).
fn for_entries(path: &Path, what: &str, mut entry: impl FnMut(&str) -> Option<()>) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with(' ') || line.trim().is_empty() {
            continue;
        }
        entry(line).ok_or_else(|| malformed(path, n, what))?;
    }
    Ok(())
}

fn malformed(path: &Path, n: usize, what: &str) -> Error {
    Error::input(
        Location::in_path(path, n + 1),
        what,
        format!("not a WordNet {what} line"),
        "the file should be WordNet 3.0's; fetch it again with `bash data/fetch.sh data/cache \
         wordnet`",
    )
}

/// The senses tagged in SemCor and the synset offsets of an index line.
fn parse_index(line: &str) -> Option<(u32, Vec<u32>)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let synsets: usize = f.get(2)?.parse().ok()?;
    let pointers: usize = f.get(3)?.parse().ok()?;
    let tagged = f.get(4 + pointers + 1)?.parse().ok()?;
    let first = 4 + pointers + 2;
    let offsets = f.get(first..first + synsets)?;
    Some((
        tagged,
        offsets
            .iter()
            .map(|o| o.parse().ok())
            .collect::<Option<_>>()?,
    ))
}

/// The offset and words of a data line (an adjective's `(a)`-style marker removed).
fn parse_data(line: &str) -> Option<(u32, Vec<String>)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let offset = f.first()?.parse().ok()?;
    let count = usize::from_str_radix(f.get(3)?, 16).ok()?;
    let words = (0..count)
        .map(|i| {
            let w = f.get(4 + 2 * i)?;
            Some(w.split('(').next().unwrap_or(w).to_string())
        })
        .collect::<Option<Vec<_>>>()?;
    Some((offset, words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_and_data_lines_parse() {
        let idx = "dog n 7 5 @ ~ #m #p %p 7 1 02084071 10114209 10023039 09886220 07676602 \
                   03901548 02710044  ";
        let (tagged, offsets) = parse_index(idx).unwrap();
        assert_eq!((tagged, &offsets[..2]), (1, &[2084071, 10114209][..]));
        let data = "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 023 @ 02083346 n \
                    0000 | a member of the genus Canis";
        let (o, w) = parse_data(data).unwrap();
        assert_eq!(
            (o, w),
            (
                2084071,
                vec![
                    "dog".into(),
                    "domestic_dog".into(),
                    "Canis_familiaris".into()
                ]
            )
        );
        let adj = "00001740 00 a 01 able(p) 0 005 = 05207437 n 0000 | (usually followed by `to')";
        assert_eq!(parse_data(adj).unwrap().1, ["able"]);
        assert!(parse_index("dog n x").is_none());
    }

    #[test]
    fn synonyms_come_from_the_first_sense_of_the_most_tagged_part_of_speech() {
        let wn = WordNet::from_synsets(&[
            (0, 1, &["market", "marketplace", "mart", "market_place"]),
            (0, 2, &["market", "securities_industry"]),
            (1, 3, &["market", "commercialize"]),
            (0, 4, &["police", "constabulary", "Police_Force"]),
            (1, 5, &["say", "state"]),
            (2, 6, &["said", "aforesaid"]),
            (0, 7, &["bus", "autobus"]),
            (1, 8, &["require", "need"]),
            (0, 9, &["one", "i", "ace", "single"]),
        ])
        .with_irregular(&["said"]);
        // Nouns: two senses of "market" against the verb's one.
        assert_eq!(wn.synonyms("market"), ["marketplace", "mart"]);
        assert_eq!(wn.synonyms("police"), ["constabulary"]);
        assert_eq!(wn.synonyms("one"), ["ace", "single"]);
        // Not lemmas, or inflected forms of other lemmas: no synonym.
        for w in ["markets", "said", "buses", "required", "requiring"] {
            assert!(wn.synonyms(w).is_empty(), "{w}");
        }
        assert!(wn.is_inflected("buses") && wn.is_inflected("required") && !wn.is_inflected("bus"));
    }

    #[test]
    fn a_penn_tag_picks_the_part_of_speech_of_the_synonyms() {
        let wn = WordNet::from_synsets(&[
            (0, 1, &["market", "marketplace", "mart"]),
            (0, 2, &["market", "securities_industry"]),
            (1, 3, &["market", "commercialize"]),
            (2, 4, &["near", "close", "nigh"]),
            (3, 5, &["near", "nearly", "almost"]),
            (2, 6, &["left", "leftish"]),
        ])
        .with_irregular(&["left"]);
        let as_tag = |w: &str, t: &str| penn_part(t).map(|p| wn.synonyms_as(w, p));
        assert_eq!(as_tag("market", "VB").unwrap(), ["commercialize"]);
        assert_eq!(as_tag("market", "NN").unwrap(), ["marketplace", "mart"]);
        assert_eq!(as_tag("near", "RB").unwrap(), ["almost", "nearly"]);
        // A tagged base form is trusted even where the word is also an inflected form.
        assert!(wn.synonyms("left").is_empty());
        assert_eq!(as_tag("left", "JJ").unwrap(), ["leftish"]);
        // No sense in that part of speech; tags of inflected forms and closed classes.
        assert!(as_tag("market", "JJ").unwrap().is_empty());
        for t in ["IN", "NNS", "VBD", "NNP", "JJR", ""] {
            assert_eq!(penn_part(t), None, "{t}");
        }
    }
}
