#!/usr/bin/env bash
# Every linear-attention feature map on the GPU (or the CPU) against the fp64 reference
# (attn-run --check, random inputs, outputs poisoned by the runner): elu+1,
# relu, relu with a projection, FAVOR+ and the softmax map; causal and not;
# bf16, f16 and f32; D = 64 (and 128 for bf16); GQA (4 query heads on 2 KV
# heads); awkward lengths, Lq != Lk included. BSHD runs for one spec per
# map. One line per run; exits non-zero unless every run passes.
#
#   scripts/check-linear.sh [attn-run]   (default: bundle/attn-run)
#   ATTN_CHECK_TARGET=cpu ... runs the same matrix on the CPU.
#
# Specs compile once each (dynamic shapes, a shared ATTN_CACHE_DIR) and run
# 8 at a time: the GPU host's CPUs compile while the GPU checks.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runner="${1:-$root/bundle/attn-run}"
target="${ATTN_CHECK_TARGET:-cuda}"
jobs="${ATTN_CHECK_JOBS:-8}"
work="$(mktemp -d /tmp/attn-check-linear.XXXXXX)"
export ATTN_CACHE_DIR="$work/cache"

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

one() { # NAME: every size of that spec, one line each
  local name=$1 line rc
  for size in "1 1" "63 65" "65 63" "1000 1111" "4097 4097"; do
    set -- $size
    line=$("$runner" "$work/$name.mlir" --target "$target" --check --batch 2 \
           --heads 4 --kv-heads 2 --q-len "$1" --kv-len "$2" 2>&1)
    rc=$?
    echo "$name Lq=$1 Lk=$2: rc $rc $(echo "$line" | grep -m1 -E "check|error" )"
  done
}
export -f one
export runner work target
printf '%s\n' "${names[@]}" | xargs -P "$jobs" -I{} bash -c 'one {}' | sort > "$work/results.txt"
cat "$work/results.txt"
bad=$(grep -cv ": rc 0 .* ok$" "$work/results.txt")
echo "== $(wc -l < "$work/results.txt") runs, $bad failed"
[ "$bad" -eq 0 ]
