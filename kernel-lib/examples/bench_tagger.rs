//! Throughput of the MiniLM tagger: training steps and inference on real CoNLL-2003 batches.
//! Run by `kernel-lib/benches/tagger_vs_pytorch.sh`, which also runs the PyTorch side on the
//! very same batches (written to JSON by `--write-batches`).
//!
//! ```text
//! cargo run --release --example bench_tagger -- --write-batches batches.json
//! cargo run --release --example bench_tagger -- --batches batches.json --steps 20 > seqlab.json
//! ```

use std::path::PathBuf;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use seqlab::data::corpora::{CorpusName, data_dir, load_corpus};
use seqlab::data::{Subset, TagScheme};
use seqlab::encoding::{Batch, plan_batches};
use seqlab::model::Pass;
use seqlab::model::params::candle_err;
use seqlab::train::optim::{AdamW, AdamWConfig};
use seqlab::train::{Tagger, TaggerOptions, TrainItem};

/// One batch as `(ids [B][T], mask [B][T], labels [B][T])`, labels -100 where ignored.
type JsonBatch = (Vec<Vec<u32>>, Vec<Vec<u32>>, Vec<Vec<i64>>);

#[derive(Serialize, Deserialize)]
struct Batches {
    num_labels: usize,
    batches: Vec<JsonBatch>,
}

#[derive(Serialize)]
struct Timing {
    implementation: &'static str,
    threads: usize,
    steps: usize,
    train_tokens_per_s: f64,
    infer_tokens_per_s: f64,
    matmul_gflops: f64,
    tokens: usize,
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn arg_flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn model_dir() -> PathBuf {
    data_dir().join("models/all-MiniLM-L6-v2")
}

fn main() -> seqlab::Result<()> {
    // SAFETY: first statement of main, no other thread has started.
    unsafe { seqlab::model::configure_cpu_threads() };
    let device = Device::Cpu;
    let corpus = load_corpus(CorpusName::Conll2003, &data_dir())?;
    let vocab = corpus.vocab();
    let mut rng = seqlab::rng::seeded(1);
    let tagger = Tagger::from_pretrained(
        &model_dir(),
        vocab.clone(),
        TagScheme::Iob2,
        // The architecture of transformers' BertForTokenClassification: no case embeddings.
        &TaggerOptions {
            casing: seqlab::encoding::Casing::Off,
            ..TaggerOptions::default()
        },
        &device,
        &mut rng,
    )?;
    if let Some(out) = arg("--write-batches") {
        let train = corpus.train.subset(&"first:640".parse::<Subset>()?)?;
        let items = train
            .sentences
            .iter()
            .map(|s| TrainItem::from_sentence(s, &vocab))
            .collect::<seqlab::Result<Vec<_>>>()?;
        let (examples, _) = tagger.examples(&items)?;
        let lengths: Vec<usize> = examples.iter().map(|e| e.chunk.len()).collect();
        let plan = plan_batches(&lengths, 32, Some(&mut seqlab::rng::seeded(2)));
        let mut batches = Vec::new();
        for rows in plan {
            let b = tagger.batch(&examples, &rows)?;
            let ids: Vec<Vec<u32>> = b.ids.to_vec2().map_err(candle_err)?;
            let mask: Vec<Vec<f32>> = b.mask.to_vec2().map_err(candle_err)?;
            let t = b
                .targets
                .as_ref()
                .expect("labeled")
                .argmax(2)
                .map_err(candle_err)?;
            let lm: Vec<Vec<f32>> = b
                .loss_mask
                .as_ref()
                .expect("labeled")
                .to_vec2()
                .map_err(candle_err)?;
            let t: Vec<Vec<u32>> = t.to_vec2().map_err(candle_err)?;
            let labels = t
                .iter()
                .zip(&lm)
                .map(|(r, m)| {
                    r.iter()
                        .zip(m)
                        .map(|(&l, &w)| if w > 0.0 { l as i64 } else { -100 })
                        .collect()
                })
                .collect();
            let mask = mask
                .iter()
                .map(|r| r.iter().map(|&v| v as u32).collect())
                .collect();
            batches.push((ids, mask, labels));
        }
        let json = serde_json::to_string(&Batches {
            num_labels: vocab.len(),
            batches,
        })
        .expect("json");
        seqlab::files::write_atomic(std::path::Path::new(&out), json.as_bytes())?;
        return Ok(());
    }
    let path = arg("--batches").expect("--batches FILE");
    let steps: usize = arg("--steps").map_or(20, |s| s.parse().expect("--steps N"));
    let data: Batches =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("batches")).expect("json");
    let c = data.num_labels;
    let batches: Vec<Batch> = data
        .batches
        .iter()
        .map(|(ids, mask, labels)| {
            let (b, t) = (ids.len(), ids[0].len());
            let flat_ids: Vec<u32> = ids.iter().flatten().copied().collect();
            let flat_mask: Vec<f32> = mask.iter().flatten().map(|&v| v as f32).collect();
            let mut targets = vec![0f32; b * t * c];
            let mut lmask = vec![0f32; b * t];
            for (k, &l) in labels.iter().flatten().enumerate() {
                if l >= 0 {
                    targets[k * c + l as usize] = 1.0;
                    lmask[k] = 1.0;
                }
            }
            Batch {
                ids: Tensor::from_vec(flat_ids, (b, t), &device).unwrap(),
                mask: Tensor::from_vec(flat_mask, (b, t), &device).unwrap(),
                targets: Some(Tensor::from_vec(targets, (b, t, c), &device).unwrap()),
                loss_mask: Some(Tensor::from_vec(lmask, (b, t), &device).unwrap()),
                case_ids: None,
                rows: (0..b).collect(),
            }
        })
        .collect();
    let tokens_of = |b: &Batch| b.mask.sum_all().unwrap().to_scalar::<f32>().unwrap() as usize;
    // Warm-up, then timed steps over the batches in order (cycling).
    let mut opt = AdamW::new(tagger.store().vars(), AdamWConfig::default())?;
    let mut phases = [0f64; 3];
    let mut step = |b: &Batch| -> seqlab::Result<()> {
        let t0 = Instant::now();
        let loss = tagger.loss(b, &mut Pass::train(&mut rng))?;
        let t1 = Instant::now();
        let g = loss.backward().map_err(candle_err)?;
        let t2 = Instant::now();
        opt.step(&g, 5e-5, Some(1.0))?;
        phases[0] += (t1 - t0).as_secs_f64();
        phases[1] += (t2 - t1).as_secs_f64();
        phases[2] += t2.elapsed().as_secs_f64();
        Ok(())
    };
    // `--infer-only` skips training (for profiling inference).
    let train_steps = if arg_flag("--infer-only") { 0 } else { steps };
    for b in batches.iter().take(3.min(train_steps)) {
        step(b)?;
    }
    let (mut tokens, started) = (0usize, Instant::now());
    for b in batches.iter().cycle().take(train_steps) {
        step(b)?;
        tokens += tokens_of(b);
    }
    let train = tokens as f64 / started.elapsed().as_secs_f64();
    eprintln!(
        "training phases, s (incl. warm-up): forward {:.2}, backward {:.2}, optimizer {:.2}",
        phases[0], phases[1], phases[2]
    );
    let infer_once = |b: &Batch| -> seqlab::Result<()> {
        let l = tagger.logits(b, &mut Pass::eval()).map_err(candle_err)?;
        let _ = candle_nn::ops::softmax_last_dim(&l).map_err(candle_err)?;
        Ok(())
    };
    for b in batches.iter().take(3) {
        infer_once(b)?;
    }
    let (mut itokens, started) = (0usize, Instant::now());
    for b in batches.iter().cycle().take(steps) {
        infer_once(b)?;
        itokens += tokens_of(b);
    }
    let infer = itokens as f64 / started.elapsed().as_secs_f64();
    // Matmul peak: 1024³ f32, best of 10.
    let a = Tensor::randn(0f32, 1., (1024, 1024), &device).map_err(candle_err)?;
    let mut best = f64::MAX;
    for _ in 0..10 {
        let t0 = Instant::now();
        let _ = a
            .matmul(&a)
            .map_err(candle_err)?
            .to_dtype(DType::F32)
            .map_err(candle_err)?;
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let timing = Timing {
        implementation: "seqlab",
        threads: candle_core::utils::get_num_threads(),
        steps,
        train_tokens_per_s: train,
        infer_tokens_per_s: infer,
        matmul_gflops: 2.0 * 1024f64.powi(3) / best / 1e9,
        tokens,
    };
    println!("{}", serde_json::to_string(&timing).expect("json"));
    Ok(())
}
