//! A BERT encoder that exposes its layers.
//!
//! LADA runs layers `1..=m` on two sentences, mixes the hidden states, and continues with
//! layers `m+1..=L` (LADA §3.1); so besides [`BertEncoder::forward`]
//! the encoder offers [`BertEncoder::embed`], [`BertEncoder::run_layers`] over any range,
//! [`BertEncoder::forward_all`] (every hidden state), and takes any `[B, T]` attention mask,
//! e.g. the union of two sentences' masks.
//!
//! It reads any Hugging Face BERT folder: `config.json` ([`BertConfig`], serde mirror of HF's
//! `BertConfig`) and `model.safetensors` with the standard tensor names, with or without the
//! `bert.` prefix of `BertForTokenClassification` checkpoints and with the legacy `gamma`/`beta`
//! LayerNorm names. Verified on all-MiniLM-L6-v2; bert-base-cased and mBERT use the same layout.
//!
//! Hidden-state numbering follows HF's `output_hidden_states`: `h[0]` is the embedding output,
//! `h[l]` the output of layer `l` (1-based).

use std::ops::Range;
use std::path::Path;

use candle_core::{DType, Device, Result as CResult, Tensor};
use candle_nn::{Embedding, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::attention::fused_attention;
use crate::model::kernels;
use crate::model::ops::{LayerNorm, Linear, Pass, softmax_last};

/// The activation of the feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// Exact GELU (`0.5·x·(1 + erf(x/√2))`), BERT's default.
    Gelu,
    /// The tanh approximation (`gelu_new` in HF).
    #[serde(alias = "gelu_pytorch_tanh")]
    GeluNew,
    /// ReLU.
    Relu,
}

impl Activation {
    fn apply(self, x: &Tensor) -> CResult<Tensor> {
        match self {
            Activation::Gelu => crate::model::kernels::gelu(x),
            Activation::GeluNew => x.gelu(),
            Activation::Relu => x.relu(),
        }
    }
}

fn default_act() -> Activation {
    Activation::Gelu
}
fn default_dropout() -> f64 {
    0.1
}
fn default_positions() -> usize {
    512
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}
fn default_init_range() -> f64 {
    0.02
}

/// BERT hyper-parameters, read from HF's `config.json` (unknown keys are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    /// Word-piece vocabulary size.
    pub vocab_size: usize,
    /// Hidden size `H`.
    pub hidden_size: usize,
    /// Number of layers `L`.
    pub num_hidden_layers: usize,
    /// Attention heads (must divide `H`).
    pub num_attention_heads: usize,
    /// Feed-forward size.
    pub intermediate_size: usize,
    /// Feed-forward activation.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout after embeddings and each sub-layer.
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Dropout on attention probabilities.
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Longest input in word pieces.
    #[serde(default = "default_positions")]
    pub max_position_embeddings: usize,
    /// Number of token types (segments).
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    /// LayerNorm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// Padding token id.
    #[serde(default)]
    pub pad_token_id: u32,
    /// Std of the normal initialisation of new weights (e.g. a tagging head).
    #[serde(default = "default_init_range")]
    pub initializer_range: f64,
    /// Only `absolute` is supported.
    #[serde(default)]
    pub position_embedding_type: Option<String>,
    /// HF's `model_type`, kept for provenance.
    #[serde(default)]
    pub model_type: Option<String>,
}

impl BertConfig {
    /// Reads and checks `config.json`.
    ///
    /// # Errors
    /// Unreadable or invalid JSON, or values that cannot describe a BERT encoder.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let cfg: BertConfig = serde_json::from_str(&text).map_err(|e| {
            Error::input(
                crate::Location::in_path(path, e.line()),
                "config",
                e.to_string(),
                "expected a Hugging Face BERT config.json",
            )
        })?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Checks that the values describe a usable encoder.
    ///
    /// # Errors
    /// [`Error::Config`] naming the offending field.
    pub fn check(&self) -> Result<()> {
        let positive = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(Error::config(name, "must be at least 1"));
            }
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(Error::config(
                "num_attention_heads",
                format!(
                    "{} does not divide hidden_size {}",
                    self.num_attention_heads, self.hidden_size
                ),
            ));
        }
        for (name, p) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            (
                "attention_probs_dropout_prob",
                self.attention_probs_dropout_prob,
            ),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(Error::config(name, format!("{p} is outside [0, 1)")));
            }
        }
        match self.position_embedding_type.as_deref() {
            None | Some("absolute") => Ok(()),
            Some(other) => Err(Error::config(
                "position_embedding_type",
                format!("{other:?} is not supported; only \"absolute\""),
            )),
        }
    }

    /// Size of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

/// What the encoder reads.
#[derive(Debug, Clone, Copy)]
pub struct EncoderInput<'a> {
    /// Piece ids, `[B, T]` u32.
    pub ids: &'a Tensor,
    /// 1 for real pieces, 0 for padding, `[B, T]`.
    pub mask: &'a Tensor,
    /// Segment ids `[B, T]` u32 (all 0 when `None`).
    pub type_ids: Option<&'a Tensor>,
    /// Word-shape ids `[B, T]` u32 for the case embeddings (see
    /// [`crate::encoding::casing`]); ignored when the encoder has none.
    pub case_ids: Option<&'a Tensor>,
}

impl<'a> EncoderInput<'a> {
    /// Ids and mask, no segments, no shapes.
    pub fn new(ids: &'a Tensor, mask: &'a Tensor) -> Self {
        EncoderInput {
            ids,
            mask,
            type_ids: None,
            case_ids: None,
        }
    }
}

/// Token, position and segment embeddings (plus optional word-shape embeddings), summed and
/// normalised.
#[derive(Debug, Clone)]
pub struct BertEmbeddings {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    case: Option<Embedding>,
    layer_norm: LayerNorm,
    dropout: f64,
}

impl BertEmbeddings {
    /// Loads from `vb` (`embeddings.*`).
    pub fn load(vb: VarBuilder, cfg: &BertConfig) -> CResult<Self> {
        let h = cfg.hidden_size;
        let emb = |name: &str, n: usize| -> CResult<Embedding> {
            Ok(Embedding::new(vb.pp(name).get((n, h), "weight")?, h))
        };
        let case = if vb.contains_tensor("case_embeddings.weight") {
            Some(emb("case_embeddings", crate::encoding::casing::NUM_SHAPES)?)
        } else {
            None
        };
        Ok(BertEmbeddings {
            word: emb("word_embeddings", cfg.vocab_size)?,
            position: emb("position_embeddings", cfg.max_position_embeddings)?,
            token_type: emb("token_type_embeddings", cfg.type_vocab_size)?,
            case,
            layer_norm: LayerNorm::load(vb.pp("LayerNorm"), h, cfg.layer_norm_eps)?,
            dropout: cfg.hidden_dropout_prob,
        })
    }

    /// The word-piece embedding table `[V, H]` (SeqMix's token table E).
    pub fn word_table(&self) -> &Tensor {
        self.word.embeddings()
    }

    /// Whether word-shape embeddings are part of the input.
    pub fn has_case(&self) -> bool {
        self.case.is_some()
    }

    /// # Shapes
    /// `ids`, `type_ids`, `case_ids`: `[B, T]` (u32) → `[B, T, H]`.
    pub fn forward(
        &self,
        ids: &Tensor,
        type_ids: &Tensor,
        case_ids: Option<&Tensor>,
        pass: &mut Pass,
    ) -> CResult<Tensor> {
        use candle_nn::Module;
        let (_b, t) = ids.dims2()?;
        let positions = Tensor::arange(0u32, t as u32, ids.device())?.unsqueeze(0)?;
        let mut x = self
            .word
            .forward(ids)?
            .broadcast_add(&self.position.forward(&positions)?)?
            .add(&self.token_type.forward(type_ids)?)?;
        if let (Some(table), Some(c)) = (&self.case, case_ids) {
            x = x.add(&table.forward(c)?)?;
        }
        let x = self.layer_norm.forward(&x, pass)?;
        pass.dropout(&x, self.dropout)
    }
}

/// One transformer layer (post-LayerNorm, as BERT).
#[derive(Debug, Clone)]
pub struct BertLayer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_output: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
    heads: usize,
    head_dim: usize,
    act: Activation,
    hidden_dropout: f64,
    attention_dropout: f64,
}

impl BertLayer {
    /// Loads from `vb` (`encoder.layer.N.*`).
    pub fn load(vb: VarBuilder, cfg: &BertConfig) -> CResult<Self> {
        let h = cfg.hidden_size;
        let att = vb.pp("attention");
        let slf = att.pp("self");
        Ok(BertLayer {
            query: Linear::load(slf.pp("query"), h, h)?,
            key: Linear::load(slf.pp("key"), h, h)?,
            value: Linear::load(slf.pp("value"), h, h)?,
            attention_output: Linear::load(att.pp("output").pp("dense"), h, h)?,
            attention_norm: LayerNorm::load(
                att.pp("output").pp("LayerNorm"),
                h,
                cfg.layer_norm_eps,
            )?,
            intermediate: Linear::load(
                vb.pp("intermediate").pp("dense"),
                h,
                cfg.intermediate_size,
            )?,
            output: Linear::load(vb.pp("output").pp("dense"), cfg.intermediate_size, h)?,
            output_norm: LayerNorm::load(vb.pp("output").pp("LayerNorm"), h, cfg.layer_norm_eps)?,
            heads: cfg.num_attention_heads,
            head_dim: cfg.head_dim(),
            act: cfg.hidden_act,
            hidden_dropout: cfg.hidden_dropout_prob,
            attention_dropout: cfg.attention_probs_dropout_prob,
        })
    }

    fn split_heads(&self, x: &Tensor) -> CResult<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// # Shapes
    /// `h`: `[B, T, H]`, `bias`: `[B, 1, 1, T]` additive attention bias → `[B, T, H]`.
    pub fn forward(&self, h: &Tensor, bias: &Tensor, pass: &mut Pass) -> CResult<Tensor> {
        let (b, t, _) = h.dims3()?;
        let ctx = if kernels::applies(&[h, bias]) {
            // One projection for Q, K and V, then the fused attention core.
            let qkv = Linear::stacked(&[&self.query, &self.key, &self.value])?.forward(h)?;
            let drop = pass.mask_for(&[b, self.heads, t, t], self.attention_dropout, h.device())?;
            fused_attention(&qkv, &bias.reshape((b, t))?, drop, self.heads)?
        } else {
            self.attention_composite(h, bias, pass)?
        };
        let a = pass.dropout_add(
            &self.attention_output.forward(&ctx)?,
            h,
            self.hidden_dropout,
        )?;
        let a = self.attention_norm.forward(&a, pass)?;
        let f = self.act.apply(&self.intermediate.forward(&a)?)?;
        let f = pass.dropout_add(&self.output.forward(&f)?, &a, self.hidden_dropout)?;
        self.output_norm.forward(&f, pass)
    }

    /// The attention context from composite candle operations (any device).
    ///
    /// # Shapes
    /// `h`: `[B, T, H]`, `bias`: `[B, 1, 1, T]` → `[B, T, H]`.
    fn attention_composite(&self, h: &Tensor, bias: &Tensor, pass: &mut Pass) -> CResult<Tensor> {
        let (b, t, hidden) = h.dims3()?;
        let q = self.split_heads(&self.query.forward(h)?)?;
        let k = self.split_heads(&self.key.forward(h)?)?;
        let v = self.split_heads(&self.value.forward(h)?)?;
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(bias)?;
        let probs = softmax_last(&scores, pass)?;
        let probs = pass.dropout(&probs, self.attention_dropout)?;
        let ctx = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, t, hidden))?;
        Ok(ctx)
    }
}

/// The encoder: embeddings and `L` layers.
#[derive(Debug, Clone)]
pub struct BertEncoder {
    embeddings: BertEmbeddings,
    layers: Vec<BertLayer>,
    cfg: BertConfig,
}

impl BertEncoder {
    /// Loads from `vb` holding `embeddings.*` and `encoder.layer.N.*`.
    pub fn load(vb: VarBuilder, cfg: &BertConfig) -> CResult<Self> {
        let embeddings = BertEmbeddings::load(vb.pp("embeddings"), cfg)?;
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| BertLayer::load(vb.pp("encoder").pp("layer").pp(i), cfg))
            .collect::<CResult<Vec<_>>>()?;
        Ok(BertEncoder {
            embeddings,
            layers,
            cfg: cfg.clone(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BertConfig {
        &self.cfg
    }

    /// Number of layers `L`.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// The embeddings module.
    pub fn embeddings(&self) -> &BertEmbeddings {
        &self.embeddings
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        self.embeddings.word_table().device()
    }

    /// Additive attention bias from a 0/1 mask: 0 where attended, the most negative float
    /// elsewhere (as HF).
    ///
    /// # Shapes
    /// `mask`: `[B, T]` (any float dtype or u8/u32) → `[B, 1, 1, T]` f32.
    pub fn attention_bias(mask: &Tensor) -> CResult<Tensor> {
        let (b, t) = mask.dims2()?;
        let m = mask.to_dtype(DType::F32)?;
        ((1.0 - m)? * f32::MIN as f64)?.reshape((b, 1, 1, t))
    }

    /// The embedding output `h[0]`.
    ///
    /// # Shapes
    /// input of `[B, T]` → `[B, T, H]`.
    pub fn embed(&self, input: &EncoderInput, pass: &mut Pass) -> CResult<Tensor> {
        super::flush_subnormals_for_compute();
        let zeros;
        let type_ids = match input.type_ids {
            Some(t) => t,
            None => {
                zeros = input.ids.zeros_like()?;
                &zeros
            }
        };
        self.embeddings
            .forward(input.ids, type_ids, input.case_ids, pass)
    }

    /// Runs layers `range` (0-based: `0..m` turns `h[0]` into `h[m]`, `m..L` continues).
    ///
    /// # Shapes
    /// `h`: `[B, T, H]`, `bias`: `[B, 1, 1, T]` → `[B, T, H]`.
    pub fn run_layers(
        &self,
        h: &Tensor,
        bias: &Tensor,
        range: Range<usize>,
        pass: &mut Pass,
    ) -> CResult<Tensor> {
        if range.end > self.layers.len() || range.start > range.end {
            candle_core::bail!(
                "layer range {range:?} is outside 0..{} of this encoder",
                self.layers.len()
            );
        }
        let mut h = h.clone();
        for layer in &self.layers[range] {
            h = layer.forward(&h, bias, pass)?;
        }
        Ok(h)
    }

    /// The last hidden state `h[L]`.
    ///
    /// # Shapes
    /// input of `[B, T]` → `[B, T, H]`.
    pub fn forward(&self, input: &EncoderInput, pass: &mut Pass) -> CResult<Tensor> {
        let bias = Self::attention_bias(input.mask)?;
        let h = self.embed(input, pass)?;
        self.run_layers(&h, &bias, 0..self.layers.len(), pass)
    }

    /// Every hidden state `h[0..=L]`.
    ///
    /// # Shapes
    /// input of `[B, T]` → `L + 1` tensors `[B, T, H]`.
    pub fn forward_all(&self, input: &EncoderInput, pass: &mut Pass) -> CResult<Vec<Tensor>> {
        let bias = Self::attention_bias(input.mask)?;
        let mut out = vec![self.embed(input, pass)?];
        for layer in &self.layers {
            let next = layer.forward(out.last().expect("h[0] is there"), &bias, pass)?;
            out.push(next);
        }
        Ok(out)
    }
}
