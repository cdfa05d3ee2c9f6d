#!/usr/bin/env python3
"""attn's CUDA kernels beside PyTorch SDPA on the variants SDPA has.

Inputs are drawn here, saved as f32 .npy (attn-run rounds them to bf16 as
torch does: round to nearest even), run through `attn-run --target cuda`
and through torch's SDPA (math backend in fp32 on the same bf16 values);
prints max |attn - sdpa| / max |sdpa| per variant (bf16 bound 1e-2).
"""
import argparse, os, subprocess, sys, tempfile

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def spec_text(name, D, attrs="", extra_args="", extra_ops=""):
    t = f"tensor<?x?x?x{D}xbf16>"
    return (f"func.func @{name}(%q: {t}, %k: {t}, %v: {t}{extra_args}) -> {t} {{\n"
            f"  %o = attn.attention %q, %k, %v {extra_ops} {attrs} : {t}, {t}, {t} -> {t}\n"
            f"  return %o : {t}\n}}\n")


def run_attn(runner, spec, inputs, tmp):
    path = os.path.join(tmp, "spec.mlir")
    open(path, "w").write(spec)
    args = [runner, path, "--target", "cuda"]
    for i, x in enumerate(inputs):
        p = os.path.join(tmp, f"in{i}.npy")
        np.save(p, x)
        args += ["--input", p]
    out = os.path.join(tmp, "out.npy")
    subprocess.run(args + ["--output", out], check=True)
    return np.load(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", default=os.path.join(ROOT, "bundle", "attn-run"))
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    B, Hq, Hkv, L, D = 2, 8, 2, 333, 64
    bf = lambda x: torch.tensor(x).to(torch.bfloat16)
    q = rng.uniform(-1, 1, (B, Hq, L, D)).astype(np.float32)
    k = rng.uniform(-1, 1, (B, Hkv, L, D)).astype(np.float32)
    v = rng.uniform(-1, 1, (B, Hkv, L, D)).astype(np.float32)
    qt, kt, vt = (bf(x).float().cuda() for x in (q, k, v))
    kr, vr = (x.repeat_interleave(Hq // Hkv, dim=1) for x in (kt, vt))
    lens = np.array([200, 333], dtype=np.int32)
    bias = rng.uniform(-1, 1, (1, Hq, L, L)).astype(np.float32)
    i, j = np.arange(L)[:, None], np.arange(L)[None, :]
    causal = j <= i
    window = causal & (j >= i - 99)
    padding = j[None] < lens[:, None, None]  # [B, 1, L]

    def sdpa(mask=None, is_causal=False):
        return F.scaled_dot_product_attention(qt, kr, vr, attn_mask=mask,
                                              is_causal=is_causal)

    cases = [
        ("full GQA 8/2", spec_text("full", D), [q, k, v], sdpa()),
        ("causal GQA", spec_text("causal", D, "{causal = #attn.causal<bottom_right>}"),
         [q, k, v], sdpa(is_causal=True)),
        ("causal window 100", spec_text(
            "swa", D, "{causal = #attn.causal<bottom_right>, window = #attn.window<left = 99, right = 0>}"),
         [q, k, v], sdpa(torch.tensor(window).cuda())),
        ("key padding", spec_text("pad", D, "", ", %n: tensor<?xi32>",
                                  "kv_lengths(%n : tensor<?xi32>)"),
         [q, k, v, lens], sdpa(torch.tensor(padding[:, None]).cuda())),
        ("additive bias", spec_text("bias", D, "", f", %b: tensor<1x?x?x?xbf16>",
                                    "bias(%b : tensor<1x?x?x?xbf16>)"),
         [q, k, v, bias], sdpa(bf(bias).float().cuda())),
    ]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        print("| variant | max rel err vs SDPA |")
        print("|---|---|")
        for name, spec, inputs, want in cases:
            got = run_attn(args.runner, spec, inputs, tmp)
            w = want.cpu().numpy()
            err = np.abs(got - w).max() / np.abs(w).max()
            worst = max(worst, err)
            print(f"| {name} | {err:.2e} |")
    print(f"\nworst {worst:.2e} (bf16 bound 1e-2): {'ok' if worst <= 1e-2 else 'FAILED'}")
    sys.exit(0 if worst <= 1e-2 else 1)


if __name__ == "__main__":
    main()
