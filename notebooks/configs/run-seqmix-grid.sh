#!/usr/bin/env bash
# The SeqMix grid (SeqMix §4.2–4.4): on CoNLL-2003 the NTE baseline and the three variants
# (and whole-sequence mixup with the reference code's parents) with 5 seeds, the
# discriminator ablation, the augment-rate study, SeqMix with each query policy (Fig. 3) and
# the alpha and window searches (Fig. 4) with 3 seeds; then WNUT-16 (for WebPage) and EstNER
# (for ACE05) with every policy and sub-sequence mixup (App. Tables 5-6). Each run
# resumes where it stopped, so rerunning this script after an interruption continues the grid.
# Results: runs/NAME/ (or $SEQLAB_RUNS/NAME/).
# usage: bash notebooks/configs/run-seqmix-grid.sh [NAME...]   (default: all, main comparison first)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked --bin seqlab
bash data/fetch.sh data/cache conll2003 estner wnut16 minilm smollm2 >/dev/null
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(conll-nte seqmix-sub seqmix-sub-corpus seqmix-sub-cosine seqmix-whole seqmix-lc
  seqmix-whole-faithful seqmix-disc-none
  seqmix-disc-500 seqmix-disc-1000 seqmix-disc-2000 seqmix-rate-0.4 seqmix-rate-0.6
  seqmix-rate-0.8 seqmix-rate-1.0 seqmix-sub-policy-random seqmix-sub-policy-lc seqmix-sub-policy-qbc
  seqmix-alpha-0.5 seqmix-alpha-1 seqmix-alpha-2 seqmix-alpha-4 seqmix-alpha-16 seqmix-window-3-2
  seqmix-window-4-2 seqmix-window-4-3 seqmix-window-5-4 seqmix-window-6-3 seqmix-window-6-5
  wnut-random wnut-lc wnut-nte wnut-qbc seqmix-wnut-sub seqmix-wnut-whole seqmix-wnut-lc
  seqmix-wnut-whole-faithful estner-random estner-lc estner-nte estner-qbc seqmix-estner-sub)
for n in "${names[@]}"; do
  ./target/release/seqlab run "notebooks/configs/$n.toml" --out "${SEQLAB_RUNS:-runs}/$n"
done
