//! The pairing function ζ of SeqMix (§3.2). A label is *valid* when it is not `O`. The valid
//! label density of a window of `s` words holding `n` valid labels is `η = n / s`, and a window
//! is eligible when `η ≥ η₀`. Each variant pairs sentences differently:
//!
//! - whole-sequence: two sentences of the same length, each with `η ≥ η₀` over the whole
//!   sentence (the reference code instead asks for `η₀·s` valid labels anywhere in it, an
//!   option); every position is mixed;
//! - sub-sequence: two sentences that each have an eligible window of length `s`;
//! - label-constrained: two eligible windows with identical label sequences.
//!
//! The candidate pairs come out in a seeded random order; the generator walks them until it has
//! accepted enough sentences (Algorithm 2).

use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::rng::SeqRng;

/// Which SeqMix variant (Figure 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Whole-sequence mixup (Figure 1a): same-length parents, all positions, soft labels.
    Whole,
    /// Sub-sequence mixup (Figure 1b): one window of each parent, soft labels (Eq. 8). The
    /// paper's best variant.
    #[default]
    Sub,
    /// Label-constrained sub-sequence mixup (Figure 1c): windows with identical labels; the
    /// labels stay hard.
    LabelConstrained,
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Variant::Whole => "whole",
            Variant::Sub => "sub",
            Variant::LabelConstrained => "label-constrained",
        })
    }
}

/// Two parents and the windows that are mixed: `len` words from `start_i` in sentence `i` and
/// from `start_j` in sentence `j` (the whole sentences for whole-sequence mixup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// First parent (index into the batch).
    pub i: usize,
    /// Second parent.
    pub j: usize,
    /// Window start in `i`.
    pub start_i: usize,
    /// Window start in `j`.
    pub start_j: usize,
    /// Window length in words.
    pub len: usize,
}

/// Whether `n` valid labels in `s` positions reach the density threshold `eta0`.
pub fn dense_enough(n: usize, s: usize, eta0: f64) -> bool {
    s > 0 && n as f64 >= eta0 * s as f64 - 1e-9
}

/// Starts of the windows of `s` words whose valid-label density reaches `eta0`.
///
/// `faithful` applies the reference code's rule instead: the window must also start on a valid
/// label, and the last possible start is never tried (`range(0, len(seq) - 5)`).
pub fn eligible_windows(valid: &[bool], s: usize, eta0: f64, faithful: bool) -> Vec<usize> {
    if s == 0 || valid.len() < s {
        return Vec::new();
    }
    let last = valid.len() - s;
    let end = if faithful { last } else { last + 1 };
    (0..end)
        .filter(|&a| {
            let n = valid[a..a + s].iter().filter(|&&v| v).count();
            dense_enough(n, s, eta0) && (!faithful || valid[a])
        })
        .collect()
}

/// At most this many sentences of a batch take part in pairing (a random sample beyond it), so
/// that the pair list stays small when a whole corpus is handed in.
pub const MAX_PARENTS: usize = 2000;

/// The candidate pairs of a batch, in the order they are tried.
///
/// `labels[k]` are sentence `k`'s label ids and `outside` the id of `O`. Pairs are unordered
/// (`i < j`); when a sentence has several eligible windows one is drawn at random for each
/// pair. With `faithful`, windows follow [`eligible_windows`]' faithful rule, the first
/// eligible window is used and sub-sequence / label-constrained pairs keep the reference
/// code's enumeration order (`i` ascending, then `j`). For whole-sequence mixup `faithful`
/// replaces the density over the sentence by the reference code's count: a sentence is a
/// candidate when it holds as many valid labels as a dense window, `n ≥ η₀·s` (3 at the
/// paper's `s = 5`, `η₀ = 0.6`), whatever its length.
pub fn candidate_pairs(
    variant: Variant,
    labels: &[Vec<usize>],
    outside: usize,
    s: usize,
    eta0: f64,
    faithful: bool,
    rng: &mut SeqRng,
) -> Vec<Pair> {
    let mut ids: Vec<usize> = (0..labels.len()).collect();
    if ids.len() > MAX_PARENTS {
        ids.shuffle(rng);
        ids.truncate(MAX_PARENTS);
        ids.sort_unstable();
    }
    let valid: Vec<Vec<bool>> = labels
        .iter()
        .map(|l| l.iter().map(|&t| t != outside).collect())
        .collect();
    let mut pairs = Vec::new();
    match variant {
        Variant::Whole => {
            let eligible: Vec<usize> = ids
                .iter()
                .copied()
                .filter(|&k| {
                    let n = valid[k].iter().filter(|&&v| v).count();
                    if faithful {
                        // The reference code's `soft_pair`: a count of valid labels over the
                        // whole sentence, `valid_tag_bar` = 3 = η₀·s for s = 5, η₀ = 0.6.
                        dense_enough(n, s, eta0)
                    } else {
                        dense_enough(n, valid[k].len(), eta0)
                    }
                })
                .collect();
            for (a, &i) in eligible.iter().enumerate() {
                for &j in &eligible[a + 1..] {
                    if labels[i].len() == labels[j].len() {
                        pairs.push(Pair {
                            i,
                            j,
                            start_i: 0,
                            start_j: 0,
                            len: labels[i].len(),
                        });
                    }
                }
            }
            pairs.shuffle(rng);
        }
        Variant::Sub | Variant::LabelConstrained => {
            let windows: Vec<(usize, Vec<usize>)> = ids
                .iter()
                .map(|&k| (k, eligible_windows(&valid[k], s, eta0, faithful)))
                .filter(|(_, w)| !w.is_empty())
                .collect();
            for (a, (i, wi)) in windows.iter().enumerate() {
                for (j, wj) in &windows[a + 1..] {
                    let pick = |w: &[usize], rng: &mut SeqRng| {
                        if faithful {
                            w[0]
                        } else {
                            w[rng.random_range(0..w.len())]
                        }
                    };
                    let chosen = if variant == Variant::Sub {
                        Some((pick(wi, rng), pick(wj, rng)))
                    } else {
                        let same =
                            |x: usize, y: usize| labels[*i][x..x + s] == labels[*j][y..y + s];
                        let firsts: &[usize] = if faithful { &wi[..1] } else { wi };
                        let matches: Vec<(usize, usize)> = firsts
                            .iter()
                            .flat_map(|&x| wj.iter().map(move |&y| (x, y)))
                            .filter(|&(x, y)| same(x, y))
                            .collect();
                        match matches.len() {
                            0 => None,
                            _ if faithful => Some(matches[0]),
                            n => Some(matches[rng.random_range(0..n)]),
                        }
                    };
                    if let Some((start_i, start_j)) = chosen {
                        pairs.push(Pair {
                            i: *i,
                            j: *j,
                            start_i,
                            start_j,
                            len: s,
                        });
                    }
                }
            }
            if !faithful {
                pairs.shuffle(rng);
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    const O: usize = 0;

    #[test]
    fn windows_respect_length_and_density() {
        // valid:            0  1  2  3  4  5  6  7
        let v = [false, true, true, false, true, false, false, true];
        // s = 3, η0 = 0.6 → at least 2 of 3 valid (1.8 rounded up).
        assert_eq!(eligible_windows(&v, 3, 0.6, false), vec![0, 1, 2]);
        // η0 = 1 needs all three valid: none.
        assert!(eligible_windows(&v, 3, 1.0, false).is_empty());
        // η0 = 0 admits every start, including the last one (5).
        assert_eq!(eligible_windows(&v, 3, 0.0, false), vec![0, 1, 2, 3, 4, 5]);
        // Faithful: must start on a valid label, and the last start (5) is skipped.
        assert_eq!(eligible_windows(&v, 3, 0.0, true), vec![1, 2, 4]);
        // Shorter than the window: nothing.
        assert!(eligible_windows(&v[..2], 3, 0.0, false).is_empty());
    }

    #[test]
    fn every_pair_satisfies_its_variant() {
        let labels = vec![
            vec![1, 2, O, 3, O, O],
            vec![O, 1, 2, O, 3, 4],
            vec![1, 2, O, 3, O, O],
            vec![O, O, O, O, O, O],
            vec![1, 2, 2],
            vec![3, 4, O],
        ];
        let valid = |k: usize| -> Vec<bool> { labels[k].iter().map(|&t| t != O).collect() };
        for variant in [Variant::Whole, Variant::Sub, Variant::LabelConstrained] {
            let pairs = candidate_pairs(variant, &labels, O, 3, 0.6, false, &mut seeded(1));
            assert!(!pairs.is_empty(), "{variant}");
            for p in &pairs {
                assert!(p.i < p.j);
                let (vi, vj) = (valid(p.i), valid(p.j));
                let n = |v: &[bool], a: usize| v[a..a + p.len].iter().filter(|&&x| x).count();
                assert!(
                    dense_enough(n(&vi, p.start_i), p.len, 0.6),
                    "{variant} {p:?}"
                );
                assert!(
                    dense_enough(n(&vj, p.start_j), p.len, 0.6),
                    "{variant} {p:?}"
                );
                match variant {
                    Variant::Whole => {
                        assert_eq!(labels[p.i].len(), labels[p.j].len());
                        assert_eq!((p.start_i, p.start_j, p.len), (0, 0, labels[p.i].len()));
                    }
                    Variant::Sub => assert_eq!(p.len, 3),
                    Variant::LabelConstrained => assert_eq!(
                        labels[p.i][p.start_i..p.start_i + 3],
                        labels[p.j][p.start_j..p.start_j + 3]
                    ),
                }
                assert!(p.i != 3 && p.j != 3, "the all-O sentence never pairs");
            }
        }
        // The same seed gives the same pairs in the same order.
        let a = candidate_pairs(Variant::Sub, &labels, O, 3, 0.6, false, &mut seeded(9));
        let b = candidate_pairs(Variant::Sub, &labels, O, 3, 0.6, false, &mut seeded(9));
        assert_eq!(a, b);
    }

    #[test]
    fn faithful_pairs_keep_the_reference_order() {
        let labels = vec![vec![1, 2, 2, O], vec![1, 2, 2, O], vec![O, 1, 2, 2]];
        let pairs = candidate_pairs(Variant::Sub, &labels, O, 3, 0.6, true, &mut seeded(1));
        let order: Vec<(usize, usize)> = pairs.iter().map(|p| (p.i, p.j)).collect();
        // Sentence 2's only window (start 1) is its last start, which the reference skips.
        assert_eq!(order, vec![(0, 1)]);
    }

    #[test]
    fn faithful_whole_pairs_count_valid_labels_not_density() {
        // Length 8 with 3 valid labels: density 0.375 < 0.6, but 3 ≥ 0.6 · 5.
        let long = |shift: usize| {
            let mut l = vec![O; 8];
            for k in 0..3 {
                l[(k + shift) % 8] = 1;
            }
            l
        };
        let labels = vec![
            long(0),
            long(4),
            vec![1, 1, O, O, O, O, O, O],
            vec![1, 1, 2],
        ];
        let paper = candidate_pairs(Variant::Whole, &labels, O, 5, 0.6, false, &mut seeded(1));
        assert!(
            paper.is_empty(),
            "no two same-length sentences are dense: {paper:?}"
        );
        let code = candidate_pairs(Variant::Whole, &labels, O, 5, 0.6, true, &mut seeded(1));
        let found: Vec<(usize, usize, usize)> = code.iter().map(|p| (p.i, p.j, p.len)).collect();
        // Sentence 2 has only 2 valid labels; sentence 3 has 3 but no partner of its length.
        assert_eq!(found, vec![(0, 1, 8)]);
    }
}
