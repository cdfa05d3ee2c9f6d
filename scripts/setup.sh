# Sourced by the README commands: installs what is missing, configures once,
# builds incrementally. Idempotent and quick when everything is in place.
set -euo pipefail

ATTN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ATTN_BUILD_DIR:-$ATTN_ROOT/build}"
LLVM_PREFIX=/usr/lib/llvm-22
JOBS="${ATTN_JOBS:-$(nproc)}"

attn_install_deps() {
  local pkgs=(libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
              cmake ninja-build clang lld libgtest-dev libomp-22-dev ccache
              python3)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# attn_configure [DIR [CMAKE-ARGS...]]: configures DIR (default the main
# build) once, with clang, lld, ccache and the extra arguments.
attn_configure() {
  local dir="${1:-$BUILD_DIR}"
  [ $# -gt 0 ] && shift
  [ -f "$dir/build.ninja" ] && return 0
  echo "== configuring $dir"
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -G Ninja -S "$ATTN_ROOT" -B "$dir" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DLLVM_USE_LINKER=lld "${launcher[@]}" "$@"
}

attn_build() {
  echo "== building ($JOBS jobs)"
  ninja -C "$BUILD_DIR" -j "$JOBS" "$@"
}

attn_install_deps
attn_configure
