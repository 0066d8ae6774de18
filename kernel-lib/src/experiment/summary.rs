//! Summaries over seeds and between policies: learning curves as mean ± std per round, the
//! area under a learning curve, and the Wilcoxon signed-rank test between two policies over
//! matched data-usage points.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::experiment::results::RoundRow;
use crate::metrics::stats::{Alternative, Wilcoxon, mean_pm_std, summarize, wilcoxon};

/// One point of a learning curve over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Policy.
    pub policy: String,
    /// Round.
    pub round: usize,
    /// `|L|` in sentences (the mean over seeds; equal across seeds with sentence budgets).
    pub labeled_sentences: usize,
    /// `|L|` in words, the mean over seeds (policies differ in the length of the sentences
    /// they pick).
    pub labeled_tokens: f64,
    /// Seeds at this point.
    pub n: usize,
    /// Mean of the metric.
    pub mean: f64,
    /// Sample standard deviation (0 with one seed).
    pub std: f64,
}

/// Mean ± std of `metric` per (policy, round) across seeds.
pub fn learning_curve(rows: &[RoundRow], metric: impl Fn(&RoundRow) -> f64) -> Vec<CurvePoint> {
    let mut groups: BTreeMap<(String, usize), Vec<&RoundRow>> = BTreeMap::new();
    for r in rows {
        groups
            .entry((r.policy.clone(), r.round))
            .or_default()
            .push(r);
    }
    groups
        .into_iter()
        .filter_map(|((policy, round), rs)| {
            let values: Vec<f64> = rs.iter().map(|r| metric(r)).collect();
            let s = summarize(&values).ok()?;
            let labeled = rs.iter().map(|r| r.labeled_sentences).sum::<usize>() / rs.len().max(1);
            let tokens =
                rs.iter().map(|r| r.labeled_tokens as f64).sum::<f64>() / rs.len().max(1) as f64;
            Some(CurvePoint {
                policy,
                round,
                labeled_sentences: labeled,
                labeled_tokens: tokens,
                n: s.n,
                mean: s.mean,
                std: s.std,
            })
        })
        .collect()
}

/// Area under a learning curve by the trapezoid rule, divided by the width of the x range
/// (so it is a mean height, in the metric's unit). Points are sorted by x first.
///
/// # Errors
/// Fewer than two points, or all at one x.
pub fn aulc(points: &[(f64, f64)]) -> Result<f64> {
    let mut p = points.to_vec();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    let width = p.last().map_or(0.0, |l| l.0) - p.first().map_or(0.0, |f| f.0);
    if p.len() < 2 || width <= 0.0 {
        return Err(Error::Stats(
            "the area under a learning curve needs at least two distinct x values".into(),
        ));
    }
    let area: f64 = p
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum();
    Ok(area / width)
}

/// Wilcoxon signed-rank test of `metric` between two policies over points matched by
/// (seed, labeled sentences). Positive differences mean `a` is better.
///
/// # Errors
/// No matched points, or a failure of the test (e.g. all differences zero).
pub fn compare_policies(
    a: &[RoundRow],
    b: &[RoundRow],
    metric: impl Fn(&RoundRow) -> f64,
    alternative: Alternative,
) -> Result<Wilcoxon> {
    let index: BTreeMap<(u64, usize), f64> = b
        .iter()
        .map(|r| ((r.seed, r.labeled_sentences), metric(r)))
        .collect();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for r in a {
        if let Some(&v) = index.get(&(r.seed, r.labeled_sentences)) {
            x.push(metric(r));
            y.push(v);
        }
    }
    if x.is_empty() {
        return Err(Error::Stats(
            "the two policies share no (seed, labeled sentences) point".into(),
        ));
    }
    wilcoxon(&x, &y, alternative)
}

/// `| labeled sentences | NAME … |`: one row per data-usage point of any curve, one column per
/// curve, `cell` of the curve's point there (`–` where it has none).
pub fn points_table(
    curves: &[(String, Vec<CurvePoint>)],
    cell: impl Fn(&CurvePoint) -> String,
) -> String {
    use std::fmt::Write as _;
    let mut usage: Vec<usize> = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.labeled_sentences))
        .collect();
    usage.sort_unstable();
    usage.dedup();
    let mut out = String::from("| labeled sentences |");
    for (name, _) in curves {
        let _ = write!(out, " {name} |");
    }
    out.push_str("\n|---:|");
    out.push_str(&"---:|".repeat(curves.len()));
    out.push('\n');
    for u in &usage {
        let _ = write!(out, "| {u} |");
        for (_, c) in curves {
            match c.iter().find(|p| p.labeled_sentences == *u) {
                Some(p) => {
                    let _ = write!(out, " {} |", cell(p));
                }
                None => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }
    out
}

/// A Markdown table of several runs, one column per run (named after it): `metric` (e.g. test F1) mean ±
/// std over seeds per data-usage point, the area under each mean curve, and the mean wall time of one curve.
/// Partial runs are shown with the number of seeds each cell has.
pub fn markdown_table(
    runs: &[crate::experiment::Results],
    metric: impl Fn(&RoundRow) -> f64 + Copy,
) -> String {
    use std::fmt::Write as _;
    let curves: Vec<(String, Vec<CurvePoint>)> = runs
        .iter()
        .map(|r| {
            // The run's name: runs of one policy differ in what else they do (SeqMix, LADA).
            let name = if r.name.is_empty() {
                r.rows
                    .first()
                    .map_or_else(String::new, |x| x.policy.clone())
            } else {
                r.name.clone()
            };
            (name, learning_curve(&r.rows, metric))
        })
        .collect();
    let mut out = points_table(&curves, |p| {
        format!("{} (n={})", mean_pm_std(p.mean, p.std, p.n, 2, false), p.n)
    });
    let _ = write!(out, "| area under the mean curve (complete curves) |");
    for ((_, c), r) in curves.iter().zip(runs) {
        if c.len() != r.planned_rounds + 1 {
            out.push_str(" – |");
            continue;
        }
        let pts: Vec<(f64, f64)> = c
            .iter()
            .map(|p| (p.labeled_sentences as f64, p.mean))
            .collect();
        match aulc(&pts) {
            Ok(a) => {
                let _ = write!(out, " {a:.2} |");
            }
            Err(_) => out.push_str(" – |"),
        }
    }
    let _ = write!(
        out,
        "\n| wall time of one curve, min (mean over complete seeds) |"
    );
    for r in runs {
        let rounds = r.planned_rounds;
        let mut per_seed: BTreeMap<u64, (usize, f64)> = BTreeMap::new();
        for x in &r.rows {
            let e = per_seed.entry(x.seed).or_default();
            e.0 += 1;
            e.1 += x.seconds;
        }
        let complete: Vec<f64> = per_seed
            .values()
            .filter(|(n, _)| *n == rounds + 1)
            .map(|(_, s)| s / 60.0)
            .collect();
        if complete.is_empty() {
            out.push_str(" – |");
        } else {
            let m = complete.iter().sum::<f64>() / complete.len() as f64;
            let _ = write!(out, " {m:.1} |");
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A round row with only its policy, seed, round, size and test F1 set (also used by the
    /// report tests).
    pub(crate) fn row(policy: &str, seed: u64, round: usize, f1: f64) -> RoundRow {
        RoundRow {
            policy: policy.into(),
            seed,
            round,
            labeled_sentences: 200 + 100 * round,
            labeled_tokens: 0,
            augmented: 0,
            best_epoch: 1,
            dev_f1: 0.0,
            dev_weighted_f1: 0.0,
            test_precision: 0.0,
            test_recall: 0.0,
            test_f1: f1,
            test_weighted_f1: 0.0,
            test_type_f1: Vec::new(),
            train_seconds: 0.0,
            seconds: 0.0,
            paraphrase_kept: None,
        }
    }

    #[test]
    fn curves_areas_and_paired_tests() {
        let rows = [
            row("lc", 1, 0, 60.0),
            row("lc", 2, 0, 64.0),
            row("lc", 1, 1, 70.0),
        ];
        let c = learning_curve(&rows, |r| r.test_f1);
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].round, c[0].n, c[0].mean), (0, 2, 62.0));
        assert!((c[0].std - 8f64.sqrt()).abs() < 1e-12);
        // Trapezoid: ((70 + 80) / 2 · 100 + (80 + 80) / 2 · 100) / 200 = 77.5.
        let a = aulc(&[(300.0, 80.0), (200.0, 70.0), (400.0, 80.0)]).unwrap();
        assert!((a - 77.5).abs() < 1e-12);
        assert!(aulc(&[(1.0, 2.0)]).is_err());
        let a: Vec<RoundRow> = (0..6).map(|k| row("lc", 1, k, 70.0 + k as f64)).collect();
        let b: Vec<RoundRow> = (0..6)
            .map(|k| row("random", 1, k, 69.0 + 0.5 * k as f64))
            .collect();
        let w = compare_policies(&a, &b, |r| r.test_f1, Alternative::Greater).unwrap();
        assert_eq!(w.n, 6);
        assert!(w.p_value < 0.05, "{w:?}");
    }

    #[test]
    fn the_markdown_table_marks_partial_runs() {
        use crate::experiment::Results;
        // lc: two seeds, complete (rounds 0..=1); random: one seed, round 0 only.
        let mut lc = vec![
            row("lc", 1, 0, 60.0),
            row("lc", 1, 1, 70.0),
            row("lc", 2, 0, 62.0),
            row("lc", 2, 1, 72.0),
        ];
        lc.iter_mut().for_each(|r| r.seconds = 60.0);
        let random = vec![row("random", 1, 0, 58.0)];
        // (random's curve is incomplete: no area.)
        let t = markdown_table(
            &[
                Results::new("a".into(), lc, Vec::new(), 1),
                Results::new("b".into(), random, Vec::new(), 1),
            ],
            |r| r.test_f1,
        );
        assert!(
            t.contains("| 200 | 61.00 ± 1.41 (n=2) | 58.00 (n=1) |"),
            "{t}"
        );
        assert!(t.contains("| 300 | 71.00 ± 1.41 (n=2) | – |"), "{t}");
        assert!(t.contains("| 66.00 | – |"), "area: {t}");
        assert!(t.contains("| 2.0 | – |"), "wall time: {t}");
        assert!(t.starts_with("| labeled sentences | a | b |"), "{t}");
    }
}
