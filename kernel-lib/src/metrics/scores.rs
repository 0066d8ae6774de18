//! Entity counts and the precision / recall / F1 derived from them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// Entity counts for one type (or for all types together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Entities in the gold annotation (the support).
    pub gold: usize,
    /// Entities predicted.
    pub predicted: usize,
    /// Predicted entities that match a gold entity exactly (span and type).
    pub correct: usize,
}

impl Counts {
    /// Precision, recall and F1 as fractions in [0, 1]; 0 where a denominator is 0.
    pub fn prf(&self) -> Prf {
        let p = ratio(self.correct, self.predicted);
        let r = ratio(self.correct, self.gold);
        Prf {
            precision: p,
            recall: r,
            f1: if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            },
        }
    }

    /// Adds another set of counts.
    pub fn add(&mut self, other: Counts) {
        self.gold += other.gold;
        self.predicted += other.predicted;
        self.correct += other.correct;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Precision, recall and F1, as fractions in [0, 1].
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1 (harmonic mean of precision and recall).
    pub f1: f64,
}

/// The result of scoring predictions against gold tags.
///
/// Types are the union of gold and predicted entity types, in byte order (as conlleval sorts
/// them). Averages:
/// - [`Scores::micro`]: from the summed counts (conlleval's overall line; LADA's metric);
/// - [`Scores::macro_avg`]: unweighted mean of per-type scores;
/// - [`Scores::weighted`]: per-type scores weighted by gold support (seqeval's "weighted avg",
///   which the SeqMix code reports).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    /// Tokens scored (sentence boundaries excluded).
    pub tokens: usize,
    /// Tokens whose predicted tag equals the gold tag.
    pub correct_tags: usize,
    /// Counts per entity type.
    pub per_type: BTreeMap<String, Counts>,
}

impl Scores {
    /// Counts summed over types.
    pub fn total(&self) -> Counts {
        let mut t = Counts::default();
        for c in self.per_type.values() {
            t.add(*c);
        }
        t
    }

    /// Micro-averaged scores.
    pub fn micro(&self) -> Prf {
        self.total().prf()
    }

    /// Macro-averaged scores (mean of per-type precision, recall and F1).
    pub fn macro_avg(&self) -> Prf {
        let n = self.per_type.len();
        if n == 0 {
            return Prf::default();
        }
        let mut m = Prf::default();
        for c in self.per_type.values() {
            let s = c.prf();
            m.precision += s.precision;
            m.recall += s.recall;
            m.f1 += s.f1;
        }
        Prf {
            precision: m.precision / n as f64,
            recall: m.recall / n as f64,
            f1: m.f1 / n as f64,
        }
    }

    /// Support-weighted average of per-type scores.
    pub fn weighted(&self) -> Prf {
        let support: usize = self.per_type.values().map(|c| c.gold).sum();
        if support == 0 {
            return Prf::default();
        }
        let mut m = Prf::default();
        for c in self.per_type.values() {
            let s = c.prf();
            let w = c.gold as f64;
            m.precision += w * s.precision;
            m.recall += w * s.recall;
            m.f1 += w * s.f1;
        }
        let w = support as f64;
        Prf {
            precision: m.precision / w,
            recall: m.recall / w,
            f1: m.f1 / w,
        }
    }

    /// Scores of one type (zero counts if absent).
    pub fn of_type(&self, ty: &str) -> Prf {
        self.per_type.get(ty).copied().unwrap_or_default().prf()
    }

    /// Token accuracy in [0, 1].
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct_tags, self.tokens)
    }

    /// Adds the counts of `other` (e.g. another batch of sentences).
    pub fn merge(&mut self, other: &Scores) {
        self.tokens += other.tokens;
        self.correct_tags += other.correct_tags;
        for (ty, c) in &other.per_type {
            self.per_type.entry(ty.clone()).or_default().add(*c);
        }
    }

    /// The report exactly as `conlleval.pl` prints it (same figures, same layout).
    ///
    /// Percentages are computed with conlleval's own arithmetic (`100*c/f`, then
    /// `2*P*R/(P+R)`) so that rounding agrees to the last printed digit.
    pub fn conlleval_report(&self) -> String {
        let t = self.total();
        let pct = |a: usize, b: usize| {
            if b > 0 {
                (100 * a) as f64 / b as f64
            } else {
                0.0
            }
        };
        let fb1 = |p: f64, r: f64| {
            if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            }
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "processed {} tokens with {} phrases; found: {} phrases; correct: {}.",
            self.tokens, t.gold, t.predicted, t.correct
        );
        if self.tokens > 0 {
            let (p, r) = (pct(t.correct, t.predicted), pct(t.correct, t.gold));
            let _ = writeln!(
                out,
                "accuracy: {}%; precision: {}%; recall: {}%; FB1: {}",
                f62(pct(self.correct_tags, self.tokens)),
                f62(p),
                f62(r),
                f62(fb1(p, r))
            );
        }
        for (ty, c) in &self.per_type {
            // conlleval lists the sorted keys of its gold and predicted hashes, dropping a
            // repeat only when the previous key is true in Perl: the empty type (tags such as
            // `B` or `B-`) is listed once per hash that holds it, and a type with neither gold
            // nor predicted entities is not listed at all.
            let listed = usize::from(c.gold > 0) + usize::from(c.predicted > 0);
            let times = if ty.is_empty() { listed } else { listed.min(1) };
            let (p, r) = (pct(c.correct, c.predicted), pct(c.correct, c.gold));
            for _ in 0..times {
                let _ = writeln!(
                    out,
                    "{ty:>17}: precision: {}%; recall: {}%; FB1: {}  {}",
                    f62(p),
                    f62(r),
                    f62(fb1(p, r)),
                    c.predicted
                );
            }
        }
        out
    }

    /// A short summary with the three averages, in percent.
    pub fn averages_report(&self) -> String {
        let mut out = String::new();
        for (name, s) in [
            ("micro", self.micro()),
            ("macro", self.macro_avg()),
            ("weighted", self.weighted()),
        ] {
            let _ = writeln!(
                out,
                "{name:>17}: precision: {}%; recall: {}%; FB1: {}",
                f62(100.0 * s.precision),
                f62(100.0 * s.recall),
                f62(100.0 * s.f1)
            );
        }
        out
    }
}

/// C's `%6.2f`: two decimals, right-aligned in 6 characters.
///
/// Rust's formatting rounds the exact binary value with ties to even, as glibc's `printf` does
/// (`0.125` → `0.12`), so the digits agree with conlleval's.
pub fn f62(x: f64) -> String {
    format!("{x:6.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(types: &[(&str, usize, usize, usize)]) -> Scores {
        Scores {
            tokens: 10,
            correct_tags: 8,
            per_type: types
                .iter()
                .map(|&(t, g, p, c)| {
                    (
                        t.to_string(),
                        Counts {
                            gold: g,
                            predicted: p,
                            correct: c,
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn averages() {
        let s = scores(&[("LOC", 4, 2, 2), ("PER", 0, 2, 0)]);
        let micro = s.micro();
        assert_eq!((micro.precision, micro.recall), (0.5, 0.5));
        // LOC: p=1, r=.5, f=2/3; PER: all 0.
        let m = s.macro_avg();
        assert!((m.f1 - 1.0 / 3.0).abs() < 1e-12);
        let w = s.weighted();
        assert!(
            (w.f1 - 2.0 / 3.0).abs() < 1e-12,
            "weighted ignores zero-support types"
        );
        assert_eq!(s.accuracy(), 0.8);
    }

    #[test]
    fn c_style_rounding() {
        // Values printf("%6.2f") renders this way (exact binary ties go to even).
        for (x, c) in [
            (0.125, "  0.12"),
            (0.375, "  0.38"),
            (12.5, " 12.50"),
            (100.0, "100.00"),
            (2.675, "  2.67"),
            (7.0, "  7.00"),
        ] {
            assert_eq!(f62(x), c);
        }
    }

    #[test]
    fn report_layout() {
        let s = scores(&[("LOC", 4, 2, 2)]);
        assert_eq!(
            s.conlleval_report(),
            "processed 10 tokens with 4 phrases; found: 2 phrases; correct: 2.\n\
             accuracy:  80.00%; precision: 100.00%; recall:  50.00%; FB1:  66.67\n\
             \x20             LOC: precision: 100.00%; recall:  50.00%; FB1:  66.67  2\n"
        );
    }
}
