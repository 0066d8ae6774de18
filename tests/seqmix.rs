//! SeqMix on the real corpus and models: MiniLM's token table, SmolLM2 as the discriminator,
//! the `seqlab augment` command. Skipped (with a note) when the data is not fetched; a failure
//! under CI.

mod common;

use std::process::Command;

use candle_core::Device;
use seqlab::augment::seqmix::{DiscriminatorConfig, SeqMix, SeqMixConfig, Variant, Vocabulary};
use seqlab::data::corpora::{CorpusName, data_dir, load_corpus};
use seqlab::train::TrainItem;

#[test]
fn seqmix_on_conll_with_the_smollm2_discriminator() {
    let (Some(_), Some(_), Some(_)) = (
        common::cached("conll2003/train.txt"),
        common::cached("models/all-MiniLM-L6-v2/model.safetensors"),
        common::cached("models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"),
    ) else {
        return;
    };
    let corpus = load_corpus(CorpusName::Conll2003, &data_dir()).unwrap();
    let labels = corpus.vocab();
    let batch: Vec<TrainItem> = corpus
        .train
        .subset(&"random:200:seed=3".parse().unwrap())
        .unwrap()
        .sentences
        .iter()
        .map(|s| TrainItem::from_sentence(s, &labels).unwrap())
        .collect();
    let reference: Vec<String> = corpus
        .train
        .sentences
        .iter()
        .map(|s| s.tokens.join(" "))
        .collect();
    let cache = tempfile::tempdir().unwrap();
    let model = data_dir().join("models/all-MiniLM-L6-v2");
    for (variant, vocabulary) in [
        (Variant::Sub, Vocabulary::Tokenizer),
        (Variant::Whole, Vocabulary::Corpus),
        (Variant::LabelConstrained, Vocabulary::Tokenizer),
    ] {
        let cfg = SeqMixConfig {
            variant,
            vocabulary,
            min_density: if variant == Variant::Whole { 0.3 } else { 0.6 },
            discriminator: DiscriminatorConfig::Percentile {
                low: 5.0,
                high: 60.0,
                sample: 100,
            },
            ..SeqMixConfig::default()
        };
        let mut m = SeqMix::new(
            cfg,
            &model,
            labels.clone(),
            reference.clone(),
            None,
            &Device::Cpu,
        )
        .unwrap()
        .with_ppl_cache(cache.path());
        let g = m
            .generate(&batch, None, &mut seqlab::rng::seeded(1))
            .unwrap();
        let (lo, hi) = m.discriminator().bounds().expect("calibrated");
        assert!(0.0 < lo && lo < hi, "{lo} {hi}");
        // ⌊0.2 × 200⌋ = 40 wanted; the filter may leave fewer only when pairs run out.
        assert_eq!(g.stats.target, 40);
        assert!(
            g.items.len() == 40 || g.stats.pairs_tried == g.stats.pairs_available.min(40 * 50),
            "{variant}: {:?}",
            g.stats
        );
        assert!(!g.items.is_empty(), "{variant}: {:?}", g.stats);
        let mut rejected = 0;
        for c in &g.cases {
            let ppl = c.perplexity;
            if c.accepted {
                let p = ppl.expect("scored");
                assert!(
                    lo <= p && p <= hi,
                    "{variant}: accepted PPL {p} outside {lo}..{hi}"
                );
            } else if c.rejected.as_deref() == Some("perplexity out of range") {
                let p = ppl.expect("scored");
                assert!(p < lo || p > hi);
                rejected += 1;
            }
        }
        assert_eq!(rejected, g.stats.rejected_perplexity);
        if vocabulary == Vocabulary::Corpus {
            let words: std::collections::HashSet<String> = reference
                .iter()
                .flat_map(|s| s.split(' '))
                .map(str::to_lowercase)
                .collect();
            for c in g.cases.iter().filter(|c| c.accepted) {
                for w in &c.tokens {
                    assert!(words.contains(&w.to_lowercase()), "{w:?}");
                }
            }
        }
    }
    // The calibration sample was scored once and cached.
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
}

#[test]
fn seqlab_augment_writes_case_records() {
    let (Some(_), Some(_)) = (
        common::cached("conll2003/train.txt"),
        common::cached("models/all-MiniLM-L6-v2/model.safetensors"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cases.jsonl");
    let o = Command::new(env!("CARGO_BIN_EXE_seqlab"))
        .args(["augment", "--no-filter", "--variant", "label-constrained"])
        .args(["--subset", "first:300", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("of 60 sentences generated from 300"), "{err}");
    let cases: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(cases.iter().any(|c| c["accepted"] == true));
    for c in cases.iter().filter(|c| c["accepted"] == true) {
        // Label-constrained mixup keeps hard labels: every distribution has one entry.
        for d in c["soft_labels"].as_array().unwrap() {
            assert_eq!(d.as_object().unwrap().len(), 1, "{c}");
        }
    }
    // A bad variant is refused with the option named.
    let o = Command::new(env!("CARGO_BIN_EXE_seqlab"))
        .args(["augment", "--no-filter", "--variant", "half"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--variant"));
}
