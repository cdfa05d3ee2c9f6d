#!/usr/bin/env bash
# compute-sanitizer memcheck, racecheck and synccheck over a representative
# case of every GPU kernel attn generates, on a GPU host with the bundle
# (scripts/gpu-bundle.sh). Each case also checks its result against the
# fp64 reference (attn-run --check). Exits non-zero unless every run is
# clean. summary.md (a row per run, written as each one ends) and the logs
# of runs that were not clean go to ${OUT:-gpu-out}/sanitize/; every log is
# in ${ATTN_SANITIZE_LOGS:-/tmp/attn-sanitize}.
#
#   bash scripts/gpu-sanitize.sh [TOOL...]     # default: all three
#   ATTN_SANITIZE_CASES=REGEX ...              # only the cases it matches
#   ATTN_SANITIZE_JOBS=N ...                   # parallel runs (default 8)
#
# Cases of the sm_90a softmax kernel (bf16/f16 softmax attention) run one
# at a time: with other sanitized processes on the GPU they die with
# "unspecified launch failure" (0 errors reported) under every tool, and run
# clean alone (compute-sanitizer 2025.3.1, H200, 2026-11-28). synccheck
# fails to run them even alone (same failure, 0 errors; memcheck and
# racecheck pass alone): those runs are reported as "tool cannot run", not
# as clean, and do not fail the script. Since 2026-11-29 synccheck runs
# them with --hopper-setmaxnreg=false (not yet tried on a GPU: the rows
# say whether that is what the tool trips on). The other cases run in
# parallel.
#
# The kernels and the cases that reach them (sizes are small, since the
# tools slow kernels down 10-100x, but each crosses several tiles):
#   sm_90a softmax (TMA ring, mbarriers, wgmma; persistent tiles): bf16/f16
#     examples with every mask kind, more tiles than SMs once;
#   CUDA-core softmax: f32 examples and specs (explicit mask, top-left
#     causal, sliding window);
#   chunked linear scan (states, scan, output launches): elu+1 bf16 with
#     several segments (few heads, long L);
#   feature-map kernels (keys with their tile maxima, queries; blocks
#     looping over several tiles): FAVOR+ and projected relu in bf16/f16;
#   softmax-map kernels (key stats, merge, keys, queries): f16 non-causal,
#     bf16 causal;
#   the chunked scan with split f32 operands (and f32 feature kernels):
#     elu+1, FAVOR+, the softmax map, projected relu, mixed heads;
#   exact linear kernel: D = 40 (not a multiple of 16).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-out}/sanitize"
logs="${ATTN_SANITIZE_LOGS:-/tmp/attn-sanitize}"
mkdir -p "$out" "$logs"
b="$root/bundle"
for f in "$b"/*.xz; do # unpack once
  [ -x "${f%.xz}" ] || { xz -dc "$f" > "${f%.xz}" && chmod +x "${f%.xz}"; }
done
command -v compute-sanitizer >/dev/null || {
  echo "compute-sanitizer not found" >&2; exit 2; }
tools=("$@")
[ ${#tools[@]} -eq 0 ] && tools=(memcheck racecheck synccheck)

# Specs that no example holds: the softmax map causal, projected relu f16.
gen="$logs/specs"
mkdir -p "$gen"
linear_spec() { # NAME DTYPE MAP CAUSAL(0/1) PROJECTED(0/1) [D, default 64]
  local t=$2 p="" pa="" c="" d=${6:-64}
  [ "$5" = 1 ] && { pa=", %p: tensor<64x${d}xf32>"; p=" projection(%p : tensor<64x${d}xf32>)"; }
  [ "$4" = 1 ] && c=", causal"
  cat > "$gen/$1.mlir" <<EOF
func.func @linear(%q: tensor<?x?x?x${d}x$t>, %k: tensor<?x?x?x${d}x$t>, %v: tensor<?x?x?x${d}x$t>$pa) -> tensor<?x?x?x${d}x$t> {
  %o = attn.linear_attention %q, %k, %v$p {feature_map = #attn.feature_map<$3>$c} : tensor<?x?x?x${d}x$t>, tensor<?x?x?x${d}x$t>, tensor<?x?x?x${d}x$t> -> tensor<?x?x?x${d}x$t>
  return %o : tensor<?x?x?x${d}x$t>
}
EOF
}
linear_spec softmax_map_causal_bf16 bf16 softmax 1 0
linear_spec relu_proj_noncausal_f16 f16 relu 0 1
linear_spec softmax_map_noncausal_f32 f32 softmax 0 0
linear_spec relu_proj_causal_f32 f32 relu 1 1
linear_spec elu_causal_f32_d40 f32 elu_plus_one 1 0 40

ex="$root/examples"
bs="$root/bench/specs"
small="--batch 1 --heads 4 --kv-heads 4 --q-len 300 --kv-len 300"
# name | spec | runner sizes
cases=(
  "mha_lse|$ex/mha_lse.mlir|$small"
  "llama_gqa_causal_192_tiles|$ex/llama_gqa_causal.mlir|--batch 2 --heads 32 --kv-heads 8 --q-len 333 --kv-len 333"
  "mistral_sliding_window|$ex/mistral_sliding_window.mlir|$small"
  "longformer_global|$ex/longformer_global.mlir|$small"
  "key_padding|$ex/key_padding.mlir|$small"
  "documents_packed|$ex/documents_packed.mlir|$small"
  "alibi_bias|$ex/alibi_bias.mlir|$small"
  "cross_attention|$ex/cross_attention.mlir|--batch 1 --heads 4 --kv-heads 4 --q-len 130 --kv-len 333"
  "decode_kv_cache|$ex/decode_kv_cache.mlir|--batch 2 --heads 4 --kv-heads 4 --q-len 3 --kv-len 500"
  "split_kv_decode_lse|$ex/split_kv_decode_lse.mlir|--batch 2 --heads 4 --kv-heads 4 --q-len 1 --kv-len 500"
  "mla_value_dim|$ex/mla_value_dim.mlir|$small"
  "full_bf16_d128|$bs/full_bf16_d128.mlir|$small"
  "explicit_mask_f32|$ex/explicit_mask.mlir|$small"
  "sdpa_top_left_causal_f32|$ex/sdpa_top_left_causal.mlir|--batch 1 --heads 4 --kv-heads 4 --q-len 200 --kv-len 300"
  "swa256_f32_d64|$bs/swa256_f32_d64.mlir|$small"
  "linear_elu_causal_bf16_segments|$bs/linear_elu_causal_bf16_d128.mlir|--batch 1 --heads 2 --kv-heads 2 --q-len 1000 --kv-len 1000"
  "linear_elu_noncausal_bf16_lk_gt_lq|$bs/linear_elu_noncausal_bf16_d64.mlir|--batch 1 --heads 2 --kv-heads 2 --q-len 700 --kv-len 1000"
  "favor_causal_bf16_tiles_per_block|$bs/favor_causal_bf16_d64.mlir|--batch 2 --heads 80 --kv-heads 80 --q-len 300 --kv-len 300"
  "favor_noncausal_bf16|$bs/favor_noncausal_bf16_d64.mlir|--batch 1 --heads 2 --kv-heads 2 --q-len 700 --kv-len 1000"
  "linear_relu_proj_bf16|$ex/linear_relu.mlir|$small"
  "relu_proj_noncausal_f16|$gen/relu_proj_noncausal_f16.mlir|$small"
  "bshd_softmax_f16|$ex/bshd_layout.mlir|$small"
  "softmax_map_noncausal_f16|$ex/linear_softmax.mlir|--batch 1 --heads 2 --kv-heads 2 --q-len 500 --kv-len 1000"
  "softmax_map_causal_bf16|$gen/softmax_map_causal_bf16.mlir|$small"
  "linear_elu_f32_split|$ex/linear_elu.mlir|$small"
  "performer_favor_f32_split|$ex/performer_favor.mlir|$small"
  "performer_mixed_heads_f32|$ex/performer_mixed_heads.mlir|$small"
  "softmax_map_noncausal_f32|$gen/softmax_map_noncausal_f32.mlir|$small"
  "relu_proj_causal_f32|$gen/relu_proj_causal_f32.mlir|$small"
  "linear_elu_f32_d40_exact|$gen/elu_causal_f32_d40.mlir|$small"
)

# Cases that reach the sm_90a softmax kernel (see above).
hopper='^(mha_lse|llama|mistral|longformer|key_padding|documents|alibi|cross_attention|decode_kv_cache|split_kv|mla|full_bf16|bshd_softmax)'

# One run: TOOL NAME SPEC SIZES -> a summary row. The tools slow the device
# code only; compiling (most of a small case's time) runs beside the others.
run_one() {
  local tool=$1 name=$2 spec=$3 sizes=$4 log="$logs/$2.$1.log" extra=()
  local runner_extra=()
  [ "$tool" = racecheck ] && extra=(--racecheck-report hazard)
  # synccheck could not run the sm_90a kernel (see above); setmaxnreg, which
  # moves registers between warpgroups under the tool's instrumentation, is
  # the suspect: those runs use the kernel built without it (same barriers,
  # mbarriers and TMA; the consumers spill).
  [ "$tool" = synccheck ] && [[ "$name" =~ $hopper ]] &&
    runner_extra=(--hopper-setmaxnreg=false)
  # shellcheck disable=SC2086 # sizes are words
  compute-sanitizer --tool "$tool" --error-exitcode 3 "${extra[@]}" \
    "$b/attn-run" "$spec" --target cuda --check $sizes "${runner_extra[@]}" \
    >"$log" 2>&1
  local rc=$? summary
  summary=$(grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$log" | tail -1)
  local ok=yes
  [ $rc -eq 0 ] || ok=NO
  case "$tool" in
    racecheck) echo "$summary" | grep -q "0 hazards" || ok=NO ;;
    *) echo "$summary" | grep -q " 0 errors" || ok=NO ;;
  esac
  if [ $ok = NO ] && [ "$tool" = synccheck ] && [[ "$name" =~ $hopper ]] &&
     echo "$summary" | grep -q " 0 errors" &&
     grep -q "unspecified launch failure" "$log"; then
    ok="tool cannot run"
  fi
  [ "$ok" = yes ] || cp "$log" "$out/"
  echo "| $name | $tool | ${summary:-no summary} | exit $rc | $ok |"
}
export -f run_one
export b out logs hopper

# Every case once without a tool first, all at once, into a disk cache of
# this run's own: the runs under the tools then load their kernels instead
# of compiling them (the tools serialize the GPU; compiling needs only CPUs).
export ATTN_CACHE_DIR="$logs/kernel-cache"
rm -rf "$ATTN_CACHE_DIR"
for c in "${cases[@]}"; do
  IFS='|' read -r name spec sizes <<<"$c"
  [[ "$name" =~ ${ATTN_SANITIZE_CASES:-.} ]] || continue
  printf '%s\0%s\0' "$spec" "$sizes"
done | xargs -0 -r -n 2 -P 16 bash -c \
  '"$b/attn-run" "$1" --target cuda $2 >/dev/null 2>&1' _

{
  echo "# compute-sanitizer, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)."
  echo "$(compute-sanitizer --version | tail -1)."
  echo
  echo "| case | tool | summary | attn-run | clean |"
  echo "|---|---|---|---|---|"
} > "$out/summary.md"
# RUNS (serial|parallel): the selected runs of that kind, NUL-separated
# (xargs -r: a filter that leaves a kind empty runs nothing of it, rather
# than one empty run reported as not clean).
runs() {
  for tool in "${tools[@]}"; do
    for c in "${cases[@]}"; do
      IFS='|' read -r name spec sizes <<<"$c"
      [[ "$name" =~ ${ATTN_SANITIZE_CASES:-.} ]] || continue
      if [[ "$name" =~ $hopper ]]; then kind=serial; else kind=parallel; fi
      [ "$kind" = "$1" ] || continue
      printf '%s\0%s\0%s\0%s\0' "$tool" "$name" "$spec" "$sizes"
    done
  done
}
runs parallel | xargs -0 -r -n 4 -P "${ATTN_SANITIZE_JOBS:-8}" \
  bash -c 'run_one "$@"' _ | tee -a "$out/summary.md"
runs serial | xargs -0 -r -n 4 -P 1 bash -c 'run_one "$@"' _ \
  | tee -a "$out/summary.md"
if grep -q "| NO |" "$out/summary.md"; then
  echo "== compute-sanitizer: NOT clean (logs in $out)" >&2
  exit 1
fi
echo "== compute-sanitizer: clean ($(grep -c '| yes |' "$out/summary.md") runs;" \
  "$(grep -c '| tool cannot run |' "$out/summary.md") the tool could not run)"
