#!/usr/bin/env python3
"""Times the GPU linear-attention scan (elu+1, bf16; with --favor FAVOR+
with m = 266 features at D = 64) over its tiling options (attn-run
--linear-chunk, --linear-value-tile) on the benchmark shapes, to see which
defaults to keep. attn only; no PyTorch needed.

  python3 bench/gpu/sweep_linear.py [--runner bundle/attn-run] [--favor]
"""
import argparse
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPECS = os.path.join(ROOT, "bench", "specs")
SHAPES = ((4, 16, 4096, 128), (1, 16, 16384, 128), (8, 16, 2048, 64))
CHUNKS = (32, 64, 128)
TILES = (32, 64, 128)


def run(runner, spec, opts, B, H, L, repeats):
    out = subprocess.run(
        [runner, spec, "--target", "cuda", "--bench", "--batch", str(B),
         "--heads", str(H), "--kv-heads", str(H), "--q-len", str(L),
         "--kv-len", str(L), "--repeats", str(repeats)] + opts,
        capture_output=True, text=True)
    m = re.search(r"median ([0-9.]+) ms", out.stdout)
    if m:
        return f"{float(m.group(1)):.3f}"
    return "err: " + ((out.stderr.strip().splitlines() or ["?"])[-1])[:40]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", default=os.path.join(ROOT, "bundle", "attn-run"))
    ap.add_argument("--modes", default="causal,noncausal")
    ap.add_argument("--favor", action="store_true")
    args = ap.parse_args()
    global SHAPES, TILES
    if args.favor:
        SHAPES = ((4, 16, 4096, 64), (1, 16, 16384, 64))
        TILES = (16, 32, 64)
    os.environ.setdefault("ATTN_CACHE_DIR", tempfile.mkdtemp(prefix="attn-sweep-"))
    configs = [(c, t) for c in CHUNKS for t in TILES]
    jobs = [(mode, D, c, t) for mode in args.modes.split(",")
            for D in sorted({s[3] for s in SHAPES}) for c, t in configs]
    name = "favor_{}_bf16_d{}.mlir" if args.favor else "linear_elu_{}_bf16_d{}.mlir"
    spec = lambda mode, D: os.path.join(SPECS, name.format(mode, D))
    opts = lambda c, t: [f"--linear-chunk={c}", f"--linear-value-tile={t}"]
    # Compile every configuration at once (tiny sizes), then time one by one.
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda j: run(args.runner, spec(j[0], j[1]), opts(j[2], j[3]),
                                    1, 1, 16, 1), jobs))
    print("| mode | shape | " + " | ".join(f"C={c} NV={t}" for c, t in configs) + " |")
    print("|---|---|" + "---|" * len(configs))
    for mode in args.modes.split(","):
        for B, H, L, D in SHAPES:
            cells = [run(args.runner, spec(mode, D), opts(c, t), B, H, L, 10)
                     for c, t in configs]
            print(f"| {mode} | B={B} H={H} L={L} D={D} | " + " | ".join(cells) + " |",
                  flush=True)


if __name__ == "__main__":
    main()
