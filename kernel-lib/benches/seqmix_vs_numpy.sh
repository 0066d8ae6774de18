#!/usr/bin/env bash
# Speed of SeqMix generation: seqlab beside the reference code's numpy routine on the same
# mixing inputs (the CoNLL-2003 seed batch of 200 sentences, MiniLM's token table), at augment
# rates 0.2 (the paper's) and 1.0, interleaved round by round. Writes
# reports/perf/seqmix/{index.md,results.csv}.
#
# usage: bash kernel-lib/benches/seqmix_vs_numpy.sh [ROUNDS]
#   NUMPY_PYTHON: a Python with numpy (default: a venv in /tmp made with pip on first use).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
rounds="${1:-3}"
py="${NUMPY_PYTHON:-}"
if [ -z "$py" ]; then
  venv="${TMPDIR:-/tmp}/seqlab-numpy-venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import numpy" 2>/dev/null || "$venv/bin/pip" install -q numpy
  py="$venv/bin/python"
fi
bash data/fetch.sh data/cache conll2003 minilm >/dev/null
cargo build --release --example bench_seqmix 2>&1 | tail -n 1
ex="$root/target/release/examples/bench_seqmix"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for rate in 0.2 1.0; do
  for r in $(seq 1 "$rounds"); do
    echo "rate $rate, round $r/$rounds"
    "$ex" --rate "$rate" --repeats 5 --export "$tmp/in-$rate.json" >>"$tmp/seqlab-$rate.jsonl"
    "$py" kernel-lib/benches/seqmix_reference.py "$tmp/in-$rate.json" 3 >>"$tmp/numpy-$rate.jsonl"
  done
done
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
python3 - "$tmp" "$root/reports/perf/seqmix" "$commit" "$cpu" <<'PY'
import json, os, statistics, sys
tmp, out, commit, cpu = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
rows, summary = [], []
for rate in ("0.2", "1.0"):
    s = [json.loads(l) for l in open(f"{tmp}/seqlab-{rate}.jsonl")]
    n = [json.loads(l) for l in open(f"{tmp}/numpy-{rate}.jsonl")]
    for k, (a, b) in enumerate(zip(s, n), 1):
        rows.append((rate, k, a["generated"], a["searches"], a["median_seconds"], b["median_seconds"],
                     b["median_seconds"] / a["median_seconds"], b["agreement"]))
    ratio = statistics.median(b["median_seconds"] / a["median_seconds"] for a, b in zip(s, n))
    summary.append((rate, s[0]["generated"], s[0]["searches"], statistics.median(a["median_seconds"] for a in s),
                    statistics.median(b["median_seconds"] for b in n), ratio, min(b["agreement"] for b in n),
                    n[0]["numpy"]))
with open(f"{out}/results.csv", "w") as f:
    f.write("rate,round,generated,searches,seqlab_seconds,numpy_seconds,speedup,agreement\n")
    for r in rows:
        f.write(",".join(f"{x:.6g}" if isinstance(x, float) else str(x) for x in r) + "\n")
lines = [
    "# SeqMix generation: seqlab beside the reference numpy routine",
    "",
    "Input: 200 random CoNLL-2003 training sentences (the seed batch of the paper's protocol, seed 200), "
    "all-MiniLM-L6-v2's word-piece table (30,522 × 384), sub-sequence mixup with s = 5, η0 = 0.6, α = 8. "
    "seqlab times `SeqMix::generate` end to end without the discriminator (pairing, λ, mixing, "
    "nearest-token search as one blocked matrix product, soft labels, IOB2 check). The numpy side "
    "re-implements the reference code's routine on the same pieces and λ: the window scan and pair "
    "loop, then per mixed word the squared L2 distance to every vocabulary row and the 7 nearest by "
    "`argpartition`. Both single process on this machine; medians of repeats, interleaved rounds.",
    "",
    f"Produced by `kernel-lib/benches/seqmix_vs_numpy.sh` at commit `{commit}` on {cpu}. "
    "Model: all-MiniLM-L6-v2. Data: CoNLL-2003 train. Seeds: 200 (batch), 7 (generation).",
    "",
    "| augment rate | sentences generated | nearest-token searches | seqlab s | numpy s | speed-up (numpy / seqlab) | seqlab = exact nearest |",
    "|---:|---:|---:|---:|---:|---:|---:|",
]
for rate, gen, searches, a, b, ratio, agree, npv in summary:
    lines.append(f"| {rate} | {gen} | {searches} | {a:.4f} | {b:.3f} | {ratio:.0f}× | {agree * 100:.1f} % |")
lines += ["", f"numpy {summary[0][7]}. Per round: `results.csv`. Target (issue): ≥ 100×.", ""]
open(f"{out}/index.md", "w").write("\n".join(lines))
print("\n".join(lines))
PY
