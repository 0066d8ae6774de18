//! The papers' own numbers, transcribed from their text (`../shared/papers/`), to be shown
//! beside ours. Each curve names the table it comes from; nothing here is computed.
//!
//! SeqMix = Zhang, Yu & Zhang (2020), "SeqMix: Augmenting Active Sequence Labeling via Sequence
//! Mixup"; LADA = Chen et al. (2020), "Local Additivity Based Data Augmentation for
//! Semi-supervised NER". Both use BERT-base (SeqMix: bert-base-cased; LADA: BERT-base for
//! CoNLL, multilingual for GermEval); seqlab's committed runs use MiniLM-L6.

use crate::error::{Error, Result};

/// Which split a paper number was measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// The development set (SeqMix's appendix tables).
    Dev,
    /// The test set.
    Test,
}

/// A paper's numbers for one method: F1 (%) per data-usage point (labeled sentences). A curve
/// with a single point is compared with the last data-usage point of our run (the sizes of
/// a substituted corpus differ).
#[derive(Debug, Clone, PartialEq)]
pub struct PaperCurve {
    /// The run (config name) of ours that it is compared with.
    pub run: String,
    /// The method as the paper names it.
    pub label: String,
    /// Table or figure, e.g. "LADA Table 3".
    pub source: String,
    /// Split of the paper's numbers.
    pub split: Split,
    /// `(labeled sentences, F1 %)`.
    pub points: Vec<(usize, f64)>,
}

fn curve(
    run: &str,
    label: &str,
    source: &str,
    split: Split,
    points: &[(usize, f64)],
) -> PaperCurve {
    PaperCurve {
        run: run.into(),
        label: label.into(),
        source: source.into(),
        split,
        points: points.to_vec(),
    }
}

const USAGE: [usize; 6] = [200, 300, 400, 500, 600, 700];

fn usage_curve(run: &str, label: &str, f1: [f64; 6]) -> PaperCurve {
    let pts: Vec<(usize, f64)> = USAGE.iter().copied().zip(f1).collect();
    curve(run, label, "SeqMix App. Table 4", Split::Dev, &pts)
}

/// SeqMix App. Table 4 ("Validation F1 of CoNLL-03"): the four query policies and
/// sub-sequence mixup (with NTE) at 200–700 labeled sentences, bert-base-cased, mean of 5 runs.
/// Our runs: `conll-{random,lc,nte,qbc}` and `seqmix-sub`.
pub fn seqmix_app_table4() -> Vec<PaperCurve> {
    vec![
        usage_curve(
            "conll-random",
            "Random Sampling",
            [69.03, 83.28, 84.93, 85.50, 85.79, 86.62],
        ),
        usage_curve(
            "conll-lc",
            "LC Sampling",
            [69.03, 83.78, 84.55, 85.88, 86.04, 86.73],
        ),
        usage_curve(
            "conll-nte",
            "NTE Sampling",
            [69.03, 83.60, 85.00, 85.47, 86.19, 86.83],
        ),
        usage_curve(
            "conll-qbc",
            "QBC Sampling",
            [69.03, 83.33, 84.52, 85.30, 86.27, 86.60],
        ),
        usage_curve(
            "seqmix-sub",
            "Sub-sequence mixup",
            [81.69, 85.28, 85.95, 86.52, 87.07, 87.44],
        ),
    ]
}

/// LADA Table 3, BERT rows, CoNLL 2003 at 5 % (700 sentences), 10 % (1,400) and 30 % (4,200)
/// of the training set, test F1 averaged over 5 runs. Our runs: `lada-conll-{5,10,30}-METHOD`.
pub fn lada_table3_conll() -> Vec<PaperCurve> {
    let rows: [(&str, &str, [f64; 3]); 6] = [
        ("base", "BERT", [83.28, 86.85, 89.28]),
        ("intra", "BERT + Intra-LADA", [83.52, 87.54, 89.31]),
        ("inter", "BERT + Inter-LADA", [84.60, 87.81, 89.68]),
        (
            "intra-inter",
            "BERT + Intra&Inter-LADA",
            [84.85, 87.85, 89.87],
        ),
        (
            "semi-intra",
            "BERT + Semi-Intra-LADA",
            [87.15, 88.70, 89.69],
        ),
        (
            "semi-inter",
            "BERT + Semi-Inter-LADA",
            [86.51, 88.53, 90.00],
        ),
    ];
    let mut out = Vec::new();
    for (method, label, f1) in rows {
        for ((pct, size), v) in [(5, 700), (10, 1400), (30, 4200)].into_iter().zip(f1) {
            out.push(curve(
                &format!("lada-conll-{pct}-{method}"),
                label,
                "LADA Table 3",
                Split::Test,
                &[(size, v)],
            ));
        }
    }
    out
}

/// LADA Table 3, BERT rows, GermEval 2014 at 5 % (1,200 of its 24,000 training sentences),
/// multilingual BERT. seqlab's stand-in corpus is EstNER (runs `lada-estner-5-METHOD`, 5 % of
/// its own training set), so these numbers are a different language and corpus.
pub fn lada_table3_germeval_5() -> Vec<PaperCurve> {
    [
        ("base", "BERT", 79.64),
        ("intra", "BERT + Intra-LADA", 79.93),
        ("inter", "BERT + Inter-LADA", 80.13),
        ("intra-inter", "BERT + Intra&Inter-LADA", 80.17),
        ("semi-intra", "BERT + Semi-Intra-LADA", 80.95),
        ("semi-inter", "BERT + Semi-Inter-LADA", 81.20),
    ]
    .into_iter()
    .map(|(m, label, v)| {
        curve(
            &format!("lada-estner-5-{m}"),
            label,
            "LADA Table 3 (GermEval 5 %)",
            Split::Test,
            &[(1200, v)],
        )
    })
    .collect()
}

/// LADA Table 5 (sub-token labeling strategies, BERT without LADA, CoNLL at 5 %, test F1):
/// None 83.28, Real 84.15, Repeat 82.67, O 83.13. Our runs: `lada-conll-5-subtoken-{first,
/// repeat,outside}` and, for Real (seqlab's default), `lada-conll-5-base`.
pub fn lada_table5_conll() -> Vec<PaperCurve> {
    [
        ("lada-conll-5-subtoken-first", "None", 83.28),
        ("lada-conll-5-base", "Real", 84.15),
        ("lada-conll-5-subtoken-repeat", "Repeat", 82.67),
        ("lada-conll-5-subtoken-outside", "O", 83.13),
    ]
    .into_iter()
    .map(|(run, label, v)| curve(run, label, "LADA Table 5", Split::Test, &[(700, v)]))
    .collect()
}

fn table_rows(
    source: &str,
    split: Split,
    usage: &[usize],
    rows: &[(&str, &str, [f64; 6])],
) -> Vec<PaperCurve> {
    rows.iter()
        .map(|(run, label, f1)| {
            let pts: Vec<(usize, f64)> = usage.iter().copied().zip(f1.iter().copied()).collect();
            curve(run, label, source, split, &pts)
        })
        .collect()
}

/// SeqMix Table 1: test F1 of sub-sequence mixup with NTE on CoNLL-03 (200–700 sentences) for
/// the discriminator's GPT-2 perplexity ranges (0, +∞), (0, 2000), (0, 1000), (0, 500). Our
/// runs: `seqmix-disc-{none,2000,1000,500}` (absolute ranges on SmolLM2-135M's scale).
pub fn seqmix_table1() -> Vec<PaperCurve> {
    table_rows(
        "SeqMix Table 1",
        Split::Test,
        &USAGE,
        &[
            (
                "seqmix-disc-none",
                "(0, +inf)",
                [81.15, 82.32, 82.74, 83.66, 83.79, 85.05],
            ),
            (
                "seqmix-disc-2000",
                "(0, 2000)",
                [80.20, 82.24, 83.21, 83.67, 83.90, 85.11],
            ),
            (
                "seqmix-disc-1000",
                "(0, 1000)",
                [80.13, 81.86, 83.58, 84.22, 84.81, 85.16],
            ),
            (
                "seqmix-disc-500",
                "(0, 500)",
                [80.71, 82.82, 84.05, 85.28, 86.04, 86.24],
            ),
        ],
    )
}

/// SeqMix Table 2: test F1 of sub-sequence mixup with NTE on CoNLL-03 for augment rates
/// r = 0.2 … 1.0. Our runs: `seqmix-sub` (r = 0.2, the default) and `seqmix-rate-{0.4,0.6,
/// 0.8,1.0}`.
pub fn seqmix_table2() -> Vec<PaperCurve> {
    table_rows(
        "SeqMix Table 2",
        Split::Test,
        &USAGE,
        &[
            (
                "seqmix-sub",
                "r = 0.2",
                [80.22, 82.23, 83.61, 84.62, 85.16, 85.22],
            ),
            (
                "seqmix-rate-0.4",
                "r = 0.4",
                [79.71, 82.48, 82.66, 83.46, 84.79, 85.24],
            ),
            (
                "seqmix-rate-0.6",
                "r = 0.6",
                [79.40, 82.07, 83.34, 84.75, 85.43, 85.50],
            ),
            (
                "seqmix-rate-0.8",
                "r = 0.8",
                [79.48, 81.63, 82.80, 83.29, 84.54, 85.32],
            ),
            (
                "seqmix-rate-1.0",
                "r = 1.0",
                [78.51, 80.58, 82.59, 84.31, 85.36, 85.37],
            ),
        ],
    )
}

/// SeqMix §4.2 (the text on Figure 3): the average F1 gain of SeqMix for random, LC and NTE
/// sampling on CoNLL-03, `(policy, gain in points)`.
pub fn seqmix_fig3_gains() -> [(&'static str, f64); 3] {
    [("random", 2.46), ("lc", 2.85), ("nte", 2.94)]
}

/// SeqMix App. Table 5 ("Validation F1 of ACE05"), 1,000–14,000 labeled sentences. seqlab has
/// no ACE05 (no registry package ships it); the stand-in runs `estner-{random,lc,nte,qbc}` and
/// `seqmix-estner-sub` use the 200–700 protocol, so the paper's six points are matched by
/// round (round k ↔ the paper's k-th data-usage point), not by size.
pub fn seqmix_app_table5() -> Vec<PaperCurve> {
    table_rows(
        "SeqMix App. Table 5 (ACE05; rounds 0-5 = 1,000-14,000 sentences)",
        Split::Dev,
        &USAGE,
        &[
            (
                "estner-random",
                "Random Sampling",
                [48.16, 59.10, 63.13, 64.95, 66.23, 67.12],
            ),
            (
                "estner-lc",
                "LC Sampling",
                [48.16, 59.33, 63.22, 65.04, 66.24, 66.92],
            ),
            (
                "estner-nte",
                "NTE Sampling",
                [48.16, 59.72, 63.17, 65.53, 66.78, 67.24],
            ),
            (
                "estner-qbc",
                "QBC Sampling",
                [48.16, 59.01, 62.79, 64.89, 66.20, 66.91],
            ),
            (
                "seqmix-estner-sub",
                "Sub-sequence mixup",
                [56.51, 61.62, 63.65, 65.83, 67.54, 67.98],
            ),
        ],
    )
}

/// SeqMix App. Table 6 ("Validation F1 of WebPage"), 85–385 labeled sentences. Stand-in:
/// WNUT-16 with the same sizes, runs `wnut-{random,lc,nte,qbc}` and `seqmix-wnut-sub`.
pub fn seqmix_app_table6() -> Vec<PaperCurve> {
    table_rows(
        "SeqMix App. Table 6 (WebPage)",
        Split::Dev,
        &[85, 145, 205, 265, 325, 385],
        &[
            (
                "wnut-random",
                "Random Sampling",
                [0.0, 27.52, 34.41, 34.83, 37.93, 35.73],
            ),
            (
                "wnut-lc",
                "LC Sampling",
                [0.0, 28.84, 32.88, 34.22, 38.78, 38.11],
            ),
            (
                "wnut-nte",
                "NTE Sampling",
                [0.0, 22.44, 34.81, 33.74, 36.59, 38.27],
            ),
            (
                "wnut-qbc",
                "QBC Sampling",
                [0.0, 23.88, 32.18, 34.17, 36.56, 35.66],
            ),
            (
                "seqmix-wnut-sub",
                "Sub-sequence mixup",
                [14.35, 33.74, 34.70, 36.22, 39.74, 38.25],
            ),
        ],
    )
}

/// LADA Table 4 (all labeled data, CoNLL 2003 test F1, BERT rows): BERT 91.19, + Intra-LADA
/// 91.22, + Inter-LADA 91.83. Our runs: `lada-conll-full-{base,intra,inter}`.
pub fn lada_table4_conll() -> Vec<PaperCurve> {
    table4_column("conll", 14041, "LADA Table 4", [91.19, 91.22, 91.83])
}

/// LADA Table 4, GermEval 2014 column (all of its 24,000 training sentences, multilingual
/// BERT): BERT 86.12, + Intra-LADA 86.16, + Inter-LADA 86.45. seqlab's stand-in is all of
/// EstNER's training split (11,107 sentences), runs `lada-estner-full-{base,intra,inter}`: a
/// different language and corpus, as in [`lada_table3_germeval_5`].
pub fn lada_table4_germeval() -> Vec<PaperCurve> {
    table4_column(
        "estner",
        11107,
        "LADA Table 4 (GermEval)",
        [86.12, 86.16, 86.45],
    )
}

/// One column of LADA Table 4: the BERT, + Intra-LADA and + Inter-LADA rows, as runs
/// `lada-CORPUS-full-{base,intra,inter}` at `size` labeled sentences.
fn table4_column(corpus: &str, size: usize, source: &str, f1: [f64; 3]) -> Vec<PaperCurve> {
    [
        ("base", "BERT"),
        ("intra", "BERT + Intra-LADA"),
        ("inter", "BERT + Inter-LADA"),
    ]
    .into_iter()
    .zip(f1)
    .map(|((m, label), v)| {
        curve(
            &format!("lada-{corpus}-full-{m}"),
            label,
            source,
            Split::Test,
            &[(size, v)],
        )
    })
    .collect()
}

impl PaperCurve {
    /// The mean of the curve's points (the papers' "averaged by all the data usage
    /// percentiles").
    pub fn mean(&self) -> f64 {
        self.points.iter().map(|p| p.1).sum::<f64>() / self.points.len().max(1) as f64
    }
}

/// A transcribed table by name: `seqmix-app-table4`, `seqmix-app-table5`,
/// `seqmix-app-table6`, `seqmix-table1`, `seqmix-table2`, `lada-table3` (CoNLL),
/// `lada-table3-germeval`, `lada-table4`, `lada-table4-germeval`, `lada-table5`.
///
/// # Errors
/// [`Error::Config`] for another name.
pub fn by_name(name: &str) -> Result<Vec<PaperCurve>> {
    match name {
        "seqmix-app-table4" => Ok(seqmix_app_table4()),
        "lada-table3" => Ok(lada_table3_conll()),
        "lada-table3-germeval" => Ok(lada_table3_germeval_5()),
        "lada-table5" => Ok(lada_table5_conll()),
        "lada-table4" => Ok(lada_table4_conll()),
        "lada-table4-germeval" => Ok(lada_table4_germeval()),
        "seqmix-table1" => Ok(seqmix_table1()),
        "seqmix-table2" => Ok(seqmix_table2()),
        "seqmix-app-table5" => Ok(seqmix_app_table5()),
        "seqmix-app-table6" => Ok(seqmix_app_table6()),
        other => Err(Error::config(
            "paper",
            format!(
                "unknown table `{other}`; use seqmix-app-table4, seqmix-app-table5, seqmix-app-table6, seqmix-table1, seqmix-table2, lada-table3, lada-table3-germeval, lada-table4, lada-table4-germeval or lada-table5"
            ),
        )),
    }
}

/// The curves of `all` whose run is one of `runs`.
pub fn for_runs(all: Vec<PaperCurve>, runs: &[&str]) -> Vec<PaperCurve> {
    all.into_iter()
        .filter(|c| runs.contains(&c.run.as_str()))
        .collect()
}

/// The curves of grouped runs as one curve per group (`(run, group)` pairs, e.g. the 5/10/30 %
/// runs of one LADA method as `lada-conll-inter`): the members' points together, sorted by
/// size, under the group's name, so that a claim can pool the sizes. Groups with no member
/// curve are left out.
pub fn grouped(curves: &[PaperCurve], groups: &[(String, String)]) -> Vec<PaperCurve> {
    let mut out: Vec<PaperCurve> = Vec::new();
    for (run, group) in groups {
        let Some(c) = curves.iter().find(|c| &c.run == run) else {
            continue;
        };
        match out.iter_mut().find(|g| &g.run == group) {
            Some(g) => g.points.extend(c.points.iter().copied()),
            None => out.push(PaperCurve {
                run: group.clone(),
                ..c.clone()
            }),
        }
    }
    for g in &mut out {
        g.points.sort_by_key(|p| p.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_curves_pool_the_sizes_of_a_method() {
        let t3 = lada_table3_conll();
        let groups: Vec<(String, String)> = [5, 10, 30]
            .iter()
            .flat_map(|s| {
                ["base", "inter"]
                    .map(|m| (format!("lada-conll-{s}-{m}"), format!("lada-conll-{m}")))
            })
            .collect();
        let g = grouped(&t3, &groups);
        assert_eq!(g.len(), 2);
        let inter = g.iter().find(|c| c.run == "lada-conll-inter").unwrap();
        assert_eq!(
            inter.points,
            vec![(700, 84.60), (1400, 87.81), (4200, 89.68)]
        );
        assert_eq!(inter.label, "BERT + Inter-LADA");
        // The pooled claim's gain is the mean of the three sizes' gains.
        let c = crate::report::claims::Claim::from_paper(
            &g,
            "lada-conll-inter",
            "lada-conll-base",
            "pooled",
        )
        .unwrap();
        let expected = ((84.60 - 83.28) + (87.81 - 86.85) + (89.68 - 89.28)) / 3.0;
        assert!((c.paper_gain.unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn transcriptions_have_the_tables_shape() {
        let t4 = seqmix_app_table4();
        assert_eq!(t4.len(), 5);
        assert!(t4.iter().all(|c| c.points.len() == 6));
        // All policies start from the same 200-sentence model in the paper.
        assert!(t4[..4].iter().all(|c| c.points[0].1 == 69.03));
        let t3 = lada_table3_conll();
        assert_eq!(t3.len(), 18);
        let base5 = t3.iter().find(|c| c.run == "lada-conll-5-base").unwrap();
        assert_eq!(base5.points, vec![(700, 83.28)]);
        assert_eq!(for_runs(t3, &["lada-conll-30-semi-inter"]).len(), 1);
        // Table 2's last column: the average difference of r = 0.2 from the rates' mean is
        // +0.39 in the paper; the transcription must give it back.
        let t2 = seqmix_table2();
        let by_point: Vec<f64> = (0..6)
            .map(|k| t2.iter().map(|c| c.points[k].1).sum::<f64>() / 5.0)
            .collect();
        let d = t2[0]
            .points
            .iter()
            .zip(&by_point)
            .map(|(p, m)| p.1 - m)
            .sum::<f64>()
            / 6.0;
        assert!((d - 0.39).abs() < 0.01, "{d}");
        for name in [
            "seqmix-table1",
            "seqmix-app-table5",
            "seqmix-app-table6",
            "lada-table4",
        ] {
            assert!(!by_name(name).unwrap().is_empty());
        }
        // Table 4's two columns: the runs, sizes and values of each row.
        let conll = by_name("lada-table4").unwrap();
        let germeval = by_name("lada-table4-germeval").unwrap();
        assert_eq!(conll[2].run, "lada-conll-full-inter");
        assert_eq!(conll[2].points, vec![(14041, 91.83)]);
        let runs: Vec<&str> = germeval.iter().map(|c| c.run.as_str()).collect();
        assert_eq!(
            runs,
            [
                "lada-estner-full-base",
                "lada-estner-full-intra",
                "lada-estner-full-inter"
            ]
        );
        let points: Vec<(usize, f64)> = germeval.iter().flat_map(|c| c.points.clone()).collect();
        assert_eq!(points, [(11107, 86.12), (11107, 86.16), (11107, 86.45)]);
        let labels = |t: &[PaperCurve]| t.iter().map(|c| c.label.clone()).collect::<Vec<_>>();
        assert_eq!(labels(&conll), labels(&germeval));
        assert!(
            by_name("lada-table6")
                .unwrap_err()
                .to_string()
                .contains("lada-table4-germeval")
        );
    }
}
