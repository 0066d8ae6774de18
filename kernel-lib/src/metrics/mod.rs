//! Entity-level evaluation and the statistics reports need.
//!
//! Two ways of reading entities from tags ([`Mode`]):
//! - [`Mode::Conlleval`] (default): conlleval.pl's rules, ported line for line in
//!   [`conlleval`]; also what seqeval's default mode does. A stray `I-X` starts an entity.
//! - [`Mode::Strict`]: seqeval's `mode="strict"` for a declared scheme ([`strict`]); entities
//!   that break the scheme do not count.
//!
//! [`Scores`] then gives micro, macro and support-weighted averages, per-type figures, token
//! accuracy and conlleval's exact report. [`stats`] has mean ± std, the Wilcoxon signed-rank
//! test and bootstrap intervals.
//!
//! ```
//! use seqlab::metrics::{score, Mode};
//! use seqlab::data::TagScheme;
//!
//! let gold = vec![vec!["O", "I-PER", "I-PER", "B-LOC"]];
//! let pred = vec![vec!["O", "B-PER", "I-PER", "B-LOC"]];
//! // conlleval reads `I-PER I-PER` as one PER entity, so both predictions are right:
//! assert_eq!(score(&gold, &pred, Mode::Conlleval).unwrap().micro().f1, 1.0);
//! // strict IOB2 does not accept the gold PER entity (no B-), so the predicted one is wrong:
//! let strict = score(&gold, &pred, Mode::Strict(TagScheme::Iob2)).unwrap();
//! assert_eq!(strict.total().gold, 1);
//! assert_eq!(strict.micro().precision, 0.5);
//! ```

pub mod conlleval;
pub mod scores;
pub mod stats;
pub mod strict;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use scores::{Counts, Prf, Scores};

use crate::data::TagScheme;
use crate::error::{Error, Location, Result};

/// How entities are read from tags when scoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// conlleval.pl (and seqeval's default mode).
    #[default]
    Conlleval,
    /// seqeval's strict mode for a scheme.
    Strict(TagScheme),
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Conlleval => f.write_str("conlleval"),
            Mode::Strict(s) => write!(f, "strict:{}", s.to_string().to_lowercase()),
        }
    }
}

impl FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "conlleval" | "default" => Ok(Mode::Conlleval),
            "strict" => Ok(Mode::Strict(TagScheme::Iob2)),
            other => match other.strip_prefix("strict:") {
                Some(scheme) => Ok(Mode::Strict(scheme.parse()?)),
                None => Err(Error::config(
                    "mode",
                    format!("unknown mode {s:?}; expected conlleval, strict or strict:<scheme>"),
                )),
            },
        }
    }
}

/// Scores predicted tag sequences against gold ones.
///
/// # Errors
/// Different numbers of sentences or tokens, or (strict mode) a tag the scheme cannot read.
pub fn score<S: AsRef<str>>(gold: &[Vec<S>], pred: &[Vec<S>], mode: Mode) -> Result<Scores> {
    check_lengths(gold, pred)?;
    match mode {
        Mode::Conlleval => Ok(conlleval::score_sentences(gold, pred)),
        Mode::Strict(scheme) => {
            strict::score_sentences(gold, pred, scheme).map_err(|(k, side, bad)| {
                Error::input(
                    Location::new(format!("sentence {}", k + 1), 0)
                        .with_detail(format!("{side:?} token {}", bad.position + 1)),
                    "tag",
                    format!("{:?} cannot be read in strict {scheme} mode", bad.tag),
                    "use the scheme the tags are written in, or conlleval mode",
                )
            })
        }
    }
}

/// Scores each sentence on its own (for bootstrap intervals over sentences).
///
/// # Errors
/// As [`score`].
pub fn score_each<S: AsRef<str>>(
    gold: &[Vec<S>],
    pred: &[Vec<S>],
    mode: Mode,
) -> Result<Vec<Counts>> {
    check_lengths(gold, pred)?;
    gold.iter()
        .zip(pred)
        .map(|(g, p)| {
            score(std::slice::from_ref(g), std::slice::from_ref(p), mode).map(|s| s.total())
        })
        .collect()
}

/// Micro F1 of a resample of per-sentence counts (for [`stats::bootstrap`]).
pub fn micro_f1_of(counts: &[Counts], idx: &[usize]) -> f64 {
    let mut t = Counts::default();
    for &i in idx {
        t.add(counts[i]);
    }
    t.prf().f1
}

fn check_lengths<S: AsRef<str>>(gold: &[Vec<S>], pred: &[Vec<S>]) -> Result<()> {
    if gold.len() != pred.len() {
        return Err(Error::input(
            Location::new("predictions", 0),
            "sentences",
            format!("{} gold sentences but {} predicted", gold.len(), pred.len()),
            "predict every sentence of the evaluation set",
        ));
    }
    for (k, (g, p)) in gold.iter().zip(pred).enumerate() {
        if g.len() != p.len() {
            return Err(Error::input(
                Location::new(format!("sentence {}", k + 1), 0),
                "tokens",
                format!("{} gold tags but {} predicted", g.len(), p.len()),
                "predict one tag per token",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print() {
        for s in ["conlleval", "strict:iob2", "strict:iobes"] {
            assert_eq!(s.parse::<Mode>().unwrap().to_string(), s);
        }
        assert_eq!(
            "strict".parse::<Mode>().unwrap(),
            Mode::Strict(TagScheme::Iob2)
        );
        assert!("lenient".parse::<Mode>().is_err());
    }

    #[test]
    fn length_mismatches_are_errors() {
        let e = score(&[vec!["O"]], &[vec!["O", "O"]], Mode::Conlleval)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("sentence 1: tokens: 1 gold tags but 2 predicted"),
            "{e}"
        );
        assert!(score::<&str>(&[vec!["O"]], &[], Mode::Conlleval).is_err());
    }

    #[test]
    fn strict_errors_name_the_token() {
        let e = score(
            &[vec!["O", "S-X"]],
            &[vec!["O", "O"]],
            Mode::Strict(TagScheme::Iob2),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("sentence 1 (Gold token 2): tag"), "{e}");
    }

    #[test]
    fn per_sentence_counts_add_up() {
        let gold = vec![vec!["B-A", "O"], vec!["B-B", "I-B"]];
        let pred = vec![vec!["B-A", "O"], vec!["B-B", "O"]];
        let each = score_each(&gold, &pred, Mode::Conlleval).unwrap();
        let all = score(&gold, &pred, Mode::Conlleval).unwrap().total();
        let mut sum = Counts::default();
        each.iter().for_each(|c| sum.add(*c));
        assert_eq!(sum, all);
        assert_eq!(micro_f1_of(&each, &[0, 1]), all.prf().f1);
    }
}
