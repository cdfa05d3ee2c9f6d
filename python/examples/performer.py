"""A Performer layer with FAVOR+ (positive orthogonal random features):
attn.linear_attention with the projection as an operand, against attn's
fp64 reference, and how close it comes to exact softmax attention (SDPA)
as the number of features m grows."""
import torch
import torch.nn.functional as F

import attn
from attn.reference import reference_linear_attention


def orthogonal_features(m, d, generator):
    """Blocks of d orthogonal rows (QR of a Gaussian), each row scaled to a
    chi-distributed norm, as in the Performer paper."""
    blocks = []
    for _ in range((m + d - 1) // d):
        g = torch.randn(d, d, generator=generator)
        q, _ = torch.linalg.qr(g)
        blocks.append(q.T)
    w = torch.cat(blocks)[:m]
    norms = torch.randn(m, d, generator=generator).norm(dim=1, keepdim=True)
    return w * norms


def check():
    gen = torch.Generator().manual_seed(0)
    B, H, L, D = 2, 4, 256, 64
    q, k, v = (torch.randn(B, H, L, D, generator=gen) * 0.5 for _ in range(3))
    exact = F.scaled_dot_product_attention(q, k, v)
    errors = {}
    for m in (64, 256, 1024):
        p = orthogonal_features(m, D, gen)
        o = attn.linear_attention(q, k, v, feature_map="favor_plus",
                                  projection=p)
        ref = reference_linear_attention(q, k, v, feature_map="favor_plus",
                                         projection=p)
        assert (o.double() - ref).abs().max() < 1e-4
        errors[m] = (o - exact).abs().mean().item()
    assert errors[1024] < errors[64], errors  # more features, closer
    return errors


if __name__ == "__main__":
    for m, e in check().items():
        print(f"FAVOR+ m = {m:4d}: mean |o - softmax attention| = {e:.4f}")
