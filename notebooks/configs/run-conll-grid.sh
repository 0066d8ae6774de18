#!/usr/bin/env bash
# The CoNLL-2003 active-learning grid of SeqMix's protocol (App. A.2, Table 3): random, LC,
# NTE and QBC, 3 seeds each, MiniLM. Each run resumes where it stopped, so rerunning this
# script after an interruption continues the grid. Results: runs/conll-POLICY/ (or
# $SEQLAB_RUNS/conll-POLICY/).
# usage: bash notebooks/configs/run-conll-grid.sh [POLICY...]   (default: lc random nte qbc)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked --bin seqlab
policies=("$@")
[ ${#policies[@]} -gt 0 ] || policies=(lc random nte qbc)
for p in "${policies[@]}"; do
  ./target/release/seqlab run "notebooks/configs/conll-$p.toml" --out "${SEQLAB_RUNS:-runs}/conll-$p"
done
