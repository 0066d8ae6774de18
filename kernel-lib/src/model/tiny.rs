//! A tiny, randomly initialised BERT folder (`config.json`, `tokenizer.json`,
//! `model.safetensors`), written from a seed: for tests, examples and notebooks that must run
//! in seconds and without downloads. It has the layout of a real Hugging Face folder, so
//! everything that loads MiniLM loads it too.
//!
//! ```
//! use seqlab::model::tiny::write_tiny_bert;
//! use seqlab::model::embed::SentenceEmbedder;
//!
//! let dir = tempfile::tempdir()?;
//! write_tiny_bert(dir.path(), &["anna", "lives", "in", "oslo"], 7)?;
//! let e = SentenceEmbedder::load(dir.path(), &candle_core::Device::Cpu)?;
//! assert_eq!(e.embed(&["Anna lives in Oslo"])?.dims(), [1, 32]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use candle_core::{Device, Tensor};
use rand_distr::{Distribution, Normal};
use tokenizers::Tokenizer;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::template::TemplateProcessing;

use crate::error::{Error, Result};
use crate::files::write_atomic;
use crate::model::bert::BertConfig;
use crate::model::params::candle_err;

/// Hidden size of the tiny model.
pub const HIDDEN: usize = 32;
/// Layers of the tiny model.
pub const LAYERS: usize = 2;

/// Suffix pieces always in the vocabulary, so that words split into several pieces.
const SUFFIXES: [&str; 6] = ["##s", "##ed", "##ing", "##er", "##a", "##o"];

/// Writes a tiny uncased BERT into `dir`: a word-piece vocabulary of BERT's special tokens,
/// `words` (lowercased) and a few suffix pieces; 2 layers of hidden size 32; weights drawn
/// `N(0, 0.02)` from `seed`.
///
/// # Errors
/// File or tokenizer errors.
pub fn write_tiny_bert(dir: &Path, words: &[&str], seed: u64) -> Result<BertConfig> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut vocab: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for w in words
        .iter()
        .map(|w| w.to_lowercase())
        .chain(SUFFIXES.map(String::from))
    {
        if seen.insert(w.clone()) {
            vocab.push(w);
        }
    }
    for c in "abcdefghijklmnopqrstuvwxyz0123456789.,-'".chars() {
        for piece in [c.to_string(), format!("##{c}")] {
            if seen.insert(piece.clone()) {
                vocab.push(piece);
            }
        }
    }
    let vocab_path = dir.join("vocab.txt");
    write_atomic(&vocab_path, (vocab.join("\n") + "\n").as_bytes())?;
    let tok_err =
        |e: Box<dyn std::error::Error + Send + Sync>| Error::Model(format!("tokenizer: {e}"));
    let wp = WordPiece::from_file(&vocab_path.to_string_lossy())
        .unk_token("[UNK]".into())
        .build()
        .map_err(tok_err)?;
    let mut tok = Tokenizer::new(wp);
    tok.with_normalizer(Some(BertNormalizer::new(true, true, None, true)))
        .map_err(tok_err)?;
    tok.with_pre_tokenizer(Some(BertPreTokenizer));
    let id = |t: &str| vocab.iter().position(|v| v == t).expect("special token") as u32;
    let template = TemplateProcessing::builder()
        .try_single("[CLS] $A [SEP]")
        .map_err(|e| Error::Model(format!("tokenizer: {e}")))?
        .special_tokens(vec![("[CLS]", id("[CLS]")), ("[SEP]", id("[SEP]"))])
        .build()
        .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
    tok.with_post_processor(Some(template));
    let json = tok.to_string(true).map_err(tok_err)?;
    write_atomic(&dir.join("tokenizer.json"), json.as_bytes())?;

    let cfg = BertConfig {
        vocab_size: vocab.len(),
        hidden_size: HIDDEN,
        num_hidden_layers: LAYERS,
        num_attention_heads: 4,
        intermediate_size: 2 * HIDDEN,
        hidden_act: crate::model::bert::Activation::Gelu,
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        max_position_embeddings: 64,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        pad_token_id: 0,
        initializer_range: 0.02,
        position_embedding_type: Some("absolute".into()),
        model_type: Some("bert".into()),
    };
    let json = serde_json::to_string_pretty(&cfg).expect("config serializes");
    write_atomic(&dir.join("config.json"), json.as_bytes())?;

    let mut rng = crate::rng::seeded(seed);
    let normal = Normal::new(0.0f32, 0.02).expect("valid normal");
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    let mut add = |name: String, shape: &[usize], kind: u8| -> Result<()> {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = match kind {
            0 => (0..n).map(|_| normal.sample(&mut rng)).collect(),
            1 => vec![1.0; n],
            _ => vec![0.0; n],
        };
        let t = Tensor::from_vec(values, shape, &Device::Cpu).map_err(candle_err)?;
        tensors.insert(name, t);
        Ok(())
    };
    let (h, i) = (cfg.hidden_size, cfg.intermediate_size);
    add(
        "embeddings.word_embeddings.weight".into(),
        &[cfg.vocab_size, h],
        0,
    )?;
    add("embeddings.position_embeddings.weight".into(), &[64, h], 0)?;
    add("embeddings.token_type_embeddings.weight".into(), &[2, h], 0)?;
    add("embeddings.LayerNorm.weight".into(), &[h], 1)?;
    add("embeddings.LayerNorm.bias".into(), &[h], 2)?;
    for l in 0..cfg.num_hidden_layers {
        let p = |s: &str| format!("encoder.layer.{l}.{s}");
        for (name, shape) in [
            ("attention.self.query", [h, h]),
            ("attention.self.key", [h, h]),
            ("attention.self.value", [h, h]),
            ("attention.output.dense", [h, h]),
            ("intermediate.dense", [i, h]),
            ("output.dense", [h, i]),
        ] {
            add(p(&format!("{name}.weight")), &shape, 0)?;
            add(p(&format!("{name}.bias")), &[shape[0]], 2)?;
        }
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
            add(p(&format!("{ln}.weight")), &[h], 1)?;
            add(p(&format!("{ln}.bias")), &[h], 2)?;
        }
    }
    let path = dir.join("model.safetensors");
    candle_core::safetensors::save(&tensors, &path)
        .map_err(|e| Error::io(&path, std::io::Error::other(e.to_string())))?;
    Ok(cfg)
}
