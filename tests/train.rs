//! Training and prediction with a tiny random BERT (no downloads): soft labels, determinism,
//! model selection, early stopping, save/load, long sentences, casing.

mod common;

use candle_core::Device;

use seqlab::data::{ConllFormat, Dataset, LabelVocab, TagScheme, read_conll};
use seqlab::encoding::Casing;
use seqlab::metrics::Mode;
use seqlab::model::tiny::write_tiny_bert;
use seqlab::train::{
    Decode, Selection, Tagger, TaggerOptions, TrainConfig, TrainItem, evaluate, fit,
};

fn fixture() -> Dataset {
    read_conll(&common::fixture("conll_iob2.txt"), &ConllFormat::default()).unwrap()
}

/// A tiny model folder whose vocabulary holds the fixture's words.
fn tiny_model() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let words: Vec<String> = fixture()
        .sentences
        .iter()
        .flat_map(|s| s.tokens.iter().map(|t| t.to_lowercase()))
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    write_tiny_bert(dir.path(), &words, 3).unwrap();
    dir
}

fn tagger(dir: &std::path::Path, seed: u64, options: &TaggerOptions) -> Tagger {
    let vocab = fixture().vocab();
    let mut rng = seqlab::rng::seeded(seed);
    Tagger::from_pretrained(dir, vocab, TagScheme::Iob2, options, &Device::Cpu, &mut rng).unwrap()
}

fn items(d: &Dataset, vocab: &LabelVocab) -> Vec<TrainItem> {
    d.sentences
        .iter()
        .map(|s| TrainItem::from_sentence(s, vocab))
        .collect::<seqlab::Result<_>>()
        .unwrap()
}

fn quick(epochs: usize, lr: f64) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 8,
        learning_rate: lr,
        warmup_ratio: 0.0,
        selection: Selection::Last,
        ..TrainConfig::default()
    }
}

fn weights(t: &Tagger) -> Vec<(String, Vec<f32>)> {
    t.store()
        .tensors()
        .iter()
        .map(|(k, v)| (k.clone(), v.flatten_all().unwrap().to_vec1().unwrap()))
        .collect()
}

#[test]
fn a_soft_labeled_example_changes_the_weights() {
    let dir = tiny_model();
    let opts = TaggerOptions::default();
    let vocab = fixture().vocab();
    let words: Vec<String> = ["anna", "lives", "in", "oslo"].map(String::from).to_vec();
    let c = vocab.len();
    let soft = |main: &str, other: &str, w: f32| {
        let mut d = vec![0f32; c];
        d[vocab.id(main).unwrap()] = w;
        d[vocab.id(other).unwrap()] += 1.0 - w;
        d
    };
    let soft_item = TrainItem {
        tokens: words.clone(),
        targets: vec![
            soft("B-PER", "B-LOC", 0.6),
            soft("O", "O", 1.0),
            soft("O", "O", 1.0),
            soft("B-LOC", "B-PER", 0.7),
        ],
    };
    let hard_item = TrainItem {
        tokens: words,
        targets: vec![
            soft("B-PER", "B-PER", 1.0),
            soft("O", "O", 1.0),
            soft("O", "O", 1.0),
            soft("B-LOC", "B-LOC", 1.0),
        ],
    };
    let t0 = tagger(dir.path(), 1, &opts);
    let before = weights(&t0);
    let soft_tagger = tagger(dir.path(), 1, &opts);
    let mut rng = seqlab::rng::seeded(5);
    fit(
        &soft_tagger,
        &[soft_item],
        None,
        &quick(1, 1e-3),
        &mut rng,
        &mut |_| {},
    )
    .unwrap();
    let after_soft = weights(&soft_tagger);
    let hard_tagger = tagger(dir.path(), 1, &opts);
    let mut rng = seqlab::rng::seeded(5);
    fit(
        &hard_tagger,
        &[hard_item],
        None,
        &quick(1, 1e-3),
        &mut rng,
        &mut |_| {},
    )
    .unwrap();
    let after_hard = weights(&hard_tagger);
    for name in [
        "classifier.weight",
        "encoder.layer.0.attention.self.query.weight",
        "embeddings.word_embeddings.weight",
    ] {
        let get = |w: &[(String, Vec<f32>)]| w.iter().find(|(k, _)| k == name).unwrap().1.clone();
        assert_ne!(get(&before), get(&after_soft), "{name} did not move");
        assert_ne!(
            get(&after_soft),
            get(&after_hard),
            "{name}: soft and hard labels gave the same update"
        );
    }
}

#[test]
fn same_seed_same_weights() {
    let dir = tiny_model();
    let d = fixture();
    let run = || {
        let t = tagger(dir.path(), 7, &TaggerOptions::default());
        let mut rng = seqlab::rng::seeded(11);
        fit(
            &t,
            &items(&d, &d.vocab()),
            None,
            &quick(2, 1e-3),
            &mut rng,
            &mut |_| {},
        )
        .unwrap();
        weights(&t)
    };
    assert_eq!(run(), run());
}

#[test]
fn training_learns_the_fixture_and_model_selection_keeps_the_best_epoch() {
    let dir = tiny_model();
    let d = fixture();
    let t = tagger(dir.path(), 1, &TaggerOptions::default());
    let cfg = TrainConfig {
        selection: Selection::DevF1,
        ..quick(40, 3e-3)
    };
    let mut rng = seqlab::rng::seeded(2);
    let report = fit(
        &t,
        &items(&d, &d.vocab()),
        Some(&d),
        &cfg,
        &mut rng,
        &mut |_| {},
    )
    .unwrap();
    let f1s: Vec<f64> = report.epochs.iter().map(|e| e.dev.unwrap().f1).collect();
    let best = f1s.iter().cloned().fold(f64::MIN, f64::max);
    let first_best = f1s.iter().position(|&f| f == best).unwrap() + 1;
    assert_eq!(report.best_epoch, first_best);
    // The weights held are the best epoch's: evaluating again gives its F1.
    let e = evaluate(&t, &d, Mode::Conlleval, Decode::Argmax, 16).unwrap();
    assert!(
        (e.scores.micro().f1 - best).abs() < 1e-9,
        "{} vs {best}",
        e.scores.micro().f1
    );
    assert!(
        best > 0.9,
        "a 20-sentence training set should be memorized, got {best}"
    );
}

#[test]
fn early_stopping_stops() {
    let dir = tiny_model();
    let d = fixture();
    let t = tagger(dir.path(), 1, &TaggerOptions::default());
    let cfg = TrainConfig {
        selection: Selection::TrainLoss,
        patience: Some(1),
        ..quick(10, 1e-12)
    };
    let mut rng = seqlab::rng::seeded(2);
    let mut losses = Vec::new();
    let report = fit(&t, &items(&d, &d.vocab()), None, &cfg, &mut rng, &mut |e| {
        losses.push(e.train_loss)
    })
    .unwrap();
    // With a learning rate of 1e-12 the loss only moves by dropout noise: training stops as
    // soon as an epoch fails to improve on the best one.
    assert!(report.stopped_early);
    assert!(report.epochs.len() < 10, "{losses:?}");
}

#[test]
fn save_and_load_give_the_same_predictions() {
    let dir = tiny_model();
    let d = fixture();
    let t = tagger(dir.path(), 1, &TaggerOptions::default());
    let mut rng = seqlab::rng::seeded(2);
    fit(
        &t,
        &items(&d, &d.vocab()),
        None,
        &quick(2, 1e-3),
        &mut rng,
        &mut |_| {},
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    t.save(out.path()).unwrap();
    let back = Tagger::load(out.path(), &Device::Cpu).unwrap();
    let words: Vec<Vec<&str>> = d
        .sentences
        .iter()
        .map(|s| s.tokens.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        t.predict(&words, 8).unwrap(),
        back.predict(&words, 8).unwrap()
    );
    assert_eq!(back.config(), t.config());
}

#[test]
fn long_sentences_are_split_and_every_word_is_predicted() {
    let dir = tiny_model();
    let opts = TaggerOptions {
        max_pieces: Some(8),
        ..TaggerOptions::default()
    };
    let t = tagger(dir.path(), 1, &opts);
    let d = fixture();
    let long = d.sentences.iter().max_by_key(|s| s.len()).unwrap();
    assert!(long.len() > 6);
    let (examples, stats) = t.examples(&items(&d, &d.vocab())).unwrap();
    assert!(stats.split > 0 && stats.warning().is_some());
    assert!(examples.iter().all(|e| e.chunk.len() <= 8));
    let p = t.predict(std::slice::from_ref(&long.tokens), 4).unwrap();
    assert_eq!(p[0].len(), long.len());
}

#[test]
fn casing_is_automatic_for_lowercasing_tokenizers() {
    let dir = tiny_model();
    let on = tagger(dir.path(), 1, &TaggerOptions::default());
    assert!(on.config().casing, "the tiny tokenizer lowercases");
    assert!(
        on.store()
            .vars()
            .contains_key("embeddings.case_embeddings.weight")
    );
    let off = tagger(
        dir.path(),
        1,
        &TaggerOptions {
            casing: Casing::Off,
            ..TaggerOptions::default()
        },
    );
    assert!(!off.config().casing);
    // Zero-initialised: before training, casing changes no prediction.
    let words = vec![vec!["Anna", "lives", "in", "Oslo"]];
    assert_eq!(
        on.predict(&words, 4).unwrap(),
        off.predict(&words, 4).unwrap()
    );
}
