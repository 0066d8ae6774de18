#!/usr/bin/env bash
# Throughput of the experiment queue: one `seqlab run` with every core, against as many
# 1-thread runs side by side as there are cores (what `SEQLAB_WORKERS=N run-all.sh` does), on
# the same short real run (a LADA config cut to a few epochs), interleaved round by round (the
# machine's speed drifts, so only side-by-side ratios are compared). Also checks that every
# run of a round gives the same losses, dev and test F1, whatever its thread count. Writes
# reports/perf/queue-workers/{index.md,results.csv}.
#
# usage: bash kernel-lib/benches/queue_workers.sh [ROUNDS]
#   CONFIG (default notebooks/configs/lada-conll-5-base.toml), EPOCHS (default 3).
# Run it on an otherwise idle machine: stop any experiment queue first.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
rounds="${1:-2}"
config="${CONFIG:-notebooks/configs/lada-conll-5-base.toml}"
epochs="${EPOCHS:-3}"
cores="$(nproc)"
[ "$cores" -ge 2 ] || { echo "needs at least 2 cores (this machine has $cores)" >&2; exit 1; }
[ -f "$config" ] || { echo "no config $config" >&2; exit 1; }
bash data/fetch.sh data/cache conll2003 estner minilm >/dev/null
cargo build --release --locked --bin seqlab 2>&1 | tail -n 1
bin="$root/target/release/seqlab"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The config with EPOCHS epochs and its first seed only.
sed -e "s/^epochs = .*/epochs = $epochs/" -e 's/^name = .*/name = "queue-workers-bench"/' \
  -e 's/^seeds = \[\([0-9]*\).*/seeds = [\1]/' "$config" >"$tmp/bench.toml"
grep -q "^epochs = $epochs$" "$tmp/bench.toml" || { echo "$config: no 'epochs = ' line to shorten" >&2; exit 1; }
now() { date +%s.%N; }
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds: one run with $cores threads"
  t0=$(now)
  RAYON_NUM_THREADS="$cores" "$bin" run "$tmp/bench.toml" --out "$tmp/r$r-one" --checkpoint-every off >/dev/null
  t1=$(now)
  echo "round $r/$rounds: $cores 1-thread runs side by side"
  pids=()
  for w in $(seq 1 "$cores"); do
    RAYON_NUM_THREADS=1 "$bin" run "$tmp/bench.toml" --out "$tmp/r$r-w$w" --checkpoint-every off >/dev/null &
    pids+=("$!")
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t2=$(now)
  echo "$r $t0 $t1 $t2" >>"$tmp/times.txt"
done
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
python3 - "$tmp" "$root/reports/perf/queue-workers" "$config" "$epochs" "$cores" "$commit" "$cpu" <<'PY'
import glob, json, os, statistics, sys
tmp, out, config, epochs, cores, commit, cpu = sys.argv[1:8]
cores = int(cores)
def outcome(run):
    (path,) = glob.glob(f"{run}/seed-*/round-000.json")
    d = json.load(open(path))
    # Everything the run computed; its timings excluded.
    return json.dumps({"epochs": [{k: v for k, v in e.items() if k != "seconds"} for e in d["epochs"]],
                       "dev": d["dev"], "test": d["test"]}, sort_keys=True), d["test"], d["labeled_sentences"]
rows, same = [], True
for line in open(f"{tmp}/times.txt"):
    r, t0, t1, t2 = line.split()
    one, many = float(t1) - float(t0), float(t2) - float(t1)
    ref, test, sentences = outcome(f"{tmp}/r{r}-one")
    same &= all(outcome(f"{tmp}/r{r}-w{w}")[0] == ref for w in range(1, cores + 1))
    rows.append((int(r), one, many, cores * one / many))
f1 = test["f1"]
os.makedirs(out, exist_ok=True)
with open(f"{out}/results.csv", "w") as f:
    f.write("round,one_run_all_threads_s,side_by_side_1_thread_runs_s,runs_side_by_side,throughput_ratio\n")
    for r, one, many, ratio in rows:
        f.write(f"{r},{one:.1f},{many:.1f},{cores},{ratio:.3f}\n")
ratio = statistics.median(r[3] for r in rows)
lines = [
    "# Experiment queue: side-by-side 1-thread runs against one run with every core",
    "",
    f"One short real run ({config} cut to {epochs} epochs: {sentences} CoNLL-2003 sentences, "
    "MiniLM fine-tuned, dev F1 after every epoch, test F1 at the end) timed end to end, first "
    f"with all {cores} threads (`RAYON_NUM_THREADS={cores}`), then {cores} copies side by side with "
    "1 thread each (`RAYON_NUM_THREADS=1`), as `SEQLAB_WORKERS` does in "
    "`notebooks/configs/run-all.sh`. Throughput ratio = runs per hour side by side over runs per "
    f"hour alone = {cores} × (time alone) / (time side by side). Interleaved rounds.",
    "",
    f"Produced by `kernel-lib/benches/queue_workers.sh` at commit `{commit}` on {cpu}, {cores} cores. "
    f"Model: all-MiniLM-L6-v2. Data: CoNLL-2003. Seed: the config's first.",
    "",
    "| round | one run, all threads, s | side by side, 1 thread each, s | throughput ratio |",
    "|---:|---:|---:|---:|",
]
lines += [f"| {r} | {one:.1f} | {many:.1f} | {q:.2f}× |" for r, one, many, q in rows]
lines += [
    "",
    f"Median throughput ratio: **{ratio:.2f}×**. Every run gave the same per-epoch losses, dev "
    f"scores and test scores whatever its thread count: **{'yes' if same else 'NO'}** "
    f"(test F1 {100 * f1:.2f}).",
    "",
    "A single run finishes sooner with every core; a grid of runs finishes sooner with one "
    "worker per core.",
    "",
]
open(f"{out}/index.md", "w").write("\n".join(lines))
print("\n".join(lines))
sys.exit(0 if same else 1)
PY
