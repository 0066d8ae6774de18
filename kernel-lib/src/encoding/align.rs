//! Word labels → word-piece training targets, with LADA's sub-token labeling strategies
//! (LADA §4.1 and Table 5).
//!
//! Targets are label *distributions* (a one-hot vector for a hard label), so mixed and soft
//! labels (SeqMix, LADA) go through the same path. A word's distribution goes to its first
//! piece; continuation pieces get:
//!
//! | strategy | `B-X` word | `I-X` word | `O` word | LADA's name |
//! |---|---|---|---|---|
//! | [`SubtokenLabels::First`] | ignored | ignored | ignored | None |
//! | [`SubtokenLabels::Real`] | `I-X` | `I-X` | `O` | Real (LADA's default) |
//! | [`SubtokenLabels::Repeat`] | `B-X` | `I-X` | `O` | Repeat |
//! | [`SubtokenLabels::Outside`] | `O` | `O` | `O` | O |
//!
//! Evaluation always reads the first piece of each word, whatever the strategy.

use serde::{Deserialize, Serialize};

use crate::data::LabelVocab;
use crate::data::scheme::{Prefix, make_tag, parse_tag};
use crate::encoding::tokenizer::Encoded;

/// How continuation pieces of a word are labeled for training.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubtokenLabels {
    /// Only the first piece carries the label; the others are ignored by the loss.
    #[serde(alias = "none")]
    First,
    /// `B-X` continues as `I-X`; `I-X` and `O` repeat (LADA's default).
    #[default]
    Real,
    /// The word's label repeats on every piece.
    Repeat,
    /// Continuation pieces are `O`.
    #[serde(alias = "o")]
    Outside,
}

impl std::str::FromStr for SubtokenLabels {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "first" | "none" => Ok(SubtokenLabels::First),
            "real" => Ok(SubtokenLabels::Real),
            "repeat" => Ok(SubtokenLabels::Repeat),
            "outside" | "o" => Ok(SubtokenLabels::Outside),
            other => Err(crate::Error::config(
                "subtoken_labels",
                format!("unknown strategy {other:?}; expected none, real, repeat or o"),
            )),
        }
    }
}

/// For each label id, the id of its continuation label under [`SubtokenLabels::Real`]
/// (`B-X` → `I-X`; unchanged when the vocabulary has no `I-X`).
pub fn continuation_map(vocab: &LabelVocab) -> Vec<usize> {
    (0..vocab.len())
        .map(|i| {
            let label = vocab.label(i).expect("id in range");
            match parse_tag(label) {
                Some((Prefix::B, ty)) => vocab.id(&make_tag(Prefix::I, ty)).unwrap_or(i),
                _ => i,
            }
        })
        .collect()
}

/// Per-piece targets of one chunk: `Some(distribution)` where the loss applies.
///
/// `word_targets[w]` is the label distribution of word `w` of the whole sentence (length
/// `vocab.len()`); `cont` comes from [`continuation_map`]; `outside` is the id of `O`.
pub fn piece_targets(
    chunk: &Encoded,
    word_targets: &[Vec<f32>],
    strategy: SubtokenLabels,
    cont: &[usize],
    outside: usize,
) -> Vec<Option<Vec<f32>>> {
    chunk
        .word_of
        .iter()
        .zip(&chunk.first)
        .map(|(w, &first)| {
            let w = (*w)?;
            let dist = word_targets.get(w)?;
            if first {
                return Some(dist.clone());
            }
            match strategy {
                SubtokenLabels::First => None,
                SubtokenLabels::Repeat => Some(dist.clone()),
                SubtokenLabels::Outside => {
                    let mut d = vec![0.0; dist.len()];
                    d[outside] = 1.0;
                    Some(d)
                }
                SubtokenLabels::Real => {
                    let mut d = vec![0.0; dist.len()];
                    for (i, p) in dist.iter().enumerate() {
                        d[cont[i]] += p;
                    }
                    Some(d)
                }
            }
        })
        .collect()
}

/// A one-hot distribution over `n` labels.
pub fn one_hot(id: usize, n: usize) -> Vec<f32> {
    let mut d = vec![0.0; n];
    d[id] = 1.0;
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TagScheme;

    fn chunk() -> Encoded {
        // [CLS] New Yor ##k is [SEP] with words New(0) York(1) is(2); York = 2 pieces.
        Encoded {
            ids: vec![101, 1, 2, 3, 4, 102],
            word_of: vec![None, Some(0), Some(1), Some(1), Some(2), None],
            first: vec![false, true, true, false, true, false],
            words: 0..3,
        }
    }

    #[test]
    fn the_four_strategies() {
        let vocab = LabelVocab::for_types(["LOC"], TagScheme::Iob2); // O B-LOC I-LOC
        let cont = continuation_map(&vocab);
        assert_eq!(cont, [0, 2, 2]);
        // New=B-LOC, York=I-LOC, is=O; and a B-LOC word that splits:
        let targets = vec![one_hot(1, 3), one_hot(1, 3), one_hot(0, 3)];
        let argmax = |t: &[Option<Vec<f32>>]| -> Vec<Option<usize>> {
            t.iter()
                .map(|d| {
                    d.as_ref().map(|d| {
                        d.iter()
                            .enumerate()
                            .max_by(|a, b| a.1.total_cmp(b.1))
                            .unwrap()
                            .0
                    })
                })
                .collect()
        };
        let c = chunk();
        let got = |s| argmax(&piece_targets(&c, &targets, s, &cont, 0));
        assert_eq!(
            got(SubtokenLabels::First),
            [None, Some(1), Some(1), None, Some(0), None]
        );
        assert_eq!(
            got(SubtokenLabels::Real),
            [None, Some(1), Some(1), Some(2), Some(0), None]
        );
        assert_eq!(
            got(SubtokenLabels::Repeat),
            [None, Some(1), Some(1), Some(1), Some(0), None]
        );
        assert_eq!(
            got(SubtokenLabels::Outside),
            [None, Some(1), Some(1), Some(0), Some(0), None]
        );
    }

    #[test]
    fn soft_labels_move_b_mass_to_i() {
        let vocab = LabelVocab::for_types(["LOC"], TagScheme::Iob2);
        let cont = continuation_map(&vocab);
        let targets = vec![
            vec![0.2, 0.8, 0.0],
            vec![0.0, 0.7, 0.3],
            vec![1.0, 0.0, 0.0],
        ];
        let t = piece_targets(&chunk(), &targets, SubtokenLabels::Real, &cont, 0);
        assert_eq!(t[3].as_deref(), Some(&[0.0f32, 0.0, 1.0][..]));
        assert_eq!(t[2].as_deref(), Some(&[0.0f32, 0.7, 0.3][..]));
    }

    #[test]
    fn strategy_names() {
        assert_eq!(
            "none".parse::<SubtokenLabels>().unwrap(),
            SubtokenLabels::First
        );
        assert_eq!(
            "O".parse::<SubtokenLabels>().unwrap(),
            SubtokenLabels::Outside
        );
        assert!("all".parse::<SubtokenLabels>().is_err());
    }
}
