//! Fused multi-head self-attention core for the CPU, with its backward pass.
//!
//! The composite version (split heads → `Q Kᵀ` → softmax → dropout → `P V` → merge heads) costs
//! four layout copies per layer and runs `B·heads` tiny matrix products, each of which candle
//! hands to the thread pool separately. Here one job per (sentence, head) reads `Q`, `K`, `V`
//! straight out of the fused `[B, T, 3H]` projection through strides, keeps the `T×T` scores in
//! a scratch buffer, and writes its slice of the `[B, T, H]` context; jobs run in parallel.
//! The backward pass recomputes the probabilities (they are cheap) instead of storing them.
//!
//! Forward, per head (`s = 1/√d`, `b` the additive key bias, `M` the dropout mask):
//! `S = s·Q Kᵀ + b`, `P = softmax(S)`, `O = (P∘M) V`.
//! Backward: `dV = (P∘M)ᵀ dO`, `dP = (dO Vᵀ)∘M`, `dS = P∘(dP − rowsum(dP∘P))`,
//! `dQ = s·dS K`, `dK = s·dSᵀ Q`.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use gemm::{Parallelism, gemm};
use rayon::prelude::*;

use crate::model::kernels::{slice, softmax_in_place};

/// A raw pointer that jobs writing disjoint regions may share.
#[derive(Clone, Copy)]
struct Shared(*mut f32);
// SAFETY: every job writes a disjoint set of elements (its own head's columns).
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    /// # Safety
    /// `off` must lie within the buffer.
    unsafe fn at(self, off: usize) -> *const f32 {
        unsafe { self.0.add(off) }
    }
}

/// Strided matrix view: `ptr[r·rs + c·cs]`.
#[derive(Clone, Copy)]
struct View {
    ptr: *const f32,
    rs: isize,
    cs: isize,
}

impl View {
    fn t(self) -> View {
        View {
            ptr: self.ptr,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

/// `dst[m×n] = beta · lhs[m×k] · rhs[k×n]`, single-threaded (the caller parallelises over heads).
///
/// # Safety
/// The views must address `m×k`, `k×n` and `m×n` valid elements.
unsafe fn matmul(m: usize, n: usize, k: usize, dst: View, lhs: View, rhs: View, beta: f32) {
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.ptr as *mut f32,
            dst.cs,
            dst.rs,
            false,
            lhs.ptr,
            lhs.cs,
            lhs.rs,
            rhs.ptr,
            rhs.cs,
            rhs.rs,
            0.0,
            beta,
            false,
            false,
            false,
            Parallelism::None,
        )
    }
}

/// Geometry shared by the forward and backward ops.
#[derive(Clone)]
struct Geometry {
    heads: usize,
    /// Additive key bias `[B, T]` (0 for real tokens, a large negative number for padding).
    bias: Tensor,
    /// Dropout mask on the probabilities `[B, heads, T, T]` (0 or `1/(1-p)`), if training.
    drop: Option<Tensor>,
}

struct Dims {
    b: usize,
    t: usize,
    h: usize,
    d: usize,
}

impl Geometry {
    fn dims(&self, l: &Layout) -> Result<Dims> {
        let (b, t, h3) = l.shape().dims3()?;
        if h3 % (3 * self.heads) != 0 {
            candle_core::bail!("fused attention: width {h3} is not 3 × heads × head size");
        }
        let h = h3 / 3;
        Ok(Dims {
            b,
            t,
            h,
            d: h / self.heads,
        })
    }

    /// Runs `job(batch, head, probs, mask)` for every head in parallel, where `probs` holds the
    /// softmax probabilities `P` (`T×T`, row-major) and `mask` the head's dropout mask.
    fn for_heads<F>(&self, qkv: &[f32], dims: &Dims, job: F) -> Result<()>
    where
        F: Fn(usize, usize, &mut [f32], Option<&[f32]>) + Sync,
    {
        let bias_guard = self.bias.storage_and_layout();
        let bias = match &*bias_guard.0 {
            candle_core::Storage::Cpu(s) => slice(s, bias_guard.1)?,
            _ => candle_core::bail!("fused attention: bias is not on the CPU"),
        };
        let drop_guard = self.drop.as_ref().map(|d| d.storage_and_layout());
        let drop = match &drop_guard {
            Some(g) => match &*g.0 {
                candle_core::Storage::Cpu(s) => Some(slice(s, g.1)?),
                _ => candle_core::bail!("fused attention: dropout mask is not on the CPU"),
            },
            None => None,
        };
        let Dims { b, t, h, d } = *dims;
        if bias.len() != b * t || drop.is_some_and(|m| m.len() != b * self.heads * t * t) {
            candle_core::bail!("fused attention: bias or dropout mask has the wrong size");
        }
        let scale = 1.0 / (d as f32).sqrt();
        (0..b * self.heads).into_par_iter().for_each_init(
            || vec![0f32; t * t],
            |probs, job_id| {
                let (bi, hi) = (job_id / self.heads, job_id % self.heads);
                let base = bi * t * 3 * h + hi * d;
                let q = View {
                    ptr: qkv[base..].as_ptr(),
                    rs: (3 * h) as isize,
                    cs: 1,
                };
                let k = View {
                    ptr: qkv[base + h..].as_ptr(),
                    ..q
                };
                let s = View {
                    ptr: probs.as_mut_ptr(),
                    rs: t as isize,
                    cs: 1,
                };
                // SAFETY: q, k address T×d elements of qkv; s addresses T×T of the scratch.
                unsafe { matmul(t, t, d, s, q, k.t(), scale) };
                let key_bias = &bias[bi * t..(bi + 1) * t];
                for row in probs.chunks_exact_mut(t) {
                    row.iter_mut().zip(key_bias).for_each(|(v, kb)| *v += kb);
                    softmax_in_place(row);
                }
                let mask = drop.map(|m| &m[job_id * t * t..(job_id + 1) * t * t]);
                job(bi, hi, probs, mask);
            },
        );
        Ok(())
    }
}

/// Forward op on the fused projection `[B, T, 3H]` (columns `Q | K | V`, heads contiguous).
struct Attention(Geometry);

impl CustomOp1 for Attention {
    fn name(&self) -> &'static str {
        "seqlab-attention"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let qkv = slice(s, l)?;
        let dims = self.0.dims(l)?;
        let Dims { b, t, h, d } = dims;
        let mut out = vec![0f32; b * t * h];
        let dst = Shared(out.as_mut_ptr());
        self.0.for_heads(qkv, &dims, |bi, hi, probs, mask| {
            if let Some(m) = mask {
                probs.iter_mut().zip(m).for_each(|(p, m)| *p *= m);
            }
            let v = View {
                ptr: qkv[bi * t * 3 * h + 2 * h + hi * d..].as_ptr(),
                rs: (3 * h) as isize,
                cs: 1,
            };
            let p = View {
                ptr: probs.as_ptr(),
                rs: t as isize,
                cs: 1,
            };
            let o = View {
                // SAFETY: within `out`; each (sentence, head) owns its d columns.
                ptr: unsafe { dst.at(bi * t * h + hi * d) },
                rs: h as isize,
                cs: 1,
            };
            // SAFETY: views address T×T, T×d and T×d valid elements.
            unsafe { matmul(t, d, t, o, p, v, 1.0) };
        })?;
        Ok((CpuStorage::F32(out), Shape::from((b, t, h))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let grad = grad.contiguous()?;
        Ok(Some(arg.apply_op2_no_bwd(
            &grad,
            &AttentionBackward(self.0.clone()),
        )?))
    }
}

/// Gradient with respect to the fused projection.
struct AttentionBackward(Geometry);

impl CustomOp2 for AttentionBackward {
    fn name(&self) -> &'static str {
        "seqlab-attention-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (qkv, g) = (slice(s1, l1)?, slice(s2, l2)?);
        let dims = self.0.dims(l1)?;
        let Dims { b, t, h, d } = dims;
        if g.len() != b * t * h {
            candle_core::bail!("fused attention backward: gradient has the wrong size");
        }
        let scale = 1.0 / (d as f32).sqrt();
        let mut out = vec![0f32; b * t * 3 * h];
        let dst = Shared(out.as_mut_ptr());
        self.0.for_heads(qkv, &dims, |bi, hi, probs, mask| {
            let base = bi * t * 3 * h + hi * d;
            let at = |off: usize| View {
                ptr: qkv[base + off..].as_ptr(),
                rs: (3 * h) as isize,
                cs: 1,
            };
            let out_at = |off: usize| View {
                // SAFETY: within `out`; each (sentence, head) owns its d columns of Q, K and V.
                ptr: unsafe { dst.at(base + off) },
                rs: (3 * h) as isize,
                cs: 1,
            };
            let (q, k, v) = (at(0), at(h), at(2 * h));
            let go = View {
                ptr: g[bi * t * h + hi * d..].as_ptr(),
                rs: h as isize,
                cs: 1,
            };
            // P∘M, then dV = (P∘M)ᵀ dO.
            let dropped: Vec<f32> = match mask {
                Some(m) => probs.iter().zip(m).map(|(p, m)| p * m).collect(),
                None => probs.to_vec(),
            };
            let pm = View {
                ptr: dropped.as_ptr(),
                rs: t as isize,
                cs: 1,
            };
            // SAFETY (all products below): the views address T×T, T×d valid elements.
            unsafe { matmul(t, d, t, out_at(2 * h), pm.t(), go, 1.0) };
            // dP = (dO Vᵀ)∘M.
            let mut dp = vec![0f32; t * t];
            let dpv = View {
                ptr: dp.as_mut_ptr(),
                rs: t as isize,
                cs: 1,
            };
            unsafe { matmul(t, t, d, dpv, go, v.t(), 1.0) };
            if let Some(m) = mask {
                dp.iter_mut().zip(m).for_each(|(x, m)| *x *= m);
            }
            // dS = s·P∘(dP − rowsum(dP∘P)).
            for (dr, pr) in dp.chunks_exact_mut(t).zip(probs.chunks_exact(t)) {
                let dot: f32 = dr.iter().zip(pr).map(|(a, b)| a * b).sum();
                dr.iter_mut()
                    .zip(pr)
                    .for_each(|(x, p)| *x = scale * p * (*x - dot));
            }
            let ds = View {
                ptr: dp.as_ptr(),
                rs: t as isize,
                cs: 1,
            };
            unsafe { matmul(t, d, t, out_at(0), ds, k, 1.0) };
            unsafe { matmul(t, d, t, out_at(h), ds.t(), q, 1.0) };
        })?;
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// Multi-head self-attention context from the fused projection.
///
/// # Shapes
/// `qkv`: `[B, T, 3H]` (columns `Q | K | V`, each `heads × d`), `key_bias`: `[B, T]` additive,
/// `drop`: `[B, heads, T, T]` dropout mask or `None` → `[B, T, H]`.
pub fn fused_attention(
    qkv: &Tensor,
    key_bias: &Tensor,
    drop: Option<Tensor>,
    heads: usize,
) -> Result<Tensor> {
    let geometry = Geometry {
        heads,
        bias: key_bias.contiguous()?,
        drop: drop.map(|d| d.contiguous()).transpose()?,
    };
    qkv.apply_op1(Attention(geometry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{D, Device, Var};
    use rand_distr::{Distribution, StandardNormal};

    fn randn(dims: &[usize], rng: &mut crate::rng::SeqRng) -> Tensor {
        let n: usize = dims.iter().product();
        let v: Vec<f32> = (0..n).map(|_| StandardNormal.sample(rng)).collect();
        Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
    }

    /// The textbook computation with candle's composite operations.
    fn composite(qkv: &Tensor, bias: &Tensor, drop: Option<&Tensor>, heads: usize) -> Tensor {
        let (b, t, h3) = qkv.dims3().unwrap();
        let (h, d) = (h3 / 3, h3 / 3 / heads);
        let split = |i: usize| {
            qkv.narrow(2, i * h, h)
                .unwrap()
                .reshape((b, t, heads, d))
                .unwrap()
                .transpose(1, 2)
                .unwrap()
                .contiguous()
                .unwrap()
        };
        let (q, k, v) = (split(0), split(1), split(2));
        let scores = (q.matmul(&k.t().unwrap()).unwrap() / (d as f64).sqrt()).unwrap();
        let scores = scores
            .broadcast_add(&bias.reshape((b, 1, 1, t)).unwrap())
            .unwrap();
        let mut p = candle_nn::ops::softmax(&scores, D::Minus1).unwrap();
        if let Some(m) = drop {
            p = p.mul(m).unwrap();
        }
        p.matmul(&v)
            .unwrap()
            .transpose(1, 2)
            .unwrap()
            .contiguous()
            .unwrap()
            .reshape((b, t, h))
            .unwrap()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar()
            .unwrap()
    }

    #[test]
    fn fused_attention_matches_composite_forward_and_backward() {
        let mut rng = crate::rng::seeded(5);
        let (b, t, heads, d) = (3, 7, 4, 8);
        let h = heads * d;
        let qkv = Var::from_tensor(&randn(&[b, t, 3 * h], &mut rng)).unwrap();
        // Sentence 1 has two padding positions, sentence 2 one.
        let mut mask = vec![1f32; b * t];
        mask[t + 5] = 0.0;
        mask[t + 6] = 0.0;
        mask[2 * t + 6] = 0.0;
        let bias: Vec<f32> = mask.iter().map(|m| (1.0 - m) * f32::MIN).collect();
        let bias = Tensor::from_vec(bias, (b, t), &Device::Cpu).unwrap();
        let upstream = randn(&[b, t, h], &mut rng);
        for p in [0.0, 0.3] {
            let drop = if p > 0.0 {
                let mut pass = crate::model::Pass::train(&mut rng);
                pass.mask_for(&[b, heads, t, t], p, &Device::Cpu).unwrap()
            } else {
                None
            };
            let fused = fused_attention(qkv.as_tensor(), &bias, drop.clone(), heads).unwrap();
            let reference = composite(qkv.as_tensor(), &bias, drop.as_ref(), heads);
            assert!(max_diff(&fused, &reference) < 1e-5, "forward, p = {p}");
            let g_fused = (fused * &upstream)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let g_ref = (reference * &upstream)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let (gf, gr) = (g_fused.get(&qkv).unwrap(), g_ref.get(&qkv).unwrap());
            let diff = max_diff(gf, gr);
            assert!(diff < 1e-5, "backward, p = {p}: {diff}");
            // The gradient is not trivially zero anywhere it should not be.
            let norm: f32 = gf.sqr().unwrap().sum_all().unwrap().to_scalar().unwrap();
            assert!(norm > 1.0);
        }
    }
}
