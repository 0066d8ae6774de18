#!/usr/bin/env bash
# Builds the `seqlab` binary with candle's CUDA backend (`--features cuda`) on a machine that has
# no GPU and no CUDA toolkit, for Hopper GPUs (H100/H200, compute capability 9.0).
#
# The toolkit comes from PyPI: exactly the CUDA 13.0.2 set that torch 2.11 pins (nvcc 13.0.88;
# newer nvcc emits PTX that a 580 driver cannot load). Linking needs unversioned library names
# and a libcuda.so, which no wheel ships: a link-only folder holds symlinks and a stub libcuda
# built from the driver-API names cudarc binds. At run time the GPU machine's real
# libcuda.so.1 is used; the CUDA runtime libraries must be on LD_LIBRARY_PATH there (torch's
# nvidia/cu13/lib folder has exactly these versions).
#
# usage: bash kernel-lib/build-cuda.sh            # -> target/cuda/release/seqlab (stripped copy:
#                                                 #    target/cuda/seqlab-cuda)
#   SEQLAB_CUDA_DIR   where the toolkit wheels and link folder go (default target/cuda-toolkit)
#   CUDA_COMPUTE_CAP  GPU generation (default 90; kernels are built for exactly this one)
# First build about 12-20 minutes on 2 cores. CI never runs this.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
S="${SEQLAB_CUDA_DIR:-$root/target/cuda-toolkit}"
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
python="${PYTHON:-python3}"

if [ ! -x "$S/cu130/nvidia/cu13/bin/nvcc" ]; then
  echo "installing the CUDA 13.0.2 toolkit wheels into $S/cu130"
  "$python" -m pip install -q --disable-pip-version-check --no-cache-dir --target "$S/cu130" \
    "cuda-toolkit[nvcc,cudart,cublas,curand,nvrtc,cccl,crt,nvvm]==13.0.2"
fi
CU="$S/cu130/nvidia/cu13"
"$CU/bin/nvcc" --version | tail -n 2

# Link-only folder: unversioned names for the wheel libraries, and a stub libcuda.
L="$S/linkroot/lib"
mkdir -p "$L"
for l in cudart.so.13 cublas.so.13 cublasLt.so.13 curand.so.10 nvrtc.so.13; do
  ln -sf "$CU/lib/lib$l" "$L/lib${l%.so.*}.so"
done
if [ ! -f "$L/libcuda.so" ]; then
  cargo fetch --quiet
  cudarc="$(cargo metadata --format-version 1 --features cuda --manifest-path kernel-lib/Cargo.toml |
    "$python" -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"]=="cudarc"))')"
  sys_rs="$(dirname "$cudarc")/src/driver/sys/mod.rs"
  grep -oE '^ *pub unsafe fn (cu[A-Za-z0-9_]+)\(' "$sys_rs" | sed -E 's/.*pub unsafe fn (cu[A-Za-z0-9_]+)\(/\1/' |
    sort -u | awk '{print "int "$1"(void){return 999;}"}' >"$L/libcuda_stub.c"
  [ -s "$L/libcuda_stub.c" ] || { echo "no driver-API names found in $sys_rs" >&2; exit 1; }
  gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$L/libcuda.so" "$L/libcuda_stub.c"
  ln -sf libcuda.so "$L/libcuda.so.1"
fi

export PATH="$CU/bin:$PATH"   # cudarc reads `nvcc --version` for its bindings
export NVCC="$CU/bin/nvcc"    # candle-kernels' build script
export CUDA_HOME="$CU"        # versioned libraries (libcublasLt via libcublas)
export CUDA_ROOT="$S/linkroot" # unversioned symlinks and the stub
cargo build --release --features cuda --target-dir "$root/target/cuda" -p seqlab --bin seqlab
strip -o "$root/target/cuda/seqlab-cuda" "$root/target/cuda/release/seqlab"
ls -la "$root/target/cuda/seqlab-cuda"
cat <<MSG
Built target/cuda/seqlab-cuda for compute capability $CUDA_COMPUTE_CAP.
On the GPU machine, point LD_LIBRARY_PATH at CUDA 13 runtime libraries, e.g. torch's:
  export LD_LIBRARY_PATH="\$(python3 -c 'import os,torch;print(os.path.join(os.path.dirname(os.path.dirname(torch.__file__)),"nvidia","cu13","lib"))')"
then run it with --gpu, e.g.  ./seqlab-cuda train --gpu --train-subset first:700 --epochs 20
MSG
