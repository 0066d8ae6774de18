#!/usr/bin/env bash
# Every experiment grid of the repository, breadth first: the first seed of every setting
# (most needed settings first: the SeqMix main comparison, LADA at 5 %, the active-learning
# policies, then the studies and the larger settings), then the second seed of every
# setting, and so on. A grid that spans several machines thus has a first value for every
# setting early, and each further pass narrows the error bars.
#
# Every run resumes where it stopped, so rerunning this script continues the queue. A run
# folder that is missing here but was snapshotted into reports/runs/NAME (snapshot-runs.sh)
# is copied back first; seqlab then trains the unsaved model again from the recorded rounds.
# Results: runs/NAME/ (or $SEQLAB_RUNS/NAME/).
# usage: [SEQLAB_RUNS=DIR] [SEQLAB_GRID="NAME..."] nohup bash notebooks/configs/run-all.sh [PASS...] > queue.log 2>&1 &
#   PASS: which seed of each config's list to run (default: 1 2 3 4 5)
#   SEQLAB_GRID: only these configs, in this order (depth first on one study, e.g.
#   SEQLAB_GRID="seqmix-disc-none seqmix-disc-500" ... 2 3)
#   SEQLAB_QUEUE: a file of `NAME PASS` lines, run in that order instead of the passes (an
#   explicit queue across studies and seeds; `#` starts a comment); read again before each
#   run, so lines appended while the queue runs are run too
#   SEQLAB_SNAPSHOT=1: snapshot each run into reports/runs/NAME as soon as it returns
#   (snapshot-runs.sh), so that a machine lost mid-queue loses only the run in progress
#   SEQLAB_WORKERS=N: N workers take entries side by side, each with cores/N compute threads
#   (RAYON_NUM_THREADS, unless set); their log lines start with [w1], [w2], ... On 2 cores two
#   1-thread workers finish 1.37x as many runs per hour as one 2-thread worker, with the same
#   results (bench: kernel-lib/benches/queue_workers.sh, reports/perf/queue-workers/).
#   SEQLAB_BIN: the seqlab binary to run (default ./target/release/seqlab, built first);
#   SEQLAB_QUEUE_POLL: seconds between looks at entries other workers hold (default 30)
#
# A run folder is locked (flock on RUNS/.locks/NAME.lock) while a worker runs it, so workers,
# or queues started twice by mistake, never run one folder at once: an entry whose folder is
# busy waits, and the worker takes the next one.
set -euo pipefail
cd "$(dirname "$0")/../.."
workers="${SEQLAB_WORKERS:-1}"
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || { echo "SEQLAB_WORKERS must be a positive number, got '$workers'" >&2; exit 2; }
if [ -z "${SEQLAB_WORKER:-}" ]; then
  cargo build --release --locked --bin seqlab
  bash data/fetch.sh data/cache conll2003 estner wnut16 minilm smollm2 >/dev/null
fi
runs="${SEQLAB_RUNS:-runs}"
names=(conll-nte seqmix-sub seqmix-sub-corpus seqmix-sub-cosine seqmix-whole seqmix-lc
  seqmix-whole-faithful
  lada-conll-5-base lada-conll-5-inter lada-conll-5-intra lada-conll-5-intra-inter
  lada-conll-5-semi-inter lada-conll-5-semi-intra
  conll-random conll-lc conll-qbc lada-al-nte-intra-inter
  seqmix-disc-none seqmix-disc-500 seqmix-disc-1000 seqmix-disc-2000
  seqmix-rate-0.4 seqmix-rate-0.6 seqmix-rate-0.8 seqmix-rate-1.0
  seqmix-sub-policy-random seqmix-sub-policy-lc seqmix-sub-policy-qbc
  lada-estner-5-base lada-estner-5-inter lada-estner-5-intra lada-estner-5-intra-inter
  lada-estner-5-semi-inter lada-estner-5-semi-intra
  lada-conll-5-subtoken-first lada-conll-5-subtoken-repeat lada-conll-5-subtoken-outside
  lada-conll-5-inter-mu-0.0 lada-conll-5-inter-mu-0.3 lada-conll-5-inter-mu-0.7
  lada-conll-5-inter-mu-1.0 lada-conll-5-semi-inter-wordnet lada-conll-5-semi-intra-wordnet
  lada-conll-5-semi-inter-wordnet-pos
  seqmix-alpha-0.5 seqmix-alpha-1 seqmix-alpha-2 seqmix-alpha-4 seqmix-alpha-16
  seqmix-window-3-2 seqmix-window-4-2 seqmix-window-4-3 seqmix-window-5-4 seqmix-window-6-3
  seqmix-window-6-5
  wnut-random wnut-lc wnut-nte wnut-qbc seqmix-wnut-sub seqmix-wnut-whole seqmix-wnut-lc
  seqmix-wnut-whole-faithful
  estner-random estner-lc estner-nte estner-qbc seqmix-estner-sub)
for size in 10 30; do
  for m in base intra inter intra-inter semi-intra semi-inter; do names+=("lada-conll-$size-$m"); done
done
names+=(lada-conll-full-base lada-conll-full-intra lada-conll-full-inter)
names+=(lada-estner-full-base lada-estner-full-intra lada-estner-full-inter)
if [ -n "${SEQLAB_GRID:-}" ]; then
  read -r -a names <<<"$SEQLAB_GRID"
  for n in "${names[@]}"; do
    [ -f "notebooks/configs/$n.toml" ] || { echo "SEQLAB_GRID: no config notebooks/configs/$n.toml" >&2; exit 2; }
  done
fi
# One queue entry per line, `NAME PASS`, in run order.
read_queue() {
  if [ -n "${SEQLAB_QUEUE:-}" ]; then
    [ -f "$SEQLAB_QUEUE" ] && [ -r "$SEQLAB_QUEUE" ] || { echo "$SEQLAB_QUEUE: no readable queue file" >&2; return 2; }
    local n pass
    # `|| [ -n "$n" ]`: a last line without its newline counts too.
    while read -r n pass _ || [ -n "$n" ]; do
      [ -n "$n" ] || continue
      [ -f "notebooks/configs/$n.toml" ] || { echo "$SEQLAB_QUEUE: no config notebooks/configs/$n.toml" >&2; return 2; }
      [[ "$pass" =~ ^[1-9][0-9]*$ ]] || { echo "$SEQLAB_QUEUE: $n: PASS must be a positive number, got '$pass'" >&2; return 2; }
      echo "$n $pass"
    done < <(sed 's/#.*//' "$SEQLAB_QUEUE")
  else
    local pass n
    for pass in "${passes[@]}"; do
      for n in "${names[@]}"; do echo "$n $pass"; done
    done
  fi
}
passes=("$@")
[ ${#passes[@]} -gt 0 ] || passes=(1 2 3 4 5)
read_queue >/dev/null || exit 2
if [ "$workers" -gt 1 ] && [ -z "${SEQLAB_WORKER:-}" ]; then
  threads=$(($(nproc) / workers))
  [ "$threads" -ge 1 ] || threads=1
  pids=()
  for w in $(seq 1 "$workers"); do
    (
      SEQLAB_WORKER=$w RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-$threads}" \
        bash notebooks/configs/run-all.sh "$@" 2>&1 | sed -u "s/^/[w$w] /"
      exit "${PIPESTATUS[0]}"
    ) &
    pids+=("$!")
    # Worker 1 takes the first entry, worker 2 the next free one, and so on.
    sleep 2
  done
  rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=$?; done
  exit "$rc"
fi
locks="$runs/.locks"
mkdir -p "$locks"
# The queue file is read again before each run, so entries can be added (or reordered) while
# the queue runs; an entry is started at most once per invocation. A file that stops parsing
# or disappears mid-queue keeps the last good reading (and says so).
declare -A started=()
entries=()
while :; do
  if fresh=$(read_queue); then
    mapfile -t entries <<<"$fresh"
  else
    echo "== $(date -u +%FT%TZ) $SEQLAB_QUEUE unreadable or invalid (above); keeping its previous entries" >&2
  fi
  # The first entry not yet started here whose run folder no one else holds.
  ran=0
  busy=0
  for entry in "${entries[@]}"; do
    [ -n "$entry" ] && [ -z "${started[$entry]:-}" ] || continue
    read -r n pass <<<"$entry"
    exec {lock}>"$locks/$n.lock"
    if ! flock -n "$lock"; then
      exec {lock}>&-
      busy=1
      continue
    fi
    started[$entry]=1
    ran=1
    cfg="notebooks/configs/$n.toml"
    # The config's seed list, e.g. `seeds = [1, 2, 3]`; this pass takes its PASS-th entry.
    seed=$(sed -n 's/^seeds *= *\[\(.*\)\].*/\1/p' "$cfg" | tr -d ' ' | awk -F, -v p="$pass" '{print $p}')
    status=0
    if [ -n "$seed" ]; then
      if [ ! -d "$runs/$n" ] && [ -d "reports/runs/$n" ]; then
        mkdir -p "$runs" && cp -r "reports/runs/$n" "$runs/$n"
      fi
      echo "== $(date -u +%FT%TZ) $n seed $seed"
      "${SEQLAB_BIN:-./target/release/seqlab}" run "$cfg" --out "$runs/$n" --seeds "$seed" || status=$?
      if [ "${SEQLAB_SNAPSHOT:-0}" = 1 ] && ls "$runs/$n"/seed-*/round-*.json >/dev/null 2>&1; then
        bash notebooks/configs/snapshot-runs.sh "$runs/$n" >/dev/null
      fi
    fi
    exec {lock}>&-
    [ "$status" = 0 ] || exit "$status"
    break
  done
  [ "$ran" = 1 ] && continue
  # Nothing left but entries other workers hold: wait for them to free their folders.
  [ "$busy" = 1 ] || break
  sleep "${SEQLAB_QUEUE_POLL:-30}"
done
