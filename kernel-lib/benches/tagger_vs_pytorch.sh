#!/usr/bin/env bash
# Training and inference throughput of the MiniLM tagger: seqlab beside PyTorch + transformers,
# on the same CoNLL-2003 batches, with the same number of threads, interleaved round by round
# (the machine's speed drifts, so only side-by-side ratios are compared). Writes
# reports/perf/tagger/{index.md,results.csv}.
#
# usage: TORCH_PYTHON=/tmp/torch-venv/bin/python bash kernel-lib/benches/tagger_vs_pytorch.sh [ROUNDS]
#   PyTorch: python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch transformers
#   THREADS (default 2), STEPS per measurement (default 20).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
rounds="${1:-3}"
threads="${THREADS:-2}"
steps="${STEPS:-20}"
py="${TORCH_PYTHON:-python3}"
"$py" -c "import torch, transformers" 2>/dev/null || {
  echo "needs a Python with torch and transformers; set TORCH_PYTHON (see the header)" >&2
  exit 1
}
bash data/fetch.sh data/cache conll2003 minilm >/dev/null
cargo build --release --example bench_tagger 2>&1 | tail -n 1
ex="$root/target/release/examples/bench_tagger"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$ex" --write-batches "$tmp/batches.json"
model="$root/data/cache/models/all-MiniLM-L6-v2"
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds"
  RAYON_NUM_THREADS="$threads" "$ex" --batches "$tmp/batches.json" --steps "$steps" >>"$tmp/seqlab.jsonl"
  "$py" "$root/kernel-lib/benches/pytorch_tagger.py" "$model" "$tmp/batches.json" "$steps" "$threads" \
    2>/dev/null >>"$tmp/pytorch.jsonl"
done
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
python3 - "$tmp" "$root/reports/perf/tagger" "$model/config.json" "$commit" "$cpu" "$threads" "$steps" <<'PY'
import json, os, statistics, sys
tmp, out, cfg_path, commit, cpu, threads, steps = sys.argv[1:8]
s = [json.loads(l) for l in open(f"{tmp}/seqlab.jsonl")]
p = [json.loads(l) for l in open(f"{tmp}/pytorch.jsonl")]
cfg = json.load(open(cfg_path))
h, inter, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
params = layers * (4 * h * h + 2 * h * inter)          # weights every token multiplies
infer_flop, train_flop = 2 * params, 6 * params        # forward; forward + backward
os.makedirs(out, exist_ok=True)
rows = []
for k, (a, b) in enumerate(zip(s, p), 1):
    rows.append((k, a["train_tokens_per_s"], b["train_tokens_per_s"], a["infer_tokens_per_s"],
                 b["infer_tokens_per_s"], a["matmul_gflops"], b["matmul_gflops"]))
with open(f"{out}/results.csv", "w") as f:
    f.write("round,seqlab_train_tok_s,pytorch_train_tok_s,seqlab_infer_tok_s,pytorch_infer_tok_s,"
            "seqlab_matmul_gflops,pytorch_matmul_gflops\n")
    for r in rows:
        f.write(",".join(f"{x:.1f}" if isinstance(x, float) else str(x) for x in r) + "\n")
med = lambda i: statistics.median(r[i] for r in rows)
rt = statistics.median(r[1] / r[2] for r in rows)
ri = statistics.median(r[3] / r[4] for r in rows)
lines = [
    "# Tagger throughput: seqlab beside PyTorch",
    "",
    f"MiniLM-L6 token tagger (all-MiniLM-L6-v2 + linear head, {cfg['num_hidden_layers']} layers, hidden {h}), "
    f"batches of 32 real CoNLL-2003 training sentences (first 640, length-bucketed, dynamic padding), "
    f"{threads} threads each, {steps} timed steps per measurement after 3 warm-up steps, "
    f"{len(rows)} interleaved rounds. Training step = forward, backward, gradient clipping, AdamW. "
    "Tokens = real word pieces (padding excluded). PyTorch runs `BertForTokenClassification` with its "
    "default attention (`sdpa`); seqlab runs with its default thread set-up on this machine "
    "(`seqlab::model::configure_cpu_threads`: candle's element-wise pool on the calling thread).",
    "",
    f"Produced by `kernel-lib/benches/tagger_vs_pytorch.sh` at commit `{commit}` on {cpu}; "
    f"PyTorch {p[0].get('torch', '?')}. Model: all-MiniLM-L6-v2. Data: CoNLL-2003. Seeds: 1 (head), 2 (batch plan).",
    "",
    "| | seqlab | PyTorch | ratio (seqlab / PyTorch, median of rounds) |",
    "|---|---:|---:|---:|",
    f"| training tokens/s | {med(1):.0f} | {med(2):.0f} | {rt:.2f}× |",
    f"| inference tokens/s | {med(3):.0f} | {med(4):.0f} | {ri:.2f}× |",
    f"| fp32 matmul 1024³ peak, GFLOP/s | {med(5):.0f} | {med(6):.0f} | {med(5) / med(6):.2f}× |",
    f"| training GFLOP/s achieved ({train_flop / 1e6:.1f} MFLOP/token) | {med(1) * train_flop / 1e9:.0f} "
    f"({med(1) * train_flop / 1e9 / med(5):.0%} of peak) | {med(2) * train_flop / 1e9:.0f} "
    f"({med(2) * train_flop / 1e9 / med(6):.0%} of peak) | |",
    f"| inference GFLOP/s achieved ({infer_flop / 1e6:.1f} MFLOP/token) | {med(3) * infer_flop / 1e9:.0f} "
    f"({med(3) * infer_flop / 1e9 / med(5):.0%} of peak) | {med(4) * infer_flop / 1e9:.0f} "
    f"({med(4) * infer_flop / 1e9 / med(6):.0%} of peak) | |",
    "",
    "Per round (`results.csv`):",
    "",
    "| round | seqlab train | PyTorch train | seqlab infer | PyTorch infer |",
    "|---:|---:|---:|---:|---:|",
] + [f"| {r[0]} | {r[1]:.0f} | {r[2]:.0f} | {r[3]:.0f} | {r[4]:.0f} |" for r in rows]
open(f"{out}/index.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines[8:15]))
PY
