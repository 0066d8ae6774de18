//! AdamW with parameter groups, a linear warmup/decay schedule and gradient-norm clipping, as
//! in the papers' fine-tuning (SeqMix App. C.4: lr 5e-5, ε 1e-8; weight decay 0.01 without
//! decay on biases and LayerNorm weights, as the BERT fine-tuning scripts they build on).
//!
//! The update is PyTorch's `torch.optim.AdamW`: `p ← p·(1 − lr·wd)`, then
//! `p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)`. On the CPU it runs as one fused
//! in-place pass per parameter (decay, both moments and the clipping scale together); on other
//! devices with tensor operations.

use std::cell::RefCell;

use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, Device, Layout, Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::params::candle_err;
use rayon::prelude::*;

/// AdamW hyper-parameters (the learning rate comes from the schedule).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamWConfig {
    /// β₁.
    pub beta1: f64,
    /// β₂.
    pub beta2: f64,
    /// ε.
    pub eps: f64,
    /// Decoupled weight decay (not applied to biases and LayerNorm weights).
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

/// Whether a parameter gets weight decay: not biases, not LayerNorm weights.
pub fn decays(name: &str) -> bool {
    !(name.ends_with(".bias") || name.contains("LayerNorm") || name.contains("layer_norm"))
}

enum State {
    Cpu { m: Vec<f32>, v: Vec<f32> },
    Device { m: Tensor, v: Tensor },
}

struct Param {
    name: String,
    var: Var,
    decay: bool,
    state: State,
}

/// The optimizer.
pub struct AdamW {
    params: Vec<Param>,
    cfg: AdamWConfig,
    steps: u64,
}

impl AdamW {
    /// An optimizer over named variables; decay follows [`decays`].
    ///
    /// # Errors
    /// A candle error while allocating state.
    pub fn new<'a>(
        vars: impl IntoIterator<Item = (&'a String, &'a Var)>,
        cfg: AdamWConfig,
    ) -> Result<Self> {
        let params = vars
            .into_iter()
            .map(|(name, var)| {
                let state = match var.device() {
                    Device::Cpu => State::Cpu {
                        m: vec![0.0; var.elem_count()],
                        v: vec![0.0; var.elem_count()],
                    },
                    _ => State::Device {
                        m: var.zeros_like().map_err(candle_err)?,
                        v: var.zeros_like().map_err(candle_err)?,
                    },
                };
                Ok(Param {
                    name: name.clone(),
                    var: var.clone(),
                    decay: decays(name),
                    state,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(AdamW {
            params,
            cfg,
            steps: 0,
        })
    }

    /// Updates taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The optimizer's state: the update count and both moments of every parameter, as
    /// tensors named `m.NAME` and `v.NAME` (on the CPU), for a checkpoint.
    ///
    /// # Errors
    /// A candle error.
    pub fn state(&self) -> Result<(u64, Vec<(String, Tensor)>)> {
        let mut out = Vec::with_capacity(2 * self.params.len());
        for p in &self.params {
            let shape = p.var.shape();
            let (m, v) = match &p.state {
                State::Cpu { m, v } => (
                    Tensor::from_slice(m, shape, &Device::Cpu),
                    Tensor::from_slice(v, shape, &Device::Cpu),
                ),
                State::Device { m, v } => (m.to_device(&Device::Cpu), v.to_device(&Device::Cpu)),
            };
            out.push((format!("m.{}", p.name), m.map_err(candle_err)?));
            out.push((format!("v.{}", p.name), v.map_err(candle_err)?));
        }
        Ok((self.steps, out))
    }

    /// Restores what [`AdamW::state`] returned; `get` finds a tensor by name.
    ///
    /// # Errors
    /// A missing moment, or one whose size differs from its parameter's.
    pub fn set_state(&mut self, steps: u64, get: &dyn Fn(&str) -> Option<Tensor>) -> Result<()> {
        for p in &mut self.params {
            let moment = |prefix: &str| -> Result<Tensor> {
                let key = format!("{prefix}.{}", p.name);
                let t = get(&key).ok_or_else(|| {
                    Error::config("checkpoint", format!("no optimizer moment {key}"))
                })?;
                if t.elem_count() != p.var.elem_count() {
                    return Err(Error::config(
                        "checkpoint",
                        format!(
                            "optimizer moment {key} has {} values, its parameter {}",
                            t.elem_count(),
                            p.var.elem_count()
                        ),
                    ));
                }
                Ok(t)
            };
            let (m, v) = (moment("m")?, moment("v")?);
            match &mut p.state {
                State::Cpu { m: cm, v: cv } => {
                    let flat = |t: Tensor| {
                        t.flatten_all()?
                            .to_dtype(candle_core::DType::F32)?
                            .to_vec1::<f32>()
                    };
                    *cm = flat(m).map_err(candle_err)?;
                    *cv = flat(v).map_err(candle_err)?;
                }
                State::Device { m: dm, v: dv } => {
                    let on = |t: Tensor| t.reshape(p.var.shape())?.to_device(p.var.device());
                    *dm = on(m).map_err(candle_err)?;
                    *dv = on(v).map_err(candle_err)?;
                }
            }
        }
        self.steps = steps;
        Ok(())
    }

    /// The global L2 norm of the gradients.
    ///
    /// # Errors
    /// A candle error.
    pub fn grad_norm(&self, grads: &GradStore) -> Result<f64> {
        let mut sq = 0f64;
        for p in &self.params {
            if let Some(g) = grads.get(&p.var) {
                sq += sum_of_squares(g).map_err(candle_err)?;
            }
        }
        Ok(sq.sqrt())
    }

    /// One update with learning rate `lr`. Gradients are first scaled so that their global
    /// norm is at most `max_norm` (PyTorch's `clip_grad_norm_`, ε = 1e-6); `None` disables
    /// clipping. Returns the norm before clipping. Parameters without a gradient are skipped.
    ///
    /// # Errors
    /// A candle error, or a non-finite gradient norm.
    pub fn step(&mut self, grads: &GradStore, lr: f64, max_norm: Option<f64>) -> Result<f64> {
        let norm = self.grad_norm(grads)?;
        if !norm.is_finite() {
            return Err(Error::Model(format!(
                "gradient norm is {norm}; the loss diverged (lower the learning rate)"
            )));
        }
        let scale = match max_norm {
            Some(m) if norm > m => m / (norm + 1e-6),
            _ => 1.0,
        };
        self.steps += 1;
        let t = self.steps as i32;
        let c = self.cfg;
        let bc1 = 1.0 - c.beta1.powi(t);
        let bc2 = 1.0 - c.beta2.powi(t);
        for p in &mut self.params {
            let Some(g) = grads.get(&p.var) else { continue };
            let decay = if p.decay { c.weight_decay } else { 0.0 };
            match &mut p.state {
                State::Cpu { m, v } => {
                    let g = g.contiguous().map_err(candle_err)?;
                    let kernel = FusedAdamW {
                        m: RefCell::new(m),
                        v: RefCell::new(v),
                        lr,
                        decay,
                        scale,
                        bc1,
                        bc2,
                        cfg: c,
                    };
                    p.var
                        .as_tensor()
                        .inplace_op2(&g, &kernel)
                        .map_err(candle_err)?;
                }
                State::Device { m, v } => {
                    let update = || -> candle_core::Result<(Tensor, Tensor, Tensor)> {
                        let g = (g * scale)?;
                        let nm = ((&*m * c.beta1)? + (&g * (1.0 - c.beta1))?)?;
                        let nv = ((&*v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
                        let denom = ((nv.sqrt()? / bc2.sqrt())? + c.eps)?;
                        let w = (p.var.as_tensor() * (1.0 - lr * decay))?;
                        let w = (w - (nm.div(&denom)? * (lr / bc1))?)?;
                        Ok((nm, nv, w))
                    };
                    let (nm, nv, w) = update().map_err(candle_err)?;
                    p.var.set(&w).map_err(candle_err)?;
                    *m = nm;
                    *v = nv;
                }
            }
        }
        Ok(norm)
    }
}

/// The fused CPU update of one parameter.
struct FusedAdamW<'a> {
    m: RefCell<&'a mut Vec<f32>>,
    v: RefCell<&'a mut Vec<f32>>,
    lr: f64,
    decay: f64,
    scale: f64,
    bc1: f64,
    bc2: f64,
    cfg: AdamWConfig,
}

impl candle_core::InplaceOp2 for FusedAdamW<'_> {
    fn name(&self) -> &'static str {
        "fused-adamw"
    }

    fn cpu_fwd(
        &self,
        dst: &mut CpuStorage,
        dst_l: &Layout,
        g_storage: &CpuStorage,
        g_l: &Layout,
    ) -> candle_core::Result<()> {
        let (CpuStorage::F32(p), CpuStorage::F32(g)) = (dst, g_storage) else {
            candle_core::bail!("fused AdamW supports f32 parameters only");
        };
        let (Some((p0, p1)), Some((g0, g1))) =
            (dst_l.contiguous_offsets(), g_l.contiguous_offsets())
        else {
            candle_core::bail!("fused AdamW needs contiguous tensors");
        };
        let p = &mut p[p0..p1];
        let g = &g[g0..g1];
        let mut m = self.m.borrow_mut();
        let mut v = self.v.borrow_mut();
        let (b1, b2) = (self.cfg.beta1 as f32, self.cfg.beta2 as f32);
        let keep = (1.0 - self.lr * self.decay) as f32;
        let step = (self.lr / self.bc1) as f32;
        let sqrt_bc2 = self.bc2.sqrt() as f32;
        let eps = self.cfg.eps as f32;
        let scale = self.scale as f32;
        if m.len() != p.len() || v.len() != p.len() || g.len() != p.len() {
            candle_core::bail!("fused AdamW: parameter, gradient and moments differ in size");
        }
        // Element-wise, so splitting into chunks (in parallel) does not change any result.
        p.par_chunks_mut(CHUNK)
            .zip(m.par_chunks_mut(CHUNK))
            .zip(v.par_chunks_mut(CHUNK))
            .zip(g.par_chunks(CHUNK))
            .for_each(|(((p, m), v), g)| {
                for i in 0..p.len() {
                    let gi = g[i] * scale;
                    let mi = b1 * m[i] + (1.0 - b1) * gi;
                    let vi = b2 * v[i] + (1.0 - b2) * gi * gi;
                    m[i] = mi;
                    v[i] = vi;
                    p[i] = p[i] * keep - step * mi / (vi.sqrt() / sqrt_bc2 + eps);
                }
            });
        Ok(())
    }
}

/// Elements per parallel work item of the CPU optimizer kernels.
const CHUNK: usize = 1 << 15;

/// `Σ g²` in f64. On the CPU: fixed chunks summed in parallel, partial sums added in order, so
/// the result does not depend on the number of threads.
fn sum_of_squares(g: &Tensor) -> candle_core::Result<f64> {
    if g.device().is_cpu() && g.dtype() == candle_core::DType::F32 {
        let g = g.contiguous()?;
        let (storage, layout) = g.storage_and_layout();
        if let (candle_core::Storage::Cpu(CpuStorage::F32(data)), Some((a, b))) =
            (&*storage, layout.contiguous_offsets())
        {
            let partial: Vec<f64> = data[a..b]
                .par_chunks(CHUNK)
                .map(|c| c.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>())
                .collect();
            return Ok(partial.iter().sum());
        }
    }
    g.to_dtype(candle_core::DType::F64)?
        .sqr()?
        .sum_all()?
        .to_scalar::<f64>()
}

/// Linear warmup to the peak learning rate, then linear decay to 0 (Hugging Face's
/// `get_linear_schedule_with_warmup`: the rate for update `k`, counting from 0, is
/// `peak · k / warmup` during warmup and `peak · (total − k) / (total − warmup)` after).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearSchedule {
    /// Peak learning rate.
    pub peak: f64,
    /// Warmup updates.
    pub warmup: usize,
    /// Total updates.
    pub total: usize,
}

impl LinearSchedule {
    /// The learning rate of update `k` (0-based).
    pub fn lr(&self, k: usize) -> f64 {
        if k < self.warmup {
            self.peak * k as f64 / self.warmup as f64
        } else if self.total <= self.warmup {
            self.peak
        } else {
            self.peak * (self.total.saturating_sub(k)) as f64 / (self.total - self.warmup) as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_name() {
        assert!(decays("encoder.layer.0.attention.self.query.weight"));
        assert!(!decays("encoder.layer.0.attention.self.query.bias"));
        assert!(!decays("embeddings.LayerNorm.weight"));
        assert!(decays("classifier.weight"));
    }

    #[test]
    fn schedule_shape() {
        let s = LinearSchedule {
            peak: 1.0,
            warmup: 10,
            total: 110,
        };
        assert_eq!(s.lr(0), 0.0);
        assert_eq!(s.lr(5), 0.5);
        assert_eq!(s.lr(10), 1.0);
        assert_eq!(s.lr(60), 0.5);
        assert_eq!(s.lr(110), 0.0);
        assert_eq!(s.lr(200), 0.0);
    }

    /// PyTorch reference (torch 2.15.0):
    /// ```python
    /// p = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    /// b = torch.tensor([0.5], requires_grad=True)
    /// opt = torch.optim.AdamW([{"params": [p], "weight_decay": 0.01},
    ///                          {"params": [b], "weight_decay": 0.0}], lr=0.1)
    /// for step in range(3):
    ///     opt.zero_grad(); ((p * p).sum() * (step + 1) + (b * 3).sum()).backward(); opt.step()
    /// ```
    #[test]
    fn matches_pytorch_adamw() {
        for device_path in [true, false] {
            let p = Var::new(&[1f32, -2., 3.], &Device::Cpu).unwrap();
            let b = Var::new(&[0.5f32], &Device::Cpu).unwrap();
            let names = ["w.weight".to_string(), "w.bias".to_string()];
            let mut opt =
                AdamW::new([(&names[0], &p), (&names[1], &b)], AdamWConfig::default()).unwrap();
            if !device_path {
                // Exercise the tensor-op path on the CPU too.
                for param in &mut opt.params {
                    param.state = State::Device {
                        m: param.var.zeros_like().unwrap(),
                        v: param.var.zeros_like().unwrap(),
                    };
                }
            }
            for step in 0..3 {
                let loss = ((p.as_tensor().sqr().unwrap().sum_all().unwrap() * (step + 1) as f64)
                    .unwrap()
                    + (b.as_tensor() * 3.0).unwrap().sum_all().unwrap())
                .unwrap();
                let g = loss.backward().unwrap();
                opt.step(&g, 0.1, None).unwrap();
            }
            let got: Vec<f32> = p.as_tensor().to_vec1().unwrap();
            let want = [0.702_114_05_f32, -1.700_549, 2.698_025_5];
            for (a, w) in got.iter().zip(want) {
                assert!(
                    (a - w).abs() < 1e-5,
                    "{got:?} vs {want:?} (fused: {device_path})"
                );
            }
            let bias: Vec<f32> = b.as_tensor().to_vec1().unwrap();
            assert!((bias[0] - 0.2).abs() < 1e-5, "{bias:?}");
        }
    }

    #[test]
    fn clipping_scales_to_the_max_norm() {
        let p = Var::new(&[0f32, 0.], &Device::Cpu).unwrap();
        let n = "x.weight".to_string();
        let mut opt = AdamW::new(
            [(&n, &p)],
            AdamWConfig {
                weight_decay: 0.0,
                ..AdamWConfig::default()
            },
        )
        .unwrap();
        let loss = (p.as_tensor() * 100.0).unwrap().sum_all().unwrap();
        let g = loss.backward().unwrap();
        let norm = opt.step(&g, 0.1, Some(1.0)).unwrap();
        assert!((norm - 100.0 * 2f64.sqrt()).abs() < 1e-3);
    }
}
