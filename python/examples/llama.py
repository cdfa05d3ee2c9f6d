"""LLaMA's attention with grouped KV heads (32 query heads, 8 KV heads at
full size; smaller here): attn reads each KV head for its group, where the
PyTorch module repeats K and V (repeat_kv) before SDPA. Rotary embeddings
are applied first, as in the model (issue 14 fuses them into the kernel)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import attn


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rope(x, theta=10000.0):
    T, D = x.shape[-2], x.shape[-1]
    inv = 1.0 / theta ** (torch.arange(0, D, 2, dtype=torch.float32) / D)
    freqs = torch.outer(torch.arange(T, dtype=torch.float32), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    return x * emb.cos() + rotate_half(x) * emb.sin()


class Attention(nn.Module):
    def __init__(self, dim=512, n_heads=8, n_kv_heads=2, use_attn=True):
        super().__init__()
        self.h, self.hkv, self.d = n_heads, n_kv_heads, dim // n_heads
        self.use_attn = use_attn
        self.wq = nn.Linear(dim, n_heads * self.d, bias=False)
        self.wk = nn.Linear(dim, n_kv_heads * self.d, bias=False)
        self.wv = nn.Linear(dim, n_kv_heads * self.d, bias=False)
        self.wo = nn.Linear(n_heads * self.d, dim, bias=False)

    def forward(self, x):
        B, T, _ = x.shape
        q = self.wq(x).view(B, T, self.h, self.d).transpose(1, 2)
        k = self.wk(x).view(B, T, self.hkv, self.d).transpose(1, 2)
        v = self.wv(x).view(B, T, self.hkv, self.d).transpose(1, 2)
        q, k = rope(q), rope(k)
        if self.use_attn:
            o = attn.attention(q, k, v, causal=True)  # GQA from the shapes
        else:
            rep = self.h // self.hkv
            k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.wo(o.transpose(1, 2).reshape(B, T, -1))


def check():
    torch.manual_seed(0)
    layer = Attention()
    x = torch.randn(2, 131, 512)
    with torch.no_grad():
        ours = layer(x)
        layer.use_attn = False
        theirs = layer(x)
    err = (ours - theirs).abs().max().item()
    assert err < 1e-4, err
    return err


if __name__ == "__main__":
    print(f"LLaMA attention with GQA 8/2, attn vs SDPA: max error {check():.2e}")
