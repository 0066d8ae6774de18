//! Token-level losses on label distributions.
//!
//! One loss serves hard and soft labels: the cross-entropy between a target distribution `y`
//! and the model's `p = softmax(z)`, `−Σ_c y_c log p_c`, which is `KL(y ‖ p)` plus the
//! target's entropy (the same gradient). A hard label is a one-hot `y`. SeqMix's mixed labels
//! (Eq. 8) and LADA's (Eq. 1) are soft `y`.

use candle_core::{D, Result, Tensor};

/// Mean soft cross-entropy over the positions where `mask` is 1.
///
/// # Shapes
/// `logits`: `[B, T, C]`, `targets`: `[B, T, C]` (rows summing to 1 where used), `mask`:
/// `[B, T]` → scalar.
pub fn soft_cross_entropy(logits: &Tensor, targets: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let per_token = (log_p * targets)?.sum(D::Minus1)?.neg()?; // [B, T]
    let total = (per_token * mask)?.sum_all()?;
    let count = mask.sum_all()?.clamp(1.0, f64::MAX)?;
    total.div(&count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn matches_hand_computation_and_ignores_masked_positions() {
        let dev = Device::Cpu;
        let logits = Tensor::new(&[[[0f32, 0.], [2., 0.], [50., -50.]]], &dev).unwrap();
        let targets = Tensor::new(&[[[1f32, 0.], [0.5, 0.5], [0., 1.]]], &dev).unwrap();
        let mask = Tensor::new(&[[1f32, 1., 0.]], &dev).unwrap();
        let l = soft_cross_entropy(&logits, &targets, &mask)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        // position 0: ln 2; position 1: −½ln σ(2) − ½ln(1−σ(2)).
        let s = 1.0 / (1.0 + (-2f32).exp());
        let want = (2f32.ln() + (-0.5 * s.ln() - 0.5 * (1.0 - s).ln())) / 2.0;
        assert!((l - want).abs() < 1e-6, "{l} vs {want}");
    }

    #[test]
    fn a_soft_target_moves_the_logits_toward_it() {
        let dev = Device::Cpu;
        let z = Var::new(&[[[0f32, 0., 0.]]], &dev).unwrap();
        let y = Tensor::new(&[[[0.7f32, 0.3, 0.]]], &dev).unwrap();
        let m = Tensor::new(&[[1f32]], &dev).unwrap();
        let g = soft_cross_entropy(z.as_tensor(), &y, &m)
            .unwrap()
            .backward()
            .unwrap();
        // d/dz = p − y = (1/3 − 0.7, 1/3 − 0.3, 1/3).
        let grad: Vec<f32> = g.get(&z).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        for (a, b) in grad.iter().zip([1. / 3. - 0.7, 1. / 3. - 0.3, 1. / 3.]) {
            assert!((a - b).abs() < 1e-6);
        }
    }
}
