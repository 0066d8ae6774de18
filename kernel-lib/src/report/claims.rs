//! The papers' claims, checked against our runs: "method A beats baseline B by g F1". Each
//! claim names the run of ours for A and for B and the paper's gain g (stated in its text, or
//! computed from its transcribed table with [`Claim::from_paper`]).
//!
//! Ours is measured the way the papers average: per seed, the mean over the data-usage points
//! of `run − baseline`, paired by seed and round (the points of the run's most advanced seed,
//! the seeds that have them all; see [`crate::report::sweep`]); then mean ± sample std over
//! seeds. A Wilcoxon signed-rank test (two-sided) over every paired point says whether the
//! difference is more than noise. The verdict:
//!
//! - **reproduced**: our mean gain has the paper's sign and p < 0.05;
//! - **partly**: the paper's sign, but p ≥ 0.05 (or no test possible: every difference zero);
//! - **not reproduced**: no gain, or the opposite sign;
//! - **not measured yet**: no paired point.
//!
//! With n paired points the exact two-sided test cannot give p below 2 · 2⁻ⁿ
//! ([`wilcoxon_floor`]): 0.25 at 3 points, 0.0625 at 5. A claim with fewer than 6 points
//! (LADA's tables: one point per seed, 3 seeds) is therefore at best **partly**, whatever its
//! gain; the table marks such verdicts with ‡ ([`ClaimCheck::seed_limited`]) and says so.
//!
//! The magnitude is shown beside the verdict, not judged: our encoder (MiniLM-L6) is not the
//! papers' BERT-base, and gains of an augmentation shrink or grow with the encoder.
//!
//! ```
//! use seqlab::report::claims::{Claim, Verdict, check};
//! use seqlab::experiment::Results;
//! let claim = Claim::new("seqmix-sub", "conll-nte", "sub-sequence mixup beats NTE", "SeqMix §4.2")
//!     .gain(2.95);
//! // No run of either yet: nothing to compare.
//! let c = check(&claim, &[], &|r| r.test_f1);
//! assert_eq!(c.verdict, Verdict::NotMeasured);
//! assert!(c.row().contains("not measured yet"));
//! ```

use std::fmt;
use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::experiment::{Results, RoundRow};
use crate::metrics::stats::{Alternative, mean_pm_std, summarize, wilcoxon};
use crate::report::paper::PaperCurve;
use crate::report::sweep::{mean_gain, paired_rounds};

/// Significance level of the verdict.
pub const ALPHA: f64 = 0.05;

/// The smallest two-sided p the exact Wilcoxon signed-rank test can give on `points`
/// paired points: every difference non-zero and of one sign, `2 · 2⁻ⁿ` (at most 1). Zero
/// differences are dropped by the test, so the floor of a real sample is at least this.
///
/// ```
/// use seqlab::report::claims::{ALPHA, wilcoxon_floor};
/// assert_eq!(wilcoxon_floor(3), 0.25);
/// assert!(wilcoxon_floor(5) > ALPHA && wilcoxon_floor(6) < ALPHA);
/// ```
pub fn wilcoxon_floor(points: usize) -> f64 {
    if points == 0 {
        return 1.0;
    }
    (2.0 * 0.5f64.powi(points.min(1100) as i32)).min(1.0)
}

/// A claim of a paper: `run` beats `baseline` (by `paper_gain` F1 points where stated).
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// Our run measuring the method.
    pub run: String,
    /// Our run measuring the baseline.
    pub baseline: String,
    /// The claim in words.
    pub statement: String,
    /// Where the paper makes it (section, table or figure).
    pub source: String,
    /// The paper's gain in F1 points; `None`: only "better" is claimed.
    pub paper_gain: Option<f64>,
}

impl Claim {
    /// "`run` beats `baseline`", no magnitude.
    pub fn new(run: &str, baseline: &str, statement: &str, source: &str) -> Claim {
        Claim {
            run: run.into(),
            baseline: baseline.into(),
            statement: statement.into(),
            source: source.into(),
            paper_gain: None,
        }
    }

    /// The paper's gain, in F1 points (negative: the paper claims `run` is worse).
    pub fn gain(mut self, points: f64) -> Claim {
        self.paper_gain = Some(points);
        self
    }

    /// The claim a transcribed table makes: the mean over the data-usage points both curves
    /// have of `run`'s F1 minus `baseline`'s (single-point curves: that point).
    ///
    /// # Errors
    /// [`Error::Config`] when `curves` lack either run or the two share no point.
    pub fn from_paper(
        curves: &[PaperCurve],
        run: &str,
        baseline: &str,
        statement: &str,
    ) -> Result<Claim> {
        let find = |r: &str| {
            curves.iter().find(|c| c.run == r).ok_or_else(|| {
                Error::config(
                    "claims",
                    format!("the paper's table has no curve for run `{r}`"),
                )
            })
        };
        let (a, b) = (find(run)?, find(baseline)?);
        let diffs: Vec<f64> = if a.points.len() == 1 && b.points.len() == 1 {
            vec![a.points[0].1 - b.points[0].1]
        } else {
            a.points
                .iter()
                .filter_map(|&(x, v)| b.points.iter().find(|p| p.0 == x).map(|p| v - p.1))
                .collect()
        };
        if diffs.is_empty() {
            return Err(Error::config(
                "claims",
                format!("the paper's curves of `{run}` and `{baseline}` share no point"),
            ));
        }
        let source = if a.source == b.source {
            a.source.clone()
        } else {
            format!("{}; {}", a.source, b.source)
        };
        Ok(Claim::new(run, baseline, statement, &source)
            .gain(diffs.iter().sum::<f64>() / diffs.len() as f64))
    }
}

/// How our runs answer a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The paper's sign, significant.
    Reproduced,
    /// The paper's sign, not significant.
    Partly,
    /// No gain or the opposite sign.
    NotReproduced,
    /// No paired point yet.
    NotMeasured,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Partly => "partly",
            Verdict::NotReproduced => "not reproduced",
            Verdict::NotMeasured => "not measured yet",
        })
    }
}

/// A claim beside our measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimCheck {
    /// The claim.
    pub claim: Claim,
    /// Seeds paired.
    pub seeds: usize,
    /// Paired (seed, round) points.
    pub points: usize,
    /// Mean over seeds of each seed's mean gain (F1 points; NaN when not measured).
    pub mean: f64,
    /// Sample std over seeds.
    pub std: f64,
    /// Two-sided Wilcoxon signed-rank p over the paired points (`None`: no test possible).
    pub p_value: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// Measures `claim` on `runs` with `metric` (F1 in %).
pub fn check(claim: &Claim, runs: &[Results], metric: &dyn Fn(&RoundRow) -> f64) -> ClaimCheck {
    let find = |name: &str| runs.iter().find(|r| r.name == name);
    let seeds = match (find(&claim.run), find(&claim.baseline)) {
        (Some(r), Some(b)) => paired_rounds(r, Some(b), metric).0,
        _ => Vec::new(),
    };
    let gains: Vec<f64> = seeds.iter().map(|p| mean_gain(p)).collect();
    let (x, y): (Vec<f64>, Vec<f64>) = seeds.iter().flatten().copied().unzip();
    let summary = summarize(&gains).ok();
    let p_value = wilcoxon(&x, &y, Alternative::TwoSided)
        .ok()
        .map(|w| w.p_value);
    let mean = summary.map_or(f64::NAN, |s| s.mean);
    let sign = claim.paper_gain.map_or(1.0, f64::signum);
    let verdict = if summary.is_none() {
        Verdict::NotMeasured
    } else if mean * sign <= 0.0 {
        Verdict::NotReproduced
    } else if p_value.is_some_and(|p| p < ALPHA) {
        Verdict::Reproduced
    } else {
        Verdict::Partly
    };
    ClaimCheck {
        claim: claim.clone(),
        seeds: gains.len(),
        points: x.len(),
        mean,
        std: summary.map_or(0.0, |s| s.std),
        p_value,
        verdict,
    }
}

/// The header of [`ClaimCheck::row`].
pub const TABLE_HEADER: &str = "| claim | source | run − baseline | paper gain | ours: gain (mean ± std, n seeds) | paired points | Wilcoxon p | verdict |\n|---|---|---|---:|---:|---:|---:|---|\n";

impl ClaimCheck {
    /// Whether a **partly** verdict is held there by too few paired points: the paper's
    /// sign, and no p below [`ALPHA`] is possible at this many points ([`wilcoxon_floor`]).
    /// Only more seeds, not a larger gain, could change such a verdict.
    pub fn seed_limited(&self) -> bool {
        self.verdict == Verdict::Partly && wilcoxon_floor(self.points) >= ALPHA
    }

    /// One Markdown table row (see [`TABLE_HEADER`]).
    pub fn row(&self) -> String {
        let c = &self.claim;
        let paper = c
            .paper_gain
            .map_or_else(|| "better".to_string(), |g| format!("{g:+.2}"));
        let ours = if self.seeds == 0 {
            "–".to_string()
        } else {
            format!(
                "{} (n = {})",
                mean_pm_std(self.mean, self.std, self.seeds, 2, true),
                self.seeds
            )
        };
        let p = self
            .p_value
            .map_or_else(|| "–".to_string(), |p| format!("{p:.3}"));
        format!(
            "| {} | {} | {} − {} | {paper} | {ours} | {} | {p} | {}{} |",
            c.statement,
            c.source,
            c.run,
            c.baseline,
            self.points,
            self.verdict,
            if self.seed_limited() { " ‡" } else { "" }
        )
    }
}

/// The claims table (Markdown), with a note under it when a verdict is
/// [`ClaimCheck::seed_limited`].
pub fn claims_table(checks: &[ClaimCheck]) -> String {
    let mut md = String::from(TABLE_HEADER);
    for c in checks {
        let _ = writeln!(md, "{}", c.row());
    }
    if let Some(fewest) = checks
        .iter()
        .filter(|c| c.seed_limited())
        .map(|c| c.points)
        .min()
    {
        let _ = writeln!(
            md,
            "\n‡ Too few paired points for significance: with n points the exact two-sided Wilcoxon \
             p cannot fall below 2 · 2⁻ⁿ ({:.3} at {fewest}; 6 points are needed for p < {ALPHA}). \
             These verdicts are the best their seeds allow, whatever the gain: only more seeds, not a \
             larger gain, could make them reproduced.",
            wilcoxon_floor(fewest)
        );
    }
    md
}

/// The one-line verdict over all claims: `reproduced` when every measured claim is,
/// `not reproduced` when none is even partly, else `partly`; with the counts.
pub fn overall(checks: &[ClaimCheck]) -> String {
    let count = |v: Verdict| checks.iter().filter(|c| c.verdict == v).count();
    let (yes, partly, no, open) = (
        count(Verdict::Reproduced),
        count(Verdict::Partly),
        count(Verdict::NotReproduced),
        count(Verdict::NotMeasured),
    );
    let measured = yes + partly + no;
    let word = if measured == 0 {
        "not measured yet"
    } else if yes == measured {
        "reproduced"
    } else if yes + partly == 0 {
        "not reproduced"
    } else {
        "partly"
    };
    let limited = checks.iter().filter(|c| c.seed_limited()).count();
    let partly_text = if limited > 0 {
        format!("partly [{limited} of them: too few paired points for p < {ALPHA}]")
    } else {
        "partly".to_string()
    };
    let mut parts = Vec::new();
    for (k, what) in [
        (yes, "reproduced"),
        (partly, partly_text.as_str()),
        (no, "not reproduced"),
        (open, "not measured yet"),
    ] {
        if k > 0 {
            parts.push(format!("{k} {what}"));
        }
    }
    format!(
        "{word} ({} of {} claims: {})",
        measured,
        checks.len(),
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::paper::Split;

    fn results(name: &str, values: &[(u64, usize, f64)]) -> Results {
        Results {
            name: name.into(),
            rows: values
                .iter()
                .map(|&(seed, round, f1)| RoundRow {
                    seed,
                    round,
                    labeled_sentences: 200 + 100 * round,
                    test_f1: f1,
                    ..RoundRow::default()
                })
                .collect(),
            queries: Vec::new(),
            planned_rounds: 2,
        }
    }

    fn grid(name: &str, f: impl Fn(u64, usize) -> f64) -> Results {
        let v: Vec<(u64, usize, f64)> = (1..=3)
            .flat_map(|s| (0..3).map(move |r| (s, r)))
            .map(|(s, r)| (s, r, f(s, r)))
            .collect();
        results(name, &v)
    }

    #[test]
    fn a_consistent_gain_is_reproduced_and_the_opposite_sign_is_not() {
        let base = grid("base", |s, r| 70.0 + r as f64 + s as f64 * 0.1);
        let better = grid("better", |s, r| 71.0 + r as f64 + s as f64 * 0.3);
        let worse = grid("worse", |s, r| 69.5 + r as f64 - s as f64 * 0.2);
        let runs = [base, better, worse];
        let m = |r: &RoundRow| r.test_f1;
        let up = check(&Claim::new("better", "base", "b", "s").gain(2.0), &runs, &m);
        assert_eq!(up.verdict, Verdict::Reproduced, "{up:?}");
        assert_eq!((up.seeds, up.points), (3, 9));
        // Seed s gains 1 + 0.2 s: mean over seeds 1.4.
        assert!((up.mean - 1.4).abs() < 1e-9, "{}", up.mean);
        let p = up.p_value.unwrap();
        assert!(p < ALPHA, "{p}");
        let down = check(&Claim::new("worse", "base", "w", "s").gain(1.0), &runs, &m);
        assert_eq!(down.verdict, Verdict::NotReproduced);
        // A claim that the method is worse is reproduced by a loss.
        let neg = check(&Claim::new("worse", "base", "w", "s").gain(-1.0), &runs, &m);
        assert_eq!(neg.verdict, Verdict::Reproduced);
        assert_eq!(
            overall(&[up.clone(), down.clone()]),
            "partly (2 of 2 claims: 1 reproduced, 1 not reproduced)"
        );
        assert!(overall(&[down]).starts_with("not reproduced"));
        assert!(overall(&[up]).starts_with("reproduced"));
    }

    #[test]
    fn a_gain_within_the_noise_is_partly_reproduced() {
        // One seed, two points: the smallest two-sided exact p is 0.5.
        let base = results("base", &[(1, 0, 70.0), (1, 1, 75.0)]);
        let run = results("run", &[(1, 0, 70.5), (1, 1, 75.2)]);
        let c = check(
            &Claim::new("run", "base", "r", "s"),
            &[base.clone(), run],
            &|r| r.test_f1,
        );
        assert_eq!(c.verdict, Verdict::Partly);
        assert!((c.p_value.unwrap() - 0.5).abs() < 1e-12);
        // Two points can never give p < 0.05: the table and the verdict line say so.
        assert!(c.seed_limited());
        assert!(c.row().ends_with("| partly ‡ |"), "{}", c.row());
        let table = claims_table(std::slice::from_ref(&c));
        assert!(table.contains("‡ Too few paired points") && table.contains("0.500 at 2"));
        assert_eq!(
            overall(std::slice::from_ref(&c)),
            "partly (1 of 1 claims: 1 partly [1 of them: too few paired points for p < 0.05])"
        );
        // A seed of the run without the baseline's seed is not paired.
        let other = results("run", &[(2, 0, 90.0), (2, 1, 90.0)]);
        let c = check(&Claim::new("run", "base", "r", "s"), &[base, other], &|r| {
            r.test_f1
        });
        assert_eq!(c.verdict, Verdict::NotMeasured);
        assert!(overall(&[c]).starts_with("not measured yet"));
    }

    #[test]
    fn noise_over_enough_points_is_partly_but_not_limited_by_seeds() {
        let d = [0.5, -0.4, 0.3, -0.2, 0.6, -0.1, 0.2, -0.7, 0.25];
        let runs = [
            grid("base", |_, r| 70.0 + r as f64),
            grid("run", |s, r| 70.0 + r as f64 + d[(s as usize - 1) * 3 + r]),
        ];
        let c = check(&Claim::new("run", "base", "r", "s"), &runs, &|r| r.test_f1);
        assert_eq!((c.verdict, c.points), (Verdict::Partly, 9));
        // Nine points could reach p < 0.05: the gain is noise, not the seed count.
        assert!(!c.seed_limited());
        assert!(!claims_table(std::slice::from_ref(&c)).contains('‡'));
        assert_eq!(
            overall(std::slice::from_ref(&c)),
            "partly (1 of 1 claims: 1 partly)"
        );
    }

    #[test]
    fn the_papers_gain_is_the_mean_difference_over_shared_points() {
        let curve = |run: &str, pts: &[(usize, f64)]| PaperCurve {
            run: run.into(),
            label: run.into(),
            source: "T".into(),
            split: Split::Test,
            points: pts.to_vec(),
        };
        let curves = [
            curve("a", &[(200, 70.0), (300, 75.0), (400, 80.0)]),
            curve("b", &[(200, 68.0), (300, 74.0)]),
        ];
        let c = Claim::from_paper(&curves, "a", "b", "a beats b").unwrap();
        assert_eq!(c.paper_gain, Some(1.5));
        assert_eq!(c.source, "T");
        let e = Claim::from_paper(&curves, "a", "c", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`c`"), "{e}");
    }
}
