#!/usr/bin/env bash
# Runs every test: lit (check-attn), the GoogleTest unit tests (ctest) and
# the random differential tester's quick mode (fixed seed).
# Installs, configures and builds first as needed.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
attn_build
echo "== lit"
ninja -C "$BUILD_DIR" check-attn
echo "== ctest"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
echo "== difftest (quick: 60 random specs vs the fp64 reference, fixed seed)"
python3 "$(dirname "${BASH_SOURCE[0]}")/difftest.py" --cases 60 --seed 1 \
  --bin "$BUILD_DIR/bin" --out "$BUILD_DIR/difftest-failures"
