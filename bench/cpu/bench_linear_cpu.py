#!/usr/bin/env python3
"""CPU benchmark of attn's linear attention beside numpy's sgemm, one run.

Issue 13's CPU line: causal elu+1, f32, B=1 H=8 D=64 at L = 16384 (and
4096, and non-causal), all cores, attn by `attn-run --bench` (median), as
GFLOP/s of the state form's work, 4 * D * Dv per (head, token): the work
of S += phi(k) v^T and phi(q)^T S, which the chunked form (with its
intra-chunk products) does more than; and numpy's sgemm (n = 4096) in the
same run. Needs numpy (bench/.venv from bench/cpu/run.sh, or any Python
with numpy). Prints a Markdown table.
"""
import os, platform, re, subprocess, time

# OpenBLAS picks its kernels for this host unless told otherwise (a build
# image may pin OPENBLAS_CORETYPE=Haswell, i.e. AVX2, which halves sgemm on
# an AVX-512 host): attn runs natively, so sgemm must too.
os.environ.pop("OPENBLAS_CORETYPE", None)

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, "build", "bin", "attn-run")
SPEC = os.path.join(ROOT, "examples", "linear_elu.mlir")  # causal, H = 8, D = 64


def sgemm(n=4096, repeats=5):
    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def attn_ms(spec, L, repeats=5):
    out = subprocess.run([RUN, spec, "--bench", "--batch", "1", "--q-len", str(L),
                          "--kv-len", str(L), "--repeats", str(repeats)],
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r"median ([0-9.]+) ms", out).group(1))


def main():
    flags = ""
    if os.path.exists("/proc/cpuinfo"):
        text = open("/proc/cpuinfo").read()
        model = re.search(r"model name\s*:\s*(.*)", text)
        fl = re.search(r"flags\s*:\s*(.*)", text)
        isa = sorted(f for f in (fl.group(1).split() if fl else [])
                     if f.startswith("avx") or f in ("fma", "sse4_2"))
        flags = f"{model.group(1) if model else platform.processor()}; {os.cpu_count()} cores; {' '.join(isa)}"
    print(f"# CPU linear attention, {time.strftime('%Y-%m-%d %H:%M %Z')}\n")
    print(f"Host: {flags}.\n")
    peak = sgemm()
    print(f"numpy sgemm (n = 4096, OpenBLAS's kernels for this host): {peak:.1f} GFLOP/s.\n")
    print("| elu+1 f32 B=1 H=8 D=64 | L | attn ms | GFLOP/s (4 D Dv per token) | of sgemm |")
    print("|---|---|---|---|---|")
    noncausal = "/tmp/attn_linear_elu_noncausal.mlir"
    with open(SPEC) as f, open(noncausal, "w") as g:
        g.write(f.read().replace(", causal}", "}"))
    for name, spec in (("causal", SPEC), ("non-causal", noncausal)):
        for L in (4096, 16384):
            ms = attn_ms(spec, L)
            gf = 4 * 64 * 64 * 8 * L / (ms / 1e3) / 1e9
            print(f"| {name} | {L} | {ms:.2f} | {gf:.1f} | {gf / peak:.0%} |")


if __name__ == "__main__":
    main()
