//! Batches with dynamic padding.
//!
//! Sequences are padded to the longest one in their batch, not to a fixed 128: CoNLL sentences
//! average about 22 word pieces. For training, [`plan_batches`] shuffles, then sorts within
//! buckets of 50 batches by length, cuts batches and shuffles their order, so batches hold
//! sequences of similar length while their order stays random. For inference it sorts by
//! length.

use candle_core::{Device, Tensor};
use rand::seq::SliceRandom;

use crate::encoding::tokenizer::Encoded;
use crate::error::Result;
use crate::model::params::candle_err;
use crate::rng::SeqRng;

/// Batches per length bucket when training.
pub const BUCKET_BATCHES: usize = 50;

/// One sequence ready for batching.
#[derive(Debug, Clone)]
pub struct Example {
    /// The encoded chunk.
    pub chunk: Encoded,
    /// Per piece, the target distribution where the loss applies (empty when unlabeled).
    pub targets: Vec<Option<Vec<f32>>>,
    /// Index of the sentence the chunk comes from.
    pub sentence: usize,
    /// Per piece, the shape class of its word (empty when the tagger uses no casing).
    pub case: Vec<u32>,
}

/// Padded tensors for a group of examples.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Piece ids.
    ///
    /// # Shapes
    /// `[B, T]` u32.
    pub ids: Tensor,
    /// 1 for real pieces, 0 for padding; `[B, T]` f32.
    pub mask: Tensor,
    /// Target distributions, zero where the loss does not apply; `[B, T, C]` f32.
    pub targets: Option<Tensor>,
    /// 1 where the loss applies; `[B, T]` f32.
    pub loss_mask: Option<Tensor>,
    /// Word-shape ids; `[B, T]` u32 (when the examples have them).
    pub case_ids: Option<Tensor>,
    /// Index of each row's example.
    pub rows: Vec<usize>,
}

/// Groups example indices into batches of at most `batch_size` (see the module docs).
pub fn plan_batches(
    lengths: &[usize],
    batch_size: usize,
    rng: Option<&mut SeqRng>,
) -> Vec<Vec<usize>> {
    let batch_size = batch_size.max(1);
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    match rng {
        None => {
            order.sort_by_key(|&i| (lengths[i], i));
            order.chunks(batch_size).map(<[usize]>::to_vec).collect()
        }
        Some(rng) => {
            order.shuffle(rng);
            let mut batches: Vec<Vec<usize>> = Vec::new();
            for bucket in order.chunks_mut(batch_size * BUCKET_BATCHES) {
                bucket.sort_by_key(|&i| lengths[i]);
                batches.extend(bucket.chunks(batch_size).map(<[usize]>::to_vec));
            }
            batches.shuffle(rng);
            batches
        }
    }
}

/// Pads `examples` into tensors on `device`; `num_labels` is the target width.
///
/// # Errors
/// A candle error while building tensors.
pub fn make_batch(
    examples: &[&Example],
    rows: Vec<usize>,
    pad_id: u32,
    num_labels: usize,
    device: &Device,
) -> Result<Batch> {
    let b = examples.len();
    let t = examples.iter().map(|e| e.chunk.len()).max().unwrap_or(0);
    let mut ids = vec![pad_id; b * t];
    let mut mask = vec![0f32; b * t];
    let labeled = examples.iter().any(|e| !e.targets.is_empty());
    let mut targets = if labeled {
        vec![0f32; b * t * num_labels]
    } else {
        Vec::new()
    };
    let mut loss_mask = if labeled {
        vec![0f32; b * t]
    } else {
        Vec::new()
    };
    let cased = examples.iter().any(|e| !e.case.is_empty());
    let mut case = if cased { vec![0u32; b * t] } else { Vec::new() };
    for (r, e) in examples.iter().enumerate() {
        if cased {
            case[r * t..r * t + e.case.len()].copy_from_slice(&e.case);
        }
        for (i, &id) in e.chunk.ids.iter().enumerate() {
            ids[r * t + i] = id;
            mask[r * t + i] = 1.0;
        }
        for (i, target) in e.targets.iter().enumerate() {
            if let Some(d) = target {
                let at = (r * t + i) * num_labels;
                targets[at..at + num_labels].copy_from_slice(&d[..num_labels]);
                loss_mask[r * t + i] = 1.0;
            }
        }
    }
    let tensor = |v: Vec<f32>, shape: &[usize]| Tensor::from_vec(v, shape, device);
    Ok(Batch {
        ids: Tensor::from_vec(ids, (b, t), device).map_err(candle_err)?,
        mask: tensor(mask, &[b, t]).map_err(candle_err)?,
        targets: if labeled {
            Some(tensor(targets, &[b, t, num_labels]).map_err(candle_err)?)
        } else {
            None
        },
        loss_mask: if labeled {
            Some(tensor(loss_mask, &[b, t]).map_err(candle_err)?)
        } else {
            None
        },
        case_ids: if cased {
            Some(Tensor::from_vec(case, (b, t), device).map_err(candle_err)?)
        } else {
            None
        },
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planning_covers_every_example_once() {
        let lengths: Vec<usize> = (0..1000).map(|i| (i * 37) % 61 + 3).collect();
        for rng in [None, Some(crate::rng::seeded(4))] {
            let mut rng = rng;
            let batches = plan_batches(&lengths, 16, rng.as_mut());
            let mut all: Vec<usize> = batches.iter().flatten().copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..1000).collect::<Vec<_>>());
            assert!(batches.iter().all(|b| b.len() <= 16));
        }
        // Inference batches are sorted by length.
        let b = plan_batches(&lengths, 16, None);
        assert!(b.windows(2).all(|w| lengths[w[0][0]] <= lengths[w[1][0]]));
        // Training plans are seeded.
        let a = plan_batches(&lengths, 16, Some(&mut crate::rng::seeded(1)));
        let c = plan_batches(&lengths, 16, Some(&mut crate::rng::seeded(1)));
        assert_eq!(a, c);
        // Bucketing keeps padding low: the average spread within a batch is small.
        let spread: usize = a
            .iter()
            .map(|b| {
                let l: Vec<usize> = b.iter().map(|&i| lengths[i]).collect();
                l.iter().max().unwrap() - l.iter().min().unwrap()
            })
            .sum();
        assert!(spread / a.len() < 10, "average spread {}", spread / a.len());
    }

    #[test]
    fn padding_and_targets() {
        let e1 = Example {
            chunk: Encoded {
                ids: vec![101, 7, 102],
                word_of: vec![None, Some(0), None],
                first: vec![false, true, false],
                words: 0..1,
            },
            targets: vec![None, Some(vec![0.0, 1.0]), None],
            sentence: 0,
            case: Vec::new(),
        };
        let e2 = Example {
            chunk: Encoded {
                ids: vec![101, 8, 9, 102],
                word_of: vec![None, Some(0), Some(1), None],
                first: vec![false, true, true, false],
                words: 0..2,
            },
            targets: vec![None, Some(vec![1.0, 0.0]), Some(vec![0.5, 0.5]), None],
            sentence: 1,
            case: Vec::new(),
        };
        let b = make_batch(&[&e1, &e2], vec![0, 1], 0, 2, &Device::Cpu).unwrap();
        assert_eq!(
            b.ids.to_vec2::<u32>().unwrap(),
            [[101, 7, 102, 0], [101, 8, 9, 102]]
        );
        assert_eq!(
            b.mask.to_vec2::<f32>().unwrap(),
            [[1., 1., 1., 0.], [1., 1., 1., 1.]]
        );
        assert_eq!(
            b.loss_mask.unwrap().to_vec2::<f32>().unwrap(),
            [[0., 1., 0., 0.], [0., 1., 1., 0.]]
        );
        let t = b.targets.unwrap().to_vec3::<f32>().unwrap();
        assert_eq!(t[1][2], [0.5, 0.5]);
    }
}
