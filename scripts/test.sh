#!/usr/bin/env bash
# Runs every test: lit (check-attn), the GoogleTest unit tests (ctest), the
# random differential tester's quick mode (fixed seed), the Python
# package's pytest suite (a venv with PyTorch from PyPI), then lit and ctest
# again on the sanitizer build (ASan + UBSan, asserts on; build-san/), and
# each libFuzzer target for 20 s on its corpus (scripts/fuzz.sh, fixed
# seed). Installs, configures and builds first as needed.
# ATTN_SKIP_SANITIZE=1 / ATTN_SKIP_FUZZ=1 skip those two stages (local
# iterations; CI runs everything).
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
attn_build
echo "== lit"
ninja -C "$BUILD_DIR" check-attn
echo "== ctest"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
echo "== difftest (quick: 60 random specs vs the fp64 reference, fixed seed)"
python3 "$(dirname "${BASH_SOURCE[0]}")/difftest.py" --cases 60 --seed 1 \
  --bin "$BUILD_DIR/bin" --out "$BUILD_DIR/difftest-failures"

echo "== python package (PyTorch bridge): pytest in a fresh virtual environment"
# PyPI's torch (its Linux wheel is the CUDA build, ~5 GB with its NVIDIA
# libraries; about a minute to install here) and pytest, in a venv under
# the build folder; the attn package itself is reinstalled every time.
PY_VENV="$BUILD_DIR/python-venv"
[ -x "$PY_VENV/bin/python" ] || python3 -m venv "$PY_VENV"
"$PY_VENV/bin/python" -c "import torch, numpy, pytest" 2>/dev/null ||
  "$PY_VENV/bin/pip" install -q torch numpy pytest
ATTN_LIBRARY="$BUILD_DIR/lib/libattn_c.so" \
  "$PY_VENV/bin/pip" install -q --force-reinstall --no-deps "$ATTN_ROOT/python"
(cd "$ATTN_ROOT/python/tests" && "$PY_VENV/bin/python" -m pytest -q -p no:cacheprovider)

if [ "${ATTN_SKIP_SANITIZE:-0}" != 1 ]; then
  SAN_DIR="${ATTN_SAN_BUILD_DIR:-$ATTN_ROOT/build-san}"
  attn_configure "$SAN_DIR" -DATTN_SANITIZE=ON
  echo "== sanitizer build (ASan + UBSan, asserts on)"
  ninja -C "$SAN_DIR" -j "$JOBS"
  # LeakSanitizer faults scanning the dynamic TLS of the dlopen'ed OpenMP
  # runtime's threads when __tls_get_addr is intercepted (clang 14's
  # compiler-rt): keep it off. User poisoning is off too: BumpPtrAllocator
  # slabs shared by instrumented project code and the uninstrumented
  # libMLIR.so give false use-after-poison reports (fuzz/README.md). UBSan
  # findings abort the test.
  export ASAN_OPTIONS="intercept_tls_get_addr=0:allow_user_poisoning=0:detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  echo "== lit (sanitizer build)"
  ninja -C "$SAN_DIR" check-attn
  echo "== ctest (sanitizer build)"
  ctest --test-dir "$SAN_DIR" --output-on-failure -j "$JOBS"
fi

if [ "${ATTN_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzzers (20 s each after the seed corpus, fixed seed)"
  # A generous per-input timeout: a slow CI host must not turn a big seed
  # compile into a failure; hangs are what the long runs look for.
  ATTN_FUZZ_FLAGS="-seed=1 -timeout=60" bash "$ATTN_ROOT/scripts/fuzz.sh" 20
fi
