#!/usr/bin/env bash
# Runs every test: lit (check-attn), the GoogleTest unit tests (ctest), the
# random differential tester's quick mode (fixed seed), then lit and ctest
# again on the sanitizer build (ASan + UBSan, asserts on; build-san/).
# Installs, configures and builds first as needed. ATTN_SKIP_SANITIZE=1
# skips the sanitizer build (local iterations; CI runs everything).
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
attn_build
echo "== lit"
ninja -C "$BUILD_DIR" check-attn
echo "== ctest"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
echo "== difftest (quick: 60 random specs vs the fp64 reference, fixed seed)"
python3 "$(dirname "${BASH_SOURCE[0]}")/difftest.py" --cases 60 --seed 1 \
  --bin "$BUILD_DIR/bin" --out "$BUILD_DIR/difftest-failures"

if [ "${ATTN_SKIP_SANITIZE:-0}" != 1 ]; then
  SAN_DIR="${ATTN_SAN_BUILD_DIR:-$ATTN_ROOT/build-san}"
  attn_configure "$SAN_DIR" -DATTN_SANITIZE=ON
  echo "== sanitizer build (ASan + UBSan, asserts on)"
  ninja -C "$SAN_DIR" -j "$JOBS"
  # LeakSanitizer faults scanning the dynamic TLS of the dlopen'ed OpenMP
  # runtime's threads when __tls_get_addr is intercepted (clang 14's
  # compiler-rt): keep it off. UBSan findings abort the test.
  export ASAN_OPTIONS="intercept_tls_get_addr=0:detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  echo "== lit (sanitizer build)"
  ninja -C "$SAN_DIR" check-attn
  echo "== ctest (sanitizer build)"
  ctest --test-dir "$SAN_DIR" --output-on-failure -j "$JOBS"
fi
