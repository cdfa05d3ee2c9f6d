#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/README.md) in build-fuzz/, makes the seed
# corpora and runs each target for SECONDS (default 20). Exits non-zero if
# any target reports a crash, timeout, leak, out-of-memory or sanitizer
# error; its artifacts (the reproducers) and logs are in
# build-fuzz/artifacts/, never in the source tree.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     # targets: spec_fuzzer
#                                                  # npy_fuzzer jit_fuzzer
#
# Idempotent like scripts/setup.sh: installs what is missing, configures
# build-fuzz once, builds incrementally; the corpora grow across runs in
# build-fuzz/corpus/<target>. ATTN_FUZZ_BUILD_DIR overrides the folder,
# ATTN_JOBS the build parallelism; extra libFuzzer flags go in
# ATTN_FUZZ_FLAGS. Note that libFuzzer runs the whole seed corpus once
# before the clock counts: spec_fuzzer's ~330 seeds take ~80 s on a 2-core
# host whatever SECONDS is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_EACH="${1:-20}"
[ $# -gt 0 ] && shift
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(spec_fuzzer npy_fuzzer jit_fuzzer)
case "$SECONDS_EACH" in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

# setup.sh installs the packages and configures its BUILD_DIR once (plain);
# the fuzz options are added here.
export ATTN_BUILD_DIR="${ATTN_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
source "$ROOT/scripts/setup.sh"
FUZZ_DIR="$ATTN_BUILD_DIR"
if ! grep -q '^ATTN_FUZZ:BOOL=ON' "$FUZZ_DIR/CMakeCache.txt"; then
  echo "== configuring $FUZZ_DIR for fuzzing"
  cmake -S "$ROOT" -B "$FUZZ_DIR" -DATTN_FUZZ=ON -DATTN_BUILD_UNITTESTS=OFF \
    >/dev/null
fi
echo "== building ${TARGETS[*]} ($JOBS jobs)"
ninja -C "$FUZZ_DIR" -j "$JOBS" "${TARGETS[@]}"

SEEDS="$FUZZ_DIR/corpus-seeds"
ARTIFACTS="$FUZZ_DIR/artifacts"
mkdir -p "$ARTIFACTS"
bash "$ROOT/fuzz/make-corpus.sh" "$SEEDS"

# Leak reports that are LLVM's or MLIR's global state, not the project's:
# fuzz/lsan.supp says why each is there.
if [ -f "$ROOT/fuzz/lsan.supp" ]; then
  export LSAN_OPTIONS="suppressions=$ROOT/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

failed=()
for target in "${TARGETS[@]}"; do
  kind="${target%_fuzzer}"
  corpus="$FUZZ_DIR/corpus/$kind"
  mkdir -p "$corpus"
  flags=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096
         -artifact_prefix="$ARTIFACTS/$target-" -print_final_stats=1)
  if [ "$target" = spec_fuzzer ]; then
    flags+=(-dict="$ROOT/fuzz/attn.dict" -max_len=16384)
  fi
  # shellcheck disable=SC2206 # word splitting of the extra flags is wanted
  flags+=(${ATTN_FUZZ_FLAGS:-})
  log="$ARTIFACTS/$target.log"
  echo "== $target: ${SECONDS_EACH} s (log: $log)"
  start=$(date +%s)
  if "$FUZZ_DIR/bin/$target" "${flags[@]}" "$corpus" "$SEEDS/$kind" \
       >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$target")
    grep -E -A40 '^==[0-9]+==ERROR|runtime error|^SUMMARY|deadly signal|ALARM|out-of-memory' \
      "$log" | head -80 || tail -n 60 "$log"
    grep -E "Test unit written to" "$log" || true
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  echo "   $status: ${runs:-?} executions, ${rate:-?}/s, $(( $(date +%s) - start )) s"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "== fuzzing FAILED: ${failed[*]} (reproducers in $ARTIFACTS)" >&2
  exit 1
fi
echo "== fuzzing passed: ${TARGETS[*]}"
