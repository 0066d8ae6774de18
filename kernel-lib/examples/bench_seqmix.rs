//! Speed of SeqMix generation on real input: the CoNLL-2003 seed batch (200 random training
//! sentences, as in the paper's protocol), MiniLM's token table, sub-sequence mixup, `s = 5`,
//! `η₀ = 0.6`. Run by `kernel-lib/benches/seqmix_vs_numpy.sh`, which also runs the reference
//! code's numpy routine (`kernel-lib/benches/seqmix_reference.py`) on the same mixing inputs.
//!
//! ```text
//! cargo run --release --example bench_seqmix -- --rate 0.2 --repeats 5 --export inputs.json
//! ```
//!
//! Prints one JSON line: the median seconds of `SeqMix::generate` (pairing, λ, mixing,
//! nearest-token search, labels; no discriminator, which is timed apart as it runs a language
//! model) and the number of nearest-token searches it made.

use std::time::Instant;

use candle_core::Device;
use rand::seq::index::sample;

use seqlab::augment::seqmix::{DiscriminatorConfig, SeqMix, SeqMixConfig};
use seqlab::data::corpora::{CorpusName, data_dir, load_corpus};
use seqlab::train::TrainItem;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> seqlab::Result<()> {
    // SAFETY: first statement of main, no other thread has started.
    unsafe { seqlab::model::configure_cpu_threads() };
    let rate: f64 = arg("--rate").and_then(|v| v.parse().ok()).unwrap_or(0.2);
    let repeats: usize = arg("--repeats").and_then(|v| v.parse().ok()).unwrap_or(5);
    let corpus = load_corpus(CorpusName::Conll2003, &data_dir())?;
    let labels = corpus.vocab();
    let mut rng = seqlab::rng::seeded(200);
    let ids = sample(&mut rng, corpus.train.len(), 200).into_vec();
    let batch: Vec<TrainItem> = ids
        .iter()
        .map(|&i| TrainItem::from_sentence(&corpus.train.sentences[i], &labels))
        .collect::<seqlab::Result<_>>()?;
    let cfg = SeqMixConfig {
        rate,
        discriminator: DiscriminatorConfig::None,
        ..SeqMixConfig::default()
    };
    let model = data_dir().join("models/all-MiniLM-L6-v2");
    let mut seqmix = SeqMix::new(cfg, &model, labels, Vec::new(), None, &Device::Cpu)?;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let g = seqmix.generate(&batch, None, &mut seqlab::rng::seeded(7))?;
        times.push(t0.elapsed().as_secs_f64());
        last = Some(g);
    }
    let g = last.expect("at least one repeat");
    times.sort_by(f64::total_cmp);
    let searches: usize = g
        .cases
        .iter()
        .filter(|c| c.frame == 0 && !c.tokens.is_empty())
        .map(|c| c.len)
        .sum();
    // Every mixed position of the last generation (frame 0 carries the pair): its parents'
    // words and pieces, λ and the mixed vector. They time the nearest-token search alone and
    // are exported for the numpy reference.
    let table = seqmix.table();
    let (mut all_mixed, mut all_parents, mut inputs) = (Vec::new(), Vec::new(), Vec::new());
    for c in g
        .cases
        .iter()
        .filter(|c| c.frame == 0 && !c.tokens.is_empty())
    {
        let wi: Vec<&str> = (0..c.len)
            .map(|t| c.parents[0][c.windows[0] + t].as_str())
            .collect();
        let wj: Vec<&str> = (0..c.len)
            .map(|t| c.parents[1][c.windows[1] + t].as_str())
            .collect();
        let (vi, vj) = (table.word_vectors(&wi)?, table.word_vectors(&wj)?);
        let (pi, pj) = (table.word_pieces(&wi)?, table.word_pieces(&wj)?);
        let l = c.lambda as f32;
        for t in 0..c.len {
            all_mixed.push(
                vi[t]
                    .iter()
                    .zip(&vj[t])
                    .map(|(x, y)| l * x + (1.0 - l) * y)
                    .collect::<Vec<f32>>(),
            );
            all_parents.push(vec![wi[t], wj[t]]);
            inputs.push((pi[t].clone(), pj[t].clone(), c.lambda));
        }
    }
    let mut search = Vec::new();
    let mut chosen = Vec::new();
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        chosen = table.nearest(&all_mixed, &all_parents)?;
        search.push(t0.elapsed().as_secs_f64());
    }
    search.sort_by(f64::total_cmp);
    if let Some(path) = arg("--export") {
        // The mixing inputs and the token seqlab chose, for the numpy reference and an
        // agreement check.
        let positions: Vec<serde_json::Value> = all_parents
            .iter()
            .zip(&inputs)
            .zip(&chosen)
            .map(|((parents, (pi, pj, lambda)), id)| {
                serde_json::json!({
                    "parents": parents,
                    "pieces": [pi, pj],
                    "lambda": lambda,
                    "seqlab": id,
                })
            })
            .collect();
        let sentences: Vec<serde_json::Value> = batch
            .iter()
            .zip(&ids)
            .map(|(it, &i)| {
                serde_json::json!({"tokens": it.tokens, "tags": corpus.train.sentences[i].tags})
            })
            .collect();
        let doc = serde_json::json!({
            "model": model.join("model.safetensors"),
            "vocab": (0..table.len()).map(|i| table.token(i)).collect::<Vec<_>>(),
            "positions": positions,
            "sentences": sentences,
            "target": g.stats.target,
        });
        std::fs::write(&path, doc.to_string()).map_err(|e| seqlab::Error::io(&path, e))?;
    }
    println!(
        "{}",
        serde_json::json!({
            "implementation": "seqlab",
            "rate": rate,
            "generated": g.items.len(),
            "pairs_available": g.stats.pairs_available,
            "pairs_tried": g.stats.pairs_tried,
            "searches": searches,
            "median_seconds": times[times.len() / 2],
            "search_median_seconds": search[search.len() / 2],
            "min_seconds": times[0],
            "repeats": times.len(),
        })
    );
    Ok(())
}
