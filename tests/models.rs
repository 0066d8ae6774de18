//! The BERT encoder against PyTorch + transformers on the real all-MiniLM-L6-v2 weights.
//!
//! Reference numbers: `tests/reference/minilm_reference.json`, written by
//! `tests/reference/bert_reference.py` (torch 2.15.0, transformers 5.23.0, eager attention).

mod common;

use candle_core::{Device, IndexOp, Tensor};
use serde::Deserialize;

use seqlab::encoding::{LongPolicy, WordTokenizer};
use seqlab::model::embed::{SentenceEmbedder, knn};
use seqlab::model::{BertConfig, BertEncoder, EncoderInput, ParamStore, Pass};

#[derive(Deserialize)]
struct Reference {
    cos_food_bread: f32,
    sentences: Vec<RefSentence>,
}

#[derive(Deserialize)]
struct RefSentence {
    text: String,
    ids: Vec<u32>,
    layer3: Vec<Vec<f32>>,
    last: Vec<Vec<f32>>,
    embedding: Vec<f32>,
}

fn reference() -> Reference {
    let path = common::repo().join("tests/reference/minilm_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn minilm() -> Option<std::path::PathBuf> {
    common::cached("models/all-MiniLM-L6-v2/model.safetensors")
        .map(|p| p.parent().unwrap().to_path_buf())
}

fn encoder(dir: &std::path::Path, trainable: bool) -> (BertEncoder, ParamStore) {
    let cfg = BertConfig::from_file(&dir.join("config.json")).unwrap();
    let store = ParamStore::load_encoder(
        &dir.join("model.safetensors"),
        &Device::Cpu,
        trainable,
        |_| false,
    )
    .unwrap();
    (BertEncoder::load(store.var_builder(), &cfg).unwrap(), store)
}

fn max_abs_diff(a: &Tensor, b: &[Vec<f32>]) -> f32 {
    let a: Vec<Vec<f32>> = a.to_vec2().unwrap();
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f32::max)
}

#[test]
fn tokenizer_matches_hugging_face() {
    let Some(dir) = minilm() else { return };
    let tok =
        WordTokenizer::from_file(&dir.join("tokenizer.json"), 512, LongPolicy::Split).unwrap();
    for s in reference().sentences {
        assert_eq!(tok.encode_text(&s.text).unwrap(), s.ids, "{}", s.text);
        // Given as whitespace-separated words, the pieces are the same.
        let words: Vec<&str> = s.text.split_whitespace().collect();
        let (chunks, stats) = tok.encode_words(&words).unwrap();
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].ids, s.ids, "{}", s.text);
        assert_eq!(stats.split + stats.unknown_words, 0);
        let firsts = chunks[0].first_positions();
        assert_eq!(firsts.len(), words.len());
    }
}

#[test]
fn hidden_states_match_pytorch_within_1e4() {
    let Some(dir) = minilm() else { return };
    let (enc, _) = encoder(&dir, false);
    let reference = reference();
    for s in &reference.sentences {
        let ids = Tensor::new(s.ids.as_slice(), &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let mask = ids
            .ones_like()
            .unwrap()
            .to_dtype(candle_core::DType::F32)
            .unwrap();
        let input = EncoderInput::new(&ids, &mask);
        let all = enc.forward_all(&input, &mut Pass::eval()).unwrap();
        let last = max_abs_diff(&all[6].i(0).unwrap(), &s.last);
        let l3 = max_abs_diff(&all[3].i(0).unwrap(), &s.layer3);
        eprintln!("{:?}: max |Δ| last {last:.2e}, layer 3 {l3:.2e}", s.text);
        assert!(
            last <= 1e-4,
            "{}: last hidden state differs by {last}",
            s.text
        );
        assert!(l3 <= 1e-4, "{}: layer 3 differs by {l3}", s.text);
        // The differentiable (training) path computes the same function.
        let slow = enc
            .forward(&EncoderInput::new(&ids, &mask), &mut Pass::grad_only())
            .unwrap();
        let d = max_abs_diff(&slow.i(0).unwrap(), &s.last);
        assert!(d <= 1e-4, "{}: training path differs by {d}", s.text);
        // Running layers 0..3 then 3..6 is the full forward pass.
        let bias = BertEncoder::attention_bias(&mask).unwrap();
        let h3 = enc
            .run_layers(
                &enc.embed(&input, &mut Pass::eval()).unwrap(),
                &bias,
                0..3,
                &mut Pass::eval(),
            )
            .unwrap();
        let h6 = enc.run_layers(&h3, &bias, 3..6, &mut Pass::eval()).unwrap();
        assert!(max_abs_diff(&h6.i(0).unwrap(), &s.last) <= 1e-4);
    }
}

#[test]
fn padded_batches_equal_single_sentences() {
    let Some(dir) = minilm() else { return };
    let (enc, _) = encoder(&dir, false);
    let reference = reference();
    let t = reference
        .sentences
        .iter()
        .map(|s| s.ids.len())
        .max()
        .unwrap();
    let mut ids = Vec::new();
    let mut mask = Vec::new();
    for s in &reference.sentences {
        for j in 0..t {
            ids.push(*s.ids.get(j).unwrap_or(&0));
            mask.push(if j < s.ids.len() { 1f32 } else { 0. });
        }
    }
    let n = reference.sentences.len();
    let ids = Tensor::from_vec(ids, (n, t), &Device::Cpu).unwrap();
    let mask = Tensor::from_vec(mask, (n, t), &Device::Cpu).unwrap();
    let out = enc
        .forward(&EncoderInput::new(&ids, &mask), &mut Pass::eval())
        .unwrap();
    for (k, s) in reference.sentences.iter().enumerate() {
        let real = out.i((k, 0..s.ids.len())).unwrap();
        let d = max_abs_diff(&real, &s.last);
        assert!(d <= 1e-4, "{}: padded batch differs by {d}", s.text);
    }
}

#[test]
fn gradients_reach_the_embeddings() {
    let Some(dir) = minilm() else { return };
    let (enc, store) = encoder(&dir, true);
    let s = &reference().sentences[0];
    let ids = Tensor::new(s.ids.as_slice(), &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let mask = ids
        .ones_like()
        .unwrap()
        .to_dtype(candle_core::DType::F32)
        .unwrap();
    let out = enc
        .forward(&EncoderInput::new(&ids, &mask), &mut Pass::grad_only())
        .unwrap();
    let grads = out.sqr().unwrap().mean_all().unwrap().backward().unwrap();
    for name in [
        "embeddings.word_embeddings.weight",
        "embeddings.LayerNorm.weight",
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.5.output.dense.weight",
    ] {
        let g = grads
            .get(&store.vars()[name])
            .unwrap_or_else(|| panic!("no gradient for {name}"));
        let norm = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(norm > 0.0, "{name} gradient is zero");
    }
}

#[test]
fn sentence_embeddings_match_sentence_transformers() {
    let Some(dir) = minilm() else { return };
    let emb = SentenceEmbedder::load(&dir, &Device::Cpu).unwrap();
    let reference = reference();
    let texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let e = emb.embed(&texts).unwrap();
    let rows: Vec<Vec<f32>> = e.to_vec2().unwrap();
    for (row, s) in rows.iter().zip(&reference.sentences) {
        let d = row
            .iter()
            .zip(&s.embedding)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(d <= 1e-4, "{}: embedding differs by {d}", s.text);
    }
    let cos: f32 = rows[0].iter().zip(&rows[1]).map(|(a, b)| a * b).sum();
    eprintln!("cos(food, bread) = {cos:.6}");
    assert!((cos - 0.7553).abs() <= 1e-3, "cos = {cos}");
    assert!((cos - reference.cos_food_bread).abs() <= 1e-5);
    // The bread sentence is the food sentence's nearest neighbour.
    let nn = knn(&e, &e, 1, true).unwrap();
    assert_eq!(nn[0][0].index, 1);
}
