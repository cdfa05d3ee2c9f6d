#!/usr/bin/env bash
# Runs every test: lit (check-attn) and the GoogleTest unit tests (ctest).
# Installs, configures and builds first as needed.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
attn_build
echo "== lit"
ninja -C "$BUILD_DIR" check-attn
echo "== ctest"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
