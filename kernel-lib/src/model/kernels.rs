//! Fused CPU kernels with analytic backward passes for the element-wise and row-wise parts of
//! a transformer layer: GELU, LayerNorm, softmax and bias addition.
//!
//! candle's CPU autograd runs these as chains of generic operations (composite LayerNorm: about
//! ten passes; GELU's backward: several transcendental passes; a bias gradient: a strided sum
//! over rows). Here each forward is one pass over the data and each backward one or two, with
//! the math written out (equations in the comments). They apply to contiguous f32 tensors on
//! the CPU; other devices and dtypes use the composite operations in [`crate::model::ops`].

use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// `e^x` for `f32`, branch-free so that loops over it vectorize: `x = n·ln2 + r` (ln 2 split
/// Cody–Waite style into an exactly representable high part and a low part), `e^r` by a
/// degree-6 polynomial, `2^n` by exponent bits. Relative error below 5e-7; inputs are clamped
/// to `[-87, 88]`.
#[inline(always)]
pub fn fast_exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2²³ rounds to the nearest integer without a libm call.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let bits = ((n as i32 + 127) << 23) as u32;
    p * f32::from_bits(bits)
}

/// `erf(x)` by Abramowitz & Stegun 7.1.26 with [`fast_exp`]: absolute error below 5e-7 in f32
/// (1.4e-7 for the formula itself).
#[inline(always)]
pub fn fast_erf(x: f32) -> f32 {
    let s = 1f32.copysign(x);
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let y = 1.0
        - (((((1.061_405_4 * t - 1.453_152) * t) + 1.421_413_8) * t - 0.284_496_74) * t
            + 0.254_829_6)
            * t
            * fast_exp(-a * a);
    s * y
}

/// Defines `$name`, which runs `$body` compiled for AVX-512 (F, VL) or AVX2 + FMA when the CPU
/// has them and for the baseline target otherwise. The loops are written so that the compiler
/// vectorizes them; it neither reassociates nor contracts float operations, so the three
/// versions give identical results.
macro_rules! simd_fn {
    (fn $name:ident($($arg:ident: $ty:ty),*) $body:block) => {
        fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn imp($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                fn avx512($($arg: $ty),*) { imp($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has the features `avx512` was compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) { imp($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has the features `avx2` was compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            imp($($arg),*)
        }
    };
}

simd_fn! {
    fn gelu_rows(x: &[f32], y: &mut [f32]) {
        for (o, &v) in y.iter_mut().zip(x) {
            *o = 0.5 * v * (1.0 + fast_erf(v * SQRT_1_2));
        }
    }
}

simd_fn! {
    fn gelu_grad_rows(x: &[f32], g: &[f32], out: &mut [f32]) {
        for ((o, &v), &gv) in out.iter_mut().zip(x).zip(g) {
            let cdf = 0.5 * (1.0 + fast_erf(v * SQRT_1_2));
            let pdf = INV_SQRT_2PI * fast_exp(-0.5 * v * v);
            *o = gv * (cdf + v * pdf);
        }
    }
}

simd_fn! {
    fn softmax_row_in_place(row: &mut [f32]) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = fast_exp(*v - max);
            sum += *v;
        }
        let inv = 1.0 / sum;
        row.iter_mut().for_each(|v| *v *= inv);
    }
}

/// Softmax of one row, in place (`fast_exp`, vectorized).
pub(crate) fn softmax_in_place(row: &mut [f32]) {
    softmax_row_in_place(row)
}

/// Elements per parallel work item of the element-wise kernels.
const CHUNK: usize = 1 << 14;
/// Rows per parallel work item of the row-wise kernels (fixed, so that reductions over rows
/// add the same partial sums in the same order whatever the number of threads).
const ROWS: usize = 64;

pub(crate) fn slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
        (CpuStorage::F32(_), None) => candle_core::bail!("fused kernel: input is not contiguous"),
        _ => candle_core::bail!("fused kernel: only f32 is supported"),
    }
}

/// Whether the fused kernels apply to these tensors.
pub fn applies(ts: &[&Tensor]) -> bool {
    ts.iter()
        .all(|t| t.device().is_cpu() && t.dtype() == candle_core::DType::F32 && t.is_contiguous())
}

const SQRT_1_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
const INV_SQRT_2PI: f32 = 0.398_942_3;

/// Exact GELU: `y = x·Φ(x)`, `Φ(x) = ½(1 + erf(x/√2))`; `dy/dx = Φ(x) + x·φ(x)`.
struct Gelu;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "seqlab-gelu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice(s, l)?;
        let mut y = vec![0f32; x.len()];
        y.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK))
            .for_each(|(y, x)| gelu_rows(x, y));
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let grad = grad.contiguous()?;
        Ok(Some(arg.apply_op2_no_bwd(&grad, &GeluBackward)?))
    }
}

struct GeluBackward;

impl CustomOp2 for GeluBackward {
    fn name(&self) -> &'static str {
        "seqlab-gelu-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, g) = (slice(s1, l1)?, slice(s2, l2)?);
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK).zip(g.par_chunks(CHUNK)))
            .for_each(|(o, (x, g))| gelu_grad_rows(x, g, o));
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// Exact GELU with a fused backward pass.
///
/// # Shapes
/// Any shape in, the same shape out.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    if applies(&[x]) {
        x.apply_op1(Gelu)
    } else {
        x.gelu_erf()
    }
}

/// LayerNorm over the last dimension `d`:
/// `x̂ = (x − μ)·r` with `r = 1/√(σ² + ε)`, `y = x̂·w + b`.
/// Backward: `dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))` with `ĝ = g·w`; `dw = Σ_rows g·x̂`;
/// `db = Σ_rows g`.
struct LayerNormOp {
    eps: f32,
}

impl LayerNormOp {
    /// Mean and inverse standard deviation of one row.
    fn stats(row: &[f32], eps: f32) -> (f32, f32) {
        let d = row.len() as f32;
        let mean = row.iter().sum::<f32>() / d;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d;
        (mean, 1.0 / (var + eps).sqrt())
    }
}

impl CustomOp3 for LayerNormOp {
    fn name(&self) -> &'static str {
        "seqlab-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, w, b) = (slice(s1, l1)?, slice(s2, l2)?, slice(s3, l3)?);
        let d = w.len();
        let mut y = vec![0f32; x.len()];
        y.par_chunks_mut(d)
            .zip(x.par_chunks(d))
            .with_min_len(ROWS)
            .for_each(|(out, row)| {
                let (mean, r) = Self::stats(row, self.eps);
                for (((o, v), wv), bv) in out.iter_mut().zip(row).zip(w).zip(b) {
                    *o = (v - mean) * r * wv + bv;
                }
            });
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        // One pass returns [rows + 2, d]: dx rows, then dw, then db.
        let packed = x.apply_op3_no_bwd(w, &grad, &LayerNormBackward { eps: self.eps })?;
        let d = w.dim(0)?;
        let rows = x.elem_count() / d;
        let dx = packed.narrow(0, 0, rows)?.reshape(x.shape())?;
        let dw = packed.get(rows)?;
        let db = packed.get(rows + 1)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

struct LayerNormBackward {
    eps: f32,
}

impl CustomOp3 for LayerNormBackward {
    fn name(&self) -> &'static str {
        "seqlab-layer-norm-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, w, g) = (slice(s1, l1)?, slice(s2, l2)?, slice(s3, l3)?);
        let d = w.len();
        let rows = x.len() / d;
        let mut out = vec![0f32; (rows + 2) * d];
        let (dx_all, tail) = out.split_at_mut(rows * d);
        // Blocks of ROWS rows in parallel; each returns its partial [dw | db], and the partial
        // sums are added in block order (the result does not depend on the thread count).
        let partials: Vec<Vec<f32>> = dx_all
            .par_chunks_mut(ROWS * d)
            .zip(x.par_chunks(ROWS * d).zip(g.par_chunks(ROWS * d)))
            .map(|(dx_block, (x_block, g_block))| {
                let mut acc = vec![0f32; 2 * d];
                let (dw, db) = acc.split_at_mut(d);
                let mut xhat = vec![0f32; d];
                let mut gw = vec![0f32; d];
                for ((dx, row), grow) in dx_block
                    .chunks_exact_mut(d)
                    .zip(x_block.chunks_exact(d))
                    .zip(g_block.chunks_exact(d))
                {
                    let (mean, r) = LayerNormOp::stats(row, self.eps);
                    let (mut s_gw, mut s_gwx) = (0f32, 0f32);
                    for i in 0..d {
                        xhat[i] = (row[i] - mean) * r;
                        gw[i] = grow[i] * w[i];
                        s_gw += gw[i];
                        s_gwx += gw[i] * xhat[i];
                        dw[i] += grow[i] * xhat[i];
                        db[i] += grow[i];
                    }
                    let (m_gw, m_gwx) = (s_gw / d as f32, s_gwx / d as f32);
                    for i in 0..d {
                        dx[i] = r * (gw[i] - m_gw - xhat[i] * m_gwx);
                    }
                }
                acc
            })
            .collect();
        for p in partials {
            tail.iter_mut().zip(&p).for_each(|(t, v)| *t += v);
        }
        Ok((CpuStorage::F32(out), Shape::from((rows + 2, d))))
    }
}

/// LayerNorm over the last dimension with a fused backward pass.
///
/// # Shapes
/// `x`: `[.., d]`, `w`, `b`: `[d]` → `[.., d]`.
pub fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor, eps: f64) -> Result<Tensor> {
    if applies(&[x, w, b]) {
        x.apply_op3(w, b, LayerNormOp { eps: eps as f32 })
    } else {
        candle_nn::ops::layer_norm_slow(x, w, b, eps as f32)
    }
}

/// Softmax over the last dimension; backward `dx = y·(g − Σ g·y)` per row.
struct Softmax;

impl CustomOp1 for Softmax {
    fn name(&self) -> &'static str {
        "seqlab-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice(s, l)?;
        let d = *l.dims().last().unwrap_or(&1);
        let mut y = x.to_vec();
        y.par_chunks_mut(d)
            .with_min_len(ROWS)
            .for_each(softmax_row_in_place);
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let grad = grad.contiguous()?;
        Ok(Some(res.apply_op2_no_bwd(&grad, &SoftmaxBackward)?))
    }
}

struct SoftmaxBackward;

impl CustomOp2 for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "seqlab-softmax-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (y, g) = (slice(s1, l1)?, slice(s2, l2)?);
        let d = *l1.dims().last().unwrap_or(&1);
        let mut out = vec![0f32; y.len()];
        out.par_chunks_mut(d)
            .zip(y.par_chunks(d).zip(g.par_chunks(d)))
            .with_min_len(ROWS)
            .for_each(|(o, (yr, gr))| {
                let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
                for i in 0..d {
                    o[i] = yr[i] * (gr[i] - dot);
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// Softmax over the last dimension with a fused backward pass.
///
/// # Shapes
/// Any shape in, the same shape out.
pub fn softmax_last(x: &Tensor) -> Result<Tensor> {
    if applies(&[x]) {
        x.apply_op1(Softmax)
    } else {
        candle_nn::ops::softmax(x, candle_core::D::Minus1)
    }
}

/// `y = x + b` over the last dimension; backward `dx = g`, `db = Σ_rows g`.
struct BiasAdd;

impl CustomOp2 for BiasAdd {
    fn name(&self) -> &'static str {
        "seqlab-bias-add"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, b) = (slice(s1, l1)?, slice(s2, l2)?);
        let d = b.len();
        let mut y = x.to_vec();
        y.par_chunks_mut(d).with_min_len(ROWS).for_each(|row| {
            row.iter_mut().zip(b).for_each(|(v, bv)| *v += bv);
        });
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let db = grad.apply_op1_no_bwd(&RowSum { d: b.dim(0)? })?;
        Ok((Some(grad), Some(db)))
    }
}

struct RowSum {
    d: usize,
}

impl CustomOp1 for RowSum {
    fn name(&self) -> &'static str {
        "seqlab-row-sum"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = slice(s, l)?;
        let d = self.d;
        // Partial sums per block of rows, added in block order (thread-count independent).
        let partials: Vec<Vec<f32>> = g
            .par_chunks(ROWS * d)
            .map(|block| {
                let mut acc = vec![0f32; d];
                for row in block.chunks_exact(d) {
                    acc.iter_mut().zip(row).for_each(|(o, v)| *o += v);
                }
                acc
            })
            .collect();
        let mut out = vec![0f32; d];
        for p in partials {
            out.iter_mut().zip(&p).for_each(|(o, v)| *o += v);
        }
        Ok((CpuStorage::F32(out), Shape::from(self.d)))
    }
}

/// `x + b` broadcast over the last dimension with a fast bias gradient.
///
/// # Shapes
/// `x`: `[.., d]`, `b`: `[d]` → `[.., d]`.
pub fn bias_add(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    if applies(&[x, b]) {
        x.apply_op2(b, BiasAdd)
    } else {
        x.broadcast_add(b)
    }
}

/// `y = x Wᵀ + b` in one pass (the bias initialises the product's destination).
/// Backward: `dx = g W`, `dW = gᵀ x` (written directly in W's `[out, in]` layout), `db = Σ_rows g`.
struct LinearOp;

/// `dst[m×n] (+)= lhs[m×k] · rhs[k×n]` over the thread pool; strides as `(row, col)`.
///
/// # Safety
/// The pointers must address the strided matrices in full.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_par(
    (m, n, k): (usize, usize, usize),
    dst: *mut f32,
    dst_s: (isize, isize),
    accumulate: bool,
    lhs: *const f32,
    lhs_s: (isize, isize),
    rhs: *const f32,
    rhs_s: (isize, isize),
) {
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            dst_s.1,
            dst_s.0,
            accumulate,
            lhs,
            lhs_s.1,
            lhs_s.0,
            rhs,
            rhs_s.1,
            rhs_s.0,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            parallelism,
        )
    }
}

impl CustomOp3 for LinearOp {
    fn name(&self) -> &'static str {
        "seqlab-linear"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, w, b) = (slice(s1, l1)?, slice(s2, l2)?, slice(s3, l3)?);
        let k = *l1.dims().last().unwrap_or(&0);
        let rows = x.len().checked_div(k).unwrap_or(0);
        let (n, k2) = l2.shape().dims2()?;
        if k != k2 || b.len() != n {
            candle_core::bail!(
                "fused linear: shapes {:?} {:?} {:?}",
                l1.dims(),
                l2.dims(),
                l3.dims()
            );
        }
        let mut y = vec![0f32; rows * n];
        y.par_chunks_mut(n)
            .with_min_len(ROWS)
            .for_each(|row| row.copy_from_slice(b));
        // SAFETY: x is rows×k, W is n×k (read as Wᵀ, k×n), y is rows×n.
        unsafe {
            gemm_par(
                (rows, n, k),
                y.as_mut_ptr(),
                (n as isize, 1),
                true,
                x.as_ptr(),
                (k as isize, 1),
                w.as_ptr(),
                (1, k as isize),
            )
        };
        let mut dims = l1.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = n;
        }
        Ok((CpuStorage::F32(y), Shape::from(dims)))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let dx = grad.apply_op2_no_bwd(w, &LinearGrad::Input)?;
        let dw = grad.apply_op2_no_bwd(x, &LinearGrad::Weight)?;
        let db = grad.apply_op1_no_bwd(&RowSum { d: b.dim(0)? })?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// The two matrix products of the linear layer's backward pass, from the gradient `g`.
enum LinearGrad {
    /// `dx = g W`: `g` `[rows, n]`, `W` `[n, k]` → `[rows, k]`.
    Input,
    /// `dW = gᵀ x`: `g` `[rows, n]`, `x` `[rows, k]` → `[n, k]`.
    Weight,
}

impl CustomOp2 for LinearGrad {
    fn name(&self) -> &'static str {
        "seqlab-linear-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (g, other) = (slice(s1, l1)?, slice(s2, l2)?);
        // g is [.., n]; `other` is W [n, k] (Input) or x [.., k] (Weight).
        let n = *l1.dims().last().unwrap_or(&0);
        let rows = g.len().checked_div(n).unwrap_or(0);
        let (a, k) = match self {
            LinearGrad::Input => l2.shape().dims2()?,
            LinearGrad::Weight => {
                let k = *l2.dims().last().unwrap_or(&0);
                (other.len().checked_div(k).unwrap_or(0), k)
            }
        };
        match self {
            LinearGrad::Input => {
                if a != n {
                    candle_core::bail!("fused linear backward: weight has {a} rows, not {n}");
                }
                let mut dx = vec![0f32; rows * k];
                // SAFETY: g is rows×n, W is n×k, dx is rows×k.
                unsafe {
                    gemm_par(
                        (rows, k, n),
                        dx.as_mut_ptr(),
                        (k as isize, 1),
                        false,
                        g.as_ptr(),
                        (n as isize, 1),
                        other.as_ptr(),
                        (k as isize, 1),
                    )
                };
                let mut dims = l1.dims().to_vec();
                if let Some(last) = dims.last_mut() {
                    *last = k;
                }
                Ok((CpuStorage::F32(dx), Shape::from(dims)))
            }
            LinearGrad::Weight => {
                if a != rows {
                    candle_core::bail!("fused linear backward: input has {a} rows, not {rows}");
                }
                let mut dw = vec![0f32; n * k];
                // SAFETY: gᵀ is n×rows, x is rows×k, dW is n×k.
                unsafe {
                    gemm_par(
                        (n, k, rows),
                        dw.as_mut_ptr(),
                        (k as isize, 1),
                        false,
                        g.as_ptr(),
                        (1, n as isize),
                        other.as_ptr(),
                        (k as isize, 1),
                    )
                };
                Ok((CpuStorage::F32(dw), Shape::from((n, k))))
            }
        }
    }
}

/// A dense layer with bias, fused on the CPU (leading dimensions are flattened inside the
/// operation, so no reshape nodes enter the backward graph).
///
/// # Shapes
/// `x`: `[.., in]`, `w`: `[out, in]`, `b`: `[out]` → `[.., out]`.
pub fn linear(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    if applies(&[x, w, b]) {
        x.apply_op3(w, b, LinearOp)
    } else {
        let dims = x.dims().to_vec();
        let k = *dims.last().unwrap_or(&1);
        let y = bias_add(&x.reshape(((), k))?.matmul(&w.t()?)?, b)?;
        let mut out = dims;
        if let Some(last) = out.last_mut() {
            *last = w.dim(0)?;
        }
        y.reshape(out)
    }
}

/// `y = x∘m + r` (dropout with a given mask, then a residual connection).
/// Backward: `dx = g∘m`, `dr = g`.
struct DropoutAdd {
    mask: Tensor,
}

impl CustomOp2 for DropoutAdd {
    fn name(&self) -> &'static str {
        "seqlab-dropout-add"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, r) = (slice(s1, l1)?, slice(s2, l2)?);
        let guard = self.mask.storage_and_layout();
        let m = match &*guard.0 {
            candle_core::Storage::Cpu(s) => slice(s, guard.1)?,
            _ => candle_core::bail!("dropout-add: mask is not on the CPU"),
        };
        if r.len() != x.len() || m.len() != x.len() {
            candle_core::bail!("dropout-add: input, residual and mask differ in size");
        }
        let mut y = vec![0f32; x.len()];
        y.par_chunks_mut(CHUNK)
            .zip(
                x.par_chunks(CHUNK)
                    .zip(r.par_chunks(CHUNK))
                    .zip(m.par_chunks(CHUNK)),
            )
            .for_each(|(y, ((x, r), m))| {
                for i in 0..y.len() {
                    y[i] = x[i] * m[i] + r[i];
                }
            });
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        _r: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let dx = grad.apply_op2_no_bwd(&self.mask, &Mul)?;
        Ok((Some(dx), Some(grad)))
    }
}

/// `y = x∘m` (dropout with a given mask); backward `dx = g∘m`, and no gradient for the mask.
struct Dropout {
    mask: Tensor,
}

impl CustomOp1 for Dropout {
    fn name(&self) -> &'static str {
        "seqlab-dropout"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let guard = self.mask.storage_and_layout();
        match &*guard.0 {
            candle_core::Storage::Cpu(m) => Mul.cpu_fwd(s, l, m, guard.1),
            _ => candle_core::bail!("dropout: mask is not on the CPU"),
        }
    }

    fn bwd(&self, _x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let grad = grad.contiguous()?;
        Ok(Some(grad.apply_op2_no_bwd(&self.mask, &Mul)?))
    }
}

/// `x∘mask` with a backward pass that leaves the mask alone.
///
/// # Shapes
/// `x`, `mask`: one shape → that shape.
pub fn dropout(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    if applies(&[x, mask]) && x.shape() == mask.shape() {
        x.apply_op1(Dropout { mask: mask.clone() })
    } else {
        x.mul(mask)
    }
}

/// Element-wise product of two contiguous f32 tensors of one shape.
struct Mul;

impl CustomOp2 for Mul {
    fn name(&self) -> &'static str {
        "seqlab-mul"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (a, b) = (slice(s1, l1)?, slice(s2, l2)?);
        if a.len() != b.len() {
            candle_core::bail!("mul: operands differ in size");
        }
        let mut y = vec![0f32; a.len()];
        y.par_chunks_mut(CHUNK)
            .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
            .for_each(|(y, (a, b))| {
                for i in 0..y.len() {
                    y[i] = a[i] * b[i];
                }
            });
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }
}

/// `x∘mask + residual` with a fused backward pass; `mask = None` is a plain sum.
///
/// # Shapes
/// `x`, `residual`, `mask`: one shape → that shape.
pub fn dropout_add(x: &Tensor, residual: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
    match mask {
        Some(m) if applies(&[x, residual, m]) && x.shape() == m.shape() => {
            x.apply_op2(residual, DropoutAdd { mask: m.clone() })
        }
        Some(m) => x.mul(m)?.add(residual),
        None => x.add(residual),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{D, Device, Var};

    fn close(a: &Tensor, b: &Tensor, tol: f32) {
        let d = (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(d <= tol, "max difference {d} > {tol}");
    }

    #[test]
    fn fast_exp_and_erf_are_accurate() {
        for i in -800..=800 {
            let x = i as f32 / 20.0;
            let e = fast_exp(x);
            assert!(((e - x.exp()) / x.exp()).abs() < 5e-7, "exp({x}) = {e}");
        }
        for i in -600..=600 {
            let x = i as f64 / 100.0;
            // erf via the f64 error function of the statistics module.
            let want = 1.0 - crate::metrics::stats::erfc(x);
            let got = fast_erf(x as f32) as f64;
            assert!((got - want).abs() < 5e-7, "erf({x}) = {got}, want {want}");
        }
    }

    /// Forward values and gradients of each fused kernel against candle's composite
    /// operations, for random inputs and a random upstream gradient.
    #[test]
    fn fused_kernels_match_composite_ops() {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::randn(0f32, 2., (3, 5, 16), &dev).unwrap()).unwrap();
        let w = Var::from_tensor(&Tensor::randn(1f32, 0.3, 16, &dev).unwrap()).unwrap();
        let b = Var::from_tensor(&Tensor::randn(0f32, 0.3, 16, &dev).unwrap()).unwrap();
        let up = Tensor::randn(0f32, 1., (3, 5, 16), &dev).unwrap();
        let check = |fused: Tensor, composite: Tensor, vars: &[&Var]| {
            close(&fused, &composite, 1e-5);
            let gf = (fused * &up)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let gc = (composite * &up)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for v in vars {
                close(gf.get(v).unwrap(), gc.get(v).unwrap(), 1e-4);
            }
        };
        let (xt, wt, bt) = (x.as_tensor(), w.as_tensor(), b.as_tensor());
        check(gelu(xt).unwrap(), xt.gelu_erf().unwrap(), &[&x]);
        check(
            layer_norm(xt, wt, bt, 1e-12).unwrap(),
            candle_nn::ops::layer_norm_slow(xt, wt, bt, 1e-12).unwrap(),
            &[&x, &w, &b],
        );
        check(
            softmax_last(xt).unwrap(),
            candle_nn::ops::softmax(xt, D::Minus1).unwrap(),
            &[&x],
        );
        check(
            bias_add(xt, bt).unwrap(),
            xt.broadcast_add(bt).unwrap(),
            &[&x, &b],
        );
        let mask =
            crate::model::ops::dropout_mask(&[3, 5, 16], 0.3, &mut crate::rng::seeded(2), &dev)
                .unwrap();
        check(dropout(xt, &mask).unwrap(), (xt * &mask).unwrap(), &[&x]);
        check(
            dropout_add(xt, &up.sin().unwrap(), Some(&mask)).unwrap(),
            (xt * &mask).unwrap().add(&up.sin().unwrap()).unwrap(),
            &[&x],
        );
        // Linear: 15 rows, 16 → 7, with more rows than a parallel block (ROWS) too.
        for rows in [15, 200] {
            let x2 = Var::from_tensor(&Tensor::randn(0f32, 1., (rows, 16), &dev).unwrap()).unwrap();
            let w2 = Var::from_tensor(&Tensor::randn(0f32, 0.5, (7, 16), &dev).unwrap()).unwrap();
            let b2 = Var::from_tensor(&Tensor::randn(0f32, 0.5, 7, &dev).unwrap()).unwrap();
            let up2 = Tensor::randn(0f32, 1., (rows, 7), &dev).unwrap();
            let (xt2, wt2, bt2) = (x2.as_tensor(), w2.as_tensor(), b2.as_tensor());
            let fused = linear(xt2, wt2, bt2).unwrap();
            let composite = xt2
                .matmul(&wt2.t().unwrap())
                .unwrap()
                .broadcast_add(bt2)
                .unwrap();
            close(&fused, &composite, 1e-5);
            let gf = (fused * &up2)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let gc = (composite * &up2)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for v in [&x2, &w2, &b2] {
                close(gf.get(v).unwrap(), gc.get(v).unwrap(), 1e-4);
            }
        }
    }
}
