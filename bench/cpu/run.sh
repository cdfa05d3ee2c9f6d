#!/usr/bin/env bash
# Builds attn, installs the Python peers (torch, numpy) into bench/.venv, runs
# bench_cpu.py and stores its report in bench/results/cpu-<date>.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/setup.sh"
attn_build attn-run
venv="$root/bench/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import torch, numpy" 2>/dev/null ||
  "$venv/bin/pip" install -q torch numpy
mkdir -p "$root/bench/results"
out="$root/bench/results/cpu-$(date +%Y-%m-%d).md"
"$venv/bin/python" "$root/bench/cpu/bench_cpu.py" "$@" | tee "$out"
echo "saved $out"
