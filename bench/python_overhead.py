#!/usr/bin/env python3
"""Host overhead of a cached attn call from PyTorch beside SDPA's own
(issue 15): the median wall time of one call on tiny tensors, where the
kernel itself costs next to nothing, and the start of a cached kernel in a
second process (the disk cache). CUDA if a device is present (calls are
asynchronous: this is the host's time per call), else the CPU.

    python bench/python_overhead.py      # needs torch and the attn package
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

import attn


def per_call_us(fn, calls=2000, rounds=7):
    fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t) / calls * 1e6)
    return statistics.median(times)


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    q = torch.randn(1, 1, 1, 64, device=device, dtype=dtype)
    name = (torch.cuda.get_device_name() if device == "cuda"
            else f"CPU, {os.cpu_count()} cores, {torch.get_num_threads()} threads")
    print(f"# attn call overhead from PyTorch, {time.strftime('%Y-%m-%d %H:%M %Z')}\n")
    print(f"Device: {name}; torch {torch.__version__}; q = k = v [1, 1, 1, 64] {dtype}.\n")
    ours = per_call_us(lambda: attn.attention(q, q, q))
    sdpa = per_call_us(lambda: F.scaled_dot_product_attention(q, q, q))
    # Where attn's time goes: the kernel's run() on a result allocated once
    # (the C call: checks, binding, launch), and the empty result alone.
    from attn import ops
    spec, args = ops.attention_spec(q, q, q, None, None, None, None, None, None,
                                    "none", None, None, False, "bhsd")
    kernel = ops._kernel_for(spec, q.device)
    o = torch.empty_like(q)
    run = per_call_us(lambda: kernel.run(args, [o]))
    empty = per_call_us(lambda: torch.empty_like(q))
    print("| call | median us per call |")
    print("|---|---|")
    print(f"| attn.attention | {ours:.1f} |")
    print(f"| F.scaled_dot_product_attention | {sdpa:.1f} |")
    print(f"| attn - SDPA | {ours - sdpa:.1f} |")
    print(f"| of attn's: the compiled kernel's run() | {run:.1f} |")
    print(f"| of attn's: torch.empty_like(q) | {empty:.1f} |")
    code = ("import time, torch, attn; q = torch.randn(1, 1, 1, 64, device=%r, "
            "dtype=%s); t = time.perf_counter(); attn.attention(q, q, q); "
            "print((time.perf_counter() - t) * 1e3, attn.num_disk_cache_hits())"
            % (device, str(dtype)))
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, ATTN_CACHE_DIR=cache)
        runs = [subprocess.run([sys.executable, "-c", code], env=env, check=True,
                               capture_output=True, text=True).stdout.split()
                for _ in range(3)]
    print(f"\nFirst call in a new process: {float(runs[0][0]):.0f} ms compiling; "
          f"then {float(runs[1][0]):.0f} / {float(runs[2][0]):.0f} ms from the disk "
          f"cache (hits: {runs[1][1]}, {runs[2][1]}).")


if __name__ == "__main__":
    main()
