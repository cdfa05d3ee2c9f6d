#!/usr/bin/env bash
# Rotary embeddings (#attn.rotary) on the GPU (or the CPU) against the fp64
# reference (attn-run --check: random inputs, outputs poisoned by the
# runner). Both styles; rot = D, rot < D (partial) and rot % 4 == 2 (odd
# pair count); bf16 and f16 (the sm_90a kernel) and f32 (the CUDA-core
# kernel); no mask, causal, a sliding window, the LSE; GQA (4 query heads
# on 2 KV heads); BSHD; lengths with Lq < Lk (queries at an offset into
# the keys, the KV-cache case), Lq > Lk (negative query positions) and
# awkward sizes. One line per run; exits non-zero unless every run passes.
#
#   scripts/check-rotary.sh [attn-run]   (default: bundle/attn-run)
#   ATTN_CHECK_TARGET=cpu ... runs the same matrix on the CPU;
#   ATTN_CHECK_SIZES="LqxLk ..." other lengths.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/check-matrix.sh" check-rotary "${1:-}"

spec() { # NAME DTYPE D STYLE ROT MASK(none/causal/window) LSE(0/1) LAYOUT
  local t=$2 d=$3 attrs="rotary = #attn.rotary<style = $4, dim = $5, theta = 10000.0>"
  [ "$6" = causal ] && attrs+=", causal = #attn.causal<bottom_right>"
  [ "$6" = window ] && attrs+=", causal = #attn.causal<bottom_right>, window = #attn.window<left = 300, right = 0>"
  [ "$8" = bshd ] && attrs+=", layout = #attn.layout<bshd>"
  local ty="tensor<?x?x?x${d}x$t>" res="tensor<?x?x?x${d}x$t>" rets="%o" lhs="%o"
  if [ "$7" = 1 ]; then
    res="$ty, tensor<?x?x?xf32>"; lhs="%o, %lse"; rets="%o, %lse"
  fi
  cat > "$work/$1.mlir" <<EOF
func.func @rope(%q: $ty, %k: $ty, %v: $ty) -> ($res) {
  $lhs = attn.attention %q, %k, %v {$attrs} : $ty, $ty, $ty -> $res
  return $rets : $res
}
EOF
  echo "$1"
}

names=()
for t in bf16 f16 f32; do
  for style in half_split interleaved; do
    names+=("$(spec "${t}_${style}_d128_full" $t 128 $style 128 none 0 bhsd)")
    names+=("$(spec "${t}_${style}_d64_rot32_causal" $t 64 $style 32 causal 1 bhsd)")
    names+=("$(spec "${t}_${style}_d64_rot18_window" $t 64 $style 18 window 0 bhsd)")
  done
  names+=("$(spec "${t}_half_split_d128_causal_bshd" $t 128 half_split 128 causal 1 bshd)")
done
names+=("$(spec "bf16_half_split_d256_rot64" bf16 256 half_split 64 causal 0 bhsd)")

check_matrix "1x1 63x65 65x63 3x1500 1000x1111 4097x4097" "${names[@]}"
