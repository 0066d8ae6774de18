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

/// A transcribed table by name: `seqmix-app-table4`, `lada-table3` (CoNLL),
/// `lada-table3-germeval`, `lada-table5`.
///
/// # Errors
/// [`Error::Config`] for another name.
pub fn by_name(name: &str) -> Result<Vec<PaperCurve>> {
    match name {
        "seqmix-app-table4" => Ok(seqmix_app_table4()),
        "lada-table3" => Ok(lada_table3_conll()),
        "lada-table3-germeval" => Ok(lada_table3_germeval_5()),
        "lada-table5" => Ok(lada_table5_conll()),
        other => Err(Error::config(
            "paper",
            format!(
                "unknown table `{other}`; use seqmix-app-table4, lada-table3, lada-table3-germeval or lada-table5"
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
