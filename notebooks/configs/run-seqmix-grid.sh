#!/usr/bin/env bash
# The SeqMix grid on CoNLL-2003 (SeqMix §4.2–4.4): the NTE baseline and the three variants
# with 5 seeds, the discriminator ablation and the augment-rate study with 3 seeds. Each run
# resumes where it stopped, so rerunning this script after an interruption continues the grid.
# Results: runs/NAME/ (or $SEQLAB_RUNS/NAME/).
# usage: bash notebooks/configs/run-seqmix-grid.sh [NAME...]   (default: all, main comparison first)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked --bin seqlab
bash data/fetch.sh data/cache conll2003 minilm smollm2 >/dev/null
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(conll-nte seqmix-sub seqmix-sub-corpus seqmix-whole seqmix-lc seqmix-disc-none
  seqmix-disc-500 seqmix-disc-1000 seqmix-disc-2000 seqmix-rate-0.4 seqmix-rate-0.6
  seqmix-rate-0.8 seqmix-rate-1.0)
for n in "${names[@]}"; do
  ./target/release/seqlab run "notebooks/configs/$n.toml" --out "${SEQLAB_RUNS:-runs}/$n"
done
