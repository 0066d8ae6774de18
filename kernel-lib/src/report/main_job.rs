//! The reproduction that the main job (`seqlab reproduce`) runs after the data and scorer
//! reports: each paper's central claim on real CoNLL-2003 with the real MiniLM encoder, cut to
//! minutes on 2 cores by [`Shrink::MAIN_JOB`] — LADA's tagger against +Intra&Inter-LADA at 5 %
//! of train, and SeqMix's NTE active learning against NTE with sub-sequence mixup. The runs
//! use the committed configs (`notebooks/configs/`), so they are the full protocol's code on
//! less data and fewer epochs; the committed `reports/lada-table3/` and
//! `reports/seqmix-fig2-conll/` hold the full protocol.

use std::path::Path;

use crate::error::Result;
use crate::report::claims::Claim;
use crate::report::notebook::{Item, Shrink};
use crate::report::paper;

/// The reports the main job writes: `reproduce-lada` and `reproduce-seqmix` in `reports`, their
/// runs in `runs` (one folder per config; a run already there is resumed, not repeated).
///
/// # Errors
/// A missing config in `notebooks/configs/`.
pub fn items(shrink: Shrink, runs: &Path, reports: &Path) -> Result<Vec<Item>> {
    let label = if shrink == Shrink::QUICK {
        "main job, quick"
    } else {
        "main job"
    };
    let cut = |full: &str| {
        format!(
            "Main job: the committed configs cut to minutes on 2 cores ({}); the full \
             protocol's report is {full}.",
            shrink.describe()
        )
    };
    let (cut_lada, cut_seqmix) = (
        cut("reports/lada-table3/"),
        cut("reports/seqmix-fig2-conll/"),
    );
    let encoder = "Encoder: all-MiniLM-L6-v2 (6 layers, uncased, plus seqlab's word-shape \
                   embeddings) instead of the paper's BERT-base; learning rate 1e-4.";
    let lada = Item::new(
        "reproduce-lada",
        "LADA at 5 % of CoNLL-2003: tagger vs +Intra&Inter (test F1)",
        &["lada-conll-5-base", "lada-conll-5-intra-inter"],
    )?
    .shrunk(shrink, label)
    .in_dirs(runs, reports.join("reproduce-lada"))
    .with_paper(paper::lada_table3_conll())
    .with_paper_claim(
        "lada-conll-5-intra-inter",
        "lada-conll-5-base",
        "+Intra&Inter beats the tagger at 5 %",
    )?
    .with_notes(&[
        &cut_lada,
        encoder,
        "The configs' protocol, before the cut: the first 700 training sentences; \
         Intra&Inter-LADA mixes at layer 4 or 5 of 6 (the paper's {8, 9, 10} of 12), kNN \
         partners k = 3, mu = 0.5.",
        "Baseline: the paper's BERT row is its original tagger, which ignores later sub-tokens \
         (\"None\": LADA Table 5 gives the same 83.28), while its LADA rows label them \
         (\"Real\"); our tagger uses Real like our LADA runs, so the gain isolates the mixup \
         (the LADA Table 5 report measures None against Real).",
    ]);
    let seqmix = Item::new(
        "reproduce-seqmix",
        "SeqMix on CoNLL-03: NTE vs NTE + sub-sequence mixup (test F1)",
        &["conll-nte", "seqmix-sub"],
    )?
    .shrunk(shrink, label)
    .in_dirs(runs, reports.join("reproduce-seqmix"))
    .with_paper(up_to(
        paper::seqmix_app_table4(),
        // The config's seed set of 200 and rounds of 100, cut.
        200.min(shrink.seed_size) + shrink.rounds * shrink.query_size.min(100),
    ))
    .with_claim(
        Claim::new(
            "seqmix-sub",
            "conll-nte",
            "sub-sequence mixup beats NTE alone, averaged over data usage",
            "SeqMix §4.2",
        )
        .gain(2.95),
    )?
    .with_notes(&[
        &cut_seqmix,
        encoder,
        "The configs' protocol, before the cut: a pool of 700 random training sentences (seed \
         1) as the paper's section 4.1, a seed set of 200, query rounds of 100 by NTE. Discriminator: SmolLM2-135M perplexity \
         instead of GPT-2. The paper's numbers are validation F1 (App. Table 4).",
    ]);
    Ok(vec![lada, seqmix])
}

/// The paper's points up to `sentences` labeled sentences (the cut runs stop there).
fn up_to(mut curves: Vec<paper::PaperCurve>, sentences: usize) -> Vec<paper::PaperCurve> {
    for c in &mut curves {
        c.points.retain(|&(n, _)| n <= sentences);
    }
    curves
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::ExperimentConfig;

    #[test]
    fn the_main_job_runs_the_committed_configs_cut_to_minutes() {
        let dir = tempfile::tempdir().unwrap();
        let items = items(Shrink::MAIN_JOB, dir.path(), dir.path()).unwrap();
        assert_eq!(items.len(), 2);
        for item in &items {
            assert_eq!(item.scale_name(), "main job");
            assert!(item.report_dir().starts_with(dir.path()));
            assert_eq!(item.claims.len(), 1, "{}", item.name);
            // Only the paper's points the cut runs reach (SeqMix: 200, 300, 400 sentences).
            let most = item.paper.iter().flat_map(|c| &c.points).map(|p| p.0).max();
            let reach = if item.name == "reproduce-lada" {
                700
            } else {
                400
            };
            assert_eq!(most, Some(reach), "{}", item.name);
            for run in &item.runs {
                let path = crate::report::repo_root().join(format!("notebooks/configs/{run}.toml"));
                let mut cfg = ExperimentConfig::from_file(&path).unwrap();
                let seed_size = cfg.active.seed_size;
                item.shrink.apply(&mut cfg);
                assert_eq!(cfg.seeds.len(), 1);
                assert!(cfg.train.epochs <= 5);
                // The paper's seed sets (700 for LADA, 200 for SeqMix) are kept.
                assert_eq!(cfg.active.seed_size, seed_size, "{run}");
                assert!(cfg.active.rounds <= 2);
                cfg.check().unwrap();
            }
        }
    }
}
