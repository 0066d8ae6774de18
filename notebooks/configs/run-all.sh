#!/usr/bin/env bash
# Every experiment grid of the repository, cheapest and most needed first: LADA at 5 %, the
# active-learning policies, SeqMix's main comparison, then the studies and the larger LADA
# settings. Every run resumes where it stopped, so rerunning this script continues the queue.
# Results: runs/NAME/ (or $SEQLAB_RUNS/NAME/); snapshot-runs.sh copies finished rounds into
# reports/runs/.
# usage: [SEQLAB_RUNS=DIR] nohup bash notebooks/configs/run-all.sh > queue.log 2>&1 &
set -euo pipefail
here="$(dirname "$0")"
bash "$here/run-lada-grid.sh" lada-conll-5-base lada-conll-5-inter lada-conll-5-intra \
  lada-conll-5-intra-inter lada-conll-5-semi-inter lada-conll-5-semi-intra
bash "$here/run-conll-grid.sh" nte random lc
bash "$here/run-seqmix-grid.sh" seqmix-sub seqmix-sub-corpus seqmix-whole seqmix-lc
bash "$here/run-conll-grid.sh" qbc
bash "$here/run-lada-grid.sh"
bash "$here/run-seqmix-grid.sh"
