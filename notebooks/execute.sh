#!/usr/bin/env bash
# Executes the notebooks headless with the evcxr kernel, one at a time (they share one evcxr
# build folder, so only the first compiles seqlab's dependencies), and records per-notebook
# and first-cell times.
#
# usage: [SEQLAB_SCALE=quick|cpu] bash notebooks/execute.sh [--in-place] [NOTEBOOK.ipynb...]
#   default: every notebooks/*.ipynb, executed copies written to $SEQLAB_NB_OUT
#   (default target/notebooks/executed), the committed notebooks untouched. --in-place
#   replaces the committed notebooks' outputs (for the cpu-scale run whose outputs are kept).
# Tools are installed on first use under $SEQLAB_TOOLS (default target/notebook-tools):
# evcxr_jupyter 0.22.0 (the release that matches rustc 1.95) and a venv with nbconvert.
# EVCXR_TMPDIR (default target/evcxr) keeps evcxr's build between runs on one machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
in_place=0
nbs=()
for a in "$@"; do
  case "$a" in
    --in-place) in_place=1 ;;
    *) nbs+=("$a") ;;
  esac
done
[ ${#nbs[@]} -gt 0 ] || mapfile -t nbs < <(ls notebooks/*.ipynb)
tools="${SEQLAB_TOOLS:-$root/target/notebook-tools}"
out="${SEQLAB_NB_OUT:-$root/target/notebooks/executed}"
mkdir -p "$tools" "$out"
if [ ! -x "$tools/bin/evcxr_jupyter" ]; then
  echo "installing evcxr_jupyter 0.22.0 into $tools"
  cargo install evcxr_jupyter --version 0.22.0 --locked --root "$tools" --quiet
fi
if [ ! -x "$tools/venv/bin/jupyter-nbconvert" ]; then
  echo "installing nbconvert into $tools/venv"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install -q nbconvert==7.17.2 nbclient==0.11.0 jupyter_client==8.10.0
fi
export PATH="$tools/bin:$tools/venv/bin:$PATH"
export JUPYTER_PATH="$tools/jupyter"
export JUPYTER_DATA_DIR="$tools/jupyter"
[ -f "$JUPYTER_PATH/kernels/rust/kernel.json" ] || evcxr_jupyter --install >/dev/null
export EVCXR_TMPDIR="${EVCXR_TMPDIR:-$root/target/evcxr}"
mkdir -p "$EVCXR_TMPDIR"
# evcxr resolves the notebook crate's dependencies itself; starting from the repository's lock
# file keeps them at the versions the tests ran with.
[ -f "$EVCXR_TMPDIR/Cargo.lock" ] || cp Cargo.lock "$EVCXR_TMPDIR/Cargo.lock"
export SEQLAB_SCALE="${SEQLAB_SCALE:-quick}"
echo "scale $SEQLAB_SCALE; evcxr build folder $EVCXR_TMPDIR"
timings="$out/timings.csv"
echo "notebook,scale,seconds,first_code_cell_seconds,status" >"$timings"
status=0
for nb in "${nbs[@]}"; do
  name="$(basename "$nb" .ipynb)"
  t0=$(date +%s)
  if [ "$in_place" = 1 ]; then
    args=(--inplace)
    executed="$nb"
  else
    args=(--output-dir "$out")
    executed="$out/$name.ipynb"
  fi
  echo "== $name"
  # --allow-errors keeps the executed copy whole; check_executed.py then prints every error
  # (evcxr's compiler messages included) and fails the notebook.
  (cd "$(dirname "$nb")" && jupyter nbconvert --to notebook --execute --allow-errors \
    --ExecutePreprocessor.kernel_name=rust --ExecutePreprocessor.timeout=3600 \
    "${args[@]}" "$(basename "$nb")") || true
  secs=$(($(date +%s) - t0))
  st=failed
  first=""
  if [ -f "$executed" ]; then
    if res=$(python3 notebooks/check_executed.py "$executed"); then st=ok; fi
    first="${res%% *}"
  fi
  [ "$st" = ok ] || status=1
  echo "$name,$SEQLAB_SCALE,$secs,$first,$st" >>"$timings"
  echo "$name: $st in $secs s (first code cell: ${first:-?} s)"
done
cat "$timings"
exit $status
