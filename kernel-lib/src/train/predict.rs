//! Per-word predictions: probability distributions, argmax tags, and the best tag sequence
//! that respects the tag scheme (Viterbi over the per-word log-probabilities with the scheme's
//! transitions as hard constraints).
//!
//! The constrained decode is what a softmax tagger has instead of a CRF's Viterbi parse: it
//! gives `y*` and `log P(y*|x) = Σ_t log p_t(y*_t)` for sequence-level least confidence
//! (SeqMix Eq. 1).

use serde::{Deserialize, Serialize};

use crate::data::LabelVocab;
use crate::data::scheme::{Prefix, TagScheme, parse_tag};

/// A tagger's output for one sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Per word, the probability of each label (read at the word's first piece).
    pub probs: Vec<Vec<f32>>,
}

impl Prediction {
    /// Number of words.
    pub fn len(&self) -> usize {
        self.probs.len()
    }

    /// Whether there is no word.
    pub fn is_empty(&self) -> bool {
        self.probs.is_empty()
    }

    /// The most probable label id of each word.
    pub fn argmax(&self) -> Vec<usize> {
        self.probs
            .iter()
            .map(|p| {
                p.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
                    .map_or(0, |(i, _)| i)
            })
            .collect()
    }

    /// The argmax tags.
    pub fn tags(&self, vocab: &LabelVocab) -> Vec<String> {
        Self::labels_of(self.argmax(), vocab)
    }

    /// The tags chosen by `decode` (`constraints` are used by [`Decode::Viterbi`] only).
    pub fn decoded_tags(
        &self,
        decode: Decode,
        constraints: &Constraints,
        vocab: &LabelVocab,
    ) -> Vec<String> {
        Self::labels_of(self.decode(decode, constraints), vocab)
    }

    fn labels_of(ids: Vec<usize>, vocab: &LabelVocab) -> Vec<String> {
        ids.into_iter()
            .map(|i| vocab.label(i).unwrap_or("O").to_string())
            .collect()
    }

    /// The best valid sequence and its log-probability.
    pub fn viterbi(&self, constraints: &Constraints) -> (Vec<usize>, f64) {
        viterbi(&self.probs, constraints)
    }
}

/// How per-word distributions become tags for scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decode {
    /// The most probable label of each word, independently (both papers' code).
    #[default]
    Argmax,
    /// The most probable sequence that is valid in the tagger's scheme ([`viterbi`]): no
    /// `I-X` after `O` or after another type, as a CRF's transition constraints would forbid.
    Viterbi,
}

impl std::fmt::Display for Decode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Decode::Argmax => "argmax",
            Decode::Viterbi => "viterbi",
        })
    }
}

impl std::str::FromStr for Decode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "argmax" => Ok(Decode::Argmax),
            "viterbi" => Ok(Decode::Viterbi),
            other => Err(format!("unknown decoding `{other}`; use argmax or viterbi")),
        }
    }
}

impl Prediction {
    /// The label ids chosen by `decode` (`constraints` are used by [`Decode::Viterbi`] only).
    pub fn decode(&self, decode: Decode, constraints: &Constraints) -> Vec<usize> {
        match decode {
            Decode::Argmax => self.argmax(),
            Decode::Viterbi => self.viterbi(constraints).0,
        }
    }
}

/// Which label sequences a scheme allows, as transition masks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraints {
    start: Vec<bool>,
    end: Vec<bool>,
    /// `allowed[prev][cur]`.
    allowed: Vec<Vec<bool>>,
}

impl Constraints {
    /// The constraints of `scheme` over `vocab`'s labels.
    pub fn new(vocab: &LabelVocab, scheme: TagScheme) -> Self {
        let parsed: Vec<Option<(Prefix, String)>> = vocab
            .labels()
            .iter()
            .map(|l| parse_tag(l).map(|(p, t)| (p, t.to_string())))
            .collect();
        let is = |i: usize, ps: &[Prefix]| parsed[i].as_ref().is_some_and(|(p, _)| ps.contains(p));
        let same = |a: usize, b: usize| match (&parsed[a], &parsed[b]) {
            (Some((_, x)), Some((_, y))) => x == y,
            _ => false,
        };
        let n = vocab.len();
        let (open, cont): (&[Prefix], &[Prefix]) = match scheme {
            TagScheme::Iob2 => (&[Prefix::B, Prefix::I], &[Prefix::I]),
            TagScheme::Iob1 => (&[Prefix::B, Prefix::I], &[Prefix::B]),
            TagScheme::Iobes => (&[Prefix::B, Prefix::I], &[Prefix::I, Prefix::E]),
            TagScheme::Bilou => (&[Prefix::B, Prefix::I], &[Prefix::I, Prefix::L]),
        };
        let strict_end = matches!(scheme, TagScheme::Iobes | TagScheme::Bilou);
        let allowed = (0..n)
            .map(|prev| {
                (0..n)
                    .map(|cur| {
                        if is(cur, cont) {
                            is(prev, open) && same(prev, cur)
                        } else {
                            // In IOBES/BILOU an open entity must be continued.
                            !(strict_end && is(prev, open))
                        }
                    })
                    .collect()
            })
            .collect();
        Constraints {
            start: (0..n).map(|c| !is(c, cont)).collect(),
            end: (0..n).map(|c| !(strict_end && is(c, open))).collect(),
            allowed,
        }
    }

    /// Whether `prev → cur` is allowed.
    pub fn allows(&self, prev: usize, cur: usize) -> bool {
        self.allowed[prev][cur]
    }
}

/// Constrained Viterbi over per-position probabilities. Returns label ids and the summed
/// log-probability; with no valid sequence (impossible with an `O` label) the argmax path.
pub fn viterbi(probs: &[Vec<f32>], c: &Constraints) -> (Vec<usize>, f64) {
    let t_len = probs.len();
    if t_len == 0 {
        return (Vec::new(), 0.0);
    }
    let n = c.start.len();
    let lp = |t: usize, j: usize| (probs[t][j].max(1e-30) as f64).ln();
    let mut score: Vec<f64> = (0..n)
        .map(|j| {
            if c.start[j] {
                lp(0, j)
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect();
    let mut back = vec![vec![0usize; n]; t_len];
    for (t, back_t) in back.iter_mut().enumerate().skip(1) {
        let mut next = vec![f64::NEG_INFINITY; n];
        for (j, next_j) in next.iter_mut().enumerate() {
            let mut best = (f64::NEG_INFINITY, 0usize);
            for (i, &s) in score.iter().enumerate() {
                if c.allowed[i][j] && s > best.0 {
                    best = (s, i);
                }
            }
            if best.0 > f64::NEG_INFINITY {
                *next_j = best.0 + lp(t, j);
                back_t[j] = best.1;
            }
        }
        score = next;
    }
    let end = (0..n)
        .filter(|&j| c.end[j])
        .max_by(|&a, &b| score[a].total_cmp(&score[b]).then(b.cmp(&a)));
    let Some(mut j) = end.filter(|&j| score[j] > f64::NEG_INFINITY) else {
        let p = Prediction {
            probs: probs.to_vec(),
        };
        let path = p.argmax();
        let total = path.iter().enumerate().map(|(t, &j)| lp(t, j)).sum();
        return (path, total);
    };
    let total = score[j];
    let mut path = vec![0; t_len];
    for t in (0..t_len).rev() {
        path[t] = j;
        j = back[t][j];
    }
    (path, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> LabelVocab {
        LabelVocab::for_types(["PER"], TagScheme::Iob2) // O B-PER I-PER
    }

    #[test]
    fn viterbi_repairs_an_invalid_argmax() {
        // Argmax: O I-PER I-PER (invalid IOB2). Best valid: O B-PER I-PER.
        let probs = vec![
            vec![0.9, 0.05, 0.05],
            vec![0.1, 0.4, 0.5],
            vec![0.1, 0.1, 0.8],
        ];
        let p = Prediction { probs };
        assert_eq!(p.argmax(), [0, 2, 2]);
        let c = Constraints::new(&vocab(), TagScheme::Iob2);
        let (path, lp) = p.viterbi(&c);
        assert_eq!(path, [0, 1, 2]);
        assert_eq!(p.decode(Decode::Argmax, &c), p.argmax());
        assert_eq!(p.decode(Decode::Viterbi, &c), p.viterbi(&c).0);
        assert_ne!(p.decode(Decode::Viterbi, &c), p.argmax());
        let tags = p.decoded_tags(Decode::Viterbi, &c, &vocab());
        assert_eq!(tags, ["O", "B-PER", "I-PER"]);
        assert_eq!(
            p.decoded_tags(Decode::Argmax, &c, &vocab()),
            p.tags(&vocab())
        );
        assert!((lp - (0.9f64.ln() + 0.4f64.ln() + 0.8f64.ln())).abs() < 1e-6);
        // A valid argmax is its own best path.
        let q = Prediction {
            probs: vec![vec![0.1, 0.8, 0.1], vec![0.1, 0.1, 0.8]],
        };
        assert_eq!(q.viterbi(&c).0, q.argmax());
    }

    #[test]
    fn viterbi_is_the_exhaustive_best_on_small_cases() {
        let c = Constraints::new(&vocab(), TagScheme::Iob2);
        let mut rng = crate::rng::seeded(5);
        use rand::Rng;
        for _ in 0..200 {
            let t = rng.random_range(1..5);
            let probs: Vec<Vec<f32>> = (0..t)
                .map(|_| {
                    let v: Vec<f32> = (0..3).map(|_| rng.random::<f32>() + 0.01).collect();
                    let s: f32 = v.iter().sum();
                    v.iter().map(|x| x / s).collect()
                })
                .collect();
            let (path, lp) = viterbi(&probs, &c);
            // Exhaustive search over 3^t sequences.
            let mut best = f64::NEG_INFINITY;
            for code in 0..3usize.pow(t as u32) {
                let seq: Vec<usize> = (0..t).map(|k| code / 3usize.pow(k as u32) % 3).collect();
                let valid = c.start[seq[0]] && seq.windows(2).all(|w| c.allows(w[0], w[1]));
                if valid {
                    let s: f64 = seq
                        .iter()
                        .enumerate()
                        .map(|(k, &j)| (probs[k][j] as f64).ln())
                        .sum();
                    best = best.max(s);
                }
            }
            assert!((lp - best).abs() < 1e-9, "{lp} vs {best}");
            let v = vocab();
            let tags: Vec<String> = path.iter().map(|&j| v.labels()[j].clone()).collect();
            assert!(crate::data::scheme::violations(&tags, TagScheme::Iob2).is_empty());
        }
    }

    #[test]
    fn iobes_constraints_close_entities() {
        let v = LabelVocab::for_types(["X"], TagScheme::Iobes); // O B I E S
        let c = Constraints::new(&v, TagScheme::Iobes);
        let id = |l: &str| v.id(l).unwrap();
        assert!(c.allows(id("B-X"), id("E-X")));
        assert!(!c.allows(id("B-X"), id("O")));
        assert!(!c.allows(id("O"), id("E-X")));
        assert!(!c.end[id("B-X")]);
        assert!(c.start[id("S-X")]);
    }
}
