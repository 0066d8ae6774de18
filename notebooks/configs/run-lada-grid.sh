#!/usr/bin/env bash
# The LADA grid (LADA §4.3–4.4): Table 3 (with Semi-LADA) on CoNLL-2003 (5, 10, 30 %) and EstNER (5 %), the
# sub-token strategies (Table 5) and the µ study (Figure 4) at 5 %, 3 seeds each, and Table 4 (all of
# CoNLL-2003 and of EstNER, one seed). Each run resumes where it stopped, so rerunning this script
# after an interruption continues the grid.
# Results: runs/NAME/ (or $SEQLAB_RUNS/NAME/).
# usage: bash notebooks/configs/run-lada-grid.sh [NAME...]   (default: all, cheapest first)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked --bin seqlab
bash data/fetch.sh data/cache conll2003 estner minilm >/dev/null
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for size in 5 10 30; do
    for m in base intra inter intra-inter semi-intra semi-inter; do names+=("lada-conll-$size-$m"); done
    [ "$size" = 5 ] && for m in base intra inter intra-inter semi-intra semi-inter; do
      names+=("lada-estner-5-$m")
    done
    [ "$size" = 5 ] && names+=(lada-conll-5-subtoken-first lada-conll-5-subtoken-repeat
      lada-conll-5-subtoken-outside lada-conll-5-inter-mu-0.0 lada-conll-5-inter-mu-0.3
      lada-conll-5-inter-mu-0.7 lada-conll-5-inter-mu-1.0)
  done
  names+=(lada-conll-full-base lada-conll-full-intra lada-conll-full-inter)
  names+=(lada-estner-full-base lada-estner-full-intra lada-estner-full-inter)
fi
for n in "${names[@]}"; do
  ./target/release/seqlab run "notebooks/configs/$n.toml" --out "${SEQLAB_RUNS:-runs}/$n"
done
