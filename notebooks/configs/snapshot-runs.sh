#!/usr/bin/env bash
# Copies the finished rounds of run folders into reports/runs/NAME/ (configs, provenance, round
# files, augmentation records, results tables; no models), so that long grids survive the
# machine. To continue one elsewhere: cp -r reports/runs/NAME runs/NAME && seqlab resume runs/NAME
# (run-all.sh does the copy itself). An unfinished seed's model is not copied: seqlab trains
# it again from the recorded rounds (training only; queries, augmentation and evaluations are
# read back) and checks the rebuilt model's dev F1 against the recorded one.
# usage: bash notebooks/configs/snapshot-runs.sh RUN_DIR...
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
for dir in "$@"; do
  [ -f "$dir/config.json" ] || { echo "skipping $dir: no config.json" >&2; continue; }
  name="$(basename "$dir")"
  dest="$root/reports/runs/$name"
  mkdir -p "$dest"
  (cd "$dir" && find . -path './seed-*/model-*' -prune -o -path './seed-*/.model-*' -prune -o \
    -type f ! -name '*.tmp-*' ! -name 'partial-*' -print) | while read -r f; do
    mkdir -p "$dest/$(dirname "$f")"
    cp "$dir/$f" "$dest/$f"
  done
  # The provenance names data files by path; keep them relative to the repository.
  [ -f "$dest/provenance.json" ] && sed -i "s#$root/##g" "$dest/provenance.json"
  echo "$dest"
done
