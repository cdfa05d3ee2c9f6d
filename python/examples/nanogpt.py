"""nanoGPT's CausalSelfAttention with attn: q, k, v stay views of the one
c_attn projection [B, T, 3, H, D] (BSHD, no transposes, no copies); checked
against the module's own F.scaled_dot_product_attention path."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import attn


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd=256, n_head=4, use_attn=True):
        super().__init__()
        self.n_head, self.use_attn = n_head, use_attn
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x):
        B, T, C = x.shape
        qkv = self.c_attn(x).view(B, T, 3, self.n_head, C // self.n_head)
        q, k, v = qkv.unbind(2)  # [B, T, H, D] strided views
        if self.use_attn:
            y = attn.attention(q, k, v, causal=True, layout="bshd")
        else:
            q, k, v = (t.transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2)
        return self.c_proj(y.reshape(B, T, C))


def check():
    torch.manual_seed(0)
    block = CausalSelfAttention()
    x = torch.randn(2, 97, 256)
    with torch.no_grad():
        ours = block(x)
        block.use_attn = False
        theirs = block(x)
    err = (ours - theirs).abs().max().item()
    assert err < 1e-4, err
    return err


if __name__ == "__main__":
    print(f"nanoGPT CausalSelfAttention, attn vs SDPA: max error {check():.2e}")
