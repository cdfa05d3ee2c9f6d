#!/usr/bin/env bash
# The main job: every spec in examples/ parsed and verified by attn-opt, then
# compiled for the CPU and run on random inputs by attn-run, which prints the
# error against the fp64 reference; then the C++ JIT examples. Installs,
# configures and builds first as needed.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
attn_build attn-opt attn-run attn-example-llama attn-example-nanogpt
status=0
for spec in "$ATTN_ROOT"/examples/*.mlir; do
  name=$(basename "$spec")
  if ! "$BUILD_DIR/bin/attn-opt" --attn-materialize-defaults "$spec" >/dev/null; then
    echo "FAILED: $name does not verify" >&2
    status=1
    continue
  fi
  echo "== $name"
  # Dynamic dims get these sizes; static ones are used as written.
  if ! "$BUILD_DIR/bin/attn-run" "$spec" --check --batch 2 --heads 8 \
      --kv-heads 8 --q-len 333 --kv-len 333; then
    echo "FAILED: $name" >&2
    status=1
  fi
done
echo "== examples/llama_gqa.cpp (C++ JIT API)"
"$BUILD_DIR/bin/attn-example-llama" || status=1
echo "== examples/nanogpt_packed_qkv.cpp (packed QKV views)"
"$BUILD_DIR/bin/attn-example-nanogpt" || status=1
exit $status
