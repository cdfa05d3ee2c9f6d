#!/usr/bin/env bash
# Builds a self-contained bundle for a GPU host without LLVM/MLIR: attn-run,
# the unit tests and libattn_c.so (for python/attn), statically linked against MLIR/LLVM (they need only
# libc, libstdc++, libz, libzstd and, at run time, libcuda.so.1), stripped,
# in bundle/ (git-ignored). scripts/gpu-run.sh runs them there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/setup.sh" # the normal deps
for p in libzstd-dev libedit-dev; do # static LLVM archives need them
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || {
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$p"; }
done
static="$root/build-static"
if [ ! -f "$static/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$static" -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DLLVM_USE_LINKER=lld -DATTN_LINK_MLIR_DYLIB=OFF \
    $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# ATTN_BUNDLE_PYTHON=1 adds libattn_c.so (python/attn's library, CUDA
# target only; ~20 MB compressed, which with the two binaries comes close
# to the 64 MB a device call can carry).
targets=(bin/attn-run unittests/attn-unittests)
[ "${ATTN_BUNDLE_PYTHON:-0}" = 1 ] && targets+=(lib/libattn_c.so)
ninja -C "$static" -j "$(nproc)" attn-run attn-unittests \
  $([ "${ATTN_BUNDLE_PYTHON:-0}" = 1 ] && echo AttnCAPI)
# Stripped and xz-compressed (about 40 MB for both) so that the bundle
# travels within a 64 MB working-tree limit; gpu-run.sh unpacks it.
rm -rf "$root/bundle"
mkdir -p "$root/bundle"
# On the GPU host: ATTN_LIBRARY=<unpacked>/libattn_c.so python -m pytest
# python/tests (PYTHONPATH=python).
for t in "${targets[@]}"; do
  name=$(basename "$t")
  strip -o "$static/$name.stripped" "$static/$t"
  xz -T0 -6 -c "$static/$name.stripped" > "$root/bundle/$name.xz"
done
# sm_90a cubins of the benchmark specs, for the SASS check of gpu-run.sh
# (the GPU host has cuobjdump; this machine has only ptxas).
ninja -C "$static" -j "$(nproc)" attn-opt
for spec in full_bf16_d128 causal_bf16_d128 full_bf16_d64 causal_bf16_d64 swa1024_bf16_d128; do
  "$static/bin/attn-opt" "$root/bench/specs/$spec.mlir" \
    --attn-gpu-pipeline="chip=sm_90a format=bin" -o "$static/$spec.mlir"
  python3 "$root/scripts/extract-gpu-binary.py" "$static/$spec.mlir" \
    "$root/bundle/$spec.cubin"
done
ldd "$static/bin/attn-run" || true
ls -la "$root/bundle"
