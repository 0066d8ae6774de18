//! Causal language models: GPT-2 against PyTorch + transformers, SmolLM2 as a plausibility
//! scorer on real CoNLL sentences.

mod common;

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use rand::seq::SliceRandom;
use serde::Deserialize;

use seqlab::data::corpora::{CorpusName, load_corpus};
use seqlab::model::CausalLm;
use seqlab::model::gpt2::{Gpt2, Gpt2Config, load_bpe_tokenizer};
use seqlab::model::llama::QuantizedLlama;
use seqlab::model::lm::perplexity_of;

#[derive(Deserialize)]
struct Reference {
    config: Gpt2Config,
    sentences: Vec<RefSentence>,
}

#[derive(Deserialize)]
struct RefSentence {
    text: String,
    ids: Vec<u32>,
    logprobs: Vec<f32>,
    perplexity: f64,
}

fn reference() -> Reference {
    let p = common::repo().join("tests/reference/gpt2_reference.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The weights of `tests/reference/gpt2_reference.py::value`, tensor by tensor.
fn formula_weights(cfg: &Gpt2Config) -> HashMap<String, Tensor> {
    let (v, p, c) = (cfg.vocab_size, cfg.n_positions, cfg.n_embd);
    let mut shapes: Vec<(String, Vec<usize>)> = vec![
        ("wte.weight".into(), vec![v, c]),
        ("wpe.weight".into(), vec![p, c]),
    ];
    for i in 0..cfg.n_layer {
        let h = |s: &str| format!("h.{i}.{s}");
        for (name, shape) in [
            ("ln_1.weight", vec![c]),
            ("ln_1.bias", vec![c]),
            ("attn.c_attn.weight", vec![c, 3 * c]),
            ("attn.c_attn.bias", vec![3 * c]),
            ("attn.c_proj.weight", vec![c, c]),
            ("attn.c_proj.bias", vec![c]),
            ("ln_2.weight", vec![c]),
            ("ln_2.bias", vec![c]),
            ("mlp.c_fc.weight", vec![c, 4 * c]),
            ("mlp.c_fc.bias", vec![4 * c]),
            ("mlp.c_proj.weight", vec![4 * c, c]),
            ("mlp.c_proj.bias", vec![c]),
        ] {
            shapes.push((h(name), shape));
        }
    }
    shapes.push(("ln_f.weight".into(), vec![c]));
    shapes.push(("ln_f.bias".into(), vec![c]));
    shapes
        .into_iter()
        .map(|(name, shape)| {
            let n: usize = shape.iter().product();
            let seed = (name.bytes().map(u32::from).sum::<u32>() % 97) as f64;
            let values: Vec<f32> = (0..n)
                .map(|i| {
                    let i = i as f64;
                    let v = if name.ends_with("ln_1.weight")
                        || name.ends_with("ln_2.weight")
                        || name.ends_with("ln_f.weight")
                    {
                        1.0 + 0.1 * (0.37 * i + seed).sin()
                    } else if name.ends_with(".bias") {
                        0.01 * (0.37 * i + seed).sin()
                    } else {
                        0.05 * (0.61 * i + seed).sin()
                    };
                    v as f32
                })
                .collect();
            let t = Tensor::from_vec(values, shape, &Device::Cpu).unwrap();
            (name, t)
        })
        .collect()
}

#[test]
fn gpt2_logprobs_match_pytorch() {
    let r = reference();
    let vb = VarBuilder::from_tensors(formula_weights(&r.config), DType::F32, &Device::Cpu);
    let model = Gpt2::from_var_builder(vb, &r.config).unwrap();
    let seqs: Vec<Vec<u32>> = r.sentences.iter().map(|s| s.ids.clone()).collect();
    let got = model.token_logprobs(&seqs).unwrap();
    for (g, s) in got.iter().zip(&r.sentences) {
        let d = g
            .iter()
            .zip(&s.logprobs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(d <= 1e-4, "{:?}: log-probabilities differ by {d}", s.text);
        let ppl = perplexity_of(g);
        assert!(
            ((ppl - s.perplexity) / s.perplexity).abs() < 1e-4,
            "{ppl} vs {}",
            s.perplexity
        );
    }
}

#[test]
fn gpt2_tokenizer_matches_openai_bpe() {
    let Some(vocab) = common::cached("models/gpt2-tokenizer/vocab.json") else {
        return;
    };
    let tok = load_bpe_tokenizer(vocab.parent().unwrap()).unwrap();
    for s in reference().sentences {
        let ids = tok
            .encode(s.text.as_str(), false)
            .unwrap()
            .get_ids()
            .to_vec();
        assert_eq!(ids, s.ids, "{}", s.text);
    }
}

#[test]
fn smollm2_prefers_fluent_sentences() {
    let (Some(gguf), Some(_)) = (
        common::cached("models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"),
        common::cached("conll2003/train.txt"),
    ) else {
        return;
    };
    let lm = QuantizedLlama::load(&gguf, &Device::Cpu).unwrap();
    // The tokenizer round-trips text and splits digits one by one (SmolLM2's pre-tokenizer).
    let text = "Prices rose 3.5 percent in 1996, officials said.";
    let ids = lm.encode(text).unwrap();
    assert_eq!(lm.tokenizer().decode(&ids, false).unwrap(), text);
    let digits = lm.encode("1996").unwrap();
    assert_eq!(digits.len(), 4, "digits are single tokens: {digits:?}");

    let corpus = load_corpus(CorpusName::Conll2003, &seqlab::data::data_dir()).unwrap();
    let mut rng = seqlab::rng::seeded(9);
    let mut fluent = Vec::new();
    let mut shuffled = Vec::new();
    for s in corpus
        .train
        .sentences
        .iter()
        .filter(|s| s.len() >= 6)
        .take(200)
    {
        fluent.push(s.tokens.join(" "));
        let mut words = s.tokens.clone();
        while words == s.tokens {
            words.shuffle(&mut rng);
        }
        shuffled.push(words.join(" "));
    }
    let pf = lm.perplexity(&as_strs(&fluent)).unwrap();
    let ps = lm.perplexity(&as_strs(&shuffled)).unwrap();
    let wins = pf.iter().zip(&ps).filter(|(f, s)| f < s).count();
    eprintln!(
        "SmolLM2: fluent < shuffled in {wins}/200; median PPL fluent {:.0}, shuffled {:.0}",
        median(&pf),
        median(&ps)
    );
    assert!(wins >= 190, "only {wins}/200 fluent sentences scored lower");
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}
