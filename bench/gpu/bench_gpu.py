#!/usr/bin/env python3
"""GPU benchmark of attn beside PyTorch's SDPA backends, in one run.

Shapes of ../shared/bench/shapes.md (bf16, BHSD). attn is timed by
`attn-run --target cuda --bench` (CUDA events around the kernel alone,
device-resident buffers, median); PyTorch's SDPA flash / cuDNN / efficient
backends likewise with CUDA events. Prints a Markdown table of TFLOP/s and
attn's ratio to each peer (decode: GB/s of K and V read).
"""
import argparse, os, re, statistics, subprocess, time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPECS = os.path.join(ROOT, "bench", "specs")

SHAPES = [  # id, B, Hq, Hkv, L, D, mask
    ("d64-1k", 16, 32, 32, 1024, 64), ("d64-4k", 4, 32, 32, 4096, 64),
    ("d64-16k", 1, 32, 32, 16384, 64), ("d128-1k", 16, 16, 16, 1024, 128),
    ("d128-4k", 4, 16, 16, 4096, 128), ("d128-16k", 1, 16, 16, 16384, 128),
]


def attn_time(runner, spec, B, Hq, Hkv, Lq, Lk, repeats):
    out = subprocess.run(
        [runner, os.path.join(SPECS, spec), "--target", "cuda", "--bench",
         "--batch", str(B), "--heads", str(Hq), "--kv-heads", str(Hkv),
         "--q-len", str(Lq), "--kv-len", str(Lk), "--repeats", str(repeats)],
        capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr else "failed"
    m = re.search(r"median ([0-9.]+) ms", out.stdout)
    return float(m.group(1)) / 1e3, None


def torch_time(fn, repeats=20):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    return statistics.median(times)


def sdpa(backend, B, Hq, Hkv, Lq, Lk, D, causal, window=None):
    q = torch.randn(B, Hq, Lq, D, device="cuda", dtype=torch.bfloat16)
    k = torch.randn(B, Hkv, Lk, D, device="cuda", dtype=torch.bfloat16)
    v = torch.randn(B, Hkv, Lk, D, device="cuda", dtype=torch.bfloat16)
    try:
        with sdpa_kernel([backend]):
            return torch_time(lambda: F.scaled_dot_product_attention(
                q, k, v, is_causal=causal, enable_gqa=Hq != Hkv))
    except Exception:
        return None


_flex = None


def flex(B, Hq, Hkv, L, D, causal, window=None):
    """FlexAttention (torch.compile'd), the peer that takes mask functions."""
    global _flex
    try:
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
        if _flex is None:
            _flex = torch.compile(flex_attention)
        q = torch.randn(B, Hq, L, D, device="cuda", dtype=torch.bfloat16)
        k = torch.randn(B, Hkv, L, D, device="cuda", dtype=torch.bfloat16)
        v = torch.randn(B, Hkv, L, D, device="cuda", dtype=torch.bfloat16)
        if window:
            mask = lambda b, h, i, j: (j <= i) & (i - j < window)
        elif causal:
            mask = lambda b, h, i, j: j <= i
        else:
            mask = None
        block = create_block_mask(mask, None, None, L, L) if mask else None
        return torch_time(lambda: _flex(q, k, v, block_mask=block,
                                        enable_gqa=Hq != Hkv))
    except Exception:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", default=os.path.join(ROOT, "bundle", "attn-run"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--linear-only", action="store_true")
    args = ap.parse_args()
    print(f"# GPU benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}\n")
    print(f"Device: {torch.cuda.get_device_name()}; torch {torch.__version__}.\n")
    print("bf16, BHSD; TFLOP/s = 4*B*Hq*D*allowed pairs / median time.\n")
    print("| id | mask | attn | SDPA flash | SDPA cuDNN | SDPA efficient | FlexAttention | attn / best peer |")
    print("|---|---|---|---|---|---|---|---|")
    shapes = SHAPES[:1] + SHAPES[3:5] if args.quick else SHAPES
    if args.linear_only:
        shapes = []
    for sid, B, Hq, Hkv, L, D in shapes:
        for causal in (False, True):
            pairs = L * (L + 1) // 2 if causal else L * L
            flops = 4 * B * Hq * D * pairs
            spec = f"{'causal' if causal else 'full'}_bf16_d{D}.mlir"
            reps = 3 if L >= 16384 else 10
            t, err = attn_time(args.runner, spec, B, Hq, Hkv, L, L, reps)
            peers = [sdpa(b, B, Hq, Hkv, L, L, D, causal) for b in
                     (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION,
                      SDPBackend.EFFICIENT_ATTENTION)]
            peers.append(flex(B, Hq, Hkv, L, D, causal) if sid == "d128-4k" else None)
            tf = lambda x: f"{flops / x / 1e12:.1f}" if x else "n/a"
            best = min([p for p in peers if p] or [float("nan")])
            ratio = f"{best / t:.3f}x" if t and best == best else "n/a"
            ours = tf(t) if t else f"error: {err}"
            print(f"| {sid} | {'causal' if causal else 'none'} | {ours} | "
                  f"{tf(peers[0])} | {tf(peers[1])} | {tf(peers[2])} | {tf(peers[3])} | {ratio} |")
    # Sliding window and GQA rows of shapes.md.
    for sid, spec, B, Hq, Hkv, L, D, pairs in [] if args.linear_only else [
            ("swa", "swa1024_bf16_d128.mlir", 4, 16, 16, 4096, 128,
             sum(min(i + 1, 1024) for i in range(4096))),
            ("gqa", "causal_bf16_d128.mlir", 2, 32, 8, 4096, 128, 4096 * 4097 // 2)]:
        flops = 4 * B * Hq * D * pairs
        t, err = attn_time(args.runner, spec, B, Hq, Hkv, L, L, 10)
        peer = None if sid == "swa" else sdpa(SDPBackend.FLASH_ATTENTION, B, Hq, Hkv, L, L, D, True)
        fl = flex(B, Hq, Hkv, L, D, True, 1024 if sid == "swa" else None)
        best = min([p for p in (peer, fl) if p] or [float("nan")])
        print(f"| {sid} | {'window 1024' if sid == 'swa' else 'causal'} | "
              f"{f'{flops / t / 1e12:.1f}' if t else err} | "
              f"{f'{flops / peer / 1e12:.1f}' if peer else 'n/a'} | | | "
              f"{f'{flops / fl / 1e12:.1f}' if fl else 'n/a'} | "
              f"{f'{best / t:.3f}x' if t and best == best else 'n/a'} |")
    # Linear attention (elu+1), milliseconds beside the plain PyTorch
    # formulations of shapes.md.
    if not args.quick:
        B, H, L, D = 4, 16, 4096, 128
        q, k, v = (torch.randn(B, H, L, D, device="cuda", dtype=torch.bfloat16)
                   for _ in range(3))
        # Each formulation in fp32 (phi and state in fp32, as attn) and in
        # bf16 throughout; the faster of the two is the peer.
        def forms(dt):
            phi = lambda x: F.elu(x.to(dt)) + 1
            def einsum():
                pq, pk = phi(q), phi(k)
                s = torch.einsum("bhld,bhle->bhde", pk, v.to(dt))
                z = pk.sum(2)
                return (torch.einsum("bhld,bhde->bhle", pq, s)
                        / (torch.einsum("bhld,bhd->bhl", pq, z)[..., None] + 1e-6))
            def chunked(C=64):
                pq, pk, vf = phi(q), phi(k), v.to(dt)
                state = torch.zeros(B, H, D, D, device="cuda", dtype=dt)
                zsum = torch.zeros(B, H, D, device="cuda", dtype=dt)
                mask = torch.tril(torch.ones(C, C, device="cuda", dtype=dt))
                outs = []
                for c0 in range(0, L, C):
                    qc, kc, vc = pq[:, :, c0:c0 + C], pk[:, :, c0:c0 + C], vf[:, :, c0:c0 + C]
                    a = (qc @ kc.transpose(-1, -2)) * mask
                    num = a @ vc + qc @ state
                    den = a.sum(-1) + (qc * zsum[:, :, None]).sum(-1)
                    outs.append(num / (den[..., None] + 1e-6))
                    state = state + kc.transpose(-1, -2) @ vc
                    zsum = zsum + kc.sum(2)
                return torch.cat(outs, 2)
            def chunked_parallel(C=64):
                # Every chunk at once: per-chunk states, an exclusive cumsum
                # over chunks for the prefix, batched intra-chunk products.
                n = L // C
                pq, pk = (phi(x).reshape(B, H, n, C, D) for x in (q, k))
                vc = v.to(dt).reshape(B, H, n, C, D)
                mask = torch.tril(torch.ones(C, C, device="cuda", dtype=dt))
                kv = pk.transpose(-1, -2) @ vc                   # [B,H,n,D,D]
                state = torch.cumsum(kv, 2) - kv                 # exclusive
                zc = pk.sum(3)
                zsum = torch.cumsum(zc, 2) - zc                  # [B,H,n,D]
                a = (pq @ pk.transpose(-1, -2)) * mask
                num = a @ vc + pq @ state
                den = a.sum(-1) + (pq * zsum[:, :, :, None]).sum(-1)
                return (num / (den[..., None] + 1e-6)).reshape(B, H, L, D)
            return einsum, chunked, chunked_parallel
        f32, b16 = forms(torch.float32), forms(torch.bfloat16)
        for mode, peers in (
                ("noncausal", [("einsum", f32[0], b16[0])]),
                ("causal", [("chunked (64, loop)", f32[1], b16[1]),
                            ("chunked (64, all chunks at once)", f32[2], b16[2])])):
            t, err = attn_time(args.runner, f"linear_elu_{mode}_bf16_d128.mlir",
                               B, H, H, L, L, 10)
            cells, best = [], float("inf")
            for name, p32, p16 in peers:
                tp = [torch_time(p, repeats=10) for p in (p32, p16)]
                best = min(best, *tp)
                cells.append(f"{name}: fp32 {tp[0] * 1e3:.2f}, bf16 {tp[1] * 1e3:.2f}")
            print(f"| linear elu+1 {mode} | ms | {f'{t * 1e3:.3f}' if t else err} | "
                  f"PyTorch {'; '.join(cells)} | | | | "
                  f"{f'{best / t:.2f}x' if t else 'n/a'} |")
    # Decode: Lq = 1, GB/s of K and V read.
    for Lk in () if args.linear_only else (8192, 65536):
        B, Hq, Hkv, D = 8, 32, 8, 128
        kv_bytes = 2 * B * Hkv * Lk * D * 2
        t, err = attn_time(args.runner, "full_bf16_d128.mlir", B, Hq, Hkv, 1, Lk, 20)
        peer = sdpa(SDPBackend.FLASH_ATTENTION, B, Hq, Hkv, 1, Lk, D, False)
        print(f"| decode Lk={Lk} | none (GB/s) | {f'{kv_bytes / t / 1e9:.0f}' if t else err} | "
              f"{f'{kv_bytes / peer / 1e9:.0f}' if peer else 'n/a'} | | | | "
              f"{f'{peer / t:.3f}x' if t and peer else 'n/a'} |")


if __name__ == "__main__":
    main()
