#!/usr/bin/env python3
"""Fused RoPE on the GPU, in one run: attn with #attn.rotary against attn
without it (the cost of the fusion), and against PyTorch's
`apply_rotary_pos_emb` (Hugging Face LLaMA's rotate_half form, eager, on
the same q and k) followed by attn without RoPE. SDPA cuDNN on the same
shape for scale. Issue 14's shape: bf16, B=4, Hq=32, Hkv=8, L=4096,
D=128; non-causal and causal. attn is timed by `attn-run --bench` (every
launch of the call: the rotary tables and keys kernels included);
PyTorch with CUDA events. Prints a Markdown table.
"""
import argparse, os, sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_gpu import ROOT, attn_time, sdpa, torch_time  # noqa: E402


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    # transformers.models.llama.modeling_llama, unsqueeze_dim=1.
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def torch_rope_time(B, Hq, Hkv, L, D, theta):
    q = torch.randn(B, Hq, L, D, device="cuda", dtype=torch.bfloat16)
    k = torch.randn(B, Hkv, L, D, device="cuda", dtype=torch.bfloat16)
    # LlamaRotaryEmbedding: f32 angles, cos/sin cast to the input dtype.
    inv = 1.0 / theta ** (torch.arange(0, D, 2, device="cuda").float() / D)
    freqs = torch.outer(torch.arange(L, device="cuda").float(), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos = emb.cos()[None].expand(B, L, D).to(torch.bfloat16)
    sin = emb.sin()[None].expand(B, L, D).to(torch.bfloat16)
    return torch_time(lambda: apply_rotary_pos_emb(q, k, cos, sin))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", default=os.path.join(ROOT, "bundle", "attn-run"))
    ap.add_argument("--repeats", type=int, default=20)
    a = ap.parse_args()
    B, Hq, Hkv, L, D = 4, 32, 8, 4096, 128
    specs = os.path.join(ROOT, "bench", "specs")
    print(f"# Fused RoPE, bf16 B={B} Hq={Hq} Hkv={Hkv} L={L} D={D} "
          f"({torch.cuda.get_device_name()})\n")
    print("| mask | attn | attn + fused RoPE | fused / plain | torch RoPE "
          "| torch RoPE + attn | that / fused | SDPA cuDNN |")
    print("|---|---|---|---|---|---|---|---|")
    rope = torch_rope_time(B, Hq, Hkv, L, D, 500000.0)
    status = 0
    for mask, plain, fused in (("none", "full_bf16_d128.mlir",
                                "rope_full_bf16_d128.mlir"),
                               ("causal", "causal_bf16_d128.mlir",
                                "rope_causal_bf16_d128.mlir")):
        t0, e0 = attn_time(a.runner, plain, B, Hq, Hkv, L, L, a.repeats)
        t1, e1 = attn_time(a.runner, fused, B, Hq, Hkv, L, L, a.repeats)
        if t0 is None or t1 is None:
            print(f"| {mask} | {e0 or ''} | {e1 or ''} | | | | | |")
            status = 1
            continue
        cudnn = sdpa(SDPBackend.CUDNN_ATTENTION, B, Hq, Hkv, L, L, D,
                     mask == "causal")
        ms = lambda t: f"{t * 1e3:.3f} ms" if t else "n/a"
        print(f"| {mask} | {ms(t0)} | {ms(t1)} | {t1 / t0:.3f}x | {ms(rope)} "
              f"| {ms(rope + t0)} | {(rope + t0) / t1:.2f}x | {ms(cudnn)} |")
    return status


if __name__ == "__main__":
    sys.exit(main())
