//! Building blocks shared by the models: the forward-pass context ([`Pass`]) with seeded
//! dropout, and layers that pick a differentiable implementation when gradients are needed.
//!
//! candle-nn's fused `layer_norm` and `softmax_last_dim` kernels are fast but have no backward
//! pass: a model built on them trains only the layers above the first LayerNorm. On the CPU the
//! layers here use seqlab's fused kernels with backward passes ([`crate::model::kernels`]);
//! elsewhere candle's fused kernels serve inference and composite operations serve training.

use candle_core::{D, DType, Device, Result, Tensor};
use candle_nn::VarBuilder;
use rand::RngCore;

use crate::model::kernels;
use crate::rng::SeqRng;

/// How a forward pass runs: with or without gradients, with or without dropout.
///
/// Dropout masks come from the RNG passed in, so a training step is reproducible from a seed
/// (candle's own CPU RNG cannot be seeded).
pub struct Pass<'a> {
    grad: bool,
    rng: Option<&'a mut SeqRng>,
}

impl<'a> Pass<'a> {
    /// Inference: no gradients, no dropout.
    pub fn eval() -> Self {
        Pass {
            grad: false,
            rng: None,
        }
    }

    /// Training: gradients and dropout drawn from `rng`.
    pub fn train(rng: &'a mut SeqRng) -> Self {
        Pass {
            grad: true,
            rng: Some(rng),
        }
    }

    /// Dropout without gradients: stochastic forward passes for MC dropout.
    pub fn sample(rng: &'a mut SeqRng) -> Self {
        Pass {
            grad: false,
            rng: Some(rng),
        }
    }

    /// Gradients without dropout (e.g. deterministic tests of the backward pass).
    pub fn grad_only() -> Self {
        Pass {
            grad: true,
            rng: None,
        }
    }

    /// Whether gradients will be taken.
    pub fn needs_grad(&self) -> bool {
        self.grad
    }

    /// Whether dropout is active.
    pub fn dropout_on(&self) -> bool {
        self.rng.is_some()
    }

    /// Inverted dropout with drop probability `p`: kept values are scaled by `1/(1-p)`.
    ///
    /// # Shapes
    /// Any shape in, the same shape out.
    pub fn dropout(&mut self, x: &Tensor, p: f64) -> Result<Tensor> {
        let Some(rng) = self.rng.as_deref_mut() else {
            return Ok(x.clone());
        };
        if p <= 0.0 {
            return Ok(x.clone());
        }
        if p >= 1.0 {
            return x.zeros_like();
        }
        let mask = dropout_mask(x.dims(), p, rng, x.device())?.to_dtype(x.dtype())?;
        kernels::dropout(x, &mask)
    }

    /// `dropout(x) + residual` in one fused operation where possible.
    ///
    /// # Shapes
    /// `x`, `residual`: one shape → that shape.
    pub fn dropout_add(&mut self, x: &Tensor, residual: &Tensor, p: f64) -> Result<Tensor> {
        let mask = self.mask_for(x.dims(), p, x.device())?;
        kernels::dropout_add(x, residual, mask.as_ref())
    }

    /// The f32 mask [`Pass::dropout`] would multiply by (`0` or `1/(1-p)`), or `None` when
    /// dropout is off or `p` is 0. For kernels that apply dropout inside a fused operation.
    ///
    /// # Shapes
    /// `dims` → a mask of shape `dims`.
    pub fn mask_for(&mut self, dims: &[usize], p: f64, device: &Device) -> Result<Option<Tensor>> {
        let Some(rng) = self.rng.as_deref_mut() else {
            return Ok(None);
        };
        if p <= 0.0 {
            return Ok(None);
        }
        if p >= 1.0 {
            return Tensor::zeros(dims, DType::F32, device).map(Some);
        }
        dropout_mask(dims, p, rng, device).map(Some)
    }
}

/// A dropout mask of `0` and `1/(1-p)` values drawn from `rng` (one `u32` per element, kept
/// when it is at least `p·2³²`).
pub fn dropout_mask(dims: &[usize], p: f64, rng: &mut SeqRng, device: &Device) -> Result<Tensor> {
    let n: usize = dims.iter().product();
    let threshold = (p * 4_294_967_296.0).min(u32::MAX as f64) as u32;
    let scale = (1.0 / (1.0 - p)) as f32;
    let values: Vec<f32> = (0..n)
        .map(|_| {
            if rng.next_u32() >= threshold {
                scale
            } else {
                0.0
            }
        })
        .collect();
    Tensor::from_vec(values, dims, device)
}

/// A dense layer `y = x Wᵀ + b` with HF's weight layout `[out, in]`.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
}

impl Linear {
    /// A layer from its weight `[out, in]` and optional bias `[out]`.
    pub fn new(weight: Tensor, bias: Option<Tensor>) -> Self {
        Linear { weight, bias }
    }

    /// Loads `weight` and `bias` from `vb`.
    pub fn load(vb: VarBuilder, in_dim: usize, out_dim: usize) -> Result<Self> {
        Ok(Linear {
            weight: vb.get((out_dim, in_dim), "weight")?,
            bias: Some(vb.get(out_dim, "bias")?),
        })
    }

    /// The weight `[out, in]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The bias `[out]`, if any.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }

    /// Several layers over the same input as one: weights stacked along the output dimension
    /// (their gradients flow back to each part). All parts need a bias, or none.
    pub fn stacked(parts: &[&Linear]) -> Result<Linear> {
        let weights: Vec<&Tensor> = parts.iter().map(|l| &l.weight).collect();
        let biases: Option<Vec<&Tensor>> = parts.iter().map(|l| l.bias.as_ref()).collect();
        Ok(Linear {
            weight: Tensor::cat(&weights, 0)?,
            bias: biases.map(|b| Tensor::cat(&b, 0)).transpose()?,
        })
    }

    /// # Shapes
    /// `[.., in]` → `[.., out]`; leading dimensions are flattened into one matrix product.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if let Some(b) = &self.bias {
            return kernels::linear(x, &self.weight, b);
        }
        let dims = x.dims().to_vec();
        let in_dim = *dims.last().expect("linear input has a last dimension");
        let rows: usize = dims[..dims.len() - 1].iter().product();
        let y = x.reshape((rows, in_dim))?.matmul(&self.weight.t()?)?;
        let mut out = dims;
        *out.last_mut().expect("non-empty") = self.weight.dim(0)?;
        y.reshape(out)
    }
}

/// Layer normalization over the last dimension.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    /// Loads `weight` and `bias` (or the legacy `gamma` and `beta`) from `vb`.
    pub fn load(vb: VarBuilder, dim: usize, eps: f64) -> Result<Self> {
        let get = |a: &str, b: &str| {
            if vb.contains_tensor(a) {
                vb.get(dim, a)
            } else {
                vb.get(dim, b)
            }
        };
        Ok(LayerNorm {
            weight: get("weight", "gamma")?,
            bias: get("bias", "beta")?,
            eps,
        })
    }

    /// # Shapes
    /// `[.., d]` → `[.., d]`.
    pub fn forward(&self, x: &Tensor, pass: &Pass) -> Result<Tensor> {
        if kernels::applies(&[x, &self.weight, &self.bias]) {
            return kernels::layer_norm(x, &self.weight, &self.bias, self.eps);
        }
        if !pass.needs_grad() && x.is_contiguous() && x.dtype() == DType::F32 {
            return candle_nn::ops::layer_norm(x, &self.weight, &self.bias, self.eps as f32);
        }
        let d = x.dim(D::Minus1)? as f64;
        let mean = (x.sum_keepdim(D::Minus1)? / d)?;
        let centered = x.broadcast_sub(&mean)?;
        let var = (centered.sqr()?.sum_keepdim(D::Minus1)? / d)?;
        let normed = centered.broadcast_div(&(var + self.eps)?.sqrt()?)?;
        normed
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

/// Softmax over the last dimension: the fused kernel for inference, the differentiable
/// composite when gradients are needed.
///
/// # Shapes
/// Any shape in, the same shape out.
pub fn softmax_last(x: &Tensor, pass: &Pass) -> Result<Tensor> {
    if kernels::applies(&[x]) {
        kernels::softmax_last(x)
    } else if pass.needs_grad() || !x.is_contiguous() {
        candle_nn::ops::softmax(x, D::Minus1)
    } else {
        candle_nn::ops::softmax_last_dim(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    #[test]
    fn dropout_is_seeded_scaled_and_off_in_eval() {
        let x = Tensor::ones((4, 1000), DType::F32, &Device::Cpu).unwrap();
        let mut r1 = crate::rng::seeded(3);
        let mut r2 = crate::rng::seeded(3);
        let a = Pass::train(&mut r1).dropout(&x, 0.1).unwrap();
        let b = Pass::train(&mut r2).dropout(&x, 0.1).unwrap();
        let av: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(av, b.flatten_all().unwrap().to_vec1::<f32>().unwrap());
        let kept = av.iter().filter(|v| **v > 0.0).count() as f64 / av.len() as f64;
        assert!((kept - 0.9).abs() < 0.02, "kept {kept}");
        assert!(
            av.iter()
                .all(|v| *v == 0.0 || (*v - 1.0 / 0.9).abs() < 1e-6)
        );
        let e = Pass::eval().dropout(&x, 0.1).unwrap();
        assert_eq!(e.sum_all().unwrap().to_scalar::<f32>().unwrap(), 4000.0);
    }

    #[test]
    fn layer_norm_fast_and_differentiable_paths_agree_and_train() {
        let dev = Device::Cpu;
        let x = Tensor::new(&[[1f32, 2., 4., 8.], [0., -1., 3., 0.5]], &dev).unwrap();
        let w = Var::new(&[1f32, 0.5, 2., 1.], &dev).unwrap();
        let b = Var::new(&[0f32, 0.1, 0., -1.], &dev).unwrap();
        let ln = LayerNorm {
            weight: w.as_tensor().clone(),
            bias: b.as_tensor().clone(),
            eps: 1e-12,
        };
        let fast = ln.forward(&x, &Pass::eval()).unwrap();
        let slow = ln.forward(&x, &Pass::grad_only()).unwrap();
        let diff = (fast - &slow).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-5);
        let grads = slow.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        assert!(grads.get(&w).is_some() && grads.get(&b).is_some());
    }

    #[test]
    fn linear_matches_explicit_product() {
        let dev = Device::Cpu;
        let w = Tensor::new(&[[1f32, 2.], [3., 4.], [5., 6.]], &dev).unwrap();
        let l = Linear::new(w, Some(Tensor::new(&[1f32, 0., -1.], &dev).unwrap()));
        let x = Tensor::new(&[[[1f32, 1.], [0., 2.]]], &dev).unwrap();
        let y: Vec<Vec<Vec<f32>>> = l.forward(&x).unwrap().to_vec3().unwrap();
        assert_eq!(y, [[[4., 7., 10.], [5., 8., 11.]]]);
    }
}
