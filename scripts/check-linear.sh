#!/usr/bin/env bash
# Every linear-attention feature map on the GPU (or the CPU) against the fp64 reference
# (attn-run --check, random inputs, outputs poisoned by the runner): elu+1,
# relu, relu with a projection, FAVOR+ and the softmax map; causal and not;
# bf16, f16 and f32; D = 64 (and 128 for bf16); GQA (4 query heads on 2 KV
# heads); awkward lengths, Lq != Lk included. BSHD runs for one spec per
# map. One line per run; exits non-zero unless every run passes.
#
#   scripts/check-linear.sh [attn-run]   (default: bundle/attn-run)
#   ATTN_CHECK_TARGET=cpu ... runs the same matrix on the CPU;
#   ATTN_CHECK_SIZES="LqxLk ..." other lengths (scripts/check-matrix.sh).
#
# Specs compile once each (dynamic shapes, a shared ATTN_CACHE_DIR) and run
# 8 at a time: the GPU host's CPUs compile while the GPU checks.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/check-matrix.sh" check-linear "${1:-}"

spec() { # NAME DTYPE MAP CAUSAL(0/1) PROJECTED(0/1) D LAYOUT(bhsd/bshd) [M]
  local t=$2 d=$6 p="" pa="" c="" l=""
  # FAVOR+ with m = 70 features (not a multiple of 16: padded features)
  # unless M says otherwise, relu with m = D.
  local m=$d
  [ "$3" = favor_plus ] && m=${8:-70}
  [ "$5" = 1 ] && { pa=", %p: tensor<${m}x${d}xf32>"; p=" projection(%p : tensor<${m}x${d}xf32>)"; }
  [ "$4" = 1 ] && c=", causal"
  [ "$7" = bshd ] && l=", layout = #attn.layout<bshd>"
  cat > "$work/$1.mlir" <<EOF
func.func @linear(%q: tensor<?x?x?x${d}x$t>, %k: tensor<?x?x?x${d}x$t>, %v: tensor<?x?x?x${d}x$t>$pa) -> tensor<?x?x?x${d}x$t> {
  %o = attn.linear_attention %q, %k, %v$p {feature_map = #attn.feature_map<$3>$c$l} : tensor<?x?x?x${d}x$t>, tensor<?x?x?x${d}x$t>, tensor<?x?x?x${d}x$t> -> tensor<?x?x?x${d}x$t>
  return %o : tensor<?x?x?x${d}x$t>
}
EOF
  echo "$1"
}

names=()
for map in elu_plus_one relu relu_proj favor_plus softmax; do
  fm=$map proj=0
  [ "$map" = relu_proj ] && { fm=relu; proj=1; }
  [ "$map" = favor_plus ] && proj=1
  for causal in 0 1; do
    for t in bf16 f16 f32; do
      names+=("$(spec "${map}_c${causal}_${t}_d64" $t $fm $causal $proj 64 bhsd)")
    done
    names+=("$(spec "${map}_c${causal}_bf16_d128" bf16 $fm $causal $proj 128 bhsd)")
  done
  names+=("$(spec "${map}_c1_bf16_d64_bshd" bf16 $fm 1 $proj 64 bshd)")
done
# FAVOR+ with the benchmark's m = 266 features (>= 256: chunk 128).
for causal in 0 1; do
  for t in bf16 f32; do
    names+=("$(spec "favor266_c${causal}_${t}_d64" $t favor_plus $causal 1 64 bhsd 266)")
  done
done

check_matrix "1x1 63x65 65x63 1000x1111 4097x4097" "${names[@]}"
