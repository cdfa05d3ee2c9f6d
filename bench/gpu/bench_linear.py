#!/usr/bin/env python3
"""GPU benchmark of attn's linear attention beside its peers, in one run.

Shapes of issue 13 (bf16, BHSD for attn): elu+1 at B=4 H=16 L=4096 D=128,
B=1 H=16 L=16384 D=128 and B=8 H=16 L=2048 D=64, causal and non-causal,
beside flash-linear-attention (fla-core, Triton: chunk_linear_attn and
fused_chunk_linear_attn, phi applied in PyTorch before the call or
precomputed; both are causal kernels, fla has no non-causal one) and the
plain PyTorch formulations; FAVOR+ (m = 266, D = 64) beside the
performer-pytorch formulation; and every feature map at the elu+1 shapes
(projected maps with m = D). attn is timed by `attn-run --bench` (CUDA
events around the launches, device-resident buffers, median); peers with
triton.testing.do_bench (median). Prints Markdown tables of milliseconds.
"""
import argparse, math, os, re, subprocess, time

import torch
import torch.nn.functional as F
import triton.testing as tt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPECS = os.path.join(ROOT, "bench", "specs")


def bench(fn):
    return tt.do_bench(fn, warmup=10, rep=100, return_mode="median")


def attn_ms(runner, spec, B, H, L, repeats=10):
    out = subprocess.run(
        [runner, os.path.join(SPECS, spec), "--target", "cuda", "--bench",
         "--batch", str(B), "--heads", str(H), "--kv-heads", str(H),
         "--q-len", str(L), "--kv-len", str(L), "--repeats", str(repeats)],
        capture_output=True, text=True)
    m = re.search(r"median ([0-9.]+) ms", out.stdout)
    if not m:
        return None, (out.stderr.strip().splitlines() or ["failed"])[-1]
    return float(m.group(1)), None


def elu_rows(runner):
    phi = lambda x: F.elu(x) + 1
    print("| elu+1 | shape | attn ms | fla chunk | fla chunk (phi precomputed) "
          "| fla fused_chunk | PyTorch | attn / best peer |")
    print("|---|---|---|---|---|---|---|---|")
    try:
        from fla.ops.linear_attn import chunk_linear_attn, fused_chunk_linear_attn
    except Exception as e:  # no fla here: PyTorch peers only
        print(f"(fla-core not importable: {e})")
        chunk_linear_attn = fused_chunk_linear_attn = None
    for B, H, L, D in ((4, 16, 4096, 128), (1, 16, 16384, 128), (8, 16, 2048, 64)):
        q, k, v = (torch.randn(B, H, L, D, device="cuda", dtype=torch.bfloat16)
                   for _ in range(3))
        qt, kt, vt = (x.transpose(1, 2).contiguous() for x in (q, k, v))  # fla: [B, T, H, D]
        pqt, pkt = phi(qt), phi(kt)
        fla = []
        if chunk_linear_attn:
            for fn, pre in ((chunk_linear_attn, False), (chunk_linear_attn, True),
                            (fused_chunk_linear_attn, False)):
                try:
                    f = ((lambda fn=fn: fn(pqt, pkt, vt, normalize=True)[0]) if pre else
                         (lambda fn=fn: fn(phi(qt), phi(kt), vt, normalize=True)[0]))
                    fla.append(bench(f))
                except Exception:
                    fla.append(None)
        else:
            fla = [None] * 3
        pq, pk = phi(q), phi(k)

        def einsum():
            s = torch.einsum("bhld,bhle->bhde", phi(k), v)
            z = phi(k).sum(2)
            qq = phi(q)
            return (torch.einsum("bhld,bhde->bhle", qq, s)
                    / (torch.einsum("bhld,bhd->bhl", qq, z)[..., None] + 1e-6))

        def chunked(C=64):  # every chunk at once, exclusive cumsum of states
            n = L // C
            cq, ck = (phi(x).reshape(B, H, n, C, D) for x in (q, k))
            cv = v.reshape(B, H, n, C, D)
            mask = torch.tril(torch.ones(C, C, device="cuda", dtype=q.dtype))
            kv = ck.transpose(-1, -2) @ cv
            st = torch.cumsum(kv, 2) - kv
            zc = ck.sum(3)
            zs = torch.cumsum(zc, 2) - zc
            a = (cq @ ck.transpose(-1, -2)) * mask
            num = a @ cv + cq @ st
            den = a.sum(-1) + (cq * zs[:, :, :, None]).sum(-1)
            return (num / (den[..., None] + 1e-6)).reshape(B, H, L, D)

        for causal in (False, True):
            mode = "causal" if causal else "noncausal"
            t, err = attn_ms(runner, f"linear_elu_{mode}_bf16_d{D}.mlir", B, H, L)
            torch_ms = bench(chunked if causal else einsum)
            peers = [p for p in fla + [torch_ms] if p]
            best = min(peers)
            cell = lambda x: f"{x:.3f}" if x else "n/a"
            print(f"| {mode} | B={B} H={H} L={L} D={D} | "
                  f"{cell(t) if t else 'error: ' + err} | {cell(fla[0])} | "
                  f"{cell(fla[1])} | {cell(fla[2])} | {cell(torch_ms)} | "
                  f"{f'{best / t:.2f}x' if t else 'n/a'} |")


def favor_rows(runner):
    D, m = 64, 266
    P = torch.randn(m, D, device="cuda")

    def features(x, is_query, eps=1e-4):
        c = D ** -0.25
        dash = torch.einsum("bhld,md->bhlm", c * x.float(), P)
        diag = (x.float() ** 2).sum(-1, keepdim=True) / 2 * c * c
        stab = (dash.amax(-1, keepdim=True) if is_query
                else dash.amax(dim=(-1, -2), keepdim=True))
        return m ** -0.5 * (torch.exp(dash - diag - stab) + eps)

    def favor_nc(q, k, v):
        fq, fk = features(q, True), features(k, False)
        ctx = torch.einsum("bhlm,bhle->bhme", fk, v.float())
        z = 1.0 / torch.einsum("bhlm,bhm->bhl", fq, fk.sum(2))
        return torch.einsum("bhlm,bhme,bhl->bhle", fq, ctx, z).to(q.dtype)

    def favor_c(q, k, v, C=64):
        fq, fk = features(q, True), features(k, False)
        B, H, L, _ = q.shape
        n = L // C
        fq, fk = fq.reshape(B, H, n, C, m), fk.reshape(B, H, n, C, m)
        vc = v.float().reshape(B, H, n, C, -1)
        kv = fk.transpose(-1, -2) @ vc
        st = torch.cumsum(kv, 2) - kv
        zc = fk.sum(3)
        zs = torch.cumsum(zc, 2) - zc
        mask = torch.tril(torch.ones(C, C, device="cuda"))
        a = (fq @ fk.transpose(-1, -2)) * mask
        num = a @ vc + fq @ st
        den = a.sum(-1) + (fq * zs[:, :, :, None]).sum(-1)
        return (num / den[..., None]).reshape(B, H, L, -1).to(q.dtype)

    print("\n| FAVOR+ (m = 266, D = 64) | shape | attn ms | PyTorch ms | attn / PyTorch |")
    print("|---|---|---|---|---|")
    for B, H, L in ((4, 16, 4096), (1, 16, 16384)):
        q, k, v = (torch.randn(B, H, L, D, device="cuda", dtype=torch.bfloat16)
                   for _ in range(3))
        for causal in (False, True):
            mode = "causal" if causal else "noncausal"
            tp = bench(lambda: (favor_c if causal else favor_nc)(q, k, v))
            t, err = attn_ms(runner, f"favor_{mode}_bf16_d64.mlir", B, H, L, 10)
            print(f"| {mode} | B={B} H={H} L={L} | {f'{t:.3f}' if t else 'error: ' + err} "
                  f"| {tp:.3f} | {f'{tp / t:.2f}x' if t else 'n/a'} |")


MAP_SPEC = """func.func @linear(%q: tensor<?x?x?x{D}xbf16>, %k: tensor<?x?x?x{D}xbf16>, %v: tensor<?x?x?x{D}xbf16>{parg}) -> tensor<?x?x?x{D}xbf16> {{
  %o = attn.linear_attention %q, %k, %v{proj} {{feature_map = #attn.feature_map<{fm}>{causal}}} : tensor<?x?x?x{D}xbf16>, tensor<?x?x?x{D}xbf16>, tensor<?x?x?x{D}xbf16> -> tensor<?x?x?x{D}xbf16>
  return %o : tensor<?x?x?x{D}xbf16>
}}
"""


def map_spec(fm, D, causal, m=0):
    name = f"/tmp/attn_map_{fm}_{m}_{'c' if causal else 'nc'}_d{D}.mlir"
    parg = f", %p: tensor<{m}x{D}xf32>" if m else ""
    proj = f" projection(%p : tensor<{m}x{D}xf32>)" if m else ""
    with open(name, "w") as f:
        f.write(MAP_SPEC.format(D=D, parg=parg, proj=proj, fm=fm,
                                causal=", causal" if causal else ""))
    return name


def map_rows(runner, only=("relu", "relu-proj", "favor", "softmax")):
    """Every feature map at the same shape as elu+1 (projected maps with
    m = D features, so the state has the same size), attn only."""
    maps = (("elu+1", "elu_plus_one", False), ("relu", "relu", False),
            ("relu, P [D, D]", "relu", True), ("FAVOR+, m = D", "favor_plus", True),
            ("softmax map", "softmax", False))
    keys = ("elu", "relu", "relu-proj", "favor", "softmax")
    maps = [mp for key, mp in zip(keys, maps) if key == "elu" or key in only]
    print("\n| map (bf16) | shape | non-causal ms | x elu+1 | causal ms | x elu+1 |")
    print("|---|---|---|---|---|---|")
    for B, H, L, D in ((4, 16, 4096, 128), (1, 16, 16384, 128), (8, 16, 2048, 64)):
        base = {}
        for label, fm, projected in maps:
            cells = []
            for causal in (False, True):
                t, err = attn_ms(runner, map_spec(fm, D, causal, D if projected else 0),
                                 B, H, L)
                if fm == "elu_plus_one" and not projected:
                    base[causal] = t
                ratio = f"{t / base[causal]:.2f}" if t and base.get(causal) else "n/a"
                cells += [f"{t:.3f}" if t else "error: " + err, ratio]
            print(f"| {label} | B={B} H={H} L={L} D={D} | " + " | ".join(cells) + " |")


def warm(runner, specs, jobs=8):
    """Compiles every spec of the run at once, on tiny sizes, into a fresh
    disk cache (ATTN_CACHE_DIR, set for the whole run): each timed
    attn-run then loads its kernel instead of compiling it (compiling is
    most of a call's time, and the CPUs of a GPU host are otherwise idle)."""
    from concurrent.futures import ThreadPoolExecutor
    def one(spec):
        subprocess.run([runner, spec, "--target", "cuda", "--bench", "--repeats", "1",
                        "--batch", "1", "--heads", "1", "--kv-heads", "1",
                        "--q-len", "1", "--kv-len", "1"], capture_output=True)
    t = time.time()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, specs))
    print(f"(compiled {len(specs)} specs in {time.time() - t:.0f} s before timing)\n")


def run_specs(args):
    """The spec files this run times."""
    specs = []
    if not args.only_maps:
        specs += [os.path.join(SPECS, f"linear_elu_{m}_bf16_d{D}.mlir")
                  for D in (128, 64) for m in ("noncausal", "causal")]
        if not args.skip_favor:
            specs += [os.path.join(SPECS, f"favor_{m}_bf16_d64.mlir")
                      for m in ("noncausal", "causal")]
    fms = {"relu": ("relu", False), "relu-proj": ("relu", True),
           "favor": ("favor_plus", True), "softmax": ("softmax", False)}
    for fm, projected in [("elu_plus_one", False)] + [fms[k] for k in args.maps.split(",")]:
        for D in (128, 64):
            for causal in (False, True):
                specs.append(map_spec(fm, D, causal, D if projected else 0))
    return specs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", default=os.path.join(ROOT, "bundle", "attn-run"))
    ap.add_argument("--skip-favor", action="store_true")
    ap.add_argument("--only-maps", action="store_true",
                    help="only the every-feature-map table")
    ap.add_argument("--only-favor", action="store_true",
                    help="only the FAVOR+ (m = 266) table")
    ap.add_argument("--maps", default="relu,relu-proj,favor,softmax",
                    help="maps of that table beside elu+1")
    args = ap.parse_args()
    print(f"# Linear attention GPU benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}\n")
    print(f"Device: {torch.cuda.get_device_name()}; torch {torch.__version__}.\n")
    import tempfile
    os.environ["ATTN_CACHE_DIR"] = tempfile.mkdtemp(prefix="attn-bench-cache-")
    if args.only_favor:
        warm(args.runner, [os.path.join(SPECS, f"favor_{m}_bf16_d64.mlir")
                           for m in ("noncausal", "causal")])
        favor_rows(args.runner)
        return
    warm(args.runner, run_specs(args))
    if args.only_maps:
        map_rows(args.runner, args.maps.split(","))
        return
    elu_rows(args.runner)
    if not args.skip_favor:
        favor_rows(args.runner)
    map_rows(args.runner, args.maps.split(","))


if __name__ == "__main__":
    main()
