# Sourced by the scripts/check-*.sh matrices: every spec of a matrix at every
# size, through attn-run --check (random inputs, poisoned outputs, the fp64
# reference), a line per run, then a summary; the status is non-zero unless
# every run passes.
#
#   source scripts/check-matrix.sh NAME [attn-run]
#     sets $runner (default bundle/attn-run), $target (ATTN_CHECK_TARGET,
#     default cuda), $jobs (ATTN_CHECK_JOBS, default 8) and $work, a scratch
#     folder whose cache/ holds the compiled kernels (ATTN_CACHE_DIR);
#   check_matrix "DEFAULT SIZES" NAME...
#     runs specs $work/NAME.mlir at sizes "LqxLk ..." (ATTN_CHECK_SIZES
#     overrides), B = 2, 4 query heads on 2 KV heads, $jobs specs at once.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runner="${2:-$root/bundle/attn-run}"
target="${ATTN_CHECK_TARGET:-cuda}"
jobs="${ATTN_CHECK_JOBS:-8}"
work="$(mktemp -d "/tmp/attn-$1.XXXXXX")"
export ATTN_CACHE_DIR="$work/cache"

check_one() { # NAME: every size of that spec, one line each
  local name=$1 line rc size
  for size in $sizes; do
    set -- ${size/x/ }
    line=$("$runner" "$work/$name.mlir" --target "$target" --check --batch 2 \
           --heads 4 --kv-heads 2 --q-len "$1" --kv-len "$2" 2>&1)
    rc=$?
    echo "$name Lq=$1 Lk=$2: rc $rc $(echo "$line" | grep -m1 -E "check output|error")"
  done
}

check_matrix() { # "DEFAULT SIZES" NAME...
  sizes="${ATTN_CHECK_SIZES:-$1}"
  shift
  export -f check_one
  export runner work target sizes
  printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'check_one {}' |
    sort > "$work/results.txt"
  cat "$work/results.txt"
  local bad
  bad=$(grep -cv ": rc 0 .* ok$" "$work/results.txt")
  echo "== $(wc -l < "$work/results.txt") runs, $bad failed"
  [ "$bad" -eq 0 ]
}
