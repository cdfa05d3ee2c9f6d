#!/usr/bin/env bash
# The main job: every spec in examples/ through attn-opt (parse, verify,
# materialize defaults, print). Installs, configures and builds first as needed.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
attn_build attn-opt
status=0
for spec in "$ATTN_ROOT"/examples/*.mlir; do
  echo "== $(basename "$spec")"
  if ! "$BUILD_DIR/bin/attn-opt" --attn-materialize-defaults "$spec"; then
    echo "FAILED: $spec" >&2
    status=1
  fi
done
exit $status
