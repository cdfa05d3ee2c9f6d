#!/usr/bin/env bash
# Runs the bundle (scripts/gpu-bundle.sh) on a GPU host: the CUDA kernel
# tests, every softmax example through the runner with --check, a
# compute-sanitizer memcheck of a few, and the benchmark beside PyTorch.
# Logs go to ${OUT:-gpu-out}/.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-out}"
mkdir -p "$out"
b="$root/bundle"
for f in "$b"/*.xz; do # unpack once
  [ -x "${f%.xz}" ] || { xz -dc "$f" > "${f%.xz}" && chmod +x "${f%.xz}"; }
done
nvidia-smi --query-gpu=name,driver_version --format=csv | tee "$out/gpu.txt"
status=0
echo "== CUDA kernel tests"
"$b/attn-unittests" --gtest_filter='CUDA*' 2>&1 | tee "$out/tests.log" | \
  grep -E "^\[ *(OK|FAILED|PASSED|SKIPPED) " || status=1
grep -q "FAILED" "$out/tests.log" && status=1
echo "== examples on cuda"
for spec in "$root"/examples/*.mlir; do
  echo "-- $(basename "$spec")"
  "$b/attn-run" "$spec" --target cuda --check --batch 2 --heads 8 --kv-heads 8 \
    --q-len 333 --kv-len 333 || status=1
done 2>&1 | tee "$out/examples.log"
echo "== beside PyTorch SDPA"
python3 "$root/bench/gpu/check_vs_torch.py" --runner "$b/attn-run" 2>&1 | \
  tee "$out/vs_torch.md" || status=1
if command -v compute-sanitizer >/dev/null; then
  echo "== compute-sanitizer memcheck"
  for spec in mha_lse llama_gqa_causal longformer_global key_padding \
      performer_mixed_heads documents_packed mistral_sliding_window \
      alibi_bias bshd_layout llama_rope; do
    compute-sanitizer --tool memcheck --error-exitcode 3 "$b/attn-run" \
      "$root/examples/$spec.mlir" --target cuda --batch 1 --heads 8 \
      --kv-heads 8 --q-len 130 --kv-len 130 2>&1 | tail -2
  done 2>&1 | tee "$out/memcheck.log"
  # More tiles (3 x 32 x 2 = 192) than SMs: the persistent kernel's CTAs
  # take several tiles each.
  for tool in memcheck racecheck; do
    echo "-- llama_gqa_causal, 192 tiles, $tool"
    compute-sanitizer --tool $tool --error-exitcode 3 "$b/attn-run" \
      "$root/examples/llama_gqa_causal.mlir" --target cuda --batch 2 \
      --heads 32 --kv-heads 8 --q-len 333 --kv-len 333 2>&1 | tail -2
  done 2>&1 | tee "$out/persistent-sanitizers.log"
  # The tensor-core linear kernel, causal with Lk > Lq and not, bf16.
  for mode in causal noncausal; do
    compute-sanitizer --tool memcheck --error-exitcode 3 "$b/attn-run" \
      "$root/bench/specs/linear_elu_${mode}_bf16_d128.mlir" --target cuda \
      --batch 2 --heads 4 --kv-heads 4 --q-len 200 --kv-len 333 2>&1 | tail -2
  done 2>&1 | tee -a "$out/memcheck.log"
fi
if command -v compute-sanitizer >/dev/null; then
  echo "== compute-sanitizer racecheck (sm_90a kernel: TMA ring, mbarriers)"
  for spec in mha_lse llama_gqa_causal longformer_global key_padding \
      documents_packed mistral_sliding_window; do
    echo "-- $spec"
    compute-sanitizer --tool racecheck --error-exitcode 3 "$b/attn-run" \
      "$root/examples/$spec.mlir" --target cuda --batch 1 --heads 8 \
      --kv-heads 8 --q-len 300 --kv-len 300 2>&1 | tail -2
  done 2>&1 | tee "$out/racecheck.log"
fi
# SASS of kernels built here (gpu-bundle.sh): wgmma must be HGMMA, no spills.
for c in "$b"/*.cubin; do
  [ -f "$c" ] && command -v cuobjdump >/dev/null || continue
  echo "-- $(basename "$c"): $(cuobjdump -sass "$c" | grep -c HGMMA) HGMMA," \
    "$(cuobjdump -sass "$c" | grep -cE 'LDL|STL') local loads/stores"
done 2>&1 | tee "$out/sass.log"
case "${ATTN_GPU_BENCH:-1}" in
  1) echo "== benchmark"
     python3 "$root/bench/gpu/bench_gpu.py" --runner "$b/attn-run" 2>&1 | tee "$out/bench.md" ;;
  linear) echo "== linear attention benchmark"
     python3 "$root/bench/gpu/bench_gpu.py" --linear-only --runner "$b/attn-run" 2>&1 | tee "$out/bench-linear.md" ;;
esac
exit $status
