#!/usr/bin/env python3
"""CPU benchmark of attn beside its peers, in one run on one machine.

`--isa avx2` runs everything in AVX2 code (see ISA below), the default the
host's native ISA.

f32, B=1, H=16, D=64, L in {1024, 4096}, causal and not, all cores:
  attn (attn-run --bench), PyTorch CPU scaled_dot_product_attention, an
  unfused matmul-softmax-matmul on numpy's BLAS, and that BLAS's sgemm.
Also: sliding window 256 vs full attention at L=16384, and the peak RSS of
B=1 H=1 D=64 L=65536 causal. Prints a Markdown report (stdout) that
bench/cpu/run.sh stores under bench/results/.
"""
import argparse, os, platform, re, statistics, subprocess, sys, time

# --isa avx2: attn compiles for x86-64-v3 (AVX2 + FMA) and the peers run
# their AVX2 code too (PyTorch's ATen dispatch, OpenBLAS's Haswell kernels),
# so one AVX-512 host measures both ISAs. The peers read their variables at
# import: set them before importing.
ISA = sys.argv[sys.argv.index("--isa") + 1] if "--isa" in sys.argv else "native"
if ISA == "avx2":
    os.environ["ATEN_CPU_CAPABILITY"] = "avx2"
    os.environ["OPENBLAS_CORETYPE"] = "Haswell"
else:  # what each detects on this host (a CI image may pin OpenBLAS to Haswell)
    os.environ.pop("ATEN_CPU_CAPABILITY", None)
    os.environ.pop("OPENBLAS_CORETYPE", None)

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, "build", "bin", "attn-run")
SPECS = os.path.join(ROOT, "bench", "specs")


def attn(spec, L, heads=16, batch=1, repeats=10):
    cpu = ["--cpu", "x86-64-v3"] if ISA == "avx2" else []
    out = subprocess.run(
        [RUN, os.path.join(SPECS, spec), "--bench", "--batch", str(batch),
         "--heads", str(heads), "--q-len", str(L), "--repeats", str(repeats)] + cpu,
        check=True, capture_output=True, text=True).stdout
    m = re.search(r"median ([0-9.]+) ms.* ([0-9.]+) GFLOP/s", out)
    return float(m.group(1)) / 1e3, float(m.group(2))


def timeit(fn, repeats=10, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def pairs(L, causal):
    return L * (L + 1) // 2 if causal else L * L


def flops(L, causal, heads=16, D=64):
    return 4 * heads * D * pairs(L, causal)


def torch_sdpa(L, causal, heads=16, D=64):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.rand(1, heads, L, D, generator=g) * 2 - 1 for _ in range(3))
    f = lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return timeit(f, repeats=5 if L > 2048 else 10)


def numpy_unfused(L, causal, heads=16, D=64):
    rng = np.random.default_rng(0)
    q, k, v = (rng.uniform(-1, 1, (heads, L, D)).astype(np.float32) for _ in range(3))
    scale = np.float32(1 / np.sqrt(D))
    mask = np.triu(np.full((L, L), -np.inf, np.float32), 1) if causal else None

    def f():
        s = np.matmul(q, k.transpose(0, 2, 1)) * scale
        if mask is not None:
            s += mask
        s -= s.max(axis=-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(axis=-1, keepdims=True)
        return np.matmul(s, v)

    return timeit(f, repeats=3 if L > 2048 else 5, warmup=1)


def sgemm(n=4096):
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, (n, n)).astype(np.float32) for _ in range(2))
    t = timeit(lambda: a @ b, repeats=5)
    return 2 * n ** 3 / t / 1e9


def peak_rss_mb(L):
    """Peak RSS of one attn-run process, from /usr/bin/time (a child forked
    from this Python process would count Python's own pages)."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M", RUN,
                          os.path.join(SPECS, "causal_f32_d64.mlir"), "--batch", "1",
                          "--heads", "1", "--q-len", str(L)],
                         check=True, capture_output=True, text=True)
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="L=1024 only")
    ap.add_argument("--isa", choices=["native", "avx2"], default="native",
                    help="avx2: attn and the peers in their AVX2 code")
    args = ap.parse_args()
    threads = os.cpu_count()
    torch.set_num_threads(threads)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    print(f"# CPU benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}\n")
    flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo")
                  if l.startswith("flags")), [])
    isa_flags = " ".join(sorted(f for f in flags if f.startswith("avx") or f == "fma"))
    print(f"Machine: {cpu}, {threads} cores; flags: {isa_flags}.\n")
    print(f"Mode: **{ISA}** (attn {'--cpu x86-64-v3' if ISA == 'avx2' else 'for the host CPU'}; "
          f"PyTorch capability {torch.backends.cpu.get_cpu_capability()}; OpenBLAS core "
          f"{os.environ.get('OPENBLAS_CORETYPE', 'auto')}); torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), numpy {np.__version__}.\n")
    peak = sgemm()
    print(f"BLAS sgemm (numpy, 4096^3): **{peak:.1f} GFLOP/s**\n")
    print("f32, B=1, H=16, D=64, FLOPs = 4*H*D*allowed pairs. GFLOP/s (median time):\n")
    print("| L | mask | attn | PyTorch SDPA | unfused BLAS | attn / SDPA | attn / sgemm |")
    print("|---|---|---|---|---|---|---|")
    times = {}
    for L in ([1024] if args.quick else [1024, 4096]):
        for causal in (False, True):
            spec = "causal_f32_d64.mlir" if causal else "full_f32_d64.mlir"
            t_ours, g_ours = attn(spec, L, repeats=10 if L <= 1024 else 5)
            times[(L, causal)] = t_ours
            t_sdpa = torch_sdpa(L, causal)
            t_unf = numpy_unfused(L, causal)
            fl = flops(L, causal)
            g_sdpa, g_unf = fl / t_sdpa / 1e9, fl / t_unf / 1e9
            print(f"| {L} | {'causal' if causal else 'none'} | {g_ours:.1f} ({t_ours*1e3:.2f} ms) "
                  f"| {g_sdpa:.1f} ({t_sdpa*1e3:.2f} ms) | {g_unf:.1f} ({t_unf*1e3:.2f} ms) "
                  f"| {g_ours/g_sdpa:.2f}x | {g_ours/peak:.0%} |")
    print()
    for L in sorted({L for L, _ in times}):
        r = times[(L, True)] / times[(L, False)]
        print(f"- causal / non-causal time at L={L}: **{r:.2f}x**")
    if not args.quick:
        t_full, _ = attn("full_f32_d64.mlir", 16384, repeats=3)
        t_swa, _ = attn("swa256_f32_d64.mlir", 16384, repeats=3)
        print(f"- L=16384: sliding window 256 {t_swa*1e3:.1f} ms vs full {t_full*1e3:.1f} ms: "
              f"**{t_swa/t_full:.3f}x** (1/{t_full/t_swa:.0f})")
        small, big = peak_rss_mb(1024), peak_rss_mb(65536)
        qkvo_mb = 4 * 65536 * 64 * 4 / 2**20
        print(f"- B=1 H=1 D=64 L=65536 causal: peak RSS of the whole attn-run process "
              f"{big:.0f} MB ({small:.0f} MB at L=1024: compiler and runtime); "
              f"its Q, K, V, O are {qkvo_mb:.0f} MB, held twice (runner buffers and "
              f"the kernel's output); an L x L f32 matrix would be {65536**2*4/2**30:.0f} GB")


if __name__ == "__main__":
    main()
